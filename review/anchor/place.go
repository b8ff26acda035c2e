package anchor

import (
	"sort"
	"strconv"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
)

// DefaultMaxDistance is how many lines outside a hunk a finding may point
// and still be moved onto that hunk: models are often a line or two off,
// and a few lines away the comment still sits next to the code it means.
const DefaultMaxDistance = 3

// maxLine bounds line numbers before any arithmetic, so that whatever the
// model returns, sums of two line numbers cannot overflow an int even on
// 32-bit platforms. No diff GitHub serves has files this long.
const maxLine = 1 << 29

// Options tunes Place.
type Options struct {
	// MaxDistance is how far outside a hunk (in lines) a finding may be
	// moved onto it; 0 means DefaultMaxDistance and a negative value turns
	// the nearest-line fallback off.
	MaxDistance int
}

// Place decides where finding f is shown on diff d, trying in turn:
//
//  1. Exact: the model's lines are commentable on the RIGHT side as one
//     range in one hunk; or, for a deleted file or deleted lines, on the
//     LEFT side.
//  2. Snippet: code quoted in the title or body (`spans` and fenced
//     blocks, not the suggestion) is found in the file's hunks; the
//     match nearest the model's line wins, added lines before context.
//     The comment starts there and spans as many lines as the model's
//     range when they fit in the hunk, else just the quoted lines.
//  3. Nearest: the lines overlap a hunk, or lie within MaxDistance of one;
//     the comment moves onto that hunk, preferring changed lines.
//  4. Summary: the finding goes to the review summary, with the reason.
//
// Every inline placement is commentable on d (diff.File.Commentable), so a
// review built from placements is never refused by GitHub for a comment
// outside the diff. keepSuggestion reports whether f.Suggestion still
// replaces exactly the commented lines: it does only for RIGHT-side Exact
// and Snippet placements that cover as many lines as the model's range.
// Placement.Path is the file's path in the head, also when the model named
// a renamed file by its old path. Place never panics, whatever line numbers
// the finding carries.
func Place(d *diff.Diff, f finding.Finding, opt Options) (p Placement, keepSuggestion bool) {
	p = Placement{Path: f.CodeLocation.AbsoluteFilePath, Method: Summary}
	var file *diff.File
	if d != nil {
		file = d.File(p.Path)
	}
	if file == nil {
		p.Reason = "file is not part of this diff"
		return p, false
	}
	// The model may name a renamed file by its old path; GitHub wants the
	// path the file has in the head.
	p.Path = file.Path()
	switch {
	case file.Binary:
		p.Reason = "file is binary"
		return p, false
	case len(file.Hunks) == 0:
		p.Reason = "file has no changed lines in this diff"
		return p, false
	}

	s, e := sanitize(f.CodeLocation.LineRange)
	want := e - s + 1
	path := p.Path
	p = place(file, f, s, e, opt)
	p.Path = path
	if p.Inline && !file.Commentable(p.Side, p.Line-span(p)+1, p.Line) {
		// Only a hunk whose line numbers disagree with its header gets
		// here; GitHub would refuse the comment, so keep it in the summary.
		p = Placement{Path: path, Method: Summary, Reason: "the diff's line numbers for this file are inconsistent"}
	}
	keep := f.Suggestion != "" && p.Side == diff.Right &&
		(p.Method == Exact || p.Method == Snippet) && span(p) == want
	return p, keep
}

// place runs the steps of Place on a file that has hunks.
func place(file *diff.File, f finding.Finding, s, e int, opt Options) Placement {
	if file.Commentable(diff.Right, s, e) {
		// Models often cite a line or two off. When the cited lines hold
		// none of the code the finding quotes, but a changed line close by
		// does, that line is where the author should read the comment.
		// Quoted context lines do not move it: they are usually quoted to
		// explain, not to point.
		if qs := quotes(f); len(qs) > 0 && !quotedWithin(file, diff.Right, qs, s, e) {
			if m, ok := findSnippet(file, diff.Right, qs, s); ok && m.changed && absDiff(m.start, s) <= maxExactShift {
				return movedToSnippet(file, diff.Right, m, s, e)
			}
		}
		return inline(diff.Right, s, e, Exact, "")
	}
	gone := deleted(file)
	if file.Commentable(diff.Left, s, e) && (gone || allDeleted(file, s, e)) {
		return inline(diff.Left, s, e, Exact, "")
	}

	// A deleted file has no RIGHT side: relocate among its old lines.
	side := diff.Right
	if gone {
		side = diff.Left
	}
	if qs := quotes(f); len(qs) > 0 {
		if m, ok := findSnippet(file, side, qs, s); ok {
			return movedToSnippet(file, side, m, s, e)
		}
	}

	maxDist := opt.MaxDistance
	if maxDist == 0 {
		maxDist = DefaultMaxDistance
	}
	if maxDist > 0 {
		if p, ok := nearest(file, side, s, e, min(maxDist, maxLine)); ok {
			return p
		}
	}
	return Placement{Method: Summary, Reason: isAre(s, e) + " outside the diff"}
}

// movedToSnippet places a finding cited at s..e on the quoted code found at
// m, keeping the model's span when it fits in the hunk there.
func movedToSnippet(file *diff.File, side diff.Side, m match, s, e int) Placement {
	a, b := m.start, m.end
	if want := e - s + 1; file.Commentable(side, a, a+want-1) {
		b = a + want - 1
	}
	return inline(side, a, b, Snippet, "moved from "+lines(s, e)+" to "+lines(a, b)+", where the quoted code is")
}

