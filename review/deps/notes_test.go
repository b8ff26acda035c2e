package deps

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestPairingNotes(t *testing.T) {
	pkgJSON := func(lodash string) []byte {
		return []byte(`{"name": "a", "dependencies": {"lodash": "` + lodash + `"}}`)
	}
	lock := []byte(`{"lockfileVersion": 3, "packages": {"": {"name": "a"}, "node_modules/lodash": {"version": "4.17.21"}}}`)
	lock2 := []byte(`{"lockfileVersion": 3, "packages": {"": {"name": "a"}, "node_modules/lodash": {"version": "4.17.20"}}}`)
	tests := []struct {
		name       string
		base, head map[string][]byte
		want       []string
	}{
		{
			name: "manifest dependencies changed, lockfile not",
			base: map[string][]byte{"package.json": pkgJSON("^4.17.0"), "package-lock.json": lock},
			head: map[string][]byte{"package.json": pkgJSON("^4.17.21"), "package-lock.json": lock},
			want: []string{"package.json changes its dependencies but package-lock.json was not updated."},
		},
		{
			name: "manifest changed elsewhere",
			base: map[string][]byte{"package.json": []byte(`{"name": "a", "version": "1.0.0", "dependencies": {"lodash": "^4"}}`), "package-lock.json": lock},
			head: map[string][]byte{"package.json": []byte(`{"name": "a", "version": "1.1.0", "dependencies": {"lodash": "^4"}}`), "package-lock.json": lock},
		},
		{
			name: "lockfile changed alone",
			base: map[string][]byte{"package.json": pkgJSON("^4.17.0"), "package-lock.json": lock},
			head: map[string][]byte{"package.json": pkgJSON("^4.17.0"), "package-lock.json": lock2},
			want: []string{"package-lock.json changed without a change to package.json: dependencies were updated or re-resolved within the manifest's ranges."},
		},
		{
			name: "go.mod changed, go.sum not",
			base: map[string][]byte{"go.mod": []byte("module m\n\nrequire example.com/a v1.0.0\n"), "go.sum": []byte("example.com/a v1.0.0 h1:x=\n")},
			head: map[string][]byte{"go.mod": []byte("module m\n\nrequire example.com/a v1.1.0\n"), "go.sum": []byte("example.com/a v1.0.0 h1:x=\n")},
			want: []string{"go.mod changes its dependencies but go.sum was not updated."},
		},
		{
			name: "Gemfile changed, Gemfile.lock not",
			base: map[string][]byte{"Gemfile": []byte("gem 'rails'\n"), "Gemfile.lock": []byte("GEM\n  specs:\n    rails (7.0.8)\n\nDEPENDENCIES\n  rails\n")},
			head: map[string][]byte{"Gemfile": []byte("gem 'rails'\ngem 'puma'\n"), "Gemfile.lock": []byte("GEM\n  specs:\n    rails (7.0.8)\n\nDEPENDENCIES\n  rails\n")},
			want: []string{"Gemfile changed but Gemfile.lock did not: if the change touches dependencies, the lockfile is out of date."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &memFiles{base: tc.base, head: tc.head}
			var changed []string
			for p := range tc.head {
				if string(tc.base[p]) != string(tc.head[p]) {
					changed = append(changed, p)
				}
			}
			rep, err := Analyze(context.Background(), changed, m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rep.Notes, tc.want) {
				t.Errorf("notes %q, want %q", rep.Notes, tc.want)
			}
		})
	}
}

type failingFiles struct{ err error }

func (f failingFiles) Read(context.Context, Side, string) ([]byte, error) { return nil, f.err }

