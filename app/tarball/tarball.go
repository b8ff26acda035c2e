// Package tarball fetches a repository's tarball at an exact commit
// through the GitHub API and unpacks it safely into a fresh, size-limited
// scratch directory for the test sandbox.
//
// The archive is pull-request content, so unpacking trusts nothing in it:
// GitHub's top-level directory is stripped; absolute paths, ".." and
// paths through a symbolic link are rejected; symbolic links must be
// relative and point inside the tree (they are created, never followed);
// hard links, devices and FIFOs are rejected (git cannot produce them);
// sizes and file counts are capped. Any violation rejects the whole
// archive: a partial tree would make the tests' result meaningless.
package tarball

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/go-github/v66/github"
)

// Default limits, used for zero fields of Limits.
const (
	// DefaultMaxArchiveBytes bounds the download (compressed).
	DefaultMaxArchiveBytes = 200 << 20
	// DefaultMaxTreeBytes bounds the unpacked files together.
	DefaultMaxTreeBytes = 1 << 30
	// DefaultMaxFiles bounds the entries (files, directories, links).
	DefaultMaxFiles = 100_000
)

// maxRedirects bounds the redirects followed for the download itself;
// the API answers with one redirect to codeload.
const maxRedirects = 3

// Limits bounds what an archive may hold.
type Limits struct {
	MaxArchiveBytes int64
	MaxTreeBytes    int64
	MaxFiles        int
}

func (l Limits) withDefaults() Limits {
	if l.MaxArchiveBytes <= 0 {
		l.MaxArchiveBytes = DefaultMaxArchiveBytes
	}
	if l.MaxTreeBytes <= 0 {
		l.MaxTreeBytes = DefaultMaxTreeBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	return l
}

// RejectedError says why an archive was refused. Entry names the archive
// entry at fault, when there is one.
type RejectedError struct {
	Entry  string
	Reason string
}

func (e *RejectedError) Error() string {
	if e.Entry == "" {
		return "tarball rejected: " + e.Reason
	}
	return fmt.Sprintf("tarball rejected: entry %q: %s", e.Entry, e.Reason)
}

func reject(entry, format string, args ...any) error {
	return &RejectedError{Entry: entry, Reason: fmt.Sprintf(format, args...)}
}

// ArchiveLinker is the part of go-github's RepositoriesService used here.
type ArchiveLinker interface {
	GetArchiveLink(ctx context.Context, owner, repo string, format github.ArchiveFormat, opts *github.RepositoryContentGetOptions, maxRedirects int) (*url.URL, *github.Response, error)
}

// Fetcher downloads and unpacks repository tarballs.
type Fetcher struct {
	// Repos asks the API for the archive's download link (an installation
	// client's Repositories service).
	Repos ArchiveLinker
	// HTTP downloads the archive. The link is pre-signed, so this client
	// must not add the installation token (nil: a plain client).
	HTTP *http.Client
	// Limits bound the archive; zero fields take the defaults.
	Limits Limits
	// BaseDir is where scratch directories are made; empty: os.TempDir().
	BaseDir string
}

// Tree is an unpacked archive.
type Tree struct {
	// Dir holds the repository's files (GitHub's top directory removed).
	Dir   string
	Files int
	Bytes int64
}

// Remove deletes the scratch directory. Links inside are removed, never
// followed.
func (t *Tree) Remove() error {
	if err := os.RemoveAll(t.Dir); err != nil {
		return fmt.Errorf("remove scratch tree %s: %w", t.Dir, err)
	}
	return nil
}

// Fetch downloads owner/repo's tarball at sha (a full commit SHA, so a
// push after the review started cannot change what is tested) and unpacks
// it into a new directory. The caller removes the Tree when done. ctx
// bounds the whole download.
func (f *Fetcher) Fetch(ctx context.Context, owner, repo, sha string) (*Tree, error) {
	body, lim, err := f.open(ctx, owner, repo, sha)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	dir, err := f.scratch()
	if err != nil {
		return nil, err
	}
	tree, err := Unpack(body, dir, lim)
	if err == nil {
		// The tar ends before the stream does; read the rest so the
		// download limit holds for the whole archive.
		_, err = io.Copy(io.Discard, body)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("unpack tarball of %s/%s@%s: %w", owner, repo, sha, err)
	}
	return tree, nil
}

// open starts the download of owner/repo's tarball at sha, a full commit
// SHA, held to the download limit of the returned Limits.
func (f *Fetcher) open(ctx context.Context, owner, repo, sha string) (io.ReadCloser, Limits, error) {
	lim := f.Limits.withDefaults()
	if !isSHA(sha) {
		return nil, lim, fmt.Errorf("fetch tarball of %s/%s: %q is not a full commit SHA", owner, repo, sha)
	}
	link, _, err := f.Repos.GetArchiveLink(ctx, owner, repo, github.Tarball, &github.RepositoryContentGetOptions{Ref: sha}, 0)
	if err != nil {
		return nil, lim, fmt.Errorf("get tarball link of %s/%s@%s: %w", owner, repo, sha, err)
	}
	body, err := f.download(ctx, link, lim.MaxArchiveBytes)
	if err != nil {
		return nil, lim, fmt.Errorf("download tarball of %s/%s@%s: %w", owner, repo, sha, err)
	}
	return body, lim, nil
}

func (f *Fetcher) download(ctx context.Context, link *url.URL, limit int64) (io.ReadCloser, error) {
	if link == nil || (link.Scheme != "https" && link.Scheme != "http") {
		return nil, fmt.Errorf("archive link %v is not an http(s) URL", link)
	}
	client := &http.Client{}
	if f.HTTP != nil {
		c := *f.HTTP
		client = &c
	}
	client.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("more than %d redirects", maxRedirects)
		}
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, reject("", "the archive is %d bytes, over the %d-byte limit", resp.ContentLength, limit)
	}
	return &cappedBody{ReadCloser: resp.Body, left: limit}, nil
}

