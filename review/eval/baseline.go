package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MaxReportSize bounds a baseline file: a report of thousands of cases is
// a few megabytes.
const MaxReportSize = 64 << 20

// ReadReport reads a report written with --format json, for use as a
// baseline. It refuses other JSON, and reports of another version.
func ReadReport(r io.Reader) (*Report, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxReportSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxReportSize {
		return nil, fmt.Errorf("larger than %d MiB", MaxReportSize>>20)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("not an evaluation report: %w", err)
	}
	if rep.Kind != ReportKind {
		return nil, fmt.Errorf("not an evaluation report (kind %q, want %q): write one with `codex-review eval --format json`", rep.Kind, ReportKind)
	}
	if rep.Version != ReportVersion {
		return nil, fmt.Errorf("report version %d is not supported (this release reads version %d)", rep.Version, ReportVersion)
	}
	return &rep, nil
}

// Comparison sets a report beside an earlier one.
type Comparison struct {
	Base *Report
	// Changed lists the cases, present in both, whose outcome differs.
	Changed []CaseChange
	// Added and Removed name cases in only one of the two runs.
	Added, Removed []string
}

// CaseChange is one case whose outcome differs from the baseline's.
type CaseChange struct {
	Name string
	// Before and After summarise the outcome ("found 1 of 2, 1 false
	// positive").
	Before, After string
	// NowMissed and NowFound list expectations that changed side; the
	// false positive counts are in Before and After.
	NowMissed, NowFound []string
}

// Compare sets r beside base.
func Compare(r, base *Report) *Comparison {
	cmp := &Comparison{Base: base}
	old := map[string]*CaseReport{}
	for i := range base.Cases {
		old[base.Cases[i].Name] = &base.Cases[i]
	}
	seen := map[string]bool{}
	for _, c := range r.Cases {
		seen[c.Name] = true
		b, ok := old[c.Name]
		if !ok {
			cmp.Added = append(cmp.Added, c.Name)
			continue
		}
		if ch, changed := compareCase(*b, c); changed {
			cmp.Changed = append(cmp.Changed, ch)
		}
	}
	for _, c := range base.Cases {
		if !seen[c.Name] {
			cmp.Removed = append(cmp.Removed, c.Name)
		}
	}
	return cmp
}

// compareCase reports how a case's outcome changed: its status, which
// expectations were missed, or how many false positives it had.
func compareCase(before, after CaseReport) (CaseChange, bool) {
	ch := CaseChange{Name: after.Name, Before: Outcome(before), After: Outcome(after)}
	if before.Status != after.Status {
		return ch, true
	}
	if !after.Scored() {
		return ch, false
	}
	was, is := missed(before), missed(after)
	for _, m := range is {
		if !slices.Contains(was, m) {
			ch.NowMissed = append(ch.NowMissed, m)
		}
	}
	for _, m := range was {
		if !slices.Contains(is, m) {
			ch.NowFound = append(ch.NowFound, m)
		}
	}
	changed := len(ch.NowMissed) > 0 || len(ch.NowFound) > 0 ||
		len(before.FalsePositives) != len(after.FalsePositives) || before.Expected != after.Expected
	return ch, changed
}

func missed(c CaseReport) []string {
	out := make([]string, len(c.Misses))
	for i, w := range c.Misses {
		out[i] = w.Label()
	}
	return out
}

// Outcome summarises a case in a few words: "found 1 of 2, 1 false
// positive", "clean", "error", "not run".
func Outcome(c CaseReport) string {
	switch c.Status {
	case StatusError:
		return "error"
	case StatusNotRun:
		return "not run"
	}
	var parts []string
	if c.Expected > 0 {
		parts = append(parts, fmt.Sprintf("found %d of %d", len(c.Matches), c.Expected))
	}
	switch n := len(c.FalsePositives); {
	case n > 0:
		parts = append(parts, plural(n, "false positive", "false positives"))
	case c.Expected == 0:
		parts = append(parts, "clean")
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
