package review_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/model/modeltest"
	"github.com/codex-review/codex-review/review/passes"
)

// change is a small real-looking diff: a handler that builds SQL from user
// input, and a loop that queries per item.
const change = `diff --git a/store/users.go b/store/users.go
index 3b18e51..a9d2c7f 100644
--- a/store/users.go
+++ b/store/users.go
@@ -10,6 +10,14 @@ func (s *Store) Get(ctx context.Context, id int) (*User, error) {
 	return u, nil
 }
 
+func (s *Store) Find(ctx context.Context, name string) (*User, error) {
+	q := "SELECT id, name FROM users WHERE name = '" + name + "'"
+	row := s.db.QueryRowContext(ctx, q)
+	var u User
+	err := row.Scan(&u.ID, &u.Name)
+	return &u, nil
+}
+
 func (s *Store) Delete(ctx context.Context, id int) error {
 	_, err := s.db.ExecContext(ctx, "DELETE FROM users WHERE id = $1", id)
 	return err
diff --git a/store/users_test.go b/store/users_test.go
new file mode 100644
index 0000000..e69de29
--- /dev/null
+++ b/store/users_test.go
@@ -0,0 +1,3 @@
+package store
+
+func TestFind(t *testing.T) {}
diff --git a/go.sum b/go.sum
index 1111111..2222222 100644
--- a/go.sum
+++ b/go.sum
@@ -1 +1,2 @@
 example.com/a v1.0.0 h1:abc
+example.com/b v1.0.0 h1:def
`

type answerFunc func(area string, req modeltest.Request) finding.Output

// fakeModel serves answers chosen by the focus areas the request asks
// for, the way a real model answers what it is asked (a combined pass gets
// every area's answer at once).
func fakeModel(t testing.TB, answer answerFunc) *modeltest.Server {
	return modeltest.NewServer(t, func(req modeltest.Request) modeltest.Reply {
		out := modeltest.AnswerByArea(req, func(a finding.Area, req modeltest.Request) finding.Output {
			return answer(string(a), req)
		})
		b, err := json.Marshal(out)
		if err != nil {
			t.Errorf("marshal answer: %v", err)
		}
		return modeltest.Reply{Text: string(b), Usage: modeltest.Usage{PromptTokens: 1000, CachedTokens: 800, CompletionTokens: 50}}
	})
}

func engine(t testing.TB, srv *modeltest.Server) *review.Engine {
	t.Helper()
	return engineFor(t, srv, model.APIChat)
}

