package anchor

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
)

// hunk builds a hunk from lines written as in a unified diff (" context",
// "+added", "-deleted"), numbering them from oldStart and newStart the way
// a parser would.
func hunk(oldStart, newStart int, lines ...string) diff.Hunk {
	h := diff.Hunk{OldStart: oldStart, NewStart: newStart}
	o, n := oldStart, newStart
	for _, s := range lines {
		l := diff.Line{Content: s[1:]}
		switch s[0] {
		case '+':
			l.Kind, l.NewLine = diff.Added, n
			n++
		case '-':
			l.Kind, l.OldLine = diff.Deleted, o
			o++
		default:
			l.Kind, l.OldLine, l.NewLine = diff.Context, o, n
			o++
			n++
		}
		h.Lines = append(h.Lines, l)
	}
	h.OldLines, h.NewLines = o-oldStart, n-newStart
	return h
}

// testDiff is the diff most cases run against:
//
//	a.go   hunk 1: new 10-13 (11, 12 added), old 10-12 (11 deleted)
//	       hunk 2: new 42-45 (43, 44 added), old 40-42 (41 deleted)
//	gone.go  deleted, old 1-3
//	new.go   added, new 1-2
//	tier.go  "= load(" on added line 1 and context line 4
//	bin.png  binary; moved.go renamed without changes
//	after.go renamed from before.go, new 3-4 (4 added)
func testDiff() *diff.Diff {
	return diff.New([]*diff.File{
		{OldPath: "a.go", NewPath: "a.go", Status: diff.StatusModified, Hunks: []diff.Hunk{
			hunk(10, 10,
				" func handle(w http.ResponseWriter) {",
				"+\tdata := load()",
				"+\tw.Write(data)",
				"-\tw.Write(nil)",
				" }"),
			hunk(40, 42,
				" func other() {",
				"-\tx := compute(1)",
				"+\tx := compute(2)",
				"+\tlog.Print(x)",
				" }"),
		}},
		{OldPath: "gone.go", Status: diff.StatusRemoved, Hunks: []diff.Hunk{
			hunk(1, 0, "-package gone", "-", "-var secret = readKey()"),
		}},
		{NewPath: "new.go", Status: diff.StatusAdded, Hunks: []diff.Hunk{
			hunk(0, 1, "+package fresh", "+var token = os.Getenv(\"T\")"),
		}},
		{OldPath: "tier.go", NewPath: "tier.go", Status: diff.StatusModified, Hunks: []diff.Hunk{
			hunk(1, 1, "+w := load(b)", " x()", " y()", " v := load(a)"),
		}},
		{OldPath: "bin.png", NewPath: "bin.png", Status: diff.StatusModified, Binary: true},
		{OldPath: "old.go", NewPath: "moved.go", Status: diff.StatusRenamed, Similarity: 100},
		{OldPath: "before.go", NewPath: "after.go", Status: diff.StatusRenamed, Similarity: 90, Hunks: []diff.Hunk{
			hunk(3, 3, " a()", "+b()"),
		}},
	})
}

func at(path string, start, end int, body, suggestion string) finding.Finding {
	return finding.Finding{
		Title:        "[P1] Something is wrong",
		Body:         body,
		Priority:     1,
		Category:     "bugs",
		CodeLocation: finding.CodeLocation{AbsoluteFilePath: path, LineRange: finding.LineRange{Start: start, End: end}},
		Suggestion:   suggestion,
	}
}

