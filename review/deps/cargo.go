package deps

import (
	"context"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// cargoDepTables are the tables of Cargo.toml that declare dependencies,
// at the top level and under target.<cfg>.
var cargoDepTables = map[string]bool{"dependencies": true, "dev-dependencies": true, "build-dependencies": true}

// parseCargoToml reads Cargo.toml's dependency declarations. The TOML is
// decoded with BurntSushi/toml (what osv-scalibr uses too); osv-scalibr's
// cargotoml extractor gives no line numbers and no sources, so the lines
// are found by cargoLines, a scan of the table headers and keys.
func parseCargoToml(_ context.Context, _ string, data []byte) ([]entry, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	type decl struct {
		table, key string
		spec       any
	}
	var decls []decl
	collect := func(prefix string, tables map[string]any) {
		for name, v := range tables {
			if !cargoDepTables[name] {
				continue
			}
			m, _ := v.(map[string]any)
			for key, spec := range m {
				decls = append(decls, decl{table: prefix + name, key: key, spec: spec})
			}
		}
	}
	collect("", doc)
	if t, ok := doc["target"].(map[string]any); ok {
		for cfg, v := range t {
			if m, ok := v.(map[string]any); ok {
				collect("target."+cfg+".", m)
			}
		}
	}
	if ws, ok := doc["workspace"].(map[string]any); ok {
		if m, ok := ws["dependencies"].(map[string]any); ok {
			for key, spec := range m {
				decls = append(decls, decl{table: "workspace.dependencies", key: key, spec: spec})
			}
		}
	}
	found := cargoLines(data)
	out := make([]entry, 0, len(decls))
	seen := map[string]bool{}
	for _, d := range decls {
		e := entry{name: d.key, direct: true, line: found[d.table+"\x00"+d.key]}
		switch s := d.spec.(type) {
		case string:
			e.spec = s
		case map[string]any:
			if v, ok := s["package"].(string); ok {
				e.name = v // a renamed dependency
			}
			if v, ok := s["version"].(string); ok {
				e.spec = v
			}
			if ws, _ := s["workspace"].(bool); ws {
				continue // declared in the workspace's manifest
			}
			for _, k := range []string{"git", "path"} {
				if v, ok := s[k].(string); ok {
					e.flags = append(e.flags, FlagSource)
					if e.spec == "" {
						e.spec = k + " " + v
					}
					break
				}
			}
		default:
			continue
		}
		if seen[e.name+"\x00"+e.spec] {
			continue // the same crate in several tables
		}
		seen[e.name+"\x00"+e.spec] = true
		spec := strings.TrimSpace(e.spec)
		switch {
		case len(e.flags) > 0:
		case strings.HasPrefix(spec, "=") && exactSemver.MatchString(strings.TrimSpace(spec[1:])):
			e.version, e.exact = strings.TrimSpace(spec[1:]), true
		default:
			// A bare "1.2" is a caret requirement in Cargo.
			e.version = leadingVersion.FindString(spec)
			e.flags = append(e.flags, FlagFloating)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].line < out[j].line })
	return out, nil
}

var (
	tomlHeader = regexp.MustCompile(`^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$`)
	tomlKey    = regexp.MustCompile(`^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=`)
)

// cargoLines maps "table\x00key" to the line declaring the key: a
// "key = …" line under [table], or a [table.key] header. Header parts are
// unquoted, so [target.'cfg(unix)'.dependencies] is the table
// "target.cfg(unix).dependencies" as the decoder names it.
func cargoLines(data []byte) map[string]int {
	out := map[string]int{}
	table := ""
	for i, l := range strings.Split(string(data), "\n") {
		if m := tomlHeader.FindStringSubmatch(l); m != nil {
			parts := splitTomlKey(m[1])
			table = strings.Join(parts, ".")
			if n := len(parts); n >= 2 && cargoDepTables[parts[n-2]] {
				k := strings.Join(parts[:n-1], ".") + "\x00" + parts[n-1]
				if _, ok := out[k]; !ok {
					out[k] = i + 1
				}
			}
			continue
		}
		if m := tomlKey.FindStringSubmatch(l); m != nil {
			k := table + "\x00" + unquoteTomlKey(m[1])
			if _, ok := out[k]; !ok {
				out[k] = i + 1
			}
		}
	}
	return out
}

// splitTomlKey splits a dotted TOML key, honouring quotes.
func splitTomlKey(s string) []string {
	var parts []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
		case c == ' ' || c == '\t':
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, strings.TrimSpace(cur.String()))
}

func unquoteTomlKey(k string) string {
	if len(k) >= 2 && (k[0] == '"' || k[0] == '\'') {
		return k[1 : len(k)-1]
	}
	return k
}

// parseCargoLock reads Cargo.lock with osv-scalibr's extractor, leaving out
// the crates of the repository itself (no source: a path dependency or
// the workspace's own members), which are not dependencies, and flagging
// crates that come from git.
func parseCargoLock(ctx context.Context, p string, data []byte) ([]entry, error) {
	all, err := scalibrParser(newCargoLock)(ctx, p, data)
	if err != nil {
		return nil, err
	}
	var lock struct {
		Package []struct {
			Name, Version, Source string
		} `toml:"package"`
	}
	if err := toml.Unmarshal(data, &lock); err != nil {
		return nil, err
	}
	source := map[string]string{}
	for _, pkg := range lock.Package {
		source[pkg.Name+"@"+pkg.Version] = pkg.Source
	}
	out := all[:0]
	for _, e := range all {
		src := source[e.name+"@"+e.version]
		switch {
		case src == "":
			continue
		case strings.HasPrefix(src, "git+"):
			e.flags = append(e.flags, FlagSource)
		}
		out = append(out, e)
	}
	return out, nil
}
