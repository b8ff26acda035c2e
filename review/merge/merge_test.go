package merge

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

func fnd(prio int, conf float64, path string, start, end int, title string) finding.Finding {
	return finding.Finding{
		Title:           "[" + finding.Priority(prio).String() + "] " + title,
		Body:            "body of " + title,
		ConfidenceScore: conf,
		Priority:        prio,
		Category:        "bugs",
		CodeLocation:    loc(path, start, end),
	}
}

func TestFingerprint(t *testing.T) {
	base := fnd(1, 0.8, "a.go", 10, 12, "Unchecked error from Close")
	fp := Fingerprint(base)
	if len(fp) != 16 {
		t.Fatalf("fingerprint %q: want 16 hex digits", fp)
	}

	same := []struct {
		name string
		f    finding.Finding
	}{
		{"lines shifted, body reworded", func() finding.Finding {
			f := base
			f.CodeLocation.LineRange = finding.LineRange{Start: 40, End: 42}
			f.Body = "other words"
			f.ConfidenceScore = 0.3
			return f
		}()},
		{"priority changed", func() finding.Finding {
			f := base
			f.Priority = 2
			f.Title = "[P2] Unchecked error from Close"
			return f
		}()},
		{"case and punctuation", func() finding.Finding { f := base; f.Title = "[P1] unchecked error, from `Close()`!"; return f }()},
		{"numbers in the title", func() finding.Finding { f := base; f.Title = "[P1] Unchecked error from Close 2"; return f }()},
	}
	for _, s := range same {
		if got := Fingerprint(s.f); got != fp {
			t.Errorf("%s: fingerprint %s, want %s", s.name, got, fp)
		}
	}

	different := []struct {
		name string
		f    finding.Finding
	}{
		{"other issue in the same file", fnd(1, 0.8, "a.go", 10, 12, "Race on counter")},
		{"same title, other file", fnd(1, 0.8, "b.go", 10, 12, "Unchecked error from Close")},
		{"same title, other category", func() finding.Finding { f := base; f.Category = "security"; return f }()},
	}
	for _, d := range different {
		if got := Fingerprint(d.f); got == fp {
			t.Errorf("%s: fingerprint equals the base one", d.name)
		}
	}
}