// cappedBody fails the read once more than the limit arrived, whatever
// Content-Length said.
type cappedBody struct {
	io.ReadCloser
	left int64
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, reject("", "the archive is over the download limit")
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, reject("", "the archive is over the download limit")
	}
	return n, err
}

// scratch makes a new directory that the sandbox's unprivileged user can
// read: when the app runs as root, bwrap runs as nobody and must reach it.
func (f *Fetcher) scratch() (string, error) {
	dir, err := os.MkdirTemp(f.BaseDir, "codex-tree-")
	if err != nil {
		return "", fmt.Errorf("make scratch directory: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("make scratch directory: %w", err)
	}
	return dir, nil
}

func isSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Unpack reads a gzipped tar from r into dest, which must exist and be
// empty, under the rules in the package comment. On error dest may hold
// part of the tree; the caller removes it.
func Unpack(r io.Reader, dest string, lim Limits) (*Tree, error) {
	lim = lim.withDefaults()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read gzip: %w", err)
	}
	defer gz.Close()
	root, err := os.OpenRoot(dest)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dest, err)
	}
	defer root.Close()
	u := &unpacker{root: root, lim: lim, links: map[string]bool{}, dirs: map[string]bool{".": true}}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read tar: %w", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return nil, err
		}
	}
	return &Tree{Dir: dest, Files: u.files, Bytes: u.bytes}, nil
}

type unpacker struct {
	root   *os.Root
	lim    Limits
	top    string
	files  int
	bytes  int64
	links  map[string]bool
	dirs   map[string]bool
	seen   int
	topSet bool
}

func (u *unpacker) entry(hdr *tar.Header, body io.Reader) error {
	// GitHub puts the commit SHA in a pax global header; it is not a file.
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	u.seen++
	if u.seen > u.lim.MaxFiles {
		return reject(hdr.Name, "more than %d entries", u.lim.MaxFiles)
	}
	name, err := u.strip(hdr.Name)
	if err != nil {
		return err
	}
	if name == "." {
		if hdr.Typeflag != tar.TypeDir {
			return reject(hdr.Name, "the top-level entry is not a directory")
		}
		return nil
	}
	if err := u.checkParents(hdr.Name, name); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if u.dirs[name] {
			return nil
		}
		if err := u.mkdir(name); err != nil {
			return fmt.Errorf("unpack %q: %w", hdr.Name, err)
		}
	case tar.TypeReg:
		if hdr.Size < 0 || hdr.Size > u.lim.MaxTreeBytes-u.bytes {
			return reject(hdr.Name, "the files are over the %d-byte limit", u.lim.MaxTreeBytes)
		}
		if err := u.writeFile(name, hdr, body); err != nil {
			return err
		}
		u.bytes += hdr.Size
		u.files++
	case tar.TypeSymlink:
		if err := checkLinkTarget(name, hdr.Linkname); err != nil {
			return reject(hdr.Name, "%v", err)
		}
		if err := u.root.Symlink(hdr.Linkname, name); err != nil {
			return fmt.Errorf("unpack %q: %w", hdr.Name, err)
		}
		u.links[name] = true
	case tar.TypeLink:
		return reject(hdr.Name, "hard links are not accepted")
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return reject(hdr.Name, "device files and FIFOs are not accepted")
	default:
		return reject(hdr.Name, "unsupported entry type %q", hdr.Typeflag)
	}
	return nil
}

