package markdown

import (
	"bytes"
	"strings"
	"testing"
)

func TestNeutralize(t *testing.T) {
	z := zwsp
	tests := []struct {
		name, in, want string
	}{
		{"user and team mentions", "cc @alice @acme/security-team", "cc @" + z + "alice @" + z + "acme/security-team"},
		{"cross-repository reference", "fixes acme/widgets#3", "fixes acme/widgets#" + z + "3"},
		{"issue number and GH-", "see #12 and GH-4, gh-5", "see #" + z + "12 and GH-" + z + "4, gh-" + z + "5"},
		{"commit references", "in alice@a5c3785 and acme/widgets@a5c3785ed8d6a35868bc169f07e40e889087fd2e",
			"in alice@" + z + "a5c378" + z + "5 and acme/widgets@" + z + "a5c378" + z + "5ed8d6" + z + "a35868" + z + "bc169f" + z + "07e40e" + z + "889087" + z + "fd2e"},
		{"bare hash", "introduced in a5c3785ed.", "introduced in a5c378" + z + "5ed."},
		// A zero-width space is a word boundary: the rest of a long hash
		// after one must not be a hash GitHub looks up.
		{"real commit's digits after a prefix", "abcd0123456789abcdef0123456789abcdef0123",
			"abcd01" + z + "234567" + z + "89abcd" + z + "ef0123" + z + "456789" + z + "abcdef" + z + "0123"},
		// Emphasis drops its delimiters, and GitHub's word boundaries are
		// ASCII ones: a hash after "_" or a non-ASCII letter is a hash.
		{"hash in emphasis", "_a5c3785ed_ and éa5c3785 and x_a5c3785", "_a5c378" + z + "5ed_ and éa5c378" + z + "5 and x_a5c378" + z + "5"},
		{"hash inside a word stays", "x1a5c3785ed and a5c3785edx", "x1a5c3785ed and a5c3785edx"},
		{"hex words without digits stay", "a defaced facade", "a defaced facade"},
		// URLs are shown as code, which links nothing and refers to no
		// issue (TestNeutralizeLinks has every form of link).
		{"issue URL", "see https://github.com/acme/widgets/issues/3 now", "see `https://github.com/acme/widgets/issues/3` now"},
		// A protocol-relative URL in text is no link, but still reads as
		// the address to a linker that takes bare host names.
		{"protocol-relative issue URL", "see //github.com/acme/widgets/issues/3", "see //" + z + "github.com/acme/widgets/" + z + "issues/3"},
		{"escaped at sign", `\@alice`, `\@` + z + "alice"},
		{"escaped dash in GH", `GH\-3`, `GH\-` + z + "3"},
		{"entity for at", "&#64;alice", "&amp;#" + z + "64;alice"},
		{"unclosed details", "<details><summary>more</summary>\n\nhidden", "&lt;details>&lt;summary>more&lt;/summary>\n\nhidden"},
		{"html comment", "a <!-- b", "a &lt;!-- b"},
		{"stray backtick", "it's ` here", "it's \\` here"},
		{"code span kept", "call `@alice #3 <b>` now @bob", "call `@alice #3 <b>` now @" + z + "bob"},
		{"double backtick span kept", "``a ` @b``", "``a ` @b``"},
		{"fenced block kept", "```go\n// @alice <b>\n```\n@bob", "```go\n// @alice <b>\n```\n@" + z + "bob"},
		// GitHub offers a suggestion block for one-click commit: in model
		// text it is shown as plain code, kept byte for byte.
		{"suggestion block shown as code", "```suggestion\nx := <-ch // #1\n```", "```text\nx := <-ch // #1\n```"},
		{"suggestion in another case, with GitLab's line range", "Apply:\n\n~~~ Suggestion:-2+3 go\nos.RemoveAll(dir)\n~~~", "Apply:\n\n~~~ text go\nos.RemoveAll(dir)\n~~~"},
		{"suggestion in a list item", "- fix:\n\n  ```suggestion\n  x := 1\n  ```", "- fix:\n\n  ```text\n  x := 1\n  ```"},
		{"suggestion in a quote", "> ```suggestion\n> x := 1\n> ```", "> ```text\n> x := 1\n> ```"},
		// GitHub draws these blocks (diagrams, formulas, maps, models)
		// instead of showing their code: model text shows the code.
		{"rendered blocks shown as code", "```mermaid\ngraph TD; A-->B\n```\n```Math\n\\Huge X\n```\n~~~geojson\n{}\n~~~\n```topojson\n{}\n```\n```stl\nsolid\n```",
			"```text\ngraph TD; A-->B\n```\n```text\n\\Huge X\n```\n~~~text\n{}\n~~~\n```text\n{}\n```\n```text\nsolid\n```"},
		// GitHub decodes character references and backslash escapes in
		// an info string: these are suggestion blocks and diagrams too.
		{"suggestion spelled with character references", "```sugg&#101;stion\nx\n```\n~~~&#x53;UGGESTION&#32;go\ny\n~~~\n```m&#101;rmaid\ngraph\n```",
			"```text\nx\n```\n~~~text\ny\n~~~\n```text\ngraph\n```"},
		{"a first word starting with suggestion, not a later word", "```suggestions-go\nx\n```\n```go suggestion\ny\n```", "```text\nx\n```\n```go suggestion\ny\n```"},
		{"indented block kept", "text\n\n    @alice <b>\n", "text\n\n    @alice <b>\n"},
		{"open fence closed", "```\ncode @a", "```\ncode @a\n```"},
		{"tilde fence left open", "a\n\n~~~ open", "a\n\n~~~ open\n~~~"},
		{"control characters", "red\x1b[31m bell\a \u202eevil\r\nnext", "red[31m bell evil\nnext"},
		{"invalid utf-8", "a\xffb", "ab"},
		{"email", "mail a@b.com", "mail a@" + z + "b.com"},
		{"heading with a number", "# 1 thing", "# 1 thing"},
		// A definition would make every "[P1]" of the comment a link: it
		// is shown as text, and the links that used it show its URL.
		{"link reference definition", "[P1]: https://evil.example/login\n\n- [x]: y\n\nsee [P1] and [a](b) and [c]",
			"[P1]\\: `https://evil.example/login`\n\n- [x]\\: y\n\nsee " + z + "P1 (`https://evil.example/login`) and " + z + "a (`b`) and [c]"},
		// GitHub's autolink runs from "www." or a scheme to the next
		// space or "<", over a backtick: once the URL is code, a code span
		// right after it is code on GitHub too, and is kept. Two spans
		// that touch get a zero-width space between them.
		{"code span after a URL kept", "see https://example.com/x<y>`<img src=x>` and www.a.com`@b`",
			"see `https://example.com/x`&lt;y>`<img src=x>` and `www.a.com`" + z + "`@b`"},
		{"code span after a space kept", "see https://example.com/x `<img src=x>`", "see `https://example.com/x` `<img src=x>`"},
		// An autolink ends before "<" and takes the backslash in.
		{"escaped less-than", `ftp://x.y/\<img src=x>`, "`ftp://x.y/`&lt;img src=x>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Neutralize(tt.in)
			if got != tt.want {
				t.Errorf("Neutralize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if err := checkNeutral(got); err != nil {
				t.Errorf("checkNeutral(%q): %v", got, err)
			}
		})
	}
}

