package server_test

// End-to-end tests of what a maintainer reads (issue 11), each through the
// real server: a signed webhook delivery, the durable queue, the worker,
// the fake GitHub (which validates reviews as GitHub does) and a fake
// model scripted per pass.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/queue"
	"github.com/codex-review/codex-review/app/server"
	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
	"github.com/codex-review/codex-review/review/sandbox"
)

// calcHead is src/calc.js at the pull request's head: 42 lines, with the
// zero check of divide assigning (line 17) and average's loop reading one
// element past the end (line 25). calcBase is the file before the change.
var (
	calcHead = strings.Join([]string{
		"'use strict';",
		"",
		"// Small statistics helpers for the report page.",
		"",
		"function sum(values) {",
		"  let total = 0;",
		"  for (const v of values) {",
		"    total += v;",
		"  }",
		"  return total;",
		"}",
		"",
		"// divide returns a / b, or null when b is zero, so that callers can",
		"// show \"n/a\" instead of Infinity.",
		"function divide(a, b) {",
		"  // Guard against division by zero.",
		"  if (b = 0) {",
		"    return null;",
		"  }",
		"  return a / b;",
		"}",
		"",
		"function average(values) {",
		"  let total = 0;",
		"  for (let i = 0; i <= values.length; i++) {",
		"    total += values[i];",
		"  }",
		"  return divide(total, values.length);",
		"}",
		"",
		"function median(values) {",
		"  const sorted = [...values].sort((x, y) => x - y);",
		"  const mid = Math.floor(sorted.length / 2);",
		"  if (sorted.length % 2 === 0) {",
		"    return (sorted[mid - 1] + sorted[mid]) / 2;",
		"  }",
		"  return sorted[mid];",
		"}",
		"",
		"function clamp(x, lo, hi) { return Math.min(hi, Math.max(lo, x)); }",
		"",
		"module.exports = { sum, divide, average, median, clamp };",
	}, "\n") + "\n"
	calcBase = strings.Replace(strings.Replace(calcHead, "if (b = 0)", "if (b === 0)", 1), "i <= values.length", "i < values.length", 1)
)

// calcPatch is GitHub's patch of the change to src/calc.js: lines 17 and
// 25 changed.
const calcPatch = `@@ -14,15 +14,15 @@
 // show "n/a" instead of Infinity.
 function divide(a, b) {
   // Guard against division by zero.
-  if (b === 0) {
+  if (b = 0) {
     return null;
   }
   return a / b;
 }
 
 function average(values) {
   let total = 0;
-  for (let i = 0; i < values.length; i++) {
+  for (let i = 0; i <= values.length; i++) {
     total += values[i];
   }
   return divide(total, values.length);`

// posts signals each review and each comment the app posts on GitHub, so
// that tests wait on those events instead of sleeping.
type posts struct {
	next     http.RoundTripper
	reviews  chan string
	comments chan string
}

func (p *posts) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost {
		return resp, err
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/reviews") && resp.StatusCode == http.StatusOK:
		p.reviews <- r.URL.Path
	case strings.HasSuffix(r.URL.Path, "/comments") && strings.Contains(r.URL.Path, "/issues/") && resp.StatusCode == http.StatusCreated:
		p.comments <- r.URL.Path
	}
	return resp, err
}

