package osv_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/deps/osv"
	"github.com/codex-review/codex-review/review/deps/osv/osvtest"
)

// lodashRecord is shaped like the GitHub advisory OSV serves for lodash's
// prototype pollution in zipObjectDeep.
var lodashRecord = osv.Record{
	ID:       "GHSA-p6mc-m468-83gw",
	Modified: "2024-01-10T05:00:00Z",
	Aliases:  []string{"CVE-2020-8203"},
	Summary:  "Prototype Pollution in lodash",
	Affected: []osv.Affected{{
		Package:  osv.Pkg{Ecosystem: "npm", Name: "lodash"},
		Ranges:   []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "3.7.0"}, {Fixed: "4.17.20"}}}},
		Versions: []string{"4.17.15", "4.17.19"},
	}},
	DatabaseSpecific: map[string]any{"severity": "HIGH"},
}

var lodashLow = osv.Record{
	ID:       "GHSA-29mw-wpgm-hmr9",
	Modified: "2024-02-01T00:00:00Z",
	Aliases:  []string{"CVE-2020-28500"},
	Summary:  "Regular Expression Denial of Service in lodash",
	Affected: []osv.Affected{{
		Package:  osv.Pkg{Ecosystem: "npm", Name: "lodash"},
		Ranges:   []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "4.0.0"}, {Fixed: "4.17.21"}}}},
		Versions: []string{"4.17.19", "4.17.20"},
	}},
	Severity: []osv.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}},
}

// goRecord and goAlias are one Go vulnerability under its Go id and its
// GitHub advisory id, as OSV serves both.
var goRecord = osv.Record{
	ID:       "GO-2023-2402",
	Aliases:  []string{"CVE-2023-48795", "GHSA-45x7-px36-x8w8"},
	Summary:  "Man-in-the-middle attacker can compromise integrity of secure channel in golang.org/x/crypto",
	Affected: []osv.Affected{{Package: osv.Pkg{Ecosystem: "Go", Name: "golang.org/x/crypto"}, Ranges: []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "0"}, {Fixed: "0.17.0"}}}}, Versions: []string{"0.14.0"}}},
}

var goAlias = osv.Record{
	ID:               "GHSA-45x7-px36-x8w8",
	Aliases:          []string{"CVE-2023-48795"},
	Summary:          "Prefix Truncation Attack against ChaCha20-Poly1305 and Encrypt-then-MAC aka Terrapin",
	Affected:         []osv.Affected{{Package: osv.Pkg{Ecosystem: "Go", Name: "golang.org/x/crypto"}, Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "0.17.0"}}}}, Versions: []string{"0.14.0"}}},
	DatabaseSpecific: map[string]any{"severity": "MODERATE"},
}

