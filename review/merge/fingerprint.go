package merge

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"github.com/codex-review/codex-review/review/finding"
)

// Fingerprint is a short, stable id of what a finding is: 16 hex digits of
// the SHA-256 of its path, its category and its normalised title.
//
// The line range, body, priority, confidence and suggestion are left out on
// purpose. An incremental review must recognise an issue it already posted
// after later pushes shifted the lines, and the model rewords bodies and
// re-rates priorities from run to run; the title is the model's one-line
// name of the issue and is the most stable part of its answer. The title is
// reduced to lower-case words of letters only (the "[Pn]" prefix, digits
// and punctuation become separators) because titles often carry line
// numbers or counts that drift with the code. Two different issues in the
// same file have different titles, and so different fingerprints.
func Fingerprint(f finding.Finding) string {
	h := sha256.New()
	h.Write([]byte(f.CodeLocation.AbsoluteFilePath))
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(strings.TrimSpace(f.Category))))
	h.Write([]byte{0})
	h.Write([]byte(titleKey(f.Title)))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// titleKey reduces a title to its words: no priority tag, lower case,
// letters only, single spaces.
func titleKey(title string) string {
	return strings.Join(titleWords(title), " ")
}

// titleWords splits a title into lower-case runs of letters, after dropping
// its "[Pn]" tags.
func titleWords(title string) []string {
	rest, _, _ := stripPriorityPrefixes(title)
	return strings.FieldsFunc(strings.ToLower(rest), func(r rune) bool { return !unicode.IsLetter(r) })
}