// sanitize turns any range the model gave into 1 <= s <= e <= maxLine.
func sanitize(r finding.LineRange) (s, e int) {
	s, e = r.Start, r.End
	if e == 0 {
		e = s
	}
	if e < s {
		s, e = e, s
	}
	s = min(max(s, 1), maxLine)
	e = min(max(e, s), maxLine)
	return s, e
}

// inline builds an inline placement; a single line has no StartLine.
func inline(side diff.Side, a, b int, m Method, reason string) Placement {
	p := Placement{Inline: true, Side: side, Line: b, Method: m, Reason: reason}
	if a < b {
		p.StartLine = a
	}
	return p
}

// span is the number of lines an inline placement covers.
func span(p Placement) int {
	if !p.Inline {
		return 0
	}
	if p.StartLine == 0 {
		return 1
	}
	return p.Line - p.StartLine + 1
}

// lines names a range for people: "line 4" or "lines 4-6".
func lines(a, b int) string {
	if a == b {
		return "line " + strconv.Itoa(a)
	}
	return "lines " + strconv.Itoa(a) + "-" + strconv.Itoa(b)
}

// deleted reports whether the change removes the file.
func deleted(f *diff.File) bool {
	return f.NewPath == "" || f.Status == diff.StatusRemoved
}

// allDeleted reports whether old lines s..e, known to lie in one hunk, are
// all deleted lines: then the model was pointing at removed code by its
// old line numbers.
func allDeleted(f *diff.File, s, e int) bool {
	h := f.HunkAt(diff.Left, e)
	if h < 0 {
		return false
	}
	for _, l := range f.Hunks[h].Lines {
		if l.Kind == diff.Context && l.OldLine >= s && l.OldLine <= e {
			return false
		}
	}
	return true
}

// onSide reports whether a hunk line exists on side.
func onSide(l *diff.Line, side diff.Side) bool {
	if side == diff.Left {
		return l.Kind != diff.Added
	}
	return l.Kind != diff.Deleted
}

// changed reports whether a hunk line is a change seen from side: an
// addition on the RIGHT, a deletion on the LEFT.
func changed(l *diff.Line, side diff.Side) bool {
	if side == diff.Left {
		return l.Kind == diff.Deleted
	}
	return l.Kind == diff.Added
}

// number is a hunk line's number on side.
func number(l *diff.Line, side diff.Side) int {
	if side == diff.Left {
		return l.OldLine
	}
	return l.NewLine
}

// bounds is the hunk's first and last line on side; ok is false when the
// hunk has no lines there.
func bounds(h *diff.Hunk, side diff.Side) (first, last int, ok bool) {
	if side == diff.Left {
		return h.OldStart, h.OldEnd(), h.OldLines > 0
	}
	return h.NewStart, h.NewEnd(), h.NewLines > 0
}

// gap is the number of lines between ranges a..b and c..d (0 when they
// overlap).
func gap(a, b, c, d int) int {
	return max(0, c-b, a-d)
}

// nearest moves s..e onto the closest hunk within maxDist lines: a range
// that overlaps the hunk is narrowed to the part inside it, a range just
// outside moves to the nearest changed line within maxDist, or else to the
// hunk's edge line.
func nearest(file *diff.File, side diff.Side, s, e, maxDist int) (Placement, bool) {
	// Hunks are ordered, so start at the first one that ends at or after
	// s-maxDist and stop once hunks begin past e+maxDist.
	i := sort.Search(len(file.Hunks), func(i int) bool {
		_, last, _ := bounds(&file.Hunks[i], side)
		return last >= s-maxDist
	})
	best, bestGap, bestOverlap := -1, 0, 0
	for ; i < len(file.Hunks); i++ {
		first, last, ok := bounds(&file.Hunks[i], side)
		if !ok {
			continue
		}
		if first > e+maxDist {
			break
		}
		g := gap(s, e, first, last)
		if g > maxDist {
			continue
		}
		overlap := min(e, last) - max(s, first) + 1
		if best < 0 || g < bestGap || (g == bestGap && overlap > bestOverlap) {
			best, bestGap, bestOverlap = i, g, overlap
		}
	}
	if best < 0 {
		return Placement{}, false
	}
	h := &file.Hunks[best]
	first, last, _ := bounds(h, side)
	if bestGap == 0 {
		a, b := max(s, first), min(e, last)
		return inline(side, a, b, Nearest,
			lines(s, e)+" extend beyond the diff hunk; narrowed to "+lines(a, b)), true
	}

	// Outside the hunk: a changed line close by says more than the hunk's
	// edge, which is usually unchanged context.
	line, what := last, "the nearest line of the diff hunk"
	if e < first {
		line = first
	}
	bestDist := maxDist + 1
	for k := range h.Lines {
		l := &h.Lines[k]
		if !onSide(l, side) || !changed(l, side) {
			continue
		}
		n := number(l, side)
		if dist := gap(s, e, n, n); dist < bestDist {
			line, bestDist, what = n, dist, "the nearest changed line"
		}
	}
	return inline(side, line, line, Nearest,
		isAre(s, e)+" not in the diff; moved to "+lines(line, line)+", "+what), true
}

// isAre is "line 4 is" or "lines 4-6 are".
func isAre(a, b int) string {
	if a == b {
		return lines(a, b) + " is"
	}
	return lines(a, b) + " are"
}
