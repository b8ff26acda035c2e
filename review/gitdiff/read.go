package gitdiff

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Change is a diff with the revisions of its two sides, so that the files
// it touches can be read as they were and as they are.
type Change struct {
	Diff []byte
	// Base is the commit (or the empty tree) the diff starts from.
	Base string
	// Head is the commit the diff ends at, or "" for the working tree.
	Head string
}

// ReadFile returns the content of path (relative to the repository root)
// at rev, or in the working tree when rev is "". A file that does not
// exist there is an error matching fs.ErrNotExist; a file larger than max
// bytes is an error, read no further. Paths that leave the repository are
// refused, and a working-tree symbolic link that points outside it is not
// followed.
func (r *Repo) ReadFile(ctx context.Context, rev, path string, max int64) ([]byte, error) {
	if !filepath.IsLocal(filepath.FromSlash(path)) {
		return nil, fmt.Errorf("read %q: not a path inside the repository", path)
	}
	if rev == "" {
		return r.readWorkingTree(path, max)
	}
	if err := checkRef(rev); err != nil {
		return nil, err
	}
	// ls-tree tells a missing path (no output) from a failure, and gives
	// the blob's size before any of it is read.
	out, err := run(ctx, r.Dir, nil, "ls-tree", "-l", "-z", rev, "--", path)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", path, rev, err)
	}
	meta, _, _ := strings.Cut(strings.TrimRight(string(out), "\x00"), "\t")
	f := strings.Fields(meta)
	if len(f) != 4 || f[1] != "blob" {
		return nil, fmt.Errorf("read %s at %s: %w", path, rev, fs.ErrNotExist)
	}
	if size, err := strconv.ParseInt(f[3], 10, 64); err != nil || size > max {
		return nil, fmt.Errorf("read %s at %s: %s bytes, over the %d-byte limit", path, rev, f[3], max)
	}
	data, err := run(ctx, r.Dir, nil, "cat-file", "blob", f[2])
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", path, rev, err)
	}
	return data, nil
}

func (r *Repo) readWorkingTree(path string, max int64) ([]byte, error) {
	root, err := os.OpenRoot(r.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(path))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: %w", path, fs.ErrNotExist)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("read %s: over the %d-byte limit", path, max)
	}
	return data, nil
}