func titles(fs []finding.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Title
	}
	return out
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name string
		in   []finding.Finding
		opt  Options
		want []string
		res  Result // counts only
	}{
		{
			name: "same fingerprint from two passes: higher priority wins",
			in: []finding.Finding{
				fnd(2, 0.9, "a.go", 10, 10, "Nil pointer dereference"),
				fnd(1, 0.5, "a.go", 30, 30, "nil pointer dereference"),
			},
			opt:  Options{MinPriority: finding.P3},
			want: []string{"[P1] nil pointer dereference"},
			res:  Result{Duplicates: 1},
		},
		{
			name: "same spot, similar titles: higher confidence wins at equal priority",
			in: []finding.Finding{
				fnd(1, 0.6, "a.go", 10, 12, "Error from Close is ignored"),
				fnd(1, 0.9, "a.go", 14, 14, "Close error ignored"),
			},
			opt:  Options{MinPriority: finding.P3},
			want: []string{"[P1] Close error ignored"},
			res:  Result{Duplicates: 1},
		},
		{
			name: "one title contained in the other",
			in: []finding.Finding{
				fnd(1, 0.9, "a.go", 10, 10, "Race"),
				fnd(1, 0.5, "a.go", 11, 11, "Race on the shared counter map"),
			},
			opt:  Options{MinPriority: finding.P3},
			want: []string{"[P1] Race"},
			res:  Result{Duplicates: 1},
		},
		{
			name: "similar titles too far apart are kept",
			in: []finding.Finding{
				fnd(1, 0.9, "a.go", 10, 10, "Error from Close is ignored"),
				fnd(1, 0.8, "a.go", 13, 20, "Error from Write is ignored"),
			},
			opt:  Options{MinPriority: finding.P3},
			want: []string{"[P1] Error from Close is ignored", "[P1] Error from Write is ignored"},
		},
		{
			name: "different issues on the same line are kept",
			in: []finding.Finding{
				fnd(1, 0.9, "a.go", 10, 10, "SQL injection in query"),
				fnd(1, 0.8, "a.go", 10, 10, "Connection leaked on error"),
			},
			opt:  Options{MinPriority: finding.P3},
			want: []string{"[P1] SQL injection in query", "[P1] Connection leaked on error"},
		},
		{
			name: "same title in another file is kept",
			in: []finding.Finding{
				fnd(1, 0.9, "a.go", 10, 10, "Leak"),
				fnd(1, 0.9, "b.go", 10, 10, "Leak"),
			},
			opt:  Options{MinPriority: finding.P3},
			want: []string{"[P1] Leak", "[P1] Leak"},
		},
		{
			name: "rank by priority, confidence, path, line; threshold counted",
			in: []finding.Finding{
				fnd(3, 1, "a.go", 1, 1, "Nit"),
				fnd(1, 0.5, "b.go", 9, 9, "Bravo"),
				fnd(1, 0.5, "b.go", 2, 2, "Alpha"),
				fnd(1, 0.9, "z.go", 1, 1, "Charlie"),
				fnd(0, 0.1, "z.go", 1, 1, "Delta"),
				fnd(2, 0.9, "a.go", 50, 50, "Echo"),
			},
			opt:  Options{MinPriority: finding.P1},
			want: []string{"[P0] Delta", "[P1] Charlie", "[P1] Alpha", "[P1] Bravo"},
			res:  Result{BelowThreshold: 2},
		},
		{
			name: "cap counts the omitted, duplicates of dropped findings count as duplicates",
			in: []finding.Finding{
				fnd(0, 0.9, "a.go", 1, 1, "One"),
				fnd(1, 0.9, "a.go", 100, 100, "Two"),
				fnd(1, 0.8, "a.go", 200, 200, "Three"),
				fnd(2, 0.8, "a.go", 300, 300, "Four"),
				fnd(3, 0.8, "a.go", 300, 300, "Four"),
			},
			opt:  Options{MinPriority: finding.P1, MaxFindings: 2},
			want: []string{"[P0] One", "[P1] Two"},
			res:  Result{Omitted: 1, BelowThreshold: 1, Duplicates: 1},
		},
		{
			name: "empty input",
			opt:  Options{MinPriority: finding.P1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge(tt.in, tt.opt)
			if g := titles(got.Plain()); !slices.Equal(g, tt.want) {
				t.Errorf("findings = %q, want %q", g, tt.want)
			}
			if got.BelowThreshold != tt.res.BelowThreshold || got.Omitted != tt.res.Omitted || got.Duplicates != tt.res.Duplicates {
				t.Errorf("counts below=%d omitted=%d dup=%d, want %d %d %d",
					got.BelowThreshold, got.Omitted, got.Duplicates,
					tt.res.BelowThreshold, tt.res.Omitted, tt.res.Duplicates)
			}
			if n := len(got.Findings) + got.BelowThreshold + got.Omitted + got.Duplicates; n != len(tt.in) {
				t.Errorf("accounted for %d findings, got %d in", n, len(tt.in))
			}
		})
	}
}

// TestMergeOrderIndependent checks that the passes' finishing order does
// not change what is posted.
func TestMergeOrderIndependent(t *testing.T) {
	in := []finding.Finding{
		fnd(1, 0.7, "a.go", 10, 12, "Error from Close is ignored"),
		fnd(1, 0.7, "a.go", 11, 11, "Close error ignored"),
		fnd(2, 0.9, "a.go", 10, 10, "Error from Close is ignored"),
		fnd(0, 0.4, "b.go", 3, 3, "Token logged"),
		fnd(0, 0.4, "b.go", 3, 3, "Secret token logged"),
		fnd(2, 0.5, "c.go", 7, 9, "Quadratic loop"),
		fnd(3, 0.5, "c.go", 70, 90, "Rename variable"),
	}
	want := Merge(in, Options{MinPriority: finding.P2})
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		shuffled := slices.Clone(in)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := Merge(shuffled, Options{MinPriority: finding.P2})
		if !reflect.DeepEqual(got.Findings, want.Findings) || got.Duplicates != want.Duplicates || got.BelowThreshold != want.BelowThreshold {
			t.Fatalf("order changed the result:\n%q\nwant\n%q", titles(got.Plain()), titles(want.Plain()))
		}
	}
}

