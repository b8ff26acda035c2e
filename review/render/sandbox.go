package render

import (
	"fmt"
	"strings"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/humanize"
	"github.com/codex-review/codex-review/review/markdown"
	"github.com/codex-review/codex-review/review/sandbox"
)

// The test run's section in a summary. GitHub bounds a review body at
// MaxBodyChars, shared with the findings, so it shows a short tail of the
// output and a bounded list of failing tests.
const (
	testsTailBytes = 3 << 10
	testsMaxListed = 20
)

// reports are the sections placed after the findings.
func reports(r *review.Result) []string {
	var out []string
	if r.Sandbox != nil {
		out = append(out, testsSection(*r.Sandbox))
	}
	if d := dependencySection(r.Dependencies); d != "" {
		out = append(out, d)
	}
	return out
}

// testsSection renders a test run: one status line, the failing tests and
// the end of the output in a collapsed block. The command, the test names
// and the output come from the pull request: they are code spans and a
// code block, which nothing inside them can end.
func testsSection(r sandbox.Result) string {
	var b strings.Builder
	b.WriteString("**Tests** (")
	b.WriteString(codeSpan(r.Command))
	b.WriteString("): ")
	switch r.Status {
	case sandbox.StatusPassed:
		fmt.Fprintf(&b, "✅ passed in %s.\n", humanize.Round(r.Duration))
	case sandbox.StatusFailed:
		fmt.Fprintf(&b, "❌ failed (exit code %d) after %s.", r.ExitCode, humanize.Round(r.Duration))
		if r.OOMKilled {
			b.WriteString(" The memory limit stopped a process.")
		}
		b.WriteString("\n")
	case sandbox.StatusTimedOut:
		fmt.Fprintf(&b, "⏱️ timed out after %s; every process was killed.\n", humanize.Round(r.Duration))
	case sandbox.StatusNotRun:
		fmt.Fprintf(&b, "not run: %s.\n", escapeInline(strings.TrimSuffix(r.Reason, ".")))
		return b.String()
	default:
		fmt.Fprintf(&b, "⚠️ the sandbox could not run them: %s.\n", escapeInline(strings.TrimSuffix(r.Reason, ".")))
	}
	// A comparison with the base sorts the failing tests itself, unless it
	// could not tell.
	if n := len(r.FailedTests); n > 0 && (r.Base == nil || r.Base.Blame == sandbox.BlameUnknown) {
		b.WriteString("\nFailing tests:\n")
		b.WriteString(testList(r.FailedTests, r.FailedTestsOmitted))
	}
	if r.Base != nil {
		b.WriteString(baseSection(*r.Base))
	}
	if tail := r.Tail(testsTailBytes); r.Status != sandbox.StatusPassed && strings.TrimSpace(tail) != "" {
		b.WriteString("\n<details><summary>End of the output</summary>\n\n")
		b.WriteString(CodeBlock("text", strings.TrimRight(markdown.StripControl(tail), "\n")))
		b.WriteString("\n\n</details>\n")
	}
	return b.String()
}

// testList lists test names, at most testsMaxListed, counting the rest.
func testList(names []string, omitted int) string {
	var b strings.Builder
	for _, name := range names[:min(len(names), testsMaxListed)] {
		b.WriteString("- " + codeSpan(truncate(name, maxTitleRunes)) + "\n")
	}
	if more := max(len(names)-testsMaxListed, 0) + omitted; more > 0 {
		fmt.Fprintf(&b, "- … and %d more\n", more)
	}
	return b.String()
}

// baseSection says what the same command did on the base commit: which
// failures this change causes, and which were there before (listed in a
// collapsed section: they are not this change's to fix).
func baseSection(base sandbox.BaseRun) string {
	var b strings.Builder
	commit := codeSpan(shortSHA(base.Commit))
	switch base.Blame {
	case sandbox.BlameChange:
		if len(base.Broken) == 0 {
			b.WriteString("\nOn the base commit " + commit + " the same command passes: **this change makes it fail.**\n")
		} else {
			if len(base.Broken) == 1 {
				b.WriteString("\nOn the base commit " + commit + " this test passes: **this change breaks it.**\n")
			} else {
				b.WriteString("\nOn the base commit " + commit + " these tests pass: **this change breaks them.**\n")
			}
			b.WriteString(testList(base.Broken, 0))
		}
	case sandbox.BlamePreExisting:
		b.WriteString("\nOn the base commit " + commit + " the same command fails too: the failures are **pre-existing**, not caused by this change.\n")
	default:
		b.WriteString("\nWhether this change causes the failures is unknown: on the base commit " + commit + " the same command ")
		switch {
		case base.Reason != "":
			b.WriteString("could not tell (" + escapeInline(strings.TrimSuffix(base.Reason, ".")) + ").\n")
		case base.Status == sandbox.StatusFailed:
			fmt.Fprintf(&b, "fails too (exit code %d), without naming tests.\n", base.ExitCode)
		default:
			b.WriteString("did not finish (" + escapeInline(string(base.Status)) + ").\n")
		}
	}
	if n := len(base.PreExisting); n > 0 {
		fmt.Fprintf(&b, "\n<details><summary>%s also failing on the base commit (pre-existing)</summary>\n\n%s\n</details>\n",
			plural(n, "test", "tests"), testList(base.PreExisting, 0))
	}
	return b.String()
}