// calcServer starts the server on the calc.js pull request (#7 of
// acme/shop) with the given .codex.yml on the base branch.
func calcServer(t *testing.T, databaseURL, config string, sandboxes int) (*apptest.World, *harness, *posts) {
	t.Helper()
	w := apptest.New(t)
	w.AddStandardPR(func(pr *githubtest.PR) {
		pr.Title, pr.Body = "Statistics helpers", "Adds divide and average guards."
		pr.Files = []githubtest.File{{Filename: "src/calc.js", Status: "modified", Patch: calcPatch, Additions: 2, Deletions: 2, Changes: 4}}
	})
	if config != "" {
		w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", config)
	}
	p := &posts{next: http.DefaultTransport, reviews: make(chan string, 8), comments: make(chan string, 8)}
	s := &settings.Settings{
		DatabaseURL: databaseURL, AppID: apptest.AppID, PrivateKey: w.Key, WebhookSecret: secret,
		APIURL: w.GitHub.URL(), WebURL: "https://github.com/", Model: w.ModelConfig(), Trigger: "@codex", Workers: 1, Sandboxes: sandboxes,
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	srv, err := server.New(t.Context(), s, log, server.Options{
		Version: "test", Queue: queue.Config{PollInterval: 20 * time.Millisecond}, Transport: p,
		OnPanic: func(v any, stack []byte) { t.Errorf("panic: %v\n%s", v, stack) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	h := &harness{world: w, srv: srv, http: hs, url: hs.URL}
	t.Cleanup(func() { h.stop(t) })
	return w, h, p
}

var qualityDeliveries atomic.Int64

// ask comments body on the pull request, as alice (an owner), through a
// signed webhook delivery.
func ask(t *testing.T, w *apptest.World, h *harness, body string) {
	t.Helper()
	raw := payload(t, w, body)
	if code := h.deliver(t, "issue_comment", fmt.Sprintf("quality-%d", qualityDeliveries.Add(1)), raw, sign(raw, secret)); code != http.StatusOK {
		t.Fatalf("delivery answered %d", code)
	}
}

// await waits for the app's next post on ch.
func await(t *testing.T, ch chan string, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(90 * time.Second):
		t.Fatalf("no %s within 90 seconds", what)
	}
}

// calcFinding is a finding on src/calc.js as a pass reports it.
func calcFinding(area finding.Area, prio int, conf float64, line int, title, body string) finding.Finding {
	return finding.Finding{Title: "[" + finding.Priority(prio).String() + "] " + title, Body: body, Priority: prio, ConfidenceScore: conf,
		Category: string(area), CodeLocation: finding.CodeLocation{AbsoluteFilePath: "src/calc.js", LineRange: finding.LineRange{Start: line, End: line}}}
}

// twoDefectsFourReports is the model: each defect of calc.js is
// reported by two passes in their own words.
func twoDefectsFourReports(area string, _ modeltest.Request) finding.Output {
	out := finding.Output{OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "The zero check and the average loop are wrong.", OverallConfidenceScore: 0.8}
	switch area {
	case "bugs":
		out.Findings = []finding.Finding{
			calcFinding(finding.Bugs, 1, 0.9, 17, "Zero check assigns instead of comparing",
				"`if (b = 0)` assigns 0 to `b` instead of comparing it, so the guard is never taken and `divide()` returns Infinity."),
			calcFinding(finding.Bugs, 1, 0.85, 25, "average() reads one element past the end",
				"The loop runs while `i <= values.length`, so its last iteration adds `values[values.length]` and every average is NaN."),
		}
	case "security":
		out.Findings = []finding.Finding{calcFinding(finding.Security, 1, 0.7, 17, "Assignment in division guard disables the zero check",
			"The guard `b = 0` overwrites the divisor. Callers that rely on it to reject untrusted input get NaN instead of null.")}
	case "performance":
		out.Findings = []finding.Finding{calcFinding(finding.Performance, 1, 0.6, 25, "Off-by-one loop does an extra iteration",
			"`for (let i = 0; i <= values.length; i++)` iterates once more than there are values.")}
	default:
		return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Nothing to report.", OverallConfidenceScore: 0.9}
	}
	return out
}

// Item 1: one comment per problem.
func TestE2EOneCommentPerProblem(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w, h, p := calcServer(t, databaseURL, "version: 1\nreview:\n  passes: separate\n", 1)
		w.SetAnswer(twoDefectsFourReports)
		ask(t, w, h, "@codex review")
		await(t, p.reviews, "review")

		rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
		if len(rv) != 1 {
			t.Fatalf("%d reviews", len(rv))
		}
		// One call per pass: security, bugs, performance (no manifest
		// changed, so the dependencies pass has nothing to read).
		if n := len(w.Model.Requests()); n != 3 {
			t.Errorf("%d model calls, want one per pass (3)", n)
		}
		cs := rv[0].Comments
		if len(cs) != 2 {
			t.Fatalf("%d inline comments, want one per problem (2): %+v", len(cs), cs)
		}
		want := []struct {
			line         int
			title, areas string
		}{
			{17, "**[P1] Zero check assigns instead of comparing**", "bugs + security · confidence 0.90"},
			{25, "**[P1] average() reads one element past the end**", "bugs + performance · confidence 0.85"},
		}
		for i, c := range cs {
			if c.Path != "src/calc.js" || c.Line != want[i].line || !strings.HasPrefix(c.Body, want[i].title) || !strings.Contains(c.Body, want[i].areas) {
				t.Errorf("comment %d at %s:%d:\n%s", i, c.Path, c.Line, c.Body)
			}
		}
		if !strings.Contains(cs[0].Body, "reject untrusted input") {
			t.Errorf("the security pass's distinct sentence is not in the merged comment:\n%s", cs[0].Body)
		}
		if !strings.Contains(rv[0].Body, "2 findings: 2 posted inline, 0 listed below.") {
			t.Errorf("summary:\n%s", rv[0].Body)
		}
	})
}

// Item 2: a repeated request gets one reply and no model call; "again"
// reviews afresh and says the earlier findings still apply.
func TestE2ERepeatRequest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w, h, p := calcServer(t, databaseURL, "version: 1\nreview:\n  passes: separate\n", 1)
		w.SetAnswer(twoDefectsFourReports)
		ask(t, w, h, "@codex review")
		await(t, p.reviews, "first review")
		calls := len(w.Model.Requests())
		first := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)[0]

		ask(t, w, h, "@codex review")
		await(t, p.comments, "reply to the repeated request")
		if n := len(w.Model.Requests()); n != calls {
			t.Errorf("the repeated request made %d model calls", n-calls)
		}
		if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 1 {
			t.Errorf("%d reviews after the repeated request, want 1", n)
		}
		var replies []string
		for _, c := range w.GitHub.Comments(apptest.Owner, apptest.Repo, 7) {
			if c.User == w.GitHub.BotLogin() {
				replies = append(replies, c.Body)
			}
		}
		if len(replies) != 1 || !strings.Contains(replies[0], "**patch is incorrect**, 2 findings (2 P1)") ||
			!strings.Contains(replies[0], fmt.Sprintf("#pullrequestreview-%d)", first.ID)) || !strings.Contains(replies[0], "`@codex review again`") {
			t.Fatalf("replies: %q", replies)
		}

		ask(t, w, h, "@codex review again")
		await(t, p.reviews, "fresh review")
		if n := len(w.Model.Requests()); n != 2*calls {
			t.Errorf("`review again` made %d model calls, want %d", n-calls, calls)
		}
		rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
		if len(rv) != 2 {
			t.Fatalf("%d reviews", len(rv))
		}
		again := rv[1]
		if len(again.Comments) != 0 || strings.Contains(again.Body, "No findings") ||
			!strings.Contains(again.Body, "**No new findings.** 2 findings posted by earlier reviews still apply") ||
			!strings.Contains(again.Body, "**Verdict: patch is incorrect**") {
			t.Errorf("re-review with the earlier findings standing:\n%s", again.Body)
		}
	})
}

