package deps

import (
	"context"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// pep508Name is the distribution name at the start of a PEP 508
// requirement ("requests[socks]>=2.31; python_version<'3.13'").
var pep508Name = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)

// parsePyproject reads the dependencies pyproject.toml declares: PEP 621's
// [project] dependencies and optional-dependencies, PEP 735's
// [dependency-groups], and Poetry's [tool.poetry.*dependencies] tables.
// The lockfile (poetry.lock, uv.lock) gives the versions; these tell which
// packages are direct and on which line they were asked for.
func parsePyproject(_ context.Context, _ string, data []byte) ([]entry, error) {
	var doc struct {
		Project struct {
			Dependencies         []string            `toml:"dependencies"`
			OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		} `toml:"project"`
		DependencyGroups map[string][]any `toml:"dependency-groups"`
		Tool             struct {
			Poetry struct {
				Dependencies    map[string]any `toml:"dependencies"`
				DevDependencies map[string]any `toml:"dev-dependencies"`
				Group           map[string]struct {
					Dependencies map[string]any `toml:"dependencies"`
				} `toml:"group"`
			} `toml:"poetry"`
		} `toml:"tool"`
	}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil, err
	}
	text := strings.Split(string(data), "\n")
	keys := cargoLines(data)
	var out []entry
	addReq := func(req string) {
		m := pep508Name.FindStringSubmatch(req)
		if m == nil {
			return
		}
		out = append(out, entry{name: normalizePyPI(m[1]), spec: strings.TrimSpace(req[len(m[0]):]), line: quotedLine(text, m[1]), direct: true})
	}
	for _, r := range doc.Project.Dependencies {
		addReq(r)
	}
	for _, rs := range doc.Project.OptionalDependencies {
		for _, r := range rs {
			addReq(r)
		}
	}
	for _, rs := range doc.DependencyGroups {
		for _, r := range rs {
			if s, ok := r.(string); ok {
				addReq(s)
			}
		}
	}
	addTable := func(table string, m map[string]any) {
		for name, v := range m {
			if strings.EqualFold(name, "python") {
				continue
			}
			out = append(out, tableEntry(name, keys[table+"\x00"+name], v, "git", "path", "url"))
		}
	}
	addTable("tool.poetry.dependencies", doc.Tool.Poetry.Dependencies)
	addTable("tool.poetry.dev-dependencies", doc.Tool.Poetry.DevDependencies)
	for g, t := range doc.Tool.Poetry.Group {
		addTable("tool.poetry.group."+g+".dependencies", t.Dependencies)
	}
	return out, nil
}

// quotedLine finds the first line holding a quoted string that starts
// with name, 0 when none does.
func quotedLine(text []string, name string) int {
	lname := strings.ToLower(name)
	for i, l := range text {
		ll := strings.ToLower(l)
		for _, q := range []string{`"`, `'`} {
			at := strings.Index(ll, q+lname)
			if at < 0 {
				continue
			}
			rest := ll[at+1+len(lname):]
			if rest == "" || !strings.ContainsAny(rest[:1], "abcdefghijklmnopqrstuvwxyz0123456789._-") {
				return i + 1
			}
		}
	}
	return 0
}

// parsePipfile reads the [packages] and [dev-packages] tables of a
// Pipfile, for which packages of Pipfile.lock are direct.
func parsePipfile(_ context.Context, _ string, data []byte) ([]entry, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil, err
	}
	keys := cargoLines(data)
	var out []entry
	for _, table := range []string{"packages", "dev-packages"} {
		m, _ := doc[table].(map[string]any)
		for name, v := range m {
			out = append(out, tableEntry(name, keys[table+"\x00"+name], v, "git", "path", "file"))
		}
	}
	return out, nil
}

// tableEntry reads a direct dependency declared in a TOML table, as
// `name = "spec"` or `name = {version = "spec", …}`; any of sourceKeys in
// the inline table means it comes from outside the registry (FlagSource).
func tableEntry(name string, line int, v any, sourceKeys ...string) entry {
	e := entry{name: normalizePyPI(name), line: line, direct: true}
	switch s := v.(type) {
	case string:
		e.spec = s
	case map[string]any:
		e.spec, _ = s["version"].(string)
		for _, k := range sourceKeys {
			if _, ok := s[k]; ok {
				e.flags = append(e.flags, FlagSource)
				break
			}
		}
	}
	return e
}

// parsePythonLock reads poetry.lock, uv.lock and Pipfile.lock with
// osv-scalibr's extractors, with names in their normal form so they match
// the manifest's.
func parsePythonLock(newExtractor newFunc) func(context.Context, string, []byte) ([]entry, error) {
	parse := scalibrParser(newExtractor)
	return func(ctx context.Context, p string, data []byte) ([]entry, error) {
		out, err := parse(ctx, p, data)
		for i := range out {
			out[i].name = normalizePyPI(out[i].name)
		}
		return out, err
	}
}
