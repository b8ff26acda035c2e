// Package markdown answers, the way GitHub renders it, what a piece of
// markdown shows: which lines are code, quotes, HTML or text, where the code
// spans and blocks are, and which headings the document has. It also makes
// untrusted markdown (text a model wrote) harmless to post: Neutralize.
//
// It is built on goldmark, a CommonMark parser with GitHub's extensions
// (tables, strikethrough, task lists, autolinks), so that the app and
// GitHub agree on what is code and what is text; the hand-written fence
// detectors this replaces each missed a different corner (indented code,
// HTML comments opened mid-line, lazy quote continuations).
package markdown

import (
	"bytes"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
)

// gfm parses and renders GitHub Flavored Markdown. goldmark is safe for
// concurrent use. Unsafe rendering lets raw HTML through, which is what
// Check needs to see it. Its link parser can record where links end, for
// the rewrite (see tailRecorder).
var gfm = goldmark.New(
	goldmark.WithParser(parser.NewParser(inlineParsers()...)),
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithRendererOptions(html.WithUnsafe()),
)

// parse normalises line ends and parses src. The returned source is the
// normalised text the node segments point into.
func parse(src string) (ast.Node, []byte) {
	b := []byte(NormalizeNewlines(src))
	return gfm.Parser().Parse(text.NewReader(b)), b
}

// Kind says what a line of markdown renders as.
type Kind uint8

const (
	// Text is prose: a paragraph, heading, list item or table line, or a
	// blank line.
	Text Kind = iota
	// Code is a line of a fenced or indented code block, fence lines
	// included, or a line that starts inside a code span opened on an
	// earlier line (a code span may span lines).
	Code
	// HTML is a line of a raw HTML block (an HTML comment included), or a
	// paragraph line whose every visible character is inside inline HTML,
	// such as the middle of "Thanks <!--\nhidden\n-->".
	HTML
	// Markup is a line that shows no text of its own: a link reference
	// definition (its label, destination and title render as nothing,
	// even a title that spans lines), a thematic break, the underline of
	// a heading, a table's delimiter row.
	Markup
)

// String names the kind for tests and logs.
func (k Kind) String() string {
	switch k {
	case Text:
		return "text"
	case Code:
		return "code"
	case HTML:
		return "html"
	case Markup:
		return "markup"
	}
	return "unknown"
}

// Line is what one source line renders as.
type Line struct {
	Kind Kind
	// Quoted is set for a line inside a block quote, including a lazy
	// continuation line of a quoted paragraph.
	Quoted bool
	// Raw is the source line, without its line end.
	Raw string
	// Visible is, for a Text line, Raw with the inline HTML removed (an
	// HTML comment opened on the line hides the rest of it); "" for other
	// kinds.
	Visible string
}

