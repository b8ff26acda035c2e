package review_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
	"github.com/codex-review/codex-review/review/passes"
	"github.com/codex-review/codex-review/review/sandbox"
)

func TestSmallChangeIsOneCombinedPass(t *testing.T) {
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		switch area {
		case "security":
			return finding.Output{Findings: []finding.Finding{{Title: "[P1] SQL injection in Find", Body: "`name` is concatenated.", Priority: 1,
				ConfidenceScore: 0.9, Category: "security", CodeLocation: loc("store/users.go", 14, 14)}}, OverallCorrectness: finding.CorrectnessBad}
		case "bugs":
			// No category: a combined pass's default is bugs.
			return finding.Output{Findings: []finding.Finding{{Title: "[P1] Scan error is ignored", Body: "`return &u, nil` drops it.", Priority: 1,
				ConfidenceScore: 0.8, CodeLocation: loc("store/users.go", 18, 18)}}, OverallCorrectness: finding.CorrectnessBad}
		}
		return finding.Output{OverallCorrectness: finding.CorrectnessOK}
	})
	res, err := engine(t, srv).Review(context.Background(), parse(t, change), review.Options{MinPriority: finding.P1})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("model calls = %d, want one combined pass", len(reqs))
	}
	// go.sum changed, so dependencies is one of the areas.
	if got := modeltest.PassAreas(reqs[0]); !slices.Equal(got, finding.DefaultFocus) {
		t.Errorf("the combined pass covers %v, want %v", got, finding.DefaultFocus)
	}
	if reqs[0].Stream {
		t.Error("a pass that nothing waits for was streamed")
	}
	areas := map[string]finding.Area{}
	for _, f := range res.Findings {
		areas[f.Title] = f.Area
	}
	if areas["[P1] SQL injection in Find"] != finding.Security || areas["[P1] Scan error is ignored"] != finding.Bugs {
		t.Errorf("findings lost their areas: %v", areas)
	}
	if res.Coverage.Passes != "combined" || !slices.Equal(res.Focus, finding.DefaultFocus) || res.Usage.Calls != 1 {
		t.Errorf("coverage passes %q, focus %v, calls %d", res.Coverage.Passes, res.Focus, res.Usage.Calls)
	}
}

// codeOnly is the change without its go.sum and test file.
func codeOnly(t *testing.T) string {
	t.Helper()
	i := strings.Index(change, "diff --git a/store/users_test.go")
	if i < 0 {
		t.Fatal("the sample change has changed")
	}
	return change[:i]
}

func TestAreasWithNothingToReviewAreLeftOut(t *testing.T) {
	all := []finding.Area{finding.Security, finding.Dependencies, finding.Tests}
	srv := fakeModel(t, func(string, modeltest.Request) finding.Output {
		return finding.Output{OverallCorrectness: finding.CorrectnessOK}
	})
	res, err := engine(t, srv).Review(context.Background(), parse(t, codeOnly(t)), review.Options{Focus: all, MinPriority: finding.P1})
	if err != nil {
		t.Fatal(err)
	}
	if got := modeltest.PassAreas(srv.Requests()[0]); !slices.Equal(got, []finding.Area{finding.Security}) {
		t.Errorf("pass areas = %v, want security only", got)
	}
	want := []string{"dependencies: " + passes.NoDependencyFiles, "tests: " + passes.NoTests}
	var got []string
	for _, s := range res.Coverage.AreasSkipped {
		got = append(got, s.Area+": "+s.Reason)
	}
	if !slices.Equal(got, want) || !slices.Equal(res.Focus, []finding.Area{finding.Security}) {
		t.Errorf("skipped %v, focus %v; want %v and security", got, res.Focus, want)
	}

	// Asked for by name, they run anyway; and the tests pass runs when
	// the tests ran.
	for _, opt := range []review.Options{{Focus: all, ForceFocus: true}, {Focus: []finding.Area{finding.Tests}, Tests: &sandbox.Result{Status: sandbox.StatusPassed}}} {
		before := len(srv.Requests())
		if _, err := engine(t, srv).Review(context.Background(), parse(t, codeOnly(t)), opt); err != nil {
			t.Fatal(err)
		}
		if got := modeltest.PassAreas(srv.Requests()[before]); !slices.Equal(got, opt.Focus) {
			t.Errorf("options %+v: pass areas %v", opt, got)
		}
	}

	// Nothing left to run: no model call, and a verdict that says why.
	before := len(srv.Requests())
	res, err = engine(t, srv).Review(context.Background(), parse(t, codeOnly(t)), review.Options{Focus: []finding.Area{finding.Dependencies}})
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.Requests()) != before || !strings.Contains(res.Verdict.Explanation, "None of the requested focus areas") {
		t.Errorf("calls %d, explanation %q", len(srv.Requests())-before, res.Verdict.Explanation)
	}
}

