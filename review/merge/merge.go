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
	// Findings are the kept problems, best first.
	Findings []Merged
	// BelowThreshold counts distinct problems under Options.MinPriority.
	BelowThreshold int
	// Below are those problems, best first, for a list a reader may open.
	Below []Merged
	// Omitted counts problems at or above the threshold cut by the cap.
	Omitted int
	// Duplicates counts reports merged into another report of the same
	// problem.
	Duplicates int
}

// Plain returns the kept findings without the merge details.
func (r Result) Plain() []finding.Finding {
	out := make([]finding.Finding, len(r.Findings))
	for i, m := range r.Findings {
		out[i] = m.Finding
	}
	return out
}

// candidate is a finding with the keys deduplication compares.
type candidate struct {
	f     finding.Finding
	fp    string
	words []string
	// subj is the code the finding names (see subjects), computed when
	// first needed.
	subj map[string]bool
}

func newCandidate(f finding.Finding) candidate {
	return candidate{f: f, fp: Fingerprint(f), words: titleWords(f.Title)}
}

func (c *candidate) subjects() map[string]bool {
	if c.subj == nil {
		c.subj = subjects(c.f.Title, c.f.Body)
	}
	return c.subj
}

// Merge turns the findings of all passes and chunks into one list of
// problems: it merges the reports of one problem, ranks, thresholds and
// caps. The findings should have gone through Normalize.
//
// Two reports are one problem (see sameIssue) when they have the same
// Fingerprint; or when they are in the same file, their line ranges overlap
// or lie within two lines of each other, and their titles are similar; or
// when they come from different areas (a security pass and a bugs pass
// seeing one defect, each in its own words) at overlapping or adjacent
// lines, unless they clearly say otherwise: each names code (see subjects)
// and they name nothing in common, or their priorities are two or more
// levels apart (passes rate one defect differently, but not as both "blocks
// the release" and "nice to have"). Two reports of one area at the same
// spot with different titles stay apart: the pass meant two problems.
//
// The reports of one problem become one Merged finding (see fold): the
// highest priority and confidence, the best report's title, location and
// suggestion, its body followed by the others' distinct sentences, and
// every area named.
//
// The order is priority, then confidence (descending), then path and line,
// with the remaining fields as tie-breakers so that the result does not
// depend on the order passes finished in.
func Merge(fs []finding.Finding, opt Options) Result {
	cands := make([]candidate, len(fs))
	for i, f := range fs {
		cands[i] = newCandidate(f)
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return compareRank(a.f, b.f) })

	var res Result
	var groups [][]*candidate
	byFP := make(map[string]int, len(cands))
	byPath := make(map[string][]int)
	for i := range cands {
		c := &cands[i]
		g, ok := byFP[c.fp]
		if !ok {
			g = -1
			for _, k := range byPath[c.f.CodeLocation.AbsoluteFilePath] {
				if sameIssue(groups[k][0], c) {
					g = k
					break
				}
			}
		}
		if g >= 0 {
			groups[g] = append(groups[g], c)
			res.Duplicates++
			continue
		}
		byFP[c.fp] = len(groups)
		p := c.f.CodeLocation.AbsoluteFilePath
		byPath[p] = append(byPath[p], len(groups))
		groups = append(groups, []*candidate{c})
	}

	// Ranking put higher priorities first, and a group's first member is
	// its best, so the threshold and the cap both cut a tail.
	for _, g := range groups {
		if finding.Priority(g[0].f.Priority) > opt.MinPriority {
			res.BelowThreshold++
			res.Below = append(res.Below, fold(g))
			continue
		}
		if opt.MaxFindings > 0 && len(res.Findings) >= opt.MaxFindings {
			res.Omitted++
			continue
		}
		res.Findings = append(res.Findings, fold(g))
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

// sameIssue reports whether two findings describe one problem; the rules
// are documented on Merge.
func sameIssue(a, b *candidate) bool {
	if a.fp == b.fp {
		return true
	}
	if a.f.CodeLocation.AbsoluteFilePath != b.f.CodeLocation.AbsoluteFilePath {
		return false
	}
	ra, rb := a.f.CodeLocation.LineRange, b.f.CodeLocation.LineRange
	if !rangesWithin(ra, rb, nearLines) {
		return false
	}
	if similarTitles(a.words, b.words) {
		return true
	}
	if a.f.Category == b.f.Category || abs(a.f.Priority-b.f.Priority) >= 2 {
		return false
	}
	sa, sb := a.subjects(), b.subjects()
	if shareAny(sa, sb) {
		return true
	}
	// Nothing named in common: one problem only when the reports touch
	// and one of them names no code, so nothing tells them apart.
	return rangesWithin(ra, rb, 1) && (len(sa) == 0 || len(sb) == 0)
}

// rangesWithin reports whether two ranges overlap or are at most gap lines
// apart (gap 1: adjacent). Ranges are normalised (1 <= Start <= End), so
// the subtractions cannot overflow.
func rangesWithin(a, b finding.LineRange, gap int) bool {
	return a.Start-b.End <= gap && b.Start-a.End <= gap
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

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
