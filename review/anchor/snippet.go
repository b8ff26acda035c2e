package anchor

import (
	"strings"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// minQuote is the fewest non-space characters a quoted span needs to be
// used for relocation: shorter ones (`err`, `i`, `}`) match almost any
// line and would move a comment to a random place.
const minQuote = 4

// maxQuotes and maxQuoteLines bound the relocation search, whose cost is
// the file's hunk lines times the quoted lines: a finding quotes a line or
// two in practice, and a runaway answer must not stall the review.
const (
	maxQuotes     = 8
	maxQuoteLines = 20
)

// quote is code the model quoted: its trimmed, non-blank lines.
type quote []string

// quotes collects the code quoted in a finding's title and body: inline
// `code spans` and fenced blocks. Suggestion blocks, and any quote equal to
// the finding's suggestion, are replacement code that is not in the diff
// and are left out.
func quotes(f finding.Finding) []quote {
	sugg := squeeze(f.Suggestion)
	var qs []quote
	qs = appendQuotes(qs, f.Title, sugg)
	qs = appendQuotes(qs, f.Body, sugg)
	return qs[:min(len(qs), maxQuotes)]
}

// appendQuotes adds the code spans and code blocks of markdown text, as
// GitHub would render it (package markdown). In a "diff" block, removed
// lines are dropped and the markers of added and context lines stripped.
func appendQuotes(qs []quote, text, sugg string) []quote {
	for _, sn := range markdown.Snippets(text) {
		if !sn.Block {
			if q := (quote{strings.TrimSpace(sn.Code)}); useful(q, sugg) {
				qs = append(qs, q)
			}
			continue
		}
		info := ""
		if f := strings.Fields(sn.Info); len(f) > 0 {
			info = strings.ToLower(f[0])
		}
		if info == "suggestion" {
			continue
		}
		var block quote
		for _, line := range strings.Split(sn.Code, "\n") {
			if info == "diff" {
				// Removed lines are not in the new code; markers go.
				if strings.HasPrefix(line, "-") {
					continue
				}
				line = strings.TrimPrefix(strings.TrimPrefix(line, "+"), " ")
			}
			if t := strings.TrimSpace(line); t != "" {
				block = append(block, t)
			}
		}
		if useful(block, sugg) {
			qs = append(qs, block[:min(len(block), maxQuoteLines)])
		}
	}
	return qs
}

// useful reports whether a quote is long enough to locate code and is not
// the suggestion itself.
func useful(q quote, sugg string) bool {
	n := 0
	for _, l := range q {
		n += len(l) - strings.Count(l, " ") - strings.Count(l, "\t")
	}
	return n >= minQuote && (sugg == "" || strings.Join(q, " ") != sugg)
}

// squeeze joins the non-blank trimmed lines of s with single spaces, the
// form quotes are compared in. Lines end where markdown ends them (a lone
// CR included), as they do in the quotes.
func squeeze(s string) string {
	var parts []string
	for l := range strings.Lines(markdown.NormalizeNewlines(s)) {
		if t := strings.TrimSpace(l); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

// match is where a quote was found, in line numbers of one side.
type match struct {
	start, end int
	changed    bool // some matched line is a change, not context
	size       int  // lines in the quote
}

// better orders matches: changed code first (the review is about the
// change), then nearest to the model's line, then the longer quote, then
// the earlier line.
func (m match) better(o match, s int) bool {
	if m.changed != o.changed {
		return m.changed
	}
	if dm, do := absDiff(m.start, s), absDiff(o.start, s); dm != do {
		return dm < do
	}
	if m.size != o.size {
		return m.size > o.size
	}
	return m.start < o.start
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

// findSnippet searches the lines of every hunk on side for the quotes and
// returns the best match. A one-line quote matches a line containing it; a
// block matches consecutive non-blank lines of one hunk, each containing
// the block's line.
func findSnippet(file *diff.File, side diff.Side, qs []quote, s int) (match, bool) {
	var best match
	found := false
	for hi := range file.Hunks {
		ls := file.Hunks[hi].Lines
		for k := range ls {
			if !onSide(&ls[k], side) {
				continue
			}
			for _, q := range qs {
				m, ok := matchAt(ls, k, side, q)
				if ok && (!found || m.better(best, s)) {
					best, found = m, true
				}
			}
		}
	}
	return best, found
}

// matchAt tries quote q against the hunk lines from index k on, skipping
// lines of the other side and blank lines inside the match.
func matchAt(ls []diff.Line, k int, side diff.Side, q quote) (match, bool) {
	m := match{size: len(q)}
	j := 0
	for c := k; c < len(ls) && j < len(q); c++ {
		l := &ls[c]
		if !onSide(l, side) {
			continue
		}
		t := strings.TrimSpace(l.Content)
		if t == "" && j > 0 {
			continue
		}
		if !strings.Contains(t, q[j]) {
			return match{}, false
		}
		if j == 0 {
			m.start = number(l, side)
		}
		m.end = number(l, side)
		m.changed = m.changed || changed(l, side)
		j++
	}
	return m, j == len(q)
}

// maxExactShift bounds how far a commentable range is moved towards the
// code it quotes: farther than this, the quote more likely names some other
// place (a caller, a definition) than a miscounted line.
const maxExactShift = 5

// quotedWithin reports whether a line of s..e on side contains the first
// line of any quote.
func quotedWithin(file *diff.File, side diff.Side, qs []quote, s, e int) bool {
	for hi := range file.Hunks {
		for k := range file.Hunks[hi].Lines {
			l := &file.Hunks[hi].Lines[k]
			if !onSide(l, side) {
				continue
			}
			if n := number(l, side); n < s || n > e {
				continue
			}
			for _, q := range qs {
				if strings.Contains(strings.TrimSpace(l.Content), q[0]) {
					return true
				}
			}
		}
	}
	return false
}
