package render

import "github.com/codex-review/codex-review/review/markdown"

const failureHeading = "**Codex review could not review this pull request.**\n\n"

// cutQuote follows a quote that was cut to fit (fitQuote).
const cutQuote = "\n\n*(The message above was cut to fit.)*"

// FailureComment renders the comment that tells a pull request why it got
// no review: what happened (untrusted: error text may quote GitHub, the
// model endpoint or the repository) and what to do about it (trusted
// markdown written by the app). It fits in MaxBodyChars by construction:
// what is cut, and the block that quotes it closed, before the todo is
// added, so nothing cuts the comment inside a code block later (which
// would show the rest of it as code).
func FailureComment(what, todo string) string {
	room := MaxBodyChars - len(failureHeading) - len("\n\n") - len(todo)
	return failureHeading + fitQuote(what, room, quoteBlock) + "\n\n" + todo
}

// InvalidConfigComment renders the comment that says a repository's
// configuration file on the base branch is invalid, quoting the parser's
// messages (which quote the file) in a code block, cut to fit in
// MaxBodyChars.
func InvalidConfigComment(file, ref, detail string) string {
	head := "**Codex review did not run: " + codeSpan(file) + " on " + codeSpan(ref) + " is invalid.**\n\n"
	tail := "\nFix the file on the base branch (check it locally with `codex-review config validate`), then comment `@codex review`."
	return head + fitQuote(markdown.StripControl(detail), MaxBodyChars-len(head)-len(tail), func(s string) string { return CodeBlock("", s) }) + tail
}

// quoteBlock renders untrusted text as its own blocks (EscapeBlock), a
// code block it leaves open closed, so that what follows is not code.
func quoteBlock(s string) string { return closeFences(EscapeBlock(s)) }

// fitQuote renders the untrusted text s with quote within n bytes: when
// the whole does not fit, s itself is cut (at a rune boundary) before it
// is rendered, so the rendering stays whole (its code blocks closed), and
// a note says so. Neutralising may lengthen text; the cut shrinks until
// the rendering fits.
func fitQuote(s string, n int, quote func(string) string) string {
	out := quote(s)
	if len(out) <= n {
		return out
	}
	n -= len(cutQuote)
	for s != "" {
		// In proportion to the overshoot, and by at least 1/16 a round.
		keep := min(int(int64(len(s))*int64(max(n, 0))/int64(len(out))), len(s)-1-len(s)/16)
		s = truncateBytes(s, max(keep, 0))
		if out = quote(s); len(out) <= n {
			return out + cutQuote
		}
	}
	return quote("") + cutQuote
}
