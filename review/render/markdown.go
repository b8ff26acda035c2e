package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
)

// MaxBodyChars is GitHub's limit on the body of an issue comment, a review
// and a review comment: 65,536 characters; longer bodies are rejected with
// 422. Bodies are measured here in bytes, which is never less than the
// character count, so staying within it in bytes is safe.
const MaxBodyChars = 65536

// maxTitleRunes caps a title in markdown; a title is one line of a comment,
// and the model's text is not trusted to be short.
const maxTitleRunes = 200

// maxReasonRunes caps a placement reason in a footer line.
const maxReasonRunes = 300

// heading renders "**[P1] Title**" with the title made safe for one line.
func heading(r review.Reviewed) string {
	t := escapeInline(truncate(plainTitle(r.Title), maxTitleRunes))
	return "**[" + finding.Priority(r.Priority).String() + "] " + t + "**"
}

// footer renders the small line under a finding: area, confidence and,
// when the finding was moved, why.
func footer(r review.Reviewed, extra string) string {
	parts := []string{escapeInline(areaOf(r))}
	if c := confidence(r.ConfidenceScore); c != "" {
		parts = append(parts, c)
	}
	if m := relocated(r.Placement); m != "" {
		parts = append(parts, escapeInline(truncate(m, maxReasonRunes)))
	}
	if extra != "" {
		parts = append(parts, extra)
	}
	return "<sub>" + strings.Join(parts, " · ") + "</sub>"
}

// body renders a finding's explanation, cut to limit runes (0 = whole).
func body(text string, limit int) string {
	return EscapeBlock(truncate(strings.TrimSpace(normalizeNewlines(text)), limit))
}

// InlineBody renders the body of an inline review comment: the heading,
// the explanation, a committable suggestion when the finding has one and
// is placed inline, a footer (area · confidence) and the hidden
// fingerprint marker. The result stays within MaxBodyChars: an oversized
// explanation is shortened, and a suggestion that cannot fit is left out
// rather than cut (a cut suggestion would commit broken code).
func InlineBody(r review.Reviewed) string {
	suggestion := ""
	if r.Placement.Inline && strings.TrimSpace(r.Suggestion) != "" {
		suggestion = CodeBlock("suggestion", r.Suggestion)
	}
	out := inlineBody(r, suggestion, 0)
	if len(out) <= MaxBodyChars {
		return out
	}
	if len(inlineBody(r, suggestion, 1)) > MaxBodyChars {
		suggestion = ""
	}
	// Shrink the explanation until it fits; halving converges in a few
	// rounds even for absurd input.
	limit := MaxBodyChars
	for limit > 1 {
		if out = inlineBody(r, suggestion, limit); len(out) <= MaxBodyChars {
			return out
		}
		limit /= 2
	}
	return inlineBody(r, suggestion, 1)
}

func inlineBody(r review.Reviewed, suggestion string, limit int) string {
	var b strings.Builder
	b.WriteString(heading(r))
	if text := body(r.Body, limit); text != "" {
		b.WriteString("\n\n")
		b.WriteString(text)
	}
	if suggestion != "" {
		b.WriteString("\n\n")
		b.WriteString(suggestion)
	}
	b.WriteString("\n\n")
	b.WriteString(footer(r, ""))
	if m := FingerprintMarker(r.Fingerprint); m != "" {
		b.WriteByte('\n')
		b.WriteString(m)
	}
	return b.String()
}

// SummaryOptions controls the review summary.
type SummaryOptions struct {
	// Title is the heading; "Codex review" when empty.
	Title string
	// Link returns the URL of a file at a line of the reviewed head (line
	// is 0 when the finding has none); nil, or an empty URL, renders plain
	// "path:line".
	Link func(path string, line int) string
	// State is a hidden state marker appended verbatim at the very end; it
	// is never cut, so it must be small.
	State string
	// Incremental describes an incremental review, e.g. "since abc1234";
	// empty for a full review.
	Incremental string
	// Extra are additional sections (sandbox, dependencies) in markdown,
	// placed after the findings. They are trusted: untrusted text inside
	// them must go through EscapeBlock or CodeBlock first.
	Extra []string
}

// Cuts applied, in order, when a summary is over MaxBodyChars: first the
// explanations are shortened, then trailing findings and sections dropped.
var summaryCuts = []summaryCut{
	{body: 0, explanation: 0},
	{body: 1000, explanation: 4000},
	{body: 300, explanation: 1000},
}

type summaryCut struct {
	body, explanation int // rune limits, 0 = whole
}

// maxFailuresListed caps the failed passes listed; a review over many
// chunks could fail in each.
const maxFailuresListed = 20

