package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

// Hand-built results for the golden and structural tests.

func inlineAt(path string, start, end int) anchor.Placement {
	p := anchor.Placement{Inline: true, Path: path, Side: diff.Right, Line: end, Method: anchor.Exact}
	if start != end {
		p.StartLine = start
	}
	return p
}

func inSummary(path, reason string) anchor.Placement {
	return anchor.Placement{Path: path, Method: anchor.Summary, Reason: reason}
}

func rev(area finding.Area, prio int, title, body, path string, start, end int, conf float64, fp string, p anchor.Placement) review.Reviewed {
	return review.Reviewed{
		Finding: finding.Finding{
			Title: title, Body: body, ConfidenceScore: conf, Priority: prio, Category: string(area),
			CodeLocation: finding.CodeLocation{AbsoluteFilePath: path, LineRange: finding.LineRange{Start: start, End: end}},
		},
		Area: area, Fingerprint: fp, Placement: p,
	}
}

// result is a review with the given verdict and findings.
func result(verdictText, explanation string, conf float64, fs ...review.Reviewed) *review.Result {
	return &review.Result{
		Verdict:  review.Verdict{Correctness: verdictText, Explanation: explanation, Confidence: conf},
		Findings: fs,
		Usage: finding.Usage{
			Model: "gpt-5-codex", PromptTokens: 48213, CachedPromptTokens: 36864,
			CompletionTokens: 2210, Calls: 4, DurationMS: 18450,
		},
		Coverage: budget.Coverage{
			FilesChanged: 6, FilesReviewed: 5, LinesChanged: 412, LinesReviewed: 398, Chunks: 1,
			Skipped: []budget.Skip{{Path: "go.sum", Reason: "generated lock file"}},
		},
		Focus: []finding.Area{finding.Security, finding.Bugs, finding.Performance, finding.Dependencies},
	}
}

func testLink(path string, line int) string {
	return fmt.Sprintf("https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/%s#L%d", path, line)
}

const (
	testCommit    = "0123456789abcdef0123456789abcdef01234567"
	testCommitURL = "https://github.com/acme/shop/commit/0123456789abcdef0123456789abcdef01234567"
)

const testState = "<!-- codex-review:state=eyJoZWFkIjoiMDEyMzQ1NiJ9 -->"

