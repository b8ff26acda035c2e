package repoconfig

import (
	"strings"
	"unicode/utf8"
)

// AgentsFileName is the file whose "Review guidelines" section is read.
const AgentsFileName = "AGENTS.md"

// MaxGuidelinesSize caps the guidelines taken from AGENTS.md. They go into
// every model request, so a long file would cost on every pass; 8 KiB is
// far more than a useful set of review rules needs.
const MaxGuidelinesSize = 8 << 10

// guidelinesTitle is the heading that marks the section, compared without
// regard to case.
const guidelinesTitle = "review guidelines"

// ReviewGuidelines returns the body of the first level-2 heading named
// "Review guidelines" (in any case, as "## Review guidelines", with
// optional closing #'s, or underlined with ---) up to the next heading of
// level 1 or 2, without surrounding blank lines. Headings inside fenced
// code blocks do not count. The result is capped at MaxGuidelinesSize,
// cut at a line boundary. It returns "" when there is no such section.
//
// This is a line scanner for the few Markdown rules that decide where a
// section starts and ends, not a full CommonMark parser.
func ReviewGuidelines(agentsMD string) string {
	lines := strings.Split(strings.ReplaceAll(agentsMD, "\r\n", "\n"), "\n")
	heads := headings(lines)
	for i, h := range heads {
		if h.level != 2 || !isGuidelinesTitle(h.text) {
			continue
		}
		end := len(lines)
		for _, next := range heads[i+1:] {
			if next.level <= 2 {
				end = next.first
				break
			}
		}
		return capText(strings.Join(trimBlankLines(lines[h.last+1:end]), "\n"), MaxGuidelinesSize)
	}
	return ""
}

// heading is an ATX ("## Title") or setext (a title underlined with === or
// ---) heading spanning lines first..last.
type heading struct {
	first, last int
	level       int
	text        string
}

// headings finds the headings of a Markdown document, skipping fenced code
// blocks. A setext underline only makes a heading below a paragraph; after
// a blank line, a list item or a quote, "---" is a thematic break.
func headings(lines []string) []heading {
	var (
		out   []heading
		fence string // the opening marker of the fenced block we are in
		para  = -1   // first line of the current paragraph, or -1
		other bool   // inside a list item or quote, until a blank line
	)
	for i, line := range lines {
		if fence != "" {
			if closesFence(line, fence) {
				fence = ""
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			para, other = -1, false
			continue
		}
		if f := openingFence(line); f != "" {
			fence, para, other = f, -1, false
			continue
		}
		if level, text, ok := atxHeading(line); ok {
			out = append(out, heading{first: i, last: i, level: level, text: text})
			para, other = -1, false
			continue
		}
		if para >= 0 {
			if level, ok := setextUnderline(line); ok {
				out = append(out, heading{first: para, last: i, level: level, text: joinTitle(lines[para:i])})
				para = -1
				continue
			}
		}
		if startsBlock(line) {
			para, other = -1, true
			continue
		}
		if para < 0 && !other && indentOf(line) < 4 {
			para = i
		}
	}
	return out
}

func isGuidelinesTitle(text string) bool {
	text = strings.TrimRight(text, "# \t")
	return strings.EqualFold(strings.Join(strings.Fields(text), " "), guidelinesTitle)
}

// indentOf counts leading columns, a tab taking the rest of four.
func indentOf(line string) int {
	n := 0
	for _, c := range line {
		switch c {
		case ' ':
			n++
		case '\t':
			n += 4 - n%4
		default:
			return n
		}
	}
	return n
}

// content returns line without its indentation, and false when the
// indentation is four columns or more (an indented code block).
func content(line string) (string, bool) {
	if indentOf(line) >= 4 {
		return "", false
	}
	return strings.TrimLeft(line, " \t"), true
}

// atxHeading parses "## Title ##" into its level and title.
func atxHeading(line string) (int, string, bool) {
	s, ok := content(line)
	if !ok {
		return 0, "", false
	}
	level := len(s) - len(strings.TrimLeft(s, "#"))
	if level == 0 || level > 6 {
		return 0, "", false
	}
	rest := s[level:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return 0, "", false // "#hashtag" is not a heading
	}
	rest = strings.Trim(rest, " \t")
	// A closing run of #'s counts only after a space, or as the whole rest.
	if t := strings.TrimRight(rest, "#"); t == "" {
		rest = ""
	} else if strings.HasSuffix(t, " ") || strings.HasSuffix(t, "\t") {
		rest = strings.TrimRight(t, " \t")
	}
	return level, rest, true
}

// setextUnderline reports a line of only '=' (level 1) or only '-' (level
// 2), allowing surrounding spaces.
func setextUnderline(line string) (int, bool) {
	s, ok := content(line)
	if !ok {
		return 0, false
	}
	s = strings.TrimRight(s, " \t")
	if s == "" || strings.Trim(s, s[:1]) != "" {
		return 0, false
	}
	switch s[0] {
	case '=':
		return 1, true
	case '-':
		return 2, true
	}
	return 0, false
}

// startsBlock reports a line that starts a list item, a quote or a
// thematic break rather than paragraph text.
func startsBlock(line string) bool {
	s, ok := content(line)
	if !ok || s == "" {
		return false
	}
	if s[0] == '>' || isThematicBreak(s) {
		return true
	}
	followedBySpace := func(i int) bool { return i == len(s) || s[i] == ' ' || s[i] == '\t' }
	switch s[0] {
	case '-', '*', '+':
		return followedBySpace(1)
	}
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	return digits > 0 && digits <= 9 && digits < len(s) && (s[digits] == '.' || s[digits] == ')') && followedBySpace(digits+1)
}

// isThematicBreak reports three or more of one of -, * or _, with only
// spaces between.
func isThematicBreak(s string) bool {
	c := s[0]
	if c != '-' && c != '*' && c != '_' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case c:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

// openingFence returns the marker (``` or ~~~, or longer) that opens a
// fenced code block on line, or "".
func openingFence(line string) string {
	s, ok := content(line)
	if !ok || s == "" || (s[0] != '`' && s[0] != '~') {
		return ""
	}
	n := len(s) - len(strings.TrimLeft(s, s[:1]))
	if n < 3 {
		return ""
	}
	// A backtick fence's info string cannot hold a backtick; such a line
	// is inline code, not a fence.
	if s[0] == '`' && strings.Contains(s[n:], "`") {
		return ""
	}
	return s[:n]
}

// closesFence reports a line that closes the block opened by fence: the
// same character, at least as many times, and nothing else.
func closesFence(line, fence string) bool {
	s, ok := content(line)
	if !ok || s == "" || s[0] != fence[0] {
		return false
	}
	n := len(s) - len(strings.TrimLeft(s, fence[:1]))
	return n >= len(fence) && strings.TrimSpace(s[n:]) == ""
}

func joinTitle(lines []string) string {
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = strings.TrimSpace(l)
	}
	return strings.Join(parts, " ")
}

func trimBlankLines(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// capText shortens s to at most limit bytes, at the end of the last whole
// line that fits; a first line longer than the limit is cut at a character
// boundary instead, so that something is kept.
func capText(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	if i := strings.LastIndexByte(s[:limit+1], '\n'); i > 0 {
		return strings.TrimRight(s[:i], " \t\n")
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
