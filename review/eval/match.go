package eval

import (
	"cmp"
	"slices"

	"github.com/codex-review/codex-review/review/finding"
)

// LineSlack is how many lines a report may be off and still match: models
// often point at the line before or after the faulty one, or at the start
// of the statement, and a reader finds the problem anyway.
const LineSlack = 3

// Pair matches an expected finding (an index into the case's Expected) to
// a report (an index into the reported findings).
type Pair struct {
	Expected, Found int
}

// Score is the outcome of matching one case's reports against its
// expectations. All fields hold indexes: into the expected findings, or
// into the reported ones.
type Score struct {
	// Matched pairs each in-scope expectation with the report that
	// satisfied it.
	Matched []Pair
	// FalsePositives are reports at or above the threshold that match no
	// expectation.
	FalsePositives []int
	// Misses are in-scope expectations no report satisfied.
	Misses []int
	// OutOfScope are expectations whose min_priority is below the
	// threshold, and Excused the reports that matched them: neither is
	// counted.
	OutOfScope []int
	Excused    []Pair
	// Below are reports under the threshold, which are not scored.
	Below []int
}

// Matches reports whether a reported finding satisfies an expectation
// (see the package documentation).
func Matches(e Expected, f finding.Finding) bool {
	if f.CodeLocation.AbsoluteFilePath != e.Path {
		return false
	}
	if e.Area != "" && finding.Area(f.Category) != e.Area {
		return false
	}
	if e.HasMinPriority && finding.Priority(f.Priority) > e.MinPriority {
		return false
	}
	return distance(e, f) <= LineSlack
}

// distance is how many lines lie between the two ranges; 0 when they
// overlap. A report without a line range is infinitely far.
func distance(e Expected, f finding.Finding) int {
	s, t := f.CodeLocation.LineRange.Start, f.CodeLocation.LineRange.End
	if s <= 0 {
		return int(^uint(0) >> 1)
	}
	if t < s {
		t = s
	}
	switch {
	case t < e.Start:
		return e.Start - t
	case s > e.End:
		return s - e.End
	default:
		return 0
	}
}

// inScope reports whether an expectation counts at threshold: one with no
// min_priority always does, one that asks for a priority less urgent than
// the threshold does not.
func inScope(e Expected, threshold finding.Priority) bool {
	return !e.HasMinPriority || e.MinPriority <= threshold
}

// Match scores reports against expectations at threshold: reports under it
// are set aside, the rest are matched one to one, in-scope expectations
// first, with the largest possible number of pairs.
func Match(expected []Expected, found []finding.Finding, threshold finding.Priority) Score {
	var sc Score
	var scored, in, out []int
	for i, f := range found {
		if finding.Priority(f.Priority) > threshold {
			sc.Below = append(sc.Below, i)
			continue
		}
		scored = append(scored, i)
	}
	for i, e := range expected {
		if inScope(e, threshold) {
			in = append(in, i)
		} else {
			out = append(out, i)
		}
	}
	sc.OutOfScope = out
	taken := map[int]bool{}
	sc.Matched = maxMatching(expected, in, found, scored, taken)
	for _, p := range sc.Matched {
		taken[p.Found] = true
	}
	sc.Excused = maxMatching(expected, out, found, scored, taken)
	for _, p := range sc.Excused {
		taken[p.Found] = true
	}
	matchedExp := map[int]bool{}
	for _, p := range sc.Matched {
		matchedExp[p.Expected] = true
	}
	for _, i := range in {
		if !matchedExp[i] {
			sc.Misses = append(sc.Misses, i)
		}
	}
	for _, j := range scored {
		if !taken[j] {
			sc.FalsePositives = append(sc.FalsePositives, j)
		}
	}
	return sc
}

// maxMatching finds a maximum matching between the expectations exps and
// the reports fs not already taken, with Kuhn's augmenting paths. Each
// expectation tries its candidates nearest first, so that among maximum
// matchings the one chosen favours close pairs; the result is sorted by
// expectation.
func maxMatching(expected []Expected, exps []int, found []finding.Finding, fs []int, taken map[int]bool) []Pair {
	cands := make(map[int][]int, len(exps))
	for _, i := range exps {
		var cs []int
		for _, j := range fs {
			if !taken[j] && Matches(expected[i], found[j]) {
				cs = append(cs, j)
			}
		}
		slices.SortStableFunc(cs, func(a, b int) int {
			return cmp.Compare(distance(expected[i], found[a]), distance(expected[i], found[b]))
		})
		cands[i] = cs
	}
	owner := map[int]int{} // report -> expectation
	var try func(i int, seen map[int]bool) bool
	try = func(i int, seen map[int]bool) bool {
		for _, j := range cands[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if o, ok := owner[j]; !ok || try(o, seen) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	for _, i := range exps {
		try(i, map[int]bool{})
	}
	pairs := make([]Pair, 0, len(owner))
	for j, i := range owner {
		pairs = append(pairs, Pair{Expected: i, Found: j})
	}
	slices.SortFunc(pairs, func(a, b Pair) int { return a.Expected - b.Expected })
	return pairs
}
