package render

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review/sandbox"
)

func TestTestsSection(t *testing.T) {
	tests := []struct {
		name string
		res  sandbox.Result
		want []string
		not  []string
	}{
		{"passed", sandbox.Result{Status: sandbox.StatusPassed, Command: "go test ./...", Duration: 1234 * time.Millisecond, OutputTail: "ok"},
			[]string{"**Tests** (`go test ./...`): ✅ passed in 1.2s."}, []string{"<details>"}},
		{"failed", sandbox.Result{Status: sandbox.StatusFailed, Command: "go test ./...", ExitCode: 1, FailedTests: []string{"TestA"}, OutputTail: "--- FAIL: TestA\n```\n@someone", OOMKilled: true},
			[]string{"❌ failed (exit code 1)", "memory limit", "- `TestA`", "````text\n--- FAIL: TestA\n```\n@someone\n````"}, nil},
		{"timed out", sandbox.Result{Status: sandbox.StatusTimedOut, Command: "make test", Duration: time.Minute, OutputTail: "x"}, []string{"⏱️ timed out after 1m0s"}, nil},
		{"not run", sandbox.NotRun("go test ./...", "bwrap is not installed"), []string{"not run: bwrap is not installed."}, []string{"<details>"}},
		{"error", sandbox.Result{Status: sandbox.StatusError, Command: "x`y", Reason: "the work tree does not fit"}, []string{"``x`y``", "could not run them: the work tree does not fit."}, nil},
		{"many failures", sandbox.Result{Status: sandbox.StatusFailed, Command: "t", FailedTests: slices.Repeat([]string{"T"}, 25), FailedTestsOmitted: 5}, []string{"… and 10 more"}, nil},
		{"hostile names", sandbox.Result{Status: sandbox.StatusFailed, Command: "t", FailedTests: []string{"<!-- codex-review:state=x -->", strings.Repeat("n", 5000)}},
			[]string{"&lt;!--"}, []string{"<!--", strings.Repeat("n", 300)}},
		{"broken by the change", withBase(sandbox.BaseRun{Commit: "0000000aaaa", Status: sandbox.StatusPassed, Blame: sandbox.BlameChange, Broken: []string{"TestAverage"}}),
			[]string{"On the base commit `0000000` this test passes: **this change breaks it.**\n- `TestAverage`"}, []string{"Failing tests:", "pre-existing"}},
		{"command broken, no names", func() sandbox.Result {
			r := withBase(sandbox.BaseRun{Commit: "0000000", Status: sandbox.StatusPassed, Blame: sandbox.BlameChange})
			r.FailedTests = nil
			return r
		}(), []string{"the same command passes: **this change makes it fail.**"}, nil},
		{"some broken, some pre-existing", withBase(sandbox.BaseRun{Commit: "0000000", Status: sandbox.StatusFailed, Blame: sandbox.BlameChange,
			Broken: []string{"TestAverage"}, PreExisting: []string{"TestFlaky"}}),
			[]string{"**this change breaks it.**\n- `TestAverage`", "<details><summary>1 test also failing on the base commit (pre-existing)</summary>\n\n- `TestFlaky`"}, nil},
		{"pre-existing", withBase(sandbox.BaseRun{Commit: "0000000", Status: sandbox.StatusFailed, Blame: sandbox.BlamePreExisting, PreExisting: []string{"TestAverage"}}),
			[]string{"the same command fails too: the failures are **pre-existing**, not caused by this change.", "(pre-existing)</summary>"}, []string{"breaks"}},
		{"base unknown", withBase(sandbox.BaseRun{Commit: "0000000", Status: sandbox.StatusError, Blame: sandbox.BlameUnknown, Reason: "could not fetch the base commit: 404"}),
			[]string{"Failing tests:\n- `TestAverage`", "Whether this change causes the failures is unknown", "could not fetch the base commit: 404"}, []string{"breaks"}},
		{"hostile reason", sandbox.Result{Status: sandbox.StatusError, Command: "t", Reason: "a\n\n# heading <!-- hide"}, []string{"a # heading &lt;!-- hide"}, []string{"<!--", "\n# heading"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := testsSection(tt.res)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("has %q:\n%s", w, got)
				}
			}
		})
	}
}

// withBase is a failing run of TestAverage at head with the given run on
// the base commit.
func withBase(b sandbox.BaseRun) sandbox.Result {
	return sandbox.Result{Status: sandbox.StatusFailed, Command: "go test ./...", ExitCode: 1, FailedTests: []string{"TestAverage"},
		OutputTail: "--- FAIL: TestAverage (0.00s)\n", Base: &b}
}
