package tarball

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
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
