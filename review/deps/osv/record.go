// Package osv finds known vulnerabilities of package versions in the OSV
// database (https://osv.dev): through its API (POST /v1/querybatch, then
// GET /v1/vulns/{id} for each record) or, offline, in a directory holding
// OSV's per-ecosystem export unzipped. Answers are cached for the life of
// the process.
package osv

import (
	"slices"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/codex-review/codex-review/review/deps"
)

// Record is the part of an OSV record (schema 1.x) the review uses.
type Record struct {
	ID               string         `json:"id"`
	Modified         string         `json:"modified,omitempty"`
	Aliases          []string       `json:"aliases,omitempty"`
	Summary          string         `json:"summary,omitempty"`
	Severity         []Severity     `json:"severity,omitempty"`
	Affected         []Affected     `json:"affected,omitempty"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty"`
	Withdrawn        string         `json:"withdrawn,omitempty"`
}

// Severity is a scored severity, such as a CVSS vector.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one affected package with its versions and ranges.
type Affected struct {
	Package           Pkg            `json:"package"`
	Ranges            []Range        `json:"ranges,omitempty"`
	Versions          []string       `json:"versions,omitempty"`
	Severity          []Severity     `json:"severity,omitempty"`
	EcosystemSpecific map[string]any `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  map[string]any `json:"database_specific,omitempty"`
}

// Pkg names a package in an ecosystem.
type Pkg struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a list of events over versions of one ordering.
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event opens or closes an affected range; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// osvVersion is a version as OSV writes it: Go module versions without
// the leading "v".
func osvVersion(eco, v string) string {
	if eco == deps.Go {
		return strings.TrimPrefix(v, "v")
	}
	return v
}

// samePackage compares names the way the ecosystem does.
func samePackage(eco, a, b string) bool {
	switch eco {
	case deps.PyPI:
		return pypiNormal(a) == pypiNormal(b)
	case deps.Packagist:
		return strings.EqualFold(a, b)
	}
	return a == b
}

func pypiNormal(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "-", ".", "-").Replace(s)
}

// baseEcosystem drops a release suffix ("Debian:12" -> "Debian").
func baseEcosystem(e string) string {
	b, _, _ := strings.Cut(e, ":")
	return b
}

// matches reports whether the record affects the version of the package,
// and the first version that fixes the range it is in ("" if none).
func (r *Record) matches(p deps.Package) (bool, string) {
	if r.Withdrawn != "" {
		return false, ""
	}
	v := osvVersion(p.Ecosystem, p.Version)
	hit, fixed := false, ""
	for _, a := range r.Affected {
		if baseEcosystem(a.Package.Ecosystem) != p.Ecosystem || !samePackage(p.Ecosystem, a.Package.Name, p.Name) {
			continue
		}
		in := slices.Contains(a.Versions, v)
		for _, rg := range a.Ranges {
			if rg.Type != "SEMVER" && rg.Type != "ECOSYSTEM" {
				continue // GIT ranges are commits, not versions
			}
			ok, fix := inRange(p.Ecosystem, rg.Events, v)
			if ok {
				in = true
				if fixed == "" {
					fixed = fix
				}
			}
		}
		hit = hit || in
	}
	return hit, fixed
}

// inRange evaluates one range's events for version v, returning whether v
// is affected and the fix that closes its interval.
func inRange(eco string, events []Event, v string) (bool, string) {
	pv, err := semantic.Parse(v, eco)
	if err != nil {
		return false, ""
	}
	type ev struct {
		kind, version string
	}
	var evs []ev
	for _, e := range events {
		switch {
		case e.Introduced != "":
			evs = append(evs, ev{"introduced", e.Introduced})
		case e.Fixed != "":
			evs = append(evs, ev{"fixed", e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, ev{"last_affected", e.LastAffected})
		case e.Limit != "":
			evs = append(evs, ev{"limit", e.Limit})
		}
	}
	// cmp orders an event's version against v; "0" is before everything.
	cmp := func(s string) int {
		if s == "0" {
			return -1
		}
		c, err := pv.CompareStr(s)
		if err != nil {
			return 2 // unparseable: treat as unrelated
		}
		return -c
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].version == "0" || evs[j].version == "0" {
			return evs[i].version == "0" && evs[j].version != "0"
		}
		a, err := semantic.Parse(evs[i].version, eco)
		if err != nil {
			return false
		}
		c, err := a.CompareStr(evs[j].version)
		return err == nil && c < 0
	})
	affected := false
	for _, e := range evs {
		c := cmp(e.version)
		if c == 2 {
			continue
		}
		if c > 0 {
			// The first event after v closes or leaves open its interval.
			if affected && e.kind == "fixed" {
				return true, e.version
			}
			break
		}
		switch e.kind {
		case "introduced":
			affected = true
		case "fixed", "limit":
			affected = false
		case "last_affected":
			if c < 0 {
				affected = false
			}
		}
	}
	return affected, ""
}

// vulnerability turns a record into what a change carries.
func (r *Record) vulnerability(fixed string) deps.Vulnerability {
	aliases := slices.Clone(r.Aliases)
	if aliases == nil {
		aliases = []string{}
	}
	return deps.Vulnerability{
		ID:       r.ID,
		Aliases:  aliases,
		Severity: r.severity(),
		Fixed:    fixed,
		Summary:  r.Summary,
	}
}

// severity reads the record's qualitative severity: GitHub's advisory
// database labels (database_specific.severity), else the CVSS v3 base
// score of its vector, else unknown.
func (r *Record) severity() string {
	label := func(m map[string]any) string {
		s, _ := m["severity"].(string)
		switch strings.ToLower(s) {
		case "critical":
			return deps.SeverityCritical
		case "high":
			return deps.SeverityHigh
		case "moderate", "medium":
			return deps.SeverityModerate
		case "low":
			return deps.SeverityLow
		}
		return ""
	}
	if s := label(r.DatabaseSpecific); s != "" {
		return s
	}
	for _, a := range r.Affected {
		if s := label(a.DatabaseSpecific); s != "" {
			return s
		}
		if s := label(a.EcosystemSpecific); s != "" {
			return s
		}
	}
	scores := slices.Clone(r.Severity)
	for _, a := range r.Affected {
		scores = append(scores, a.Severity...)
	}
	for _, s := range scores {
		if s.Type != "CVSS_V3" {
			continue
		}
		if score, ok := cvss3BaseScore(s.Score); ok {
			return severityOfScore(score)
		}
	}
	return deps.SeverityUnknown
}

// severityOfScore applies CVSS v3's qualitative rating scale.
func severityOfScore(score float64) string {
	switch {
	case score >= 9.0:
		return deps.SeverityCritical
	case score >= 7.0:
		return deps.SeverityHigh
	case score >= 4.0:
		return deps.SeverityModerate
	case score > 0:
		return deps.SeverityLow
	}
	return deps.SeverityUnknown
}

// severityRank orders severities, most severe first.
func severityRank(s string) int {
	switch s {
	case deps.SeverityCritical:
		return 0
	case deps.SeverityHigh:
		return 1
	case deps.SeverityModerate:
		return 2
	case deps.SeverityLow:
		return 3
	}
	return 4
}

// merge folds records that are the same advisory under several ids (a Go
// vulnerability GO-… and its GitHub advisory GHSA-…, which alias each
// other) into one, keeping every id, and sorts the result most severe
// first.
func merge(vs []deps.Vulnerability) []deps.Vulnerability {
	// The most severe id leads, so the advisory named is the one whose
	// rating is shown; ties go to the smaller id, for a stable answer.
	vs = slices.Clone(vs)
	sort.SliceStable(vs, func(i, j int) bool {
		if a, b := severityRank(vs[i].Severity), severityRank(vs[j].Severity); a != b {
			return a < b
		}
		return vs[i].ID < vs[j].ID
	})
	var out []deps.Vulnerability
	for _, v := range vs {
		names := append([]string{v.ID}, v.Aliases...)
		i := slices.IndexFunc(out, func(o deps.Vulnerability) bool {
			all := append([]string{o.ID}, o.Aliases...)
			return slices.ContainsFunc(names, func(n string) bool { return slices.Contains(all, n) })
		})
		if i < 0 {
			out = append(out, v)
			continue
		}
		o := &out[i]
		if o.Fixed == "" {
			o.Fixed = v.Fixed
		}
		if o.Summary == "" {
			o.Summary = v.Summary
		}
		for _, n := range names {
			if n != o.ID && !slices.Contains(o.Aliases, n) {
				o.Aliases = append(o.Aliases, n)
			}
		}
		sort.Strings(o.Aliases)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := severityRank(out[i].Severity), severityRank(out[j].Severity); a != b {
			return a < b
		}
		return out[i].ID < out[j].ID
	})
	return out
}