// Summary renders the body of the review: the verdict, counts by priority
// and area, the findings that could not be placed inline, notes on what is
// not shown, failed passes, the extra sections, coverage, usage and the
// state marker. The body stays within MaxBodyChars: when it would not,
// explanations are shortened, then trailing findings are dropped with a
// line saying how many, then extra sections; the state marker is always
// kept whole at the end.
func Summary(r *review.Result, opt SummaryOptions) string {
	if r == nil {
		r = &review.Result{}
	}
	s := summary{r: r, opt: opt, all: reviewed(r)}
	for _, f := range s.all {
		if !f.Placement.Inline {
			s.moved = append(s.moved, f)
		}
	}
	var out string
	for _, c := range summaryCuts {
		if out = s.render(c, len(s.moved), len(opt.Extra)); len(out) <= MaxBodyChars {
			return out
		}
	}
	last := summaryCuts[len(summaryCuts)-1]
	// Keep as many findings as fit: the largest k for which the body fits.
	if k, ok := largestFitting(len(s.moved), func(k int) bool {
		return len(s.render(last, k, len(opt.Extra))) <= MaxBodyChars
	}); ok {
		return s.render(last, k, len(opt.Extra))
	}
	if e, ok := largestFitting(len(opt.Extra), func(e int) bool {
		return len(s.render(last, 0, e)) <= MaxBodyChars
	}); ok {
		return s.render(last, 0, e)
	}
	return s.cut(s.render(last, 0, 0))
}

// Document renders the whole review as one markdown document, for
// `codex-review review --format markdown`: the verdict and counts, every
// finding in full with its suggested replacement, notes on what is not
// shown, failed passes, coverage and usage. It has no hidden markers and no
// size limit, since it is not posted to GitHub.
func Document(r *review.Result) string {
	if r == nil {
		r = &review.Result{}
	}
	s := summary{r: r, all: reviewed(r), document: true}
	s.moved = s.all
	return s.render(summaryCuts[0], len(s.moved), 0) + "\n"
}

// largestFitting returns the largest k in [0, n] with fits(k), assuming
// fits is monotone (true up to some k, false after); ok is false when even
// fits(0) fails.
func largestFitting(n int, fits func(int) bool) (int, bool) {
	if !fits(0) {
		return 0, false
	}
	lo, hi := 0, n // fits(lo) holds; the answer is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, true
}

type summary struct {
	r   *review.Result
	opt SummaryOptions
	all []review.Reviewed
	// moved are the findings shown in full in the body: those not placed
	// inline, or all of them in a document.
	moved []review.Reviewed
	// document renders a standalone document rather than a review body:
	// every finding with its suggestion, no markers.
	document bool
	// rendered caches the moved findings rendered under each cut, since
	// fitting the body renders the summary several times.
	rendered map[summaryCut][]string
}

func (s *summary) items(c summaryCut) []string {
	if out, ok := s.rendered[c]; ok {
		return out
	}
	out := make([]string, len(s.moved))
	for i, f := range s.moved {
		out[i] = s.item(f, c.body)
	}
	if s.rendered == nil {
		s.rendered = map[summaryCut][]string{}
	}
	s.rendered[c] = out
	return out
}

// render builds the body with the first keep moved findings and the first
// extras sections.
func (s *summary) render(c summaryCut, keep, extras int) string {
	r := s.r
	var parts []string
	add := func(p string) {
		if p != "" {
			parts = append(parts, p)
		}
	}
	title := strings.TrimSpace(s.opt.Title)
	if title == "" {
		title = "Codex review"
	}
	add("## " + escapeInline(title))
	if inc := strings.TrimSpace(s.opt.Incremental); inc != "" {
		add("_Incremental review (" + escapeInline(inc) + "): findings already posted are not repeated._")
	}
	if len(s.all) == 0 {
		line := "**No findings at or above the priority threshold.**"
		if len(r.Failures) > 0 {
			line = "**No findings at or above the priority threshold in the passes that completed.**"
		}
		add(line)
	} else {
		add("**Verdict:** " + escapeInline(verdict(r.Output)))
		add(body(r.Output.OverallExplanation, c.explanation))
		if !s.document {
			add(s.tally())
		}
		add(s.countTable())
	}
	if len(s.moved) > 0 {
		if s.document {
			add("### Findings")
		} else {
			add("### Not placed inline")
		}
		for _, item := range s.items(c)[:keep] {
			add(item)
		}
		if n := len(s.moved) - keep; n > 0 {
			add(fmt.Sprintf("_%s not shown (limit)._", plural(n, "more finding", "more findings")))
		}
	}
	if notes := omissionNotes(r); len(notes) > 0 {
		add("_" + strings.Join(notes, " ") + "_")
	}
	add(s.failures())
	for _, e := range s.opt.Extra[:extras] {
		add(closeFences(strings.TrimSpace(e)))
	}
	if n := len(s.opt.Extra) - extras; n > 0 {
		add(fmt.Sprintf("_%s not shown (limit)._", plural(n, "more section", "more sections")))
	}
	cov := "**Coverage:** " + coverageLine(r.Coverage, codeSpan, escapeInline)
	if f := focusList(r.Focus); f != "" {
		cov += " Passes: " + escapeInline(f) + "."
	}
	add(cov)
	if u := usageLine(r.Usage, codeSpan); u != "" {
		add("<sub>Usage: " + u + "</sub>")
	}
	add(s.opt.State)
	return strings.Join(parts, "\n\n")
}

