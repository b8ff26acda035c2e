package tarball

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v66/github"
)

const testSHA = "0123456789abcdef0123456789abcdef01234567"

// entry is one tar entry; body is the content of regular files.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
	size             int64 // overrides len(body) in the header when set
}

func file(name, body string) entry { return entry{name: name, body: body, typ: tar.TypeReg} }
func dir(name string) entry        { return entry{name: name, typ: tar.TypeDir} }
func symlink(name, target string) entry {
	return entry{name: name, link: target, typ: tar.TypeSymlink}
}

// archive builds a gzipped tar the way GitHub does: a pax global header
// with the commit, then everything under one top-level directory.
func archive(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": testSHA}}); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if e.size != 0 {
			hdr.Size = e.size
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.body != "" {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A header that promises more bytes than written cannot be closed
	// cleanly; the truncated stream is what such a test wants.
	_ = tw.Close()
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestUnpackAccepts(t *testing.T) {
	data := archive(t,
		dir("o-r-0123456/"),
		file("o-r-0123456/go.mod", "module x\n"),
		dir("o-r-0123456/cmd/"),
		entry{name: "o-r-0123456/cmd/run.sh", body: "#!/bin/sh\n", typ: tar.TypeReg, mode: 0o700},
		entry{name: "o-r-0123456/secret.txt", body: "private", typ: tar.TypeReg, mode: 0o600},
		file("o-r-0123456/deep/er/x.txt", "parents are created"),
		symlink("o-r-0123456/cmd/mod", "../go.mod"),
		symlink("o-r-0123456/self", "."),
	)
	dest := t.TempDir()
	tree, err := Unpack(bytes.NewReader(data), dest, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if tree.Files != 4 || tree.Bytes != int64(len("module x\n#!/bin/sh\nprivateparents are created")) {
		t.Errorf("tree = %+v", tree)
	}
	checks := []struct {
		path string
		mode os.FileMode
	}{
		{"go.mod", 0o644}, {"cmd", os.ModeDir | 0o755}, {"cmd/run.sh", 0o755}, {"secret.txt", 0o644},
		{"deep/er", os.ModeDir | 0o755}, {"cmd/mod", os.ModeSymlink | 0o777},
	}
	for _, c := range checks {
		fi, err := os.Lstat(filepath.Join(dest, c.path))
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if fi.Mode() != c.mode {
			t.Errorf("%s: mode %v, want %v", c.path, fi.Mode(), c.mode)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dest, "cmd/mod")); err != nil || string(b) != "module x\n" {
		t.Errorf("link read %q, %v", b, err)
	}
}

func TestUnpackRejects(t *testing.T) {
	top := dir("o-r-0123456/")
	outside := filepath.Join(t.TempDir(), "outside")
	tests := []struct {
		name    string
		entries []entry
		limits  Limits
		want    string
	}{
		{"dot-dot entry", []entry{top, file("o-r-0123456/../../escape.txt", "x")}, Limits{}, `contains ".."`},
		{"dot-dot inside", []entry{top, file("o-r-0123456/a/../../escape.txt", "x")}, Limits{}, `contains ".."`},
		{"dot-dot top", []entry{file("../escape.txt", "x")}, Limits{}, `contains ".."`},
		{"dot-dot that cleans inside", []entry{top, file("o-r-0123456/a/../b.txt", "x")}, Limits{}, `contains ".."`},
		{"absolute path", []entry{top, file("/etc/passwd", "x")}, Limits{}, "absolute"},
		{"absolute link", []entry{top, symlink("o-r-0123456/l", outside)}, Limits{}, "absolute path"},
		{"link out by dot-dot", []entry{top, symlink("o-r-0123456/sub/l", "../../x")}, Limits{}, "points outside the tree"},
		{"write through a link", []entry{top, dir("o-r-0123456/sub/"), symlink("o-r-0123456/l", "sub"), file("o-r-0123456/l/x", "x")}, Limits{}, "through the symbolic link"},
		{"file replacing a link", []entry{top, symlink("o-r-0123456/l", "x"), file("o-r-0123456/l", "x")}, Limits{}, "duplicate entry"},
		{"duplicate file", []entry{top, file("o-r-0123456/a", "x"), file("o-r-0123456/a", "y")}, Limits{}, "duplicate entry"},
		{"hard link", []entry{top, file("o-r-0123456/a", "x"), {name: "o-r-0123456/b", link: "o-r-0123456/a", typ: tar.TypeLink}}, Limits{}, "hard links"},
		{"device", []entry{top, {name: "o-r-0123456/null", typ: tar.TypeChar}}, Limits{}, "device"},
		{"fifo", []entry{top, {name: "o-r-0123456/p", typ: tar.TypeFifo}}, Limits{}, "FIFO"},
		{"second top directory", []entry{top, file("other/a", "x")}, Limits{}, "single top-level directory"},
		{"file over the limit", []entry{top, file("o-r-0123456/big", strings.Repeat("x", 100))}, Limits{MaxTreeBytes: 99}, "over the 99-byte limit"},
		{"huge header", []entry{top, {name: "o-r-0123456/huge", typ: tar.TypeReg, size: 1 << 40}}, Limits{}, "over the"},
		{"too many entries", []entry{top, file("o-r-0123456/a", ""), file("o-r-0123456/b", "")}, Limits{MaxFiles: 2}, "more than 2 entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dest := t.TempDir()
			_, err := Unpack(bytes.NewReader(archive(t, tt.entries...)), dest, tt.limits)
			var rej *RejectedError
			if !errors.As(err, &rej) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a rejection containing %q", err, tt.want)
			}
			if _, err := os.Lstat(outside); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("something was written outside the tree: %v", err)
			}
		})
	}
}