// Lines returns one Line per source line. Lines are split at "\n", "\r\n"
// and a lone "\r", as GitHub does.
func Lines(src string) []Line {
	doc, b := parse(src)
	starts := lineStarts(b)
	out := make([]Line, len(starts))
	for i, s := range starts {
		end := len(b)
		if i+1 < len(starts) {
			end = starts[i+1] - 1
		}
		out[i] = Line{Raw: string(b[s:end])}
	}
	// hidden marks bytes of inline HTML in paragraphs and headings.
	var hidden []span
	// raw are the pieces of raw HTML, blocks and inline, which the
	// browser reads as one document: see commentRanges.
	var raw []span
	// code are the code spans, backticks included.
	var code []span
	// shown marks the lines that hold the text of a block. A link
	// reference definition is a block of its own, or, when text follows
	// it in its paragraph, no block at all: its lines are dropped from the
	// paragraph.
	shown := make([]bool, len(out))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if n.Type() == ast.TypeBlock && n.Kind() != ast.KindLinkReferenceDefinition {
			if l := n.Lines(); l != nil {
				for i := 0; i < l.Len(); i++ {
					if j := lineOf(starts, l.At(i).Start); j < len(shown) {
						shown[j] = true
					}
				}
			}
		}
		switch n := n.(type) {
		case *ast.Blockquote:
			first, last := blockLines(n, b, starts)
			for i := first; i <= last && i >= 0; i++ {
				out[i].Quoted = true
			}
		case *ast.FencedCodeBlock:
			first, last := fencedLines(n, b, starts)
			for i := first; i <= last; i++ {
				out[i].Kind = Code
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock:
			markSegments(out, n.Lines(), starts, Code)
			return ast.WalkSkipChildren, nil
		case *ast.LinkReferenceDefinition:
			markSegments(out, n.Lines(), starts, Markup)
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock:
			markSegments(out, n.Lines(), starts, HTML)
			for i := 0; i < n.Lines().Len(); i++ {
				s := n.Lines().At(i)
				raw = append(raw, span{s.Start, s.Stop})
			}
			if n.HasClosure() {
				markLine(out, lineOf(starts, n.ClosureLine.Start), HTML)
				raw = append(raw, span{n.ClosureLine.Start, n.ClosureLine.Stop})
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeSpan:
			if sp, ok := codeSpanExtent(n, b); ok {
				code = append(code, sp)
			}
			return ast.WalkSkipChildren, nil
		case *ast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				s := n.Segments.At(i)
				hidden = append(hidden, span{s.Start, s.Stop})
				raw = append(raw, span{s.Start, s.Stop})
			}
		}
		return ast.WalkContinue, nil
	})
	comments := commentRanges(b, raw)
	// The walk meets them in source order already; spanAt needs it.
	sortSpans(hidden)
	sortSpans(code)
	for i := range out {
		if out[i].Kind != Text {
			continue
		}
		if inRanges(comments, starts[i]) && strings.TrimSpace(out[i].Raw) != "" {
			out[i].Kind = HTML
			continue
		}
		if !shown[i] && strings.TrimSpace(out[i].Raw) != "" {
			out[i].Kind = Markup
			continue
		}
		if continuesCode(b, starts[i], starts[i]+len(out[i].Raw), code) {
			out[i].Kind = Code
			continue
		}
		out[i].Visible = visible(b, starts[i], starts[i]+len(out[i].Raw), hidden)
		if strings.TrimSpace(out[i].Visible) == "" && strings.TrimSpace(out[i].Raw) != "" {
			out[i].Kind = HTML
			out[i].Visible = ""
		}
	}
	return out
}

// span is a half-open byte range of the source.
type span struct{ start, stop int }

// commentRanges returns the ranges of the source that an HTML comment
// hides in the rendered page. The markdown parser sees a "<!--" inside an
// HTML block (or a tag) and ends the block at a blank line, but the
// browser reads the rendered HTML as one document: the comment goes on
// through the markdown after it, to the next "-->" of raw HTML (a "-->"
// in text is escaped by the renderer and closes nothing), or to the end.
func commentRanges(b []byte, raw []span) []span {
	sort.Slice(raw, func(i, j int) bool { return raw[i].start < raw[j].start })
	var out []span
	open := -1
	for _, r := range raw {
		text := b[r.start:r.stop]
		for j := 0; j < len(text); {
			if open < 0 {
				k := bytes.Index(text[j:], []byte("<!--"))
				if k < 0 {
					break
				}
				open = r.start + j + k
				j += k + 4
				continue
			}
			k := bytes.Index(text[j:], []byte("-->"))
			if k < 0 {
				break
			}
			out = append(out, span{open, r.start + j + k + 3})
			open = -1
			j += k + 3
		}
	}
	if open >= 0 {
		out = append(out, span{open, len(b)})
	}
	return out
}

// sortSpans sorts rs by start.
func sortSpans(rs []span) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].start < rs[j].start })
}

// spanAt returns the index of the last span of rs that starts at or
// before off, -1 for none. rs is sorted by start and its spans do not
// overlap, so that span is the only one that can hold off: a lookup per
// line stays logarithmic, where a scan of every span per line took
// quadratic time on a comment of many short lines.
func spanAt(rs []span, off int) int {
	return sort.Search(len(rs), func(i int) bool { return rs[i].start > off }) - 1
}

// inRanges reports whether offset off lies inside one of rs (sorted, not
// overlapping).
func inRanges(rs []span, off int) bool {
	j := spanAt(rs, off-1)
	return j >= 0 && off < rs[j].stop
}

// visible returns b[from:to] without the bytes inside hidden spans.
func visible(b []byte, from, to int, hidden []span) string {
	var sb strings.Builder
	for i := from; i < to; {
		if j := spanAt(hidden, i); j >= 0 && i < hidden[j].stop {
			i = hidden[j].stop
			continue
		}
		sb.WriteByte(b[i])
		i++
	}
	return sb.String()
}