// Item 3: the precision gates. A P1 at line 999 of a 42-line file, a P1
// in a file the pull request does not touch and an unsure P1.
func TestE2EPrecisionGates(t *testing.T) {
	claims := func(area string, _ modeltest.Request) finding.Output {
		if area != "bugs" {
			return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Nothing to report.", OverallConfidenceScore: 0.9}
		}
		return finding.Output{Findings: []finding.Finding{
			calcFinding(finding.Bugs, 1, 0.9, 999, "Result of divide is never checked", "`divide()` can return null."),
			{Title: "[P1] Server trusts the client's total", Body: "`req.body.total` is used as is.", Priority: 1, ConfidenceScore: 0.8, Category: "bugs",
				CodeLocation: finding.CodeLocation{AbsoluteFilePath: "src/server.js", LineRange: finding.LineRange{Start: 12, End: 12}}},
			calcFinding(finding.Bugs, 1, 0.2, 17, "Guard may be intended", "Perhaps `b = 0` is deliberate."),
		}, OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "divide's result is unchecked.", OverallConfidenceScore: 0.7}
	}
	tests := []struct {
		name, config string
		want         []string
	}{
		{"note (default)", "version: 1\nreview:\n  passes: separate\n", []string{
			"<summary><b>2 findings outside this change, shown at P2 at most</b></summary>",
			// GitHub's patch does not show where the file ends; the head's
			// copy does.
			"**[P2] Result of divide is never checked**", "not inline: line 999 is past the end of src/calc.js (42 lines)",
			"**[P2] Server trusts the client's total**", "src/server.js is not part of this change",
			"<summary><b>1 finding below review.min_confidence 0.30, not posted inline</b></summary>",
		}},
		{"drop", "version: 1\nreview:\n  passes: separate\n  outside_diff: drop\n  min_confidence: 0.5\n", []string{
			"2 findings outside this change were left out (review.outside_diff: drop).",
			"<summary><b>1 finding below review.min_confidence 0.50, not posted inline</b></summary>",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, databaseURL string) {
				w, h, p := calcServer(t, databaseURL, tt.config, 1)
				w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "src/calc.js", calcHead)
				w.SetAnswer(claims)
				ask(t, w, h, "@codex review")
				await(t, p.reviews, "review")
				rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
				if len(rv) != 1 || len(rv[0].Comments) != 0 {
					t.Fatalf("reviews %+v: nothing may be inline", rv)
				}
				body := rv[0].Body
				// Nothing in the change stands: the pass's "incorrect" was
				// about code the change does not touch, or unsure.
				if !strings.Contains(body, "**Verdict: patch is correct**") || strings.Contains(body, "**[P1] Result") || strings.Contains(body, "**[P1] Server") {
					t.Errorf("a claim about code that is not there is presented at its priority:\n%s", body)
				}
				for _, want := range tt.want {
					if !strings.Contains(body, want) {
						t.Errorf("summary lacks %q:\n%s", want, body)
					}
				}
			})
		})
	}
}