// strip removes GitHub's top-level directory ("owner-repo-sha/") and
// checks that what remains is a local path.
func (u *unpacker) strip(raw string) (string, error) {
	if strings.ContainsRune(raw, 0) || strings.HasPrefix(raw, "/") {
		return "", reject(raw, "absolute or malformed path")
	}
	for elem := range strings.SplitSeq(raw, "/") {
		if elem == ".." {
			return "", reject(raw, "path contains \"..\"")
		}
	}
	clean := path.Clean(raw)
	top, rest, _ := strings.Cut(clean, "/")
	if !u.topSet {
		u.top, u.topSet = top, true
	}
	// A ".." element was refused above, so top is a plain name.
	if top != u.top {
		return "", reject(raw, "outside the archive's single top-level directory %q", u.top)
	}
	if rest == "" {
		return ".", nil
	}
	// filepath.IsLocal rejects "..", absolute paths and empty names.
	if !filepath.IsLocal(rest) {
		return "", reject(raw, "path escapes the tree")
	}
	return rest, nil
}

// checkParents makes sure no parent of name is a link (writing through it
// would follow it) and creates missing parents, which GitHub's archives
// always list first but other tars may not.
func (u *unpacker) checkParents(raw, name string) error {
	parent := path.Dir(name)
	var missing []string
	for p := parent; p != "."; p = path.Dir(p) {
		if u.links[p] {
			return reject(raw, "path goes through the symbolic link %q", p)
		}
		if !u.dirs[p] {
			missing = append(missing, p)
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := u.mkdir(missing[i]); err != nil {
			return fmt.Errorf("unpack %q: %w", raw, err)
		}
	}
	if u.links[name] {
		// A second entry for a link's path could write through it.
		return reject(raw, "duplicate entry")
	}
	return nil
}

// mkdir creates a directory the sandbox's user can read and search,
// whatever the umask.
func (u *unpacker) mkdir(name string) error {
	if err := u.root.Mkdir(name, 0o755); err != nil {
		return err
	}
	u.dirs[name] = true
	return u.root.Chmod(name, 0o755)
}

func (u *unpacker) writeFile(name string, hdr *tar.Header, body io.Reader) error {
	mode := fs.FileMode(0o644)
	if hdr.Mode&0o111 != 0 {
		mode = 0o755
	}
	// O_EXCL: never open an existing path, which could be a link.
	f, err := u.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return reject(hdr.Name, "duplicate entry")
		}
		return fmt.Errorf("unpack %q: %w", hdr.Name, err)
	}
	n, err := io.Copy(f, io.LimitReader(body, hdr.Size))
	cerr := f.Close()
	if err != nil {
		return fmt.Errorf("unpack %q: %w", hdr.Name, err)
	}
	if cerr != nil {
		return fmt.Errorf("unpack %q: %w", hdr.Name, cerr)
	}
	if n != hdr.Size {
		return fmt.Errorf("unpack %q: archive ended after %d of %d bytes", hdr.Name, n, hdr.Size)
	}
	// The umask may have narrowed the mode; the sandbox's user needs read.
	if err := u.root.Chmod(name, mode); err != nil {
		return fmt.Errorf("unpack %q: %w", hdr.Name, err)
	}
	return nil
}

// checkLinkTarget accepts relative targets that stay inside the tree when
// read from the link's own directory. Inside the sandbox even a link that
// escapes resolves only within the sandbox's view, but nothing on the
// host should ever meet one.
func checkLinkTarget(name, target string) error {
	if target == "" || strings.ContainsRune(target, 0) {
		return errors.New("empty or malformed link target")
	}
	if path.IsAbs(target) {
		return fmt.Errorf("symbolic link to the absolute path %q", target)
	}
	resolved := path.Join(path.Dir(name), target)
	if !filepath.IsLocal(resolved) {
		return fmt.Errorf("symbolic link to %q points outside the tree", target)
	}
	return nil
}
