package markdown

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Check reads markdown with goldmark; GitHub renders it with cmark-gfm,
// and the two differ in corners (GitHub's autolinks take in a domain with
// a zero-width space and run over backticks; emphasis and word boundaries
// differ). These tests render Neutralize's output with cmark-gfm itself,
// when it is installed (.ci/run installs it: Debian's cmark-gfm), and look
// at the HTML as GitHub's filters would.

// cmarkGFM returns the path of the cmark-gfm program, skipping the test
// when it is missing outside CI.
func cmarkGFM(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("cmark-gfm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cmark-gfm is not installed; .ci/run installs it")
		}
		t.Skip("cmark-gfm is not installed (apt-get install cmark-gfm)")
	}
	return p
}

// cmarkGFMForFuzz returns the path of cmark-gfm, or "" when it is missing
// outside CI: the fuzz target then checks with goldmark alone.
func cmarkGFMForFuzz(f *testing.F) string {
	p, err := exec.LookPath("cmark-gfm")
	if err != nil && os.Getenv("CI") != "" {
		f.Fatal("cmark-gfm is not installed; .ci/run installs it")
	}
	return p
}

// githubHTML renders s with GitHub's extensions. Blocks carry their
// source positions (data-sourcepos), for liveAlertHTML.
func githubHTML(t testing.TB, prog, s string) string {
	t.Helper()
	cmd := exec.Command(prog, "-e", "table", "-e", "strikethrough", "-e", "autolink", "-e", "tagfilter", "-e", "tasklist", "--github-pre-lang", "--unsafe", "--sourcepos")
	cmd.Stdin = strings.NewReader(s)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cmark-gfm: %v", err)
	}
	return string(out)
}

// liveHTML reports what GitHub would show live in rendered HTML: a tag
// markdown does not produce (raw HTML from the text), any link, a mention
// or reference in text outside code, a dollar sign in text outside code
// (see escapedDollars), or a suggestion block.
func liveHTML(h string) error {
	z := html.NewTokenizer(strings.NewReader(h))
	code := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil
		case html.CommentToken, html.DoctypeToken:
			return fmt.Errorf("raw HTML %q", z.Token().String())
		case html.TextToken:
			if text := string(z.Text()); code == 0 {
				if err := liveText(text); err != nil {
					return err
				}
				if strings.Contains(text, "$") {
					return fmt.Errorf("a dollar sign GitHub may read as math in %q", text)
				}
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowedTags[tok.Data] {
				return fmt.Errorf("raw HTML %q", tok.String())
			}
			step := 1
			if tok.Type == html.EndTagToken {
				step = -1
			}
			switch tok.Data {
			case "code", "pre":
				code += step
			case "a":
				return fmt.Errorf("a link %q", tok.String())
			}
			for _, a := range tok.Attr {
				if tok.Data == "pre" && a.Key == "lang" && isSuggestionInfo(a.Val) {
					return fmt.Errorf("a suggestion block %q", a.Val)
				}
				if tok.Data == "pre" && a.Key == "lang" && isRenderedInfo(a.Val) {
					return fmt.Errorf("a %s block, which GitHub draws", a.Val)
				}
			}
		}
	}
}

// liveOnGitHub renders markdown s as GitHub would and reports what is
// live in it (liveHTML, liveAlertHTML).
func liveOnGitHub(t testing.TB, prog, s string) error {
	t.Helper()
	src := escapedDollars(s)
	h := githubHTML(t, prog, src)
	if err := liveHTML(h); err != nil {
		return err
	}
	return liveAlertHTML(h, src)
}

