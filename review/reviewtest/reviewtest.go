// Package reviewtest holds the test pull request that the project's token,
// caching and latency figures are measured on, and turns such changes into
// real git repositories, so that tests and benchmarks review what `git
// diff` really prints.
//
// The test pull request changes four files in five hunks (about 830 tokens
// of diff): src/calc.js breaks the zero check of divide (line 17, `b = 0`)
// and reads past the end of the array in average (line 25), and adds
// percent and median; src/format.js adds an HTML renderer that does not
// escape; test/calc.test.js tests the new helpers; package.json adds a
// dependency.
package reviewtest

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

//go:embed testdata
var testdata embed.FS

// Change is a pull request as two trees of files, by repository path.
type Change struct {
	Base, Head map[string]string
	// Message is the head commit's message; "head" when empty.
	Message string
}

// TestPR returns the test pull request.
func TestPR() Change {
	c, err := load(testdata, "testdata/testpr")
	if err != nil {
		panic("reviewtest: " + err.Error())
	}
	return c
}

// FromDir reads a change laid out as DIR/base and DIR/head (either may be
// missing: no files), for tests with changes of their own in testdata.
func FromDir(t testing.TB, dir string) Change {
	t.Helper()
	c, err := load(os.DirFS(dir), ".")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func load(fsys fs.FS, root string) (Change, error) {
	base, err := tree(fsys, path.Join(root, "base"))
	if err != nil {
		return Change{}, err
	}
	head, err := tree(fsys, path.Join(root, "head"))
	return Change{Base: base, Head: head}, err
}

func tree(fsys fs.FS, root string) (map[string]string, error) {
	files := map[string]string{}
	if _, err := fs.Stat(fsys, root); errors.Is(err, fs.ErrNotExist) {
		return files, nil
	}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		files[strings.TrimPrefix(p, root+"/")] = string(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", root, err)
	}
	return files, nil
}

// Repo is a git repository holding a change as two commits.
type Repo struct {
	Dir              string
	BaseSHA, HeadSHA string
}

// Repo writes the change into a new git repository in a temporary
// directory: the base tree as the first commit, the head tree as the
// second, checked out.
func (c Change) Repo(t testing.TB) Repo {
	t.Helper()
	dir := t.TempDir()
	r := Repo{Dir: dir}
	r.Git(t, "init", "-q", "-b", "main")
	write(t, dir, c.Base)
	r.Git(t, "add", "-A")
	r.Git(t, "commit", "-q", "-m", "base")
	r.BaseSHA = strings.TrimSpace(r.Git(t, "rev-parse", "HEAD"))
	r.Git(t, "rm", "-q", "-r", "--ignore-unmatch", ".")
	write(t, dir, c.Head)
	r.Git(t, "add", "-A")
	msg := c.Message
	if msg == "" {
		msg = "head"
	}
	r.Git(t, "commit", "-q", "--allow-empty", "-m", msg)
	r.HeadSHA = strings.TrimSpace(r.Git(t, "rev-parse", "HEAD"))
	return r
}

func write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Git runs git in the repository with a fixed identity and no user or
// system configuration, and returns its standard output.
func (r Repo) Git(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_AUTHOR_DATE=2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2025-01-01T00:00:00Z")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// Diff is `git diff` from the base commit to the head commit.
func (r Repo) Diff(t testing.TB) []byte {
	t.Helper()
	return []byte(r.Git(t, "diff", "--no-color", "--no-ext-diff", "--find-renames", r.BaseSHA, r.HeadSHA))
}

// Patches returns each changed file's patch the way GitHub's pull request
// files API shows it: the hunks without the file headers, by path.
func (r Repo) Patches(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, section := range strings.Split(string(r.Diff(t)), "diff --git ")[1:] {
		header, hunks, _ := strings.Cut(section, "\n@@")
		name := ""
		for _, line := range strings.Split(header, "\n") {
			if p, ok := strings.CutPrefix(line, "+++ b/"); ok {
				name = p
			} else if p, ok := strings.CutPrefix(line, "--- a/"); ok && name == "" {
				name = p
			}
		}
		if name == "" || hunks == "" {
			continue
		}
		out[path.Clean(name)] = strings.TrimSuffix("@@"+hunks, "\n")
	}
	return out
}
