package render

import (
	"fmt"
	"strings"

	"github.com/codex-review/codex-review/review/deps"
)

// The dependency section's limits: a table of changes shares the review
// body's MaxBodyChars with everything else, so a lockfile rewrite is
// listed in part and counted in full; past depsOpenMax rows the table is
// collapsed.
const (
	depsMaxRows    = 100
	depsOpenMax    = 10
	depsMaxAliases = 3
)

// dependencySection renders the computed dependency changes: a count by
// kind, whether vulnerabilities were checked (and why not), a table of the
// changes with their advisories, and the notes. Names, versions and paths
// come from the pull request's files, so every cell is a code span or
// escaped text, with "|" escaped for the table.
func dependencySection(rep *deps.Report) string {
	if rep == nil || (len(rep.Changes) == 0 && len(rep.Notes) == 0) {
		return ""
	}
	var b strings.Builder
	b.WriteString("**Dependency changes**")
	vulnerable := 0
	kinds := map[deps.Kind]int{}
	for _, c := range rep.Changes {
		kinds[c.Change]++
		if len(c.Vulnerabilities) > 0 {
			vulnerable++
		}
	}
	var counts []string
	for _, k := range []deps.Kind{deps.Added, deps.Upgraded, deps.Downgraded, deps.Removed} {
		if kinds[k] > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", kinds[k], k))
		}
	}
	if len(counts) > 0 {
		b.WriteString(": " + strings.Join(counts, ", "))
	}
	switch {
	case rep.NotChecked != "":
		b.WriteString(".\n\n⚠️ Vulnerabilities not checked: " + escapeInline(strings.TrimSuffix(rep.NotChecked, ".")) + ".")
	case vulnerable > 0:
		fmt.Fprintf(&b, "; %s with known vulnerabilities (OSV).", plural(vulnerable, "version", "versions"))
	case rep.Checked && rep.LookedUp > 0:
		b.WriteString("; no known vulnerabilities (OSV).")
	default:
		b.WriteString(".")
	}
	if len(rep.Changes) > 0 {
		table := dependencyTable(rep.Changes)
		if len(rep.Changes) > depsOpenMax {
			table = "<details>\n<summary>" + plural(len(rep.Changes), "change", "changes") + "</summary>\n\n" + table + "\n\n</details>"
		}
		b.WriteString("\n\n" + table)
	}
	for _, n := range rep.Notes {
		b.WriteString("\n- " + escapeInline(n))
	}
	return b.String()
}

func dependencyTable(changes []deps.Change) string {
	var b strings.Builder
	b.WriteString("| Package | Change | Version | Direct | Where | Known vulnerabilities |\n|:--|:--|:--|:--|:--|:--|")
	// Vulnerable versions first: they are what a reader must not miss
	// when the table is cut.
	ordered := make([]deps.Change, 0, len(changes))
	for _, c := range changes {
		if len(c.Vulnerabilities) > 0 {
			ordered = append(ordered, c)
		}
	}
	for _, c := range changes {
		if len(c.Vulnerabilities) == 0 {
			ordered = append(ordered, c)
		}
	}
	for i, c := range ordered {
		if i == depsMaxRows {
			fmt.Fprintf(&b, "\n\n_%s not listed._", plural(len(ordered)-i, "more change", "more changes"))
			break
		}
		where := c.Path
		if c.Line > 0 {
			where = fmt.Sprintf("%s:%d", c.Path, c.Line)
		}
		fmt.Fprintf(&b, "\n| %s %s | %s | %s | %s | %s | %s |",
			escapeInline(c.Ecosystem), cell(c.Name), string(c.Change)+flagNote(c.Flags), c.Versions(cell, " → "), c.Reach(), cell(where), advisories(c.Vulnerabilities))
	}
	return b.String()
}

// cell is a code span safe inside a table cell.
func cell(s string) string {
	return strings.ReplaceAll(codeSpan(s), "|", `\|`)
}

func flagNote(flags []string) string {
	if len(flags) == 0 {
		return ""
	}
	return " (" + escapeInline(strings.Join(flags, ", ")) + ")"
}

// advisories lists a version's advisories: id, severity, first fix.
func advisories(vs []deps.Vulnerability) string {
	if len(vs) == 0 {
		return ""
	}
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		s := "**" + escapeInline(v.ID) + "** " + escapeInline(v.Severity)
		if v.Fixed != "" {
			s += ", fixed in " + cell(v.Fixed)
		}
		if n := len(v.Aliases); n > 0 {
			aliases := v.Aliases[:min(n, depsMaxAliases)]
			s += " (" + escapeInline(strings.Join(aliases, ", "))
			if n > depsMaxAliases {
				s += ", …"
			}
			s += ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
