package reviewer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/tarball"
)

func TestHeadCacheReadsOnlyWhatItLacks(t *testing.T) {
	var c headCache
	var asked [][]string
	repo := map[string][]byte{"a.go": []byte("package a"), "b.go": []byte("package b")}
	read := func(_ context.Context, paths []string) (map[string][]byte, error) {
		asked = append(asked, slices.Clone(paths))
		out := map[string][]byte{}
		for _, p := range paths {
			if b, ok := repo[p]; ok {
				out[p] = b
			}
		}
		return out, nil
	}
	key := headKey{"acme/shop", "1111"}
	get := func(paths ...string) map[string][]byte {
		t.Helper()
		got, err := c.files(context.Background(), key, paths, read)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := get("a.go", "gone.go"); string(got["a.go"]) != "package a" || len(got) != 1 {
		t.Errorf("first read: %q", got)
	}
	if got := get("a.go"); string(got["a.go"]) != "package a" || len(asked) != 1 {
		t.Errorf("cached read: %q after %d reads", got, len(asked))
	}
	// A file the head lacks is asked for again (only files are cached);
	// a file not read yet is read alone.
	if got := get("a.go", "b.go", "gone.go"); len(got) != 2 || string(got["b.go"]) != "package b" {
		t.Errorf("partly cached read: %q", got)
	}
	if want := [][]string{{"a.go", "gone.go"}, {"b.go", "gone.go"}}; !slices.EqualFunc(asked, want, slices.Equal) {
		t.Errorf("reads %q, want %q", asked, want)
	}
	// Another commit, or another repository, is another key.
	if _, err := c.files(context.Background(), headKey{"acme/shop", "2222"}, []string{"a.go"}, read); err != nil || len(asked) != 3 {
		t.Errorf("another commit: %v, %d reads", err, len(asked))
	}
	// A failed read is returned, and nothing is cached from it.
	boom := errors.New("boom")
	if _, err := c.files(context.Background(), headKey{"acme/other", "1111"}, []string{"a.go"}, func(context.Context, []string) (map[string][]byte, error) {
		return nil, boom
	}); !errors.Is(err, boom) {
		t.Errorf("failed read: %v", err)
	}
	if _, ok := c.heads[headKey{"acme/other", "1111"}]; ok {
		t.Error("a failed read left an entry")
	}
}

func TestHeadCacheIsBounded(t *testing.T) {
	var c headCache
	big := []byte(strings.Repeat("x", maxCachedHeadBytes/8))
	for i := range 20 {
		c.put(headKey{"acme/shop", strings.Repeat(string(rune('a'+i)), 40)}, map[string][]byte{"f": big})
		if c.bytes > maxCachedHeadBytes {
			t.Fatalf("after %d heads: %d bytes cached, limit %d", i+1, c.bytes, maxCachedHeadBytes)
		}
	}
	// One head larger than a quarter of the cache is not kept.
	c.put(headKey{"acme/shop", "huge"}, map[string][]byte{"f": make([]byte, maxCachedHeadBytes/2)})
	if _, ok := c.heads[headKey{"acme/shop", "huge"}]; ok {
		t.Error("a head over a quarter of the cache was kept")
	}
	for i := range maxCachedHeads + 10 {
		c.put(headKey{"acme/shop", "sha" + strconv.Itoa(i)}, map[string][]byte{"f": []byte("x")})
		if len(c.heads) > maxCachedHeads {
			t.Fatalf("%d heads cached, limit %d", len(c.heads), maxCachedHeads)
		}
	}
}

// filesAtCounter is a PullRequestSource whose only read is FilesAt.
type filesAtCounter struct {
	PullRequestSource
	asked [][]string
}

func (f *filesAtCounter) FilesAt(_ context.Context, _ string, paths []string) (map[string][]byte, error) {
	f.asked = append(f.asked, slices.Clone(paths))
	return map[string][]byte{"a.go": []byte("package a // from GitHub")}, nil
}

// TestHeadFilesReadTheTestedTree reads the head's files from the tree the
// tests ran on, and from GitHub only when there is no tree or it cannot
// be read.
func TestHeadFilesReadTheTestedTree(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a // from the tree"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		tree  *tarball.Tree
		want  string
		calls int
	}{
		{"tree", &tarball.Tree{Dir: dir}, "package a // from the tree", 0},
		{"no tree", nil, "package a // from GitHub", 1},
		{"tree gone", &tarball.Tree{Dir: filepath.Join(dir, "gone")}, "package a // from GitHub", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &filesAtCounter{}
			h := headFiles{src: src, key: headKey{"acme/shop", "1111"}, cache: &headCache{}, tree: tt.tree}
			got, err := h.HeadFiles(context.Background(), []string{"a.go", "missing.go"})
			if err != nil {
				t.Fatal(err)
			}
			if string(got["a.go"]) != tt.want || len(got) != 1 || len(src.asked) != tt.calls {
				t.Errorf("files = %q after %d reads from GitHub; want %q after %d", got, len(src.asked), tt.want, tt.calls)
			}
		})
	}
}
