package budget

import (
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/enclosing"
)

// withContext returns a file changing line 12 of a function that starts at
// line 10, and its context: the function header, a gap, the closing brace.
func withContext(path string) (*diff.File, []enclosing.Hunk) {
	f := modified(path, mkHunk(11, 11, " a := 1", "-b := 2", "+b := 3", " return b"))
	ctx := []enclosing.Hunk{{
		Before: []enclosing.Line{{N: 8, Text: "func f() int {"}, {N: 9, Skipped: 1}},
		After:  []enclosing.Line{{N: 14, Text: "}"}},
	}}
	return f, ctx
}

func TestBuildShowsContextAroundHunks(t *testing.T) {
	f, ctx := withContext("f.go")
	plan, err := Build(diff.New([]*diff.File{f}), lineCounter{}, Options{MaxChunkTokens: 100, Context: map[string][]enclosing.Hunk{"f.go": ctx}})
	if err != nil {
		t.Fatal(err)
	}
	want := "File: f.go (modified)\n" +
		"@@ -11,3 +11,3 @@\n" +
		" 8 : func f() int {\n" +
		"... : 1 line not shown\n" +
		"11   a := 1\n" +
		"12 - b := 2\n" +
		"12 + b := 3\n" +
		"13   return b\n" +
		"14 : }\n"
	if got := plan.Chunks[0].Text; got != want {
		t.Errorf("chunk text:\n%s\nwant:\n%s", got, want)
	}
	if plan.Chunks[0].Tokens != strings.Count(want, "\n") {
		t.Errorf("tokens = %d, want every line counted", plan.Chunks[0].Tokens)
	}
	if c := plan.Coverage; c.ContextFiles != 1 || c.ContextTrimmed != 0 {
		t.Errorf("coverage context = %d shown, %d trimmed", c.ContextFiles, c.ContextTrimmed)
	}
	checkPlan(t, plan, lineCounter{}, 100)
}

func TestBuildTrimsContextFirst(t *testing.T) {
	f, ctx := withContext("f.go")
	g, gctx := withContext("g.go")
	opts := Options{Context: map[string][]enclosing.Hunk{"f.go": ctx, "g.go": gctx}}

	// A chunk holds a file's 6 diff lines but not its 3 context lines as
	// well: the context goes, the diff stays whole.
	opts.MaxChunkTokens = 7
	plan, err := Build(diff.New([]*diff.File{f, g}), lineCounter{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range plan.Chunks {
		if strings.Contains(ch.Text, " : ") {
			t.Errorf("context kept in a chunk too small for it:\n%s", ch.Text)
		}
	}
	if c := plan.Coverage; c.LinesReviewed != c.LinesChanged || c.ContextFiles != 0 || c.ContextTrimmed != 2 || len(c.Skipped) != 0 {
		t.Errorf("coverage = %+v, want every line reviewed and both contexts trimmed", c)
	}

	// One chunk of 13 lines holds both files' diffs (12 lines) but not
	// their context too: MaxChunks trims the context, not the diff.
	opts.MaxChunkTokens, opts.MaxChunks = 13, 1
	plan, err = Build(diff.New([]*diff.File{f, g}), lineCounter{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c := plan.Coverage; len(plan.Chunks) != 1 || c.LinesReviewed != c.LinesChanged || c.ContextTrimmed != 2 {
		t.Errorf("chunks = %d, coverage = %+v, want both diffs whole in one chunk without context", len(plan.Chunks), c)
	}

	// With room for everything, both keep their context.
	opts.MaxChunkTokens, opts.MaxChunks = 100, 1
	plan, err = Build(diff.New([]*diff.File{f, g}), lineCounter{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c := plan.Coverage; c.ContextFiles != 2 || c.ContextTrimmed != 0 {
		t.Errorf("coverage = %+v, want both contexts shown", c)
	}
}

func TestBuildIgnoresContextOfAnotherDiff(t *testing.T) {
	f, _ := withContext("f.go")
	wrong := []enclosing.Hunk{{}, {Before: []enclosing.Line{{N: 1, Text: "x"}}}} // two hunks for a file of one
	plan, err := Build(diff.New([]*diff.File{f}), lineCounter{}, Options{Context: map[string][]enclosing.Hunk{"f.go": wrong}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plan.Chunks[0].Text, " : ") || plan.Coverage.ContextFiles != 0 {
		t.Errorf("context that does not match the file's hunks was shown:\n%s", plan.Chunks[0].Text)
	}
}

func TestContextTokensAreAdditive(t *testing.T) {
	c, err := NewCounter("gpt-5")
	if err != nil {
		t.Fatal(err)
	}
	f, ctx := withContext("f.go")
	plan, err := Build(diff.New([]*diff.File{f}), c, Options{Context: map[string][]enclosing.Hunk{"f.go": ctx}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.Chunks[0].Tokens, c.Count(plan.Chunks[0].Text); got != want {
		t.Errorf("chunk tokens = %d, counting the text gives %d", got, want)
	}
}
