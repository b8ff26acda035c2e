package gitdiff

import (
	"context"
	"io/fs"
	"os/exec"
	"strings"
	"testing"
	"testing/fstest"
)

func TestTrees(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	fsys := fstest.MapFS{
		"c/base/a.txt":        {Data: []byte("one\ntwo\n\n")},
		"c/base/.git/config":  {Data: []byte("[core]\n\thooksPath = /nowhere\n")},
		"c/head/a.txt":        {Data: []byte("one\n2\n\n")},
		"c/head/bin/run":      {Data: []byte("#!/bin/sh\n"), Mode: 0o755},
		"c/head/sub/.git":     {Data: []byte("gitdir: /elsewhere\n")},
		"big/base/x":          {Data: []byte(strings.Repeat("x", 600))},
		"big/head/x":          {Data: []byte(strings.Repeat("y", 600))},
		"link/base/a":         {Data: []byte("a\n")},
		"link/head/a":         {Data: []byte("target.txt"), Mode: 0o777 | fs.ModeSymlink},
		"same/base/unchanged": {Data: []byte("same\n")},
		"same/head/unchanged": {Data: []byte("same\n")},
	}
	ctx := context.Background()
	out, err := Trees(ctx, fsys, "c/base", "c/head", TreeLimits{})
	if err != nil {
		t.Fatal(err)
	}
	want := "diff --git a/a.txt b/a.txt\n"
	if !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), "-two\n+2\n \n") || !strings.Contains(string(out), "new file mode 100755\n") {
		t.Errorf("diff:\n%s", out)
	}
	if strings.Contains(string(out), ".git") {
		t.Errorf("a .git entry was diffed:\n%s", out)
	}
	if _, err := Trees(ctx, fsys, "big/base", "big/head", TreeLimits{MaxBytes: 1000}); err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := Trees(ctx, fsys, "big/base", "big/head", TreeLimits{MaxBytes: 1200}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	// A link is diffed as a link: its target is the content.
	if out, err := Trees(ctx, fsys, "link/base", "link/head", TreeLimits{}); err != nil || !strings.Contains(string(out), "new file mode 120000\n") || !strings.Contains(string(out), "+target.txt\n") {
		t.Errorf("symlink: %v\n%s", err, out)
	}
	// An FS that cannot report links cannot hold one.
	if _, err := Trees(ctx, struct{ fs.FS }{fsys}, "link/base", "link/head", TreeLimits{}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a symlink in an FS that cannot read links: %v", err)
	}
	if out, err := Trees(ctx, fsys, "same/base", "same/head", TreeLimits{}); err != nil || len(out) != 0 {
		t.Errorf("identical trees: %q %v", out, err)
	}
	if _, err := Trees(ctx, fsys, "none/base", "none/head", TreeLimits{}); err == nil {
		t.Error("missing trees: no error")
	}
}
