package gitdiff

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChangeSidesAndReadFile(t *testing.T) {
	dir, git := gitRepo(t)
	ctx := context.Background()
	write(t, dir, "go.mod", "module m\n\nrequire example.com/a v1.0.0\n")
	write(t, dir, "sub/package.json", `{"name": "x"}`)
	git("add", ".")
	git("commit", "-qm", "one")
	write(t, dir, "go.mod", "module m\n\nrequire example.com/a v1.1.0\n")
	write(t, dir, "new.txt", "untracked\n")
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}

	r, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Uncommitted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Base != "HEAD" || c.Head != "" {
		t.Errorf("sides %q..%q, want HEAD..working tree", c.Base, c.Head)
	}
	read := func(rev, p string) string {
		t.Helper()
		b, err := r.ReadFile(ctx, rev, p, 1<<20)
		if err != nil {
			t.Fatalf("ReadFile(%q, %q): %v", rev, p, err)
		}
		return string(b)
	}
	if got := read(c.Base, "go.mod"); !strings.Contains(got, "v1.0.0") {
		t.Errorf("base go.mod %q", got)
	}
	if got := read(c.Head, "go.mod"); !strings.Contains(got, "v1.1.0") {
		t.Errorf("working-tree go.mod %q", got)
	}
	if got := read(c.Base, "sub/package.json"); got != `{"name": "x"}` {
		t.Errorf("nested file %q", got)
	}
	for _, rev := range []string{c.Base, c.Head} {
		if _, err := r.ReadFile(ctx, rev, "missing.lock", 1<<20); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing file at %q: %v, want fs.ErrNotExist", rev, err)
		}
		if _, err := r.ReadFile(ctx, rev, "sub", 1<<20); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a directory at %q: %v, want fs.ErrNotExist", rev, err)
		}
	}
	for _, bad := range []string{"../outside", "/etc/passwd", "sub/../../x"} {
		if _, err := r.ReadFile(ctx, c.Head, bad, 1<<20); err == nil {
			t.Errorf("ReadFile(%q) succeeded", bad)
		}
	}
	if _, err := r.ReadFile(ctx, "", "escape", 1<<20); err == nil {
		t.Error("a symbolic link out of the repository was followed")
	}
	if _, err := r.ReadFile(ctx, c.Base, "go.mod", 10); err == nil || !strings.Contains(err.Error(), "over the 10-byte limit") {
		t.Errorf("size limit at a commit: %v", err)
	}
	if _, err := r.ReadFile(ctx, "", "go.mod", 10); err == nil || !strings.Contains(err.Error(), "over the 10-byte limit") {
		t.Errorf("size limit in the working tree: %v", err)
	}
	if _, err := r.ReadFile(ctx, "--output=/tmp/x", "go.mod", 10); err == nil {
		t.Error("a revision that git would read as an option was accepted")
	}

	git("commit", "-qam", "two")
	cc, err := r.Commit(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if cc.Head == "" || cc.Base == "" || cc.Base == cc.Head {
		t.Errorf("commit sides %q..%q", cc.Base, cc.Head)
	}
	if got := read(cc.Head, "go.mod"); !strings.Contains(got, "v1.1.0") {
		t.Errorf("go.mod at the commit %q", got)
	}
}
