package osv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/codex-review/codex-review/review/deps"
)

// Dir looks up vulnerabilities in an offline copy of the OSV database:
// OSV's per-ecosystem export (the all.zip of each ecosystem) unzipped into
// a directory per ecosystem, named as OSV names them:
//
//	$CODEX_OSV_DIR/npm/GHSA-….json
//	$CODEX_OSV_DIR/PyPI/PYSEC-….json
//	$CODEX_OSV_DIR/Go/GO-….json
//
// An ecosystem's records are read once, on its first lookup, and indexed
// by package name; an ecosystem without a directory has no known
// vulnerabilities.
type Dir struct {
	root string

	mu    sync.Mutex
	index map[string]*ecosystemIndex
}

type ecosystemIndex struct {
	once    sync.Once
	err     error
	records map[string][]*Record // by package name in its normal form
}

// NewDir returns a lookup over the export at root, which must be a
// directory.
func NewDir(root string) (*Dir, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("CODEX_OSV_DIR: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("CODEX_OSV_DIR %s: not a directory", root)
	}
	return &Dir{root: root, index: map[string]*ecosystemIndex{}}, nil
}

// Lookup implements deps.Advisories.
func (d *Dir) Lookup(ctx context.Context, pkgs []deps.Package) (map[deps.Package][]deps.Vulnerability, error) {
	out := map[deps.Package][]deps.Vulnerability{}
	for _, p := range pkgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx, err := d.ecosystem(p.Ecosystem)
		if err != nil {
			return nil, err
		}
		var vs []deps.Vulnerability
		for _, r := range idx.records[nameKey(p.Ecosystem, p.Name)] {
			if ok, fixed := r.matches(p); ok {
				vs = append(vs, r.vulnerability(displayFixed(p.Ecosystem, fixed)))
			}
		}
		if len(vs) > 0 {
			out[p] = merge(vs)
		}
	}
	return out, nil
}

func nameKey(eco, name string) string {
	switch eco {
	case deps.PyPI:
		return pypiNormal(name)
	case deps.Packagist:
		return strings.ToLower(name)
	}
	return name
}

// ecosystem loads (once) the index of one ecosystem's directory.
func (d *Dir) ecosystem(eco string) (*ecosystemIndex, error) {
	d.mu.Lock()
	idx, ok := d.index[eco]
	if !ok {
		idx = &ecosystemIndex{}
		d.index[eco] = idx
	}
	d.mu.Unlock()
	idx.once.Do(func() { idx.records, idx.err = loadEcosystem(filepath.Join(d.root, eco), eco) })
	return idx, idx.err
}

func loadEcosystem(dir, eco string) (map[string][]*Record, error) {
	out := map[string][]*Record{}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("CODEX_OSV_DIR: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("CODEX_OSV_DIR: %w", err)
		}
		var r Record
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("CODEX_OSV_DIR: %s: %w", filepath.Join(filepath.Base(dir), e.Name()), err)
		}
		seen := map[string]bool{}
		for _, a := range r.Affected {
			if baseEcosystem(a.Package.Ecosystem) != eco {
				continue
			}
			k := nameKey(eco, a.Package.Name)
			if !seen[k] {
				seen[k] = true
				out[k] = append(out[k], &r)
			}
		}
	}
	return out, nil
}

// FromEnv returns the advisory source the settings name: the offline
// export in CODEX_OSV_DIR when it is set, else the API at OSV_API_URL
// (default DefaultURL). A bad value is an error, so a typo is not
// mistaken for a clean bill of health.
func FromEnv(getenv func(string) string) (deps.Advisories, error) {
	if dir := getenv("CODEX_OSV_DIR"); dir != "" {
		return NewDir(dir)
	}
	return New(getenv("OSV_API_URL"))
}
