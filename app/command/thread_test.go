package command

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// verbCase is one comment and what it must parse as.
type verbCase struct {
	name string
	body string
	kind Kind
	text string
	line int
	// reply holds fragments the Reply text must contain.
	reply []string
}

func (tt verbCase) check(t *testing.T, got Command) {
	t.Helper()
	if got.Kind != tt.kind {
		t.Fatalf("Kind = %v, want %v (reply %q, text %q)", got.Kind, tt.kind, got.Reply, got.Text)
	}
	if got.Text != tt.text {
		t.Errorf("Text = %q, want %q", got.Text, tt.text)
	}
	if got.Line != tt.line {
		t.Errorf("Line = %d, want %d", got.Line, tt.line)
	}
	for _, frag := range tt.reply {
		if !strings.Contains(got.Reply, frag) {
			t.Errorf("Reply lacks %q:\n%s", frag, got.Reply)
		}
	}
}

// TestParseMemoryVerbs covers the verbs a conversation comment may use
// besides review and help.
func TestParseMemoryVerbs(t *testing.T) {
	tests := []verbCase{
		{name: "remember", body: "@codex remember errors from store are logged by the caller", kind: Remember,
			text: "errors from store are logged by the caller", line: 1},
		{name: "remember with colon", body: "@codex remember: we target Go 1.26", kind: Remember, text: "we target Go 1.26", line: 1},
		{name: "remember upper case", body: "@Codex REMEMBER Keep `ctx` first", kind: Remember, text: "Keep `ctx` first", line: 1},
		{name: "remember only its line", body: "@codex remember no ORMs here\nThanks for the review!", kind: Remember, text: "no ORMs here", line: 1},
		{name: "remember after remark", body: "Good catch, but:\n\n@codex remember the cache is per request", kind: Remember,
			text: "the cache is per request", line: 3},
		{name: "remember hides html comment", body: "@codex remember tabs <!-- and a secret -->", kind: Remember, text: "tabs", line: 1},
		{name: "remember slug", body: "@codex-review remember nothing", kind: Remember, text: "nothing", line: 1},
		{name: "remember without text", body: "@codex remember", kind: Reply, line: 1, reply: []string{"`@codex remember <guideline>`"}},
		{name: "remember only punctuation", body: "@codex remember: ", kind: Reply, line: 1, reply: []string{"What should I remember?"}},
		{name: "remember too long", body: "@codex remember " + strings.Repeat("x", MaxLearning+1), kind: Reply, line: 1,
			reply: []string{"at most 500 characters", "AGENTS.md"}},
		{name: "remember at the limit", body: "@codex remember " + strings.Repeat("é", MaxLearning), kind: Remember,
			text: strings.Repeat("é", MaxLearning), line: 1},
		{name: "remember in a fence", body: "```\n@codex remember x\n```", kind: Ignore},
		{name: "remember quoted", body: "> @codex remember x", kind: Ignore},
		{name: "remember typo", body: "@codex remeber x", kind: Reply, line: 1, reply: []string{"Did you mean `@codex remember`?"}},
		{name: "learnings", body: "@codex learnings", kind: Learnings, line: 1},
		{name: "learnings singular", body: "@codex learning please", kind: Learnings, line: 1},
		{name: "learnings typo", body: "@codex learnigns", kind: Reply, line: 1, reply: []string{"Did you mean `@codex learnings`?"}},
		{name: "ignore outside a thread", body: "@codex ignore", kind: Reply, line: 1, reply: []string{"review thread"}},
		{name: "suggest outside a thread", body: "@codex suggest", kind: Reply, line: 1, reply: []string{"`@codex suggest` works in a reply"}},
		{name: "question outside a thread", body: "@codex why is this a problem?", kind: Reply, line: 1, reply: []string{"`why`"}},
		{name: "review still wins later", body: "@codex remeber x\n@codex review", kind: Review, line: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := app.Parse(tt.body)
			tt.check(t, got)
			checkInvariants(t, app, tt.body, got)
		})
	}
}

