package markdown

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"
)

// Check renders s the way GitHub would and reports the first thing in it
// that is live: a mention or reference outside code that would link or
// notify, raw HTML, an image, any link (inline, reference, autolink or a
// bare URL GitHub would link), a dollar sign GitHub may read as math, an
// alert marker that makes a quote an alert box, a control character, or a
// fenced code block left open. nil means s is
// safe to post. Neutralize's output always passes; tests use Check on
// what the app posts, with the app's own links and HTML taken out first.
func Check(s string) error {
	_, _, err := check(s)
	return err
}

// check is Check, which also returns the document it parsed s into, and
// its source, for checkNeutral to inspect further without parsing s
// again (nil when s failed before the parse).
func check(s string) (ast.Node, []byte, error) {
	if err := controlIn(s); err != nil {
		return nil, nil, err
	}
	// One parse serves every check.
	pc := parser.NewContext()
	b := []byte(NormalizeNewlines(s))
	doc := gfm.Parser().Parse(text.NewReader(b), parser.WithContext(pc))
	if leftOpen(doc, b) {
		return nil, nil, fmt.Errorf("a fenced code block is left open")
	}
	// A link reference definition renders as nothing but turns every
	// "[label]" of the document into a link, text the app wrote included.
	if refs := pc.References(); len(refs) > 0 {
		return nil, nil, fmt.Errorf("a link reference definition [%s]: %s", refs[0].Label(), refs[0].Destination())
	}
	if err := checkHTML(doc, b); err != nil {
		return nil, nil, err
	}
	if err := liveSource(doc, b); err != nil {
		return nil, nil, err
	}
	if err := liveAlerts(doc, b); err != nil {
		return nil, nil, err
	}
	return doc, b, nil
}

// leftOpen reports whether doc ends with a fenced code block that is not
// closed (see CloseFence).
func leftOpen(doc ast.Node, b []byte) bool {
	f, ok := doc.LastChild().(*ast.FencedCodeBlock)
	if !ok {
		return false
	}
	_, _, closed := fenceExtent(f, b, lineStarts(b))
	_, n := fenceOpener(b, f.Pos())
	return !closed && n > 0
}

// liveSource reports, in the source b of doc outside code spans and blocks,
// what GitHub makes live as it parses rather than as it renders, so that
// goldmark's rendering alone cannot show it: a "$" that is not escaped
// (GitHub's math), and "://" or "www." (GitHub's autolinks, which start
// from these and accept a host goldmark does not, and which take in a
// code span that follows them in the same word). GitHub's math cannot be
// rendered here: the check is that no dollar sign could delimit it.
func liveSource(doc ast.Node, b []byte) error {
	if !bytes.ContainsAny(b, "$:wW") {
		return nil
	}
	code := keptSpans(doc, b, false)
	k := 0
	for i := 0; i < len(b); i++ {
		for k < len(code) && code[k].stop <= i {
			k++
		}
		if k < len(code) && i >= code[k].start {
			i = code[k].stop - 1
			continue
		}
		switch c := b[i]; {
		case c == '$' && !escaped(b, i):
			return fmt.Errorf("a dollar sign GitHub may read as math at byte %d", i)
		case c == ':' && bytes.HasPrefix(b[i:], []byte("://")) && !escaped(b, i):
			return fmt.Errorf("a URL GitHub would link: %q", urlAround(b, i))
		case (c == 'w' || c == 'W') && len(b)-i >= 4 && strings.EqualFold(string(b[i:i+4]), "www."):
			return fmt.Errorf("a URL GitHub would link: %q", urlAround(b, i))
		}
	}
	return nil
}

// liveAlerts reports an alert marker at the start of a line of a quoted
// paragraph outside code (alertMarkers).
func liveAlerts(doc ast.Node, b []byte) error {
	at := alertMarkers(doc, b)
	if len(at) == 0 {
		return nil
	}
	code := keptSpans(doc, b, false)
	for _, i := range at {
		if !inRanges(code, i) {
			return fmt.Errorf("an alert marker GitHub draws as an alert box: %q", urlAround(b, i))
		}
	}
	return nil
}

// escaped reports whether the byte at i follows an odd run of
// backslashes.
func escaped(b []byte, i int) bool {
	n := 0
	for i-n-1 >= 0 && b[i-n-1] == '\\' {
		n++
	}
	return n%2 == 1
}

// urlAround returns the run without whitespace around offset i, for an
// error message.
func urlAround(b []byte, i int) []byte {
	from := bytes.LastIndexAny(b[:i], " \t\n") + 1
	to := len(b)
	if j := bytes.IndexAny(b[i:], " \t\n"); j >= 0 {
		to = i + j
	}
	return b[from:to]
}

// checkNeutral is Check for Neutralize's output, which also may not hold
// a suggestion block (on GitHub it is a change anyone can commit with one
// click, and only the app's own suggestions are checked to fit the lines
// they replace) or a block GitHub draws (isRenderedInfo).
func checkNeutral(s string) error {
	doc, b, err := check(s)
	if err != nil {
		return err
	}
	for _, sn := range snippets(doc, b) {
		if sn.Block && isSuggestionInfo(sn.Info) {
			return fmt.Errorf("a suggestion block")
		}
		if sn.Block && isRenderedInfo(sn.Info) {
			return fmt.Errorf("a %s block, which GitHub draws", sn.Info)
		}
	}
	return nil
}

