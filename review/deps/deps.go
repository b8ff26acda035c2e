// Package deps computes what a change does to a repository's dependencies:
// from the base and head versions of each changed manifest and lockfile it
// lists the packages added, removed, upgraded and downgraded, whether each
// is a direct dependency, and the line that introduced it; it flags
// floating versions, git/path/URL sources and a manifest changed without
// its lockfile (or the reverse); and, through an Advisories source such as
// the OSV client in deps/osv, it attaches known vulnerabilities.
//
// Lockfiles are read with github.com/google/osv-scalibr's extractors. The
// few formats where those lose what a review needs (go.mod's "// indirect"
// and replace directives, the raw version specs and line numbers of
// package.json, composer.json and Cargo.toml) have small parsers here.
//
// The package knows nothing of GitHub or git: callers hand it the changed
// paths and a way to read a file on either side of the change.
package deps

import (
	"context"
	"io/fs"
)

// Ecosystem names follow OSV's, so a package can be looked up as is.
const (
	Go        = "Go"
	NPM       = "npm"
	PyPI      = "PyPI"
	CratesIO  = "crates.io"
	RubyGems  = "RubyGems"
	Maven     = "Maven"
	Packagist = "Packagist"
)

// Kind is what happened to a package.
type Kind string

// The kinds of change (the contract's `change` values).
const (
	Added      Kind = "added"
	Removed    Kind = "removed"
	Upgraded   Kind = "upgraded"
	Downgraded Kind = "downgraded"
)

// Flags on a change: things a reviewer should look at even without a
// known vulnerability.
const (
	// FlagFloating marks a version that is a range or unpinned, in a
	// project without a lockfile to pin it.
	FlagFloating = "floating version"
	// FlagSource marks a package that comes from a git repository, a
	// local path or a URL instead of the registry, or a Go module
	// replaced by another.
	FlagSource = "non-registry source"
)

// Vulnerability is one known advisory affecting a version.
type Vulnerability struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases"`
	// Severity is critical, high, moderate, low or unknown.
	Severity string `json:"severity"`
	// Fixed is the first version that fixes the advisory for the affected
	// range the version is in; empty when no fix is known.
	Fixed   string `json:"fixed"`
	Summary string `json:"summary,omitempty"`
}

// Severities, in decreasing order.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityModerate = "moderate"
	SeverityLow      = "low"
	SeverityUnknown  = "unknown"
)

// Change is one package whose version changed (the contract's
// dependency_changes item).
type Change struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	From      string `json:"from"`
	To        string `json:"to"`
	Change    Kind   `json:"change"`
	Direct    bool   `json:"direct"`
	// Path and Line are where the change was introduced: the manifest line
	// that declares a direct dependency, else the lockfile line of the
	// package, in the head version (the base version for a removal).
	Path string `json:"path"`
	Line int    `json:"line"`
	// Vulnerabilities of the To version (none for a removal).
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
	Flags           []string        `json:"flags,omitempty"`
	// Spec is the manifest's requirement for a direct dependency at head,
	// as written ("^4.17.21", ">=2.0"); empty when unknown.
	Spec string `json:"spec,omitempty"`
	// exact is true when To is one concrete version (from a lockfile or a
	// pin), the only kind worth looking up in an advisory database.
	exact bool
	// lockPath and lockLine locate the package in the lockfile when Path
	// and Line are the manifest's: a finding falls back to them when the
	// manifest line is not part of the change.
	lockPath string
	lockLine int
}

// Reach is "direct" for a dependency the manifest declares, else
// "transitive".
func (c Change) Reach() string {
	if c.Direct {
		return "direct"
	}
	return "transitive"
}

// Versions shows the change's versions, each through show: "from" arrow
// "to" for an upgrade or downgrade, else the one version there is.
func (c Change) Versions(show func(string) string, arrow string) string {
	switch {
	case c.From != "" && c.To != "":
		return show(c.From) + arrow + show(c.To)
	case c.To == "":
		return show(c.From)
	}
	return show(c.To)
}

// Report is the dependency analysis of one change.
type Report struct {
	// Changes are ordered by path, then line, then name.
	Changes []Change
	// Notes are file-level observations: a manifest changed without its
	// lockfile, a lockfile that could not be read.
	Notes []string
	// Files are the manifests and lockfiles that changed.
	Files []string
	// Checked is true when every added or changed version was looked up
	// in the advisory database (or none needed to be); when false,
	// NotChecked says why. LookedUp counts the versions looked up.
	Checked    bool
	NotChecked string
	LookedUp   int
}

// Side is one side of the change.
type Side int

// The two sides.
const (
	Base Side = iota
	Head
)

// ErrNotExist is what Files.Read returns, possibly wrapped, for a file
// that does not exist on that side. It is fs.ErrNotExist, so the errors of
// os and io/fs readers serve as they are.
var ErrNotExist = fs.ErrNotExist

// Files reads repository files on either side of the change. Read returns
// ErrNotExist (possibly wrapped) for a file absent on that side.
type Files interface {
	Read(ctx context.Context, side Side, path string) ([]byte, error)
}

// Package is one concrete version to look up.
type Package struct {
	Ecosystem, Name, Version string
}

// Advisories finds known vulnerabilities. Lookup returns, for each package
// that has any, its vulnerabilities; an error means the lookup as a whole
// could not be done (and the report says so).
type Advisories interface {
	Lookup(ctx context.Context, pkgs []Package) (map[Package][]Vulnerability, error)
}

// JSONFields are the report as the CLI's JSON output and the REST API's
// result carry it; embedded in their objects, they add
// "dependency_changes" (present when the analysis ran, [] when it found
// nothing), "dependency_notes" and "vulnerabilities_not_checked" (present
// when not empty).
type JSONFields struct {
	DependencyChanges         *[]Change `json:"dependency_changes,omitempty"`
	DependencyNotes           []string  `json:"dependency_notes,omitempty"`
	VulnerabilitiesNotChecked string    `json:"vulnerabilities_not_checked,omitempty"`
}

// JSON returns the report's JSON fields; all empty for a nil report.
func (r *Report) JSON() JSONFields {
	if r == nil {
		return JSONFields{}
	}
	changes := r.Changes
	if changes == nil {
		changes = []Change{}
	}
	return JSONFields{DependencyChanges: &changes, DependencyNotes: r.Notes, VulnerabilitiesNotChecked: r.NotChecked}
}
