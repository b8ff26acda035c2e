package markdown

import (
	"strings"

	"github.com/yuin/goldmark/ast"
)

// Snippet is code that markdown shows: a code span or a code block.
type Snippet struct {
	// Block is set for a fenced or indented code block, unset for a span.
	Block bool
	// Info is a fenced block's info string (its language and whatever
	// follows); "" for spans and indented blocks.
	Info string
	// Code is the code as shown: a block's lines without their
	// indentation, a span's text with line ends as spaces.
	Code string
}

// Snippets returns the code spans and blocks of src in document order.
func Snippets(src string) []Snippet { return snippets(parse(src)) }

// snippets is Snippets for doc, parsed from b.
func snippets(doc ast.Node, b []byte) []Snippet {
	var out []Snippet
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.FencedCodeBlock:
			info := ""
			if n.Info != nil {
				info = string(n.Info.Segment.Value(b))
			}
			out = append(out, Snippet{Block: true, Info: info, Code: linesText(n, b)})
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock:
			out = append(out, Snippet{Block: true, Code: linesText(n, b)})
			return ast.WalkSkipChildren, nil
		case *ast.CodeSpan:
			var sb strings.Builder
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if t, ok := c.(*ast.Text); ok {
					sb.Write(t.Segment.Value(b))
				}
			}
			out = append(out, Snippet{Code: strings.ReplaceAll(sb.String(), "\n", " ")})
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return out
}

// linesText joins the lines of a leaf block as they are shown.
func linesText(n ast.Node, b []byte) string {
	var sb strings.Builder
	l := n.Lines()
	for i := 0; i < l.Len(); i++ {
		s := l.At(i)
		sb.Write(s.Value(b))
	}
	return sb.String()
}

// Heading is a heading of the document's top level (not inside a quote or
// list).
type Heading struct {
	// Level is 1 to 6.
	Level int
	// Text is the heading's source text on one line, without the #'s or
	// the underline.
	Text string
	// First and Last are the 0-based source lines the heading spans; Last
	// is the underline of a setext heading.
	First, Last int
}

// Headings returns the top-level headings of src in order.
func Headings(src string) []Heading {
	doc, b := parse(src)
	starts := lineStarts(b)
	var out []Heading
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		h, ok := n.(*ast.Heading)
		if !ok {
			continue
		}
		var parts []string
		first, last := -1, -1
		l := h.Lines()
		for i := 0; i < l.Len(); i++ {
			s := l.At(i)
			parts = append(parts, strings.TrimSpace(string(s.Value(b))))
			ln := lineOf(starts, s.Start)
			if first < 0 {
				first = ln
			}
			last = ln
		}
		if first < 0 { // an empty ATX heading: "##"
			first = lineOf(starts, max(h.Pos(), 0))
			last = first
		}
		if !isATX(lineText(b, starts, first)) {
			last++ // the setext underline
		}
		out = append(out, Heading{Level: h.Level, Text: strings.Join(parts, " "), First: first, Last: last})
	}
	return out
}

// isATX reports whether line opens an ATX heading: up to three spaces, one
// to six #'s, then a blank or the end of the line.
func isATX(line string) bool {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return false
	}
	n := len(t) - len(strings.TrimLeft(t, "#"))
	return n >= 1 && n <= 6 && (n == len(t) || t[n] == ' ' || t[n] == '\t')
}

// lineText returns source line i without its line end.
func lineText(b []byte, starts []int, i int) string {
	if i < 0 || i >= len(starts) {
		return ""
	}
	end := len(b)
	if i+1 < len(starts) {
		end = starts[i+1] - 1
	}
	return string(b[starts[i]:end])
}

// RawHTML returns the raw HTML of src that GitHub would treat as HTML: HTML
// blocks (comments included) and inline HTML, in document order. Text in
// code is not HTML.
func RawHTML(src string) []string {
	doc, b := parse(src)
	var out []string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.HTMLBlock:
			s := linesText(n, b)
			if n.HasClosure() {
				s += string(n.ClosureLine.Value(b))
			}
			out = append(out, s)
			return ast.WalkSkipChildren, nil
		case *ast.RawHTML:
			var sb strings.Builder
			for i := 0; i < n.Segments.Len(); i++ {
				s := n.Segments.At(i)
				sb.Write(s.Value(b))
			}
			out = append(out, sb.String())
		case *ast.FencedCodeBlock, *ast.CodeBlock, *ast.CodeSpan:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return out
}

// CloseFence closes a fenced code block that src leaves open at its end,
// so that text appended after it is not swallowed by the block; src is
// returned unchanged otherwise. Line ends are normalised to "\n".
func CloseFence(src string) string {
	doc, b := parse(src)
	last, ok := doc.LastChild().(*ast.FencedCodeBlock)
	if !ok {
		return string(b)
	}
	if _, _, closed := fenceExtent(last, b, lineStarts(b)); closed {
		return string(b)
	}
	char, n := fenceOpener(b, last.Pos())
	if n == 0 {
		return string(b)
	}
	s := string(b)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s + strings.Repeat(string(char), n)
}
