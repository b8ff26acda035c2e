package markdown

import (
	"html"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// zwsp breaks a mention or reference apart. It is invisible, and GitHub's
// autolinkers need the characters on both sides of it to be adjacent, so
// "@\u200balice" renders as "@alice" without notifying anyone.
const zwsp = "\u200b"

// Withheld replaces text that could not be made safe to post. It should
// never be seen: it is the last resort after two rewrites failed Check.
const Withheld = "_(text withheld: it could not be made safe to post)_"

// Neutralize makes markdown written by someone we do not trust (the model,
// steered by a pull request) harmless to post on GitHub or print on a
// terminal, and returns it otherwise unchanged in meaning:
//
//   - user and team mentions (@alice, @acme/security-team) and the
//     references GitHub turns into links and cross-references (#3, GH-3,
//     acme/widgets#3, alice@a5c3785, acme/widgets@a5c3785, bare commit
//     hashes, and protocol-relative URLs of issues, pull requests,
//     discussions and commits) get a zero-width space that keeps them
//     from linking or notifying;
//   - raw HTML (tags, comments) is shown as text, so an unclosed
//     <details> or <!-- cannot hide what follows; character references
//     (&#64;) are shown as written;
//   - no link can be followed: a link or image keeps its text and shows
//     its destination as code ("[Approve](https://evil.example)" becomes
//     "Approve (`https://evil.example`)", an image "x (image: `…`)"),
//     and autolinks (<https://…>), bare URLs and www. addresses become
//     code spans, which GitHub does not autolink (see links.go);
//   - every "$" is escaped, so that GitHub does not render "$…$" or
//     "$$…$$" as math, which can draw any text at any size;
//   - a block quote that starts with an alert marker ("> [!WARNING]"),
//     which GitHub draws as a coloured alert box, is an ordinary quote:
//     the marker's "[" is escaped, "> \[!WARNING]" (see alerts.go);
//   - a fenced code block left open is closed, so it cannot swallow what
//     the app appends; a link reference definition ("[P1]: https://…")
//     is shown as text, so it cannot turn the app's "[P1]" into a link;
//   - a fenced block marked as a suggestion ("```suggestion") is shown as
//     plain code: GitHub offers such a block for one-click commit, and
//     only the app's own suggestions, checked to replace exactly the
//     commented lines, may be committable. To be safe, any info word that
//     starts with "suggestion", in any case, counts (GitLab, for one,
//     reads "suggestion:-0+1" as a suggestion over more lines); so is a
//     block GitHub draws instead of showing its code ("```math",
//     "```mermaid": isRenderedInfo);
//   - control characters other than newline and tab, bidirectional
//     controls and invalid UTF-8 are removed everywhere, code included;
//     line ends become "\n".
//
// Code spans and code blocks are kept byte for byte (after that removal):
// text in code is shown literally on GitHub and does not notify, and a
// suggestion must stay exactly what the model proposed. The result is
// checked by parsing it again (Check); should the rewrite ever fail that
// check, the text is rewritten without keeping code, and as a last resort
// shown as one code block.
func Neutralize(s string) string {
	out, _ := neutralize(s)
	return out
}

// Which rewrite Neutralize used: the fallbacks exist so that the result
// is safe even where the first rewrite misjudges the structure.
const (
	keptCode = iota + 1
	noCodeKept
	oneBlock
	withheld
)

func neutralize(s string) (string, int) {
	s = StripControl(s)
	if s == "" {
		return "", keptCode
	}
	if out, _ := rewrite(s, false, true); checkNeutral(out) == nil {
		return out, keptCode
	}
	if out, _ := rewrite(s, false, false); checkNeutral(out) == nil {
		return out, noCodeKept
	}
	if out := CodeBlock("text", s); checkNeutral(out) == nil {
		return out, oneBlock
	}
	return Withheld, withheld
}

// NeutralizeInline is Neutralize for text that is placed inside one line
// of markdown, such as a title in bold or a table cell: the text is put on
// one line (runs of whitespace become one space) and only code spans are
// kept, since block structure does not exist inside a line. The result
// is also safe at the start of a line, such as a list item: see lineStart.
func NeutralizeInline(s string) string {
	s = strings.Join(strings.Fields(StripControl(s)), " ")
	if s == "" {
		return ""
	}
	if out := rewriteInline(s, true); checkInline(out) == nil {
		return out
	}
	if out := rewriteInline(s, false); checkInline(out) == nil {
		return out
	}
	return Withheld
}

// rewriteInline is rewrite for inline text, made safe at the start of a
// line and before what follows it.
func rewriteInline(s string, keep bool) string {
	out, _ := rewrite(s, true, keep)
	return closeEscape(lineStart(out))
}

// lineStart escapes what would open a block if s began a line: the app
// places inline text at the start of a list item ("- " + text) as well as
// inside lines, and there "# x", "> x", "1. x", "- x", "[ ] x" or "***"
// would render a heading, a quote, a nested list, a task box or a rule.
// Only those shapes are escaped: "**bold** text" stays bold.
func lineStart(s string) string {
	if s == "" {
		return s
	}
	c := s[0]
	switch {
	case c == '>':
		return `\` + s
	case c == '#':
		n := len(s) - len(strings.TrimLeft(s, "#"))
		if n <= 6 && (n == len(s) || s[n] == ' ') {
			return `\` + s
		}
	case c == '-' || c == '+' || c == '*':
		if len(s) == 1 || s[1] == ' ' || isRule(s) {
			return `\` + s
		}
	case c == '_' || c == '=':
		if isRule(s) {
			return `\` + s
		}
	case c >= '0' && c <= '9':
		n := len(s) - len(strings.TrimLeft(s, "0123456789"))
		if n <= 9 && n < len(s) && (s[n] == '.' || s[n] == ')') && (n+1 == len(s) || s[n+1] == ' ') {
			return s[:n] + `\` + s[n:]
		}
	case c == '[':
		if len(s) >= 3 && s[2] == ']' && (s[1] == ' ' || s[1] == 'x' || s[1] == 'X') && (len(s) == 3 || s[3] == ' ') {
			return `\` + s
		}
	}
	return s
}

// isRule reports whether s is a thematic break or a setext underline:
// one character of "-*_=" repeated, with spaces between.
func isRule(s string) bool {
	t := strings.ReplaceAll(s, " ", "")
	return len(t) >= 2 && strings.Count(t, t[:1]) == len(t)
}

// closeEscape doubles a backslash left alone at the end of inline text:
// the markdown placed after it ("**" closing a bold title, "</sub>"
// closing a footer) would otherwise be escaped and shown as text.
func closeEscape(s string) string {
	if trailingEscape(s) {
		return s + "\\"
	}
	return s
}

// trailingEscape reports whether s ends with an odd run of backslashes,
// one of which escapes whatever follows s.
func trailingEscape(s string) bool {
	n := len(s) - len(strings.TrimRight(s, "\\"))
	return n%2 == 1
}

// StripControl removes what a terminal or a reader could be fooled by:
// control characters other than newline and tab (ESC, BEL, C1 controls),
// bidirectional controls, and invalid UTF-8. Line ends become "\n".
func StripControl(s string) string {
	s = NormalizeNewlines(s)
	clean := utf8.ValidString(s)
	for _, r := range s {
		if isStripped(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !(r == utf8.RuneError && n == 1) && !isStripped(r) {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isStripped reports a rune StripControl removes. U+FFFD itself stays: it
// is what decoders write for bytes they could not read.
func isStripped(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// inlinePrefix puts inline text in a paragraph for parsing, whatever it
// starts with ("# ", "~~~", "- ").
const inlinePrefix = "x "

// rewrite applies the prose rules outside what it keeps: code spans and,
// for block text, code blocks (keep unset: nothing is kept). Where it keeps
// code it also knows the links goldmark sees and shows them as text (see
// linkEdits); without, the prose rules break links and URLs alone. It
// returns the rewritten text and the code spans it made itself.
func rewrite(s string, inline, keep bool) (string, []string) {
	src := s
	if inline {
		src = inlinePrefix + s
	}
	var (
		kept      []span
		edits     []edit
		openFence *ast.FencedCodeBlock
		// inserts is text written before an offset of src: what keeps
		// the lines of raw HTML, once shown as text, one paragraph apart
		// from the blocks around them, and the backslash that keeps an
		// alert marker from opening a quote (alertInserts).
		inserts []insert
		// liveInfos are the info words of suggestion blocks and of
		// blocks GitHub draws, inside kept spans: they are written as
		// plainInfo.
		liveInfos []span
	)
	b := []byte(src)
	if keep || !inline {
		pc := parser.NewContext()
		tails := map[ast.Node]linkTail{}
		pc.Set(linkTailsKey, tails)
		doc := gfm.Parser().Parse(text.NewReader(b), parser.WithContext(pc))
		if !inline {
			inserts = htmlBlockInserts(doc, b)
		}
		if keep {
			kept = keptSpans(doc, b, inline)
			edits = linkEdits(doc, b, tails, kept)
		}
		if !inline {
			inserts = append(inserts, alertInserts(doc, b, kept, edits)...)
			sort.SliceStable(inserts, func(i, j int) bool { return inserts[i].at < inserts[j].at })
		}
		if keep && !inline {
			liveInfos = liveInfoWords(doc, b)
			if f, ok := doc.LastChild().(*ast.FencedCodeBlock); ok {
				if _, _, closed := fenceExtent(f, b, lineStarts(b)); !closed {
					openFence = f
				}
			}
		}
	}
	var out proseOut
	out.Grow(len(src) + len(src)/8)
	k, e, ins := 0, 0, 0
	for i := 0; i < len(src); {
		for ins < len(inserts) && inserts[ins].at <= i {
			out.WriteString(inserts[ins].text)
			ins++
		}
		// Nothing kept or edited starts inside what was written (see
		// linkEdits); should it, it is passed over, not written twice.
		for k < len(kept) && kept[k].start < i {
			k++
		}
		for e < len(edits) && edits[e].start < i {
			e++
		}
		if k < len(kept) && i == kept[k].start {
			out.separate()
			writeKept(&out.Builder, src, kept[k], liveInfos)
			i = kept[k].stop
			k++
			continue
		}
		if e < len(edits) && i == edits[e].start {
			out.writeEdit(edits[e])
			i = edits[e].stop
			e++
			continue
		}
		// The prose rules see the text up to what is kept or edited
		// next, so that none of them consumes part of it.
		limit := len(src)
		if k < len(kept) {
			limit = kept[k].start
		}
		if e < len(edits) {
			limit = min(limit, edits[e].start)
		}
		i = prose(&out, src[:limit], i)
	}
	res := out.String()
	if openFence != nil {
		char, n := fenceOpener(b, openFence.Pos())
		if n > 0 {
			if !strings.HasSuffix(res, "\n") {
				res += "\n"
			}
			res += strings.Repeat(string(char), n)
		}
	}
	if inline {
		res = strings.TrimPrefix(res, inlinePrefix)
	}
	return res, out.made
}

// keptSpans returns the byte ranges kept verbatim, sorted: code spans with
// their backtick delimiters and, unless inline, code blocks with their
// fences.
func keptSpans(doc ast.Node, b []byte, inline bool) []span {
	starts := lineStarts(b)
	var out []span
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.FencedCodeBlock:
			if !inline {
				first, last := fencedLines(n, b, starts)
				start := n.Pos()
				if start < 0 {
					start = starts[first]
				}
				out = append(out, span{start, lineEnd(b, starts, last)})
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock:
			if !inline {
				l := n.Lines()
				for i := 0; i < l.Len(); i++ {
					s := l.At(i)
					out = append(out, span{s.Start, s.Stop})
				}
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeSpan:
			if sp, ok := codeSpanExtent(n, b); ok {
				out = append(out, sp)
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	// Drop overlaps (none are expected) so the walk stays monotone.
	merged := out[:0]
	for _, s := range out {
		if s.stop <= s.start {
			continue
		}
		if len(merged) > 0 && s.start < merged[len(merged)-1].stop {
			if s.stop > merged[len(merged)-1].stop {
				merged[len(merged)-1].stop = s.stop
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// plainInfo replaces the info word of a suggestion block in model text.
const plainInfo = "text"

// isSuggestionInfo reports whether a fenced block's info string may make
// it a suggestion: GitHub's is "suggestion"; to be safe, any first word
// that starts with it counts, in any case (GitLab's "suggestion:-0+1").
func isSuggestionInfo(info string) bool {
	f := strings.Fields(decodeInfo(info))
	return len(f) > 0 && len(f[0]) >= len("suggestion") && strings.EqualFold(f[0][:len("suggestion")], "suggestion")
}

// renderedInfos are the info words of the fenced blocks GitHub draws
// instead of showing their code: diagrams, formulas, maps and 3D models.
var renderedInfos = []string{"mermaid", "math", "geojson", "topojson", "stl"}

// isRenderedInfo reports whether a fenced block's info string makes GitHub
// draw it, in any case.
func isRenderedInfo(info string) bool {
	f := strings.Fields(decodeInfo(info))
	return len(f) > 0 && slices.ContainsFunc(renderedInfos, func(w string) bool { return strings.EqualFold(f[0], w) })
}

// decodeInfo reads an info string as written in the source the way
// CommonMark does before GitHub looks at it: backslash escapes and
// character references are decoded, so "sugg&#101;stion" and
// "&#x6d;ermaid" are the words GitHub sees. It errs towards decoding
// (an escaped "&" is decoded too), which can only make a block count as
// live, never hide one.
func decodeInfo(info string) string {
	if !strings.ContainsAny(info, `\&`) {
		return info
	}
	var b strings.Builder
	for i := 0; i < len(info); i++ {
		if info[i] == '\\' && i+1 < len(info) && isASCIIPunct(info[i+1]) {
			i++ // the escaped character stands for itself
		}
		b.WriteByte(info[i])
	}
	return html.UnescapeString(b.String())
}

// liveInfoWords returns the byte ranges of the first word of the info
// strings of the fenced blocks GitHub would offer as suggestions or draw
// (isRenderedInfo): model text shows both as plain code.
func liveInfoWords(doc ast.Node, b []byte) []span {
	var out []span
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		f, ok := n.(*ast.FencedCodeBlock)
		if !ok {
			return ast.WalkContinue, nil
		}
		if f.Info == nil {
			return ast.WalkSkipChildren, nil
		}
		if info := string(f.Info.Segment.Value(b)); isSuggestionInfo(info) || isRenderedInfo(info) {
			start := f.Info.Segment.Start
			stop := start
			for stop < f.Info.Segment.Stop && b[stop] != ' ' && b[stop] != '\t' {
				stop++
			}
			out = append(out, span{start, stop})
		}
		return ast.WalkSkipChildren, nil
	})
	return out
}

// writeKept writes the kept text k of src, with the info word of any
// suggestion or drawn block in it (liveInfoWords) replaced by plainInfo.
func writeKept(out *strings.Builder, src string, k span, infos []span) {
	i := k.start
	for _, s := range infos {
		if s.start >= i && s.stop <= k.stop {
			out.WriteString(src[i:s.start])
			out.WriteString(plainInfo)
			i = s.stop
		}
	}
	out.WriteString(src[i:k.stop])
}

// insert is text rewrite writes before the byte at offset at.
type insert struct {
	at   int
	text string
}

// htmlBlockInserts keeps the structure of a document whose raw HTML
// blocks are shown as text. An HTML block ends on its own terms (types 1
// to 5 at a closing marker, blank lines included; 6 and 7 at a blank
// line), but once its "<" is escaped its lines are a paragraph, and
// markdown reads them again: a line after a blank one, indented four
// spaces, turns into a code block; "# x", "- x", "> x", "---" or "[x]: u"
// into headings, lists, quotes, rules and link definitions; and the lines
// right before and after the block join the paragraph, so that a code
// block after it becomes prose, or a "---" after it an underline. So:
//
//   - every non-blank line of the block after its first starts with a
//     zero-width space at its content (after the quote markers and list
//     indentation it is inside), which is text: the line continues, or
//     after a blank line starts, a paragraph, whatever follows;
//   - a line right before or after the block that is not blank gets a
//     blank line between it and the block, made of the block's own quote
//     markers, so that the paragraph ends where the block ended and
//     neither side is read into the other.
//
// The result is sorted by offset.
func htmlBlockInserts(doc ast.Node, b []byte) []insert {
	var out []insert
	starts := lineStarts(b)
	// blank returns the blank line that ends a paragraph at the depth of
	// the block line starting at seg: its quote markers, the list
	// markers and indentation before it as spaces, trimmed.
	blank := func(seg int) string {
		prefix := []byte(string(b[starts[lineOf(starts, seg)]:seg]))
		for i, c := range prefix {
			if c != '>' && c != '\t' {
				prefix[i] = ' '
			}
		}
		return strings.TrimRight(string(prefix), " \t") + "\n"
	}
	isBlank := func(line int) bool {
		return strings.Trim(lineText(b, starts, line), " \t>") == ""
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.HTMLBlock)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		var segs []text.Segment
		for i := 0; i < h.Lines().Len(); i++ {
			segs = append(segs, h.Lines().At(i))
		}
		if h.HasClosure() {
			segs = append(segs, h.ClosureLine)
		}
		if len(segs) == 0 {
			return ast.WalkSkipChildren, nil
		}
		first := lineOf(starts, segs[0].Start)
		if h.PreviousSibling() != nil && first > 0 && !isBlank(first-1) {
			out = append(out, insert{starts[first], blank(segs[0].Start)})
		}
		for _, s := range segs[1:] {
			if !util.IsBlank(s.Value(b)) {
				out = append(out, insert{s.Start, zwsp})
			}
		}
		last := segs[len(segs)-1]
		if next := lineOf(starts, last.Start) + 1; next < len(starts) && !isBlank(next) {
			out = append(out, insert{starts[next], blank(last.Start)})
		}
		return ast.WalkSkipChildren, nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	// Two blocks one after the other need one blank line between them.
	dedup := out[:0]
	for _, in := range out {
		if len(dedup) > 0 && dedup[len(dedup)-1].at == in.at && dedup[len(dedup)-1].text == in.text {
			continue
		}
		dedup = append(dedup, in)
	}
	return dedup
}

// lineEnd is the offset just past line i's text, before its "\n".
func lineEnd(b []byte, starts []int, i int) int {
	if i+1 < len(starts) {
		return starts[i+1] - 1
	}
	return len(b)
}

// codeSpanExtent finds a code span's source range, backticks included:
// from its opening run to the first run of exactly as many backticks after
// its text.
func codeSpanExtent(n *ast.CodeSpan, b []byte) (span, bool) {
	start := n.Pos()
	if start < 0 || start >= len(b) || b[start] != '`' {
		return span{}, false
	}
	open := 0
	for start+open < len(b) && b[start+open] == '`' {
		open++
	}
	from := start + open
	if c, ok := n.LastChild().(*ast.Text); ok && c.Segment.Stop > from {
		from = c.Segment.Stop
	}
	for i := from; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] == '`' {
			j++
		}
		if j-i == open {
			return span{start, j}, true
		}
		i = j
	}
	return span{}, false
}

