package eval

import (
	"reflect"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

func exp(path string, start, end int, area finding.Area, prio string) Expected {
	e := Expected{Path: path, Start: start, End: end, Area: area}
	if prio != "" {
		p, err := finding.ParsePriority(prio)
		if err != nil {
			panic(err)
		}
		e.MinPriority, e.HasMinPriority = p, true
	}
	return e
}

func rep(path string, start, end int, area finding.Area, prio int) finding.Finding {
	return finding.Finding{
		Title: "t", Priority: prio, Category: string(area),
		CodeLocation: finding.CodeLocation{AbsoluteFilePath: path, LineRange: finding.LineRange{Start: start, End: end}},
	}
}

func TestMatches(t *testing.T) {
	e := exp("a.go", 17, 19, finding.Bugs, "P1")
	tests := []struct {
		name string
		f    finding.Finding
		want bool
	}{
		{"same lines", rep("a.go", 17, 19, finding.Bugs, 1), true},
		{"inside", rep("a.go", 18, 18, finding.Bugs, 1), true},
		{"overlapping", rep("a.go", 10, 17, finding.Bugs, 1), true},
		{"three before", rep("a.go", 14, 14, finding.Bugs, 1), true},
		{"three after", rep("a.go", 22, 25, finding.Bugs, 1), true},
		{"four before", rep("a.go", 12, 13, finding.Bugs, 1), false},
		{"four after", rep("a.go", 23, 23, finding.Bugs, 1), false},
		{"reversed range still located", rep("a.go", 20, 18, finding.Bugs, 1), true},
		{"no line", rep("a.go", 0, 0, finding.Bugs, 1), false},
		{"other file", rep("b.go", 17, 19, finding.Bugs, 1), false},
		{"other area", rep("a.go", 17, 19, finding.Security, 1), false},
		{"more urgent", rep("a.go", 17, 19, finding.Bugs, 0), true},
		{"less urgent", rep("a.go", 17, 19, finding.Bugs, 2), false},
	}
	for _, tt := range tests {
		if got := Matches(e, tt.f); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !Matches(exp("a.go", 5, 5, "", ""), rep("a.go", 5, 5, finding.Performance, 3)) {
		t.Error("an expectation without area or priority accepts any area and priority")
	}
}

func TestMatchIsOneToOneAndMaximal(t *testing.T) {
	tests := []struct {
		name      string
		expected  []Expected
		found     []finding.Finding
		threshold finding.Priority // 0: P1
		want      Score
	}{
		{
			name:     "a duplicate report is a false positive",
			expected: []Expected{exp("a.go", 10, 10, "", "")},
			found:    []finding.Finding{rep("a.go", 10, 10, finding.Bugs, 1), rep("a.go", 11, 11, finding.Bugs, 1)},
			want:     Score{Matched: []Pair{{0, 0}}, FalsePositives: []int{1}},
		},
		{
			// The first report is as near to both expectations as the
			// second is to the first: greedy matching would give the
			// first report to the first expectation and leave the second
			// unmatched.
			name:     "the largest matching wins over report order",
			expected: []Expected{exp("a.go", 10, 10, "", ""), exp("a.go", 14, 14, "", "")},
			found:    []finding.Finding{rep("a.go", 12, 12, finding.Bugs, 1), rep("a.go", 8, 8, finding.Bugs, 1)},
			want:     Score{Matched: []Pair{{0, 1}, {1, 0}}},
		},
		{
			name:     "nearest report is preferred",
			expected: []Expected{exp("a.go", 10, 10, "", "")},
			found:    []finding.Finding{rep("a.go", 13, 13, finding.Bugs, 1), rep("a.go", 10, 10, finding.Bugs, 1)},
			want:     Score{Matched: []Pair{{0, 1}}, FalsePositives: []int{0}},
		},
		{
			name:      "below the threshold is not scored",
			expected:  []Expected{exp("a.go", 10, 10, "", "")},
			found:     []finding.Finding{rep("a.go", 10, 10, finding.Bugs, 2), rep("b.go", 1, 1, finding.Bugs, 3)},
			threshold: finding.P1,
			want:      Score{Misses: []int{0}, Below: []int{0, 1}},
		},
		{
			name:      "an out-of-scope expectation excuses its report",
			expected:  []Expected{exp("a.go", 10, 10, "", "P2"), exp("a.go", 40, 40, "", "P1")},
			found:     []finding.Finding{rep("a.go", 10, 10, finding.Bugs, 1)},
			threshold: finding.P1,
			want:      Score{OutOfScope: []int{0}, Excused: []Pair{{0, 0}}, Misses: []int{1}},
		},
		{
			name:      "in-scope expectations are matched first",
			expected:  []Expected{exp("a.go", 10, 10, "", "P3"), exp("a.go", 12, 12, "", "")},
			found:     []finding.Finding{rep("a.go", 11, 11, finding.Bugs, 1)},
			threshold: finding.P1,
			want:      Score{Matched: []Pair{{1, 0}}, OutOfScope: []int{0}},
		},
		{
			name:     "nothing reported",
			expected: []Expected{exp("a.go", 10, 10, "", ""), exp("b.go", 1, 2, "", "")},
			want:     Score{Misses: []int{0, 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := tt.threshold
			if th == 0 {
				th = finding.P1
			}
			got := Match(tt.expected, tt.found, th)
			if !reflect.DeepEqual(norm(got), norm(tt.want)) {
				t.Errorf("Match = %+v\nwant    %+v", got, tt.want)
			}
		})
	}
}

// norm makes empty and nil slices compare equal.
func norm(s Score) Score {
	pairs := func(p []Pair) []Pair {
		if len(p) == 0 {
			return nil
		}
		return p
	}
	ints := func(p []int) []int {
		if len(p) == 0 {
			return nil
		}
		return p
	}
	return Score{Matched: pairs(s.Matched), Excused: pairs(s.Excused), FalsePositives: ints(s.FalsePositives),
		Misses: ints(s.Misses), OutOfScope: ints(s.OutOfScope), Below: ints(s.Below)}
}

func TestCountsRatios(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		c    Counts
		p, r *float64
		f1   *float64
	}{
		{"perfect", Counts{Expected: 4, Found: 4, MatchedExpected: 4, MatchedFound: 4}, f(1), f(1), f(1)},
		{"silent", Counts{Expected: 4}, nil, f(0), f(0)},
		{"only inventions", Counts{Found: 2}, f(0), nil, f(0)},
		{"nothing at all", Counts{}, nil, nil, nil},
		{"invented two of six", Counts{Expected: 4, Found: 6, MatchedExpected: 4, MatchedFound: 4}, f(4.0 / 6), f(1), f(0.8)},
		{"all wrong", Counts{Expected: 1, Found: 1}, f(0), f(0), f(0)},
		{"precision only", Counts{Found: 1, MatchedFound: 1}, f(1), nil, nil},
	}
	for _, tt := range tests {
		c := tt.c
		c.finish()
		for name, pair := range map[string][2]*float64{"precision": {c.Precision, tt.p}, "recall": {c.Recall, tt.r}, "F1": {c.F1, tt.f1}} {
			got, want := pair[0], pair[1]
			if (got == nil) != (want == nil) || (got != nil && (*got-*want > 1e-9 || *want-*got > 1e-9)) {
				t.Errorf("%s: %s = %v, want %v", tt.name, name, deref(got), deref(want))
			}
		}
		if c.FalsePositives != c.Found-c.MatchedFound || c.Misses != c.Expected-c.MatchedExpected {
			t.Errorf("%s: false positives %d misses %d", tt.name, c.FalsePositives, c.Misses)
		}
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
