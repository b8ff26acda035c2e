package merge

import (
	"slices"
	"strings"
	"unicode"

	"github.com/codex-review/codex-review/review/finding"
)

// maxFoldedBody bounds a merged body (in bytes): the kept finding's own
// body is never cut, and other passes' sentences are added while they fit.
// An inline comment should stay one short read.
const maxFoldedBody = 1500

// minNewWords is the share of a sentence's words that must be new to the
// text so far for the sentence to count as distinct content.
const minNewWords = 0.4

// Merged is one problem as reported by one or more passes: the best
// report, with what the others added.
type Merged struct {
	finding.Finding
	// Areas names every area that reported the problem, the finding's own
	// category first, then the others in rank order.
	Areas []finding.Area
	// Fingerprints are the fingerprints of every report merged into this
	// one, its own first: a later review that finds the problem under
	// another pass's title still recognises it.
	Fingerprints []string
}

// fold merges the reports of one problem. group is in rank order, so its
// first member has the highest priority and, among those, the highest
// confidence; it gives the title, location and suggestion. The result has
// the highest priority and the highest confidence of the group, and the
// first body followed by the sentences of the others that say something
// the text so far does not.
func fold(group []*candidate) Merged {
	base := group[0]
	m := Merged{Finding: base.f, Areas: []finding.Area{finding.Area(base.f.Category)}, Fingerprints: []string{base.fp}}
	if len(group) == 1 {
		return m
	}
	body := strings.TrimSpace(base.f.Body)
	seen := wordSet(body + " " + base.f.Title)
	var added []string
	size := len(body)
	for _, c := range group[1:] {
		if a := finding.Area(c.f.Category); !slices.Contains(m.Areas, a) {
			m.Areas = append(m.Areas, a)
		}
		if !slices.Contains(m.Fingerprints, c.fp) {
			m.Fingerprints = append(m.Fingerprints, c.fp)
		}
		m.Priority = min(m.Priority, c.f.Priority)
		m.ConfidenceScore = max(m.ConfidenceScore, c.f.ConfidenceScore)
		if m.Suggestion == "" && c.f.Suggestion != "" && c.f.CodeLocation == m.CodeLocation {
			m.Suggestion = c.f.Suggestion
		}
		for _, s := range sentences(withoutFences(c.f.Body)) {
			s = strings.Join(strings.Fields(s), " ")
			ws := wordList(s)
			if len(ws) == 0 || !distinct(ws, seen) {
				continue
			}
			if size+2+len(s) > maxFoldedBody {
				break
			}
			for _, w := range ws {
				seen[w] = true
			}
			added = append(added, s)
			size += 1 + len(s)
		}
	}
	if len(added) > 0 {
		if body != "" {
			body += "\n\n"
		}
		body += strings.Join(added, " ")
	}
	m.Body = body
	return m
}

// distinct reports whether enough of a sentence's words are new.
func distinct(words []string, seen map[string]bool) bool {
	fresh := 0
	for _, w := range words {
		if !seen[w] {
			fresh++
		}
	}
	return float64(fresh) >= minNewWords*float64(len(words))
}

// wordList returns the lower-case words of s (letters and digits), without
// the short function words that every sentence shares.
func wordList(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) > 2 && !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range wordList(s) {
		m[w] = true
	}
	return m
}

var stopWords = map[string]bool{
	"the": true, "and": true, "that": true, "this": true, "with": true, "for": true, "are": true,
	"was": true, "not": true, "but": true, "its": true, "into": true, "from": true, "than": true,
	"then": true, "when": true, "which": true, "will": true, "can": true, "has": true, "have": true,
	"also": true, "any": true, "all": true, "one": true, "there": true, "their": true, "they": true,
}

// withoutFences drops fenced code blocks from a body: cut into sentences,
// a block would lose its fences, and the kept report already points at
// the code.
func withoutFences(body string) string {
	var b strings.Builder
	fence := ""
	for line := range strings.Lines(body) {
		t := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				fence = ""
			}
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			n := len(t) - len(strings.TrimLeft(t, t[:1]))
			fence = t[:n]
		default:
			b.WriteString(line)
		}
	}
	return b.String()
}