func mixedResult() *review.Result {
	suggestion := "\tq := \"SELECT * FROM orders WHERE id = $1\"\n" +
		"\t// a raw string with ``` inside must not end the suggestion block\n" +
		"\tdoc := `use ```sql fences`\n" +
		"\trows, err := db.QueryContext(ctx, q, id)\n"
	sqli := rev(finding.Security, 0, "[P0] SQL built from the request's order id",
		"`GetOrder` concatenates the `id` query parameter into the SQL text, so a request with "+
			"`id=1 OR 1=1` returns every customer's orders. Pass the id as a query argument instead.",
		"api/orders.go", 41, 43, 0.93, "5f1c2a9be07d4411", inlineAt("api/orders.go", 41, 43))
	sqli.Suggestion = suggestion
	// The bugs pass saw the same problem: one comment names both areas.
	sqli.Areas = []finding.Area{finding.Security, finding.Bugs}

	race := rev(finding.Bugs, 1, "Cache map written without holding the lock",
		"`Put` updates `c.items` after releasing `c.mu`, so two concurrent requests can corrupt "+
			"the map and crash the process with a concurrent map write.",
		"internal/cache/lru.go", 88, 88, 0.81, "0b7e3d52a6c1f980", inlineAt("internal/cache/lru.go", 91, 91))
	race.Placement.Method = anchor.Snippet
	race.Placement.Reason = "moved from line 88 to where the quoted code is"

	leak := rev(finding.Bugs, 1, "Response body | never closed\non the retry path",
		"When the first attempt fails with a 503 the loop retries without closing `resp.Body`, "+
			"leaking one connection per retry until the pool is exhausted.\n\n"+
			"```go\nfor attempt := 0; attempt < 3; attempt++ {\n\tresp, err = client.Do(req)\n}\n```",
		"internal/payments/client.go", 210, 214, 0.74, "c4d8e1f2a3b49607",
		inSummary("internal/payments/client.go", "lines 210-214 are outside the diff"))

	slow := rev(finding.Performance, 2, "[P2] N+1 queries when listing orders",
		"`ListOrders` loads each order's items with a separate query inside the loop; a page of "+
			"100 orders makes 101 round trips.",
		"api/orders.go", 120, 131, 0.66, "9a0b1c2d3e4f5061",
		inSummary("api/orders.go", "over the limit of 20 inline comments"))

	unsure := rev(finding.Bugs, 1, "Discount may apply twice",
		"If `applyDiscount` runs after the cart was already priced, the 10% discount is taken off twice.",
		"api/cart.go", 77, 77, 0.22, "aa00bb11cc22dd33",
		inSummary("api/cart.go", "confidence 0.22 is below review.min_confidence 0.30"))
	unsure.Gate = review.GateLowConfidence

	elsewhere := rev(finding.Security, 2, "Session cookie lacks the Secure flag",
		"`http.SetCookie` in `login.go` omits `Secure: true`, so the session id travels over plain HTTP.",
		"api/login.go", 31, 31, 0.7, "1234abcd5678ef90",
		inSummary("api/login.go", "api/login.go is not part of this change"))
	elsewhere.Gate = review.GateOutside

	r := result(finding.CorrectnessBad,
		"The order lookup is injectable and the cache has a data race; both need fixing before merge.",
		0.82, sqli, race, leak, unsure, slow, elsewhere)
	r.Gated = review.Gated{OutsideNoted: 1, OutsideDropped: 2, LowConfidence: 1, MinConfidence: 0.3}
	r.BelowThreshold = 3
	r.Below = []review.Reviewed{
		rev(finding.Performance, 2, "Index missing on orders.customer_id", "b", "db/schema.sql", 12, 12, 0.6, "", inSummary("db/schema.sql", "")),
		rev(finding.Bugs, 3, "Log message names the wrong function", "b", "api/orders.go", 60, 60, 0.5, "", inSummary("api/orders.go", "")),
		rev(finding.Bugs, 3, "Typo in an error message", "b", "", 0, 0, 0.4, "", inSummary("", "")),
	}
	r.Omitted = 1
	r.Coverage.Skipped = append(r.Coverage.Skipped,
		budget.Skip{Path: "web/static/app.min.js", Reason: "minified"},
		budget.Skip{Path: "assets/logo.png", Reason: "binary"})
	r.Coverage.FilesChanged = 8
	return r
}

func cleanResult() *review.Result {
	r := result(finding.CorrectnessOK, "The change only renames a helper and updates its callers.", 0.9)
	r.BelowThreshold = 1
	return r
}

// averageRun is the test run of the calc.js change: TestAverage fails at
// head; base says what the base commit's run showed.
func averageRun(base sandbox.BaseRun) *sandbox.Result {
	return &sandbox.Result{Status: sandbox.StatusFailed, Command: "go test ./...", ExitCode: 1, Duration: 2300 * time.Millisecond,
		FailedTests: []string{"TestAverage", "TestParseConfig"},
		OutputTail:  "--- FAIL: TestAverage (0.00s)\n    calc_test.go:7: Average([1 2 3]) = NaN, want 2\n--- FAIL: TestParseConfig (0.00s)\n    config_test.go:30: open testdata/big.yml: no such file\nFAIL\n",
		Base:        &base}
}

// testsBrokenResult: TestAverage fails with the change and passes on the
// base; the bugs pass found the defect, and the two are one finding.
// TestParseConfig fails on the base too.
func testsBrokenResult() *review.Result {
	blame := rev(finding.Tests, 1, "This change breaks `TestAverage`",
		"`TestAverage` fails with this change and passes on the base commit `0000000` (same command `go test ./...`, same sandbox and limits).\n\n"+
			"```text\n--- FAIL: TestAverage (0.00s)\n    calc_test.go:7: Average([1 2 3]) = NaN, want 2\n```\n\n"+
			"The loop runs while `i <= len(values)`, so `Average` reads one element past the end.",
		"calc.go", 23, 23, 0.9, "7e577e577e577e57", inlineAt("calc.go", 23, 23))
	blame.Areas = []finding.Area{finding.Tests, finding.Bugs}
	r := result(finding.CorrectnessBad, "This change breaks `TestAverage`, which passes on the base commit. Average reads past the end of its input.", 0.9, blame)
	r.Sandbox = averageRun(sandbox.BaseRun{Commit: "0000000000000000000000000000000000000000", Status: sandbox.StatusFailed, ExitCode: 1,
		FailedTests: []string{"TestParseConfig"}, Blame: sandbox.BlameChange, Broken: []string{"TestAverage"}, PreExisting: []string{"TestParseConfig"}})
	r.Coverage = budget.Coverage{FilesChanged: 1, FilesReviewed: 1, LinesChanged: 30, LinesReviewed: 30, Chunks: 1}
	return r
}

