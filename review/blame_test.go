package review_test

import (
	"context"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
	"github.com/codex-review/codex-review/review/model/modeltest"
	"github.com/codex-review/codex-review/review/sandbox"
)

// failingAverage is the run of the repository's tests on the head of the
// calc.js change: TestAverage fails.
func failingAverage(base *sandbox.BaseRun, output string) *sandbox.Result {
	return &sandbox.Result{Status: sandbox.StatusFailed, Command: "sh run-tests.sh", ExitCode: 1,
		FailedTests: []string{"TestAverage"}, OutputTail: output, Base: base}
}

const averageOutput = "--- FAIL: TestAverage (0.00s)\n    calc_test.go:7: average([1, 2, 3]) = NaN, want 2\nFAIL\n"

// TestBlameTheChange: tests failing at head and passing at the base are a
// P1 finding on the most relevant changed line, and the patch is
// incorrect, even in a review that asked only for security, whose pass
// found nothing and called the patch correct.
func TestBlameTheChange(t *testing.T) {
	tests := []struct {
		name     string
		run      *sandbox.Result
		blamed   []string // titles of the blame findings
		line     int      // where the first is placed; 0: the summary
		verdict  string
		material string // in every pass's prompt
	}{
		{
			name: "fails at head, passes at base: placed on the function the test is named after",
			run: failingAverage(&sandbox.BaseRun{Commit: "0000000000000000000000000000000000000000", Status: sandbox.StatusPassed,
				Blame: sandbox.BlameChange, Broken: []string{"TestAverage"}}, averageOutput),
			blamed: []string{"[P1] This change breaks `TestAverage`"}, line: 23, verdict: finding.CorrectnessBad,
			material: "so this change breaks them:\n- TestAverage",
		},
		{
			name: "a stack frame on a changed line of the code wins",
			run: failingAverage(&sandbox.BaseRun{Commit: "0000000", Status: sandbox.StatusPassed, Blame: sandbox.BlameChange, Broken: []string{"TestAverage"}},
				averageOutput+"    at average (/work/src/src/calc.js:26:14)\n    at Test.run (/work/src/test/calc.test.js:7:3)\n"),
			blamed: []string{"[P1] This change breaks `TestAverage`"}, line: 26, verdict: finding.CorrectnessBad,
		},
		{
			name: "fails at both: pre-existing, not blamed",
			run: failingAverage(&sandbox.BaseRun{Commit: "0000000", Status: sandbox.StatusFailed, FailedTests: []string{"TestAverage"},
				Blame: sandbox.BlamePreExisting, PreExisting: []string{"TestAverage"}}, averageOutput),
			verdict:  finding.CorrectnessOK,
			material: "so these failures are pre-existing and not caused by this change",
		},
		{
			name: "no names: the command is blamed, in the summary",
			run: &sandbox.Result{Status: sandbox.StatusFailed, Command: "make check", ExitCode: 2, OutputTail: "make: *** [check] Error 1\n",
				Base: &sandbox.BaseRun{Commit: "0000000", Status: sandbox.StatusPassed, Blame: sandbox.BlameChange}},
			blamed: []string{"[P1] This change makes `make check` fail"}, verdict: finding.CorrectnessBad,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeModel(t, func(string, modeltest.Request) finding.Output {
				return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "No security issues.", OverallConfidenceScore: 0.8}
			})
			res, err := engine(t, srv).Review(context.Background(), parse(t, calcChange), review.Options{
				Focus: []finding.Area{finding.Security}, MinPriority: finding.P1, Tests: tt.run,
			})
			if err != nil {
				t.Fatal(err)
			}
			var blamed []review.Reviewed
			for _, f := range res.Findings {
				if f.Category == string(finding.Tests) {
					blamed = append(blamed, f)
				}
			}
			if len(blamed) != len(tt.blamed) {
				t.Fatalf("blame findings %+v, want %q", blamed, tt.blamed)
			}
			for i, f := range blamed {
				if f.Title != tt.blamed[i] || f.Priority != 1 {
					t.Errorf("blame finding %q P%d, want %q P1", f.Title, f.Priority, tt.blamed[i])
				}
			}
			if len(blamed) > 0 {
				f := blamed[0]
				if tt.line == 0 && (f.Placement.Inline || f.CodeLocation.AbsoluteFilePath != "") {
					t.Errorf("blame placed at %+v, want the summary", f.Placement)
				}
				if tt.line > 0 && (!f.Placement.Inline || f.Placement.Path != "src/calc.js" || f.Placement.Line != tt.line) {
					t.Errorf("blame placed at %+v, want src/calc.js:%d", f.Placement, tt.line)
				}
				if !strings.Contains(f.Body, "passes on the base commit `0000000`") {
					t.Errorf("blame body:\n%s", f.Body)
				}
			}
			if res.Verdict.Correctness != tt.verdict {
				t.Errorf("verdict %q (%s), want %q", res.Verdict.Correctness, res.Verdict.Explanation, tt.verdict)
			}
			if tt.material != "" {
				for _, r := range srv.Requests() {
					if last := r.UserMessages[len(r.UserMessages)-1]; !strings.Contains(last, tt.material) {
						t.Errorf("the security pass did not read %q", tt.material)
					}
				}
			}
		})
	}
}