// continuesCode reports whether the line b[from:to] starts (blanks aside)
// inside a code span opened on an earlier line: what it starts with
// renders as code.
func continuesCode(b []byte, from, to int, code []span) bool {
	line := from
	for from < to && (b[from] == ' ' || b[from] == '\t') {
		from++
	}
	if from == to {
		return false
	}
	j := spanAt(code, line-1)
	return j >= 0 && from < code[j].stop
}

// lineStarts returns the offset of the first byte of every line of b.
func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineOf returns the index of the line holding offset off.
func lineOf(starts []int, off int) int {
	lo, hi := 0, len(starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func markLine(out []Line, i int, k Kind) {
	if i >= 0 && i < len(out) {
		out[i].Kind = k
	}
}

func markSegments(out []Line, segs *text.Segments, starts []int, k Kind) {
	for i := 0; i < segs.Len(); i++ {
		s := segs.At(i)
		markLine(out, lineOf(starts, s.Start), k)
	}
}

// blockLines returns the first and last line of a container block: from
// its position to the last line of its last leaf. -1, -1 when unknown.
func blockLines(n ast.Node, b []byte, starts []int) (int, int) {
	first, last := -1, -1
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || c.Type() != ast.TypeBlock {
			return ast.WalkContinue, nil
		}
		if p := c.Pos(); p >= 0 && (first < 0 || lineOf(starts, p) < first) {
			first = lineOf(starts, p)
		}
		var lo, hi int
		switch c := c.(type) {
		case *ast.FencedCodeBlock:
			lo, hi = fencedLines(c, b, starts)
		default:
			lines := c.Lines()
			if lines == nil || lines.Len() == 0 {
				if p := c.Pos(); p >= 0 {
					lo, hi = lineOf(starts, p), lineOf(starts, p)
				} else {
					return ast.WalkContinue, nil
				}
			} else {
				lo = lineOf(starts, lines.At(0).Start)
				hi = lineOf(starts, max(lines.At(lines.Len()-1).Stop-1, lines.At(lines.Len()-1).Start))
			}
			if h, ok := c.(*ast.HTMLBlock); ok && h.HasClosure() {
				hi = max(hi, lineOf(starts, h.ClosureLine.Start))
			}
		}
		if first < 0 || lo < first {
			first = lo
		}
		last = max(last, hi)
		return ast.WalkContinue, nil
	})
	return first, last
}

// fencedLines returns the lines of a fenced code block from its opening
// fence to its closing fence, or to its last line of code when the block
// was left open. The parser keeps only the code lines, so the closing
// fence is recognised here: the line right after the code, made of at
// least as many fence characters as the opening after any indentation and
// quote markers.
func fencedLines(n *ast.FencedCodeBlock, b []byte, starts []int) (first, last int) {
	first, last, _ = fenceExtent(n, b, starts)
	return first, last
}

// fenceExtent is fencedLines that also says whether the block was closed.
func fenceExtent(n *ast.FencedCodeBlock, b []byte, starts []int) (first, last int, closed bool) {
	pos := n.Pos()
	if pos < 0 {
		pos = 0
		if n.Lines().Len() > 0 {
			pos = n.Lines().At(0).Start
		}
	}
	first = lineOf(starts, pos)
	last = first
	if l := n.Lines(); l.Len() > 0 {
		last = lineOf(starts, max(l.At(l.Len()-1).Start, l.At(l.Len()-1).Stop-1))
	}
	char, length := fenceOpener(b, pos)
	if length == 0 || last+1 >= len(starts) {
		return first, last, false
	}
	end := len(b)
	if last+2 < len(starts) {
		end = starts[last+2] - 1
	}
	if closesFence(string(b[starts[last+1]:end]), char, length) {
		return first, last + 1, true
	}
	return first, last, false
}

// fenceOpener reads the fence character and run length at off.
func fenceOpener(b []byte, off int) (byte, int) {
	if off >= len(b) || (b[off] != '`' && b[off] != '~') {
		return 0, 0
	}
	n := 0
	for off+n < len(b) && b[off+n] == b[off] {
		n++
	}
	return b[off], n
}

// closesFence reports whether line, after indentation and block quote
// markers, is a run of at least n fence characters c and then blanks.
func closesFence(line string, c byte, n int) bool {
	t := strings.TrimLeft(line, " \t>")
	i := 0
	for i < len(t) && t[i] == c {
		i++
	}
	return i >= n && strings.TrimSpace(t[i:]) == ""
}
