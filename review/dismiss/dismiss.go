// Package dismiss keeps findings that people dismissed from being
// reported again. A dismissed finding is known by the fingerprint it was
// posted with and by where its comment is now; a later review drops a
// finding with that fingerprint, and the same problem reported again at
// the moved lines in other words.
//
// The package knows nothing of GitHub: the app says what was dismissed
// (a resolved thread, a 👎, "@codex ignore") and the engine applies it.
package dismiss

import (
	"slices"
	"strings"
	"unicode"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/merge"
)

// MaxMove is how many lines apart a new finding may be from where a
// dismissed one's comment is now and still be taken for the same problem.
// Models cite a line or two off; a larger gap is another place.
const MaxMove = 3

// Entry is one dismissed finding.
type Entry struct {
	// Fingerprint is the fingerprint the finding was posted with.
	Fingerprint string
	// Path and Line are where its comment is now (Line 0 when unknown,
	// such as a comment whose lines changed): only the fingerprint then
	// matches.
	Path string
	Line int
	// Title is the title as posted, with or without its "[Pn]" tag.
	Title string
	// Category is the finding's area, when known.
	Category string
	// Priority is the priority it was posted at. A finding found again at
	// the moved lines matches only when it is no more urgent: dismissing
	// a P3 remark must not hide a P0 that the next push puts beside it.
	// Negative when unknown: only the fingerprint matches then.
	Priority finding.Priority
}

// Matches reports whether f, a finding with fingerprint fp, is the
// dismissed one: the same fingerprint, or in the same file within MaxMove
// lines of the comment, at the same or a lower priority, with the same
// category or a title that shares at least half the words of the longer of
// the two.
func (e Entry) Matches(f finding.Finding, fp string) bool {
	return e.prepare().matches(f, fp, nil)
}

// prepared is an Entry with its title's words, so that matching many
// findings splits the title once.
type prepared struct {
	Entry
	words map[string]bool
}

func (e Entry) prepare() prepared { return prepared{Entry: e, words: words(e.Title)} }

// matches is Matches; fWords are f's title words when the caller has them
// (nil: split here, when needed).
func (e prepared) matches(f finding.Finding, fp string, fWords map[string]bool) bool {
	if e.Fingerprint != "" && fp == e.Fingerprint {
		return true
	}
	loc := f.CodeLocation
	if e.Line <= 0 || e.Path == "" || loc.AbsoluteFilePath != e.Path {
		return false
	}
	start, end := loc.LineRange.Start, max(loc.LineRange.End, loc.LineRange.Start)
	if e.Line < start-MaxMove || e.Line > end+MaxMove {
		return false
	}
	// Near the dismissed one is not proof enough of being the same
	// problem to hide something more urgent.
	if e.Priority < 0 || finding.Priority(f.Priority) < e.Priority {
		return false
	}
	if e.Category != "" && strings.EqualFold(e.Category, f.Category) {
		return true
	}
	if fWords == nil {
		fWords = words(f.Title)
	}
	return similar(e.words, fWords)
}

// Filter returns the merged problems that no entry matches, and how many
// entries matched one. A problem matches when an entry has the fingerprint
// of any report merged into it (another pass may have found the dismissed
// finding under its own title), or when its finding matches the entry at
// the moved lines. A dismissed finding found again by two passes is one
// finding not repeated.
func Filter(problems []merge.Merged, entries []Entry) (kept []merge.Merged, dismissed int) {
	if len(entries) == 0 {
		return problems, 0
	}
	ents := make([]prepared, len(entries))
	for i, e := range entries {
		ents[i] = e.prepare()
	}
	hit := make([]bool, len(entries))
	kept = problems[:0:0]
	for _, m := range problems {
		fp, ws := merge.Fingerprint(m.Finding), words(m.Title)
		matched := false
		for i, e := range ents {
			if e.Fingerprint != "" && slices.Contains(m.Fingerprints, e.Fingerprint) || e.matches(m.Finding, fp, ws) {
				hit[i], matched = true, true
			}
		}
		if !matched {
			kept = append(kept, m)
		}
	}
	for _, h := range hit {
		if h {
			dismissed++
		}
	}
	return kept, dismissed
}

// words are a title's lower-case words of letters, without its "[Pn]"
// tags: digits and punctuation drift between runs.
func words(title string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(title), func(r rune) bool { return !unicode.IsLetter(r) }) {
		out[w] = true
	}
	// "[P1]" leaves a lone "p".
	delete(out, "p")
	return out
}

func similar(a, b map[string]bool) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	shared := 0
	for w := range a {
		if b[w] {
			shared++
		}
	}
	return 2*shared >= max(len(a), len(b))
}