// engineFor is an engine whose client speaks api ("chat" or "responses").
func engineFor(t testing.TB, srv *modeltest.Server, api string) *review.Engine {
	t.Helper()
	client, err := model.New(model.Config{BaseURL: srv.BaseURL(), Model: "gpt-5-codex", API: api, HTTPClient: srv.Client(), MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	counter, err := budget.NewCounter("gpt-5-codex")
	if err != nil {
		t.Fatal(err)
	}
	return review.New(client, counter, "gpt-5-codex")
}

func parse(t testing.TB, s string) *diff.Diff {
	t.Helper()
	d, err := diff.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func loc(path string, start, end int) finding.CodeLocation {
	return finding.CodeLocation{AbsoluteFilePath: path, LineRange: finding.LineRange{Start: start, End: end}}
}

func TestReviewRunsEveryPassAndMergesFindings(t *testing.T) {
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		switch area {
		case "security":
			return finding.Output{Findings: []finding.Finding{{
				Title: "[P0] SQL injection in Find", Body: "`name` is concatenated into `q`.", Priority: 0,
				ConfidenceScore: 0.9, Category: "security", CodeLocation: loc("store/users.go", 14, 14),
				Suggestion: "\tq := \"SELECT id, name FROM users WHERE name = $1\"",
			}}, OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "Injectable query.", OverallConfidenceScore: 0.9}
		case "bugs":
			return finding.Output{Findings: []finding.Finding{
				// The model is off by two lines; the quoted code relocates it.
				{Title: "[P1] Scan error is ignored", Body: "`return &u, nil` drops the error from `row.Scan`.", Priority: 1,
					ConfidenceScore: 0.8, Category: "bugs", CodeLocation: loc("/repo/store/users.go", 20, 20)},
				// Same issue as the security pass reported, worded differently.
				{Title: "[P1] SQL injection in Find query", Body: "Injection.", Priority: 1, ConfidenceScore: 0.5,
					Category: "security", CodeLocation: loc("store/users.go", 14, 14)},
				// Below the P1 threshold.
				{Title: "[P3] Name the variable query", Body: "Nit.", Priority: 3, ConfidenceScore: 0.3,
					Category: "bugs", CodeLocation: loc("store/users.go", 14, 14)},
				// On a line outside the diff: goes to the summary.
				{Title: "[P1] Delete ignores missing rows", Body: "No rows affected is not an error.", Priority: 1,
					ConfidenceScore: 0.6, Category: "bugs", CodeLocation: loc("store/users.go", 80, 80)},
			}, OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "Errors are dropped.", OverallConfidenceScore: 0.8}
		default:
			return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Nothing found.", OverallConfidenceScore: 0.7}
		}
	})
	res, err := engine(t, srv).Review(context.Background(), parse(t, change), review.Options{MinPriority: finding.P1, Root: "/repo", Passes: passes.Separate})
	if err != nil {
		t.Fatal(err)
	}

	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("model calls = %d, want one per default focus area (4)", len(reqs))
	}
	// Every pass shares the system part and the context part, in front;
	// only the last message differs: that is what makes prompt caching work.
	for _, r := range reqs[1:] {
		if r.Instructions != reqs[0].Instructions || r.UserMessages[0] != reqs[0].UserMessages[0] || r.CacheKey != reqs[0].CacheKey {
			t.Fatal("passes over the same chunk do not share their prompt prefix")
		}
	}
	if strings.Contains(reqs[0].UserMessages[0], "example.com/b") {
		t.Error("go.sum (a generated lock file) was sent to the model")
	}

	got := map[string]review.Reviewed{}
	for _, f := range res.Findings {
		got[f.Title] = f
	}
	if len(res.Findings) != 3 || len(res.Output().Findings) != 3 {
		t.Fatalf("findings = %+v, want 3 (the duplicate merged, the P3 below threshold)", res.Findings)
	}
	sqli := got["[P0] SQL injection in Find"]
	if !sqli.Placement.Inline || sqli.Placement.Method != anchor.Exact || sqli.Placement.Line != 14 || sqli.Suggestion == "" {
		t.Errorf("SQL injection placement = %+v (suggestion %q)", sqli.Placement, sqli.Suggestion)
	}
	if sqli.Area != finding.Security || sqli.Fingerprint == "" {
		t.Errorf("area %q fingerprint %q", sqli.Area, sqli.Fingerprint)
	}
	scan := got["[P1] Scan error is ignored"]
	if !scan.Placement.Inline || scan.Placement.Line != 18 || scan.CodeLocation.AbsoluteFilePath != "store/users.go" {
		t.Errorf("relocated finding = %+v at %+v", scan.Placement, scan.CodeLocation)
	}
	if res.Findings[0].Title != "[P0] SQL injection in Find" {
		t.Errorf("P0 not ranked first: %q", res.Findings[0].Title)
	}
	// Outside the change: shown in the summary at P2 at most.
	outside := got["[P2] Delete ignores missing rows"]
	if outside.Placement.Inline || outside.Placement.Reason == "" || outside.Gate != review.GateOutside {
		t.Errorf("a finding outside the diff must go to the summary with a reason: %+v", outside.Placement)
	}
	if res.BelowThreshold != 1 {
		t.Errorf("BelowThreshold = %d, want 1", res.BelowThreshold)
	}
	if res.Output().OverallCorrectness != finding.CorrectnessBad {
		t.Errorf("verdict = %q", res.Output().OverallCorrectness)
	}
	if res.Usage.Calls != 4 || res.Usage.PromptTokens != 4000 || res.Usage.CachedPromptTokens != 3200 || res.Usage.CompletionTokens != 200 {
		t.Errorf("usage = %+v", res.Usage)
	}
	if res.Coverage.FilesChanged != 3 || res.Coverage.FilesReviewed != 2 || len(res.Coverage.Skipped) != 1 {
		t.Errorf("coverage = %+v", res.Coverage)
	}
}