// largeChange is a diff of about n lines of Go, enough for a prompt prefix
// the provider caches.
func largeChange(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "diff --git a/big.go b/big.go\n--- a/big.go\n+++ b/big.go\n@@ -1,0 +1,%d @@\n", n)
	for i := range n {
		fmt.Fprintf(&b, "+\tresult%d := compute(input[%d], weights[%d]) // step %d of the pipeline\n", i, i, i%7, i)
	}
	return b.String()
}

// TestLaterPassesStartOnceTheFirstIsProcessed checks what makes the
// provider's cache work for separate passes: the passes over a chunk share
// the first pass's prompt up to the focus part byte for byte, and are sent
// only after the first pass's first output event, when the provider has
// processed (and cached) that prefix.
func TestLaterPassesStartOnceTheFirstIsProcessed(t *testing.T) {
	for _, api := range []string{"chat", "responses"} {
		t.Run(api, func(t *testing.T) {
			answer := modeltest.Text(`{"findings":[],"overall_correctness":"patch is correct","overall_explanation":"ok","overall_confidence_score":0.5}`)
			// The fake takes a while to process a prompt, as a model does:
			// passes sent together would arrive before the first is
			// processed, and the ordering check below would fail.
			srv := modeltest.NewServer(t, modeltest.Always(answer), modeltest.WithLatency(30*time.Millisecond, 40*time.Millisecond))
			eng := engineFor(t, srv, api)
			res, err := eng.Review(context.Background(), parse(t, largeChange(150)), review.Options{MinPriority: finding.P1, Passes: passes.Separate})
			if err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if len(reqs) != 3 { // security, bugs, performance: no manifest changed
				t.Fatalf("model calls = %d, want 3", len(reqs))
			}
			first := reqs[0]
			if !first.Stream {
				t.Error("the first pass was not streamed")
			}
			processedAt := slices.Index(srv.Events(), modeltest.Event{Kind: modeltest.Processed, Request: first.Seq})
			for _, r := range reqs[1:] {
				if at := slices.Index(srv.Events(), modeltest.Event{Kind: modeltest.Arrived, Request: r.Seq}); at < processedAt {
					t.Errorf("pass %v arrived before the first pass was processed: %v", modeltest.PassAreas(r), srv.Events())
				}
				if r.Instructions != first.Instructions || !bytes.Equal(r.Schema, first.Schema) || r.CacheKey != first.CacheKey ||
					len(r.UserMessages) != 2 || r.UserMessages[0] != first.UserMessages[0] || r.UserMessages[1] == first.UserMessages[1] {
					t.Errorf("pass %v does not share the first pass's prefix byte for byte", modeltest.PassAreas(r))
				}
			}
			// The provider's own report: the later passes were mostly
			// served from its cache.
			var prompt, cached int64
			for _, r := range reqs[1:] {
				u := srv.UsageOf(r.Seq)
				prompt += u.PromptTokens
				cached += u.CachedTokens
			}
			if prompt == 0 || cached*100/prompt < 60 {
				t.Errorf("passes 2..N: %d of %d prompt tokens cached, want at least 60%%", cached, prompt)
			}
			if res.Usage.CachedPromptTokens != cached {
				t.Errorf("usage reports %d cached tokens, the provider reported %d", res.Usage.CachedPromptTokens, cached)
			}
		})
	}
}

func TestFirstPassFailureDoesNotStrandTheOthers(t *testing.T) {
	srv := modeltest.NewServer(t, func(req modeltest.Request) modeltest.Reply {
		if req.Seq == 1 {
			return modeltest.Fail(modeltest.ErrorReply{Status: 400, Type: "invalid_request_error", Message: "bad"})
		}
		return modeltest.Text(`{"findings":[],"overall_correctness":"patch is correct","overall_explanation":"ok","overall_confidence_score":0.5}`)
	})
	res, err := engine(t, srv).Review(context.Background(), parse(t, largeChange(20)), review.Options{Passes: passes.Separate})
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.Requests()) != 3 || len(res.Failures) != 1 {
		t.Errorf("calls %d, failures %v: the other passes must run when the first fails", len(srv.Requests()), res.Failures)
	}
}

func TestCancelWhileWaitingForTheFirstPass(t *testing.T) {
	entered := make(chan struct{}, 4)
	release := make(chan struct{})
	srv := modeltest.NewServer(t, func(modeltest.Request) modeltest.Reply {
		entered <- struct{}{}
		<-release
		return modeltest.Text("{}")
	})
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
	}()
	_, err := engine(t, srv).Review(ctx, parse(t, largeChange(20)), review.Options{Passes: passes.Separate})
	if !errors.Is(err, context.Canceled) && (err == nil || !strings.Contains(err.Error(), "cancel")) {
		t.Errorf("err = %v, want the cancellation", err)
	}
}
