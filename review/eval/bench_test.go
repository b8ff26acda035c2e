package eval

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/eval/corpus"
	"github.com/codex-review/codex-review/review/finding"
)

// BenchmarkLoadBuiltin measures what every `eval` pays before the first
// model call: reading, parsing and checking the embedded corpus.
func BenchmarkLoadBuiltin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(context.Background(), corpus.FS, corpus.Root, corpus.Name); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScoreLargeCorpus runs and scores 1,000 cases of 5 expectations
// and 8 reports each with an instant reviewer, then renders every format:
// the evaluation's own cost, which should vanish next to the model's.
func BenchmarkScoreLargeCorpus(b *testing.B) {
	const n = 1000
	cases := make([]*Case, n)
	results := make(map[string]*review.Result, n)
	for i := range cases {
		c := &Case{Name: fmt.Sprintf("case-%04d", i)}
		var fs []finding.Finding
		for j := range 5 {
			c.Expected = append(c.Expected, exp(fmt.Sprintf("f%d.go", j), 10*j+5, 10*j+6, finding.Areas[j%4], "P1"))
			fs = append(fs, rep(fmt.Sprintf("f%d.go", j), 10*j+6+j%4, 10*j+6+j%4, finding.Areas[j%4], 1))
		}
		for j := range 3 {
			fs = append(fs, rep("other.go", j, j, finding.Bugs, j%2))
		}
		cases[i], results[c.Name] = c, found(fs...)
	}
	rev := func(_ context.Context, c *Case) (*review.Result, error) { return results[c.Name], nil }
	b.ReportAllocs()
	for b.Loop() {
		r := Run(context.Background(), cases, rev, Options{MinPriority: finding.P1})
		cmp := Compare(r, r)
		var out bytes.Buffer
		if err := WriteText(&out, r, cmp); err != nil {
			b.Fatal(err)
		}
		if err := WriteMarkdown(&out, r, cmp, ChartFile); err != nil {
			b.Fatal(err)
		}
		if err := WriteJSON(&out, r); err != nil {
			b.Fatal(err)
		}
		out.Write(Chart(r, cmp))
	}
}