func TestReviewKeepsGoingWhenOnePassFails(t *testing.T) {
	srv := modeltest.NewServer(t, func(req modeltest.Request) modeltest.Reply {
		if strings.Contains(req.UserMessages[len(req.UserMessages)-1], "# Your pass: performance") {
			return modeltest.Reply{Err: &modeltest.ErrorReply{Status: 400, Message: "context too long", Type: "invalid_request_error"}}
		}
		return modeltest.Reply{Text: `{"findings":[],"overall_correctness":"patch is correct","overall_explanation":"fine","overall_confidence_score":0.6}`}
	})
	res, err := engine(t, srv).Review(context.Background(), parse(t, change), review.Options{MinPriority: finding.P1, Passes: passes.Separate})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0], "performance") {
		t.Errorf("failures = %q, want the performance pass", res.Failures)
	}
	if res.Output().OverallCorrectness != finding.CorrectnessOK {
		t.Errorf("verdict = %q", res.Output().OverallCorrectness)
	}
}

func TestReviewFailsWhenEveryPassFails(t *testing.T) {
	srv := modeltest.NewServer(t, func(modeltest.Request) modeltest.Reply {
		return modeltest.Reply{Err: &modeltest.ErrorReply{Status: 401, Message: "Incorrect API key provided", Type: "invalid_request_error", Code: "invalid_api_key"}}
	})
	_, err := engine(t, srv).Review(context.Background(), parse(t, change), review.Options{Focus: []finding.Area{finding.Bugs, finding.Security}})
	if err == nil {
		t.Fatal("review succeeded with every pass failing")
	}
	var me *model.Error
	if !strings.Contains(err.Error(), "every review pass failed") || !asModelError(err, &me) || me.Kind != model.KindAuth {
		t.Errorf("err = %v, want the model's auth error", err)
	}
	if strings.Count(err.Error(), "key") > 2 {
		t.Errorf("the same failure is repeated per pass: %v", err)
	}
}