// TestBlameMergesWithTheModelsFinding: the bugs pass names the defect the
// broken test shows, two lines from the function the test is named after;
// the review has one finding for it, from both.
func TestBlameMergesWithTheModelsFinding(t *testing.T) {
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		out := finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Fine.", OverallConfidenceScore: 0.8}
		if area == "bugs" {
			out.Findings = []finding.Finding{calcFinding(1, 0.85, finding.Bugs, 25, "average() reads one element past the end",
				"The loop runs while `i <= values.length`, so `average` adds `values[values.length]` and returns NaN.")}
			out.OverallCorrectness = finding.CorrectnessBad
		}
		return out
	})
	run := failingAverage(&sandbox.BaseRun{Commit: "0000000", Status: sandbox.StatusPassed, Blame: sandbox.BlameChange, Broken: []string{"TestAverage"}}, averageOutput)
	res, err := engine(t, srv).Review(context.Background(), parse(t, calcChange), review.Options{MinPriority: finding.P1, Tests: run})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings, want the blame and the bugs finding as one: %+v", len(res.Findings), res.Findings)
	}
	f := res.Findings[0]
	if len(f.Areas) != 2 || !strings.Contains(f.Body, "TestAverage") || !strings.Contains(f.Body, "values[values.length]") {
		t.Errorf("merged finding %q areas %v:\n%s", f.Title, f.Areas, f.Body)
	}
}

// TestBlamedTestNamesAreCode: a test name comes from the pull request's
// own test output ("--- FAIL: <anything without a space>"), so wherever
// the review names it, the verdict included, it is a code span: a name
// such as "[Approve](https://evil.example/x)" must not post a link.
func TestBlamedTestNamesAreCode(t *testing.T) {
	const name = "[Approve](https://evil.example/x)"
	srv := fakeModel(t, func(string, modeltest.Request) finding.Output {
		return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Fine.", OverallConfidenceScore: 0.8}
	})
	run := &sandbox.Result{Status: sandbox.StatusFailed, Command: "go test ./...", ExitCode: 1, FailedTests: []string{name},
		OutputTail: "--- FAIL: " + name + " (0.00s)\n",
		Base:       &sandbox.BaseRun{Commit: "0000000", Status: sandbox.StatusPassed, Blame: sandbox.BlameChange, Broken: []string{name}}}
	res, err := engine(t, srv).Review(context.Background(), parse(t, calcChange), review.Options{
		Focus: []finding.Area{finding.Security}, MinPriority: finding.P1, Tests: run,
	})
	if err != nil {
		t.Fatal(err)
	}
	quoted := markdown.CodeSpan(name)
	named := func(what, text string) {
		t.Helper()
		if !strings.Contains(text, quoted) {
			t.Errorf("%s does not name the test as code (%s): %q", what, quoted, text)
		}
		if rest := strings.ReplaceAll(text, quoted, ""); strings.Contains(rest, name) {
			t.Errorf("%s names the test outside code: %q", what, text)
		}
	}
	named("the verdict", res.Verdict.Explanation)
	blamed := 0
	for _, f := range res.Findings {
		if f.Category != string(finding.Tests) {
			continue
		}
		blamed++
		named("the finding's title", f.Title)
		// The body quotes the test's output after its first paragraph, in
		// a fenced block.
		first, _, _ := strings.Cut(f.Body, "\n\n")
		named("the finding's first paragraph", first)
	}
	if blamed != 1 {
		t.Errorf("%d findings blame the test, want 1: %+v", blamed, res.Findings)
	}
}