// testsPreExistingResult: the tests fail, and fail the same way on the
// base commit: nothing is blamed on the change.
func testsPreExistingResult() *review.Result {
	r := result(finding.CorrectnessOK, "The change is a small, correct refactor.", 0.8)
	r.Sandbox = averageRun(sandbox.BaseRun{Commit: "0000000000000000000000000000000000000000", Status: sandbox.StatusFailed, ExitCode: 1,
		FailedTests: []string{"TestAverage", "TestParseConfig"}, Blame: sandbox.BlamePreExisting, PreExisting: []string{"TestAverage", "TestParseConfig"}})
	r.Coverage = budget.Coverage{FilesChanged: 1, FilesReviewed: 1, LinesChanged: 30, LinesReviewed: 30, Chunks: 1}
	return r
}

// standingFindings are findings an earlier review posted.
func standingFindings() []review.Reviewed {
	return []review.Reviewed{
		rev(finding.Bugs, 1, "Zero check assigns instead of comparing", "b", "src/calc.js", 17, 17, 0.9, "1717171717171717", inlineAt("src/calc.js", 17, 17)),
		rev(finding.Bugs, 1, "average() reads one element past the end", "b", "src/calc.js", 25, 25, 0.85, "2525252525252525", inlineAt("src/calc.js", 25, 25)),
	}
}

// standingResult is a second review of a commit that finds nothing new:
// both of its findings were posted by the first review, so the publisher
// leaves them out of the findings and passes them as standing. The verdict
// is the one they imply.
func standingResult() *review.Result {
	r := result(finding.CorrectnessBad, "The zero check in divide assigns instead of comparing, and average reads past the end.", 0.85)
	r.Coverage = budget.Coverage{FilesChanged: 1, FilesReviewed: 1, LinesChanged: 42, LinesReviewed: 42, Chunks: 1}
	return r
}

// crowdedResult has more findings outside the diff than a reader wants
// open at once, from two areas.
func crowdedResult() *review.Result {
	var fs []review.Reviewed
	for i := range 5 {
		area := finding.Bugs
		if i%2 == 1 {
			area = finding.Performance
		}
		fs = append(fs, rev(area, 1, fmt.Sprintf("Handler %d drops the request context", i+1),
			fmt.Sprintf("`handle%d` calls `db.Query` instead of `db.QueryContext`, so a cancelled request keeps its query running.", i+1),
			"server/handlers.go", 100+20*i, 100+20*i, 0.8, fmt.Sprintf("c0ffee%010d", i),
			inSummary("server/handlers.go", fmt.Sprintf("line %d is outside the diff", 100+20*i))))
	}
	r := result(finding.CorrectnessBad, "Every handler drops the request context.", 0.8, fs...)
	r.Coverage = budget.Coverage{FilesChanged: 1, FilesReviewed: 1, LinesChanged: 12, LinesReviewed: 12, Chunks: 1}
	return r
}

func failedPassResult() *review.Result {
	r := result(finding.CorrectnessBad,
		"A nil map is written on the first request.", 0.7,
		rev(finding.Bugs, 1, "Writing to a nil map on first use",
			"`Registry.Add` writes to `r.byName` which is only initialised by `Load`; calling `Add` "+
				"first panics with assignment to entry in nil map.",
			"registry/registry.go", 57, 57, 0.88, "77aa1e0c9d3b2f14",
			inSummary("registry/registry.go", "line 57 is not part of the diff")))
	r.Failures = []string{
		"performance (chunk 2 of 3): model returned invalid JSON after 3 attempts",
		"security (chunk 3 of 3): context deadline exceeded",
	}
	r.Coverage.Chunks = 3
	return r
}

