package deps

import (
	"fmt"
	"path"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// Findings turns every added or changed version with a known advisory into
// a finding of area dependencies, no model needed: on the line that
// introduced the version (the manifest's, or the lockfile's when the
// manifest line is not in the diff), with a priority from the most
// severe advisory (critical or high: P1, moderate: P2, low or unknown:
// P3), the advisory ids and first fixed versions in the body, and a
// suggestion when the fix is a version bump on that line. d is the diff
// the findings will be placed on.
func (r *Report) Findings(d *diff.Diff) []finding.Finding {
	if r == nil {
		return nil
	}
	var out []finding.Finding
	for _, c := range r.Changes {
		if c.Change == Removed || len(c.Vulnerabilities) == 0 {
			continue
		}
		p, line := c.Path, c.Line
		if !shown(d, p, line) && c.lockPath != "" && shown(d, c.lockPath, c.lockLine) {
			p, line = c.lockPath, c.lockLine
		}
		f := finding.Finding{
			Title:           title(c),
			Body:            body(c),
			ConfidenceScore: 1,
			Priority:        int(priority(c.Vulnerabilities)),
			Category:        string(finding.Dependencies),
			CodeLocation:    finding.CodeLocation{AbsoluteFilePath: p, LineRange: finding.LineRange{Start: line, End: line}},
		}
		if fix := fixVersion(c); fix != "" {
			if text, ok := headLine(d, p, line); ok && strings.Count(text, c.To) == 1 {
				f.Suggestion = strings.Replace(text, c.To, fix, 1)
			}
		}
		out = append(out, f)
	}
	return out
}

// priority maps the most severe advisory to a review priority.
func priority(vs []Vulnerability) finding.Priority {
	p := finding.P3
	for _, v := range vs {
		switch v.Severity {
		case SeverityCritical, SeverityHigh:
			return finding.P1
		case SeverityModerate:
			p = finding.P2
		}
	}
	return p
}

// title and body show every name and version, which come from the pull
// request's files, as a code span (markdown.CodeSpan): the posted finding
// cannot turn them into a link or a mention.
func title(c Change) string {
	ids := make([]string, 0, len(c.Vulnerabilities))
	for _, v := range c.Vulnerabilities {
		ids = append(ids, v.ID)
	}
	if len(ids) > 3 {
		ids = append(ids[:3], fmt.Sprintf("%d more", len(ids)-3))
	}
	return fmt.Sprintf("%s %s has known vulnerabilities (%s)", markdown.CodeSpan(c.Name), markdown.CodeSpan(c.To), strings.Join(ids, ", "))
}

func body(c Change) string {
	var b strings.Builder
	verb := map[Kind]string{Added: "adds", Upgraded: "upgrades", Downgraded: "downgrades"}[c.Change]
	fmt.Fprintf(&b, "This change %s a %s dependency %s", verb, c.Reach(), markdown.CodeSpan(c.Name))
	if c.From != "" {
		fmt.Fprintf(&b, " from %s", markdown.CodeSpan(c.From))
	}
	fmt.Fprintf(&b, " to %s (%s), a version with known vulnerabilities: ", markdown.CodeSpan(c.To), c.Ecosystem)
	for i, v := range c.Vulnerabilities {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.ID)
		if len(v.Aliases) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(v.Aliases, ", "))
		}
		fmt.Fprintf(&b, ", %s severity", v.Severity)
		if s := strings.Join(strings.Fields(v.Summary), " "); s != "" {
			fmt.Fprintf(&b, ", %q", truncateRunes(s, 160))
		}
		if v.Fixed != "" {
			fmt.Fprintf(&b, ", first fixed in %s", markdown.CodeSpan(v.Fixed))
		} else {
			b.WriteString(", no fixed version yet")
		}
	}
	b.WriteString(".")
	if fix := fixVersion(c); fix != "" {
		fmt.Fprintf(&b, " Use %s or later.", markdown.CodeSpan(fix))
	} else if c.Change == Downgraded && c.From != "" {
		fmt.Fprintf(&b, " Keep %s unless the downgrade is deliberate.", markdown.CodeSpan(c.From))
	}
	return b.String()
}

// fixVersion is the lowest version that fixes every advisory: the highest
// of their first fixed versions, "" when one has no fix or they cannot be
// ordered.
func fixVersion(c Change) string {
	best := ""
	for _, v := range c.Vulnerabilities {
		if v.Fixed == "" {
			return ""
		}
		if best == "" {
			best = v.Fixed
			continue
		}
		b, err := semantic.Parse(best, c.Ecosystem)
		if err != nil {
			return ""
		}
		cmp, err := b.CompareStr(v.Fixed)
		if err != nil {
			return ""
		}
		if cmp < 0 {
			best = v.Fixed
		}
	}
	return best
}

// shown reports whether line of the head version of p is in the diff, so
// a comment can be placed on it.
func shown(d *diff.Diff, p string, line int) bool {
	_, ok := diffLine(d, p, line)
	return ok
}

