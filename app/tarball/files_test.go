package tarball

import (
	"bytes"
	"context"
	"path/filepath"
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

// TestTreeReadFiles reads files from an unpacked tree and gets what
// Fetcher.Files reads from the same archive: links, including a linked
// directory, are not followed, big files and unclean paths are left out.
func TestTreeReadFiles(t *testing.T) {
	big := strings.Repeat("x", MaxFileBytes+1)
	data := archive(t, dir("o-r-0123456/"), dir("o-r-0123456/src/"),
		file("o-r-0123456/src/a.go", "package a\n"),
		symlink("o-r-0123456/src/link.go", "a.go"),
		symlink("o-r-0123456/lib", "src"),
		file("o-r-0123456/src/big.txt", big),
		file("o-r-0123456/src/b.go", "package b\n"),
		file("o-r-0123456/README.md", "read me\n"))
	paths := []string{"src/a.go", "src/b.go", "src/link.go", "lib/a.go", "lib", "src", "src/big.txt", "missing.go", "src/../README.md",
		"./README.md", "/README.md", "../README.md", "README.md/x", "src/a.go/", ""}
	dest := t.TempDir()
	tree, err := Unpack(bytes.NewReader(data), dest, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tree.ReadFiles(paths)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"src/a.go": []byte("package a\n"), "src/b.go": []byte("package b\n")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	client, _ := fakeGitHub(t, data, false)
	fromArchive, err := (&Fetcher{Repos: client.Repositories}).Files(context.Background(), "o", "r", testSHA, paths)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fromArchive) {
		t.Errorf("the tree gives %q, the archive %q", got, fromArchive)
	}
	if got, err := tree.ReadFiles([]string{"README.md"}); err != nil || string(got["README.md"]) != "read me\n" {
		t.Errorf("README.md = %q, %v", got, err)
	}
	if got, err := (&Tree{Dir: filepath.Join(dest, "gone")}).ReadFiles([]string{"a.go"}); err == nil {
		t.Errorf("a removed tree gave %q", got)
	}
	if got, err := tree.ReadFiles(nil); err != nil || len(got) != 0 {
		t.Errorf("no paths: %q, %v", got, err)
	}
}
