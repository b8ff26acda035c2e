package deps

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// DefaultMaxFileBytes bounds the size of a dependency file the analysis
// reads; the largest real lockfiles are a few megabytes.
const DefaultMaxFileBytes = 32 << 20

// Options tune Analyze.
type Options struct {
	// Advisories looks up known vulnerabilities; nil leaves them unchecked
	// (the report says so).
	Advisories Advisories
	// MaxFileBytes skips larger files with a note; 0 = DefaultMaxFileBytes.
	MaxFileBytes int
}

// project is one manifest with its lockfiles: the files of one group in
// one directory (or one requirements file on its own).
type project struct {
	dir   string
	group group
	names []string // file names, manifests first
}

// Analyze computes the dependency changes of a change that touched the
// paths in changed (old and new paths of every changed file), reading the
// base and head versions of each affected manifest and lockfile through
// files. It returns an error only when the context ends; a file that
// cannot be read or parsed becomes a note and its project is skipped.
func Analyze(ctx context.Context, changed []string, files Files, opt Options) (*Report, error) {
	if opt.MaxFileBytes <= 0 {
		opt.MaxFileBytes = DefaultMaxFileBytes
	}
	rep := &Report{}
	changedSet := map[string]bool{}
	projects := map[string]*project{}
	var order []string
	for _, p := range changed {
		f, ok := formatOf(p)
		if !ok || changedSet[p] {
			continue
		}
		changedSet[p] = true
		rep.Files = append(rep.Files, p)
		key := path.Dir(p) + "\x00" + string(f.group)
		names := groupFiles[f.group]
		if f.group == groupReqs {
			key, names = p, []string{path.Base(p)}
		}
		if _, ok := projects[key]; !ok {
			projects[key] = &project{dir: path.Dir(p), group: f.group, names: names}
			order = append(order, key)
		}
	}
	sort.Strings(rep.Files)
	sort.Strings(order)
	a := analysis{ctx: ctx, files: files, opt: opt, changed: changedSet, rep: rep}
	for _, k := range order {
		if err := a.project(projects[k]); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(rep.Changes, func(i, j int) bool {
		x, y := rep.Changes[i], rep.Changes[j]
		if x.Path != y.Path {
			return x.Path < y.Path
		}
		if x.Line != y.Line {
			return x.Line < y.Line
		}
		return x.Name < y.Name
	})
	a.lookup()
	return rep, nil
}

type analysis struct {
	ctx     context.Context
	files   Files
	opt     Options
	changed map[string]bool
	rep     *Report
}

// parsed is one dependency file on one side.
type parsed struct {
	path    string
	format  format
	entries []entry
}

// side holds a project's files on one side of the change.
type side struct {
	manifest *parsed // nil when there is none
	lock     *parsed // the lockfile that pins packages, nil when none
	exists   map[string]bool
}

func (a *analysis) note(format string, args ...any) {
	a.rep.Notes = append(a.rep.Notes, fmt.Sprintf(format, args...))
}

// read loads and parses one file on one side; nil, nil when it does not
// exist there. A file the change did not touch is read once, from head.
func (a *analysis) read(p string, s Side, cache map[string]*parsed) (*parsed, error) {
	if !a.changed[p] {
		s = Head
	}
	key := fmt.Sprintf("%d\x00%s", s, p)
	if v, ok := cache[key]; ok {
		return v, nil
	}
	data, err := a.files.Read(a.ctx, s, p)
	if errors.Is(err, ErrNotExist) {
		cache[key] = nil
		return nil, nil
	}
	if err != nil {
		if ctxErr := a.ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("read %s at %s: %w", p, sideName(s), err)
	}
	f, _ := formatOf(p)
	if len(f.group) == 0 {
		f = formats[path.Base(p)]
	}
	out := &parsed{path: p, format: f}
	if len(data) > a.opt.MaxFileBytes {
		return nil, fmt.Errorf("%s at %s is %d bytes, over the %d-byte limit", p, sideName(s), len(data), a.opt.MaxFileBytes)
	}
	if f.parse != nil {
		out.entries, err = f.parse(a.ctx, p, data)
		if err != nil {
			return nil, fmt.Errorf("parse %s at %s: %w", p, sideName(s), err)
		}
	}
	cache[key] = out
	return out, nil
}

func sideName(s Side) string {
	if s == Base {
		return "base"
	}
	return "head"
}

// load reads a project's files on one side: its manifest and the first of
// its lockfiles (in order of precedence) that exists.
func (a *analysis) load(pr *project, s Side, cache map[string]*parsed) (side, error) {
	sd := side{exists: map[string]bool{}}
	for _, name := range pr.names {
		p := path.Join(pr.dir, name)
		f, err := a.read(p, s, cache)
		if err != nil {
			return sd, err
		}
		if f == nil {
			continue
		}
		sd.exists[name] = true
		switch {
		case !f.format.lock && sd.manifest == nil:
			sd.manifest = f
		case f.format.lock && f.format.parse != nil && sd.lock == nil:
			sd.lock = f
		}
	}
	return sd, nil
}

func (a *analysis) project(pr *project) error {
	cache := map[string]*parsed{}
	base, err := a.load(pr, Base, cache)
	if err == nil {
		var head side
		head, err = a.load(pr, Head, cache)
		if err == nil {
			a.compare(pr, base, head)
			return nil
		}
	}
	if a.ctx.Err() != nil {
		return a.ctx.Err()
	}
	a.note("Dependencies of %s not analysed: %v", displayDir(pr), err)
	return nil
}

func displayDir(pr *project) string {
	if pr.group == groupReqs {
		return path.Join(pr.dir, pr.names[0])
	}
	if pr.dir == "." {
		return "the repository root (" + strings.Join(pr.names[:1], "") + ")"
	}
	return pr.dir + "/" + pr.names[0]
}

// compare turns a project's two sides into changes and notes.
func (a *analysis) compare(pr *project, base, head side) {
	a.pairingNotes(pr, base, head)
	fromLock := head.lock != nil || base.lock != nil
	pick := func(sd side) (*parsed, map[string]entry) {
		declared := map[string]entry{}
		if sd.manifest != nil {
			for _, e := range sd.manifest.entries {
				if _, ok := declared[e.name]; !ok {
					declared[e.name] = e
				}
			}
		}
		if fromLock {
			return sd.lock, declared
		}
		return sd.manifest, declared
	}
	bFile, bDecl := pick(base)
	hFile, hDecl := pick(head)
	eco := ""
	for _, f := range []*parsed{hFile, bFile, head.manifest, base.manifest} {
		if f != nil {
			eco = f.format.ecosystem
			break
		}
	}
	byName := func(f *parsed) map[string][]entry {
		m := map[string][]entry{}
		if f == nil {
			return m
		}
		for _, e := range f.entries {
			k := e.version
			if k == "" {
				k = e.spec
			}
			if !slices.ContainsFunc(m[e.name], func(x entry) bool { return versionKey(x) == k }) {
				m[e.name] = append(m[e.name], e)
			}
		}
		return m
	}
	bm, hm := byName(bFile), byName(hFile)
	names := make([]string, 0, len(bm)+len(hm))
	for n := range bm {
		names = append(names, n)
	}
	for n := range hm {
		if _, ok := bm[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		olds, news := without(bm[n], hm[n]), without(hm[n], bm[n])
		if len(olds) == 1 && len(news) == 1 {
			if c := compareVersions(eco, olds[0], news[0]); c != 0 {
				kind := Upgraded
				if c > 0 {
					kind = Downgraded
				}
				a.add(eco, n, &olds[0], &news[0], kind, hFile, head.manifest, hDecl, fromLock)
				continue
			}
			if olds[0].version != "" && olds[0].version == news[0].version {
				continue // the same version, written differently ("1.0" vs "1.0.0")
			}
		}
		for i := range olds {
			a.add(eco, n, &olds[i], nil, Removed, bFile, base.manifest, bDecl, fromLock)
		}
		for i := range news {
			a.add(eco, n, nil, &news[i], Added, hFile, head.manifest, hDecl, fromLock)
		}
	}
}

func versionKey(e entry) string {
	if e.version != "" {
		return e.version
	}
	return e.spec
}

// without returns the entries of a whose version is not in b.
func without(a, b []entry) []entry {
	var out []entry
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y entry) bool { return versionKey(y) == versionKey(x) }) {
			out = append(out, x)
		}
	}
	return out
}

