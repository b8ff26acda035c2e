package repoconfig

import (
	"strings"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review/markdown"
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

// ReviewGuidelines returns the body of the first top-level, level-2
// heading named "Review guidelines" (in any case, as "## Review
// guidelines", with optional closing #'s, or underlined with ---) up to the
// next heading of level 1 or 2, without surrounding blank lines. The
// document is read as GitHub renders it (package markdown), so headings in
// code blocks, quotes and lists do not count. The result is capped at
// MaxGuidelinesSize, cut at a line boundary. It returns "" when there is no
// such section.
func ReviewGuidelines(agentsMD string) string {
	// Split as markdown.Headings does, so that its line numbers index lines.
	lines := strings.Split(markdown.NormalizeNewlines(agentsMD), "\n")
	heads := markdown.Headings(agentsMD)
	for i, h := range heads {
		if h.Level != 2 || !isGuidelinesTitle(h.Text) {
			continue
		}
		end := len(lines)
		for _, next := range heads[i+1:] {
			if next.Level <= 2 {
				end = next.First
				break
			}
		}
		return capText(strings.Join(trimBlankLines(lines[min(h.Last+1, end):end]), "\n"), MaxGuidelinesSize)
	}
	return ""
}

func isGuidelinesTitle(text string) bool {
	text = strings.TrimRight(text, "# \t")
	return strings.EqualFold(strings.Join(strings.Fields(text), " "), guidelinesTitle)
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
