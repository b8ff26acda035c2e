package markdown

import (
	"bytes"
	"strings"
	"testing"
)

func TestCodeBlock(t *testing.T) {
	tests := []struct {
		name, info, text, want string
	}{
		{"plain", "text", "a\nb", "```text\na\nb\n```"},
		{"ends with a line end", "", "a\n", "```\na\n```"},
		{"fence longer than any run inside", "text", "```\n````x", "`````text\n```\n````x\n`````"},
		{"info on one line, without backticks or controls", "sugg`est\nion\x1b", "x", "```suggest ion\nx\n```"},
		{"CRLF kept", "suggestion", "x := 1\r\ny := 2\r\n", "```suggestion\nx := 1\r\ny := 2\r\n```"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CodeBlock(tt.info, tt.text)
			if got != tt.want {
				t.Fatalf("CodeBlock(%q, %q) = %q, want %q", tt.info, tt.text, got, tt.want)
			}
			// What GitHub renders: every line is code, so nothing in the
			// text can end the block or show as markdown.
			for i, l := range Lines(got + "\n\n@alice") {
				if i < strings.Count(got, "\n")+1 && l.Kind != Code {
					t.Errorf("line %d %q is %v, want code", i, l.Raw, l.Kind)
				}
			}
		})
	}
}

func TestCodeSpan(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{" \n\t", ""},
		{"go test ./...", "`go test ./...`"},
		{"a\n  b", "`a b`"},
		{"a`b", "``a`b``"},
		{"`x", "`` `x ``"},
		{"x``", "``` x`` ```"},
		{"`edge`", "`` `edge` ``"},
		{"\x1b[31mred\x07", "`[31mred`"},
	}
	for _, tt := range tests {
		got := CodeSpan(tt.in)
		if got != tt.want {
			t.Errorf("CodeSpan(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got == "" {
			continue
		}
		// The whole span is code: nothing after it is swallowed.
		snips := Snippets("see " + got + " @alice")
		shown := strings.Join(strings.Fields(StripControl(tt.in)), " ")
		if len(snips) != 1 || snips[0].Block || snips[0].Code != shown {
			t.Errorf("CodeSpan(%q) = %q renders as %+v, want one span showing %q", tt.in, got, snips, shown)
		}
	}
}

func TestLinkTarget(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://github.com/acme/shop/blob/abc/a.go#L3", "https://github.com/acme/shop/blob/abc/a.go#L3"},
		{"eval chart.svg", "eval%20chart.svg"},
		{"a) @alice [x](y", "a%29%20@alice%20[x]%28y"},
		{"a\n<b>\"t\"`", "a%0A%3Cb%3E%22t%22%60"},
		// A file name from a pull request may hold any byte but NUL: ESC,
		// bidirectional controls and invalid UTF-8 are percent-encoded, so
		// the posted body holds none of them and the link still names the
		// file.
		{"a\x1b[31m\u202eb\xffc\u0085", "a%1B[31m%E2%80%AEb%FFc%C2%85"},
	}
	for _, tt := range tests {
		got := LinkTarget(tt.in)
		if got != tt.want {
			t.Errorf("LinkTarget(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// The whole target stays inside the link: nothing after it is
		// text, and no HTML is opened. Check reports the link itself, the
		// one thing live in it.
		src := "[label](" + got + ") end"
		if err := Check(src); err == nil || !strings.HasPrefix(err.Error(), "a link to ") {
			t.Errorf("Check(%q) = %v, want the link", src, err)
		}
		if h := RawHTML(src); len(h) != 0 {
			t.Errorf("%q holds raw HTML %q", src, h)
		}
		var html bytes.Buffer
		if err := gfm.Convert([]byte(src), &html); err != nil {
			t.Fatal(err)
		}
		if h := html.String(); strings.Count(h, "<a ") != 1 || !strings.HasSuffix(h, `">label</a> end</p>`+"\n") {
			t.Errorf("%q renders as %q, want one link to the whole target", src, h)
		}
	}
}
