package deps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// memFiles serves base and head contents from maps; a missing key is a
// file that does not exist on that side.
type memFiles struct {
	base, head map[string][]byte
	reads      []string
}

func (m *memFiles) Read(_ context.Context, s Side, p string) ([]byte, error) {
	m.reads = append(m.reads, fmt.Sprintf("%s:%s", sideName(s), p))
	src := m.head
	if s == Base {
		src = m.base
	}
	if b, ok := src[p]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("%s: %w", p, ErrNotExist)
}

// fixture reads testdata/dir/{base,head}.NAME into the repository path
// prefix+NAME on each side; a missing fixture file is a file absent on
// that side.
func fixture(t testing.TB, m *memFiles, dir, prefix string, names ...string) []string {
	t.Helper()
	if m.base == nil {
		m.base, m.head = map[string][]byte{}, map[string][]byte{}
	}
	var changed []string
	for _, n := range names {
		p := prefix + n
		b, errB := os.ReadFile(filepath.Join("testdata", dir, "base."+n))
		h, errH := os.ReadFile(filepath.Join("testdata", dir, "head."+n))
		if errB != nil && errH != nil {
			t.Fatalf("fixture %s/%s: no base or head", dir, n)
		}
		if errB == nil {
			m.base[p] = b
		}
		if errH == nil {
			m.head[p] = h
		}
		if errB != nil || errH != nil || string(b) != string(h) {
			changed = append(changed, p)
		}
	}
	return changed
}

// brief renders a change on one line for table comparisons.
func brief(c Change) string {
	s := fmt.Sprintf("%s %s %s %s->%s direct=%v %s:%d", c.Ecosystem, c.Name, c.Change, c.From, c.To, c.Direct, c.Path, c.Line)
	if len(c.Flags) > 0 {
		s += " [" + strings.Join(c.Flags, ",") + "]"
	}
	return s
}

