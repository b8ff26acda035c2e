package markdown

import (
	"bytes"
	"slices"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Links in model text are shown, not followed: a pull request can steer the
// model into writing "[Approve this PR](https://evil.example)" in the app's
// voice. The rewrite keeps what a link says and where it pointed, as text:
//
//	[Approve this PR](https://evil.example)  →  Approve this PR (`https://evil.example`)
//	![diagram](https://e.example/d.png)      →  diagram (image: `https://e.example/d.png`)
//	<https://evil.example>                   →  `https://evil.example`
//	https://evil.example/login               →  `https://evil.example/login`
//
// A destination or a bare URL in a code span cannot be followed, and
// GitHub's autolinks do not look inside code.

// linkTailsKey is the parser context key under which a parse records where
// each link and image ends (see tailRecorder).
var linkTailsKey = parser.NewContextKey()

// linkTail is where a link's source continues after its text: from the "]"
// that closes the text to the end of its destination, title or reference.
type linkTail struct{ close, end int }

// tailRecorder is goldmark's link parser, which also records, when the
// parse context asks for it, where each link it makes ends: goldmark keeps
// only a link's start (Pos).
type tailRecorder struct{ parser.InlineParser }

func (r tailRecorder) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	_, seg := block.Position()
	n := r.InlineParser.Parse(parent, block, pc)
	tails, ok := pc.Get(linkTailsKey).(map[ast.Node]linkTail)
	if !ok {
		return n
	}
	switch n.(type) {
	case *ast.Link, *ast.Image:
		_, after := block.Position()
		tails[n] = linkTail{close: seg.Start, end: after.Start}
	}
	return n
}

// CloseBlock passes on to the link parser, which drops the brackets left
// open at the end of a paragraph.
func (r tailRecorder) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	if c, ok := r.InlineParser.(parser.CloseBlocker); ok {
		c.CloseBlock(parent, block, pc)
	}
}

// inlineParsers are goldmark's, with the link parser recording link tails.
func inlineParsers() []parser.Option {
	ips := parser.DefaultInlineParsers()
	for i, p := range ips {
		if ip, ok := p.Value.(parser.InlineParser); ok && slices.Contains(ip.Trigger(), ']') {
			ips[i].Value = tailRecorder{ip}
		}
	}
	return []parser.Option{
		parser.WithBlockParsers(parser.DefaultBlockParsers()...),
		parser.WithInlineParsers(ips...),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	}
}

// edit replaces src[start:stop] in the rewrite: with a zero-width space
// (the opening bracket of a link: a word boundary that keeps the text
// after it from starting a block or joining the word before it), or with
// a code span showing code; with a prefix, the span is put after it and
// closed with a parenthesis (a link's destination after its text).
type edit struct {
	start, stop  int
	zwsp         bool
	prefix, code string
}