// prose writes the neutralised form of the prose at s[i:] for one rule
// and returns where it stopped.
func prose(out *proseOut, s string, i int) int {
	c := s[i]
	switch {
	case c == '\\' && i+1 < len(s) && s[i+1] == '<':
		// "\<" shows "<", and so does "&lt;", which needs no backslash: an
		// autolink on GitHub ends right before a "<" and takes the
		// backslash in, leaving the "<" to open raw HTML.
		out.WriteString("&lt;")
		return i + 2
	case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
		// A backslash escape stays one unit: "\`" must not become "\\`".
		out.WriteString(s[i : i+2])
		if breaksAfter(s[i+1], s, i+2) {
			out.WriteString(zwsp)
		}
		return i + 2
	case c == '`':
		out.WriteString("\\`")
		return i + 1
	case c == '<':
		out.WriteString("&lt;")
		return i + 1
	case c == '&' && isEntity(s[i+1:]):
		out.WriteString("&amp;")
		return i + 1
	case c == '~' && (i == 0 || s[i-1] != '~') && strings.HasPrefix(s[i:], "~~~"):
		out.WriteString("\\~")
		return i + 1
	case c == '!' && i+1 < len(s) && s[i+1] == '[':
		out.WriteString("\\!")
		return i + 1
	case c == ']' && i+1 < len(s) && s[i+1] == ':':
		// "[P1]: https://…" would define a link that every "[P1]" of the
		// whole comment uses, the app's own headings included.
		out.WriteString("]\\:")
		return i + 2
	case c == ']' && i+1 < len(s) && s[i+1] == '(':
		// A link goldmark did not see (linkEdits shows those it sees as
		// text) still needs "](": GitHub may see one.
		out.WriteString("]\\(")
		return i + 2
	case c == '$':
		// GitHub renders "$…$" and "$$…$$" as math, which can draw
		// anything in any size; "\$" is a plain dollar sign there and in
		// CommonMark.
		out.WriteString("\\$")
		return i + 1
	case (c == '@' || c == '#') && breaksAfter(c, s, i+1):
		out.WriteByte(c)
		out.WriteString(zwsp)
		return i + 1
	}
	if n := urlRun(s, i); n > 0 {
		out.code(s[i : i+n])
		return i + n
	}
	// GitHub finds references at ASCII word boundaries, and emphasis
	// ("_a5c3785_") drops the delimiters around a word: anything but an
	// ASCII letter or digit before one is a boundary.
	if !isAlnum(prev(s, i)) {
		if n := ghRef(s[i:]); n > 0 {
			out.WriteString(s[i : i+n])
			out.WriteString(zwsp)
			return i + n
		}
		if n, end := refURL(s[i:]); n > 0 {
			return refURLRewrite(out, s, i, i+n, i+end)
		}
		if n := shaRun(s, i); n > 0 {
			// A zero-width space is a word boundary too: every piece
			// between two of them must be shorter than a hash GitHub
			// looks up, or "abcd" and a real commit's first 36 digits
			// would still link that commit.
			for j := i; j < i+n; j += maxHashPiece {
				if j > i {
					out.WriteString(zwsp)
				}
				out.WriteString(s[j:min(j+maxHashPiece, i+n)])
			}
			return i + n
		}
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	out.WriteString(s[i : i+n])
	return i + n
}

// breaksAfter reports whether c followed by s[j:] would link: "@" and a
// letter or digit (a user, team or user@sha), "#" and a digit (an issue).
func breaksAfter(c byte, s string, j int) bool {
	if j >= len(s) {
		return false
	}
	switch c {
	case '@':
		return isAlnum(s[j])
	case '#':
		return s[j] >= '0' && s[j] <= '9'
	}
	return false
}

func prev(s string, i int) byte {
	if i == 0 {
		return ' '
	}
	return s[i-1]
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// isEntity reports whether s (after an "&") is a character reference:
// "name;", "#123;" or "#x7B;".
func isEntity(s string) bool {
	i := 0
	if i < len(s) && s[i] == '#' {
		i++
		if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
			i++
		}
	}
	j := i
	for j < len(s) && j-i < 32 && isAlnum(s[j]) {
		j++
	}
	return j > i && j < len(s) && s[j] == ';'
}

// ghRef returns the length of "GH-" (any case, the "-" maybe escaped)
// when a digit follows, so the zero-width space goes before the number.
func ghRef(s string) int {
	if len(s) < 4 || !strings.EqualFold(s[:2], "gh") {
		return 0
	}
	n := 2
	if s[n] == '\\' {
		n++
	}
	if n >= len(s) || s[n] != '-' {
		return 0
	}
	n++
	if n < len(s) && s[n] >= '0' && s[n] <= '9' {
		return n
	}
	return 0
}

// refPaths are the URL path parts GitHub turns into a reference to an
// issue, pull request, discussion or commit (a cross-reference on the
// target's timeline).
var refPaths = []string{"/issues/", "/pull/", "/pulls/", "/discussions/", "/commit/", "/commits/"}

// refURL returns the length of the "//" that starts a protocol-relative
// URL, and of the whole URL, at the start of s when its path refers to an
// issue, pull request, discussion or commit; 0, 0 otherwise. URLs with a
// scheme or "www." are shown as code (urlRun); this is the form left, which
// a reader or a linker may still take for a reference.
func refURL(s string) (scheme, end int) {
	if !strings.HasPrefix(s, "//") {
		return 0, 0
	}
	n := len("//")
	end = n
	for end < len(s) && s[end] != ' ' && s[end] != '\n' && s[end] != '\t' && s[end] != '<' && s[end] != ')' && s[end] != '`' {
		end++
	}
	u := strings.ToLower(strings.ReplaceAll(s[n:end], "\\", ""))
	for _, p := range refPaths {
		if strings.Contains(u, p) {
			return n, end
		}
	}
	return 0, 0
}

// refURLRewrite writes a reference URL at s[i:end] with zero-width spaces
// after its scheme (which ends at body), so GitHub does not link it, and
// before the reference part of its path, so that a linker that also
// takes bare host names links at most the repository. The rest of the URL
// goes through the prose rules.
func refURLRewrite(out *proseOut, s string, i, body, end int) int {
	out.WriteString(s[i:body])
	out.WriteString(zwsp)
	for j := body; j < end; {
		if s[j] == '/' && isRefPath(s[j:end]) {
			out.WriteString("/" + zwsp)
			j++
			continue
		}
		j = prose(out, s, j)
	}
	return max(end, body)
}

func isRefPath(s string) bool {
	for _, p := range refPaths {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

// maxHashPiece is the longest run of hexadecimal digits shaRun's rewrite
// leaves between zero-width spaces: GitHub looks up hashes of 7 digits or
// more.
const maxHashPiece = 6

// shaRun returns the length of a word of 7 to 40 hexadecimal digits at
// s[i:] with at least one decimal digit, which GitHub may link as a commit
// hash; 0 otherwise. Words of letters only ("defaced") are left alone.
func shaRun(s string, i int) int {
	j := i
	digit := false
	for j < len(s) && isHex(s[j]) {
		digit = digit || s[j] <= '9'
		j++
	}
	n := j - i
	if n < 7 || n > 40 || !digit || (j < len(s) && isAlnum(s[j])) {
		return 0
	}
	return n
}