func TestUnpackNotGzip(t *testing.T) {
	if _, err := Unpack(strings.NewReader("plain text"), t.TempDir(), Limits{}); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Fatalf("err = %v", err)
	}
}

// fakeGitHub answers the tarball endpoint with a redirect to a download
// URL, as api.github.com does (to codeload.github.com).
func fakeGitHub(t *testing.T, body []byte, chunked bool) (*github.Client, *[]string) {
	t.Helper()
	var seen []string
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("GET /repos/o/r/tarball/{ref}", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Path)
		if r.PathValue("ref") != testSHA {
			http.NotFound(w, r)
			return
		}
		http.Redirect(w, r, srv.URL+"/codeload/o/r/legacy.tar.gz/"+testSHA+"?token=signed", http.StatusFound)
	})
	mux.HandleFunc("GET /codeload/o/r/legacy.tar.gz/{ref}", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Path)
		if r.Header.Get("Authorization") != "" {
			t.Error("the download carried an Authorization header")
		}
		if chunked {
			w.(http.Flusher).Flush()
		}
		_, _ = w.Write(body)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := github.NewClient(srv.Client())
	base, err := url.Parse(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	client.BaseURL = base
	return client, &seen
}

func TestFetch(t *testing.T) {
	data := archive(t, dir("o-r-0123456/"), file("o-r-0123456/main_test.go", "package main\n"))
	tests := []struct {
		name    string
		sha     string
		limits  Limits
		chunked bool
		want    string // error substring; empty means success
	}{
		{name: "ok", sha: testSHA},
		{name: "ok chunked", sha: testSHA, chunked: true},
		{name: "over the download limit", sha: testSHA, limits: Limits{MaxArchiveBytes: int64(len(data) - 1)}, want: "over the"},
		{name: "over the download limit chunked", sha: testSHA, limits: Limits{MaxArchiveBytes: int64(len(data) - 1)}, chunked: true, want: "over the download limit"},
		{name: "unknown commit", sha: strings.Repeat("f", 40), want: "get tarball link"},
		{name: "not a SHA", sha: "main", want: "not a full commit SHA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, seen := fakeGitHub(t, data, tt.chunked)
			base := t.TempDir()
			f := &Fetcher{Repos: client.Repositories, Limits: tt.limits, BaseDir: base}
			tree, err := f.Fetch(context.Background(), "o", "r", tt.sha)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				if left, _ := os.ReadDir(base); len(left) != 0 {
					t.Errorf("scratch directories left behind: %v", left)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(tree.Dir, "main_test.go")); err != nil || string(b) != "package main\n" {
				t.Errorf("file = %q, %v", b, err)
			}
			if fi, err := os.Stat(tree.Dir); err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("scratch dir mode: %v, %v", fi.Mode(), err)
			}
			if want := []string{"/repos/o/r/tarball/" + testSHA, "/codeload/o/r/legacy.tar.gz/" + testSHA}; strings.Join(*seen, " ") != strings.Join(want, " ") {
				t.Errorf("requests = %v, want %v", *seen, want)
			}
			if err := tree.Remove(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(tree.Dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("tree not removed: %v", err)
			}
		})
	}
}

func FuzzUnpack(f *testing.F) {
	f.Add(archive(f, dir("o-r-1/"), file("o-r-1/a", "x"), symlink("o-r-1/l", "a")))
	f.Add(archive(f, dir("o-r-1/"), file("o-r-1/../a", "x")))
	f.Fuzz(func(t *testing.T, data []byte) {
		dest := t.TempDir()
		parent := filepath.Dir(dest)
		before, _ := os.ReadDir(parent)
		_, _ = Unpack(bytes.NewReader(data), dest, Limits{MaxTreeBytes: 1 << 20, MaxFiles: 100})
		after, _ := os.ReadDir(parent)
		if len(after) != len(before) {
			t.Fatalf("unpack wrote beside the tree: %v", after)
		}
	})
}
