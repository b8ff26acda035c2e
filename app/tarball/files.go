package tarball

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// MaxFileBytes bounds a file returned by Files: a larger one is generated
// or data, and is left out.
const MaxFileBytes = 4 << 20

// Files downloads owner/repo's tarball at sha and returns the contents of
// the regular files among paths, by path, without writing anything to
// disk: one API call however many files are wanted. Files stops reading
// the archive once every path was found. A path that is missing, is not a
// regular file (a symbolic link is never followed) or is over MaxFileBytes
// is left out of the map. The archive is held to the download limit and
// entry count of Limits, as for Fetch.
func (f *Fetcher) Files(ctx context.Context, owner, repo, sha string, paths []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(paths))
	if len(paths) == 0 {
		return out, nil
	}
	body, lim, err := f.open(ctx, owner, repo, sha)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	if err := extract(body, paths, lim, out); err != nil {
		return nil, fmt.Errorf("read tarball of %s/%s@%s: %w", owner, repo, sha, err)
	}
	return out, nil
}

// extract reads the wanted regular files of a gzipped tar into out.
func extract(r io.Reader, paths []string, lim Limits, out map[string][]byte) error {
	want := make(map[string]bool, len(paths))
	for _, p := range paths {
		want[p] = true
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("read gzip: %w", err)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	entries := 0
	for left := len(want); left > 0; {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if entries++; entries > lim.MaxFiles {
			return reject(hdr.Name, "more than %d entries", lim.MaxFiles)
		}
		// GitHub's archives hold one top-level directory; the paths
		// asked for are relative to it.
		_, name, ok := strings.Cut(hdr.Name, "/")
		if !ok || hdr.Typeflag != tar.TypeReg || !want[path.Clean(name)] || path.Clean(name) != name {
			continue
		}
		want[name] = false
		left--
		if hdr.Size < 0 || hdr.Size > MaxFileBytes {
			continue
		}
		b := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, b); err != nil {
			return fmt.Errorf("read %q: %w", hdr.Name, err)
		}
		out[name] = b
	}
	return nil
}

// ReadFiles returns the contents of the regular files among paths in the
// unpacked tree, by path, under the rules of Fetcher.Files: a path that is
// missing, is not a regular file, lies under a symbolic link (links are
// never followed) or is over MaxFileBytes is left out of the map. It reads
// the disk only, so the tree a test run was given can also serve the
// files a review shows around its hunks, without a second download. The
// tree must not change meanwhile: the sandbox reads it through a
// read-only view.
func (t *Tree) ReadFiles(paths []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(paths))
	if len(paths) == 0 {
		return out, nil
	}
	root, err := os.OpenRoot(t.Dir)
	if err != nil {
		return nil, fmt.Errorf("open tree %s: %w", t.Dir, err)
	}
	defer root.Close()
	for _, p := range paths {
		b, err := readRegular(root, p)
		if err != nil {
			return nil, fmt.Errorf("read %q from tree %s: %w", p, t.Dir, err)
		}
		if b != nil {
			out[p] = b
		}
	}
	return out, nil
}

// readRegular reads name from root when it is a regular file of at most
// MaxFileBytes reached through directories only; nil, nil otherwise.
func readRegular(root *os.Root, name string) ([]byte, error) {
	// The archive's entries are clean local paths; Fetcher.Files matches
	// no other spelling, and neither does this.
	if name == "" || path.Clean(name) != name || !filepath.IsLocal(name) {
		return nil, nil
	}
	// os.Root follows links that stay inside it: check each element with
	// Lstat so that a link is never followed, as in the archive.
	elems := strings.Split(name, "/")
	for i := range elems {
		fi, err := root.Lstat(strings.Join(elems[:i+1], "/"))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		last := i == len(elems)-1
		if !last && !fi.IsDir() || last && (!fi.Mode().IsRegular() || fi.Size() > MaxFileBytes) {
			return nil, nil
		}
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileBytes {
		return nil, nil
	}
	return b, nil
}
