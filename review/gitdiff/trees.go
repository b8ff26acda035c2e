package gitdiff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// isolated keeps the user's and the system's git configuration out of a
// diff of two trees, so that the same trees give the same diff on every
// machine (core.autocrlf, for one, would change the content). The pinned
// settings of every git call still apply.
var isolated = []string{"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull}

// TreeLimits bound the work of Trees.
type TreeLimits struct {
	// MaxBytes caps the total size of the files of both trees; 0 means no
	// cap.
	MaxBytes int64
}

// Trees returns the diff that turns the directory base of fsys into the
// directory head, in the same git format, with the same rename detection,
// as the review command's diffs: the base tree plays the committed state
// and the head tree the working tree. Regular files keep their executable
// bit; symbolic links are diffed as links (their target is never read),
// and only when fsys can report them (fs.ReadLinkFS, as os.DirFS does).
// Anything named .git is skipped. It needs git, and a scratch directory
// that it removes before returning.
func Trees(ctx context.Context, fsys fs.FS, base, head string, lim TreeLimits) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "codex-review-trees-")
	if err != nil {
		return nil, fmt.Errorf("make a scratch repository: %w", err)
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		return nil, err
	}
	git := func(args ...string) ([]byte, error) {
		// The repository lives beside the work tree, so that clearing the
		// work tree between the two snapshots cannot touch it.
		full := append([]string{"--git-dir=" + filepath.Join(tmp, "git"), "--work-tree=" + work}, args...)
		return runEnv(ctx, work, isolated, nil, full...)
	}
	if _, err := runEnv(ctx, tmp, isolated, nil, "init", "-q", "--bare", filepath.Join(tmp, "git")); err != nil {
		return nil, err
	}
	budget := lim.MaxBytes
	snapshot := func(dir string) (string, error) {
		if err := clearDir(work); err != nil {
			return "", err
		}
		if err := copyTree(fsys, dir, work, &budget, lim.MaxBytes); err != nil {
			return "", err
		}
		// Ignored files stay out, as they do from the review command's
		// view of a working tree.
		if _, err := git("add", "--all", "."); err != nil {
			return "", err
		}
		tree, err := git("write-tree")
		return strings.TrimSpace(string(tree)), err
	}
	from, err := snapshot(base)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", base, err)
	}
	to, err := snapshot(head)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", head, err)
	}
	args := append(append([]string{"diff"}, diffFlags...), from, to, "--")
	out, err := git(args...)
	if err != nil {
		return nil, fmt.Errorf("diff %s against %s: %w", head, base, err)
	}
	return out, nil
}

// clearDir removes everything inside dir.
func clearDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// copyTree copies the directory src of fsys into dst, charging file sizes
// to budget when limit is set.
func copyTree(fsys fs.FS, src, dst string, budget *int64, limit int64) error {
	return fs.WalkDir(fsys, src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, src), "/")
		if d.Name() == ".git" && rel != "" {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		switch t := d.Type(); {
		case d.IsDir():
			if rel == "" {
				return nil
			}
			return os.Mkdir(target, 0o755)
		case t&fs.ModeSymlink != 0:
			rl, ok := fsys.(fs.ReadLinkFS)
			if !ok {
				return fmt.Errorf("%s is a symbolic link, which this corpus cannot hold", p)
			}
			link, err := rl.ReadLink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case t.IsRegular():
			return copyFile(fsys, p, target, budget, limit)
		default:
			return fmt.Errorf("%s is not a regular file, directory or symbolic link", p)
		}
	})
}

func copyFile(fsys fs.FS, src, dst string, budget *int64, limit int64) error {
	in, err := fsys.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if st.Mode()&0o111 != 0 {
		mode = 0o755
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	var r io.Reader = in
	if limit > 0 {
		r = io.LimitReader(in, *budget+1)
	}
	n, err := io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if limit > 0 {
		*budget -= n
		if *budget < 0 {
			return fmt.Errorf("%w of %d MiB", errTreesTooLarge, limit>>20)
		}
	}
	return nil
}

var errTreesTooLarge = errors.New("the trees are larger than the limit")
