package deps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
)

// parseGoMod reads go.mod with the Go team's own parser. osv-scalibr's
// gomod extractor is built on the same parser but drops the two things a
// review needs here: the "// indirect" mark (direct or transitive) and
// which requirements a replace directive points elsewhere.
func parseGoMod(_ context.Context, p string, data []byte) ([]entry, error) {
	f, err := modfile.Parse(p, data, nil)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(f.Require))
	index := map[string]int{}
	for _, r := range f.Require {
		index[r.Mod.Path] = len(out)
		out = append(out, entry{
			name:    r.Mod.Path,
			version: r.Mod.Version,
			spec:    r.Mod.Version,
			line:    r.Syntax.Start.Line,
			direct:  !r.Indirect,
			exact:   true,
		})
	}
	for _, r := range f.Replace {
		i, ok := index[r.Old.Path]
		if !ok || (r.Old.Version != "" && r.Old.Version != out[i].version) {
			continue
		}
		e := &out[i]
		e.flags = append(e.flags, FlagSource)
		if r.New.Version == "" {
			// A local directory: no registry version to look up.
			e.spec = "=> " + r.New.Path
			e.exact = false
			continue
		}
		if r.New.Path == r.Old.Path {
			e.version = r.New.Version
			e.spec = r.New.Version
		} else {
			e.spec = "=> " + r.New.Path + " " + r.New.Version
			e.exact = false
		}
	}
	return out, nil
}

// lines maps byte offsets of a file to 1-based line numbers.
type lines []int // offsets of line starts

func newLines(data []byte) lines {
	l := lines{0}
	for i, b := range data {
		if b == '\n' {
			l = append(l, i+1)
		}
	}
	return l
}

// at returns the line holding byte offset off.
func (l lines) at(off int64) int {
	return sort.Search(len(l), func(i int) bool { return int64(l[i]) > off })
}

// jsonDep is one "name": "spec" pair of a JSON manifest section.
type jsonDep struct {
	name, spec, section string
	line                int
}

// jsonSections reads the string members of the named top-level objects of
// a JSON manifest, with the line of each key. osv-scalibr's package.json
// extractor reads only "dependencies" and turns each range into its lowest
// version, losing the spec that tells a floating range or a git source.
func jsonSections(data []byte, sections ...string) ([]jsonDep, error) {
	want := map[string]bool{}
	for _, s := range sections {
		want[s] = true
	}
	ln := newLines(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var out []jsonDep
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return nil, err
		}
		if !want[key] {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if t != json.Delim('{') {
			// Not an object (null, or a malformed manifest): nothing to
			// read, but the rest of the value must be consumed.
			if _, ok := t.(json.Delim); ok {
				if err := skipRest(dec); err != nil {
					return nil, err
				}
			}
			continue
		}
		for dec.More() {
			name, err := stringToken(dec)
			if err != nil {
				return nil, err
			}
			line := ln.at(dec.InputOffset())
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, err
			}
			spec, _ := v.(string)
			out = append(out, jsonDep{name: name, spec: spec, section: key, line: line})
		}
		if _, err := dec.Token(); err != nil { // the closing brace
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("expected %q, found %v", d, t)
	}
	return nil
}

func stringToken(dec *json.Decoder) (string, error) {
	t, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", fmt.Errorf("expected an object key, found %v", t)
	}
	return s, nil
}

// skipRest consumes the rest of an array or object whose opening
// delimiter was already read.
func skipRest(dec *json.Decoder) error {
	depth := 1
	for depth > 0 {
		t, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
	}
	return nil
}

var npmSections = []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"}

// exactSemver is a single version: "1.2.3", "=1.2.3", "v1.2.3-rc.1+b2".
var exactSemver = regexp.MustCompile(`^=?v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$`)

// leadingVersion finds the first version number of a range: "^4.17.0" ->
// "4.17.0", ">=1.2 <2" -> "1.2".
var leadingVersion = regexp.MustCompile(`\d+(?:\.\d+)*(?:[-+.][0-9A-Za-z.+-]*)?`)

// npmSourceSpec matches specs that point outside the registry: git and
// hosted-git shorthands, tarball URLs, local paths.
var npmSourceSpec = regexp.MustCompile(`^(?:git(?:\+[a-z]+)?:|git@|github:|gitlab:|bitbucket:|gist:|https?:|file:|link:|\.{0,2}/|~/|[A-Za-z0-9][\w.-]*/[\w.-]+(?:#.*)?$)`)

func parsePackageJSON(_ context.Context, _ string, data []byte) ([]entry, error) {
	deps, err := jsonSections(data, npmSections...)
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(deps))
	seen := map[string]bool{}
	for _, d := range deps {
		// A package in several sections (peer and dev, commonly) is one
		// dependency; the first section wins.
		if seen[d.name] {
			continue
		}
		seen[d.name] = true
		spec := strings.TrimSpace(d.spec)
		if strings.HasPrefix(spec, "workspace:") {
			continue // a package of the same repository
		}
		if alias, ok := strings.CutPrefix(spec, "npm:"); ok {
			// "npm:real-name@range" installs real-name.
			if at := strings.LastIndex(alias, "@"); at > 0 {
				spec = alias[at+1:]
			}
		}
		e := entry{name: d.name, spec: d.spec, line: d.line, direct: true}
		switch {
		case npmSourceSpec.MatchString(spec):
			e.flags = append(e.flags, FlagSource)
		case exactSemver.MatchString(spec):
			e.version, e.exact = strings.TrimPrefix(strings.TrimPrefix(spec, "="), "v"), true
		default:
			e.version = leadingVersion.FindString(spec)
			e.flags = append(e.flags, FlagFloating)
		}
		out = append(out, e)
	}
	return out, nil
}

// composerPlatform matches composer.json requirements that are not
// packages: the PHP version, extensions and libraries of the platform.
var composerPlatform = regexp.MustCompile(`^(?:php(?:-64bit|-ipv6|-zts|-debug)?|hhvm|ext-.+|lib-.+|composer(?:-plugin-api|-runtime-api)?)$`)

var exactComposer = regexp.MustCompile(`^v?\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.]+)?$`)

func parseComposerJSON(_ context.Context, _ string, data []byte) ([]entry, error) {
	deps, err := jsonSections(data, "require", "require-dev")
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(deps))
	for _, d := range deps {
		if composerPlatform.MatchString(strings.ToLower(d.name)) {
			continue
		}
		spec := strings.TrimSpace(d.spec)
		e := entry{name: strings.ToLower(d.name), spec: d.spec, line: d.line, direct: true}
		switch {
		case strings.HasPrefix(spec, "dev-") || strings.Contains(spec, "-dev"):
			e.flags = append(e.flags, FlagFloating, FlagSource)
		case exactComposer.MatchString(spec):
			e.version, e.exact = strings.TrimPrefix(spec, "v"), true
		default:
			e.version = leadingVersion.FindString(spec)
			e.flags = append(e.flags, FlagFloating)
		}
		out = append(out, e)
	}
	return out, nil
}
