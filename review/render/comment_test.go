package render

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

// A failure whose error text is longer than a comment may be is cut
// inside its quote, whose code block is then closed: the comment fits,
// and the app's own text after it renders as text, not as code (as it
// did when the poster cut the whole comment in the middle of the block).
func TestFailureCommentFitsWithBlocksClosed(t *testing.T) {
	todo := "Comment `@codex review` to **try again**."
	long := strings.Repeat("panic: runtime error at line ñ 42 <b>*x*</b>\n", 2000)
	whats := map[string]string{
		"fenced output":     "The model endpoint failed: the tests said\n```\n" + long + "```\nand gave up.",
		"open fence":        "The model endpoint failed:\n```text\nnever closed",
		"one long line":     strings.Repeat("<*_[`|ñ", 20000),
		"tilde fence":       "~~~~\n" + long,
		"short, no fencing": "GitHub refused GET /repos/o/r with 404: Not Found",
	}
	prog, err := exec.LookPath("cmark-gfm")
	if err != nil && os.Getenv("CI") != "" {
		t.Fatal("cmark-gfm is not installed; .ci/run installs it")
	}
	for name, what := range whats {
		for _, c := range []struct {
			kind string
			md   string
			max  int
		}{
			{"comment", FailureComment(what, todo), MaxBodyChars},
			{"check", CheckFailure(what, todo), MaxCheckSummary},
		} {
			md := c.md
			if len(md) > c.max || !utf8.ValidString(md) {
				t.Errorf("%s, %s: %d bytes (valid UTF-8 %v), want at most %d", name, c.kind, len(md), utf8.ValidString(md), c.max)
			}
			if !strings.HasSuffix(md, "\n\n"+todo) {
				t.Errorf("%s, %s: the todo is not at the end", name, c.kind)
			}
			if cut := strings.Contains(md, cutQuote); cut != (len(what) > 60000) {
				t.Errorf("%s, %s: cut note %v for %d bytes of error", name, c.kind, cut, len(what))
			}
			if prog == "" {
				continue
			}
			cmd := exec.Command(prog, "-e", "table", "-e", "strikethrough", "-e", "autolink", "-e", "tagfilter")
			cmd.Stdin = strings.NewReader(md)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("cmark-gfm: %v", err)
			}
			if html := strings.TrimSpace(string(out)); !strings.HasSuffix(html, "<p>Comment <code>@codex review</code> to <strong>try again</strong>.</p>") {
				t.Errorf("%s, %s: the todo does not render as text; the HTML ends %q", name, c.kind, html[max(0, len(html)-300):])
			}
		}
	}
	if prog == "" {
		t.Skip("cmark-gfm is not installed (apt-get install cmark-gfm); only the lengths were checked")
	}
}

// The parser's messages about an invalid .codex.yml are quoted in a code
// block that stays closed however long they are.
func TestInvalidConfigCommentFits(t *testing.T) {
	md := InvalidConfigComment(".codex.yml", "main", strings.Repeat("line 3: ``` not closed\n", 5000))
	if len(md) > MaxBodyChars || !strings.Contains(md, cutQuote) || !strings.HasSuffix(md, "then comment `@codex review`.") {
		t.Fatalf("%d bytes, ends %q", len(md), md[len(md)-200:])
	}
	if strings.Count(md, "````") != 2 || !strings.Contains(md, "\n````"+cutQuote+"\nFix the file") {
		t.Errorf("the quote's block is not closed before the rest: %q", md[len(md)-300:])
	}
}
