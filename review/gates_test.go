package review_test

import (
	"context"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
	"github.com/codex-review/codex-review/review/passes"
)

// TestPrecisionGates replays the claims about code that is not
// there: a P1 at src/calc.js:999 (the file has 42 lines) and a P1 in a file
// the pull request does not touch, next to a real finding and an unsure one.
func TestPrecisionGates(t *testing.T) {
	answer := func(area string, _ modeltest.Request) finding.Output {
		switch area {
		case "security":
			// An unsure finding from a pass that finds the patch correct.
			return finding.Output{Findings: []finding.Finding{
				calcFinding(2, 0.25, finding.Bugs, 37, "median() of an empty list is NaN", "`sorted[mid]` is undefined for `[]`."),
			}, OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Nothing.", OverallConfidenceScore: 0.9}
		case "bugs":
		default:
			return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Nothing.", OverallConfidenceScore: 0.9}
		}
		return finding.Output{Findings: []finding.Finding{
			calcFinding(1, 0.9, finding.Bugs, 999, "Result of divide is never checked", "`divide()` can return null."),
			{Title: "[P1] Server trusts the client's total", Body: "`req.body.total` is used as is.", Priority: 1, ConfidenceScore: 0.8,
				Category: "bugs", CodeLocation: loc("src/server.js", 12, 12)},
		}, OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "The results of divide are unchecked.", OverallConfidenceScore: 0.8}
	}
	type shown struct {
		title  string
		gate   review.Gate
		inline bool
		reason string
	}
	tests := []struct {
		name        string
		opt         review.Options
		want        []shown
		gated       review.Gated
		correctness string
	}{
		{
			name: "default: outside findings noted at P2, the unsure one listed in the summary",
			opt:  review.Options{MinPriority: finding.P2, MinConfidence: review.DefaultMinConfidence, Passes: passes.Separate},
			want: []shown{
				{"[P2] Result of divide is never checked", review.GateOutside, false, "line 999 is past the end of src/calc.js (42 lines)"},
				{"[P2] Server trusts the client's total", review.GateOutside, false, "src/server.js is not part of this change"},
				{"[P2] median() of an empty list is NaN", review.GateLowConfidence, false, "confidence 0.25 is below review.min_confidence 0.30"},
			},
			gated:       review.Gated{OutsideNoted: 2, LowConfidence: 1, MinConfidence: review.DefaultMinConfidence},
			correctness: finding.CorrectnessOK,
		},
		{
			name: "drop: outside findings are left out and counted",
			opt:  review.Options{MinPriority: finding.P2, OutsideDiff: review.OutsideDrop, Passes: passes.Separate},
			want: []shown{
				{"[P2] median() of an empty list is NaN", "", true, ""},
			},
			gated:       review.Gated{OutsideDropped: 2},
			correctness: finding.CorrectnessOK,
		},
	}
	// Separate passes: each pass's verdict is judged on its own findings.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := engine(t, fakeModel(t, answer)).Review(context.Background(), parse(t, calcChange), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			var got []shown
			for _, f := range res.Findings {
				got = append(got, shown{f.Title, f.Gate, f.Placement.Inline, f.Placement.Reason})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings:\n%+v\nwant\n%+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("finding %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if res.Gated != tt.gated {
				t.Errorf("gated = %+v, want %+v", res.Gated, tt.gated)
			}
			// The pass called the patch incorrect only for findings about
			// code the change does not touch.
			if res.Output().OverallCorrectness != tt.correctness {
				t.Errorf("verdict %q, want %q", res.Output().OverallCorrectness, tt.correctness)
			}
			for _, f := range res.Output().Findings {
				if f.Priority < int(finding.P2) {
					t.Errorf("JSON output presents %q at P%d", f.Title, f.Priority)
				}
			}
		})
	}
}

