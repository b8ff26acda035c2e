package review_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/diff/difftest"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/render"
)

// BenchmarkPrepareLarge measures what happens before the first model call
// on a huge PR: parse, index and budget 1,000 files / 50,000 changed lines.
// peak-heap-MB samples the live heap after each step (the process's
// resident size is measured separately, see docs/benchmarks.md).
func BenchmarkPrepareLarge(b *testing.B) {
	raw := difftest.Large(1000, 50_000)
	counter, err := budget.NewCounter("gpt-5-codex")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	for b.Loop() {
		d, err := diff.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		plan, err := budget.Build(d, counter, budget.Options{MaxChunkTokens: review.ChunkTokens(review.InputLimit("gpt-5-codex"))})
		if err != nil {
			b.Fatal(err)
		}
		if plan.Coverage.FilesChanged != 1000 {
			b.Fatalf("files changed = %d", plan.Coverage.FilesChanged)
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// instantModel answers every pass at once with two findings, so the
// benchmark measures the engine's own work, not a model's latency.
type instantModel struct{}

func (instantModel) Review(_ context.Context, req model.Request) (*model.Response, error) {
	return &model.Response{
		Output: finding.Output{
			Findings: []finding.Finding{
				{Title: "[P1] Unchecked error", Body: "`x, _ := f()` drops the error.", Priority: 1, ConfidenceScore: 0.8, Category: "bugs",
					CodeLocation: finding.CodeLocation{AbsoluteFilePath: "pkg/f000.go", LineRange: finding.LineRange{Start: 3, End: 3}}},
				{Title: "[P2] Quadratic loop", Body: "Nested loop over items.", Priority: 2, ConfidenceScore: 0.6, Category: "performance",
					CodeLocation: finding.CodeLocation{AbsoluteFilePath: "pkg/f005.go", LineRange: finding.LineRange{Start: 10, End: 12}}},
			},
			OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "One real bug.", OverallConfidenceScore: 0.7,
		},
		Usage: finding.Usage{Model: "bench", PromptTokens: 5000, CompletionTokens: 100, Calls: 1},
	}, nil
}

// typicalPR is a 20-file, ~600-line change.
func typicalPR() []byte {
	var s []byte
	for i := 0; i < 20; i++ {
		s = fmt.Appendf(s, "diff --git a/pkg/f%03d.go b/pkg/f%03d.go\n--- a/pkg/f%03d.go\n+++ b/pkg/f%03d.go\n@@ -1,10 +1,40 @@\n", i, i, i, i)
		for j := 1; j <= 10; j++ {
			s = fmt.Appendf(s, " line %d of file %d\n", j, i)
		}
		for j := 0; j < 30; j++ {
			s = fmt.Appendf(s, "+\tx%d, _ := compute(%d, %d) // added\n", j, i, j)
		}
	}
	return s
}

// BenchmarkReviewOverhead is everything but model latency for a typical PR:
// parse, budget, prompts, four concurrent passes, merge, anchor, render.
func BenchmarkReviewOverhead(b *testing.B) {
	raw := typicalPR()
	counter, err := budget.NewCounter("gpt-5-codex")
	if err != nil {
		b.Fatal(err)
	}
	eng := review.New(instantModel{}, counter, "gpt-5-codex")
	b.ReportAllocs()
	for b.Loop() {
		d, err := diff.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		res, err := eng.Review(context.Background(), d, review.Options{MinPriority: finding.P2})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Findings) != 2 {
			b.Fatalf("findings = %d", len(res.Findings))
		}
		_ = render.Summary(res, render.SummaryOptions{})
		for _, f := range res.Findings {
			_ = render.InlineBody(f)
		}
	}
}
