// Package gitdiff produces the diffs the local `codex-review review`
// command reviews, by running git in a working tree. Git's output is pinned
// with command-line settings so that a user's own configuration (no
// prefixes, external diff tools, colour) cannot change what the parser sees.
package gitdiff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// emptyTree is git's well-known id of the empty tree, the base of a
// repository's first commit.
const emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// pinned overrides user configuration that changes the shape of a diff.
var pinned = []string{
	"-c", "core.quotePath=true",
	"-c", "diff.noprefix=false",
	"-c", "diff.mnemonicPrefix=false",
	"-c", "diff.external=",
	"-c", "color.ui=false",
}

// diffFlags are passed to every diff so renames are detected the same way
// everywhere and no text conversion runs (a textconv driver is code from
// the user's config, and its output is not the file).
var diffFlags = []string{"--no-color", "--no-ext-diff", "--no-textconv", "--find-renames", "--src-prefix=a/", "--dst-prefix=b/", "--no-relative"}

// Repo is a git working tree.
type Repo struct {
	Dir string
}

// Open checks that dir is inside a git working tree and returns its root.
func Open(ctx context.Context, dir string) (*Repo, error) {
	out, err := run(ctx, dir, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not a git working tree: %w", dir, err)
	}
	return &Repo{Dir: strings.TrimSpace(string(out))}, nil
}

// Uncommitted is the diff of the working tree (staged, unstaged and
// untracked files that are not ignored) against HEAD. In a repository
// without commits it is everything, against the empty tree.
func (r *Repo) Uncommitted(ctx context.Context) (*Change, error) {
	base := "HEAD"
	if _, err := run(ctx, r.Dir, nil, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil {
		base = emptyTree
	}
	return r.workingTreeAgainst(ctx, base)
}

// Base is the diff of the working tree against the point where HEAD left
// ref (their merge base): what a pull request from this branch into ref
// would show, plus anything not committed yet.
func (r *Repo) Base(ctx context.Context, ref string) (*Change, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	out, err := run(ctx, r.Dir, nil, "merge-base", ref, "HEAD")
	if err != nil {
		return nil, fmt.Errorf("find the merge base of %s and HEAD: %w", ref, err)
	}
	return r.workingTreeAgainst(ctx, strings.TrimSpace(string(out)))
}

// Commit is the diff a single commit introduced, against its first parent
// (or against nothing, for a root commit).
func (r *Repo) Commit(ctx context.Context, rev string) (*Change, error) {
	if err := checkRef(rev); err != nil {
		return nil, err
	}
	out, err := run(ctx, r.Dir, nil, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("%s is not a commit in %s", rev, r.Dir)
	}
	sha := strings.TrimSpace(string(out))
	parent := emptyTree
	if p, err := run(ctx, r.Dir, nil, "rev-parse", "--verify", "--quiet", sha+"^1"); err == nil {
		parent = strings.TrimSpace(string(p))
	}
	args := append(append([]string{"diff"}, diffFlags...), parent, sha, "--")
	d, err := run(ctx, r.Dir, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("diff commit %s: %w", rev, err)
	}
	return &Change{Diff: d, Base: parent, Head: sha}, nil
}

func (r *Repo) workingTreeAgainst(ctx context.Context, base string) (*Change, error) {
	args := append(append([]string{"diff"}, diffFlags...), base, "--")
	tracked, err := run(ctx, r.Dir, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("diff the working tree against %s: %w", base, err)
	}
	untracked, err := r.untracked(ctx)
	if err != nil {
		return nil, err
	}
	return &Change{Diff: append(tracked, untracked...), Base: base}, nil
}

// untracked renders files git does not track (and does not ignore) as
// additions, the way `git add -N` would, without touching the index.
func (r *Repo) untracked(ctx context.Context) ([]byte, error) {
	list, err := run(ctx, r.Dir, nil, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, fmt.Errorf("list untracked files: %w", err)
	}
	var out bytes.Buffer
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		args := append(append([]string{"diff", "--no-index"}, diffFlags...), "--", "/dev/null", name)
		// `git diff --no-index` exits 1 when the files differ, which for
		// a new file is always: that is its answer, not a failure.
		d, err := run(ctx, r.Dir, []int{1}, args...)
		if err != nil {
			return nil, fmt.Errorf("diff untracked file %s: %w", name, err)
		}
		out.Write(d)
	}
	return out.Bytes(), nil
}

// checkRef refuses revisions that git would read as options.
func checkRef(ref string) error {
	if ref == "" || strings.HasPrefix(ref, "-") {
		return fmt.Errorf("invalid git revision %q", ref)
	}
	return nil
}

// run executes git with the pinned settings and returns its stdout. Exit
// codes listed in ok are not errors.
func run(ctx context.Context, dir string, ok []int, args ...string) ([]byte, error) {
	return runEnv(ctx, dir, nil, ok, args...)
}

// runEnv is run with extra environment variables (nil: the process's own
// environment).
func runEnv(ctx context.Context, dir string, env []string, ok []int, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append(append([]string{}, pinned...), args...)...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		for _, c := range ok {
			if exit.ExitCode() == c {
				return stdout.Bytes(), nil
			}
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = exit.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	if err != nil {
		return nil, fmt.Errorf("run git: %w", err)
	}
	return stdout.Bytes(), nil
}