// linkEdits returns the edits that show the links and images of doc as
// text, sorted and not overlapping each other or kept. A link whose
// extent cannot be told is left to the prose rules, which break it too.
func linkEdits(doc ast.Node, b []byte, tails map[ast.Node]linkTail, kept []span) []edit {
	var out []edit
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.CodeSpan:
			return ast.WalkSkipChildren, nil
		case *ast.Link:
			out = append(out, linkPair(n, b, tails, 1, "", n.Destination)...)
		case *ast.Image:
			out = append(out, linkPair(n, b, tails, 2, "image: ", n.Destination)...)
		case *ast.AutoLink:
			// "<https://…>" and "<a@b.example>"; the bare URLs GitHub
			// links (goldmark's view of them differs) are the prose
			// rules' (urlRun).
			p := n.Pos()
			if p < 0 || p >= len(b) || b[p] != '<' {
				return ast.WalkSkipChildren, nil
			}
			if j := bytes.IndexByte(b[p:], '>'); j > 0 {
				out = append(out, edit{start: p, stop: p + j + 1, code: string(n.Label(b))})
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	slices.SortFunc(out, func(x, y edit) int { return x.start - y.start })
	// goldmark's links nest and never cross code, so nothing is expected
	// to overlap; should something, its edit is dropped and the prose
	// rules break that link.
	ok := out[:0]
	k := 0
	for _, e := range out {
		if len(ok) > 0 && e.start < ok[len(ok)-1].stop {
			continue
		}
		for k < len(kept) && kept[k].stop <= e.start {
			k++
		}
		if k < len(kept) && kept[k].start < e.stop {
			continue
		}
		ok = append(ok, e)
	}
	return ok
}

// linkPair returns the two edits of a link or image: its opening bracket
// ("[" or "![", open bytes) and its tail, or none when the source does not
// hold them where expected.
func linkPair(n ast.Node, b []byte, tails map[ast.Node]linkTail, open int, prefix string, dest []byte) []edit {
	t, ok := tails[n]
	p := n.Pos()
	if !ok || p < 0 || p+open > t.close || t.close >= t.end || t.end > len(b) || b[p+open-1] != '[' || b[t.close] != ']' ||
		open == 2 && b[p] != '!' {
		return nil
	}
	lead := " ("
	if t.close == p+open {
		lead = "(" // no text: no space before the destination
	}
	tail := edit{start: t.close, stop: t.end, prefix: lead + prefix, code: string(dest)}
	return []edit{{start: p, stop: p + open, zwsp: true}, tail}
}

// proseOut is the rewrite's output. made lists the code spans the rewrite
// wrote itself (destinations and URLs), in order, as Snippets reads them.
type proseOut struct {
	strings.Builder
	made []string
}

// code writes s as a code span the rewrite makes. A zero-width space goes
// first where the output ends with a backtick (the runs would join) or an
// odd run of backslashes (one would escape the opening backtick).
func (o *proseOut) code(s string) {
	c := CodeSpan(s)
	if c == "" {
		return
	}
	o.separate()
	o.WriteString(c)
	o.made = append(o.made, strings.Join(strings.Fields(StripControl(s)), " "))
}

// separate writes a zero-width space where a code span written next would
// otherwise not start one: after a backtick or an escaping backslash.
func (o *proseOut) separate() {
	if s := o.String(); strings.HasSuffix(s, "`") || trailingEscape(s) {
		o.WriteString(zwsp)
	}
}

// writeEdit writes e.
func (o *proseOut) writeEdit(e edit) {
	if e.zwsp {
		o.WriteString(zwsp)
		return
	}
	if e.code == "" {
		return
	}
	if e.prefix == "" {
		o.code(e.code)
		return
	}
	o.WriteString(e.prefix)
	o.code(e.code)
	o.WriteString(")")
}

// urlRun returns the length of the URL GitHub would link at s[i:], 0 when
// none starts there. GitHub's autolinks (cmark-gfm's extension) start at
// "www." or at a scheme, the letters before "://", and run to whitespace
// or "<"; to be safe, any letters before "://", "://" alone, and "www."
// inside a word start one here. The run stops early at what must stay
// markdown ("`" may open kept code, "|" ends a table cell even inside
// code, "\\" may escape it, "[" and "]" may bracket a link, ">" closes
// "<…>"), and leaves out trailing punctuation as GitHub does: a period
// ending a sentence, an unbalanced ")".
func urlRun(s string, i int) int {
	if !urlStart(s, i) {
		return 0
	}
	j := i
	for j < len(s) && !strings.ContainsRune(" \t\n<>`|\\[]", rune(s[j])) {
		j++
	}
	unbalanced := strings.Count(s[i:j], ")") - strings.Count(s[i:j], "(")
	for j > i+1 {
		switch c := s[j-1]; {
		case strings.IndexByte("?!.,:*_~'\"", c) >= 0:
		case c == ')' && unbalanced > 0:
			unbalanced--
		default:
			return j - i
		}
		j--
	}
	return j - i
}

// urlStart reports whether a URL GitHub may link starts at s[i:]: "://",
// "www." (any case), or a run of letters that starts a word and is
// followed by "://".
func urlStart(s string, i int) bool {
	c := s[i]
	switch {
	case c == ':':
		return strings.HasPrefix(s[i:], "://")
	case !isLetter(c):
		return false
	case len(s)-i >= 4 && strings.EqualFold(s[i:i+4], "www."):
		return true
	case isLetter(prev(s, i)):
		return false
	}
	j := i
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	return strings.HasPrefix(s[j:], "://")
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
