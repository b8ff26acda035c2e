package tarball

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestFiles(t *testing.T) {
	big := strings.Repeat("x", MaxFileBytes+1)
	data := archive(t, dir("o-r-0123456/"), dir("o-r-0123456/src/"),
		file("o-r-0123456/src/a.go", "package a\n"),
		symlink("o-r-0123456/src/link.go", "a.go"),
		file("o-r-0123456/src/big.txt", big),
		file("o-r-0123456/src/b.go", "package b\n"),
		file("o-r-0123456/README.md", "read me\n"))
	client, seen := fakeGitHub(t, data, false)
	f := &Fetcher{Repos: client.Repositories}
	got, err := f.Files(context.Background(), "o", "r", testSHA, []string{"src/a.go", "src/b.go", "src/link.go", "src/big.txt", "missing.go", "src/../README.md"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"src/a.go": []byte("package a\n"), "src/b.go": []byte("package b\n")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	if len(*seen) != 2 {
		t.Errorf("requests = %v, want the link and the download", *seen)
	}

	// Nothing asked: no request at all.
	if got, err := f.Files(context.Background(), "o", "r", testSHA, nil); err != nil || len(got) != 0 || len(*seen) != 2 {
		t.Errorf("no paths: %v, %v, requests %v", got, err, *seen)
	}
	if _, err := f.Files(context.Background(), "o", "r", "main", []string{"a"}); err == nil {
		t.Error("a ref that is not a SHA was accepted")
	}
	// A path that is not there makes it read the whole archive, which is
	// over this limit.
	small := &Fetcher{Repos: client.Repositories, Limits: Limits{MaxArchiveBytes: int64(len(data) / 2)}}
	if _, err := small.Files(context.Background(), "o", "r", testSHA, []string{"missing.go"}); err == nil || !strings.Contains(err.Error(), "over the") {
		t.Errorf("over the download limit: %v", err)
	}
}

func TestFilesStopsReadingOnceEveryFileIsFound(t *testing.T) {
	// The entry after the wanted file is not a valid tar header; reading
	// on would fail.
	data := archive(t, dir("o-r-0123456/"), file("o-r-0123456/a.go", "package a\n"))
	data = append(data[:len(data):len(data)], []byte("garbage after the end")...)
	client, _ := fakeGitHub(t, data, false)
	got, err := (&Fetcher{Repos: client.Repositories}).Files(context.Background(), "o", "r", testSHA, []string{"a.go"})
	if err != nil || string(got["a.go"]) != "package a\n" {
		t.Errorf("files = %q, %v", got, err)
	}
}
