package deps

import (
	"context"
	"path"
	"strings"
)

// entry is one package as a file declares or locks it.
type entry struct {
	name string
	// version is a concrete version, or for a manifest requirement that
	// is a range, its lowest version ("" when none can be told).
	version string
	// spec is a manifest's requirement as written.
	spec string
	line int
	// direct is true when the file itself says the package is a direct
	// dependency (a manifest's declarations, go.mod without "// indirect").
	direct bool
	// exact is true when version is the one version that gets installed.
	exact bool
	flags []string
}

// group names files that describe one project together: a manifest and
// the lockfiles that pin it.
type group string

const (
	groupGo        group = "go"
	groupNPM       group = "npm"
	groupPyproject group = "pyproject"
	groupPipfile   group = "pipfile"
	groupReqs      group = "requirements"
	groupCargo     group = "cargo"
	groupRuby      group = "ruby"
	groupMaven     group = "maven"
	groupComposer  group = "composer"
)

// format is one kind of dependency file.
type format struct {
	group     group
	ecosystem string
	lock      bool
	// parse reads the file's packages; nil for a manifest that only pairs
	// with its lockfile (its packages come from the lockfile).
	parse func(ctx context.Context, path string, data []byte) ([]entry, error)
}

// formats by base name. requirements*.txt is matched in formatOf.
var formats = map[string]format{
	"go.mod":              {group: groupGo, ecosystem: Go, parse: parseGoMod},
	"go.sum":              {group: groupGo, ecosystem: Go, lock: true},
	"package.json":        {group: groupNPM, ecosystem: NPM, parse: parsePackageJSON},
	"package-lock.json":   {group: groupNPM, ecosystem: NPM, lock: true, parse: parsePackageLock},
	"npm-shrinkwrap.json": {group: groupNPM, ecosystem: NPM, lock: true, parse: parsePackageLock},
	"yarn.lock":           {group: groupNPM, ecosystem: NPM, lock: true, parse: scalibrParser(newYarnLock)},
	"pnpm-lock.yaml":      {group: groupNPM, ecosystem: NPM, lock: true, parse: scalibrParser(newPnpmLock)},
	"pyproject.toml":      {group: groupPyproject, ecosystem: PyPI, parse: parsePyproject},
	"poetry.lock":         {group: groupPyproject, ecosystem: PyPI, lock: true, parse: parsePythonLock(newPoetryLock)},
	"uv.lock":             {group: groupPyproject, ecosystem: PyPI, lock: true, parse: parsePythonLock(newUVLock)},
	"Pipfile":             {group: groupPipfile, ecosystem: PyPI, parse: parsePipfile},
	"Pipfile.lock":        {group: groupPipfile, ecosystem: PyPI, lock: true, parse: parsePythonLock(newPipfileLock)},
	"Cargo.toml":          {group: groupCargo, ecosystem: CratesIO, parse: parseCargoToml},
	"Cargo.lock":          {group: groupCargo, ecosystem: CratesIO, lock: true, parse: parseCargoLock},
	"Gemfile":             {group: groupRuby, ecosystem: RubyGems},
	"gems.rb":             {group: groupRuby, ecosystem: RubyGems},
	"Gemfile.lock":        {group: groupRuby, ecosystem: RubyGems, lock: true, parse: parseGemfileLock},
	"gems.locked":         {group: groupRuby, ecosystem: RubyGems, lock: true, parse: parseGemfileLock},
	"pom.xml":             {group: groupMaven, ecosystem: Maven, parse: parsePomXML},
	"composer.json":       {group: groupComposer, ecosystem: Packagist, parse: parseComposerJSON},
	"composer.lock":       {group: groupComposer, ecosystem: Packagist, lock: true, parse: scalibrParser(newComposerLock)},
}

var requirementsFormat = format{group: groupReqs, ecosystem: PyPI, parse: parseRequirements}

// groupFiles lists, per group, the file names that belong to one project,
// manifests first, lockfiles in order of precedence (npm uses
// npm-shrinkwrap.json over package-lock.json).
var groupFiles = map[group][]string{
	groupGo:        {"go.mod", "go.sum"},
	groupNPM:       {"package.json", "npm-shrinkwrap.json", "package-lock.json", "pnpm-lock.yaml", "yarn.lock"},
	groupPyproject: {"pyproject.toml", "poetry.lock", "uv.lock"},
	groupPipfile:   {"Pipfile", "Pipfile.lock"},
	groupCargo:     {"Cargo.toml", "Cargo.lock"},
	groupRuby:      {"Gemfile", "gems.rb", "Gemfile.lock", "gems.locked"},
	groupMaven:     {"pom.xml"},
	groupComposer:  {"composer.json", "composer.lock"},
}

// formatOf returns the format of a repository path, ok false for files
// that are not dependency files. Files under vendored directories are
// someone else's manifests.
func formatOf(p string) (format, bool) {
	for _, d := range strings.Split(path.Dir(p), "/") {
		if d == "node_modules" || d == "vendor" || d == "testdata" {
			return format{}, false
		}
	}
	base := path.Base(p)
	if f, ok := formats[base]; ok {
		return f, true
	}
	lower := strings.ToLower(base)
	if strings.HasPrefix(lower, "requirements") && strings.HasSuffix(lower, ".txt") {
		return requirementsFormat, true
	}
	return format{}, false
}

// IsDependencyFile reports whether p is a manifest or lockfile the
// analysis reads.
func IsDependencyFile(p string) bool {
	_, ok := formatOf(p)
	return ok
}
