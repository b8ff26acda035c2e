package render

import "github.com/codex-review/codex-review/review/markdown"

// FailureComment renders the comment that tells a pull request why it got
// no review: what happened (untrusted: error text may quote GitHub, the
// model endpoint or the repository) and what to do about it (trusted
// markdown written by the app).
func FailureComment(what, todo string) string {
	return "**Codex review could not review this pull request.**\n\n" + EscapeBlock(what) + "\n\n" + todo
}

// InvalidConfigComment renders the comment that says a repository's
// configuration file on the base branch is invalid, quoting the parser's
// messages (which quote the file) in a code block.
func InvalidConfigComment(file, ref, detail string) string {
	return "**Codex review did not run: " + codeSpan(file) + " on " + codeSpan(ref) + " is invalid.**\n\n" +
		CodeBlock("", markdown.StripControl(detail)) + "\nFix the file on the base branch (check it locally with `codex-review config validate`), then comment `@codex review`."
}
