package render

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/humanize"
)

// priorityTag matches a leading "[P1]" the model may already have put in
// the title; the priority field is authoritative, so the tag is replaced.
var priorityTag = regexp.MustCompile(`^(?i:\s*\[\s*p[0-9]\s*\]\s*)+`)

// plainTitle is the title on one line, without a leading priority tag.
func plainTitle(title string) string {
	t := strings.Join(strings.Fields(title), " ")
	t = strings.TrimSpace(priorityTag.ReplaceAllString(t, ""))
	if t == "" {
		return "Untitled finding"
	}
	return t
}

// areaOf names the area of a finding: the engine's area, else the model's
// category, else "general".
func areaOf(r review.Reviewed) string {
	if r.Area != "" {
		return string(r.Area)
	}
	if c := strings.ToLower(strings.Join(strings.Fields(r.Category), "-")); c != "" {
		return c
	}
	return "general"
}

// areasOf names every area that reported a finding, "bugs + security",
// for people: a problem several passes found is one comment that says so.
func areasOf(r review.Reviewed) string {
	names := []string{areaOf(r)}
	for _, a := range r.Areas {
		if s := string(a); s != "" && !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	return strings.Join(names, " + ")
}

// areaRank orders areas as finding.Areas does, unknown ones after.
func areaRank(a string) int {
	if i := slices.Index(finding.Areas, finding.Area(a)); i >= 0 {
		return i
	}
	return len(finding.Areas)
}

// sortAreas orders area names for display: known areas in their usual
// order, then the others alphabetically.
func sortAreas(areas []string) {
	slices.SortFunc(areas, func(a, b string) int {
		if ra, rb := areaRank(a), areaRank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
}

// location is where a finding points, for people and tools: the placement
// when it is inline (it was checked against the diff), otherwise the
// model's own range. start and end are 0 when no line is known.
func location(r review.Reviewed) (path string, start, end int, side diff.Side) {
	p := r.Placement
	path = p.Path
	if p.Inline {
		start, end, side = p.StartLine, p.Line, p.Side
		if start == 0 {
			start = end
		}
	} else {
		start, end = r.CodeLocation.LineRange.Start, r.CodeLocation.LineRange.End
	}
	if path == "" {
		path = r.CodeLocation.AbsoluteFilePath
	}
	if start <= 0 {
		start, end = max(end, 0), max(end, 0)
	}
	if end < start {
		end = start
	}
	return path, start, end, side
}

// locationLabel renders "path:10-12", "path:10" or "path".
func locationLabel(path string, start, end int) string {
	switch {
	case start <= 0:
		return path
	case end > start:
		return fmt.Sprintf("%s:%d-%d", path, start, end)
	default:
		return fmt.Sprintf("%s:%d", path, start)
	}
}

// confidence formats a score for people, "" when the model gave none.
func confidence(score float64) string {
	if score <= 0 || score > 1 {
		return ""
	}
	return "confidence " + strconv.FormatFloat(score, 'f', 2, 64)
}

// relocated says why an inline finding is not where the model put it, ""
// when it is.
func relocated(p anchor.Placement) string {
	if !p.Inline || p.Reason == "" || (p.Method != anchor.Snippet && p.Method != anchor.Nearest) {
		return ""
	}
	return p.Reason
}

// plural returns "1 file" or "3 files".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return humanize.Count(n) + " " + many
}

// maxSkippedListed caps the files named in the coverage line; the rest are
// counted, so a 1,000-file PR does not fill the summary with paths.
const maxSkippedListed = 10

// coverageLine says what the review looked at: "Reviewed 42 of 45 files
// (1,234 of 1,300 changed lines) in 2 chunks; skipped: go.sum (generated
// lock file), … and 3 more". pathFmt renders a skipped path, reasonFmt its
// reason, for the target format.
func coverageLine(c budget.Coverage, pathFmt, reasonFmt func(string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Reviewed %s of %s (%s of %s) in %s",
		humanize.Count(c.FilesReviewed), plural(c.FilesChanged, "file", "files"),
		humanize.Count(c.LinesReviewed), plural(c.LinesChanged, "changed line", "changed lines"),
		plural(c.Chunks, "chunk", "chunks"))
	if len(c.Skipped) > 0 {
		b.WriteString("; skipped: ")
		for i, s := range c.Skipped {
			if i == maxSkippedListed {
				fmt.Fprintf(&b, " and %s more", humanize.Count(len(c.Skipped)-i))
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pathFmt(s.Path))
			if s.Reason != "" {
				b.WriteString(" (" + reasonFmt(s.Reason) + ")")
			}
		}
	}
	if c.ContextTrimmed > 0 {
		fmt.Fprintf(&b, "; the code around the hunks of %s was left out to fit the token budget", plural(c.ContextTrimmed, "file", "files"))
	}
	b.WriteByte('.')
	return b.String()
}

// usageLine states what the review cost, "" when nothing was recorded.
// modelFmt renders the model name for the target format.
func usageLine(u finding.Usage, modelFmt func(string) string) string {
	if u.Model == "" && u.Calls == 0 && u.PromptTokens == 0 && u.CompletionTokens == 0 {
		return ""
	}
	var parts []string
	if u.Model != "" {
		parts = append(parts, "model "+modelFmt(u.Model))
	}
	prompt := humanize.Count(u.PromptTokens) + " prompt tokens"
	if u.CachedPromptTokens > 0 {
		prompt += " (" + humanize.Count(u.CachedPromptTokens) + " cached)"
	}
	parts = append(parts, prompt,
		humanize.Count(u.CompletionTokens)+" completion tokens",
		plural(u.Calls, "call", "calls"))
	if u.DurationMS > 0 {
		parts = append(parts, humanize.Millis(u.DurationMS))
	}
	return strings.Join(parts, ", ") + "."
}

// focusList names the areas that ran and how ("one combined pass"), and
// the requested areas that did not run and why; "" when unknown.
func focusList(areas []finding.Area, c budget.Coverage) string {
	names := make([]string, len(areas))
	for i, a := range areas {
		names[i] = string(a)
	}
	s := strings.Join(names, ", ")
	if c.Passes == "combined" && len(areas) > 1 {
		s += " (one combined pass)"
	}
	for i, k := range c.AreasSkipped {
		if i == 0 {
			if s != "" {
				s += "; "
			}
			s += "not run: "
		} else {
			s += ", "
		}
		s += k.Area + " (" + k.Reason + ")"
	}
	return s
}

// omissionNotes explains findings that exist but are not shown, so that
// nothing disappears without a word.
//
// listsBelow says the caller lists the findings below the threshold (a
// review body does, in a collapsed section), so they need no note.
func omissionNotes(r *review.Result, listsBelow bool) []string {
	var notes []string
	if r.BelowThreshold > 0 && !listsBelow {
		notes = append(notes, fmt.Sprintf("%s below the priority threshold %s not shown.",
			plural(r.BelowThreshold, "finding", "findings"), isAre(r.BelowThreshold)))
	}
	if r.Omitted > 0 {
		notes = append(notes, fmt.Sprintf("%s over the cap on findings per review %s not shown.",
			plural(r.Omitted, "finding", "findings"), isAre(r.Omitted)))
	}
	if n := r.Gated.OutsideDropped; n > 0 {
		notes = append(notes, fmt.Sprintf("%s outside this change %s left out (review.outside_diff: drop).",
			plural(n, "finding", "findings"), wasWere(n)))
	}
	if n := r.Dismissed; n > 0 {
		notes = append(notes, fmt.Sprintf("%s dismissed on this pull request (a resolved thread, a 👎 or `ignore`) %s found again and not repeated.",
			plural(n, "finding", "findings"), wasWere(n)))
	}
	if r.Invalid > 0 {
		notes = append(notes, fmt.Sprintf("%s from the model too malformed to use (no title or file, a path outside the repository, a negative line or a field of the wrong type) %s not shown.",
			plural(r.Invalid, "finding", "findings"), isAre(r.Invalid)))
	}
	return notes
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// verdict is the model's overall answer on one line.
func verdict(o review.Verdict) string {
	v := strings.Join(strings.Fields(o.Correctness), " ")
	if v == "" {
		v = "no verdict given"
	}
	if c := confidence(o.Confidence); c != "" {
		v += " (" + c + ")"
	}
	return v
}
