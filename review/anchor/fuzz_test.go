package anchor

import (
	"fmt"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
)

// layoutFile builds a consistent file from fuzz bytes: each byte is a
// context, added or deleted line (its content one of a few phrases, so that
// quotes find several matches), or a gap that ends the hunk and skips
// lines. A removed file gets only deleted lines.
func layoutFile(layout []byte, removed bool) *diff.File {
	f := &diff.File{OldPath: "f.go", NewPath: "f.go", Status: diff.StatusModified}
	if removed {
		f.NewPath, f.Status = "", diff.StatusRemoved
	}
	old, nw := 1, 1
	var h *diff.Hunk
	flush := func() {
		if h != nil {
			h.OldLines, h.NewLines = old-h.OldStart, nw-h.NewStart
			f.Hunks = append(f.Hunks, *h)
			h = nil
		}
	}
	for _, b := range layout {
		kind := b % 4
		if removed && kind != 0 {
			kind = 3
		}
		if kind == 0 {
			flush()
			old += int(b / 4)
			nw += int(b / 4)
			continue
		}
		if h == nil {
			h = &diff.Hunk{OldStart: old, NewStart: nw}
		}
		l := diff.Line{Content: fmt.Sprintf("\tcall%d(x)", b%5)}
		switch kind {
		case 1:
			l.Kind, l.OldLine, l.NewLine = diff.Context, old, nw
			old++
			nw++
		case 2:
			l.Kind, l.NewLine = diff.Added, nw
			nw++
		default:
			l.Kind, l.OldLine = diff.Deleted, old
			old++
		}
		h.Lines = append(h.Lines, l)
	}
	flush()
	return f
}

// FuzzPlace checks the zero-422 guarantee: whatever the diff's shape and
// whatever numbers and text the model returns, an inline placement is
// commentable, a summary placement says why, and a suggestion is kept only
// on the RIGHT side for the model's number of lines.
func FuzzPlace(f *testing.F) {
	f.Add([]byte{1, 2, 2, 3, 1, 40, 1, 2, 1}, false, 11, 12, "`call2(x)` is wrong", "", int8(0))
	f.Add([]byte{3, 3, 3}, true, 2, 1, "```\ncall3(x)\n```", "x", int8(3))
	f.Add([]byte{2, 2, 8, 2}, false, -5, 1<<40, "", "fix", int8(-1))
	f.Add([]byte{}, false, 0, 0, "", "", int8(100))
	f.Fuzz(func(t *testing.T, layout []byte, removed bool, start, end int, body, suggestion string, maxDist int8) {
		file := layoutFile(layout, removed)
		d := diff.New([]*diff.File{file})
		fd := finding.Finding{
			Title:        "[P1] issue",
			Body:         body,
			CodeLocation: finding.CodeLocation{AbsoluteFilePath: "f.go", LineRange: finding.LineRange{Start: start, End: end}},
			Suggestion:   suggestion,
		}
		p, keep := Place(d, fd, Options{MaxDistance: int(maxDist)})
		checkCommentable(t, d, p)
		if p.Path != "f.go" {
			t.Fatalf("placement path %q, want f.go", p.Path)
		}
		if p.Method != Exact && p.Reason == "" {
			t.Fatalf("%s placement without a reason", p.Method)
		}
		if keep {
			s, e := sanitize(fd.CodeLocation.LineRange)
			if suggestion == "" || p.Side != diff.Right || (p.Method != Exact && p.Method != Snippet) || span(p) != e-s+1 {
				t.Fatalf("suggestion kept for %+v (model range %d-%d)", p, start, end)
			}
		}
	})
}

// benchDiff builds a diff of n files, each with three hunks of mixed
// lines, and returns it with the content of one added line per file.
func benchDiff(n int) (*diff.Diff, []string) {
	files := make([]*diff.File, n)
	quoted := make([]string, n)
	for i := range files {
		var hunks []diff.Hunk
		for k := range 3 {
			base := 1 + k*100
			var lines []string
			for j := range 15 {
				switch j % 5 {
				case 1, 2:
					lines = append(lines, fmt.Sprintf("+\tv%d_%d_%d := compute(%d)", i, k, j, j))
				case 3:
					lines = append(lines, fmt.Sprintf("-\told%d_%d()", k, j))
				default:
					lines = append(lines, fmt.Sprintf(" \tkeep%d()", j))
				}
			}
			hunks = append(hunks, hunk(base, base, lines...))
		}
		quoted[i] = hunks[2].Lines[6].Content
		files[i] = &diff.File{OldPath: fmt.Sprintf("pkg%d/file%d.go", i%37, i), NewPath: fmt.Sprintf("pkg%d/file%d.go", i%37, i), Status: diff.StatusModified, Hunks: hunks}
	}
	return diff.New(files), quoted
}

// BenchmarkPlace10k anchors 10,000 findings over a 1,000-file diff: a
// quarter each exact, relocated by a quoted snippet, moved to the nearest
// line, and sent to the summary. One op is all 10,000.
func BenchmarkPlace10k(b *testing.B) {
	d, quoted := benchDiff(1000)
	fs := make([]finding.Finding, 10000)
	methods := map[Method]int{}
	for i := range fs {
		file := d.Files[i%len(d.Files)]
		f := finding.Finding{Title: "[P1] Value is computed twice", Body: "The result is dropped.", Suggestion: "x := 1"}
		f.CodeLocation.AbsoluteFilePath = file.NewPath
		switch i % 4 {
		case 0: // exact
			f.CodeLocation.LineRange = finding.LineRange{Start: 3, End: 4}
		case 1: // snippet: the code is in the third hunk, the line far off
			f.CodeLocation.LineRange = finding.LineRange{Start: 60, End: 60}
			f.Body = "Here `" + quoted[i%len(quoted)][1:] + "` is computed twice."
		case 2: // nearest: two lines after the second hunk
			f.CodeLocation.LineRange = finding.LineRange{Start: 114, End: 115}
		default: // summary: far from any hunk, or a file outside the diff
			f.CodeLocation.LineRange = finding.LineRange{Start: 1000, End: 1000}
			if i%8 == 3 {
				f.CodeLocation.AbsoluteFilePath = "not/in/diff.go"
			}
		}
		p, _ := Place(d, f, Options{})
		methods[p.Method]++
		fs[i] = f
	}
	for _, m := range []Method{Exact, Snippet, Nearest, Summary} {
		if methods[m] != 2500 {
			b.Fatalf("mix is %v, want 2500 of each method", methods)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range fs {
			Place(d, fs[i], Options{})
		}
	}
}
