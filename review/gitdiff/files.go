package gitdiff

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// MaxFileBytes bounds a file read for the code around a hunk: a larger one
// is generated or data, and the review goes on without its context.
const MaxFileBytes = 4 << 20

// Files reads the files of one version of the repository: a commit, or
// the working tree. It implements review.HeadFiles for the local review.
type Files struct {
	repo *Repo
	rev  string // "" for the working tree
}

// WorkingTree is the working tree as it is on disk: the head of a review
// of uncommitted changes or of --base.
func (r *Repo) WorkingTree() Files { return Files{repo: r} }

// At is the tree of commit rev: the head of a review of --commit.
func (r *Repo) At(rev string) Files { return Files{repo: r, rev: rev} }

// HeadFiles returns the contents of paths. Paths that do not exist, are
// not regular files (a symbolic link is never followed: it could point
// out of the repository) or are larger than MaxFileBytes are left out.
func (f Files) HeadFiles(ctx context.Context, paths []string) (map[string][]byte, error) {
	var clean []string
	for _, p := range paths {
		if c := path.Clean(p); c == p && p != "" && !path.IsAbs(p) && p != ".." && !strings.HasPrefix(p, "../") {
			clean = append(clean, p)
		}
	}
	if f.rev == "" {
		return f.fromDisk(clean)
	}
	if err := checkRef(f.rev); err != nil {
		return nil, err
	}
	return f.fromCommit(ctx, clean)
}

func (f Files) fromDisk(paths []string) (map[string][]byte, error) {
	root, err := os.OpenRoot(f.repo.Dir)
	if err != nil {
		return nil, fmt.Errorf("open the working tree: %w", err)
	}
	defer root.Close()
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		st, err := root.Lstat(filepath.FromSlash(p))
		if err != nil || !st.Mode().IsRegular() || st.Size() > MaxFileBytes {
			continue
		}
		b, err := root.ReadFile(filepath.FromSlash(p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		out[p] = b
	}
	return out, nil
}

// fromCommit reads every path in one `git cat-file --batch` run.
func (f Files) fromCommit(ctx context.Context, paths []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(paths))
	if len(paths) == 0 {
		return out, nil
	}
	var in bytes.Buffer
	for _, p := range paths {
		if strings.ContainsAny(p, "\n\r") {
			continue // cannot be named on a batch line
		}
		in.WriteString(f.rev + ":" + p + "\n")
	}
	cmd := exec.CommandContext(ctx, "git", append(append([]string{}, pinned...), "cat-file", "--batch")...)
	cmd.Dir = f.repo.Dir
	cmd.Stdin = &in
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("run git cat-file: %w", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run git cat-file: %w", err)
	}
	r := bufio.NewReader(stdout)
	readErr := func() error {
		for _, p := range paths {
			if strings.ContainsAny(p, "\n\r") {
				continue
			}
			header, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("read git cat-file output: %w", err)
			}
			// "<sha> <type> <size>", or "<name> missing" / "ambiguous".
			fields := strings.Fields(header)
			if len(fields) != 3 {
				continue
			}
			size, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil {
				return fmt.Errorf("git cat-file: bad header %q", header)
			}
			var content []byte
			if fields[1] == "blob" && size <= MaxFileBytes {
				content = make([]byte, size)
				if _, err := io.ReadFull(r, content); err != nil {
					return fmt.Errorf("read %s from git: %w", p, err)
				}
				out[p] = content
			} else if _, err := r.Discard(int(size)); err != nil {
				return fmt.Errorf("read git cat-file output: %w", err)
			}
			if _, err := r.Discard(1); err != nil { // the newline after the content
				return fmt.Errorf("read git cat-file output: %w", err)
			}
		}
		return nil
	}()
	_, _ = io.Copy(io.Discard, r)
	if err := cmd.Wait(); err != nil && readErr == nil {
		return nil, fmt.Errorf("git cat-file: %s", strings.TrimSpace(stderr.String()))
	}
	if readErr != nil {
		return nil, readErr
	}
	return out, nil
}
