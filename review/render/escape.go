package render

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review/markdown"
)

// Finding text comes from the model, which reads PR content, so it is
// untrusted: it must not be able to notify people, link other issues, hide
// text from readers or forge the hidden markers the app reads back. Every
// piece of it goes through markdown.Neutralize (blocks) or escapeInline
// (one line), which show raw HTML as text, so that every HTML comment in a
// posted body is one this package wrote; ParseMarkers reads only what
// GitHub would parse as HTML, never text in code.

var commentEscaper = strings.NewReplacer("<!--", "&lt;!--", "-->", "--&gt;")

// EscapeBlock makes untrusted multi-line markdown safe to embed in a
// review body; it is markdown.Neutralize (see there for what it does).
// Untrusted text in a summary's sections (test output, package names)
// goes through EscapeBlock, CodeBlock or codeSpan.
func EscapeBlock(s string) string { return markdown.Neutralize(s) }

// closeFences closes a fence left open at the end of trusted markdown
// without touching anything else.
func closeFences(s string) string { return markdown.CloseFence(s) }

// escapeInline makes untrusted text safe on one line of markdown, including
// a table cell or a heading: it is neutralised (markdown.NeutralizeInline:
// one line, mentions and references inert, HTML shown as text) and "|" is
// escaped.
func escapeInline(s string) string {
	return strings.ReplaceAll(markdown.NeutralizeInline(s), "|", `\|`)
}

// escapeStars escapes every "*" of s, one line of neutralised markdown,
// outside its code spans. A title is wrapped in the app's own "**…**",
// and a lone "*" in it ("a *b") would take that bold's delimiters for its
// own emphasis: the heading would render unbolded with an asterisk shown.
// Emphasis inside a title is not worth that risk; its words stay. Code
// spans follow CommonMark: a run of n backticks up to the next run of
// exactly n; a backslash outside them escapes the next byte.
func escapeStars(s string) string {
	if !strings.Contains(s, "*") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i += 2
		case c == '`':
			n := runOf(s, i, '`')
			end := closingRun(s, i+n, n)
			if end < 0 {
				b.WriteString(s[i : i+n]) // no closer: literal backticks
				i += n
				continue
			}
			b.WriteString(s[i : end+n])
			i = end + n
		case c == '*':
			b.WriteString(`\*`)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// runOf counts the bytes equal to c from s[i].
func runOf(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// closingRun finds, from s[i], the start of the next run of exactly n
// backticks, or -1.
func closingRun(s string, i, n int) int {
	for i < len(s) {
		j := strings.IndexByte(s[i:], '`')
		if j < 0 {
			return -1
		}
		i += j
		m := runOf(s, i, '`')
		if m == n {
			return i
		}
		i += m
	}
	return -1
}

// oneLine puts the app's own text on one line of markdown: line breaks
// become spaces, "|" is escaped and comment delimiters are neutralised.
// Text from the model or the pull request goes through escapeInline.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	return commentEscaper.Replace(s)
}

// CodeBlock wraps text in a fenced code block with the given info string
// (for example "suggestion" or "text"): markdown.CodeBlock.
func CodeBlock(info, text string) string { return markdown.CodeBlock(info, text) }

// codeSpan renders s as inline code (markdown.CodeSpan). Comment
// delimiters are escaped even here: a code span placed on a line that
// opens an HTML block (<details>, <summary>) is not parsed as code, and a
// "<!--" there would open a real comment.
func codeSpan(s string) string {
	return markdown.CodeSpan(commentEscaper.Replace(markdown.StripControl(s)))
}

// truncate cuts s to at most n runes, preferring a word boundary, and marks
// the cut with an ellipsis. n <= 0 means no limit.
func truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if n == 0 {
			cut = i
			break
		}
		n--
	}
	t := s[:cut]
	// Back up to a space if one is reasonably close, so words stay whole.
	if j := strings.LastIndexAny(t, " \n\t"); j > len(t)*3/4 {
		t = t[:j]
	}
	return strings.TrimRight(t, " \n\t") + "…"
}

// Marker names: lower-case letters and dashes. Values: a conservative set
// that survives GitHub's markdown untouched and cannot end the comment.
var (
	markerKeyRE   = regexp.MustCompile(`^[a-z][a-z-]*$`)
	markerValueRE = regexp.MustCompile(`^[A-Za-z0-9._:+/=,-]+$`)
	markerRE      = regexp.MustCompile(`<!-- codex-review:([a-z][a-z-]*)=([A-Za-z0-9._:+/=,-]+) -->`)
)

// Marker renders a hidden marker "<!-- codex-review:key=value -->". It
// returns "" when key is not lower-case letters and dashes or value is empty
// or holds characters outside letters, digits and ._:+/=,- (base64 and hex
// fit), because such a marker could not be read back reliably.
func Marker(key, value string) string {
	if !markerKeyRE.MatchString(key) || !markerValueRE.MatchString(value) {
		return ""
	}
	return "<!-- codex-review:" + key + "=" + value + " -->"
}

// ParseMarkers returns the values of the markers named key in a comment
// body, in order of first appearance and without duplicates. Only what
// GitHub parses as HTML counts: finding text is neutralised, so its HTML
// is shown as text, and text in code is not HTML; a marker found this way
// was written by this package.
func ParseMarkers(body, key string) []string {
	if !strings.Contains(body, "<!-- codex-review:") {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, h := range markdown.RawHTML(body) {
		for _, m := range markerRE.FindAllStringSubmatch(h, -1) {
			if m[1] == key && !seen[m[2]] {
				seen[m[2]] = true
				out = append(out, m[2])
			}
		}
	}
	return out
}

// fingerprintKey names the marker that carries a finding's fingerprint.
const fingerprintKey = "fingerprint"

// FingerprintMarker renders the hidden marker that identifies a posted
// finding, "<!-- codex-review:fingerprint=<fp> -->", or "" when fp cannot
// be carried (see Marker).
func FingerprintMarker(fp string) string { return Marker(fingerprintKey, fp) }

// ParseFingerprints returns the fingerprints marked in a posted comment or
// review body, in order and without duplicates.
func ParseFingerprints(body string) []string { return ParseMarkers(body, fingerprintKey) }
