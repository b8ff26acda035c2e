package render

import (
	"fmt"
	"strings"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// Repeat is an earlier review that already answered a request, as the
// reply to the same request for the same commit describes it.
type Repeat struct {
	// Commit is the reviewed head's SHA; CommitURL links it when set.
	Commit, CommitURL string
	// ReviewURL is the earlier review.
	ReviewURL string
	// Verdict is the earlier review's overall_correctness.
	Verdict string
	// Counts are its findings by priority, P0 first.
	Counts []int
	// Trigger is the mention that starts reviews, such as "@codex".
	Trigger string
}

// RepeatReply renders the reply to a request that an earlier review of the
// same commit already answered: a link to that review with its verdict
// and counts, and how to ask for a fresh one. Every field comes from the
// app's own state marker, not from the model, but is escaped all the same.
func RepeatReply(r Repeat) string {
	commit := codeSpan(shortSHA(r.Commit))
	if r.CommitURL != "" {
		commit = "[" + commit + "](" + markdown.LinkTarget(r.CommitURL) + ")"
	}
	var b strings.Builder
	b.WriteString("This commit (" + commit + ") was already reviewed for the same request")
	if v := strings.Join(strings.Fields(r.Verdict), " "); v != "" {
		b.WriteString(": **" + escapeInline(v) + "**, ")
	} else {
		b.WriteString(": ")
	}
	b.WriteString(countsPhrase(r.Counts))
	b.WriteString(". ")
	if r.ReviewURL != "" {
		b.WriteString("[Read that review](" + markdown.LinkTarget(r.ReviewURL) + ").")
	}
	trigger := strings.TrimSpace(r.Trigger)
	if trigger == "" {
		trigger = "@codex"
	}
	b.WriteString("\n\nNothing was run again. To review this commit afresh, comment " +
		codeSpan(trigger+" review again") + " (focus areas and instructions may follow it).")
	return b.String()
}

// countsPhrase says how many findings a review had: "6 findings (1 P0,
// 5 P1)", or "no findings at or above the priority threshold".
func countsPhrase(counts []int) string {
	total := 0
	var parts []string
	for p, n := range counts {
		if n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%d %s", n, finding.Priority(p)))
		}
	}
	if total == 0 {
		return "no findings at or above the priority threshold"
	}
	return plural(total, "finding", "findings") + " (" + strings.Join(parts, ", ") + ")"
}
