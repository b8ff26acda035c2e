package merge

import (
	"cmp"
	"slices"
	"strings"

	"github.com/codex-review/codex-review/review/finding"
)

// nearLines is how far apart (in lines) two ranges may be and still be
// taken for the same spot: models often point one issue a line or two off
// when they see it from different chunks or passes.
const nearLines = 2

// minJaccard is the share of title words two findings at the same spot
// must have in common to count as one issue.
const minJaccard = 0.5

// Options says what Merge keeps.
type Options struct {
	// MinPriority is the lowest priority kept: P1 keeps P0 and P1. The
	// zero value keeps P0 only; callers pass the configured threshold.
	MinPriority finding.Priority
	// MaxFindings caps the number of findings kept; 0 means no cap.
	MaxFindings int
}

// Result is what Merge kept and what it counted away. Nothing disappears
// without a count, so the summary can say what was left out.
type Result struct {
	// Findings are the kept findings, best first.
	Findings []finding.Finding
	// BelowThreshold counts distinct findings under Options.MinPriority.
	BelowThreshold int
	// Omitted counts findings at or above the threshold cut by the cap.
	Omitted int
	// Duplicates counts findings dropped as repeats of a kept one.
	Duplicates int
}

// candidate is a finding with the keys deduplication compares.
type candidate struct {
	f     finding.Finding
	fp    string
	words []string
}

// Merge deduplicates, ranks, thresholds and caps the findings of all
// passes and chunks. The findings should have gone through Normalize.
//
// Two findings are one issue when they have the same Fingerprint, or when
// they are in the same file, their line ranges overlap or lie within two
// lines of each other, and their titles are similar (at least half of the
// title words shared, or one title's words found in the other). Of such a
// group the finding with the higher priority, then the higher confidence,
// is kept as it is; bodies and ranges are not blended, so what is posted is
// always something the model wrote.
//
// The order is priority, then confidence (descending), then path and line,
// with the remaining fields as tie-breakers so that the result does not
// depend on the order passes finished in.
func Merge(fs []finding.Finding, opt Options) Result {
	cands := make([]candidate, len(fs))
	for i, f := range fs {
		cands[i] = candidate{f: f, fp: Fingerprint(f), words: titleWords(f.Title)}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return compareRank(a.f, b.f) })

	var res Result
	kept := make([]*candidate, 0, len(cands))
	seen := make(map[string]bool, len(cands))
	byPath := make(map[string][]*candidate)
	for i := range cands {
		c := &cands[i]
		if seen[c.fp] || slices.ContainsFunc(byPath[c.f.CodeLocation.AbsoluteFilePath], func(k *candidate) bool { return sameIssue(k, c) }) {
			res.Duplicates++
			continue
		}
		seen[c.fp] = true
		p := c.f.CodeLocation.AbsoluteFilePath
		byPath[p] = append(byPath[p], c)
		kept = append(kept, c)
	}

	// Ranking put higher priorities first, so the threshold and the cap
	// both cut a tail.
	for _, c := range kept {
		if finding.Priority(c.f.Priority) > opt.MinPriority {
			res.BelowThreshold++
			continue
		}
		if opt.MaxFindings > 0 && len(res.Findings) >= opt.MaxFindings {
			res.Omitted++
			continue
		}
		res.Findings = append(res.Findings, c.f)
	}
	return res
}

// compareRank orders findings best first, deterministically.
func compareRank(a, b finding.Finding) int {
	if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
		return c
	}
	if c := cmp.Compare(b.ConfidenceScore, a.ConfidenceScore); c != 0 {
		return c
	}
	if c := strings.Compare(a.CodeLocation.AbsoluteFilePath, b.CodeLocation.AbsoluteFilePath); c != 0 {
		return c
	}
	if c := cmp.Compare(a.CodeLocation.LineRange.Start, b.CodeLocation.LineRange.Start); c != 0 {
		return c
	}
	if c := cmp.Compare(a.CodeLocation.LineRange.End, b.CodeLocation.LineRange.End); c != 0 {
		return c
	}
	if c := strings.Compare(a.Category, b.Category); c != 0 {
		return c
	}
	if c := strings.Compare(a.Title, b.Title); c != 0 {
		return c
	}
	if c := strings.Compare(a.Body, b.Body); c != 0 {
		return c
	}
	return strings.Compare(a.Suggestion, b.Suggestion)
}

// sameIssue reports whether two findings in the same file describe one
// issue at one spot (the fingerprint test is done by the caller).
func sameIssue(a, b *candidate) bool {
	if a.fp == b.fp {
		return true
	}
	if a.f.CodeLocation.AbsoluteFilePath != b.f.CodeLocation.AbsoluteFilePath {
		return false
	}
	return rangesNear(a.f.CodeLocation.LineRange, b.f.CodeLocation.LineRange) && similarTitles(a.words, b.words)
}

// rangesNear reports whether two ranges overlap or are at most nearLines
// apart. Ranges are normalised (1 <= Start <= End), so the subtractions
// cannot overflow.
func rangesNear(a, b finding.LineRange) bool {
	return a.Start-b.End <= nearLines && b.Start-a.End <= nearLines
}

// similarTitles compares two titles' word lists: a Jaccard index of at
// least minJaccard, or one list appearing in the other as a run of words.
func similarTitles(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	if containsRun(a, b) || containsRun(b, a) {
		return true
	}
	set := make(map[string]bool, len(a))
	for _, w := range a {
		set[w] = true
	}
	union := len(set)
	inter := 0
	counted := make(map[string]bool, len(b))
	for _, w := range b {
		if counted[w] {
			continue
		}
		counted[w] = true
		if set[w] {
			inter++
		} else {
			union++
		}
	}
	return float64(inter) >= minJaccard*float64(union)
}

// containsRun reports whether needle occurs in hay as consecutive words.
func containsRun(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		if slices.Equal(hay[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}