func TestPlace(t *testing.T) {
	d := testDiff()
	tests := []struct {
		name   string
		f      finding.Finding
		opt    Options
		want   Placement
		keep   bool
		reason string // substring of the reason; Exact has none
	}{
		{
			name: "exact single line keeps the suggestion",
			f:    at("a.go", 11, 11, "", "\tdata := mustLoad()"),
			want: Placement{Inline: true, Path: "a.go", Side: diff.Right, Line: 11, Method: Exact},
			keep: true,
		},
		{
			name: "exact range",
			f:    at("a.go", 11, 12, "", "a\nb"),
			want: Placement{Inline: true, Path: "a.go", Side: diff.Right, StartLine: 11, Line: 12, Method: Exact},
			keep: true,
		},
		{
			name: "reversed range is swapped",
			f:    at("a.go", 13, 10, "", ""),
			want: Placement{Inline: true, Path: "a.go", Side: diff.Right, StartLine: 10, Line: 13, Method: Exact},
		},
		{
			name: "exact on an added file",
			f:    at("new.go", 2, 0, "", "var token = mustEnv(\"T\")"),
			want: Placement{Inline: true, Path: "new.go", Side: diff.Right, Line: 2, Method: Exact},
			keep: true,
		},
		{
			name:   "range crossing two hunks is narrowed to the first",
			f:      at("a.go", 12, 43, "", "x"),
			want:   Placement{Inline: true, Path: "a.go", Side: diff.Right, StartLine: 12, Line: 13, Method: Nearest},
			reason: "lines 12-43 extend beyond the diff hunk; narrowed to lines 12-13",
		},
		{
			name: "deleted lines by their old number go LEFT",
			f:    at("a.go", 41, 41, "", "x"),
			want: Placement{Inline: true, Path: "a.go", Side: diff.Left, Line: 41, Method: Exact},
		},
		{
			name: "deleted file goes LEFT and drops the suggestion",
			f:    at("gone.go", 1, 3, "", "package gone"),
			want: Placement{Inline: true, Path: "gone.go", Side: diff.Left, StartLine: 1, Line: 3, Method: Exact},
		},
		{
			name:   "deleted file: quoted code relocates on the LEFT",
			f:      at("gone.go", 30, 30, "`readKey()` reads the key from disk", ""),
			want:   Placement{Inline: true, Path: "gone.go", Side: diff.Left, Line: 3, Method: Snippet},
			reason: "moved from line 30 to line 3, where the quoted code is",
		},
		{
			name:   "off by two before a hunk: nearest changed line",
			f:      at("a.go", 40, 40, "", "x"),
			want:   Placement{Inline: true, Path: "a.go", Side: diff.Right, Line: 43, Method: Nearest},
			reason: "line 40 is not in the diff; moved to line 43, the nearest changed line",
		},
		{
			name:   "off by three after a hunk: its edge line",
			f:      at("a.go", 16, 16, "", ""),
			want:   Placement{Inline: true, Path: "a.go", Side: diff.Right, Line: 13, Method: Nearest},
			reason: "line 16 is not in the diff; moved to line 13, the nearest line of the diff hunk",
		},
		{
			name:   "nearest turned off",
			f:      at("a.go", 16, 16, "", ""),
			opt:    Options{MaxDistance: -1},
			want:   Placement{Path: "a.go", Method: Summary},
			reason: "line 16 is outside the diff",
		},
		{
			name:   "wider distance reaches further",
			f:      at("a.go", 20, 21, "", ""),
			opt:    Options{MaxDistance: 10},
			want:   Placement{Inline: true, Path: "a.go", Side: diff.Right, Line: 12, Method: Nearest},
			reason: "lines 20-21 are not in the diff",
		},
		{
			name:   "quoted snippet relocation",
			f:      at("a.go", 20, 20, "The value `log.Print(x)` prints is secret.", "log.Printf(\"%d\", len(x))"),
			want:   Placement{Inline: true, Path: "a.go", Side: diff.Right, Line: 44, Method: Snippet},
			keep:   true,
			reason: "moved from line 20 to line 44, where the quoted code is",
		},
		{
			name:   "snippet keeps the model's length when it fits",
			f:      at("a.go", 30, 31, "Here `data := load()` can fail.", "a\nb"),
			want:   Placement{Inline: true, Path: "a.go", Side: diff.Right, StartLine: 11, Line: 12, Method: Snippet},
			keep:   true,
			reason: "moved from lines 30-31 to lines 11-12",
		},
		{
			name:   "snippet that does not fit shrinks to one line and drops the suggestion",
			f:      at("a.go", 20, 23, "Here `log.Print(x)` leaks.", "a\nb\nc\nd"),
			want:   Placement{Inline: true, Path: "a.go", Side: diff.Right, Line: 44, Method: Snippet},
			reason: "moved from lines 20-23 to line 44",
		},
		{
			name:   "fenced block matches consecutive lines",
			f:      at("a.go", 100, 101, "This:\n```go\nx := compute(2)\n\nlog.Print(x)\n```\nis wrong.", ""),
			want:   Placement{Inline: true, Path: "a.go", Side: diff.Right, StartLine: 43, Line: 44, Method: Snippet},
			reason: "moved from lines 100-101 to lines 43-44",
		},
		{
			name:   "quote in the title",
			f:      finding.Finding{Title: "[P1] `os.Getenv(\"T\")` may be empty", CodeLocation: finding.CodeLocation{AbsoluteFilePath: "new.go", LineRange: finding.LineRange{Start: 9}}},
			want:   Placement{Inline: true, Path: "new.go", Side: diff.Right, Line: 2, Method: Snippet},
			reason: "where the quoted code is",
		},
		{
			name: "exact wins over code quoted elsewhere",
			f:    at("tier.go", 2, 2, "`v := load(a)` is slow", ""),
			want: Placement{Inline: true, Path: "tier.go", Side: diff.Right, Line: 2, Method: Exact},
		},
		{
			name:   "exact range without the quoted code moves to the quoted added line nearby",
			f:      at("tier.go", 3, 3, "`w := load(b)` ignores the error", ""),
			want:   Placement{Inline: true, Path: "tier.go", Side: diff.Right, Line: 1, Method: Snippet},
			reason: "moved from line 3 to line 1",
		},
		{
			name:   "an added line wins over a nearer context line",
			f:      at("tier.go", 9, 9, "The call `= load(` fails.", ""),
			want:   Placement{Inline: true, Path: "tier.go", Side: diff.Right, Line: 1, Method: Snippet},
			reason: "moved from line 9 to line 1",
		},
		{
			name:   "quote equal to the suggestion is not used",
			f:      at("a.go", 20, 20, "Use `log.Print(x)` instead.", "log.Print(x)"),
			want:   Placement{Path: "a.go", Method: Summary},
			reason: "line 20 is outside the diff",
		},
		{
			name:   "suggestion fence is not used",
			f:      at("a.go", 20, 20, "```suggestion\nlog.Print(x)\n```", ""),
			want:   Placement{Path: "a.go", Method: Summary},
			reason: "line 20 is outside the diff",
		},
		{
			name:   "trivial quote is not used",
			f:      at("a.go", 200, 210, "The `x` is `nil`.", ""),
			want:   Placement{Path: "a.go", Method: Summary},
			reason: "lines 200-210 are outside the diff",
		},
		{
			name:   "file not in diff",
			f:      at("elsewhere.go", 1, 1, "`data := load()`", "x"),
			want:   Placement{Path: "elsewhere.go", Method: Summary},
			reason: "file is not part of this diff",
		},
		{
			name: "renamed file named by its old path",
			f:    at("before.go", 4, 4, "", "c()"),
			want: Placement{Inline: true, Path: "after.go", Side: diff.Right, Line: 4, Method: Exact},
			keep: true,
		},
		{
			name:   "binary file",
			f:      at("bin.png", 1, 1, "", ""),
			want:   Placement{Path: "bin.png", Method: Summary},
			reason: "file is binary",
		},
		{
			name:   "renamed without changes",
			f:      at("moved.go", 1, 1, "", ""),
			want:   Placement{Path: "moved.go", Method: Summary},
			reason: "no changed lines",
		},
		{
			name:   "absurd numbers: narrowed into the first hunk",
			f:      at("a.go", math.MaxInt, math.MinInt, "", "x"),
			want:   Placement{Inline: true, Path: "a.go", Side: diff.Right, StartLine: 10, Line: 13, Method: Nearest},
			reason: "narrowed to lines 10-13",
		},
		{
			name:   "zero and negative lines",
			f:      at("a.go", -7, 0, "", ""),
			want:   Placement{Path: "a.go", Method: Summary},
			reason: "line 1 is outside the diff",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, keep := Place(d, tt.f, tt.opt)
			checkCommentable(t, d, got)
			reason := got.Reason
			got.Reason = ""
			if got != tt.want {
				t.Errorf("Place =\n %+v\nwant\n %+v", got, tt.want)
			}
			if keep != tt.keep {
				t.Errorf("keepSuggestion = %v, want %v", keep, tt.keep)
			}
			if tt.want.Method == Exact && reason != "" {
				t.Errorf("exact placement with reason %q", reason)
			}
			if tt.want.Method != Exact && (reason == "" || !strings.Contains(reason, tt.reason)) {
				t.Errorf("reason %q, want it to contain %q", reason, tt.reason)
			}
		})
	}
}