func asModelError(err error, target **model.Error) bool {
	type unwrapper interface{ Unwrap() []error }
	for err != nil {
		if e, ok := err.(*model.Error); ok {
			*target = e
			return true
		}
		if u, ok := err.(unwrapper); ok {
			for _, e := range u.Unwrap() {
				if asModelError(e, target) {
					return true
				}
			}
			return false
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func TestReviewSplitsLargeDiffsIntoChunks(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "diff --git a/pkg/f%02d.go b/pkg/f%02d.go\nnew file mode 100644\n--- /dev/null\n+++ b/pkg/f%02d.go\n@@ -0,0 +1,60 @@\n", i, i, i)
		for j := 0; j < 60; j++ {
			fmt.Fprintf(&b, "+func F%d_%d(x int) int { return x*%d + %d /* some padding text */ }\n", i, j, j, i)
		}
	}
	var mu sync.Mutex
	chunks := map[string]bool{}
	srv := fakeModel(t, func(area string, req modeltest.Request) finding.Output {
		mu.Lock()
		chunks[req.UserMessages[0]] = true
		mu.Unlock()
		return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "ok", OverallConfidenceScore: 0.5}
	})
	res, err := engine(t, srv).Review(context.Background(), parse(t, b.String()), review.Options{
		MinPriority: finding.P1, Focus: []finding.Area{finding.Bugs}, MaxInputTokens: 40_000, MaxChunks: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Coverage.Chunks != 3 || len(chunks) != 3 || len(srv.Requests()) != 3 {
		t.Fatalf("chunks: coverage %d, distinct prompts %d, calls %d; want 3 (the cap)", res.Coverage.Chunks, len(chunks), len(srv.Requests()))
	}
	if len(res.Coverage.Skipped) == 0 || res.Coverage.FilesReviewed+len(res.Coverage.Skipped) < 40 {
		t.Errorf("coverage does not account for every file: %+v", res.Coverage)
	}
}

func TestReviewOfNothingReviewable(t *testing.T) {
	srv := fakeModel(t, func(string, modeltest.Request) finding.Output { return finding.Output{} })
	d := parse(t, "diff --git a/go.sum b/go.sum\n--- a/go.sum\n+++ b/go.sum\n@@ -1 +1 @@\n-a v1 h1:x\n+a v2 h1:y\n")
	res, err := engine(t, srv).Review(context.Background(), d, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.Requests()) != 0 || len(res.Output().Findings) != 0 || len(res.Coverage.Skipped) != 1 {
		t.Errorf("calls %d, result %+v", len(srv.Requests()), res)
	}
}

func TestPathInstructionsReachOnlyMatchingChunks(t *testing.T) {
	srv := fakeModel(t, func(string, modeltest.Request) finding.Output {
		return finding.Output{OverallCorrectness: finding.CorrectnessOK}
	})
	_, err := engine(t, srv).Review(context.Background(), parse(t, change), review.Options{
		Focus: []finding.Area{finding.Bugs}, Instructions: "Be brief.",
		PathInstructions: []review.PathInstruction{{Path: "store/**", Instructions: "Queries must use placeholders."}, {Path: "web/**", Instructions: "Escape HTML."}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctxPart := srv.Requests()[0].UserMessages[0]
	if !strings.Contains(ctxPart, "Be brief.") || !strings.Contains(ctxPart, "Queries must use placeholders.") || strings.Contains(ctxPart, "Escape HTML.") {
		t.Errorf("instructions in prompt:\n%s", ctxPart)
	}
	if _, err := engine(t, srv).Review(context.Background(), parse(t, change), review.Options{
		PathInstructions: []review.PathInstruction{{Path: "[", Instructions: "x"}},
	}); err == nil {
		t.Error("an invalid path pattern was accepted")
	}
}

func TestAnchorDiffPlacesOnTheWholePullRequest(t *testing.T) {
	// The model sees only the last push (line 21 changed); the PR as a
	// whole also added line 14, where the finding is (too far from the
	// interdiff's hunk to be moved onto it).
	interdiff := `diff --git a/store/users.go b/store/users.go
--- a/store/users.go
+++ b/store/users.go
@@ -20,3 +20,3 @@ func (s *Store) Find(ctx context.Context, name string) (*User, error) {
 	var u User
-	err := row.Scan(&u.ID)
+	err := row.Scan(&u.ID, &u.Name)
 	return &u, nil
`
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		return finding.Output{Findings: []finding.Finding{{Title: "[P1] Injectable query", Body: "`q :=` concatenates input.", Priority: 1,
			ConfidenceScore: 0.9, Category: "security", CodeLocation: loc("store/users.go", 14, 14)}}, OverallCorrectness: finding.CorrectnessBad}
	})
	opt := review.Options{MinPriority: finding.P1, Focus: []finding.Area{finding.Security}}
	res, err := engine(t, srv).Review(context.Background(), parse(t, interdiff), opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Findings[0].Placement.Inline {
		t.Fatalf("line 14 is not in the interdiff, yet placed inline: %+v", res.Findings[0].Placement)
	}
	opt.AnchorDiff = parse(t, change)
	res, err = engine(t, srv).Review(context.Background(), parse(t, interdiff), opt)
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Findings[0].Placement; !p.Inline || p.Line != 14 {
		t.Errorf("placement on the whole PR diff = %+v", p)
	}
}
