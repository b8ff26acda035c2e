package command

import (
	"strings"
	"unicode"
)

// nextLine splits off the first line of s. "\n", "\r\n" and a lone "\r" all
// end a line, so comments typed on any platform number their lines alike.
func nextLine(s string) (line, rest string) {
	i := strings.IndexAny(s, "\r\n")
	if i < 0 {
		return s, ""
	}
	if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
		return s[:i], s[i+2:]
	}
	return s[:i], s[i+1:]
}

// blockScanner follows the markdown blocks whose lines a reader does not
// see as something said to the app: fenced code and HTML comment blocks. It
// follows CommonMark closely enough for comments, erring towards "not a
// command": a fence is recognised at any indentation, so a command pasted
// as an example inside a list item's code block does not start a review.
// Quoted lines need no state: they start with ">", so they can neither hold
// a command nor open a block here (a fence opened inside a quote ends with
// the quote).
type blockScanner struct {
	fence     byte // '`' or '~' while inside a fenced block, else 0
	fenceLen  int  // length of the opening fence
	inComment bool // inside an HTML comment block
}

// visible feeds the next line to the scanner and returns it without leading
// whitespace when it may hold a command.
func (s *blockScanner) visible(line string) (string, bool) {
	t := strings.TrimLeftFunc(line, unicode.IsSpace)
	switch {
	case s.inComment:
		s.inComment = !strings.Contains(line, "-->")
		return "", false
	case s.fence != 0:
		if closesFence(t, s.fence, s.fenceLen) {
			s.fence, s.fenceLen = 0, 0
		}
		return "", false
	}
	if c, n, ok := opensFence(t); ok {
		s.fence, s.fenceLen = c, n
		return "", false
	}
	if rest, ok := strings.CutPrefix(t, "<!--"); ok {
		s.inComment = !strings.Contains(rest, "-->")
		return "", false
	}
	return t, true
}

// opensFence reports whether t (without its indentation) opens a fenced
// code block: three or more backticks or tildes. A backtick fence's info
// string cannot hold a backtick; "```x```" is inline code, not a fence.
func opensFence(t string) (c byte, n int, ok bool) {
	if t == "" || (t[0] != '`' && t[0] != '~') {
		return 0, 0, false
	}
	c = t[0]
	for n < len(t) && t[n] == c {
		n++
	}
	if n < 3 || (c == '`' && strings.IndexByte(t[n:], '`') >= 0) {
		return 0, 0, false
	}
	return c, n, true
}

// closesFence reports whether t closes a fence of n characters c: a run of
// at least n of them and nothing else but whitespace.
func closesFence(t string, c byte, n int) bool {
	i := 0
	for i < len(t) && t[i] == c {
		i++
	}
	return i >= n && strings.TrimSpace(t[i:]) == ""
}
