package render

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Finding text comes from the model, which reads PR content, so it is
// untrusted: it must not be able to hide text from readers or forge the
// hidden markers the app reads back. The rules below keep two properties:
//
//   - outside fenced code blocks, "<!--" and "-->" never appear in text we
//     did not write, so every HTML comment there is one of ours;
//   - every fence in untrusted text is closed before our own text follows,
//     so our markers are never swallowed by a code block.
//
// ParseMarkers skips fenced code blocks with the same line classifier,
// which is why code inside fences (suggestions above all) can stay verbatim.

// fence is an open fenced code block: its character and length.
type fence struct {
	char byte
	n    int
}

// openFence reports whether line opens a fenced code block in the CommonMark
// sense: at most three spaces of indentation, then three or more backticks
// or tildes; a backtick fence's info string may not contain a backtick.
func openFence(line string) (fence, bool) {
	rest, ok := fenceIndent(line)
	if !ok || rest == "" || (rest[0] != '`' && rest[0] != '~') {
		return fence{}, false
	}
	c := rest[0]
	n := run(rest, c)
	if n < 3 {
		return fence{}, false
	}
	if c == '`' && strings.IndexByte(rest[n:], '`') >= 0 {
		return fence{}, false
	}
	return fence{char: c, n: n}, true
}

// closedBy reports whether line closes f: at most three spaces of
// indentation, at least as many fence characters, then only blanks.
func (f fence) closedBy(line string) bool {
	rest, ok := fenceIndent(line)
	if !ok {
		return false
	}
	n := run(rest, f.char)
	return n >= f.n && strings.TrimRight(rest[n:], " \t\r") == ""
}

// closer is the line that closes f.
func (f fence) closer() string { return strings.Repeat(string(f.char), f.n) }

// fenceIndent strips up to three leading spaces; more is an indented code
// block, never a fence.
func fenceIndent(line string) (string, bool) {
	i := 0
	for i < len(line) && i < 4 && line[i] == ' ' {
		i++
	}
	if i > 3 {
		return "", false
	}
	return line[i:], true
}

// run counts how many times c repeats at the start of s.
func run(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// normalizeNewlines turns CRLF and lone CR into LF, so that every reader
// of the text (GitHub, ParseMarkers, the escaper) splits lines alike.
func normalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

var commentEscaper = strings.NewReplacer("<!--", "&lt;!--", "-->", "--&gt;")

// EscapeBlock makes untrusted multi-line markdown safe to embed in a review
// body: HTML comment delimiters outside fenced code blocks are turned into
// entities (so the text can neither hide what follows nor forge a marker)
// and a fence left open is closed. Code inside fences is kept verbatim.
// The app should pass untrusted text it puts into SummaryOptions.Extra
// (sandbox output, package names) through EscapeBlock or CodeBlock.
func EscapeBlock(s string) string {
	return scanBlock(normalizeNewlines(s), true)
}

// closeFences closes a fence left open at the end of trusted markdown
// without touching anything else.
func closeFences(s string) string {
	return scanBlock(normalizeNewlines(s), false)
}

// scanBlock walks s line by line, escaping comment delimiters outside
// fences when escape is set, and closes an unclosed fence at the end.
func scanBlock(s string, escape bool) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	var open fence
	inFence := false
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		if inFence {
			if open.closedBy(line) {
				inFence = false
			}
			b.WriteString(line)
			continue
		}
		if f, ok := openFence(line); ok {
			open, inFence = f, true
		}
		if escape {
			// The opening line's info string is escaped too: it is not code.
			line = commentEscaper.Replace(line)
		}
		b.WriteString(line)
	}
	if inFence {
		b.WriteByte('\n')
		b.WriteString(open.closer())
	}
	return b.String()
}

// escapeInline makes untrusted text safe on one line of markdown, including
// a table cell or a heading: line breaks become spaces, "|" is escaped and
// HTML comment delimiters are neutralised.
func escapeInline(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	return commentEscaper.Replace(s)
}

// CodeBlock wraps text in a fenced code block with the given info string
// (for example "suggestion" or "text"). The fence is longer than any
// backtick run in text, so the text cannot end the block early.
func CodeBlock(info, text string) string {
	f := fence{char: '`', n: max(3, longestRun(text, '`')+1)}
	var b strings.Builder
	b.Grow(len(text) + len(info) + 2*f.n + 2)
	b.WriteString(f.closer())
	// The info string must stay on the fence line and hold no backtick.
	b.WriteString(commentEscaper.Replace(strings.Join(strings.Fields(strings.ReplaceAll(info, "`", "")), " ")))
	b.WriteByte('\n')
	b.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString(f.closer())
	return b.String()
}

// codeSpan renders s as inline code, with a delimiter longer than any
// backtick run inside (padded with spaces where CommonMark needs them).
// Comment delimiters are escaped even here: GitHub would show them
// literally, but ParseMarkers does not parse code spans.
func codeSpan(s string) string {
	s = commentEscaper.Replace(strings.Join(strings.Fields(s), " "))
	if s == "" {
		return ""
	}
	d := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return d + s + d
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
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
// body, in order of first appearance and without duplicates. Markers inside
// fenced code blocks are ignored: finding text is escaped everywhere else,
// so a marker found outside a fence was written by this package.
func ParseMarkers(body, key string) []string {
	var out []string
	seen := map[string]bool{}
	var open fence
	inFence := false
	for _, line := range strings.Split(normalizeNewlines(body), "\n") {
		if inFence {
			if open.closedBy(line) {
				inFence = false
			}
			continue
		}
		if f, ok := openFence(line); ok {
			open, inFence = f, true
			continue
		}
		if !strings.Contains(line, "<!-- codex-review:") {
			continue
		}
		for _, m := range markerRE.FindAllStringSubmatch(line, -1) {
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