// Item 4: failing tests at head run again at the base, in real bubblewrap.
func TestE2ETestsAccuseTheRightChange(t *testing.T) {
	if err := sandbox.Available(context.Background()); err != nil {
		t.Skipf("the sandbox cannot run here (%v); .ci/run installs bubblewrap", err)
	}
	// The runner prints what `go test` prints when TestAverage fails:
	// whenever the loop reads past the end (or, for the second case,
	// always).
	const whenBroken = "if grep -q 'i <= values.length' src/calc.js; then\n" +
		"  echo '--- FAIL: TestAverage (0.00s)'\n  echo '    calc_test.go:7: average([1, 2, 3]) = NaN, want 2'\n  echo FAIL\n  exit 1\nfi\necho ok\n"
	const always = "echo '--- FAIL: TestAverage (0.00s)'\necho '    calc_test.go:7: average([1, 2, 3]) = NaN, want 2'\necho FAIL\nexit 1\n"
	tests := []struct {
		name, script string
		want         []string
		inline       int
	}{
		{"head fails, base passes", whenBroken, []string{
			"**Verdict: patch is incorrect**",
			"On the base commit `0000000` this test passes: **this change breaks it.**\n- `TestAverage`",
		}, 1},
		{"both fail", always, []string{
			"**Verdict: patch is correct**",
			"the failures are **pre-existing**, not caused by this change",
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, databaseURL string) {
				// Two sandboxes: the base's run starts next to the head's.
				w, h, p := calcServer(t, databaseURL, "version: 1\nreview:\n  passes: separate\nsandbox:\n  enabled: true\n  command: sh run-tests.sh\n  timeout: 1m\n", 2)
				for sha, calc := range map[string]string{apptest.HeadSHA: calcHead, apptest.BaseSHA: calcBase} {
					w.GitHub.SetContent(apptest.Owner, apptest.Repo, sha, "src/calc.js", calc)
					w.GitHub.SetContent(apptest.Owner, apptest.Repo, sha, "run-tests.sh", tt.script)
				}
				// Only security is asked for, and it sees nothing wrong.
				w.SetAnswer(func(string, modeltest.Request) finding.Output {
					return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "No security issues.", OverallConfidenceScore: 0.8}
				})
				ask(t, w, h, "@codex review security")
				await(t, p.reviews, "review")
				rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
				if len(rv) != 1 {
					t.Fatalf("%d reviews", len(rv))
				}
				for _, want := range tt.want {
					if !strings.Contains(rv[0].Body, want) {
						t.Errorf("summary lacks %q:\n%s", want, rv[0].Body)
					}
				}
				if len(rv[0].Comments) != tt.inline {
					t.Fatalf("%d inline comments, want %d: %+v", len(rv[0].Comments), tt.inline, rv[0].Comments)
				}
				if tt.inline > 0 {
					// The first changed line of the function the test is
					// named after.
					c := rv[0].Comments[0]
					if c.Path != "src/calc.js" || c.Line != 25 || !strings.HasPrefix(c.Body, "**[P1] This change breaks `TestAverage`**") {
						t.Errorf("blame comment at %s:%d:\n%s", c.Path, c.Line, c.Body)
					}
				}
				// The security pass, the only one asked for, read the
				// failure and what the base's run said.
				reqs := w.Model.Requests()
				if len(reqs) != 1 || !strings.Contains(reqs[0].UserMessages[len(reqs[0].UserMessages)-1], "--- FAIL: TestAverage") ||
					!strings.Contains(reqs[0].UserMessages[len(reqs[0].UserMessages)-1], "The same command ran on the base commit") {
					t.Errorf("the security pass did not get the test results (%d calls)", len(reqs))
				}
			})
		})
	}
}

