package render

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// ourHTML is the HTML this package writes itself: footers, folded
// sections and markers.
var ourHTML = regexp.MustCompile(`</?(sub|b|summary)>|<details( open)?>|</details>|<!-- codex-review:[a-z-]+=[A-Za-z0-9._:+/=,-]+ -->`)

// assertInert fails when a rendered body has anything live besides the
// app's own HTML: a mention, a reference, raw HTML from the model, an
// image, a control character or an open fence.
func assertInert(t *testing.T, what, body string) {
	t.Helper()
	if err := markdown.Check(ourHTML.ReplaceAllString(body, "")); err != nil {
		t.Errorf("%s is not inert: %v\n%s", what, err, body)
	}
}

const hostileText = "cc @alice @acme/security-team, fixes acme/widgets#3 and #4, GH-5, see " +
	"https://github.com/acme/widgets/pull/6 and alice@a5c3785ed \x1b]0;pwned\a\x1b[31m ![x](https://e.com/x.png)\n\n" +
	"<details><summary>Click</summary>\n\nhidden"

func hostileResult() *review.Result {
	inline := rev(finding.Security, 1, "[P1] @alice look <b>here</b> #7", hostileText, "a.go", 1, 2, 0.9, "fp1", inlineAt("a.go", 1, 2))
	inline.Suggestion = "x := 1 // @bob #8\n"
	inline.Category = "security"
	moved := rev(finding.Bugs, 1, "<!-- hide", hostileText, "b.go", 3, 3, 0.8, "fp2", inSummary("b.go", "outside the diff"))
	moved.Placement.Reason = "@carol <details>"
	r := result("patch is incorrect @dave", hostileText, 0.7, inline, moved)
	r.Failures = []string{"model answered: @erin <details> #9 \x1b[2J"}
	return r
}

// Model text is posted through InlineBody and Summary: nothing in it may
// notify, cross-link, hide the rest of the review or drive a terminal,
// while suggestions and the app's markers stay exactly as written.
func TestHostileModelTextIsInert(t *testing.T) {
	r := hostileResult()
	in := InlineBody(r.Findings[0])
	assertInert(t, "inline body", in)
	if !strings.Contains(in, "```suggestion\nx := 1 // @bob #8\n```") {
		t.Errorf("suggestion not kept byte for byte:\n%s", in)
	}
	if got := ParseFingerprints(in); len(got) != 1 || got[0] != "fp1" {
		t.Errorf("fingerprints = %q", got)
	}
	sum := Summary(r, SummaryOptions{State: testState})
	assertInert(t, "summary", sum)
	if got := ParseMarkers(sum, "state"); len(got) != 1 {
		t.Errorf("the state marker is hidden: %q\n%s", got, sum)
	}
	if got := ParseFingerprints(sum); len(got) != 1 || got[0] != "fp2" {
		t.Errorf("summary fingerprints = %q", got)
	}
	// The unclosed <details> in the first finding must not fold what
	// follows: the coverage line and the state marker are outside any HTML.
	for _, h := range markdown.RawHTML(sum) {
		if !ourHTML.MatchString(h) {
			t.Errorf("raw HTML from the model reached the summary: %q", h)
		}
	}
	doc := Document(r)
	assertInert(t, "markdown document", doc)
}