func TestVerdict(t *testing.T) {
	p1 := fnd(1, 0.9, "a.go", 5, 5, "Panic on empty input")
	p2 := fnd(2, 0.9, "a.go", 50, 50, "Slow path on every request")
	tests := []struct {
		name     string
		outputs  []finding.Output
		kept     []finding.Finding
		want     string
		wantExpl string
		wantConf float64
	}{
		{
			name: "all correct, nothing kept",
			outputs: []finding.Output{
				{OverallCorrectness: "patch is correct", OverallExplanation: "Looks fine.", OverallConfidenceScore: 0.9},
				{OverallCorrectness: "patch is correct", OverallExplanation: "looks  fine. No leaks.", OverallConfidenceScore: 0.7},
			},
			want: finding.CorrectnessOK, wantExpl: "Looks fine. No leaks.", wantConf: 0.7,
		},
		{
			name: "kept P1 overrides passes that said correct",
			outputs: []finding.Output{
				{OverallCorrectness: "patch is correct", OverallExplanation: "Fine.", OverallConfidenceScore: 0.9},
			},
			kept: []finding.Finding{p1},
			want: finding.CorrectnessBad, wantExpl: "One blocking issue was found: [P1] Panic on empty input.", wantConf: 0.5,
		},
		{
			name: "incorrect pass supported by a kept P2",
			outputs: []finding.Output{
				{OverallCorrectness: "Patch is incorrect.", OverallExplanation: "The slow path runs on every request.", OverallConfidenceScore: 0.6, Findings: []finding.Finding{p2}},
				{OverallCorrectness: "patch is correct", OverallExplanation: "Fine.", OverallConfidenceScore: 0.9},
			},
			kept: []finding.Finding{p2},
			want: finding.CorrectnessBad, wantExpl: "The slow path runs on every request.", wantConf: 0.6,
		},
		{
			name: "incorrect pass whose findings were all dropped",
			outputs: []finding.Output{
				{OverallCorrectness: "patch is incorrect", OverallExplanation: "A nit.", OverallConfidenceScore: 0.4, Findings: []finding.Finding{p2}},
				{OverallCorrectness: "patch is correct", OverallExplanation: "Fine.", OverallConfidenceScore: 0.8},
			},
			want: finding.CorrectnessOK, wantExpl: "Fine.", wantConf: 0.8,
		},
		{
			name:     "no outputs",
			want:     finding.CorrectnessOK,
			wantExpl: "No blocking issues were found in the reviewed changes.",
			wantConf: 0.5,
		},
		{
			name: "unreadable verdict agrees with neither",
			outputs: []finding.Output{
				{OverallCorrectness: "maybe", OverallExplanation: "Unsure.", OverallConfidenceScore: 0.1},
				{OverallCorrectness: "patch is correct", OverallExplanation: "Fine.", OverallConfidenceScore: 2},
			},
			want: finding.CorrectnessOK, wantExpl: "Fine.", wantConf: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, e, conf := Verdict(tt.outputs, tt.kept)
			if c != tt.want || e != tt.wantExpl || conf != tt.wantConf {
				t.Errorf("Verdict = %q, %q, %v; want %q, %q, %v", c, e, conf, tt.want, tt.wantExpl, tt.wantConf)
			}
		})
	}
}

func TestJoinSentencesBounded(t *testing.T) {
	long := ""
	for i := range 100 {
		long += "Sentence number " + string(rune('a'+i%26)) + string(rune('a'+i/26)) + " is here. "
	}
	got := joinSentences([]string{long})
	if len(got) > maxExplanation || len(got) == 0 {
		t.Fatalf("explanation of %d bytes, want 1..%d", len(got), maxExplanation)
	}
	if got[len(got)-1] != '.' {
		t.Errorf("explanation %q not cut at a sentence end", got[len(got)-20:])
	}
}
