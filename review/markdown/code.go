package markdown

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CodeBlock shows text as a fenced code block with the info string info
// ("suggestion", "text", or ""). The fence is longer than any backtick run
// in text, so the text cannot end the block early; the info string is put
// on one fence line without backticks or control characters. text is kept
// byte for byte (a suggestion for a CRLF file keeps its CRLF): text that
// may hold control characters is passed through StripControl first. The
// result ends with the closing fence, without a line end. This is the one
// way the project fences text it did not write, for GitHub, a terminal or
// a prompt.
func CodeBlock(info, text string) string {
	info = strings.Join(strings.Fields(strings.ReplaceAll(StripControl(info), "`", "")), " ")
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	var b strings.Builder
	b.Grow(len(text) + len(info) + 2*len(fence) + 2)
	b.WriteString(fence)
	b.WriteString(info)
	b.WriteByte('\n')
	b.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString(fence)
	return b.String()
}

// CodeSpan shows s as inline code on one line: control characters are
// removed (StripControl), runs of whitespace become one space, and the
// delimiter is longer than any backtick run inside (padded with spaces
// where CommonMark needs them). "" stays "".
func CodeSpan(s string) string {
	s = strings.Join(strings.Fields(StripControl(s)), " ")
	if s == "" {
		return ""
	}
	d := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return d + s + d
}

// NormalizeNewlines turns CRLF and a lone CR into LF, which keeps the line
// count (each line end stays one line end) and lets every reader of the
// text (GitHub, a terminal, this package) split lines alike.
func NormalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
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

// linkTargetEscaper percent-encodes what would end a link destination
// early or open HTML.
var linkTargetEscaper = strings.NewReplacer(
	" ", "%20", "\t", "%09", "\n", "%0A", "\r", "%0D",
	"(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "`", "%60", `"`, "%22",
)

// LinkTarget makes a URL or path safe as the destination of a markdown
// link, "[label](LinkTarget(u))": blanks, line ends, parentheses, angle
// brackets, backticks and quotes are percent-encoded, so the link cannot
// end early, open HTML or start a title. Control and bidirectional
// characters and invalid UTF-8 (a file name in a pull request may hold
// any byte but NUL) are percent-encoded too: the posted body holds none
// of them, and the URL still names the same bytes.
func LinkTarget(u string) string {
	u = linkTargetEscaper.Replace(u)
	if !needsByteEscape(u) {
		return u
	}
	var b strings.Builder
	b.Grow(len(u) + 8)
	for i := 0; i < len(u); {
		r, n := utf8.DecodeRuneInString(u[i:])
		if (r == utf8.RuneError && n == 1) || isStripped(r) {
			for _, c := range []byte(u[i : i+n]) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		} else {
			b.WriteString(u[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsByteEscape reports whether s holds invalid UTF-8 or a character
// StripControl would remove.
func needsByteEscape(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if isStripped(r) {
			return true
		}
	}
	return false
}