func TestControlCharactersStrippedInEveryFormat(t *testing.T) {
	r := hostileResult()
	var js, sarif, text bytes.Buffer
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if err := SARIF(&sarif, r, SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Text(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"json": js.String(), "sarif": sarif.String(), "text": text.String(),
		"markdown": Document(r), "summary": Summary(r, SummaryOptions{}), "inline": InlineBody(r.Findings[0]),
	} {
		if strings.ContainsAny(out, "\x1b\a") || strings.Contains(out, `\u001b`) || strings.Contains(out, `\u0007`) {
			t.Errorf("%s output holds a control character:\n%s", name, out)
		}
	}
}

func TestSuggestionWithControlCharactersNotCommittable(t *testing.T) {
	f := rev(finding.Bugs, 1, "t", "b", "a.go", 1, 1, 0.9, "fp", inlineAt("a.go", 1, 1))
	f.Suggestion = "x := \"\x1b[31m\"\n"
	f.Placement.Method = anchor.Exact
	if out := InlineBody(f); strings.Contains(out, "suggestion") || strings.Contains(out, "\x1b") {
		t.Errorf("suggestion with ESC offered:\n%s", out)
	}
}

// Invisible characters make committed code differ from what the reader
// of the suggestion sees: "isAdmin\u200b" is another identifier in
// JavaScript, "tok\u2060en" another string. GitHub shows them as nothing,
// so such a suggestion is not offered either.
func TestSuggestionWithInvisibleCharactersNotCommittable(t *testing.T) {
	for _, s := range []string{"if (isAdmin\u200b) {\n", "k := \"tok\u2060en\"\n", "a\u00adb\n", "x\U000E0041\n", "\ufeffpackage a\n", "y\u200d\n"} {
		if Committable(s) {
			t.Errorf("Committable(%q) = true", s)
		}
		f := rev(finding.Bugs, 1, "t", "b", "a.go", 1, 1, 0.9, "fp", inlineAt("a.go", 1, 1))
		f.Suggestion = s
		if out := InlineBody(f); strings.Contains(out, "```suggestion") {
			t.Errorf("suggestion %q offered:\n%s", s, out)
		}
	}
	for _, s := range []string{"x := \"héllo, 世界\"\n", "\tif a {\r\n", "// 👍\n"} {
		if !Committable(s) {
			t.Errorf("Committable(%q) = false", s)
		}
	}
}

// A hostile answer cannot make rendering slow: the explanation is cut at
// maxBodyRunes before it is parsed, whatever its size.
func TestPathologicalBodyIsCut(t *testing.T) {
	f := rev(finding.Bugs, 1, "t", strings.Repeat("[a](", 50000), "a.go", 1, 1, 0.9, "fp", inlineAt("a.go", 1, 1))
	out := InlineBody(f)
	if n := strings.Count(out, "[a]("); n > maxBodyRunes/4+1 {
		t.Errorf("%d link openers kept, want at most %d", n, maxBodyRunes/4+1)
	}
	assertInert(t, "inline body", out)
}

// suggestionBlocks counts the blocks GitHub would offer for one-click
// commit.
func suggestionBlocks(body string) []string {
	var out []string
	for _, s := range markdown.Snippets(body) {
		if f := strings.Fields(strings.ToLower(s.Info)); s.Block && len(f) > 0 && strings.HasPrefix(f[0], "suggestion") {
			out = append(out, s.Code)
		}
	}
	return out
}

// A suggestion block is a change anyone can commit with one click. The
// model's own prose (a finding's body, an answer in a thread) may not carry
// one: only the suggestion field, checked to replace exactly the commented
// lines, becomes a suggestion. The code the model quoted stays visible.
func TestModelSuggestionBlocksNotCommittable(t *testing.T) {
	smuggled := "Apply this:\n\n```suggestion\nos.RemoveAll(\"/\")\n```\n\nand\n\n~~~suggestion:-5+5\nbackdoor()\n~~~"
	f := rev(finding.Bugs, 1, "t", smuggled, "a.go", 1, 1, 0.9, "fp", inlineAt("a.go", 1, 1))
	f.Placement.Method = anchor.Exact
	f.Suggestion = "x := 1\n"
	in := InlineBody(f)
	if got := suggestionBlocks(in); len(got) != 1 || got[0] != "x := 1\n" {
		t.Errorf("inline comment offers %q, want only the checked suggestion:\n%s", got, in)
	}
	for _, code := range []string{"os.RemoveAll(\"/\")\n", "backdoor()\n"} {
		if !strings.Contains(in, code) {
			t.Errorf("the quoted code %q is gone:\n%s", code, in)
		}
	}
	reply := ThreadReply{Answers: 3, Text: smuggled}.Reply()
	if got := suggestionBlocks(reply); len(got) != 0 {
		t.Errorf("thread answer offers %q:\n%s", got, reply)
	}
	sum := Summary(result("patch is incorrect", smuggled, 0.5, f), SummaryOptions{})
	if got := suggestionBlocks(sum); len(got) != 0 {
		t.Errorf("summary offers %q:\n%s", got, sum)
	}
}

// A title or an area name ending in a backslash would escape the markdown
// written after it: the title's closing "**" and the footer's "</sub>"
// would show as text, and the rest of the line would stay small print.
func TestTrailingBackslashEscapesNothing(t *testing.T) {
	f := rev(finding.Bugs, 1, `Path ends in C:\`, "b", "a.go", 1, 1, 0.9, "fp", inSummary("a.go", `moved from C:\`))
	f.Area, f.Category = "", `bugs\`
	for what, body := range map[string]string{
		"inline comment": InlineBody(f),
		"summary":        Summary(result(`patch is incorrect\`, "x", 0.5, f), SummaryOptions{}),
	} {
		closes := 0
		for _, h := range markdown.RawHTML(body) {
			if h == "</sub>" {
				closes++
			}
		}
		if opens := strings.Count(body, "<sub>"); closes != opens {
			t.Errorf("%s: %d <sub> but %d </sub> read as HTML:\n%s", what, opens, closes, body)
		}
		if strings.Contains(body, `\**`) && !strings.Contains(body, `\\**`) {
			t.Errorf("%s: a bold text's closing ** is escaped:\n%s", what, body)
		}
	}
}

// A link reference definition in model text renders as nothing, but it
// makes every "[label]" of the comment a link: "[P1]: https://…" in an
// explanation would turn the "[P1]" of every heading the app writes into
// a link to wherever the pull request wanted.
func TestModelTextCannotDefineLinks(t *testing.T) {
	f := rev(finding.Security, 1, "SQL injection", "[p1]: https://evil.example/login", "a.go", 1, 1, 0.9, "fp", inlineAt("a.go", 1, 1))
	moved := rev(finding.Bugs, 1, "Also", "b", "b.go", 3, 3, 0.8, "fp2", inSummary("b.go", "outside the diff"))
	r := result("patch is incorrect", "See below.\n\n[P1]: https://evil.example/login \"Sign in\"", 0.7, f, moved)
	r.Failures = []string{"[P1]: https://evil.example/x"}
	assertInert(t, "summary", Summary(r, SummaryOptions{State: testState}))
	assertInert(t, "inline comment", InlineBody(f))
	assertInert(t, "thread answer", ThreadReply{Answers: 1, Text: "[P1]: https://evil.example/login"}.Reply())
	assertInert(t, "check run", Check(r, CheckOptions{}).Summary)
}
