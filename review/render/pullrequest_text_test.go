package render

import (
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/markdown"
	"github.com/codex-review/codex-review/review/sandbox"
)

// hostileLines are pieces of text from a pull request or the model that
// have each broken out of some renderer: mentions, references, HTML,
// fences, code span delimiters, link definitions, block markers at the
// start of a line, control and bidirectional characters.
var hostileLines = []string{
	hostileText, "@alice", "acme/widgets#3", "a5c3785ed0a5c3785ed0", "<details>", "<!-- x", "x\\", "`", "``a``",
	"[x]: https://evil.example", "a\nb", "# h", "| a | b |", "```", "~~~", "</sub>@bob", "\u202e", "\x1b[31m",
	"<https://evil.example>", "GH-12", "#12", "acme@1234567", "\\`@alice\\`", "@alice`", "`@alice", "www.`x`.com",
	"[ ] task", "> quote", "1. item", "- item", "***",
}

// Text that is not the model's but the pull request's (test names and
// output, dependency names and versions, learning texts, the thread's
// answer) is inert in every reply and section that shows it.
func TestPullRequestTextIsInert(t *testing.T) {
	for _, p := range hostileLines {
		r := ThreadReply{Answers: 1, Text: p, Suggestion: p, Note: "Suggestion for line 3 of " + p + "; check it."}
		assertInert(t, "thread reply", r.Reply())
		assertInert(t, "learnings", Learnings("o/r", "@codex", []Learning{{ID: p, Text: p, Author: p, Created: time.Unix(0, 0)}}))
		assertInert(t, "repeat reply", RepeatReply(Repeat{Commit: p, Verdict: p, Trigger: "@codex"}))
		res := sandbox.Result{Status: sandbox.StatusFailed, Command: p, FailedTests: []string{p}, OutputTail: p, Reason: p}
		res.Base = &sandbox.BaseRun{Commit: p, Blame: sandbox.BlameChange, Broken: []string{p}, PreExisting: []string{p}}
		assertInert(t, "tests section", testsSection(res))
		res.Base.Blame, res.Base.Reason = sandbox.BlameUnknown, p
		assertInert(t, "tests section, blame unknown", testsSection(res))
		rep := &deps.Report{NotChecked: p, Notes: []string{p}, Changes: []deps.Change{{Ecosystem: p, Name: p, From: p, To: p, Path: p, Line: 1,
			Change: deps.Added, Flags: []string{p}, Vulnerabilities: []deps.Vulnerability{{ID: p, Severity: p, Fixed: p, Aliases: []string{p}}}}}}
		assertInert(t, "dependency section", dependencySection(rep))
		f := rev("bugs", 1, "t", "b", p, 1, 1, 0.9, "fp", inSummary(p, p))
		sum := result("patch is incorrect", "x", 0.9, f)
		link := func(path string, line int) string { return "https://github.com/o/r/blob/x/" + path }
		// The app's own link to the file is the one link in the text: it
		// is there, whole, and the rest is inert.
		ours := "[" + codeSpan(locationLabel(p, 1, 1)) + "](" + markdown.LinkTarget(link(p, 1)) + ")"
		for what, text := range map[string]string{
			"summary with a file link":       Summary(sum, SummaryOptions{Link: link}),
			"check summary with a file link": Check(sum, CheckOptions{Link: link}).Summary,
		} {
			if strings.Count(text, ours) != 1 {
				t.Errorf("%s: the link to the file, %q, is not there once:\n%s", what, ours, text)
			}
			assertInert(t, what, strings.Replace(text, ours, "", 1))
		}
	}
}