// liveAlertHTML reports a paragraph inside a block quote, in h rendered
// from src with source positions, whose source starts with an alert
// marker (liveAlert): GitHub takes the marker from the source, and "[!x]"
// and "\[!x]" render alike. GitHub draws only a quote's first paragraph
// as an alert; any is live here, to be safe.
func liveAlertHTML(h, src string) error {
	lines := strings.Split(src, "\n")
	z := html.NewTokenizer(strings.NewReader(h))
	quotes := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil
		case html.EndTagToken:
			if tok := z.Token(); tok.Data == "blockquote" {
				quotes--
			}
		case html.StartTagToken:
			tok := z.Token()
			if tok.Data == "blockquote" {
				quotes++
			}
			if tok.Data != "p" || quotes == 0 {
				continue
			}
			for _, a := range tok.Attr {
				var line, col int
				if a.Key != "data-sourcepos" {
					continue
				}
				if _, err := fmt.Sscanf(a.Val, "%d:%d-", &line, &col); err != nil || line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1])+1 {
					return fmt.Errorf("paragraph at %q, outside the source", a.Val)
				}
				if l := lines[line-1][col-1:]; liveAlert([]byte(l)) {
					return fmt.Errorf("an alert marker opens a quote: %q", l)
				}
			}
		}
	}
}

// escapedDollars writes "!" for every dollar sign that s escapes with a
// backslash. cmark-gfm has no math, and its HTML shows "\$" and "$" alike;
// "\!" is an escape too, so the structure stays, and a "$" left in text
// outside code in the HTML is one that GitHub may read as math.
func escapedDollars(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '$' && escaped(b, i) {
			b[i] = '!'
		}
	}
	return string(b)
}

// inlineContexts put inline text where the app puts it: in a bold title
// and in a footer in small print (the app's own <sub> is dropped before
// the check).
func inlineContexts(s string) string {
	return "**[P1] " + s + "** — <sub>" + s + "</sub>"
}

var ourSub = strings.NewReplacer("<sub>", "", "</sub>", "")

// Inputs that once came out live on GitHub though goldmark rendered them
// inert.
var cmarkRegressions = []string{
	// GitHub's autolink takes "www.<zero-width space>github.com…" and runs
	// over "&lt;" (a "<" shown as text) and the backtick of a code span.
	"www.github.com/a/b/pull/2&<script>@acme/sec`>![)<details>    \\`~~~<details>",
	"see https://github.com/a/b/pull/1<x>`<img src=x>`",
	"a@b.com<https://github.com/a/b/pull/1><!--`| a |\n|---|\n## ```[^1]: acme/w#3\\`\n",
	// The autolink ends before "<" and takes the backslash escaping it.
	"ftp://x.y/\\<img src=x>& and HTTPS://x.y/\\<details>",
	// Links and math, in model text, are shown as text.
	"[Approve this PR](https://evil.example) <https://evil.example> www.evil.example $$\\Huge\\text{APPROVED}$$",
	"[x](/owner/repo/settings) ![i](https://e.example/i.png) [a][1] $`x`$\n\n[1]: https://evil.example",
	// Emphasis drops the "_" around a hash; a zero-width space or a
	// non-ASCII letter is a word boundary to GitHub.
	"1. -->_a5c3785ed```\\\t\u2028_#1_\\@a",
	"_a5c3785ed8d6_ é0123456789abcdef",
	"abcd0123456789abcdef0123456789abcdef0123",
}