// Item 5: the body a maintainer reads: the verdict first with the
// reviewed commit linked, the invitation to react when there are inline
// comments, secondary lists collapsible.
func TestE2EReviewBody(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w, h, p := calcServer(t, databaseURL, "version: 1\nreview:\n  passes: separate\n", 1)
		w.SetAnswer(func(area string, req modeltest.Request) finding.Output {
			out := twoDefectsFourReports(area, req)
			if area == "bugs" {
				out.Findings = append(out.Findings, calcFinding(finding.Bugs, 3, 0.5, 33, "median() sorts a copy on every call", "`[...values].sort` allocates."))
			}
			return out
		})
		ask(t, w, h, "@codex review")
		await(t, p.reviews, "review")
		body := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)[0].Body
		lines := strings.Split(body, "\n")
		commit := " · commit [`1111111`](https://github.com/acme/shop/commit/" + apptest.HeadSHA + ")"
		if len(lines) < 3 || lines[0] != "## Codex review" || !strings.HasPrefix(lines[2], "**Verdict: patch is incorrect** (confidence ") ||
			!strings.HasSuffix(lines[2], commit) {
			t.Errorf("the body does not start with the verdict and the commit:\n%s", body)
		}
		// Both problems were found by bugs first: one row, so no table.
		if strings.Contains(body, "| Area |") {
			t.Errorf("a one-row area table:\n%s", body)
		}
		for _, want := range []string{
			"<details>\n<summary><b>1 finding below the priority threshold</b></summary>\n\n- **[P3] median() sorts a copy on every call**",
			"<sub>React 👍 / 👎 on a comment to tell us if it helped.</sub>",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("body lacks %q:\n%s", want, body)
			}
		}
	})
}
