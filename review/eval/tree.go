package eval

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/gitdiff"
)

// Head gives the engine the head version of a tree case's files, as the
// review command gives it the working tree's, so that the model sees the
// code around each hunk; nil for a change.diff case, which, like
// 'codex-review review --diff', has no files to read.
func (c *Case) Head() review.HeadFiles {
	if !c.FromTrees {
		return nil
	}
	return headTree{c.tree(HeadDir)}
}

// Sides gives the dependency analysis both versions of a tree case's
// files, as the review command gives it both sides of a git change; nil
// for a change.diff case.
func (c *Case) Sides() deps.Files {
	if !c.FromTrees {
		return nil
	}
	return sides{base: c.tree(BaseDir), head: c.tree(HeadDir)}
}

// Advisories is the advisory database of a tree case that bundles one in
// osv/ (laid out as CODEX_OSV_DIR), so that its dependency findings are
// the same on every machine, online or not; nil when the case has none
// and the caller's usual source applies.
func (c *Case) Advisories() deps.Advisories {
	if c.advisories == nil {
		return nil
	}
	return c.advisories
}

func (c *Case) tree(name string) tree { return tree{fsys: c.fsys, dir: path.Join(c.dir, name)} }

// tree reads the files of a case's base/ or head/ directory.
type tree struct {
	fsys fs.FS
	dir  string
}

// read returns the regular file p, at most limit bytes. A path that is not
// clean, or that reaches its file through a symbolic link, is treated as
// missing (fs.ErrNotExist): os.DirFS would follow the link out of the case.
func (t tree) read(p string, limit int64) ([]byte, error) {
	if !fs.ValidPath(p) || p == "." || !t.noLinks(p) {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return readLimited(t.fsys, path.Join(t.dir, p), limit)
}

// noLinks reports whether every directory on the way to p is a directory
// and p itself a regular file, none of them a symbolic link.
func (t tree) noLinks(p string) bool {
	parts := strings.Split(p, "/")
	cur := t.dir
	for i, part := range parts {
		cur = path.Join(cur, part)
		st, err := fs.Lstat(t.fsys, cur)
		if err != nil {
			return false
		}
		last := i == len(parts)-1
		if (last && !st.Mode().IsRegular()) || (!last && !st.IsDir()) {
			return false
		}
	}
	return true
}

// headTree is review.HeadFiles over a case's head/.
type headTree struct{ tree }

// HeadFiles returns the regular files among paths, at most
// gitdiff.MaxFileBytes each; the others are left out.
func (h headTree) HeadFiles(ctx context.Context, paths []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if b, err := h.read(p, gitdiff.MaxFileBytes); err == nil {
			out[p] = b
		}
	}
	return out, nil
}

// sides is deps.Files over a case's base/ and head/.
type sides struct{ base, head tree }

// Read returns a file of one side, fs.ErrNotExist when it is not there.
func (s sides) Read(ctx context.Context, side deps.Side, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := s.head
	if side == deps.Base {
		t = s.base
	}
	return t.read(p, deps.DefaultMaxFileBytes)
}