func TestAnalyzeEcosystems(t *testing.T) {
	tests := []struct {
		name   string
		dir    string
		prefix string
		files  []string
		want   []string
		notes  []string
	}{
		{
			name:  "go.mod upgrades, downgrades, indirect and replace",
			dir:   "go",
			files: []string{"go.mod"},
			want: []string{
				"Go github.com/rs/zerolog downgraded v1.31.0->v1.30.0 direct=true go.mod:7",
				"Go golang.org/x/crypto downgraded v0.17.0->v0.14.0 direct=true go.mod:8",
				"Go golang.org/x/net added ->v0.17.0 direct=true go.mod:9",
				"Go github.com/example/forked added ->=> ../forked direct=true go.mod:10 [non-registry source]",
				"Go github.com/mattn/go-isatty upgraded v0.0.19->v0.0.20 direct=false go.mod:15",
				"Go golang.org/x/text added ->v0.14.0 direct=false go.mod:17",
			},
		},
		{
			name:   "package-lock.json v3 with package.json",
			dir:    "npm-lock-v3",
			prefix: "web/",
			files:  []string{"package.json", "package-lock.json"},
			want: []string{
				"npm body-parser upgraded 1.20.1->1.20.2 direct=false web/package-lock.json:19",
				"npm lodash downgraded 4.17.21->4.17.20 direct=true web/package.json:11",
				"npm left-pad added ->1.3.0 direct=true web/package.json:12 [non-registry source]",
			},
		},
		{name: "package-lock.json v1", dir: "npm-lock-v1", files: []string{"package.json", "package-lock.json"}, want: []string{
			"npm minimist downgraded 1.2.6->1.2.5 direct=true package.json:5",
		}},
		{name: "package-lock.json v2", dir: "npm-lock-v2", files: []string{"package.json", "package-lock.json"}, want: []string{
			// Version 2 also carries version 1's "dependencies"; the
			// complete "packages" is what is read, nested installs included.
			"npm ms upgraded 2.1.2->2.1.3 direct=false package-lock.json:36",
			"npm qs upgraded 6.11.0->6.11.2 direct=true package.json:5",
		}, notes: []string{"package-lock.json changed without a change to package.json: dependencies were updated or re-resolved within the manifest's ranges."}},
		{name: "yarn.lock v1", dir: "yarn-v1", files: []string{"package.json", "yarn.lock"}, want: []string{
			"npm axios added ->0.21.1 direct=true package.json:7",
			"npm follow-redirects added ->1.15.2 direct=false yarn.lock:19",
		}},
		{name: "yarn.lock berry", dir: "yarn-berry", files: []string{"package.json", "yarn.lock"}, want: []string{
			"npm semver upgraded 7.5.4->7.6.0 direct=true package.json:5",
		}},
		{name: "pnpm-lock.yaml v9", dir: "pnpm-v9", files: []string{"package.json", "pnpm-lock.yaml"}, want: []string{
			"npm jsonwebtoken added ->8.5.1 direct=true package.json:6",
			"npm typescript upgraded 5.3.3->5.4.2 direct=true package.json:9",
			"npm ms added ->2.1.3 direct=false pnpm-lock.yaml:28",
		}},
		{name: "pnpm-lock.yaml v5.4", dir: "pnpm-v6", files: []string{"package.json", "pnpm-lock.yaml"}, want: []string{
			"npm node-fetch upgraded 2.6.1->2.6.7 direct=true package.json:4",
			"npm whatwg-url added ->5.0.0 direct=false pnpm-lock.yaml:23",
			"npm tr46 added ->0.0.3 direct=false pnpm-lock.yaml:30",
			"npm webidl-conversions added ->3.0.1 direct=false pnpm-lock.yaml:34",
		}, notes: []string{"pnpm-lock.yaml changed without a change to package.json: dependencies were updated or re-resolved within the manifest's ranges."}},
		{name: "requirements.txt", dir: "requirements", files: []string{"requirements.txt"}, want: []string{
			"PyPI requests downgraded 2.31.0->2.25.0 direct=true requirements.txt:3",
			"PyPI pyyaml added ->>=5.1 direct=true requirements.txt:6 [floating version]",
			"PyPI internal-tools added ->internal-tools @ git+https://github.com/example/internal-tools.git@v1.4 direct=true requirements.txt:7 [non-registry source]",
			"PyPI helpers added ->-e git+https://github.com/example/helpers.git#egg=helpers direct=true requirements.txt:8 [non-registry source]",
		}},
		{name: "poetry.lock", dir: "poetry", files: []string{"pyproject.toml", "poetry.lock"}, want: []string{
			"PyPI jinja2 downgraded 3.1.3->3.1.2 direct=true pyproject.toml:9",
		}, notes: []string{"poetry.lock changed without a change to pyproject.toml: dependencies were updated or re-resolved within the manifest's ranges."}},
		{name: "uv.lock", dir: "uv", files: []string{"pyproject.toml", "uv.lock"}, want: []string{
			"PyPI certifi downgraded 2024.2.2->2022.12.7 direct=true pyproject.toml:6",
			"PyPI idna added ->3.6 direct=true pyproject.toml:7",
		}},
		{name: "Pipfile.lock", dir: "pipfile", files: []string{"Pipfile", "Pipfile.lock"}, want: []string{
			"PyPI flask downgraded 2.3.3->2.2.5 direct=true Pipfile:7",
		}},
		{name: "Cargo.toml and Cargo.lock", dir: "cargo", files: []string{"Cargo.toml", "Cargo.lock"}, want: []string{
			"crates.io tokio upgraded 1.28.2->1.29.1 direct=true Cargo.toml:8",
			"crates.io time added ->0.3.20 direct=true Cargo.toml:10",
			"crates.io hyper added ->0.14.27 direct=true Cargo.toml:13 [non-registry source]",
			"crates.io nix added ->0.27.1 direct=true Cargo.toml:18",
		}},
		{name: "Cargo.toml alone", dir: "cargo", files: []string{"Cargo.toml"}, want: []string{
			"crates.io time added ->0.3.20 direct=true Cargo.toml:10",
			"crates.io ingest-macros added ->path macros direct=true Cargo.toml:11 [non-registry source]",
			"crates.io hyper added ->git https://github.com/example/hyper direct=true Cargo.toml:13 [non-registry source]",
			"crates.io nix added ->0.27 direct=true Cargo.toml:18 [floating version]",
		}},
		{name: "Gemfile.lock", dir: "gemfile", files: []string{"Gemfile", "Gemfile.lock"}, want: []string{
			"RubyGems rack-attack added ->6.7.0 direct=true Gemfile.lock:5 [non-registry source]",
			"RubyGems nokogiri downgraded 1.15.5->1.13.9 direct=true Gemfile.lock:12",
			"RubyGems rack added ->3.0.8 direct=false Gemfile.lock:15",
		}},
		{name: "pom.xml", dir: "maven", files: []string{"pom.xml"}, want: []string{
			"Maven com.fasterxml.jackson.core:jackson-databind upgraded 2.15.3->2.16.1 direct=true pom.xml:11",
			"Maven junit:junit removed 4.13.2-> direct=true pom.xml:20",
			"Maven org.apache.logging.log4j:log4j-core added ->2.14.1 direct=true pom.xml:20",
			"Maven org.yaml:snakeyaml added ->[1.30,2.0) direct=true pom.xml:25 [floating version]",
		}},
		{name: "composer.lock", dir: "composer", files: []string{"composer.json", "composer.lock"}, want: []string{
			"Packagist guzzlehttp/guzzle downgraded 7.8.1->7.4.0 direct=true composer.json:7",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &memFiles{}
			changed := fixture(t, m, tc.dir, tc.prefix, tc.files...)
			rep, err := Analyze(context.Background(), changed, m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range rep.Changes {
				got = append(got, brief(c))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if !slices.Equal(rep.Notes, tc.notes) {
				t.Errorf("notes:\n%q\nwant:\n%q", rep.Notes, tc.notes)
			}
		})
	}
}