func TestPlaceNilDiff(t *testing.T) {
	p, keep := Place(nil, at("a.go", 1, 1, "", "x"), Options{})
	if p.Inline || p.Method != Summary || keep || p.Reason == "" {
		t.Errorf("Place(nil) = %+v, %v; want a summary placement", p, keep)
	}
}

// TestPlaceInconsistentHunk feeds a hunk whose line numbers disagree with
// its header: the quoted code is found on a line GitHub would refuse, and
// the finding must go to the summary instead of producing a 422.
func TestPlaceInconsistentHunk(t *testing.T) {
	h := hunk(5, 5, " a()", "+doThing(ctx)")
	h.Lines[1].NewLine = 99
	d := diff.New([]*diff.File{{OldPath: "x.go", NewPath: "x.go", Status: diff.StatusModified, Hunks: []diff.Hunk{h}}})
	p, keep := Place(d, at("x.go", 50, 50, "`doThing(ctx)` ignores errors", "x"), Options{})
	if p.Inline || p.Method != Summary || keep || p.Reason == "" {
		t.Errorf("Place = %+v, %v; want a summary placement", p, keep)
	}
}

func TestQuotes(t *testing.T) {
	tests := []struct {
		name string
		f    finding.Finding
		want []quote
	}{
		{
			name: "spans in title and body, short ones skipped",
			f:    finding.Finding{Title: "[P1] `user.Name` is nil", Body: "See `a` and ``x := `raw` `` here"},
			want: []quote{{"user.Name"}, {"x := `raw`"}},
		},
		{
			name: "unmatched backtick run is ignored",
			f:    finding.Finding{Body: "A stray `` and `closed()` span"},
			want: []quote{{"closed()"}},
		},
		{
			name: "fenced blocks; suggestion fences skipped; diff markers stripped",
			f: finding.Finding{Body: "```go\n  if err != nil {\n\n    return\n```\n" +
				"~~~suggestion\nreturn err\n~~~\n" +
				"```diff\n-old := 1\n+new := 2\n keep()\n```"},
			want: []quote{{"if err != nil {", "return"}, {"new := 2", "keep()"}},
		},
		{
			name: "unclosed fence runs to the end",
			f:    finding.Finding{Body: "```\nfoo(bar)"},
			want: []quote{{"foo(bar)"}},
		},
		{
			name: "quote equal to the suggestion skipped",
			f:    finding.Finding{Body: "```\nreturn  x\n```\n`keep(it)`", Suggestion: "\treturn  x\n"},
			want: []quote{{"keep(it)"}},
		},
		{
			// The block's lines split at a lone CR, as markdown does; the
			// suggestion's must too, or it no longer equals the block.
			name: "suggestion with lone CR line ends still equals the quote",
			f:    finding.Finding{Body: "```\nfirst(a)\nsecond(b)\n```\n`keep(it)`", Suggestion: "first(a)\rsecond(b)\r"},
			want: []quote{{"keep(it)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := quotes(tt.f)
			if !slices.EqualFunc(got, tt.want, func(a, b quote) bool { return slices.Equal(a, b) }) {
				t.Errorf("quotes = %q, want %q", got, tt.want)
			}
		})
	}
}

// checkCommentable fails the test when an inline placement is one GitHub
// would refuse.
func checkCommentable(t testing.TB, d *diff.Diff, p Placement) {
	t.Helper()
	if !p.Inline {
		if p.Method != Summary || p.Reason == "" || p.Side != "" || p.Line != 0 {
			t.Fatalf("non-inline placement %+v: want method summary with a reason and no line", p)
		}
		return
	}
	f := d.File(p.Path)
	if f == nil {
		t.Fatalf("inline placement %+v on a file outside the diff", p)
	}
	start := p.StartLine
	if start == 0 {
		start = p.Line
	} else if start >= p.Line {
		t.Fatalf("inline placement %+v: start_line must be below line", p)
	}
	if !f.Commentable(p.Side, start, p.Line) {
		t.Fatalf("inline placement %+v is not commentable", p)
	}
}