// headLine returns the text of a head line shown in the diff.
func headLine(d *diff.Diff, p string, line int) (string, bool) {
	l, ok := diffLine(d, p, line)
	return l.Content, ok
}

// diffLine finds the added or context line of the diff at head line line
// of p.
func diffLine(d *diff.Diff, p string, line int) (diff.Line, bool) {
	if d == nil || line <= 0 {
		return diff.Line{}, false
	}
	f := d.File(p)
	if f == nil {
		return diff.Line{}, false
	}
	h := f.HunkAt(diff.Right, line)
	if h < 0 {
		return diff.Line{}, false
	}
	for _, l := range f.Hunks[h].Lines {
		if l.Kind != diff.Deleted && l.NewLine == line {
			return l, true
		}
	}
	return diff.Line{}, false
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// maxFactChanges and maxHunkLines bound the facts given to the model: a
// lockfile rewrite can change thousands of packages, and the pass needs
// the picture, not every line.
const (
	maxFactChanges = 150
	maxHunkLines   = 300
)

// Facts renders the report compactly for the dependencies pass: the
// computed changes, with advisories already reported as findings marked
// so the model does not repeat them, the notes, and the lockfile lines
// around each change from the diff. The text comes from the pull request's
// files, so it is given to the model as untrusted material.
func (r *Report) Facts(d *diff.Diff) string {
	if r == nil || (len(r.Changes) == 0 && len(r.Notes) == 0) {
		return ""
	}
	var b strings.Builder
	b.WriteString("Dependency changes computed from the manifests and lockfiles (exact; vulnerabilities listed here are already reported, do not repeat them):\n")
	for i, c := range r.Changes {
		if i == maxFactChanges {
			fmt.Fprintf(&b, "- … and %d more\n", len(r.Changes)-i)
			break
		}
		fmt.Fprintf(&b, "- %s %s: %s %s", c.Ecosystem, c.Name, c.Change, c.Versions(func(s string) string { return s }, " -> "))
		fmt.Fprintf(&b, ", %s, %s:%d", c.Reach(), c.Path, c.Line)
		if c.Spec != "" && c.Spec != c.To {
			fmt.Fprintf(&b, ", declared as %q", c.Spec)
		}
		if len(c.Flags) > 0 {
			fmt.Fprintf(&b, ", flagged: %s", strings.Join(c.Flags, ", "))
		}
		for _, v := range c.Vulnerabilities {
			fmt.Fprintf(&b, ", %s (%s)", v.ID, v.Severity)
		}
		b.WriteByte('\n')
	}
	for _, n := range r.Notes {
		b.WriteString("Note: " + n + "\n")
	}
	switch {
	case r.NotChecked != "":
		b.WriteString("Known vulnerabilities were not checked: " + r.NotChecked + "\n")
	case r.LookedUp > 0:
		b.WriteString("Known vulnerabilities were checked in the OSV database.\n")
	}
	if h := lockHunks(r, d); h != "" {
		b.WriteString("\nLockfile lines around the changed packages (head line numbers):\n")
		b.WriteString(h)
	}
	return b.String()
}

// lockHunks quotes, for each change located in a lockfile, the diff lines
// from its line to the end of its entry (a few lines), so the model sees
// sources, integrity and resolution of what the lockfile pins.
func lockHunks(r *Report, d *diff.Diff) string {
	if d == nil {
		return ""
	}
	var b strings.Builder
	budget := maxHunkLines
	lastPath := ""
	for _, c := range r.Changes {
		p, line := c.Path, c.Line
		if c.lockPath != "" {
			p, line = c.lockPath, c.lockLine
		}
		if f, ok := formatOf(p); !ok || !f.lock || c.Change == Removed {
			continue
		}
		file := d.File(p)
		if file == nil {
			continue
		}
		h := file.HunkAt(diff.Right, line)
		if h < 0 {
			continue
		}
		var quoted []string
		for _, l := range file.Hunks[h].Lines {
			if l.Kind == diff.Deleted || l.NewLine < line || l.NewLine >= line+8 {
				continue
			}
			mark := " "
			if l.Kind == diff.Added {
				mark = "+"
			}
			quoted = append(quoted, fmt.Sprintf("%s%d %s", mark, l.NewLine, truncateRunes(l.Content, 200)))
		}
		if len(quoted) == 0 || len(quoted) > budget {
			break
		}
		budget -= len(quoted)
		if p != lastPath {
			b.WriteString(path.Clean(p) + ":\n")
			lastPath = p
		}
		b.WriteString(strings.Join(quoted, "\n") + "\n")
	}
	return b.String()
}

// ChangedPaths lists the paths a diff touches, old and new, for Analyze.
func ChangedPaths(d *diff.Diff) []string {
	var out []string
	for _, f := range d.Files {
		if f.OldPath != "" {
			out = append(out, f.OldPath)
		}
		if f.NewPath != "" && f.NewPath != f.OldPath {
			out = append(out, f.NewPath)
		}
	}
	return out
}