// compareVersions orders two versions in the ecosystem's own order; 0 when
// they cannot be compared (no version, or not one the ecosystem parses).
func compareVersions(eco string, a, b entry) int {
	if a.version == "" || b.version == "" {
		return 0
	}
	va, err := semantic.Parse(a.version, eco)
	if err != nil {
		return 0
	}
	c, err := va.CompareStr(b.version)
	if err != nil {
		return 0
	}
	return c
}

// add records one change. file is the file the package's version comes
// from on the side that has it (head, or base for a removal); manifest
// and declared are that side's manifest and its declarations.
func (a *analysis) add(eco, name string, from, to *entry, kind Kind, file, manifest *parsed, declared map[string]entry, fromLock bool) {
	cur := to
	if cur == nil {
		cur = from
	}
	c := Change{Ecosystem: eco, Name: name, Change: kind, Direct: cur.direct, Path: file.path, Line: cur.line}
	if from != nil {
		c.From = display(*from)
	}
	if to != nil {
		c.To = display(*to)
		c.exact = to.exact
	}
	flags := slices.Clone(cur.flags)
	if d, ok := declared[name]; ok {
		c.Direct = c.Direct || d.direct
		c.Spec = d.spec
		if fromLock && d.line > 0 && manifest != nil {
			// The manifest line is where a person chose the dependency.
			c.lockPath, c.lockLine = c.Path, c.Line
			c.Path, c.Line = manifest.path, d.line
		}
		for _, f := range d.flags {
			// A range in a manifest is pinned by its lockfile.
			if f == FlagFloating && fromLock {
				continue
			}
			flags = append(flags, f)
		}
	}
	slices.Sort(flags)
	c.Flags = slices.Compact(flags)
	if kind == Removed {
		c.Flags = nil
	}
	c.Vulnerabilities = []Vulnerability{}
	a.rep.Changes = append(a.rep.Changes, c)
}

