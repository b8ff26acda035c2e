package deps

import (
	"context"
	"regexp"
	"strings"

	"github.com/google/osv-scalibr/extractor/filesystem/language/java/pomxml"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemfilelock"
)

// parseRequirements reads a requirements file with osv-scalibr's
// extractor, which gives each requirement's line and comparator. It skips
// requirements that name a URL, a VCS checkout or a local path, which are
// the ones a review must flag, so those lines are found by sourceRequirement.
func parseRequirements(ctx context.Context, p string, data []byte) ([]entry, error) {
	pkgs, err := extract(ctx, requirements.New, p, data)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(pkgs))
	for _, pkg := range pkgs {
		if pkg.Name == "" {
			continue
		}
		e := entry{name: normalizePyPI(pkg.Name), version: pkg.Version, line: lineOf(pkg), direct: true}
		if md, ok := pkg.Metadata.(*requirements.Metadata); ok {
			e.spec = strings.TrimSpace(strings.TrimPrefix(md.Requirement, pkg.Name))
			e.exact = (md.VersionComparator == "==" || md.VersionComparator == "===") && !strings.Contains(pkg.Version, "*")
		}
		if !e.exact {
			e.flags = append(e.flags, FlagFloating)
		}
		out = append(out, e)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if name, ok := sourceRequirement(l); ok {
			out = append(out, entry{name: name, spec: strings.TrimSpace(l), line: i + 1, direct: true, flags: []string{FlagSource}})
		}
	}
	return out, nil
}

var (
	// reqSource is a requirement line that installs from outside the
	// index: "-e git+https://…", "./pkg", "name @ https://…".
	reqSource   = regexp.MustCompile(`^\s*(?:-e\s+|--editable\s+)?(?:(?:git|hg|svn|bzr)\+|https?://|file:|\.{1,2}/)`)
	reqDirect   = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*@\s*\S`)
	reqEggName  = regexp.MustCompile(`[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)`)
	pypiNameSep = regexp.MustCompile(`[-_.]+`)
)

// sourceRequirement recognises a requirement line that names a URL, a
// VCS checkout or a path, and the package name when the line gives one.
func sourceRequirement(l string) (string, bool) {
	if i := strings.Index(l, " #"); i >= 0 {
		l = l[:i]
	}
	if m := reqDirect.FindStringSubmatch(l); m != nil {
		return normalizePyPI(m[1]), true
	}
	if !reqSource.MatchString(l) {
		return "", false
	}
	if m := reqEggName.FindStringSubmatch(l); m != nil {
		return normalizePyPI(m[1]), true
	}
	return strings.TrimSpace(l), true
}

// normalizePyPI is the PEP 503 normal form of a distribution name, so
// "Django" in requirements.txt and "django" in a lockfile are one package.
func normalizePyPI(name string) string {
	return strings.ToLower(pypiNameSep.ReplaceAllString(name, "-"))
}

// parsePomXML reads pom.xml with osv-scalibr's extractor, which resolves
// the file's own ${properties}. Versions it cannot resolve (inherited from
// a parent or a BOM) are left out of the lookups; ranges are flagged.
func parsePomXML(ctx context.Context, p string, data []byte) ([]entry, error) {
	pkgs, err := extract(ctx, pomxml.New, p, data)
	if err != nil {
		return nil, err
	}
	text := strings.Split(string(data), "\n")
	out := make([]entry, 0, len(pkgs))
	for _, pkg := range pkgs {
		e := entry{name: pkg.Name, version: pkg.Version, spec: pkg.Version, line: lineOf(pkg), direct: true}
		// The extractor reports a range's lower bound as the version;
		// the element as written tells a range.
		raw := pomVersionAt(text, e.line)
		switch {
		case pkg.Version == "" || strings.Contains(pkg.Version, "${"):
			e.version = ""
		case strings.HasPrefix(raw, "${") && strings.HasSuffix(raw, "}"):
			// The version is a property: the property's line is the one
			// to change.
			if l := pomPropertyLine(text, raw[2:len(raw)-1]); l > 0 {
				e.line = l
			}
			e.exact = true
		case strings.ContainsAny(raw, "[]()"):
			e.spec = raw
			e.flags = append(e.flags, FlagFloating)
		default:
			e.exact = true
		}
		out = append(out, e)
	}
	return out, nil
}

var pomVersion = regexp.MustCompile(`<version>\s*([^<]*?)\s*</version>`)

// pomVersionAt returns the <version> text of the <dependency> element that
// starts at line (1-based), "" when it has none.
func pomVersionAt(text []string, line int) string {
	for i := line - 1; i >= 0 && i < len(text); i++ {
		if m := pomVersion.FindStringSubmatch(text[i]); m != nil {
			return m[1]
		}
		if strings.Contains(text[i], "</dependency>") {
			break
		}
	}
	return ""
}

// pomPropertyLine finds the line defining a property, 0 when none does.
func pomPropertyLine(text []string, name string) int {
	open := "<" + name + ">"
	for i, l := range text {
		if strings.Contains(l, open) {
			return i + 1
		}
	}
	return 0
}

// parseGemfileLock reads Gemfile.lock with osv-scalibr's extractor, and
// its DEPENDENCIES section (the gems the Gemfile names) for which gems are
// direct, and the GIT and PATH sections for gems from outside the index.
func parseGemfileLock(ctx context.Context, p string, data []byte) ([]entry, error) {
	pkgs, err := extract(ctx, gemfilelock.New, p, data)
	if err != nil {
		return nil, err
	}
	direct, sourced := gemfileSections(string(data))
	out := make([]entry, 0, len(pkgs))
	for _, pkg := range pkgs {
		if pkg.Name == "" || pkg.Version == "" {
			continue
		}
		e := entry{name: pkg.Name, version: pkg.Version, line: lineOf(pkg), exact: true, direct: direct[pkg.Name]}
		if sourced[pkg.Name] {
			e.flags = append(e.flags, FlagSource)
		}
		out = append(out, e)
	}
	return out, nil
}

// gemfileSections reads the gem names of a Gemfile.lock's DEPENDENCIES
// section and of the specs of its GIT and PATH sections.
func gemfileSections(s string) (direct, sourced map[string]bool) {
	direct, sourced = map[string]bool{}, map[string]bool{}
	section := ""
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, "\r")
		if l != "" && l[0] != ' ' {
			section = strings.TrimSpace(l)
			continue
		}
		switch section {
		case "DEPENDENCIES":
			if strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "   ") {
				if f := strings.Fields(l); len(f) > 0 {
					direct[strings.TrimSuffix(f[0], "!")] = true
				}
			}
		case "GIT", "PATH":
			if strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "     ") {
				if f := strings.Fields(l); len(f) > 0 {
					sourced[f[0]] = true
				}
			}
		}
	}
	return direct, sourced
}