func manySkippedResult() *review.Result {
	r := result(finding.CorrectnessBad,
		"The migration drops a column that the running version still reads.", 0.76,
		rev(finding.Bugs, 0, "Migration drops a column the old release still reads",
			"During a rolling deploy the previous release keeps selecting `orders.legacy_total`, "+
				"which this migration drops, so every order page fails until the rollout completes.",
			"db/migrations/0042_drop_legacy_total.sql", 3, 3, 0.87, "e0e1e2e3e4e5e6e7",
			inlineAt("db/migrations/0042_drop_legacy_total.sql", 3, 3)))
	r.Coverage = budget.Coverage{
		FilesChanged: 1045, FilesReviewed: 1020, LinesChanged: 51234, LinesReviewed: 48800, Chunks: 14,
	}
	for i := range 25 {
		r.Coverage.Skipped = append(r.Coverage.Skipped,
			budget.Skip{Path: fmt.Sprintf("vendor/github.com/acme/lib%02d/lib.go", i), Reason: "vendored"})
	}
	return r
}

func incrementalResult() *review.Result {
	r := result(finding.CorrectnessBad,
		"The new retry helper ignores the caller's context.", 0.71,
		rev(finding.Bugs, 1, "Retry loop ignores context cancellation",
			"`retry.Do` sleeps with `time.Sleep` between attempts, so a cancelled request keeps "+
				"retrying for up to 30 seconds after the client has gone.",
			"internal/retry/retry.go", 25, 27, 0.84, "3c3c3c3c12121212",
			inlineAt("internal/retry/retry.go", 25, 27)))
	r.Coverage = budget.Coverage{FilesChanged: 2, FilesReviewed: 2, LinesChanged: 38, LinesReviewed: 38, Chunks: 1}
	r.Focus = []finding.Area{finding.Bugs}
	return r
}

// withFailingTests adds a failed test run to r.
func withFailingTests(r *review.Result) *review.Result {
	r.Sandbox = &sandbox.Result{Status: sandbox.StatusFailed, Command: "go test ./...", ExitCode: 1, Duration: 41 * time.Second,
		FailedTests: []string{"TestRetryStopsOnCancel"},
		OutputTail:  "--- FAIL: TestRetryStopsOnCancel (0.00s)\n    retry_test.go:31: retried after cancel\nFAIL\n"}
	return r
}

// goldenCase is one result with the summary options it is posted with.
type goldenCase struct {
	name string
	r    *review.Result
	opt  SummaryOptions
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{name: "mixed", r: mixedResult(), opt: SummaryOptions{Link: testLink, State: testState, Commit: testCommit, CommitURL: testCommitURL}},
		{name: "clean", r: cleanResult(), opt: SummaryOptions{State: testState, Commit: testCommit, CommitURL: testCommitURL}},
		{name: "crowded", r: crowdedResult(), opt: SummaryOptions{Link: testLink, Commit: testCommit}},
		{name: "tests_broken", r: testsBrokenResult(), opt: SummaryOptions{Link: testLink, State: testState, Commit: testCommit, CommitURL: testCommitURL}},
		{name: "tests_preexisting", r: testsPreExistingResult(), opt: SummaryOptions{Link: testLink, State: testState, Commit: testCommit, CommitURL: testCommitURL}},
		{name: "standing", r: standingResult(), opt: SummaryOptions{Link: testLink, State: testState, Commit: testCommit, CommitURL: testCommitURL,
			Standing: standingFindings()}},
		{name: "failed_pass", r: failedPassResult(), opt: SummaryOptions{Title: "Codex review (security, bugs, performance)"}},
		{name: "many_skipped", r: manySkippedResult(), opt: SummaryOptions{Link: testLink}},
		{name: "incremental", r: withFailingTests(incrementalResult()), opt: SummaryOptions{
			Link:        testLink,
			State:       testState,
			Incremental: "since abc1234",
		}},
	}
}

// hugeResult is a review far over GitHub's limit: many long findings in
// the summary.
func hugeResult(n, bodyLen int) *review.Result {
	var fs []review.Reviewed
	for i := range n {
		fs = append(fs, rev(finding.Bugs, i%4, fmt.Sprintf("Finding number %d", i),
			strings.Repeat("word ", bodyLen/5), fmt.Sprintf("pkg/file%04d.go", i), 10, 12, 0.8,
			fmt.Sprintf("%016x", i), inSummary(fmt.Sprintf("pkg/file%04d.go", i), "outside the diff")))
	}
	return result(finding.CorrectnessBad, "Many problems.", 0.8, fs...)
}