// An HTML comment block used to hide a fenced block from the original
// parse; once the comment is shown as text, the lines after it must not
// turn into prose the rewrite did not see.
func TestNeutralizeStructureShift(t *testing.T) {
	for _, in := range []string{
		"<!-- x -->\n    @alice",
		"<!--\n```\n-->\n@alice\n```\n@bob",
		"<a title=\"`\">\ntext `@bob`",
		"<div>\n```\n</div>\n\n```\n@alice\n```",
		"> <!--\n> ```\n@alice\n",
	} {
		got := Neutralize(in)
		if err := Check(got); err != nil {
			t.Errorf("Neutralize(%q) = %q: %v", in, got, err)
		}
	}
}

// Raw HTML shown as text is a paragraph, and markdown reads its lines
// again: each of the seven kinds of HTML block, and the lines around one,
// must keep the blocks the input had. Types 1 to 5 end at a closing
// marker, so they hold blank lines, after which an indented line would
// become code; any type holds lines that would become headings, lists,
// quotes, rules or link definitions; and the lines next to a block would
// join its paragraph.
func TestNeutralizeHTMLBlockStructure(t *testing.T) {
	z := zwsp
	for _, tt := range []struct{ in, want string }{
		{"<!A\n\n    0", "&lt;!A\n\n" + z + "    0"},
		{"<script>\n\n    x @a\n</script>", "&lt;script>\n\n" + z + "    x @" + z + "a\n" + z + "&lt;/script>"},
		{"<pre>\n\n    x\n</pre>", ""},
		{"<textarea>\n\n    x\n</textarea>", ""},
		{"<style>\n\n    x\n</style>", ""},
		{"<!--\n\n    code\n-->", "&lt;!--\n\n" + z + "    code\n" + z + "-->"},
		{"<?php\n\n    x\n?>", ""},
		{"<![CDATA[\n\n    x\n]]>", ""},
		{"<div>\n# h\n- x\n> q\n1. y\n[r]: /u\n---", "&lt;div>\n" + z + "# h\n" + z + "- x\n" + z + "> q\n" + z + "1. y\n" + z + "[r]\\: /u\n" + z + "---"},
		{"<a href=\"x\">\n===", ""},
		{"<!--\n- x\n-->\n\n    @alice", "&lt;!--\n" + z + "- x\n" + z + "-->\n\n    @alice"},
		{"<!-- x -->\n    @alice", "&lt;!-- x -->\n\n    @alice"},
		{"<!-- x -->\n---", "&lt;!-- x -->\n\n---"},
		{"<!-- x -->\ntext", "&lt;!-- x -->\n\ntext"},
		{"> <!-- x -->\n    @alice", "> &lt;!-- x -->\n>\n    @alice"},
		{"> <!-- x -->\n>     @alice", "> &lt;!-- x -->\n>\n>     @alice"},
		{"- <!--\n\n      code\n  -->", "- &lt;!--\n\n  " + z + "    code\n  " + z + "-->"},
		{"- item\n<div>\n</div>\n\n    code", "- item\n\n&lt;div>\n" + z + "&lt;/div>\n\n    code"},
		{"> para\n> <div>\n>\n>     code", "> para\n>\n> &lt;div>\n>\n>     code"},
		{"-\n  <div>\n  x", "-\n  &lt;div>\n  " + z + "x"},
		{"<!-- a -->\n<!-- b -->\n    c", "&lt;!-- a -->\n\n&lt;!-- b -->\n\n    c"},
	} {
		got, level := neutralize(tt.in)
		if tt.want != "" && got != tt.want {
			t.Errorf("Neutralize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if level != keptCode {
			t.Errorf("Neutralize(%q) = %q: fell back to rewrite %d", tt.in, got, level)
		}
		if w, g := blockShape(tt.in, true), blockShape(got, false); w != g {
			t.Errorf("Neutralize(%q) = %q: blocks %s, want %s", tt.in, got, g, w)
		}
		if err := checkNeutral(got); err != nil {
			t.Errorf("checkNeutral(%q): %v", got, err)
		}
	}
}

func TestNeutralizeInline(t *testing.T) {
	z := zwsp
	for in, want := range map[string]string{
		"SQL injection in `query(@id)` for @alice": "SQL injection in `query(@id)` for @" + z + "alice",
		"~~~ @alice":                    "\\~~~ @" + z + "alice",
		"    @alice\n\n  next":          "@" + z + "alice next",
		"# fixes #3":                    "\\# fixes #" + z + "3",
		"<details><summary>x":           "&lt;details>&lt;summary>x",
		"title\x1b]0;pwned\a":           "title]0;pwned",
		"[P1] `a|b` | c":                "[P1] `a|b` | c",
		"a ```` b ``` c":                "a \\`\\`\\`\\` b \\`\\`\\` c",
		"<!-- codex-review:state=x -->": "&lt;!-- codex-review:state=x -->",
		// A lone backslash at the end would escape the markdown after the
		// text ("**", "</sub>").
		`ends in a backslash\`:  `ends in a backslash\\`,
		`an escaped one \\`:     `an escaped one \\`,
		"code at the end `x\\`": "code at the end `x\\`",
	} {
		got := NeutralizeInline(in)
		if got != want {
			t.Errorf("NeutralizeInline(%q)\n got %q\nwant %q", in, got, want)
		}
		if err := checkInline(got); err != nil {
			t.Errorf("checkInline(%q): %v", got, err)
		}
	}
}

func TestCheckFindsLiveText(t *testing.T) {
	for _, s := range []string{
		"cc @alice", "fixes #3", "GH-3", "acme/widgets#3", "in a5c3785ed", "<details>", "a <b>x</b>",
		"<!-- c -->", "![i](x.png)", "see https://github.com/a/b/pull/1", "[x](https://github.com/a/b/issues/1)",
		"```\nopen", "bell\a", "\u202e", "[P1]: https://evil.example\n\n**[P1] x**", "_a5c3785ed_", "a5c3\u200b785ed8d6a35868bc1", "éa5c3785", "www.a.com`<b>`", "x https://e.com/`@a`",
		// Links of every form, and what GitHub renders as math.
		"[Approve](https://evil.example)", "[x](/owner/repo/settings)", "[a][1]\n\n[1]: /x", "<https://evil.example>", "<a@b.example>",
		"https://evil.example", "https://\u200bevil.example", "www.evil.example", "WWW.evil.example", "x://y", "$x$", "$$\\Huge X$$", "$`x`$", `\\$x`,
		// A quote GitHub draws as an alert box.
		"> [!WARNING]\n> Approved by security", ">[!note]", "> > [ !TIP ]", "- > [!CAUTION]\n  > x", "> x\n>\n> [!IMPORTANT]",
	} {
		if Check(s) == nil {
			t.Errorf("Check(%q) = nil, want a problem", s)
		}
	}
	for _, s := range []string{"plain text", "`@alice`", "```\n@alice\n```", "**bold** _em_ ~~del~~", "| a |\n|---|\n| b |", "- [ ] task",
		"`https://evil.example` (`/x`)", `\$5 and \$\$`, "`$x$`", "    $$x$$ https://e.example", "[not a link]",
		"> \\[!WARNING]\n> Approved", "[!NOTE] outside a quote\n\n> q", "> text [!NOTE]", "> `a\n> [!NOTE]`", "> ```\n> [!NOTE]\n> ```"} {
		if err := Check(s); err != nil {
			t.Errorf("Check(%q) = %v, want nil", s, err)
		}
	}
}

// A quote that starts with an alert marker is drawn by GitHub as a
// coloured alert box; model text posts it as an ordinary quote, wherever
// the quote is, showing the same text.
func TestNeutralizeAlerts(t *testing.T) {
	z := zwsp
	for _, tt := range []struct{ in, want string }{
		{"> [!WARNING]\n> Approved by security", "> \\[!WARNING]\n> Approved by security"},
		{">[!note] text", ">\\[!note] text"},
		{">    [!TIP]", ">    \\[!TIP]"},
		{"> [ !Important ]", "> \\[ !Important ]"},
		{"> > [!CAUTION]\n> > nested", "> > \\[!CAUTION]\n> > nested"},
		{"- item\n\n  > [!NOTE]\n  > in a list", "- item\n\n  > \\[!NOTE]\n  > in a list"},
		{"> - [!NOTE]", "> - \\[!NOTE]"},
		// Any line of a quoted paragraph, lazy ones included: a rewrite
		// elsewhere must not be able to move one to the top.
		{"> first\n[!NOTE]", "> first\n\\[!NOTE]"},
		// A definition in a quote is shown as a paragraph.
		{"> [!NOTE]: /x", "> \\[!NOTE]\\: /x"},
		// A link is shown as text that starts with a zero-width space.
		{"> [!NOTE](https://evil.example)", "> " + z + "!NOTE (`https://evil.example`)"},
		// Not a quote, or not at the start of a line, or code: unchanged.
		{"[!NOTE]\n\n> quote", "[!NOTE]\n\n> quote"},
		{"> see [!NOTE]", "> see [!NOTE]"},
		{"> `a\n> [!NOTE]`", "> `a\n> [!NOTE]`"},
		{"> ```\n> [!NOTE]\n> ```", "> ```\n> [!NOTE]\n> ```"},
	} {
		got, level := neutralize(tt.in)
		if got != tt.want || level != keptCode {
			t.Errorf("Neutralize(%q)\n got %q (rewrite %d)\nwant %q", tt.in, got, level, tt.want)
		}
		if err := Check(got); err != nil {
			t.Errorf("Check(Neutralize(%q)) = %v", tt.in, err)
		}
		if w, g := blockShape(tt.in, false), blockShape(got, false); w != g && !strings.Contains(tt.in, "](") {
			t.Errorf("Neutralize(%q): blocks %s, want %s", tt.in, g, w)
		}
	}
}

// Code must come out byte for byte: a suggestion that changed would commit
// something the model did not propose.
func TestNeutralizeKeepsCode(t *testing.T) {
	in := "Fix:\n\n```go\nif a < b && c > d { fmt.Println(\"@x #1 <!--\") }\n```\n\nand `x<y` too, `` a`b ``.\n"
	got := Neutralize(in)
	gs, ws := Snippets(got), Snippets(in)
	if len(gs) != len(ws) {
		t.Fatalf("snippets %+v, want %+v", gs, ws)
	}
	for i := range ws {
		if gs[i] != ws[i] {
			t.Errorf("snippet %d = %+v, want %+v", i, gs[i], ws[i])
		}
	}
	if strings.Contains(got, Withheld) {
		t.Errorf("withheld: %q", got)
	}
}

// BenchmarkNeutralize measures a typical finding explanation: a paragraph
// with code spans, a mention and a fenced block.
func BenchmarkNeutralize(b *testing.B) {
	s := "The handler builds the query from `name` without escaping it, so a name like `' OR 1=1 --` " +
		"returns every user (cc @alice, see #12).\n\n```go\nq := \"SELECT * FROM users WHERE name = '\" + name + \"'\"\n```\n\n" +
		"Use a placeholder and pass `name` as an argument."
	b.ReportAllocs()
	for b.Loop() {
		Neutralize(s)
	}
}

func BenchmarkNeutralizeInline(b *testing.B) {
	s := "[P1] SQL injection in `Store.Find` via @alice's `name`"
	b.ReportAllocs()
	for b.Loop() {
		NeutralizeInline(s)
	}
}

// Inline text is also placed at the start of a line, as a list item
// ("- " + text, a note under a summary) or a line of its own: it must not
// start a block there (a heading, a quote, a nested list, a task box, a
// rule, a code block) that the app did not write.
func TestNeutralizeInlineAtLineStart(t *testing.T) {
	for _, in := range []string{
		"# Huge", "### h", "> quoted", "1. one", "12) twelve", "- item", "+ item", "* item", "[ ] task", "[x] done", "[X] done",
		"---", "***", "___", "* * *", "===", "```go", "~~~", "    indented", "<b>", "#", ">", "- [ ] both",
	} {
		got := NeutralizeInline(in)
		for _, src := range []string{"- " + got, got, "- " + got + " <sub>x</sub>", "- x\n- " + got} {
			var b bytes.Buffer
			if err := gfm.Convert([]byte(src), &b); err != nil {
				t.Fatal(err)
			}
			h := b.String()
			for _, tag := range []string{"<h", "<blockquote", "<ol", "<input", "<hr", "<pre", "<table"} {
				if strings.Contains(h, tag) {
					t.Errorf("NeutralizeInline(%q) = %q: %q renders %s", in, got, src, h)
				}
			}
			if strings.Count(h, "<ul") > 1 || strings.Count(h, "<li") > strings.Count(src, "- ") {
				t.Errorf("NeutralizeInline(%q) = %q: %q nests a list: %s", in, got, src, h)
			}
		}
		if err := checkInline(got); err != nil {
			t.Errorf("checkInline(%q): %v", got, err)
		}
	}
}

// A pull request can steer the model into a link in the app's voice
// ("Approve this PR", a look-alike login page, the repository's settings).
// Every form of link in model text is shown as text: what it said, and
// where it pointed as code.
func TestNeutralizeLinks(t *testing.T) {
	z := zwsp
	for _, tt := range []struct{ name, in, want string }{
		{"inline", "[Approve this PR](https://evil.example)", z + "Approve this PR (`https://evil.example`)"},
		{"with a title", `[Approve](https://evil.example "Approve")`, z + "Approve (`https://evil.example`)"},
		{"angle-bracket destination", "[a](<https://evil.example/x y>)", z + "a (`https://evil.example/x y`)"},
		{"root-relative", "[x](/owner/repo/settings)", z + "x (`/owner/repo/settings`)"},
		{"relative", "[x](settings)", z + "x (`settings`)"},
		{"no text", "[](https://evil.example)", z + "(`https://evil.example`)"},
		{"no destination", "[a]()", z + "a"},
		{"reference, full", "[Approve][1]\n\n[1]: https://evil.example", z + "Approve (`https://evil.example`)\n\n[1]\\: `https://evil.example`"},
		{"reference, collapsed and shortcut", "[go][] and [go]\n\n[go]: /login", z + "go (`/login`) and " + z + "go (`/login`)\n\n[go]\\: /login"},
		{"reference without a definition stays text", "[x][y] and [z]", "[x][y] and [z]"},
		{"autolink", "<https://evil.example>", "`https://evil.example`"},
		{"email autolink", "<a@evil.example>", "`a@evil.example`"},
		{"bare URL", "log in at https://evil.example/login now", "log in at `https://evil.example/login` now"},
		{"www", "see www.evil.example and WWW.Evil.example.", "see `www.evil.example` and `WWW.Evil.example`."},
		{"other schemes", "ftp://x.example and file:///etc/passwd", "`ftp://x.example` and `file:///etc/passwd`"},
		{"scheme after a digit", "1https://evil.example", "1`https://evil.example`"},
		{"trailing punctuation stays text", "(see https://evil.example/a), https://evil.example/b.", "(see `https://evil.example/a`), `https://evil.example/b`."},
		{"balanced parentheses stay in", "https://en.wikipedia.org/wiki/Go_(game)", "`https://en.wikipedia.org/wiki/Go_(game)`"},
		{"image", "![diagram](https://e.example/d.png)", z + "diagram (image: `https://e.example/d.png`)"},
		{"image in a link", "[![ok](https://e.example/b.svg)](https://evil.example)", z + z + "ok (image: `https://e.example/b.svg`) (`https://evil.example`)"},
		{"in emphasis", "**[Approve](https://evil.example)** and _https://evil.example_", "**" + z + "Approve (`https://evil.example`)** and _`https://evil.example`_"},
		{"URL as the text", "[https://good.example](https://evil.example)", z + "`https://good.example` (`https://evil.example`)"},
		{"in a list", "- [a](https://evil.example)\n- https://evil.example", "- " + z + "a (`https://evil.example`)\n- `https://evil.example`"},
		{"in a quote", "> [a](https://evil.example)\n> www.evil.example", "> " + z + "a (`https://evil.example`)\n> `www.evil.example`"},
		{"in a table", "| a | b |\n|---|---|\n| [x](https://evil.example) | https://e.example|x |",
			"| a | b |\n|---|---|\n| " + z + "x (`https://evil.example`) | `https://e.example`|x |"},
		{"across lines", "> [a\n> b](\n> https://evil.example)", "> " + z + "a\n> b (`https://evil.example`)"},
		// The opening bracket becomes a zero-width space, not nothing: the
		// text after it must not start a block, or join the word before
		// it into a mention or a commit hash.
		{"text that would start a block", "[# Approved](https://evil.example)\n[- x](y)", z + "# Approved (`https://evil.example`)\n" + z + "- x (`y`)"},
		{"text that would join a word", "@[alice](x) abc123[4567](y)", "@" + z + "alice (`x`) abc123" + z + "4567 (`y`)"},
		{"a backslash before a URL", `a\https://evil.example`, `a\` + z + "`https://evil.example`"},
		{"code untouched", "`[a](https://evil.example)` and\n\n```\nhttps://evil.example $x$\n```", "`[a](https://evil.example)` and\n\n```\nhttps://evil.example $x$\n```"},
		{"URL before a code span", "https://evil.example`x`", "`https://evil.example`" + z + "`x`"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, level := neutralize(tt.in)
			if got != tt.want {
				t.Errorf("Neutralize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if level != keptCode {
				t.Errorf("Neutralize(%q) = %q: fell back to rewrite %d", tt.in, got, level)
			}
			if err := checkNeutral(got); err != nil {
				t.Errorf("checkNeutral(%q): %v", got, err)
			}
			if w, g := blockShape(tt.in, true), blockShape(got, false); w != g {
				t.Errorf("Neutralize(%q) = %q: blocks %s, want %s", tt.in, got, g, w)
			}
		})
	}
}

// GitHub renders "$…$", "$$…$$" and "$`…`$" as math, which can draw any
// text at any size ("$$\Huge\text{APPROVED}$$"). Outside code every dollar
// sign is escaped; code and escapes the model wrote stay as they were.
// Whether GitHub shows "\$" as a dollar sign cannot be rendered here: it is
// what CommonMark does and what GitHub documents.
func TestNeutralizeMath(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`$$\Huge\text{APPROVED}$$`, `\$\$\Huge\text{APPROVED}\$\$`},
		{"$$\n\\Huge X\n$$", "\\$\\$\n\\Huge X\n\\$\\$"},
		{"costs $5, not $10", `costs \$5, not \$10`},
		{"$`\\sqrt{3}`$", "\\$`\\sqrt{3}`\\$"},
		{`already \$5`, `already \$5`},
		{`a backslash \\$x$`, `a backslash \\\$x\$`},
		{"`$x$` and\n\n    $$y$$", "`$x$` and\n\n    $$y$$"},
		{"- [$x$](https://evil.example)", "- " + zwsp + "\\$x\\$ (`https://evil.example`)"},
	} {
		got := Neutralize(tt.in)
		if got != tt.want {
			t.Errorf("Neutralize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if err := checkNeutral(got); err != nil {
			t.Errorf("checkNeutral(%q): %v", got, err)
		}
		if inl := NeutralizeInline(tt.in); checkInline(inl) != nil {
			t.Errorf("NeutralizeInline(%q) = %q: %v", tt.in, inl, checkInline(inl))
		}
	}
}