// checkInline is Check for text placed inside a line.
func checkInline(s string) error {
	if strings.ContainsAny(s, "\n") {
		return fmt.Errorf("a line break in inline text")
	}
	if trailingEscape(s) {
		return fmt.Errorf("a backslash at the end escapes what follows")
	}
	if err := controlIn(s); err != nil {
		return err
	}
	doc, b := parse(inlinePrefix + s)
	if err := checkHTML(doc, b); err != nil {
		return err
	}
	if err := liveSource(doc, b); err != nil {
		return err
	}
	return blockAtLineStart(s)
}

// blockAtLineStart reports a block that s would open at the start of a
// list item, where the app also places inline text (see lineStart).
func blockAtLineStart(s string) error {
	var buf bytes.Buffer
	if err := gfm.Convert([]byte("- "+s), &buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	h := buf.String()
	for _, tag := range []string{"<h1", "<h2", "<h3", "<h4", "<h5", "<h6", "<blockquote", "<ol", "<hr", "<pre", "<table", "<input"} {
		if strings.Contains(h, tag) {
			return fmt.Errorf("at the start of a line it opens %s>", tag)
		}
	}
	if strings.Count(h, "<ul") != 1 || strings.Count(h, "<li") != 1 {
		return fmt.Errorf("at the start of a line it opens a list")
	}
	return nil
}

func controlIn(s string) error {
	for i, r := range s {
		if r == '\r' || isStripped(r) {
			return fmt.Errorf("control character %U at byte %d", r, i)
		}
	}
	return nil
}

// allowedTags are the elements markdown itself produces; any other tag
// came from raw HTML. img is left out on purpose: images become links.
var allowedTags = map[string]bool{
	"p": true, "br": true, "em": true, "strong": true, "del": true, "code": true, "pre": true,
	"a": true, "ul": true, "ol": true, "li": true, "blockquote": true, "hr": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
	"input": true, // task list check boxes
}

// Live patterns in rendered text outside code, as GitHub matches them
// (more broadly, to be safe).
var (
	liveMention = regexp.MustCompile(`@[A-Za-z0-9]`)
	liveIssue   = regexp.MustCompile(`#[0-9]`)
	liveGH      = regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_])gh-[0-9]`)
	liveRefURL  = regexp.MustCompile(`(?i)(https?://|www\.|^//)[^\s]*/(issues|pull|pulls|discussions|commit|commits)/`)
)

// liveText reports a live mention or reference in rendered text.
func liveText(t string) error {
	for _, re := range []*regexp.Regexp{liveMention, liveIssue, liveGH, liveRefURL} {
		if m := re.FindString(t); m != "" {
			return fmt.Errorf("live reference %q", m)
		}
	}
	words := strings.FieldsFunc(t, func(r rune) bool {
		return r >= 0x80 || !isAlnum(byte(r))
	})
	for _, w := range words {
		if len(w) >= 7 && len(w) <= 40 && strings.IndexFunc(w, func(r rune) bool { return r > 0x7f || !isHex(byte(r)) }) < 0 &&
			strings.ContainsAny(w, "0123456789") {
			return fmt.Errorf("live commit reference %q", w)
		}
	}
	return nil
}

// checkHTML renders doc, parsed from b, and inspects the HTML, as GitHub's filters do
// after rendering: text outside code and pre, and the tags.
func checkHTML(doc ast.Node, b []byte) error {
	var buf bytes.Buffer
	if err := gfm.Renderer().Render(&buf, b, doc); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	z := html.NewTokenizer(&buf)
	code := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil
		case html.CommentToken, html.DoctypeToken:
			return fmt.Errorf("raw HTML %q", z.Token().String())
		case html.TextToken:
			if code == 0 {
				if err := liveText(string(z.Text())); err != nil {
					return err
				}
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowedTags[tok.Data] || len(tok.Attr) > 0 && !allowedAttrs(tok) {
				return fmt.Errorf("raw HTML %q", tok.String())
			}
			if tok.Data == "code" || tok.Data == "pre" {
				switch tok.Type {
				case html.StartTagToken:
					code++
				case html.EndTagToken:
					code--
				}
			}
			if tok.Data == "a" && tok.Type != html.EndTagToken {
				href := ""
				for _, a := range tok.Attr {
					if a.Key == "href" {
						href = a.Val
					}
				}
				return fmt.Errorf("a link to %q", href)
			}
		}
	}
}

// allowedAttrs reports attributes markdown produces: a link's href and
// title, a code block's language class, a table cell's alignment and a
// task box's state.
func allowedAttrs(tok html.Token) bool {
	for _, a := range tok.Attr {
		switch {
		case tok.Data == "a" && (a.Key == "href" || a.Key == "title"):
		case tok.Data == "code" && a.Key == "class":
		case (tok.Data == "th" || tok.Data == "td") && (a.Key == "style" || a.Key == "align"):
		case tok.Data == "input" && (a.Key == "type" || a.Key == "checked" || a.Key == "disabled"):
		case tok.Data == "ol" && a.Key == "start":
		default:
			return false
		}
	}
	return true
}
