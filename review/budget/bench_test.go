package budget

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
)

// largeDiff builds, deterministically, a pull request of 1,000 files and
// 50,000 changed lines: per file five hunks of ten changed lines (seven
// added, three deleted) between context lines, of Go-like code whose
// identifiers are drawn from a vocabulary, so that the tokenizer sees
// realistic repetition and a realistic number of distinct words.
func largeDiff() *diff.Diff {
	words := strings.Fields(`user account token session request response handler server client
		config option value result error status code message buffer reader writer stream file path
		name id key index count size length offset limit timeout retry cache store queue job worker
		event hook review comment line hunk diff patch commit branch repo owner team member role
		permission check verify parse format render encode decode marshal load save open close start
		stop run wait send receive read write get set add remove update create delete find list`)
	rng := rand.New(rand.NewPCG(1, 2))
	ident := func() string {
		n := 1 + rng.IntN(3)
		var b strings.Builder
		for i := range n {
			w := words[rng.IntN(len(words))]
			if i > 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
		}
		return b.String()
	}
	line := func(indent int) string {
		tabs := strings.Repeat("\t", indent)
		switch rng.IntN(8) {
		case 0:
			return fmt.Sprintf("%sif err := %s(ctx, %s); err != nil {", tabs, ident(), ident())
		case 1:
			return fmt.Sprintf("%s\treturn fmt.Errorf(\"%s %s: %%w\", err)", tabs, ident(), ident())
		case 2:
			return tabs + "}"
		case 3:
			return ""
		case 4:
			return fmt.Sprintf("%s%s := %s.%s(%s, %d)", tabs, ident(), ident(), ident(), ident(), rng.IntN(1000))
		case 5:
			return fmt.Sprintf("%s// %s the %s before the %s is %s.", tabs, ident(), ident(), ident(), ident())
		case 6:
			return fmt.Sprintf("%sfor _, %s := range %s.%s {", tabs, ident(), ident(), ident())
		default:
			return fmt.Sprintf("%s%s.%s = append(%s.%s, %s)", tabs, ident(), ident(), ident(), ident(), ident())
		}
	}
	files := make([]*diff.File, 1000)
	for i := range files {
		var hunks []diff.Hunk
		start := 1 + rng.IntN(50)
		for range 5 {
			var lines []string
			for range 3 {
				lines = append(lines, " "+line(1))
			}
			for k := range 10 {
				marker := "+"
				if k%10 >= 7 {
					marker = "-"
				}
				lines = append(lines, marker+line(1+rng.IntN(2)))
			}
			for range 3 {
				lines = append(lines, " "+line(1))
			}
			h := mkHunk(start, start+len(hunks)*4, lines...)
			hunks = append(hunks, h)
			start += 40 + rng.IntN(200)
		}
		path := fmt.Sprintf("internal/%s/%s.go", words[i%len(words)], ident())
		if i%5 == 0 {
			path = strings.TrimSuffix(path, ".go") + "_test.go"
		}
		files[i] = modified(path, hunks...)
	}
	return diff.New(files)
}

// BenchmarkBuildLarge budgets the 1,000-file, 50,000-line diff of
// largeDiff. "warm" shares the process-wide counter, whose piece cache
// fills on the first run as it does in a long-running server; "cold"
// starts every run with an empty cache, as the first review after start
// does. Loading the encoding (about 0.25 s, once per process) is outside
// the timing.
func BenchmarkBuildLarge(b *testing.B) {
	d := largeDiff()
	for _, model := range []string{"gpt-5-codex", "gpt-4"} {
		shared, err := encodingCounter(EncodingFor(model))
		if err != nil {
			b.Fatal(err)
		}
		opt := Options{MaxChunkTokens: DefaultMaxChunkTokens}
		b.Run(EncodingFor(model)+"/warm", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				plan, err := Build(d, shared, opt)
				if err != nil {
					b.Fatal(err)
				}
				if plan.Coverage.LinesReviewed != 50_000 {
					b.Fatalf("reviewed %d lines", plan.Coverage.LinesReviewed)
				}
			}
		})
		b.Run(EncodingFor(model)+"/cold", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c := newBPECounter(shared.enc, shared.o200k)
				if _, err := Build(d, c, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
