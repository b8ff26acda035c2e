package command

import (
	"strings"
	"unicode"

	"github.com/codex-review/codex-review/review/finding"
)

// areaWords maps the words a comment may use for a focus area.
var areaWords = map[string]finding.Area{
	"security":        finding.Security,
	"sec":             finding.Security,
	"secure":          finding.Security,
	"vuln":            finding.Security,
	"vulns":           finding.Security,
	"vulnerability":   finding.Security,
	"vulnerabilities": finding.Security,
	"bugs":            finding.Bugs,
	"bug":             finding.Bugs,
	"correctness":     finding.Bugs,
	"performance":     finding.Performance,
	"perf":            finding.Performance,
	"dependencies":    finding.Dependencies,
	"dependency":      finding.Dependencies,
	"deps":            finding.Dependencies,
	"dep":             finding.Dependencies,
	"tests":           finding.Tests,
	"test":            finding.Tests,
	"testing":         finding.Tests,
}

// fillerWords carry no meaning of their own next to area names: a line of
// only areas and these ("for security and perf only, please") selects areas
// without adding instructions. Anything not listed here is meaning the model
// should see.
var fillerWords = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "or": true, "plus": true,
	"also": true, "for": true, "of": true, "on": true, "in": true, "with": true,
	"this": true, "that": true, "it": true, "pr": true, "pull": true, "request": true,
	"change": true, "changes": true, "diff": true, "code": true,
	"please": true, "pls": true, "plz": true, "thanks": true, "thank": true, "you": true,
	"only": true, "just": true, "again": true, "now": true,
	"focus": true, "focused": true, "focusing": true,
	"area": true, "areas": true, "issue": true, "issues": true, "problem": true, "problems": true,
}

// negationWords turn a following area name into something to avoid ("skip
// perf"), which area selection cannot express. Words ending in "n't" count
// too.
var negationWords = map[string]bool{
	"not": true, "no": true, "dont": true, "without": true, "skip": true, "skipping": true,
	"ignore": true, "ignoring": true, "except": true, "excluding": true, "exclude": true,
	"never": true, "nor": true, "avoid": true, "besides": true,
}

// review builds the Review command from the text after the verb; the rules
// are documented on Parse.
func review(tail string) Command {
	text := strings.TrimLeftFunc(tail, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(":,;.!?-–—", r)
	})
	text = strings.TrimRightFunc(text, unicode.IsSpace)
	// "again" asks for a fresh review; as the first word it is not part
	// of the instructions ("@codex review again for the cache").
	fresh := false
	if first, rest, _ := strings.Cut(text, " "); strings.EqualFold(trimPunct(first), "again") {
		fresh, text = true, strings.TrimLeftFunc(rest, unicode.IsSpace)
	}

	var (
		named    = map[finding.Area]bool{}
		negated  bool // a negation word has been seen
		cancel   bool // an area was named after a negation
		freeText bool // a word that is neither area nor filler
	)
	for _, f := range strings.FieldsFunc(text, isSeparator) {
		w := strings.ToLower(strings.ReplaceAll(trimPunct(f), "’", "'"))
		if w == "" {
			continue
		}
		if w == "again" {
			fresh = true
		}
		if a, ok := areaWords[w]; ok {
			named[a] = true
			cancel = cancel || negated
			continue
		}
		if fillerWords[w] {
			continue
		}
		freeText = true
		if negationWords[w] || strings.HasSuffix(w, "n't") {
			negated = true
		}
	}

	cmd := Command{Kind: Review, Fresh: fresh}
	if !cancel {
		for _, a := range finding.Areas {
			if named[a] {
				cmd.Areas = append(cmd.Areas, a)
			}
		}
	}
	if freeText {
		cmd.Instructions = truncateRunes(strings.ToValidUTF8(text, "\uFFFD"), MaxInstructions)
	}
	return cmd
}

// isSeparator splits the words of a command line: whitespace and the
// punctuation people put between area names ("security,perf",
// "security/perf", "bugs & tests").
func isSeparator(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(",;/+&|:", r)
}

// trimPunct drops quotes, brackets and sentence punctuation around a word,
// keeping inner apostrophes ("don't").
func trimPunct(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
}
