package markdown

import (
	"strings"
	"testing"
)

func kinds(src string) string {
	var parts []string
	for _, l := range Lines(src) {
		k := l.Kind.String()
		if l.Quoted {
			k += ">"
		}
		parts = append(parts, k)
	}
	return strings.Join(parts, " ")
}

func TestLines(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"paragraph", "hello\nworld", "text text"},
		{"fenced", "a\n\n```go\nx\n```\nb", "text text code code code text"},
		{"tilde fence, longer closer", "~~~\nx\n~~~~~\nb", "code code code text"},
		{"unclosed fence runs to the end", "```\nx\n\ny", "code code code code"},
		{"backtick info with a backtick is not a fence", "```a`b\nx", "text text"},
		{"indented code after a blank line", "Hi\n\n    @codex review\n\nbye", "text text code text text"},
		{"indented line continuing a paragraph is text", "Hi\n    @codex review", "text text"},
		{"html comment block", "<!--\n@codex review\n-->\nafter", "html html html text"},
		{"comment opened mid-line", "Thanks <!--\n@codex review\n-->", "text html html"},
		{"quote and lazy continuation", "> quoted\nlazy\n\nfree", "text> text> text text"},
		{"fence in a quote", "> ```\n> x\n> ```\nafter", "code> code> code> text"},
		{"fence in a list item", "- item\n\n  ```\n  x\n  ```\n\nafter", "text text code code code text text"},
		{"html block ends at a blank line", "<div>\n@codex review\n\n@codex review", "html html text text"},
		{"crlf and lone cr", "a\r\n```\r\nx\r```\rb", "text code code code text"},
		// A comment opened in an HTML block goes on past the block's end
		// in the rendered page, to the next "-->" of raw HTML.
		{"comment opened in an html block", "<details> <!--\n\n@codex review\n\nmore -->\n\n<div>--></div>\n\nafter", "html text html text html text html text text"},
		{"unclosed comment in an html block runs to the end", "<div><!--\n\n@codex review\n\nbye", "html text html text html"},
		{"an unclosed comment in a paragraph is text", "Hi <b><!--</b>\n\n@codex review", "text text text"},
		// A code span may span lines; lines that start inside one render
		// as code.
		{"code span over lines", "Type ``\n@codex review\n`` to ask, and `a`\n@codex review", "text code code text"},
		{"code span ending on the line", "Type `\n@codex review` to ask.", "text code"},
		// A link reference definition renders as nothing, a title that
		// spans lines included.
		{"link reference definition", "Thanks\n\n[x]: https://e.com \"\n@codex review\n\"\nafter", "text text markup markup markup text"},
		{"definition's destination on the next line", "[x]:\n@codex", "markup markup"},
		{"definition in a quote", "> [x]: /u '\n> @codex review\n> '", "markup> markup> markup>"},
		{"not a definition: text after the title", "[x]: /u \"t\" @codex review", "text"},
		{"breaks, underlines and delimiter rows show no text", "a\n===\n\n---\n\n| h |\n|---|\n| c |", "text markup text markup text text markup text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kinds(tt.src); got != tt.want {
				t.Errorf("kinds(%q) = %q, want %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestLinesVisible(t *testing.T) {
	ls := Lines("@codex review <!-- hidden --> security\nThanks <!--\n@codex review\n-->")
	if got := ls[0].Visible; got != "@codex review  security" {
		t.Errorf("line 1 visible = %q", got)
	}
	if ls[1].Visible != "Thanks " || ls[2].Kind != HTML {
		t.Errorf("mid-line comment: %+v", ls)
	}
}

func TestSnippets(t *testing.T) {
	got := Snippets("Use `a()` here.\n\n```suggestion\nb()\n```\n\n    c()\n")
	want := []Snippet{{Code: "a()"}, {Block: true, Info: "suggestion", Code: "b()\n"}, {Block: true, Code: "c()\n"}}
	if len(got) != len(want) {
		t.Fatalf("Snippets = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("snippet %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestHeadings(t *testing.T) {
	src := "# Title\n\n```\n## not a heading\n```\n\n> ## quoted\n\nReview guidelines\n---\ntext\n## Next ##\n"
	got := Headings(src)
	want := []Heading{
		{Level: 1, Text: "Title", First: 0, Last: 0},
		{Level: 2, Text: "Review guidelines", First: 8, Last: 9},
		{Level: 2, Text: "Next", First: 11, Last: 11},
	}
	if len(got) != len(want) {
		t.Fatalf("Headings = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("heading %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestRawHTML(t *testing.T) {
	got := RawHTML("a <!-- x --> b\n\n`<!-- code -->`\n\n```\n<!-- fenced -->\n```\n\n<!-- block -->\n")
	if len(got) != 2 || got[0] != "<!-- x -->" || strings.TrimSpace(got[1]) != "<!-- block -->" {
		t.Errorf("RawHTML = %q", got)
	}
}

func TestCloseFence(t *testing.T) {
	for src, want := range map[string]string{
		"a\n````go\nx":   "a\n````go\nx\n````",
		"```\nx\n```":    "```\nx\n```",
		"text":           "text",
		"- ```\n  x":     "- ```\n  x", // a list item ends at the next unindented line
		"~~~\nx\n~~\n":   "~~~\nx\n~~\n~~~",
		"```\r\nx\r\n":   "```\nx\n```",
		"```\nx\n```   ": "```\nx\n```   ",
	} {
		if got := CloseFence(src); got != want {
			t.Errorf("CloseFence(%q) = %q, want %q", src, got, want)
		}
	}
}
