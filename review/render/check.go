package render

import (
	"fmt"
	"strings"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// Limits of a check run's output, from GitHub's check runs API.
const (
	// MaxCheckSummary bounds output.summary: GitHub refuses more than
	// 65,535 characters and, separately, more than 65,535 bytes; bytes are
	// the stricter count.
	MaxCheckSummary = 65535
	// maxAnnotationTitle bounds an annotation's title (255 characters).
	maxAnnotationTitle = 255
	// maxAnnotationMessage bounds an annotation's message. GitHub allows
	// 64 KB; an annotation is read in the margin of a file, where a few
	// paragraphs are already long.
	maxAnnotationMessage = 4 << 10
)

// Annotation levels of a check run.
const (
	LevelFailure = "failure"
	LevelWarning = "warning"
	LevelNotice  = "notice"
)

// Annotation marks lines of a file of the reviewed head in a check run.
// Its text is plain: GitHub shows annotations without Markdown.
type Annotation struct {
	Path               string
	StartLine, EndLine int
	Level              string
	Title, Message     string
}

// CheckOutput is a review as a check run shows it.
type CheckOutput struct {
	Title   string
	Summary string
	// Annotations mark the findings' lines; findings on lines the head
	// no longer has (deleted lines) have none.
	Annotations []Annotation
}

// CheckOptions controls Check.
type CheckOptions struct {
	// ReviewURL is the posted review; empty when nothing was posted.
	ReviewURL string
	// Link returns the URL of a file at a line of the reviewed head; nil
	// renders plain "path:line".
	Link func(path string, line int) string
	// FailOn describes the failing threshold ("P1"), empty when findings
	// never fail the check.
	FailOn string
}

// maxCheckFindings caps the findings listed in a check's summary; the
// annotations carry every one of them.
const maxCheckFindings = 50

// Check renders a review as a check run's output: a title with the count
// of findings, a summary (the verdict, the explanation, the findings with
// links, coverage) within MaxCheckSummary bytes, and an annotation per
// finding on the head's lines.
func Check(r *review.Result, opt CheckOptions) CheckOutput {
	if r == nil {
		r = &review.Result{}
	}
	out := CheckOutput{Title: checkTitle(r.Findings, opt.FailOn)}
	for _, f := range r.Findings {
		if a, ok := annotation(f); ok {
			out.Annotations = append(out.Annotations, a)
		}
	}
	s := &summary{r: r, opt: SummaryOptions{Link: opt.Link}}
	render := func(keep int, explanation int) string {
		var parts []string
		add := func(p string) {
			if p != "" {
				parts = append(parts, p)
			}
		}
		v := strings.Join(strings.Fields(r.Verdict.Correctness), " ")
		if v == "" {
			v = "no verdict given"
		}
		line := "**Verdict: " + escapeInline(v) + "**"
		if c := confidence(r.Verdict.Confidence); c != "" {
			line += " (" + c + ")"
		}
		add(line)
		add(body(r.Verdict.Explanation, explanation))
		if opt.ReviewURL != "" {
			add("[Read the review on the pull request](" + markdown.LinkTarget(opt.ReviewURL) + ").")
		}
		if opt.FailOn != "" {
			add("The check fails when a finding at " + escapeInline(opt.FailOn) + " or above stands (`checks.fail_on`).")
		}
		if n := len(r.Findings); n > 0 {
			var b strings.Builder
			b.WriteString("### Findings\n")
			for _, f := range r.Findings[:keep] {
				path, start, end, _ := location(f)
				b.WriteString("\n- " + heading(f))
				if path != "" {
					b.WriteString(" — " + s.link(path, start, end))
				}
			}
			if more := n - keep; more > 0 {
				fmt.Fprintf(&b, "\n- _%s not listed (limit)._", plural(more, "more finding", "more findings"))
			}
			add(b.String())
		}
		add("**Coverage:** " + coverageLine(r.Coverage, codeSpan, escapeInline))
		return strings.Join(parts, "\n\n")
	}
	keep := min(len(r.Findings), maxCheckFindings)
	for _, c := range summaryCuts {
		if out.Summary = render(keep, c.explanation); len(out.Summary) <= MaxCheckSummary {
			return out
		}
	}
	last := summaryCuts[len(summaryCuts)-1].explanation
	if k, ok := largestFitting(keep, func(k int) bool { return len(render(k, last)) <= MaxCheckSummary }); ok {
		out.Summary = render(k, last)
		return out
	}
	out.Summary = truncateBytes(render(0, last), MaxCheckSummary)
	return out
}

// checkTitle says how many findings stand, by priority.
func checkTitle(fs []review.Reviewed, failOn string) string {
	if len(fs) == 0 {
		return "No findings"
	}
	var counts [4]int
	for _, f := range fs {
		if p := finding.Priority(f.Priority); p.Valid() {
			counts[p]++
		}
	}
	var by []string
	for p, n := range counts {
		if n > 0 {
			by = append(by, fmt.Sprintf("%d %s", n, finding.Priority(p)))
		}
	}
	return plural(len(fs), "finding", "findings") + " (" + strings.Join(by, ", ") + ")"
}

// LevelOf is the annotation level of a finding's priority: P0 and P1 are
// failures, P2 a warning, P3 a notice.
func LevelOf(p int) string {
	switch {
	case p <= int(finding.P1):
		return LevelFailure
	case p == int(finding.P2):
		return LevelWarning
	default:
		return LevelNotice
	}
}

// annotation marks a finding's lines, when they are lines of the head.
func annotation(f review.Reviewed) (Annotation, bool) {
	path, start, end, side := location(f)
	if path == "" || start <= 0 || side == diff.Left {
		return Annotation{}, false
	}
	if end < start {
		end = start
	}
	title := "[" + finding.Priority(f.Priority).String() + "] " + plainText(plainTitle(f.Title))
	msg := plainText(strings.TrimSpace(markdown.NormalizeNewlines(f.Body)))
	if msg == "" {
		msg = title
	}
	return Annotation{
		Path: path, StartLine: start, EndLine: end, Level: LevelOf(f.Priority),
		Title:   truncate(title, maxAnnotationTitle-1), // the ellipsis is one more
		Message: truncateBytes(msg, maxAnnotationMessage),
	}, true
}

// plainText drops control and bidirectional characters (and invalid
// UTF-8) from text shown as plain text, like markdown.StripControl.
func plainText(s string) string { return markdown.StripControl(s) }

// CheckStarted is the summary of a check run while the review runs.
func CheckStarted(head string) string {
	return "Codex is reviewing commit " + codeSpan(shortSHA(head)) + ". This check completes with the review."
}

// CheckWaiting is the summary of a check run whose review waits its turn:
// one review of a pull request runs at a time. busyHead is the commit the
// running review is about and busyBy who asked for it, each empty when not
// known.
func CheckWaiting(head, busyHead, busyBy string) string {
	running := "another review of this pull request"
	switch {
	case busyHead != "":
		running = "the review of commit " + codeSpan(shortSHA(busyHead))
	case busyBy != "":
		running = "the review " + escapeInline(busyBy) + " asked for"
	}
	return "Codex reviews commit " + codeSpan(shortSHA(head)) + " as soon as " + running +
		" is done: one review of a pull request runs at a time. This check then shows the review in progress, and completes with it."
}

// CheckStopped is the summary of a check run whose review stopped for a
// reason the app states (cancelled, superseded).
func CheckStopped(why string) string {
	return EscapeBlock(why)
}

// CheckFailure is the summary of a check run whose review failed: what
// happened (untrusted: error text may quote GitHub or the model endpoint)
// and what to do (trusted markdown written by the app).
// Like FailureComment it fits by construction (MaxCheckSummary).
func CheckFailure(what, todo string) string {
	const head = "**The review failed.**\n\n"
	return head + fitQuote(what, MaxCheckSummary-len(head)-len("\n\n")-len(todo), quoteBlock) + "\n\n" + todo
}
