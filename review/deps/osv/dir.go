package osv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
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
	fsys fs.FS
	root string // the export's directory in fsys
	name string // how messages name it

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
	// os.DirFS names files relative to root in its errors: the name
	// says where they are.
	return NewDirFS(os.DirFS(root), ".", "CODEX_OSV_DIR "+root), nil
}

// NewDirFS returns a lookup over an export laid out as NewDir's, in the
// directory root of fsys (an evaluation case's bundled advisories, say);
// name is how error messages call it. root is not checked here: a missing
// directory has no known vulnerabilities, and Check finds mistakes.
func NewDirFS(fsys fs.FS, root, name string) *Dir {
	return &Dir{fsys: fsys, root: root, name: name, index: map[string]*ecosystemIndex{}}
}

// Check reads every record of the export now rather than on a lookup, and
// reports every problem: a record that is not JSON, as a lookup would,
// and what lookups silently pass over: a record file outside an
// ecosystem's directory, and a record that lists no package of the
// ecosystem whose directory holds it (a misnamed directory, "go/" for
// "Go/"). It is meant for small, hand-made exports such as an evaluation
// case's; a full export is better left to be read lazily.
func (d *Dir) Check(ctx context.Context) error {
	entries, err := fs.ReadDir(d.fsys, d.root)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	var errs []error
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.IsDir() {
			if strings.HasSuffix(e.Name(), ".json") {
				errs = append(errs, fmt.Errorf("%s: %s: a record belongs in the directory of its ecosystem (Go/, npm/, PyPI/, …)", d.name, e.Name()))
			}
			continue
		}
		eco := e.Name()
		files, err := fs.ReadDir(d.fsys, path.Join(d.root, eco))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.name, err))
			continue
		}
		for _, f := range files {
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".json") {
				continue
			}
			data, err := fs.ReadFile(d.fsys, path.Join(d.root, eco, f.Name()))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", d.name, err))
				continue
			}
			var r Record
			if err := json.Unmarshal(data, &r); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s/%s: %w", d.name, eco, f.Name(), err))
				continue
			}
			if !slices.ContainsFunc(r.Affected, func(a Affected) bool { return baseEcosystem(a.Package.Ecosystem) == eco }) {
				errs = append(errs, fmt.Errorf("%s: %s/%s: the record lists no package of ecosystem %q, so no lookup would ever find it", d.name, eco, f.Name(), eco))
			}
		}
	}
	return errors.Join(errs...)
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
	idx.once.Do(func() { idx.records, idx.err = d.loadEcosystem(eco) })
	return idx, idx.err
}

func (d *Dir) loadEcosystem(eco string) (map[string][]*Record, error) {
	out := map[string][]*Record{}
	dir := path.Join(d.root, eco)
	entries, err := fs.ReadDir(d.fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := fs.ReadFile(d.fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		r := &Record{}
		if err := json.Unmarshal(data, r); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", d.name, path.Join(eco, e.Name()), err)
		}
		seen := map[string]bool{}
		for _, a := range r.Affected {
			if baseEcosystem(a.Package.Ecosystem) != eco {
				continue
			}
			k := nameKey(eco, a.Package.Name)
			if !seen[k] {
				seen[k] = true
				out[k] = append(out[k], r)
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