func TestUnreadableFilesBecomeNotes(t *testing.T) {
	rep, err := Analyze(context.Background(), []string{"svc/go.mod", "README.md"}, failingFiles{errors.New("HTTP 502")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changes) != 0 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "svc/go.mod") || !strings.Contains(rep.Notes[0], "HTTP 502") {
		t.Errorf("report %+v, want one note naming the file and the error", rep)
	}
	if !reflect.DeepEqual(rep.Files, []string{"svc/go.mod"}) {
		t.Errorf("files %v, want only the dependency file", rep.Files)
	}

	m := &memFiles{base: map[string][]byte{"package-lock.json": []byte(`{"lockfileVersion": 3, "packages": {}}`)}, head: map[string][]byte{"package-lock.json": []byte(`{"lockfileVersion": 3, "packages": {`)}}
	rep, err = Analyze(context.Background(), []string{"package-lock.json"}, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changes) != 0 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "parse package-lock.json at head") {
		t.Errorf("report %+v, want a parse note and no changes", rep)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Analyze(ctx, []string{"go.mod"}, failingFiles{context.Canceled}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want the context's", err)
	}
}

func TestOversizedFileIsSkipped(t *testing.T) {
	m := &memFiles{base: map[string][]byte{}, head: map[string][]byte{"go.mod": []byte("module m\n\nrequire example.com/a v1.0.0\n")}}
	rep, err := Analyze(context.Background(), []string{"go.mod"}, m, Options{MaxFileBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changes) != 0 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "over the 10-byte limit") {
		t.Errorf("report %+v, want a size note", rep)
	}
}

// fakeAdvisories answers from a table and records what it was asked.
type fakeAdvisories struct {
	vulns map[Package][]Vulnerability
	err   error
	asked []Package
}

func (f *fakeAdvisories) Lookup(_ context.Context, pkgs []Package) (map[Package][]Vulnerability, error) {
	f.asked = append(f.asked, pkgs...)
	return f.vulns, f.err
}

func TestVulnerabilitiesAttached(t *testing.T) {
	m := &memFiles{}
	changed := fixture(t, m, "npm-lock-v3", "", "package.json", "package-lock.json")
	lodash := Package{Ecosystem: NPM, Name: "lodash", Version: "4.17.20"}
	v := Vulnerability{ID: "GHSA-29mw-wpgm-hmr9", Aliases: []string{"CVE-2020-28500"}, Severity: SeverityModerate, Fixed: "4.17.21"}
	adv := &fakeAdvisories{vulns: map[Package][]Vulnerability{lodash: {v}}}
	rep, err := Analyze(context.Background(), changed, m, Options{Advisories: adv})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Checked || rep.NotChecked != "" {
		t.Errorf("Checked %v %q, want checked", rep.Checked, rep.NotChecked)
	}
	var asked []string
	for _, p := range adv.asked {
		asked = append(asked, fmt.Sprintf("%s@%s", p.Name, p.Version))
	}
	slices.Sort(asked)
	// Every added or changed version that is one concrete version; not
	// the removed ones.
	if want := []string{"body-parser@1.20.2", "left-pad@1.3.0", "lodash@4.17.20"}; !slices.Equal(asked, want) {
		t.Errorf("asked %v, want %v", asked, want)
	}
	for _, c := range rep.Changes {
		want := []Vulnerability{}
		if c.Name == "lodash" {
			want = []Vulnerability{v}
		}
		if !reflect.DeepEqual(c.Vulnerabilities, want) {
			t.Errorf("%s: vulnerabilities %+v, want %+v", c.Name, c.Vulnerabilities, want)
		}
	}

	adv = &fakeAdvisories{err: errors.New("OSV API POST /v1/querybatch: HTTP 503")}
	rep, err = Analyze(context.Background(), changed, m, Options{Advisories: adv})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked || rep.NotChecked != "OSV API POST /v1/querybatch: HTTP 503" || len(rep.Changes) != 3 {
		t.Errorf("report %+v, want the changes and the reason vulnerabilities were not checked", rep)
	}

	rep, err = Analyze(context.Background(), changed, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked || rep.NotChecked == "" {
		t.Errorf("without advisories: Checked %v %q, want a reason", rep.Checked, rep.NotChecked)
	}
}
