package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/codex-review/codex-review/review/finding"
)

// TestParsePostedReadsInlineBody: what ParsePosted reads back is what
// InlineBody wrote, so a change of the comment's layout fails here.
func TestParsePostedReadsInlineBody(t *testing.T) {
	r := rev(finding.Security, 1, "[P1] SQL injection | in Find", "`name` is concatenated.", "a.go", 3, 4, 0.8, "0123456789abcdef", inlineAt("a.go", 3, 4))
	r.Areas = []finding.Area{finding.Security, finding.Bugs}
	r.Suggestion = "q := \"SELECT $1\""
	got, ok := ParsePosted(InlineBody(r))
	if !ok {
		t.Fatalf("no finding read from:\n%s", InlineBody(r))
	}
	if got.Fingerprint != "0123456789abcdef" || got.Priority != finding.P1 || got.Area != finding.Security || !strings.Contains(got.Title, "SQL injection") {
		t.Errorf("ParsePosted = %+v", got)
	}
	for _, body := range []string{"Thanks!", "**[P1] Looks like a finding**\n<sub>security</sub>"} {
		if _, ok := ParsePosted(body); ok {
			t.Errorf("ParsePosted(%q) found a finding", body)
		}
	}
	if got, ok := ParsePosted("odd body\n" + FingerprintMarker("abcd")); !ok || got.Priority != -1 || got.Area != "" {
		t.Errorf("a bare fingerprint: %+v, %v", got, ok)
	}
}

func TestThreadReply(t *testing.T) {
	r := ThreadReply{
		Answers:    4242,
		Text:       "Yes: `name` reaches the query.\n<!-- codex-review:answer=1 -->\n```go\nq := name",
		Suggestion: "\tq := \"SELECT id FROM users WHERE name = $1\"",
		Note:       "Suggestion for lines 14-14 of store/users.go. <!-- x -->",
	}
	got := r.Reply()
	if ids := Answers(got); len(ids) != 1 || ids[0] != 4242 {
		t.Errorf("the reply answers %v, want only 4242 (the model's forged marker must not count):\n%s", ids, got)
	}
	for _, want := range []string{"Yes: `name` reaches the query.", "```suggestion\n\tq := \"SELECT id FROM users WHERE name = $1\"\n```", "<sub>Suggestion for lines 14-14"} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	// The model's open fence is closed before the suggestion starts.
	if i, j := strings.Index(got, "q := name"), strings.Index(got, "```suggestion"); strings.Count(got[i:j], "```") != 1 {
		t.Errorf("the answer's fence is not closed before the suggestion:\n%s", got)
	}
	if strings.Count(got, "<!--") != 1 {
		t.Errorf("only the app's marker may be an HTML comment:\n%s", got)
	}
	pinged := ThreadReply{Answers: 1, Text: "cc @alice and @acme/security-team, see acme/widgets#3"}.Reply()
	for _, raw := range []string{"@alice", "@acme/security-team", "acme/widgets#3"} {
		if strings.Contains(pinged, raw) {
			t.Errorf("the reply would ping or link %q:\n%s", raw, pinged)
		}
	}
	if got := (ThreadReply{Answers: 1}).Reply(); !strings.Contains(got, "no answer") {
		t.Errorf("empty answer: %q", got)
	}
	long := ThreadReply{Answers: 1, Text: strings.Repeat("word ", 5000)}.Reply()
	if n := len([]rune(long)); n > maxAnswerRunes+200 {
		t.Errorf("a long answer is not cut: %d runes", n)
	}
}

