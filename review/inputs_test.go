package review_test

import (
	"context"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
	"github.com/codex-review/codex-review/review/sandbox"
)

// TestCallerNotesReachTheResult checks the inputs the caller knows better
// than the diff: why files have no diff, files it could not list, and the
// repository's test run.
func TestCallerNotesReachTheResult(t *testing.T) {
	answer := func(string, modeltest.Request) finding.Output {
		return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "ok"}
	}
	d := parse(t, change)
	plain, err := engine(t, fakeModel(t, answer)).Review(context.Background(), d, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := &sandbox.Result{Status: sandbox.StatusFailed, Command: "go test ./...", ExitCode: 1,
		FailedTests: []string{"TestFind"}, OutputTail: "--- FAIL: TestFind (0.00s)\n    users_test.go:3: got 3 rows\n"}
	srv := fakeModel(t, answer)
	res, err := engine(t, srv).Review(context.Background(), d, review.Options{
		NoDiff:   map[string]string{"go.sum": "the host shows no diff for this file"},
		Unlisted: review.Unlisted{Files: 5, Reason: "the host lists only the first files"},
		Tests:    tests,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Coverage.FilesChanged != plain.Coverage.FilesChanged+5 {
		t.Errorf("files changed %d, want %d + 5 unlisted", res.Coverage.FilesChanged, plain.Coverage.FilesChanged)
	}
	reasons := map[string]string{}
	for _, s := range res.Coverage.Skipped {
		reasons[s.Path] = s.Reason
	}
	if reasons["go.sum"] != "the host shows no diff for this file" || reasons["(5 more files)"] != "the host lists only the first files" {
		t.Errorf("skipped = %+v", res.Coverage.Skipped)
	}
	if res.Sandbox != tests {
		t.Errorf("the test run is not in the result: %+v", res.Sandbox)
	}
	// Every pass judges the patch's correctness, so every pass reads the
	// failing tests (issue 11: a security-only review dropped them).
	for _, r := range srv.Requests() {
		last := r.UserMessages[len(r.UserMessages)-1]
		if !strings.Contains(last, "users_test.go:3: got 3 rows") {
			t.Errorf("a pass did not get the test output:\n%s", last[:min(len(last), 200)])
		}
	}
}
