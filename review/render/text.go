package render

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// TextOptions controls the terminal rendering.
type TextOptions struct {
	// Color adds ANSI colours. Set it only when writing to a terminal.
	Color bool
}

// textWidth is the column at which explanations are wrapped.
const textWidth = 80

// textIndent indents everything that belongs to a finding under its
// header line.
const textIndent = "    "

// ANSI styles used when TextOptions.Color is set.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiCyan   = "\x1b[36m"
)

// Text writes the review for a terminal: one block per finding ("P1
// security  path/to/file.go:10-12  Title", the wrapped explanation and the
// suggestion), then the verdict, notes on what is not shown, failed
// passes, coverage and usage. Control characters in the model's text are
// dropped, so a finding cannot drive the terminal.
func Text(w io.Writer, r *review.Result, opt TextOptions) error {
	if r == nil {
		r = &review.Result{}
	}
	t := textWriter{color: opt.Color}
	findings := r.Findings
	for _, f := range findings {
		t.finding(f)
		t.b.WriteByte('\n')
	}
	if len(findings) == 0 {
		t.line(t.style(ansiBold, "No findings at or above the priority threshold."))
	} else {
		t.line(t.style(ansiBold, "Verdict:") + " " + clean(verdict(r.Verdict)))
		t.wrap(clean(strings.TrimSpace(r.Verdict.Explanation)), textIndent, textIndent)
	}
	for _, n := range omissionNotes(r, false) {
		t.line(t.style(ansiDim, n))
	}
	if len(r.Failures) > 0 {
		t.line(t.style(ansiYellow, fmt.Sprintf("Incomplete review: %s failed:",
			plural(len(r.Failures), "pass", "passes"))))
		for _, f := range r.Failures {
			t.line(textIndent + "- " + strings.Join(strings.Fields(clean(f)), " "))
		}
	}
	plain := func(s string) string { return strings.Join(strings.Fields(clean(s)), " ") }
	t.dependencies(r.Dependencies, plain)
	t.wrap(t.style(ansiBold, "Coverage:")+" "+coverageLine(r.Coverage, plain, plain), "", textIndent)
	if f := focusList(r.Focus, r.Coverage); f != "" {
		t.line(t.style(ansiBold, "Passes:") + " " + plain(f))
	}
	if u := usageLine(r.Usage, plain); u != "" {
		t.wrap(t.style(ansiBold, "Usage:")+" "+u, "", textIndent)
	}
	if _, err := io.WriteString(w, t.b.String()); err != nil {
		return fmt.Errorf("write text review: %w", err)
	}
	return nil
}

type textWriter struct {
	b     strings.Builder
	color bool
}

func (t *textWriter) style(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) line(s string) {
	t.b.WriteString(s)
	t.b.WriteByte('\n')
}

// priorityColor marks the urgent priorities in red, the others quieter.
func priorityColor(p int) string {
	switch finding.Priority(p) {
	case finding.P0:
		return ansiBold + ansiRed
	case finding.P1:
		return ansiRed
	case finding.P2:
		return ansiYellow
	default:
		return ansiCyan
	}
}

func (t *textWriter) finding(f review.Reviewed) {
	path, start, end, _ := location(f)
	head := []string{
		t.style(priorityColor(f.Priority), finding.Priority(f.Priority).String()) + " " +
			t.style(ansiDim, clean(areasOf(f))),
	}
	if path != "" {
		head = append(head, t.style(ansiBlue, clean(locationLabel(path, start, end))))
	}
	head = append(head, t.style(ansiBold, clean(plainTitle(f.Title))))
	t.line(strings.Join(head, "  "))
	t.wrap(clean(strings.TrimSpace(markdown.NormalizeNewlines(f.Body))), textIndent, textIndent)
	if s := strings.TrimRight(markdown.NormalizeNewlines(f.Suggestion), "\n"); strings.TrimSpace(s) != "" {
		t.line("")
		t.line(textIndent + t.style(ansiDim, "Suggestion:"))
		for _, l := range strings.Split(clean(s), "\n") {
			t.line(strings.TrimRight(textIndent+textIndent+t.style(ansiGreen, l), " "))
		}
	}
}

// wrap writes text wrapped at textWidth, each line starting with indent
// and continuing with cont. Lines of code blocks and lines that
// start with blanks (code, nested lists) are kept as they are; wrapping
// them would change their meaning. Words are measured in runes, including
// any colour codes, which only makes colour lines wrap a little early.
func (t *textWriter) wrap(text, indent, cont string) {
	if text == "" {
		return
	}
	for _, l := range markdown.Lines(text) {
		line := l.Raw
		if l.Kind == markdown.Code || line == "" || line[0] == ' ' || line[0] == '\t' {
			t.line(strings.TrimRight(indent+line, " \t"))
			continue
		}
		t.b.WriteString(indent)
		col := len(indent)
		for i, word := range strings.Fields(line) {
			n := utf8.RuneCountInString(word)
			if i > 0 && col+1+n > textWidth {
				t.b.WriteString("\n" + cont)
				col = len(cont)
			} else if i > 0 {
				t.b.WriteByte(' ')
				col++
			}
			t.b.WriteString(word)
			col += n
		}
		t.b.WriteByte('\n')
	}
}

// clean drops control characters other than newline and tab, so model
// text cannot move the cursor, change colours or retitle the terminal, and
// bidirectional controls, which can make text read differently from what
// it is.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

// dependencies lists the computed dependency changes, one per line, with
// their advisories, then the notes.
func (t *textWriter) dependencies(rep *deps.Report, plain func(string) string) {
	if rep == nil || (len(rep.Changes) == 0 && len(rep.Notes) == 0) {
		return
	}
	t.line(t.style(ansiBold, "Dependency changes:"))
	for _, c := range rep.Changes {
		version := c.Versions(func(s string) string { return s }, " -> ")
		line := fmt.Sprintf("%s %s %s %s, %s, %s:%d", c.Change, c.Ecosystem, c.Name, version, c.Reach(), c.Path, c.Line)
		if len(c.Flags) > 0 {
			line += " (" + strings.Join(c.Flags, ", ") + ")"
		}
		line = plain(line)
		if len(c.Vulnerabilities) > 0 {
			var ids []string
			for _, v := range c.Vulnerabilities {
				id := v.ID + " " + v.Severity
				if v.Fixed != "" {
					id += ", fixed in " + v.Fixed
				}
				ids = append(ids, plain(id))
			}
			line += " " + t.style(ansiRed, "vulnerable: "+strings.Join(ids, "; "))
		}
		t.line(textIndent + line)
	}
	if rep.NotChecked != "" {
		t.line(textIndent + t.style(ansiYellow, "Vulnerabilities not checked: "+plain(rep.NotChecked)))
	}
	for _, n := range rep.Notes {
		t.line(textIndent + plain(n))
	}
}