// TestOutsideTheChangedLines: a modified file whose end the diff does not
// show; a finding far from its hunks is outside the change, one a line off
// a hunk is still placed on it.
func TestOutsideTheChangedLines(t *testing.T) {
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		if area != "bugs" {
			return finding.Output{}
		}
		return finding.Output{Findings: []finding.Finding{
			{Title: "[P1] Delete ignores missing rows", Body: "x", Priority: 1, ConfidenceScore: 0.8, Category: "bugs", CodeLocation: loc("store/users.go", 80, 82)},
			{Title: "[P1] Scan error dropped", Body: "`err` from `row.Scan` is dropped.", Priority: 1, ConfidenceScore: 0.8, Category: "bugs", CodeLocation: loc("store/users.go", 19, 19)},
		}, OverallCorrectness: finding.CorrectnessBad}
	})
	res, err := engine(t, srv).Review(context.Background(), parse(t, change), review.Options{MinPriority: finding.P1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("%d findings", len(res.Findings))
	}
	in, out := res.Findings[0], res.Findings[1]
	if in.Gate != "" || !in.Placement.Inline || in.Priority != 1 {
		t.Errorf("finding in the change: %+v", in)
	}
	if out.Gate != review.GateOutside || out.Priority != 2 || out.Placement.Reason != "lines 80-82 are outside the changed lines of store/users.go" {
		t.Errorf("finding outside the change: gate %q P%d %q", out.Gate, out.Priority, out.Placement.Reason)
	}
	if res.Output().OverallCorrectness != finding.CorrectnessBad {
		t.Errorf("the P1 in the change must still make the patch incorrect")
	}
}

// TestUnsureFindingsDoNotDecideTheVerdict: a pass that calls the patch
// incorrect only for a finding it rates below min_confidence does not make
// the review say so.
func TestUnsureFindingsDoNotDecideTheVerdict(t *testing.T) {
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		if area != "bugs" {
			return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Nothing.", OverallConfidenceScore: 0.9}
		}
		return finding.Output{Findings: []finding.Finding{calcFinding(1, 0.2, finding.Bugs, 17, "Guard may be intended", "Perhaps `b = 0` is deliberate.")},
			OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "The guard looks odd.", OverallConfidenceScore: 0.3}
	})
	for _, tt := range []struct {
		min  float64
		want string
	}{{review.DefaultMinConfidence, finding.CorrectnessOK}, {0, finding.CorrectnessBad}} {
		res, err := engine(t, srv).Review(context.Background(), parse(t, calcChange), review.Options{MinPriority: finding.P1, MinConfidence: tt.min})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict.Correctness != tt.want || len(res.Findings) != 1 {
			t.Errorf("min_confidence %v: verdict %q with %d findings, want %q", tt.min, res.Verdict.Correctness, len(res.Findings), tt.want)
		}
	}
}

// headCopy serves head versions of files, as the app serves them from the
// head commit's tarball.
type headCopy map[string]string

func (h headCopy) HeadFiles(_ context.Context, paths []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, p := range paths {
		if c, ok := h[p]; ok {
			out[p] = []byte(c)
		}
	}
	return out, nil
}

// TestPastTheEndOfAModifiedFile: the patch of a modified file does not
// show where it ends; with the head's copy the gate can say the line is
// past the end, and without it that the line is outside the change.
func TestPastTheEndOfAModifiedFile(t *testing.T) {
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		if area != "bugs" {
			return finding.Output{}
		}
		return finding.Output{Findings: []finding.Finding{
			{Title: "[P1] Delete ignores missing rows", Body: "x", Priority: 1, ConfidenceScore: 0.8, Category: "bugs", CodeLocation: loc("store/users.go", 999, 999)},
		}, OverallCorrectness: finding.CorrectnessBad}
	})
	users := strings.Repeat("// line\n", 30)
	for _, tt := range []struct {
		head review.HeadFiles
		want string
	}{
		{headCopy{"store/users.go": users}, "line 999 is past the end of store/users.go (30 lines)"},
		{nil, "line 999 is outside the changed lines of store/users.go"},
	} {
		opt := review.Options{MinPriority: finding.P1}
		if tt.head != nil {
			opt.Head = tt.head
		}
		res, err := engine(t, srv).Review(context.Background(), parse(t, change), opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 1 || res.Findings[0].Placement.Reason != tt.want {
			t.Errorf("findings %+v, want the reason %q", res.Findings, tt.want)
		}
	}
}