// cmarkAtoms are the pieces random inputs are made of.
var cmarkAtoms = []string{"@alice", "#3", "acme/w#3", "GH-3", "a5c3785ed", "https://github.com/a/b/issues/1", "www.github.com/a/b/pull/2",
	"<details>", "<!--", "-->", "</details>", "<b>", "<img src=x>", "&#64;bob", "`", "``", "```", "~~~", "```suggestion", "```sugg&#101;stion", "```m&#101;rmaid", "    ", "\t",
	"\n", "\n\n", "> ", "- ", "1. ", "* ", "| a | b |\n|---|---|\n", "|", "\\", "\\|", "[x](", ")", "[x]: ", "\"", "'", "![", "]", "(",
	"*", "_", "~~", "$", "<https://github.com/a/b/pull/1>", "a@b.com", "x", "text ", " ", "#", "## ", "---", "<div>", "<pre>",
	"<script>", "<", ">", "&", "&amp;", "\\`", "[^1]", "[^1]: ", "@", "\u200b", "@acme/sec", "http://", "ftp://x.y/", "HTTPS://",
	"WWW.", "www.a.com/", "x.y@z.com", "é", ":", "//", ".", "&lt;", "*@a*", "_#1_", "[@a]", "(@a)", "\\@a", "x#1", "`@a`",
	"``@a``", "~~~\n@a\n~~~", "<a href=x>", "\r\n", "\u00a0", "\u2028", "0123456789abcdef",
	"[a](https://evil.example)", "[Approve](/o/r/settings \"t\")", "](", "[a][1]", "[1]: /x\n", "[a]", "<https://evil.example>",
	"<a@b.example>", "https://evil.example/login", "www.evil.example", "mailto:a@b.example", "xmpp:a@b.example", "1https://e.x",
	"\\https://e.x", "(https://e.x)", "https://e.x.", "$", "$$", "\\$", "$x$", "$`x`$", "$$\\Huge X$$", "```math\n",
	"[!WARNING]", "[!note]\n", "[ !TIP ]", "> [!CAUTION]\n", ">[!", "\n> > [!NOTE]\n"}

func TestNeutralizeInertOnGitHub(t *testing.T) {
	prog := cmarkGFM(t)
	inputs := append([]string{}, cmarkRegressions...)
	for _, s := range fuzzSeeds {
		inputs = append(inputs, s)
	}
	r := rand.New(rand.NewSource(20261206))
	for range 400 {
		var b strings.Builder
		for range 2 + r.Intn(14) {
			b.WriteString(cmarkAtoms[r.Intn(len(cmarkAtoms))])
		}
		inputs = append(inputs, b.String())
	}
	for _, in := range inputs {
		out := Neutralize(in)
		if err := liveOnGitHub(t, prog, out); err != nil {
			t.Errorf("Neutralize(%q) = %q: live on GitHub: %v", in, out, err)
		}
		inl := inlineContexts(NeutralizeInline(in))
		if err := liveHTML(ourSub.Replace(githubHTML(t, prog, escapedDollars(inl)))); err != nil {
			t.Errorf("NeutralizeInline(%q) in %q: live on GitHub: %v", in, inl, err)
		}
	}
}

// The oracle itself: what model text used to post live is live to it.
func TestLiveHTMLFindsLinksMathAndAlerts(t *testing.T) {
	prog := cmarkGFM(t)
	for _, s := range []string{
		"[Approve this PR](https://evil.example)", "[x](/owner/repo/settings)", "[a][1]\n\n[1]: /x", "<https://evil.example>",
		"&lt;https://evil.example>", "log in at https://evil.example/login", "www.evil.example", "![i](https://e.example/i.png)",
		"\\![i](https://e.example/i.png)", "mail a@b.example", "$$\\Huge\\text{APPROVED}$$", "costs $5", "$`x`$",
		"> [!WARNING]\n> Approved by security", ">[!note]", "- > x\n  >\n  > > [ !Tip ]", ">\t[!CAUTION]\n>\n> y",
	} {
		if liveOnGitHub(t, prog, s) == nil {
			t.Errorf("liveOnGitHub(%q) = nil, want it live", s)
		}
	}
	for _, s := range []string{"`https://evil.example`", `costs \$5`, "`$x$`", "a@\u200bb.example", "```\n$$x$$\n```",
		"> \\[!WARNING]\n> Approved", "> x\n>\n> y [!NOTE]", "[!NOTE]\n\n> z", "> `a\n> [!x]`"} {
		if err := liveOnGitHub(t, prog, s); err != nil {
			t.Errorf("liveOnGitHub(%q) = %v, want nil", s, err)
		}
	}
}
