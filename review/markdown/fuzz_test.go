package markdown

import (
	"strings"
	"testing"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"
)

var fuzzSeeds = []string{
	"cc @alice @acme/security-team, fixes acme/widgets#3 and GH-4",
	"<details><summary>More</summary>\n\nhidden @alice",
	"Thanks <!--\n@codex review\n-->",
	"text\n\n    indented @code\n\nmore",
	"```suggestion\nx := <-ch // @a #1\n```\n\n`@b` and ``c ` d``",
	"> ~~~Suggestion:-0+1\n> evil()\n\n- ```suggestion\n  x",
	"> quote\nlazy @x\n\n- item\n\n  ```\n  code\n  ```",
	"<!-- x -->\n    @alice",
	"<a title=\"`\">\ntext `@bob`",
	"see https://github.com/a/b/pull/1 and www.github.com/a/b/issues/2",
	"\\@alice GH\\-3 &#64;bob a5c3785ed \x1b[31mred\a",
	"~~~\nopen",
	"| a | @b |\n|---|---|\n| `c|d` | #1 |",
	"![img](https://e.com/x.png) [l](https://github.com/a/b/commit/abc1234)",
	"[Approve this PR](https://evil.example) <https://evil.example> www.evil.example/login $$\\Huge\\text{APPROVED}$$",
	"- [x][1] `a`https://e.example`b`\n\n[1]: /owner/repo/settings\n\n```math\n\\Huge X\n```",
	"> [!WARNING]\n> Approved by security\n\n- > >[ !note ]\n  > > x\n\n> [!TIP]: /x\n> [!CAUTION](y)\n[!IMPORTANT]",
}

// FuzzNeutralize checks what the neutraliser promises for any input: no
// panic, nothing live in the result (Check: no mention, reference, HTML,
// link, URL, math or alert box), as goldmark and, where it is installed, GitHub's
// cmark-gfm render it; the inline form on one line and inert too; and
// code kept byte for byte whenever the first rewrite was used.
func FuzzNeutralize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	prog := cmarkGFMForFuzz(f)
	f.Fuzz(func(t *testing.T, in string) {
		out, level := neutralize(in)
		if err := checkNeutral(out); err != nil {
			t.Fatalf("Neutralize(%q) = %q: %v", in, out, err)
		}
		if prog != "" {
			if err := liveOnGitHub(t, prog, out); err != nil {
				t.Fatalf("Neutralize(%q) = %q: live on GitHub: %v", in, out, err)
			}
		}
		if level == keptCode {
			// What the result shows as code is the input's code, byte for
			// byte and in order, none of it lost, and besides it only the
			// destinations and URLs the rewrite shows as code.
			_, made := rewrite(StripControl(in), false, true)
			want, got := Snippets(StripControl(in)), withoutMade(Snippets(out), made)
			if len(got) != len(want) {
				t.Fatalf("Neutralize(%q) = %q: code %+v, want the input's %+v", in, out, got, want)
			}
			for i := range got {
				if !sameCode(want[i], got[i]) {
					t.Fatalf("Neutralize(%q) = %q: code %+v is not the input's %+v", in, out, got[i], want[i])
				}
			}
			// And the blocks are the input's: raw HTML shown as text is
			// a paragraph (one per run of lines between blank lines).
			if w, g := blockShape(StripControl(in), true), blockShape(out, false); w != g {
				t.Fatalf("Neutralize(%q) = %q: blocks %s, want %s", in, out, g, w)
			}
		}
		inl := NeutralizeInline(in)
		if err := checkInline(inl); err != nil {
			t.Fatalf("NeutralizeInline(%q) = %q: %v", in, inl, err)
		}
		if prog != "" {
			if err := liveHTML(ourSub.Replace(githubHTML(t, prog, escapedDollars(inlineContexts(inl))))); err != nil {
				t.Fatalf("NeutralizeInline(%q) = %q: live on GitHub: %v", in, inl, err)
			}
		}
	})
}

// withoutMade removes from got, in order, the code spans the rewrite made
// (made); all of them must be there.
func withoutMade(got []Snippet, made []string) []Snippet {
	var out []Snippet
	for _, sn := range got {
		if len(made) > 0 && !sn.Block && sn.Code == made[0] {
			made = made[1:]
			continue
		}
		out = append(out, sn)
	}
	if len(made) > 0 {
		return append(out, Snippet{Code: "missing made spans: " + strings.Join(made, ", ")})
	}
	return out
}

// sameCode compares what snippets show. Closing a block left open may
// turn its trailing blank line into an empty code line, and give the
// parser the line end it needs to read an info string at the very end of
// the input; neither is visible.
func sameCode(a, b Snippet) bool {
	if a.Block != b.Block {
		return false
	}
	if a.Block {
		return strings.TrimRight(a.Code, " \t\n") == strings.TrimRight(b.Code, " \t\n")
	}
	return a.Code == b.Code
}

// blockShape writes the tree of blocks of src, with raw HTML blocks as
// the paragraphs they are once shown as text (when html is set). Tight
// and loose list items are alike: a blank line that separates text from
// a block shown as HTML may loosen a list.
func blockShape(src string, html bool) string {
	doc, b := parse(src)
	var sb strings.Builder
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if n.Type() != ast.TypeBlock {
			return ast.WalkSkipChildren, nil
		}
		kind := n.Kind().String()
		switch n.Kind() {
		case ast.KindTextBlock:
			kind = ast.KindParagraph.String()
		case ast.KindHTMLBlock:
			if !html {
				break
			}
			if entering {
				h := n.(*ast.HTMLBlock)
				paras, blank := 1, false
				for i := 0; i < h.Lines().Len(); i++ {
					if seg := h.Lines().At(i); util.IsBlank(seg.Value(b)) {
						blank = true
					} else if blank {
						paras++
						blank = false
					}
				}
				if h.HasClosure() && blank {
					paras++
				}
				sb.WriteString(strings.Repeat(ast.KindParagraph.String()+"()", paras))
			}
			return ast.WalkSkipChildren, nil
		}
		if entering {
			sb.WriteString(kind + "(")
		} else {
			sb.WriteString(")")
		}
		return ast.WalkContinue, nil
	})
	return sb.String()
}