// tally says how many findings there are and where they are shown.
func (s *summary) tally() string {
	inline := len(s.all) - len(s.moved)
	return fmt.Sprintf("%s: %d posted inline, %d listed below.",
		plural(len(s.all), "finding", "findings"), inline, len(s.moved))
}

// countTable renders findings by area (rows) and priority (columns), with
// totals. Only priorities and areas that occur are shown.
func (s *summary) countTable() string {
	byArea := map[string]map[int]int{}
	prioSet := map[int]bool{}
	for _, f := range s.all {
		a := areaOf(f)
		if byArea[a] == nil {
			byArea[a] = map[int]int{}
		}
		byArea[a][f.Priority]++
		prioSet[f.Priority] = true
	}
	areas := make([]string, 0, len(byArea))
	for a := range byArea {
		areas = append(areas, a)
	}
	sortAreas(areas)
	prios := make([]int, 0, len(prioSet))
	for p := range prioSet {
		prios = append(prios, p)
	}
	slices.Sort(prios)

	var b strings.Builder
	b.WriteString("| Area |")
	for _, p := range prios {
		b.WriteString(" " + finding.Priority(p).String() + " |")
	}
	b.WriteString(" Total |\n|:--|")
	b.WriteString(strings.Repeat("--:|", len(prios)+1))
	totals := map[int]int{}
	for _, a := range areas {
		b.WriteString("\n| " + escapeInline(a) + " |")
		n := 0
		for _, p := range prios {
			b.WriteString(" " + strconv.Itoa(byArea[a][p]) + " |")
			n += byArea[a][p]
			totals[p] += byArea[a][p]
		}
		b.WriteString(" " + strconv.Itoa(n) + " |")
	}
	b.WriteString("\n| **Total** |")
	for _, p := range prios {
		b.WriteString(" " + strconv.Itoa(totals[p]) + " |")
	}
	b.WriteString(" " + strconv.Itoa(len(s.all)) + " |")
	return b.String()
}

// item renders one finding that is shown in the summary instead of inline.
func (s *summary) item(f review.Reviewed, limit int) string {
	path, start, end, _ := location(f)
	var b strings.Builder
	b.WriteString(heading(f))
	if path != "" {
		b.WriteString(" — ")
		b.WriteString(s.link(path, start, end))
	}
	if text := body(f.Body, limit); text != "" {
		b.WriteString("\n\n")
		b.WriteString(text)
	}
	if s.document && strings.TrimSpace(f.Suggestion) != "" {
		b.WriteString("\n\nSuggested replacement:\n\n")
		b.WriteString(CodeBlock("", f.Suggestion))
	}
	why := ""
	if f.Placement.Reason != "" && !s.document {
		why = "not inline: " + escapeInline(truncate(f.Placement.Reason, maxReasonRunes))
	}
	b.WriteString("\n\n")
	b.WriteString(footer(f, why))
	if m := FingerprintMarker(f.Fingerprint); m != "" && !s.document {
		b.WriteByte('\n')
		b.WriteString(m)
	}
	return b.String()
}

// link renders the location as inline code, linked when a Link function
// is set.
func (s *summary) link(path string, start, end int) string {
	label := codeSpan(locationLabel(path, start, end))
	if s.opt.Link == nil {
		return label
	}
	u := s.opt.Link(path, start)
	if u == "" {
		return label
	}
	return "[" + label + "](" + urlEscaper.Replace(u) + ")"
}

// urlEscaper percent-encodes the characters that would end a markdown link
// destination or open HTML.
var urlEscaper = strings.NewReplacer(
	" ", "%20", "\t", "%09", "\n", "%0A", "\r", "%0D",
	"(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "`", "%60", `"`, "%22",
)

// failures states plainly which passes failed.
func (s *summary) failures() string {
	f := s.r.Failures
	if len(f) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("**Incomplete review:** ")
	b.WriteString(plural(len(f), "pass", "passes"))
	b.WriteString(" failed, so issues in these areas may be missing:")
	for i, msg := range f {
		if i == maxFailuresListed {
			fmt.Fprintf(&b, "\n- and %s more", count(int64(len(f)-i)))
			break
		}
		b.WriteString("\n- ")
		b.WriteString(escapeInline(truncate(msg, 300)))
	}
	return b.String()
}

// cut is the last resort when even the bare summary is too long (a huge
// title or state, or thousands of failures): keep the head of the body,
// close any open fence, say so, and end with the state marker.
func (s *summary) cut(full string) string {
	const note = "\n\n_Summary cut at GitHub's size limit._"
	state := s.opt.State
	tail := note
	if state != "" {
		tail += "\n\n" + state
	}
	head := strings.TrimSuffix(full, state)
	budget := MaxBodyChars - len(tail)
	for {
		h := truncateBytes(head, max(budget, 0))
		// A cut inside an HTML comment would hide the note and the state.
		if i := strings.LastIndex(h, "<!--"); i > strings.LastIndex(h, "-->") {
			h = h[:i]
		}
		out := closeFences(h) + tail
		if len(out) <= MaxBodyChars || budget <= 0 {
			return out
		}
		budget -= len(out) - MaxBodyChars
	}
}

// truncateBytes cuts s to at most n bytes at a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
