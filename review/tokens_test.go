package review_test

import (
	"context"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/gitdiff"
	"github.com/codex-review/codex-review/review/model/modeltest"
	"github.com/codex-review/codex-review/review/passes"
	"github.com/codex-review/codex-review/review/reviewtest"
)

// baselinePromptTokens is what a review of the test pull request with the
// default focus cost before issue 10 (commit de084fb): 9,755 prompt tokens
// in 4 calls, counted by the fake provider as BenchmarkTestPRPromptTokens
// counts them, with the model seeing three lines around each hunk.
const baselinePromptTokens = 9755

const emptyAnswer = `{"findings":[],"overall_correctness":"patch is correct","overall_explanation":"ok","overall_confidence_score":0.5}`

// reviewTestPR reviews the test pull request with the default focus and the
// code around its hunks read from the head commit, against a fresh fake
// provider (empty cache), and returns the result.
func reviewTestPR(tb testing.TB, opt review.Options, srvOpts ...modeltest.Option) (*review.Result, *modeltest.Server) {
	tb.Helper()
	repo := reviewtest.TestPR().Repo(tb)
	d := parse(tb, string(repo.Diff(tb)))
	g, err := gitdiff.Open(context.Background(), repo.Dir)
	if err != nil {
		tb.Fatal(err)
	}
	srv := modeltest.NewServer(tb, modeltest.Always(modeltest.Text(emptyAnswer)), srvOpts...)
	opt.MinPriority = finding.P1
	opt.Repository, opt.Title = "acme/invoice", "Add percent and median helpers"
	opt.Description = "Adds percent() and median(), and an HTML line item renderer."
	opt.Head = g.At(repo.HeadSHA)
	res, err := engine(tb, srv).Review(context.Background(), d, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return res, srv
}

// TestTestPRCostsHalfTheBaseline checks the token target of issue 10: the
// test pull request, with the code around its hunks, costs at most half
// the prompt tokens it cost before, for the same areas.
func TestTestPRCostsHalfTheBaseline(t *testing.T) {
	res, _ := reviewTestPR(t, review.Options{})
	if res.Coverage.ContextFiles == 0 {
		t.Fatal("the review showed no code around the hunks")
	}
	if want := []finding.Area{finding.Security, finding.Bugs, finding.Performance, finding.Dependencies}; len(res.Focus) != len(want) {
		t.Fatalf("areas reviewed %v, want the default four (package.json changed)", res.Focus)
	}
	if got := res.Usage.PromptTokens; got > baselinePromptTokens/2 {
		t.Errorf("prompt tokens = %d, want at most half of the baseline %d", got, baselinePromptTokens)
	}
	t.Logf("prompt tokens %d in %d calls (baseline %d in 4)", res.Usage.PromptTokens, res.Usage.Calls, baselinePromptTokens)
}

// BenchmarkTestPRPromptTokens reviews the test pull request against a
// fake provider as slow as a 500 ms model (first output after 100 ms) and
// reports what the provider counted, and the wall time in round trips.
//
//	go test ./review -run XXX -bench TestPR -benchtime 3x
func BenchmarkTestPRPromptTokens(b *testing.B) {
	for _, mode := range []passes.Mode{passes.Auto, passes.Separate} {
		b.Run(string(mode), func(b *testing.B) {
			var (
				res *review.Result
				srv *modeltest.Server
			)
			for b.Loop() {
				res, srv = reviewTestPR(b, review.Options{Passes: mode}, modeltest.WithLatency(100*time.Millisecond, 500*time.Millisecond))
			}
			b.ReportMetric(float64(res.Usage.PromptTokens), "prompt-tokens/review")
			b.ReportMetric(float64(res.Usage.CachedPromptTokens), "cached-tokens/review")
			if prompt, cached := laterPasses(srv); prompt > 0 {
				b.ReportMetric(float64(cached)*100/float64(prompt), "cached-%-of-passes-2..N")
			}
			b.ReportMetric(float64(res.Usage.Calls), "calls/review")
			b.ReportMetric(float64(res.Usage.DurationMS)/500, "round-trips/review")
		})
	}
}

// BenchmarkLargeChangeSeparatePasses reviews a change too large to combine
// (about 9,000 tokens of diff) in separate passes against the caching fake
// provider, as slow as a 500 ms model, and reports the share of the prompt
// tokens of passes 2..N that the provider served from its cache.
//
//	go test ./review -run XXX -bench LargeChange -benchtime 3x
func BenchmarkLargeChangeSeparatePasses(b *testing.B) {
	d := parse(b, largeChange(400))
	var (
		res            *review.Result
		prompt, cached int64
	)
	for b.Loop() {
		srv := modeltest.NewServer(b, modeltest.Always(modeltest.Text(emptyAnswer)), modeltest.WithLatency(100*time.Millisecond, 500*time.Millisecond))
		var err error
		res, err = engine(b, srv).Review(context.Background(), d, review.Options{MinPriority: finding.P1})
		if err != nil {
			b.Fatal(err)
		}
		prompt, cached = laterPasses(srv)
	}
	if res.Coverage.Passes != "separate" {
		b.Fatalf("passes = %q, want separate", res.Coverage.Passes)
	}
	b.ReportMetric(float64(res.Usage.PromptTokens), "prompt-tokens/review")
	b.ReportMetric(float64(cached)*100/float64(prompt), "cached-%-of-passes-2..N")
	b.ReportMetric(float64(res.Usage.Calls), "calls/review")
	b.ReportMetric(float64(res.Usage.DurationMS)/500, "round-trips/review")
}

// laterPasses sums the provider's report for every request but the first.
func laterPasses(srv *modeltest.Server) (prompt, cached int64) {
	for _, r := range srv.Requests()[1:] {
		u := srv.UsageOf(r.Seq)
		prompt += u.PromptTokens
		cached += u.CachedTokens
	}
	return prompt, cached
}