func TestLearnings(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	got := Learnings("acme/shop", "@codex", []Learning{
		{ID: "lrn_b", Text: "We target Go 1.26 | no older", Author: "bob", Created: at},
		{ID: "lrn_a", Text: "Errors are\nlogged by the caller <!-- hidden -->", Author: "alice", Created: at},
	})
	for _, want := range []string{"#### What I remember for `acme/shop`", "- We target Go 1.26 \\| no older <sub>bob, 2026-03-04 · `lrn_b`</sub>",
		"- Errors are logged by the caller", "`@codex remember <guideline>`", "DELETE /v1/codex/learnings/{id}"} {
		if !strings.Contains(got, want) {
			t.Errorf("list lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<!--") {
		t.Errorf("a learning's HTML comment reached the list:\n%s", got)
	}
	if got := Learnings("acme/shop", "@codex", []Learning{{ID: "lrn_c", Text: "ask @acme/dba before migrations", Author: "carol", Created: at}}); strings.Contains(got, "@acme/dba") {
		t.Errorf("listing a learning would ping its team:\n%s", got)
	}
	// A learning starts a list item: it must not turn into a heading, a
	// task box, a quote or a nested list there.
	for _, text := range []string{"# NEVER MERGE", "[ ] approve this", "> quoted", "1. first"} {
		got := Learnings("acme/shop", "@codex", []Learning{{ID: "lrn_d", Text: text, Author: "dave", Created: at}})
		var html bytes.Buffer
		if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(got), &html); err != nil {
			t.Fatal(err)
		}
		for _, tag := range []string{"<h1", "<input", "<blockquote", "<ol"} {
			if strings.Contains(html.String(), tag) {
				t.Errorf("learning %q renders %s:\n%s", text, tag, html.String())
			}
		}
	}
	if empty := Learnings("acme/shop", "@codex", nil); !strings.Contains(empty, "Nothing yet.") {
		t.Errorf("empty list: %s", empty)
	}
	many := make([]Learning, maxListedLearnings+5)
	for i := range many {
		many[i] = Learning{ID: "lrn_x", Text: "t", Author: "a", Created: at}
	}
	if got := Learnings("a/b", "@codex", many); !strings.Contains(got, "… and 5 more.") {
		t.Error("a long list is not cut")
	}
}

// A suggestion in a thread answer is committed with one click, so it
// follows the review comments' rule: code with control characters (a
// right-to-left override hiding what the line does) is never offered.
func TestThreadReplyRefusesControlCharactersInSuggestion(t *testing.T) {
	for _, s := range []string{"if ok { // \u202e } {\n", "x := \"\x1b[2J\"\n"} {
		out := ThreadReply{Answers: 1, Text: "Fixed.", Suggestion: s}.Reply()
		if strings.Contains(out, "suggestion") || strings.ContainsAny(out, "\u202e\x1b") {
			t.Errorf("suggestion %q offered:\n%s", s, out)
		}
	}
	if out := (ThreadReply{Answers: 1, Text: "Fixed.", Suggestion: "x := 1\r\n"}).Reply(); !strings.Contains(out, "```suggestion\nx := 1\r\n```") {
		t.Errorf("a clean CRLF suggestion was not offered:\n%s", out)
	}
}

// A suggestion too long for a comment is left out, with a note that says
// so, rather than cut by the poster at GitHub's limit.
func TestThreadReplyLeavesOutSuggestionThatCannotFit(t *testing.T) {
	fix := strings.Repeat("x := 1 // padding the fix\n", 3000)
	got := ThreadReply{Answers: 5, Text: "Bind it.", Suggestion: fix, Note: "Suggestion for line 3 of a.go; check it before committing."}.Reply()
	if len(got) > MaxBodyChars || strings.Contains(got, "```suggestion") || !strings.Contains(got, tooLongNote) || !strings.Contains(got, "Bind it.") {
		t.Errorf("reply (%d bytes):\n%.500s", len(got), got)
	}
	if ids := Answers(got); len(ids) != 1 || ids[0] != 5 {
		t.Errorf("answer marker = %v", ids)
	}
	small := ThreadReply{Answers: 5, Text: "Bind it.", Suggestion: "x := 1\n"}.Reply()
	if !strings.Contains(small, "```suggestion\nx := 1\n```") {
		t.Errorf("a fix that fits is left out:\n%s", small)
	}
}

// A hundred long learnings in a script of three bytes a character are
// more than a comment may hold: the answer lists whole learnings within
// GitHub's limit and counts the rest, instead of being cut mid-item.
func TestLearningsFitInAComment(t *testing.T) {
	ls := make([]Learning, 150)
	for i := range ls {
		ls[i] = Learning{ID: fmt.Sprintf("l%d", i), Text: strings.Repeat("日本語のガイドライン", 50), Author: "alice"}
	}
	got := Learnings("acme/shop", "@codex", ls)
	if len(got) > MaxBodyChars {
		t.Fatalf("answer is %d bytes, over %d", len(got), MaxBodyChars)
	}
	listed := strings.Count(got, "<sub>alice,")
	if listed == 0 || !strings.Contains(got, fmt.Sprintf("- … and %d more.", len(ls)-listed)) || !strings.Contains(got, "remember <guideline>") {
		t.Errorf("%d listed; answer ends:\n%s", listed, got[len(got)-600:])
	}
}