// display is a version for people: the version when exact, else the
// manifest's requirement as written.
func display(e entry) string {
	if e.exact || e.spec == "" {
		return e.version
	}
	return e.spec
}

// pairingNotes notes a manifest whose dependencies changed while the
// lockfile beside it did not, and a lockfile that changed on its own.
func (a *analysis) pairingNotes(pr *project, base, head side) {
	var manifest, lock string
	for _, n := range pr.names {
		if !head.exists[n] {
			continue
		}
		if formats[n].lock {
			if lock == "" {
				lock = n
			}
		} else if manifest == "" {
			manifest = n
		}
	}
	if manifest == "" || lock == "" {
		return
	}
	mp, lp := path.Join(pr.dir, manifest), path.Join(pr.dir, lock)
	switch {
	case a.changed[mp] && !a.changed[lp]:
		if formats[manifest].parse == nil {
			a.note("%s changed but %s did not: if the change touches dependencies, the lockfile is out of date.", mp, lp)
		} else if declarations(base.manifest) != declarations(head.manifest) {
			a.note("%s changes its dependencies but %s was not updated.", mp, lp)
		}
	case a.changed[lp] && !a.changed[mp]:
		a.note("%s changed without a change to %s: dependencies were updated or re-resolved within the manifest's ranges.", lp, mp)
	}
}

// declarations is a manifest's dependency list in a comparable form.
func declarations(f *parsed) string {
	if f == nil {
		return ""
	}
	parts := make([]string, 0, len(f.entries))
	for _, e := range f.entries {
		parts = append(parts, e.name+"\x00"+e.spec+"\x00"+e.version)
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

// lookup attaches known vulnerabilities to every added or changed
// version that is one concrete version.
func (a *analysis) lookup() {
	var pkgs []Package
	seen := map[Package]bool{}
	for _, c := range a.rep.Changes {
		if c.Change == Removed || !c.exact || c.To == "" {
			continue
		}
		p := Package{Ecosystem: c.Ecosystem, Name: c.Name, Version: c.To}
		if !seen[p] {
			seen[p] = true
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) == 0 {
		a.rep.Checked = true
		return
	}
	if a.opt.Advisories == nil {
		a.rep.NotChecked = "no vulnerability database is configured"
		return
	}
	found, err := a.opt.Advisories.Lookup(a.ctx, pkgs)
	if err != nil {
		a.rep.NotChecked = err.Error()
		return
	}
	a.rep.Checked, a.rep.LookedUp = true, len(pkgs)
	for i := range a.rep.Changes {
		c := &a.rep.Changes[i]
		if c.Change == Removed || !c.exact {
			continue
		}
		if v := found[Package{Ecosystem: c.Ecosystem, Name: c.Name, Version: c.To}]; len(v) > 0 {
			c.Vulnerabilities = v
		}
	}
}