func TestParseThread(t *testing.T) {
	tests := []verbCase{
		// Questions.
		{name: "why", body: "@codex why is this a problem?", kind: Ask, text: "why is this a problem?", line: 1},
		{name: "nil question", body: "@codex is this safe if x is nil?", kind: Ask, text: "is this safe if x is nil?", line: 1},
		{name: "question after remark", body: "I am not convinced.\n\n@codex what input makes this fail", kind: Ask,
			text: "what input makes this fail", line: 3},
		{name: "one word question", body: "@codex why?", kind: Ask, text: "why?", line: 1},
		{name: "question keeps its wording", body: "@codex   Could `name` be   empty here?  ", kind: Ask, text: "Could `name` be   empty here?", line: 1},
		{name: "question invalid utf-8", body: "@codex is \xff ok?", kind: Ask, text: "is \uFFFD ok?", line: 1},
		{name: "long question capped", body: "@codex why " + strings.Repeat("a ", MaxInstructions), kind: Ask,
			text: strings.TrimSpace(truncateRunes("why "+strings.Repeat("a ", MaxInstructions), MaxInstructions)), line: 1},

		// Fixes.
		{name: "suggest", body: "@codex suggest", kind: Suggest, text: "suggest", line: 1},
		{name: "suggest with words", body: "@codex suggest a version without the allocation", kind: Suggest,
			text: "suggest a version without the allocation", line: 1},
		{name: "fix verb", body: "@codex fix", kind: Suggest, text: "fix", line: 1},
		{name: "fix request", body: "@codex can you suggest a fix?", kind: Suggest, text: "can you suggest a fix?", line: 1},
		{name: "how to fix", body: "@codex how would you fix this?", kind: Suggest, text: "how would you fix this?", line: 1},
		{name: "patch", body: "@codex please write a patch for it", kind: Suggest, text: "please write a patch for it", line: 1},

		// Dismissals.
		{name: "ignore", body: "@codex ignore", kind: Dismiss, line: 1},
		{name: "ignore with reason", body: "@codex ignore: we validate upstream", kind: Dismiss, text: "we validate upstream", line: 1},
		{name: "dismiss", body: "@codex dismiss", kind: Dismiss, line: 1},
		{name: "ignore quoted", body: "> @codex ignore\n\nNo, this one matters.", kind: Ignore},

		// The verbs of Parse still work.
		{name: "remember", body: "@codex remember we never log tokens", kind: Remember, text: "we never log tokens", line: 1},
		{name: "learnings", body: "@codex learnings", kind: Learnings, line: 1},
		{name: "help", body: "@codex help", kind: Help, line: 1, reply: []string{"`@codex ignore`", "`@codex suggest`"}},
		{name: "mention alone", body: "@codex", kind: Help, line: 1},
		{name: "review", body: "@codex review", kind: Review, line: 1},

		// A lone unknown word is a typo, not a question.
		{name: "typo", body: "@codex sugest", kind: Reply, line: 1, reply: []string{"Did you mean `@codex suggest`?"}},
		{name: "ignore typo", body: "@codex ignroe", kind: Reply, line: 1, reply: []string{"Did you mean `@codex ignore`?"}},
		{name: "thanks", body: "@codex thanks", kind: Reply, line: 1, reply: []string{"`thanks`"}},

		// Not addressed to the app.
		{name: "plain reply", body: "Fixed in the next commit.", kind: Ignore},
		{name: "mention mid line", body: "Agreed with @codex here", kind: Ignore},
		{name: "code block", body: "```\n@codex why\n```", kind: Ignore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := app.ParseThread(tt.body)
			tt.check(t, got)
			checkThreadInvariants(t, app, tt.body, got)
		})
	}
}

// TestParseThreadFixtures reads the comment bodies of real
// pull_request_review_comment deliveries: a remark as delivered, and the
// same remark with a question or a verb below it.
func TestParseThreadFixtures(t *testing.T) {
	for _, fx := range fixtureBodies(t, "pull_request_review_comment.*.json") {
		f, body := fx.file, fx.body
		tests := []verbCase{
			{name: "as delivered", body: body, kind: Ignore},
			{name: "question below", body: body + "\r\n\r\n@codex is that really a problem?", kind: Ask, text: "is that really a problem?", line: 3},
			{name: "ignore below", body: body + "\n@codex ignore", kind: Dismiss, line: 2},
			{name: "quoted", body: "> " + body + "\n> @codex suggest\n\nNo need.", kind: Ignore},
		}
		for _, tt := range tests {
			t.Run(filepath.Base(f)+"/"+tt.name, func(t *testing.T) {
				got := app.ParseThread(tt.body)
				tt.check(t, got)
				checkThreadInvariants(t, app, tt.body, got)
			})
		}
	}
}

func TestUsageThreadVerbs(t *testing.T) {
	u := Parser{Trigger: "@ai"}.Usage()
	for _, w := range []string{"`@ai remember <text>`", "`@ai learnings`", "`@ai suggest`", "`@ai ignore`", "👎"} {
		if !strings.Contains(u, w) {
			t.Errorf("usage lacks %q:\n%s", w, u)
		}
	}
	if !utf8.ValidString(u) {
		t.Error("usage is not UTF-8")
	}
}

func BenchmarkParseThread(b *testing.B) {
	benches := []struct {
		name string
		body string
	}{
		{"plain reply", "Good point, fixed in the next commit."},
		{"question", "I am not sure this matters.\n\n@codex is this safe if `name` is validated by the router?"},
		{"64KiB then question", strings.Repeat("Lorem ipsum dolor sit amet, @codex.\n", 1800) + "@codex why?"},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.body)))
			for b.Loop() {
				app.ParseThread(bb.body)
			}
		})
	}
}
