package gitdiff

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo makes a throwaway repository whose git sees none of the user's
// or system's configuration.
func gitRepo(t *testing.T) (string, func(args ...string)) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed; the local-diff tests need it")
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_AUTHOR_NAME", "t")
	t.Setenv("GIT_AUTHOR_EMAIL", "t@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "t")
	t.Setenv("GIT_COMMITTER_EMAIL", "t@example.com")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	// A user who prefers no prefixes must not break the parser.
	git("config", "diff.noprefix", "true")
	return dir, git
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUncommittedIncludesUntrackedAndIgnoresIgnored(t *testing.T) {
	dir, git := gitRepo(t)
	ctx := context.Background()
	write(t, dir, "a.go", "package a\n")
	write(t, dir, ".gitignore", "*.log\n")
	git("add", ".")
	git("commit", "-qm", "one")
	write(t, dir, "a.go", "package a\n\nfunc A() {}\n")
	write(t, dir, "new dir/b.go", "package b\n")
	write(t, dir, "debug.log", "noise\n")

	r, err := Open(ctx, filepath.Join(dir))
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Uncommitted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := string(c.Diff)
	for _, want := range []string{"diff --git a/a.go b/a.go", "+func A() {}", "b/new dir/b.go", "+package b"} {
		if !strings.Contains(s, want) {
			t.Errorf("diff lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "debug.log") {
		t.Errorf("ignored file in diff:\n%s", s)
	}
}

func TestUncommittedWithoutCommits(t *testing.T) {
	dir, git := gitRepo(t)
	ctx := context.Background()
	write(t, dir, "x.txt", "x\n")
	git("add", "x.txt")
	r, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Uncommitted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(c.Diff), "+x") {
		t.Errorf("first file missing from diff:\n%s", c.Diff)
	}
}

func TestBaseAndCommit(t *testing.T) {
	dir, git := gitRepo(t)
	ctx := context.Background()
	write(t, dir, "a.txt", "base\n")
	git("add", ".")
	git("commit", "-qm", "base")
	git("checkout", "-qb", "feature")
	write(t, dir, "a.txt", "base\nfeature\n")
	git("commit", "-qam", "feature")
	git("checkout", "-q", "main")
	write(t, dir, "main.txt", "main moved on\n")
	git("add", ".")
	git("commit", "-qm", "main")
	git("checkout", "-q", "feature")

	r, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.Base(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.Diff), "+feature") || strings.Contains(string(d.Diff), "main moved on") {
		t.Errorf("--base must show the branch's own changes only:\n%s", d.Diff)
	}

	c, err := r.Commit(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(c.Diff), "+feature") {
		t.Errorf("commit diff:\n%s", c.Diff)
	}
	root, err := r.Commit(ctx, "main~1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(root.Diff), "+base") {
		t.Errorf("root commit diff:\n%s", root.Diff)
	}

	for _, bad := range []string{"", "--output=/tmp/x", "no-such-branch"} {
		if _, err := r.Commit(ctx, bad); err == nil {
			t.Errorf("Commit(%q) succeeded", bad)
		}
		if _, err := r.Base(ctx, bad); err == nil {
			t.Errorf("Base(%q) succeeded", bad)
		}
	}
}

func TestOpenOutsideRepository(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	t.Setenv("GIT_CEILING_DIRECTORIES", os.TempDir())
	if _, err := Open(context.Background(), t.TempDir()); err == nil {
		t.Error("Open succeeded outside a repository")
	}
}