func newClient(t *testing.T, srv *osvtest.Server, opts ...osv.Option) *osv.Client {
	t.Helper()
	c, err := osv.New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLookupFindsRecordsAndFixes(t *testing.T) {
	srv := osvtest.New(lodashRecord, lodashLow, goRecord, goAlias)
	defer srv.Close()
	c := newClient(t, srv)
	lodash := deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.19"}
	crypto := deps.Package{Ecosystem: deps.Go, Name: "golang.org/x/crypto", Version: "v0.14.0"}
	clean := deps.Package{Ecosystem: deps.NPM, Name: "express", Version: "4.18.2"}
	got, err := c.Lookup(context.Background(), []deps.Package{lodash, crypto, clean})
	if err != nil {
		t.Fatal(err)
	}
	want := map[deps.Package][]deps.Vulnerability{
		lodash: {
			{ID: "GHSA-p6mc-m468-83gw", Aliases: []string{"CVE-2020-8203"}, Severity: "high", Fixed: "4.17.20", Summary: "Prototype Pollution in lodash"},
			{ID: "GHSA-29mw-wpgm-hmr9", Aliases: []string{"CVE-2020-28500"}, Severity: "moderate", Fixed: "4.17.21", Summary: "Regular Expression Denial of Service in lodash"},
		},
		// One advisory under two ids: merged, GitHub's rating kept, the
		// fix written as a Go module version.
		crypto: {{ID: "GHSA-45x7-px36-x8w8", Aliases: []string{"CVE-2023-48795", "GO-2023-2402"}, Severity: "moderate", Fixed: "v0.17.0", Summary: goAlias.Summary}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Lookup:\n got %+v\nwant %+v", got, want)
	}
	reqs := srv.Requests()
	if reqs[0].Path != "/v1/querybatch" || len(reqs[0].Queries) != 3 {
		t.Fatalf("first request %+v, want one querybatch of 3 queries", reqs[0])
	}
	if q := reqs[0].Queries[1]; q.Version != "0.14.0" || q.Ecosystem != "Go" {
		t.Errorf("Go query %+v: OSV wants Go versions without the v", q)
	}
	if n := srv.Count("/v1/vulns/"); n != 4 {
		t.Errorf("%d record requests, want 4 (one per id)", n)
	}
}

func TestLookupFollowsPagination(t *testing.T) {
	var recs []osv.Record
	for _, id := range []string{"GHSA-aaaa-0001", "GHSA-aaaa-0002", "GHSA-aaaa-0003", "GHSA-aaaa-0004", "GHSA-aaaa-0005"} {
		r := lodashRecord
		r.ID, r.Aliases = id, nil
		recs = append(recs, r)
	}
	other := osv.Record{ID: "PYSEC-2021-1", Affected: []osv.Affected{{Package: osv.Pkg{Ecosystem: "PyPI", Name: "jinja2"}, Versions: []string{"2.4.1"}}}}
	srv := osvtest.New(append(recs, other)...)
	defer srv.Close()
	srv.SetPageSize(2)
	c := newClient(t, srv)
	lodash := deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.19"}
	jinja := deps.Package{Ecosystem: deps.PyPI, Name: "jinja2", Version: "2.4.1"}
	got, err := c.Lookup(context.Background(), []deps.Package{lodash, jinja})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[lodash]) != 5 || len(got[jinja]) != 1 {
		t.Fatalf("got %d lodash and %d jinja2 advisories, want 5 and 1", len(got[lodash]), len(got[jinja]))
	}
	var pages [][]osvtest.Query
	for _, r := range srv.Requests() {
		if r.Path == "/v1/querybatch" {
			pages = append(pages, r.Queries)
		}
	}
	want := [][]osvtest.Query{
		{{Ecosystem: "npm", Name: "lodash", Version: "4.17.19"}, {Ecosystem: "PyPI", Name: "jinja2", Version: "2.4.1"}},
		{{Ecosystem: "npm", Name: "lodash", Version: "4.17.19", PageToken: "page-2"}},
		{{Ecosystem: "npm", Name: "lodash", Version: "4.17.19", PageToken: "page-4"}},
	}
	if !reflect.DeepEqual(pages, want) {
		t.Errorf("querybatch pages:\n got %+v\nwant %+v", pages, want)
	}
}

func TestLookupCachesAnswers(t *testing.T) {
	srv := osvtest.New(lodashRecord)
	defer srv.Close()
	c := newClient(t, srv)
	lodash := deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.19"}
	clean := deps.Package{Ecosystem: deps.NPM, Name: "express", Version: "4.18.2"}
	first, err := c.Lookup(context.Background(), []deps.Package{lodash, clean})
	if err != nil {
		t.Fatal(err)
	}
	before := len(srv.Requests())
	second, err := c.Lookup(context.Background(), []deps.Package{clean, lodash})
	if err != nil {
		t.Fatal(err)
	}
	if after := len(srv.Requests()); after != before {
		t.Errorf("the second lookup made %d requests, want none", after-before)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("cached answer differs:\n%+v\n%+v", first, second)
	}
	// A new version is a new question; the record is still cached.
	newer := deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.15"}
	if _, err := c.Lookup(context.Background(), []deps.Package{newer}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("/v1/vulns/"); n != 1 {
		t.Errorf("%d record requests, want 1: the record was cached", n)
	}
}

func TestLookupServerErrors(t *testing.T) {
	lodash := deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.19"}
	t.Run("one 503 is retried", func(t *testing.T) {
		srv := osvtest.New(lodashRecord)
		defer srv.Close()
		srv.Fail("/v1/querybatch", 503, 1)
		got, err := newClient(t, srv).Lookup(context.Background(), []deps.Package{lodash})
		if err != nil || len(got[lodash]) != 1 {
			t.Fatalf("got %v, %v; want the advisory after one retry", got, err)
		}
	})
	t.Run("persistent 5xx fails the lookup", func(t *testing.T) {
		srv := osvtest.New(lodashRecord)
		defer srv.Close()
		srv.Fail("/v1/vulns/", 500, 10)
		_, err := newClient(t, srv).Lookup(context.Background(), []deps.Package{lodash})
		var se *osv.StatusError
		if !errors.As(err, &se) || se.Status != 500 {
			t.Fatalf("err = %v, want a StatusError 500", err)
		}
		if !strings.Contains(err.Error(), "GET /v1/vulns/GHSA-p6mc-m468-83gw: HTTP 500") {
			t.Errorf("error %q does not say which request failed", err)
		}
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		srv := osvtest.New(lodashRecord)
		defer srv.Close()
		srv.Fail("/v1/querybatch", 429, 5)
		_, err := newClient(t, srv).Lookup(context.Background(), []deps.Package{lodash})
		if err == nil || srv.Count("/v1/querybatch") != 1 {
			t.Fatalf("err = %v after %d requests, want an error after one", err, srv.Count("/v1/querybatch"))
		}
	})
	t.Run("a failed answer is not cached", func(t *testing.T) {
		srv := osvtest.New(lodashRecord)
		defer srv.Close()
		srv.Fail("", 502, 2)
		c := newClient(t, srv)
		if _, err := c.Lookup(context.Background(), []deps.Package{lodash}); err == nil {
			t.Fatal("want an error while OSV answers 502")
		}
		got, err := c.Lookup(context.Background(), []deps.Package{lodash})
		if err != nil || len(got[lodash]) != 1 {
			t.Fatalf("got %v, %v; want the advisory once OSV recovers", got, err)
		}
	})
}

func TestLookupTimeout(t *testing.T) {
	srv := osvtest.New(lodashRecord)
	defer srv.Close()
	srv.Hang("/v1/querybatch", 1)
	c := newClient(t, srv, osv.WithTimeout(50*time.Millisecond))
	_, err := c.Lookup(context.Background(), []deps.Package{{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.19"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if !strings.Contains(err.Error(), "OSV API POST /v1/querybatch") {
		t.Errorf("error %q does not name the request", err)
	}
}

func TestLookupUnreachable(t *testing.T) {
	srv := osvtest.New()
	url := srv.URL
	srv.Close()
	c, err := osv.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lookup(context.Background(), []deps.Package{{Ecosystem: deps.NPM, Name: "lodash", Version: "1.0.0"}}); err == nil {
		t.Fatal("want an error from a closed server")
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"api.osv.dev", "ftp://api.osv.dev", "http://", "://x"} {
		if _, err := osv.New(u); err == nil || !strings.Contains(err.Error(), "OSV_API_URL") {
			t.Errorf("New(%q) = %v, want an OSV_API_URL error", u, err)
		}
	}
}

func writeRecord(t *testing.T, dir, eco string, r osv.Record) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, eco), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, eco, r.ID+".json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDirMatchesRanges(t *testing.T) {
	dir := t.TempDir()
	writeRecord(t, dir, "npm", lodashRecord)
	writeRecord(t, dir, "npm", lodashLow)
	writeRecord(t, dir, "Go", goRecord)
	writeRecord(t, dir, "Go", goAlias)
	withdrawn := osv.Record{ID: "GHSA-withdrawn", Withdrawn: "2024-01-01T00:00:00Z", Affected: lodashRecord.Affected}
	writeRecord(t, dir, "npm", withdrawn)
	pypi := osv.Record{ID: "PYSEC-2019-217", Affected: []osv.Affected{{
		Package: osv.Pkg{Ecosystem: "PyPI", Name: "Jinja2"},
		Ranges:  []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {LastAffected: "2.10.0"}}}},
	}}}
	writeRecord(t, dir, "PyPI", pypi)
	d, err := osv.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pkg   deps.Package
		ids   []string
		fixed string
	}{
		// 4.17.16 is in no versions list: the ranges decide.
		{deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.16"}, []string{"GHSA-p6mc-m468-83gw", "GHSA-29mw-wpgm-hmr9"}, "4.17.20"},
		{deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.20"}, []string{"GHSA-29mw-wpgm-hmr9"}, "4.17.21"},
		{deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.21"}, nil, ""},
		{deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "3.6.9"}, nil, ""},
		{deps.Package{Ecosystem: deps.Go, Name: "golang.org/x/crypto", Version: "v0.16.0"}, []string{"GHSA-45x7-px36-x8w8"}, "v0.17.0"},
		{deps.Package{Ecosystem: deps.Go, Name: "golang.org/x/crypto", Version: "v0.17.0"}, nil, ""},
		{deps.Package{Ecosystem: deps.PyPI, Name: "jinja2", Version: "2.10"}, []string{"PYSEC-2019-217"}, ""},
		{deps.Package{Ecosystem: deps.PyPI, Name: "jinja2", Version: "2.10.1"}, nil, ""},
		{deps.Package{Ecosystem: deps.CratesIO, Name: "time", Version: "0.1.0"}, nil, ""},
	}
	for _, tc := range tests {
		got, err := d.Lookup(context.Background(), []deps.Package{tc.pkg})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		fixed := ""
		for i, v := range got[tc.pkg] {
			ids = append(ids, v.ID)
			if i == 0 {
				fixed = v.Fixed
			}
		}
		if !reflect.DeepEqual(ids, tc.ids) || fixed != tc.fixed {
			t.Errorf("%v: ids %v fixed %q, want %v %q", tc.pkg, ids, fixed, tc.ids, tc.fixed)
		}
	}
}

func TestDirErrors(t *testing.T) {
	if _, err := osv.NewDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("NewDir accepted a missing directory")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "npm"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "npm", "BAD.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := osv.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Lookup(context.Background(), []deps.Package{{Ecosystem: deps.NPM, Name: "x", Version: "1.0.0"}})
	if err == nil || !strings.Contains(err.Error(), "BAD.json") || !strings.Contains(err.Error(), dir) {
		t.Errorf("err = %v, want one naming the malformed record and the export", err)
	}
	// A record that cannot be read: os.DirFS's error names it relative to
	// the export, which the message must name.
	if err := os.Symlink(filepath.Join(dir, "gone.json"), filepath.Join(dir, "npm", "LINK.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "npm", "BAD.json")); err != nil {
		t.Fatal(err)
	}
	if d, err = osv.NewDir(dir); err != nil {
		t.Fatal(err)
	}
	_, err = d.Lookup(context.Background(), []deps.Package{{Ecosystem: deps.NPM, Name: "x", Version: "1.0.0"}})
	if err == nil || !strings.Contains(err.Error(), "LINK.json") || !strings.Contains(err.Error(), dir) {
		t.Errorf("err = %v, want one naming the unreadable record and the export", err)
	}
}
