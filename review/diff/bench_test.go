package diff_test

import (
	"testing"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/diff/difftest"
)

// BenchmarkParseLarge parses a 1,000-file diff with 50,000 changed lines,
// the size the design names for a large pull request.
func BenchmarkParseLarge(b *testing.B) {
	data := difftest.Large(1000, 50000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := diff.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommentable looks up three-line ranges on both sides of files of
// the large diff, the way anchoring checks every finding.
func BenchmarkCommentable(b *testing.B) {
	d, err := diff.Parse(difftest.Large(1000, 50000))
	if err != nil {
		b.Fatal(err)
	}
	type query struct {
		path  string
		side  diff.Side
		start int
	}
	var queries []query
	for i, f := range d.Files {
		side := diff.Right
		if i%3 == 0 {
			side = diff.Left
		}
		for _, h := range f.Hunks {
			queries = append(queries, query{f.Path(), side, h.NewStart + i%7})
		}
		queries = append(queries, query{f.Path(), side, 1 << 20})
	}
	b.ReportAllocs()
	hits := 0
	for i := 0; b.Loop(); i++ {
		q := queries[i%len(queries)]
		if f := d.File(q.path); f != nil && f.Commentable(q.side, q.start, q.start+2) {
			hits++
		}
	}
	if hits == 0 {
		b.Fatal("no lookup hit a commentable range")
	}
}
