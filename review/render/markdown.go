package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/humanize"
	"github.com/codex-review/codex-review/review/markdown"
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
	t := escapeStars(escapeInline(truncate(plainTitle(r.Title), maxTitleRunes)))
	return "**[" + finding.Priority(r.Priority).String() + "] " + t + "**"
}

// footer renders the small line under a finding: area, confidence and,
// when the finding was moved, why.
func footer(r review.Reviewed, extra string) string {
	parts := []string{escapeInline(areasOf(r))}
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

// maxBodyRunes caps an explanation however much room is left: the rubric
// asks for one short paragraph, and a hostile answer must not make
// neutralising it expensive (goldmark takes quadratic time on some
// pathological markdown; 12,000 runes keep the worst case near 0.4 s).
const maxBodyRunes = 12000

// body renders a finding's explanation, cut to limit runes (0 = whole,
// up to maxBodyRunes).
func body(text string, limit int) string {
	if limit <= 0 || limit > maxBodyRunes {
		limit = maxBodyRunes
	}
	return EscapeBlock(truncate(strings.TrimSpace(markdown.NormalizeNewlines(text)), limit))
}

// Committable reports whether a suggestion can be offered for one click:
// code holding control characters (other than tab and newline), such as
// the bidirectional controls that make code read differently from what it
// does, is not, since the app strips them from everything it posts and a
// suggestion that changed would commit something the model did not
// propose. Invisible format characters (zero-width spaces and joiners,
// word joiners, soft hyphens, byte order marks, tag characters) are not
// either: GitHub shows them as nothing, so the committed code would differ
// from the code the reader approved ("isAdmin\u200b" is another
// identifier in JavaScript). Every suggestion block the app writes (review
// comments and thread answers) passes this test first.
func Committable(s string) bool {
	return markdown.StripControl(s) == markdown.NormalizeNewlines(s) && !strings.ContainsFunc(s, isInvisible)
}

// isInvisible reports a format character (Unicode category Cf), which
// renders as nothing.
func isInvisible(r rune) bool { return unicode.Is(unicode.Cf, r) }

// InlineBody renders the body of an inline review comment: the heading,
// the explanation, a committable suggestion when the finding has one and
// is placed inline, a footer (area · confidence) and the hidden
// fingerprint marker. The result stays within MaxBodyChars: an oversized
// explanation is shortened, and a suggestion that cannot fit is left out
// rather than cut (a cut suggestion would commit broken code).
func InlineBody(r review.Reviewed) string {
	suggestion := ""
	if r.Placement.Inline && strings.TrimSpace(r.Suggestion) != "" && Committable(r.Suggestion) {
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
	// Commit is the reviewed head's SHA, shown short next to the verdict;
	// CommitURL, when set, links it.
	Commit, CommitURL string
	// Standing are findings an earlier review already posted that this
	// review found again; they are not posted twice, but the summary says
	// they still apply (and the verdict counts them).
	Standing []review.Reviewed
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

// Summary renders the body of the review, most important first: the
// verdict with the reviewed commit, the explanation, how many findings and
// where they are, the area x priority table (when it has more than one
// row), then the secondary lists as collapsible sections (findings not
// placed inline, held back for low confidence, outside the change, below
// the priority threshold), notes on what is not shown, failed passes, the
// extra sections, coverage, usage, the feedback invitation and the state
// marker.
//
// The body stays within MaxBodyChars: when it would not, explanations are
// shortened, then trailing listed findings are dropped (below-threshold
// ones first) with a line saying how many, then extra sections; the state
// marker is always kept whole at the end.
func Summary(r *review.Result, opt SummaryOptions) string {
	if r == nil {
		r = &review.Result{}
	}
	s := newSummary(r, opt, false)
	// fits renders the body with the first k findings and e sections
	// under cut c, reporting false when it is over the limit.
	fits := func(c summaryCut, k, e int) (string, bool) {
		if len(s.items(c, k)) < k {
			return "", false // the findings alone are over the limit
		}
		out := s.render(c, k, e)
		return out, len(out) <= MaxBodyChars
	}
	for _, c := range summaryCuts {
		if out, ok := fits(c, len(s.listed), len(s.reports)); ok {
			return out
		}
	}
	last := summaryCuts[len(summaryCuts)-1]
	// Keep as many findings as fit: the largest k for which the body fits.
	if k, ok := largestFitting(len(s.listed), func(k int) bool {
		_, ok := fits(last, k, len(s.reports))
		return ok
	}); ok {
		return s.render(last, k, len(s.reports))
	}
	if e, ok := largestFitting(len(s.reports), func(e int) bool {
		_, ok := fits(last, 0, e)
		return ok
	}); ok {
		return s.render(last, 0, e)
	}
	return s.cut(s.render(last, 0, 0))
}

// Document renders the whole review as one markdown document, for
// `codex-review review --format markdown`: the verdict and counts, every
// finding in full with its suggested replacement, notes on what is not
// shown, failed passes, coverage and usage. It has no hidden markers, no
// collapsed sections and no size limit, since it is not posted to GitHub.
func Document(r *review.Result) string {
	if r == nil {
		r = &review.Result{}
	}
	s := newSummary(r, SummaryOptions{}, true)
	return s.render(summaryCuts[0], len(s.listed), len(s.reports)) + "\n"
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

// section is a list of findings in the body.
type section int

// The sections, in the order they appear and are cut from the end.
const (
	secNotInline section = iota
	secStanding
	secLowConfidence
	secOutside
	secBelow
	secCount
)

// openSectionMax is the largest list of findings not placed inline that
// is shown open: a few are read at a glance, more would bury what follows.
const openSectionMax = 3

// maxBelowListed caps the below-threshold findings listed; the rest are
// counted.
const maxBelowListed = 50

type summary struct {
	r   *review.Result
	opt SummaryOptions
	all []review.Reviewed
	// listed are the findings shown in the body, section by section:
	// those not placed inline, or all of them in a document, then (in a
	// review body) those below the threshold.
	listed []listed
	// count is the number of findings in each section, before any cut.
	count [secCount]int
	// inline counts the findings posted as inline comments.
	inline int
	// reports are the sections after the findings (the test run), which
	// the summary drops from the end when the body is too long.
	reports []string
	// document renders a standalone document rather than a review body:
	// every finding with its suggestion, no markers.
	document bool
	// rendered caches the listed findings rendered under each cut, since
	// fitting the body renders the summary several times.
	rendered map[summaryCut]*renderedItems
}

type listed struct {
	f   review.Reviewed
	sec section
}

func newSummary(r *review.Result, opt SummaryOptions, document bool) *summary {
	s := &summary{r: r, opt: opt, all: r.Findings, reports: reports(r), document: document}
	var bySec [secCount][]review.Reviewed
	for _, f := range s.all {
		switch {
		case document:
			bySec[secNotInline] = append(bySec[secNotInline], f)
		case f.Placement.Inline:
			s.inline++
		case f.Gate == review.GateOutside:
			bySec[secOutside] = append(bySec[secOutside], f)
		case f.Gate == review.GateLowConfidence:
			bySec[secLowConfidence] = append(bySec[secLowConfidence], f)
		default:
			bySec[secNotInline] = append(bySec[secNotInline], f)
		}
	}
	if !document {
		bySec[secStanding] = opt.Standing
		bySec[secBelow] = r.Below[:min(len(r.Below), maxBelowListed)]
	}
	for sec, fs := range bySec {
		s.count[sec] = len(fs)
		for _, f := range fs {
			s.listed = append(s.listed, listed{f: f, sec: section(sec)})
		}
	}
	return s
}

// items returns the first n listed findings rendered under cut c,
// rendering each once. In a review body it stops early, returning fewer,
// once the rendered findings alone are over MaxBodyChars: no body with
// more of them can fit, and rendering thousands of long findings (each
// neutralised) only to find that out would take seconds.
func (s *summary) items(c summaryCut, n int) []string {
	if s.rendered == nil {
		s.rendered = map[summaryCut]*renderedItems{}
	}
	st := s.rendered[c]
	if st == nil {
		st = &renderedItems{}
		s.rendered[c] = st
	}
	for len(st.out) < n && (s.document || st.size <= MaxBodyChars) {
		l := s.listed[len(st.out)]
		var it string
		if l.sec == secBelow || l.sec == secStanding {
			it = s.brief(l.f)
		} else {
			it = s.item(l.f, c.body)
		}
		st.out = append(st.out, it)
		st.size += len(it)
	}
	return st.out[:min(n, len(st.out))]
}

// renderedItems are the findings rendered so far under one cut.
type renderedItems struct {
	out  []string
	size int // bytes of out
}

// render builds the body with the first keep listed findings and the
// first extras sections.
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
	add("## " + oneLine(title))
	add(s.verdictLine())
	if inc := strings.TrimSpace(s.opt.Incremental); inc != "" {
		add("_Incremental review (" + oneLine(inc) + "): findings already posted are not repeated._")
	}
	add(body(r.Verdict.Explanation, c.explanation))
	add(s.tally())
	if !s.document {
		add(s.countTable())
	}
	add(s.sections(c, keep))
	if n := len(s.listed) - keep; n > 0 {
		add(fmt.Sprintf("_%s not shown (limit)._", plural(n, "more finding", "more findings")))
	}
	if notes := omissionNotes(r, s.count[secBelow] > 0); len(notes) > 0 {
		add("_" + strings.Join(notes, " ") + "_")
	}
	add(s.failures())
	for _, e := range s.reports[:extras] {
		add(strings.TrimSpace(e))
	}
	if n := len(s.reports) - extras; n > 0 {
		add(fmt.Sprintf("_%s not shown (limit)._", plural(n, "more section", "more sections")))
	}
	cov := "**Coverage:** " + coverageLine(r.Coverage, codeSpan, oneLine)
	if f := focusList(r.Focus, r.Coverage); f != "" {
		cov += " Passes: " + oneLine(f) + "."
	}
	add(cov)
	if u := usageLine(r.Usage, codeSpan); u != "" {
		add("<sub>Usage: " + u + "</sub>")
	}
	if s.inline > 0 {
		add("<sub>React 👍 / 👎 on a comment to tell us if it helped.</sub>")
	}
	add(s.opt.State)
	return strings.Join(parts, "\n\n")
}

// verdictLine is the first line of the body: the verdict, its confidence
// and the reviewed commit.
func (s *summary) verdictLine() string {
	o := s.r.Verdict
	v := strings.Join(strings.Fields(o.Correctness), " ")
	if v == "" {
		v = "no verdict given"
	}
	line := "**Verdict: " + escapeInline(v) + "**"
	if c := confidence(o.Confidence); c != "" {
		line += " (" + c + ")"
	}
	if sha := strings.TrimSpace(s.opt.Commit); sha != "" {
		label := codeSpan(shortSHA(sha))
		if u := s.opt.CommitURL; u != "" {
			label = "[" + label + "](" + markdown.LinkTarget(u) + ")"
		}
		line += " · commit " + label
	}
	return line
}

// shortSHA is the 7-digit form of a commit id people recognise.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// tally says how many findings there are and where they are shown.
func (s *summary) tally() string {
	standing := ""
	if n := len(s.opt.Standing); n > 0 {
		standing = fmt.Sprintf("%s posted by earlier reviews still %s; %s not repeated.",
			plural(n, "finding", "findings"), applyApplies(n), itThey(n))
	}
	if len(s.all) == 0 {
		switch {
		case standing != "":
			// Not "no findings": the earlier ones were found again.
			return "**No new findings.** " + standing
		case len(s.r.Failures) > 0:
			return "**No findings at or above the priority threshold in the passes that completed.**"
		}
		return "**No findings at or above the priority threshold.**"
	}
	if s.document {
		return plural(len(s.all), "finding", "findings") + "."
	}
	one, many := "finding", "findings"
	if standing != "" {
		one, many = "new finding", "new findings"
	}
	line := fmt.Sprintf("%s: %d posted inline, %d listed below.", plural(len(s.all), one, many), s.inline, len(s.all)-s.inline)
	if standing != "" {
		line += " " + standing
	}
	return line
}

func applyApplies(n int) string {
	if n == 1 {
		return "applies"
	}
	return "apply"
}

func itThey(n int) string {
	if n == 1 {
		return "it is"
	}
	return "they are"
}

// countTable renders findings by area (rows) and priority (columns), with
// totals, when there is more than one area: a single row only repeats the
// tally. Only priorities and areas that occur are shown.
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
	if len(byArea) < 2 {
		return ""
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

// sections renders the lists of findings with the first keep of them.
func (s *summary) sections(c summaryCut, keep int) string {
	items := s.items(c, keep)
	var out []string
	for sec := range secCount {
		var body []string
		for i, it := range items {
			if s.listed[i].sec == sec {
				body = append(body, it)
			}
		}
		// A section whose findings were all cut is left out; the line
		// after the sections counts them.
		if len(body) == 0 {
			continue
		}
		out = append(out, s.section(sec, body))
	}
	return strings.Join(out, "\n\n")
}

// section renders one list: a plain heading in a document, a collapsible
// section in a review body, open only for a short list of findings that
// are not inline for reasons other than the precision gates, or that
// earlier reviews posted and still apply.
func (s *summary) section(sec section, items []string) string {
	n := s.count[sec]
	sep := "\n\n"
	if sec == secBelow || sec == secStanding {
		sep = "\n"
	}
	list := strings.Join(items, sep)
	if s.document {
		return "### Findings\n\n" + list
	}
	var title string
	switch sec {
	case secNotInline:
		title = plural(n, "finding", "findings") + " not placed inline"
	case secStanding:
		title = plural(n, "finding", "findings") + " posted by earlier reviews, found again"
	case secLowConfidence:
		title = fmt.Sprintf("%s below review.min_confidence %s, not posted inline",
			plural(n, "finding", "findings"), strconv.FormatFloat(s.r.Gated.MinConfidence, 'f', 2, 64))
	case secOutside:
		title = plural(n, "finding", "findings") + " outside this change, shown at P2 at most"
	case secBelow:
		title = plural(s.r.BelowThreshold, "finding", "findings") + " below the priority threshold"
		if more := s.r.BelowThreshold - n; more > 0 {
			list += fmt.Sprintf("\n- and %s more", humanize.Count(more))
		}
	}
	open := ""
	if (sec == secNotInline || sec == secStanding) && n <= openSectionMax {
		open = " open"
	}
	return "<details" + open + ">\n<summary><b>" + title + "</b></summary>\n\n" + list + "\n\n</details>"
}

// brief renders a below-threshold finding on one line of a list.
func (s *summary) brief(f review.Reviewed) string {
	path, start, end, _ := location(f)
	line := "- " + heading(f)
	if path != "" {
		line += " — " + s.link(path, start, end)
	}
	return line + " <sub>" + escapeInline(areasOf(f)) + "</sub>"
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
		b.WriteString(CodeBlock("", markdown.StripControl(f.Suggestion)))
	}
	why := ""
	switch {
	case f.Placement.Reason == "":
	case f.Gate == review.GateLowConfidence:
		// The section's title and the confidence in the footer say it.
	case !s.document:
		why = "not inline: " + escapeInline(truncate(f.Placement.Reason, maxReasonRunes))
	case f.Gate != "":
		why = escapeInline(truncate(f.Placement.Reason, maxReasonRunes))
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
	return "[" + label + "](" + markdown.LinkTarget(u) + ")"
}

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
			fmt.Fprintf(&b, "\n- and %s more", humanize.Count(len(f)-i))
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
