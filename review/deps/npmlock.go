package deps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// parsePackageLock reads package-lock.json and npm-shrinkwrap.json, all
// three lockfile versions, in one streaming pass. osv-scalibr has an
// extractor for them, but it finds each package's line with a JSON path
// lookup from the start of the document: quadratic, about 750 ms for a
// 2,000-package lockfile on this project's CI machine, where this pass
// takes a few milliseconds.
//
// Version 2 and 3 list every installed package under "packages", keyed by
// its path ("node_modules/a/node_modules/b"); version 1 nests them under
// "dependencies". A top-level install that the root package declares is
// direct.
func parsePackageLock(_ context.Context, _ string, data []byte) ([]entry, error) {
	ln := newLines(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var v2, v1 []entry
	haveV2 := false
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "packages":
			haveV2 = true
			if v2, err = lockPackages(dec, ln); err != nil {
				return nil, err
			}
		case "dependencies":
			if v1, err = lockDependencies(dec, ln); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if haveV2 {
		// Version 2 carries both; "packages" is the complete one.
		return v2, nil
	}
	return v1, nil
}

type lockPackage struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Link                 bool              `json:"link"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

// lockPackages reads the "packages" object of a version 2 or 3 lockfile.
func lockPackages(dec *json.Decoder, ln lines) ([]entry, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var out []entry
	declared := map[string]bool{}
	for dec.More() {
		key, err := stringToken(dec)
		if err != nil {
			return nil, err
		}
		line := ln.at(dec.InputOffset())
		var p lockPackage
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("packages[%q]: %w", key, err)
		}
		if key == "" {
			for _, m := range []map[string]string{p.Dependencies, p.DevDependencies, p.OptionalDependencies, p.PeerDependencies} {
				for n := range m {
					declared[n] = true
				}
			}
			continue
		}
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 || p.Link || p.Version == "" {
			// A workspace directory, or a link to one: the repository's
			// own code, not a dependency.
			continue
		}
		name := key[i+len("node_modules/"):]
		top := i == 0
		if p.Name != "" {
			name = p.Name // an alias installs another package
		}
		e := entry{name: name, version: p.Version, line: line, exact: true}
		e.direct = top && declared[key[len("node_modules/"):]]
		if isNonRegistry(p.Resolved) || isNonRegistry(p.Version) {
			e.flags = append(e.flags, FlagSource)
			e.exact = !strings.Contains(p.Version, ":")
		}
		out = append(out, e)
	}
	_, err := dec.Token()
	return out, err
}

// lockDependencies reads a version 1 "dependencies" object, recursively.
func lockDependencies(dec *json.Decoder, ln lines) ([]entry, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var out []entry
	for dec.More() {
		name, err := stringToken(dec)
		if err != nil {
			return nil, err
		}
		line := ln.at(dec.InputOffset())
		if err := expectDelim(dec, '{'); err != nil {
			return nil, fmt.Errorf("dependencies[%q]: %w", name, err)
		}
		e := entry{name: name, line: line}
		for dec.More() {
			field, err := stringToken(dec)
			if err != nil {
				return nil, err
			}
			switch field {
			case "version", "resolved":
				var s string
				if err := dec.Decode(&s); err != nil {
					return nil, fmt.Errorf("dependencies[%q].%s: %w", name, field, err)
				}
				if field == "version" {
					e.version = s
				} else if isNonRegistry(s) {
					e.flags = append(e.flags, FlagSource)
				}
			case "dependencies":
				nested, err := lockDependencies(dec, ln)
				if err != nil {
					return nil, err
				}
				out = append(out, nested...)
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return nil, err
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		if e.version == "" {
			continue
		}
		if isNonRegistry(e.version) {
			// Version 1 writes a git or file source as the version.
			e.flags = append(e.flags, FlagSource)
			e.spec = e.version
			e.version = ""
		} else {
			e.exact = true
		}
		out = append(out, e)
	}
	_, err := dec.Token()
	return out, err
}

// isNonRegistry reports whether a lockfile's resolved URL or version
// points outside the npm registry.
func isNonRegistry(s string) bool {
	for _, p := range []string{"git+", "git:", "github:", "file:", "link:"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
