package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review/finding"
)

var (
	sec  = finding.Security
	bugs = finding.Bugs
	perf = finding.Performance
	deps = finding.Dependencies
	tsts = finding.Tests
)

// app is the parser most tests use: default trigger and a slug that starts
// like the trigger, which is the case that needs care.
var app = Parser{Slug: "codex-review"}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		// parser defaults to app when nil.
		parser *Parser
		body   string
		kind   Kind
		areas  []finding.Area
		instr  string
		line   int
		// reply holds fragments the Reply text must contain.
		reply []string
	}{
		// Plain review requests.
		{name: "bare review", body: "@codex review", kind: Review, line: 1},
		{name: "upper case", body: "@Codex REVIEW", kind: Review, line: 1},
		{name: "trailing newline", body: "@codex review\n", kind: Review, line: 1},
		{name: "leading spaces", body: "   @codex review", kind: Review, line: 1},
		{name: "leading spaces", body: "   @codex review", kind: Review, line: 1},
		{name: "leading tab is an indented code block", body: "\t@codex review", kind: Ignore},
		{name: "nbsp after mention", body: "@codex\u00a0review", kind: Review, line: 1},
		{name: "several spaces", body: "@codex    review   ", kind: Review, line: 1},
		{name: "verb with comma", body: "@codex review, please", kind: Review, line: 1},
		{name: "verb with exclamation", body: "@codex review!", kind: Review, line: 1},
		{name: "filler only", body: "@codex review this PR again please", kind: Review, line: 1},
		{name: "after greeting line", body: "Thanks for the fixes!\n\n@codex review", kind: Review, line: 3},
		{name: "crlf", body: "LGTM from me.\r\n\r\n@codex review security\r\n", kind: Review, areas: []finding.Area{sec}, line: 3},
		{name: "lone cr", body: "one\rtwo\r@codex review", kind: Review, line: 3},
		{name: "text below the command", body: "@codex review\nThe SQL in db/ is the risky part.", kind: Review, line: 1},

		// Areas.
		{name: "one area", body: "@codex review security", kind: Review, areas: []finding.Area{sec}, line: 1},
		{name: "areas canonical order", body: "@codex review perf, bugs", kind: Review, areas: []finding.Area{bugs, perf}, line: 1},
		{name: "areas with and", body: "@codex review security and performance", kind: Review, areas: []finding.Area{sec, perf}, line: 1},
		{name: "areas glued by comma", body: "@codex review security,deps,tests", kind: Review, areas: []finding.Area{sec, deps, tsts}, line: 1},
		{name: "areas with slash and ampersand", body: "@codex review bugs/perf & test", kind: Review, areas: []finding.Area{bugs, perf, tsts}, line: 1},
		{name: "all areas", body: "@codex review security bugs performance dependencies tests", kind: Review,
			areas: []finding.Area{sec, bugs, perf, deps, tsts}, line: 1},
		{name: "duplicates collapse", body: "@codex review bug bugs BUGS", kind: Review, areas: []finding.Area{bugs}, line: 1},
		{name: "synonyms", body: "@codex review vulns, correctness, dep", kind: Review, areas: []finding.Area{sec, bugs, deps}, line: 1},
		{name: "area after colon", body: "@codex review: security", kind: Review, areas: []finding.Area{sec}, line: 1},
		{name: "verb glued to area by colon", body: "@codex review:security", kind: Review, areas: []finding.Area{sec}, line: 1},
		{name: "area in backticks", body: "@codex review `security`", kind: Review, areas: []finding.Area{sec}, line: 1},
		{name: "filler and areas", body: "@codex review for security issues only, thanks!", kind: Review, areas: []finding.Area{sec}, line: 1},
		{name: "upper case area", body: "@codex review SECURITY", kind: Review, areas: []finding.Area{sec}, line: 1},

		// Instructions.
		{name: "design example", body: "@codex review for security regressions", kind: Review,
			areas: []finding.Area{sec}, instr: "for security regressions", line: 1},
		{name: "instructions without areas", body: "@codex review the retry loop in queue.go carefully", kind: Review,
			instr: "the retry loop in queue.go carefully", line: 1},
		{name: "instructions keep phrasing", body: "@codex review:  Is the `cache` thread-safe?  ", kind: Review,
			instr: "Is the `cache` thread-safe?", line: 1},
		{name: "instructions after dash", body: "@codex review — focus on the migration", kind: Review,
			instr: "focus on the migration", line: 1},
		{name: "negation cancels areas", body: "@codex review but skip perf, it is a prototype", kind: Review,
			instr: "but skip perf, it is a prototype", line: 1},
		{name: "contraction negation", body: "@codex review, don't bother with tests", kind: Review,
			instr: "don't bother with tests", line: 1},
		{name: "curly apostrophe negation", body: "@codex review security; we don’t care about perf", kind: Review,
			instr: "security; we don’t care about perf", line: 1},
		{name: "negation before no area keeps areas", body: "@codex review security, no nits", kind: Review,
			areas: []finding.Area{sec}, instr: "security, no nits", line: 1},
		{name: "html comment hides the rest", body: "@codex review security <!-- pasted from a saved reply -->", kind: Review,
			areas: []finding.Area{sec}, line: 1},

		// Help.
		{name: "help", body: "@codex help", kind: Help, line: 1, reply: []string{"`@codex review`", "`@codex-review review`", ".codex.yml"}},
		{name: "mention alone", body: "@codex", kind: Help, line: 1, reply: []string{"`@codex help`"}},
		{name: "mention and spaces", body: "  @codex  \r\n", kind: Help, line: 1},
		{name: "usage", body: "@codex usage", kind: Help, line: 1},
		{name: "help question", body: "@codex help?", kind: Help, line: 1},
		{name: "dash dash help", body: "@codex --help", kind: Help, line: 1},
		{name: "help with words", body: "@CODEX Help me understand the options", kind: Help, line: 1},
		{name: "help before review", body: "@codex help\n@codex review", kind: Help, line: 1},

		// Typos and unknown verbs.
		{name: "transposed letters", body: "@codex reveiw", kind: Reply, line: 1,
			reply: []string{"`reveiw`", "Did you mean `@codex review`?", "`@codex help`"}},
		{name: "missing letter", body: "@codex reviw security", kind: Reply, line: 1, reply: []string{"`@codex review`"}},
		{name: "plural verb", body: "@codex reviews", kind: Reply, line: 1, reply: []string{"`@codex review`"}},
		{name: "help typo", body: "@codex hlep", kind: Reply, line: 1, reply: []string{"Did you mean `@codex help`?"}},
		{name: "unrelated words", body: "@codex please look", kind: Reply, line: 1,
			reply: []string{"`please`", "Did you mean `@codex review`?", "`@codex help`"}},
		{name: "polite prefix", body: "@codex please review", kind: Reply, line: 1,
			reply: []string{"Did you mean `@codex review`?", "right after the mention"}},
		{name: "punctuation verb", body: "@codex ??", kind: Reply, line: 1,
			reply: []string{"did not recognise a command after `@codex`"}},
		{name: "slug typo answered with slug", body: "@codex-review reveiw", kind: Reply, line: 1,
			reply: []string{"Did you mean `@codex-review review`?", "`@codex-review help`"}},
		{name: "reply names canonical spelling", body: "@CODEX reveiw", kind: Reply, line: 1, reply: []string{"`@codex review`"}},
		{name: "long unknown word truncated", body: "@codex " + strings.Repeat("x", 500), kind: Reply, line: 1,
			reply: []string{"`" + strings.Repeat("x", maxEchoedVerb) + "`"}},
		{name: "later command beats earlier typo", body: "@codex reveiw\n@codex review perf", kind: Review,
			areas: []finding.Area{perf}, line: 2},
		{name: "first typo answered", body: "@codex thanks!\n@codex reveiw", kind: Reply, line: 1, reply: []string{"`thanks`"}},

		// Not addressed to the app.
		{name: "empty", body: "", kind: Ignore},
		{name: "whitespace", body: " \n\t\r\n", kind: Ignore},
		{name: "mention mid line", body: "thanks @codex", kind: Ignore},
		{name: "mention mid line with verb", body: "Could someone ask @codex review this?", kind: Ignore},
		{name: "longer handle", body: "@codexy review", kind: Ignore},
		{name: "hyphenated handle not the slug", body: "@codex-bot review", kind: Ignore},
		{name: "mention with colon", body: "@codex: review", kind: Ignore},
		{name: "no at sign", body: "codex review", kind: Ignore},
		{name: "inline code", body: "`@codex review`", kind: Ignore},
		{name: "quoted", body: "> @codex review\n\nDone, see the review below.", kind: Ignore},
		{name: "nested quote", body: "> > @codex review", kind: Ignore},
		{name: "indented quote", body: "  > @codex review security", kind: Ignore},
		{name: "backtick fence", body: "To ask for a review:\n```\n@codex review\n```", kind: Ignore},
		{name: "tilde fence", body: "~~~markdown\n@codex review\n~~~\n", kind: Ignore},
		{name: "fence with info string", body: "```text\n@codex help\n```", kind: Ignore},
		{name: "unclosed fence", body: "```\n@codex review", kind: Ignore},
		{name: "short closer does not close", body: "````\n```\n@codex review\n````", kind: Ignore},
		{name: "other fence char does not close", body: "```\n~~~\n@codex review\n```", kind: Ignore},
		{name: "indented fence in list", body: "- example:\n    ```\n    @codex review\n    ```", kind: Ignore},
		{name: "html comment block", body: "<!--\n@codex review\n-->", kind: Ignore},
		{name: "one-line html comment", body: "<!-- @codex review -->", kind: Ignore},
		{name: "email style reply", body: "Sounds good.\n\nOn Mon, someone wrote:\n> @codex review\n> please", kind: Ignore},

		// Blocks end and commands after them count.
		{name: "after closed fence", body: "```\n@codex help\n```\n@codex review", kind: Review, line: 4},
		{name: "longer closer closes", body: "```\nx\n`````\n@codex review", kind: Review, line: 4},
		{name: "inline triple backticks are not a fence", body: "```go fmt```\n@codex review", kind: Review, line: 2},
		{name: "lazy continuation of a quote is quoted", body: "> @codex help\n@codex review", kind: Ignore},
		{name: "after quote and a blank line", body: "> @codex help\n\n@codex review", kind: Review, line: 3},
		{name: "indented code block", body: "Try this:\n\n    @codex review\n", kind: Ignore},
		{name: "indented line continuing a paragraph", body: "Try this:\n    @codex review\n", kind: Review, line: 2},
		{name: "html comment opened mid-line", body: "Thanks <!--\n@codex review\n-->", kind: Ignore},
		{name: "html comment opened mid-line then a command", body: "Thanks <!-- x\n-->\n\n@codex review", kind: Review, line: 4},
		{name: "an inline comment is invisible, the words after it are not", body: "@codex review <!-- security --> bugs", kind: Review, areas: []finding.Area{bugs}, line: 1},
		{name: "html block", body: "<div>\n@codex review\n</div>", kind: Ignore},
		{name: "after html comment", body: "<!--\nhidden\n-->\n@codex review", kind: Review, line: 4},
		{name: "one-line html comment then command", body: "<!-- note -->\n@codex review", kind: Review, line: 2},
		{name: "fence opened in quote ends with it", body: "> ```\n@codex review", kind: Review, line: 2},

		// Slug and configured triggers.
		{name: "slug form", body: "@codex-review review", kind: Review, line: 1},
		{name: "slug upper case", body: "@Codex-Review review bugs", kind: Review, areas: []finding.Area{bugs}, line: 1},
		{name: "slug help", body: "@codex-review help", kind: Help, line: 1},
		{name: "slug alone", body: "@codex-review", kind: Help, line: 1},
		{name: "slug unknown without slug set", parser: &Parser{}, body: "@codex-review review", kind: Ignore},
		{name: "custom trigger", parser: &Parser{Trigger: "@reviewbot", Slug: "acme-review"}, body: "@reviewbot review", kind: Review, line: 1},
		{name: "custom trigger replaces default", parser: &Parser{Trigger: "@reviewbot"}, body: "@codex review", kind: Ignore},
		{name: "custom trigger slug still works", parser: &Parser{Trigger: "@reviewbot", Slug: "acme-review"}, body: "@acme-review review", kind: Review, line: 1},
		{name: "trigger without at sign", parser: &Parser{Trigger: "ai"}, body: "@ai review", kind: Review, line: 1},
		{name: "slug given with at sign", parser: &Parser{Slug: "@acme"}, body: "@acme review", kind: Review, line: 1},
		{name: "custom trigger help names it", parser: &Parser{Trigger: "@reviewbot", Slug: "acme-review"}, body: "@reviewbot help", kind: Help, line: 1,
			reply: []string{"`@reviewbot review`", "`@acme-review review` always works"}},

		// Real-world looking comments.
		{name: "maintainer after push", body: "Pushed the fix for the nil map.\n\n@codex review bugs", kind: Review, areas: []finding.Area{bugs}, line: 3},
		{name: "bulleted checklist then command", body: "- [x] tests\n- [x] docs\n\n@codex review security, deps", kind: Review,
			areas: []finding.Area{sec, deps}, line: 4},
		{name: "quote then new command", body: "> @codex review security\n\nSame again after the rebase:\n@codex review security", kind: Review,
			areas: []finding.Area{sec}, line: 4},
		{name: "bot-like signature mention", body: "Reviewed by a human.\n\ncc @codex", kind: Ignore},
		{name: "heading is not a command", body: "## @codex review", kind: Ignore},
		{name: "list item is not a command", body: "- @codex review", kind: Ignore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := app
			if tt.parser != nil {
				p = *tt.parser
			}
			got := p.Parse(tt.body)
			if got.Kind != tt.kind {
				t.Fatalf("Kind = %v, want %v (reply %q)", got.Kind, tt.kind, got.Reply)
			}
			if !slices.Equal(got.Areas, tt.areas) {
				t.Errorf("Areas = %v, want %v", got.Areas, tt.areas)
			}
			if got.Instructions != tt.instr {
				t.Errorf("Instructions = %q, want %q", got.Instructions, tt.instr)
			}
			if got.Line != tt.line {
				t.Errorf("Line = %d, want %d", got.Line, tt.line)
			}
			for _, frag := range tt.reply {
				if !strings.Contains(got.Reply, frag) {
					t.Errorf("Reply lacks %q:\n%s", frag, got.Reply)
				}
			}
			checkInvariants(t, p, tt.body, got)
		})
	}
}

// TestParseFixtures feeds the comment bodies of real issue_comment
// deliveries: as they are (a plain remark, ignored), and with a command
// added the way people write one under their remark.
func TestParseFixtures(t *testing.T) {
	for _, fx := range fixtureBodies(t, "issue_comment.*.json") {
		f, body := fx.file, fx.body
		tests := []struct {
			name  string
			body  string
			kind  Kind
			areas []finding.Area
			line  int
		}{
			{name: "as delivered", body: body, kind: Ignore},
			{name: "command below", body: body + "\r\n\r\n@codex review perf", kind: Review, areas: []finding.Area{perf}, line: 3},
			{name: "command above", body: "@codex-review review\n" + body, kind: Review, line: 1},
			{name: "mention appended", body: body + " @codex review", kind: Ignore},
			{name: "quoted in a reply", body: "> " + body + "\n> @codex review\n\nAgreed.", kind: Ignore},
			{name: "help below", body: body + "\n@codex help", kind: Help, line: 2},
		}
		for _, tt := range tests {
			t.Run(filepath.Base(f)+"/"+tt.name, func(t *testing.T) {
				got := app.Parse(tt.body)
				if got.Kind != tt.kind || !slices.Equal(got.Areas, tt.areas) || got.Line != tt.line {
					t.Errorf("Parse = {%v %v line %d}, want {%v %v line %d}", got.Kind, got.Areas, got.Line, tt.kind, tt.areas, tt.line)
				}
				checkInvariants(t, app, tt.body, got)
			})
		}
	}
}

// fixture is the comment body of one recorded delivery in testdata.
type fixture struct {
	file string // path of the delivery, for subtest names
	body string // its comment.body
}

// fixtureBodies reads comment.body from every testdata file matching
// pattern. It fails the test if none matches or a body is missing.
func fixtureBodies(t *testing.T, pattern string) []fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var out []fixture
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var payload struct {
			Comment struct {
				Body string `json:"body"`
			} `json:"comment"`
		}
		if err := json.Unmarshal(raw, &payload); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if payload.Comment.Body == "" {
			t.Fatalf("%s: empty comment body", f)
		}
		out = append(out, fixture{file: f, body: payload.Comment.Body})
	}
	return out
}

func TestParseLongComment(t *testing.T) {
	// GitHub's comment limit is 65,536 characters; a command at the very
	// end of a maximal comment must still be found, and a single huge
	// command line must yield capped instructions.
	filler := strings.Repeat("Lorem ipsum dolor sit amet.\n", 2300)
	got := app.Parse(filler + "@codex review deps")
	if got.Kind != Review || !slices.Equal(got.Areas, []finding.Area{deps}) || got.Line != 2301 {
		t.Errorf("command at end: got %v %v line %d", got.Kind, got.Areas, got.Line)
	}

	long := "@codex review security " + strings.Repeat("é and more words ", 4000)
	got = app.Parse(long)
	if got.Kind != Review {
		t.Fatalf("Kind = %v, want review", got.Kind)
	}
	if n := utf8.RuneCountInString(got.Instructions); n != MaxInstructions {
		t.Errorf("instructions have %d characters, want the cap %d", n, MaxInstructions)
	}
	if !strings.HasPrefix(got.Instructions, "security é and more") {
		t.Errorf("instructions start %q", got.Instructions[:40])
	}
	checkInvariants(t, app, long, got)
}

func TestParseInvalidUTF8(t *testing.T) {
	got := app.Parse("@codex review security \xff\xfe fix")
	if got.Kind != Review || !utf8.ValidString(got.Instructions) {
		t.Errorf("got %v %q", got.Kind, got.Instructions)
	}
	if got := app.Parse("@codex \xffview"); got.Kind != Reply {
		t.Errorf("invalid verb: Kind = %v, want reply", got.Kind)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name    string
		parser  Parser
		want    []string
		notWant []string
	}{
		{name: "defaults", parser: Parser{},
			want:    []string{"`@codex review`", "`@codex help`", "`security`", "`bugs`", "`performance`", "`dependencies`", "`tests`", "`.codex.yml`", "base"},
			notWant: []string{"always works"}},
		{name: "slug", parser: Parser{Slug: "codex-review"}, want: []string{"`@codex-review review` always works"}},
		{name: "slug equal to trigger", parser: Parser{Trigger: "@codex", Slug: "CODEX"}, notWant: []string{"always works"}},
		{name: "custom trigger", parser: Parser{Trigger: " @ai ", Slug: "acme"},
			want: []string{"`@ai review`", "`@ai review security, perf`", "`@acme review`"}, notWant: []string{"@codex"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.parser.Usage()
			for _, w := range tt.want {
				if !strings.Contains(u, w) {
					t.Errorf("usage lacks %q:\n%s", w, u)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(u, w) {
					t.Errorf("usage has %q:\n%s", w, u)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		parser  Parser
		wantErr bool
	}{
		{name: "zero value", parser: Parser{}},
		{name: "trigger and slug", parser: Parser{Trigger: "@reviewbot", Slug: "acme-review"}},
		{name: "trigger without at", parser: Parser{Trigger: "codex"}},
		{name: "surrounding spaces", parser: Parser{Trigger: " @codex "}},
		{name: "lone at", parser: Parser{Trigger: "@"}, wantErr: true},
		{name: "inner space", parser: Parser{Trigger: "@codex bot"}, wantErr: true},
		{name: "backtick", parser: Parser{Trigger: "@co`dex"}, wantErr: true},
		{name: "newline in slug", parser: Parser{Slug: "a\nb"}, wantErr: true},
		{name: "invalid utf-8", parser: Parser{Slug: "a\xff"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parser.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k     Kind
		want  string
		valid bool
	}{
		{Ignore, "ignore", true}, {Review, "review", true}, {Help, "help", true}, {Reply, "reply", true},
		{Remember, "remember", true}, {Learnings, "learnings", true}, {Dismiss, "dismiss", true},
		{Ask, "ask", true}, {Suggest, "suggest", true},
		{Kind(-1), "unknown", false}, {Kind(9), "unknown", false},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tt.k), got, tt.want)
		}
		if got := tt.k.Valid(); got != tt.valid {
			t.Errorf("Kind(%d).Valid() = %v, want %v", int(tt.k), got, tt.valid)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"review", "review", 0},
		{"reveiw", "review", 1},
		{"reviw", "review", 1},
		{"reviews", "review", 1},
		{"rvieew", "review", 2},
		{"hlep", "help", 1},
		{"", "help", 4},
		{"please", "review", 5},
		{"ça", "ca", 1},
		{strings.Repeat("a", 100), "review", maxEchoedVerb + 1},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"", "@codex", "@codex review", "@codex review security, perf and deps",
		"@codex review for security regressions", "@codex reveiw", "@codex help",
		"```\n@codex review\n```", "> @codex review", "<!--\n@codex review\n-->",
		"thanks @codex", "@codex-review review bugs", "@codex review \xff", "\r@codex\r\nreview",
		"@codex review but skip perf", "@CODEX Review TESTS!", "~~~~\n~~~\n@codex help",
	}
	for _, s := range seeds {
		f.Add(s, "", "codex-review")
	}
	f.Add("@ai review", "ai", "")
	f.Add("@bot review", "@bot", "bot")
	f.Fuzz(func(t *testing.T, body, trigger, slug string) {
		p := Parser{Trigger: trigger, Slug: slug}
		got := p.Parse(body)
		checkInvariants(t, p, body, got)
		if again := p.Parse(body); again.Kind != got.Kind || again.Line != got.Line || again.Text != got.Text ||
			again.Instructions != got.Instructions || again.Reply != got.Reply || !slices.Equal(again.Areas, got.Areas) {
			t.Fatalf("Parse is not deterministic: %+v then %+v", got, again)
		}
		th := p.ParseThread(body)
		checkThreadInvariants(t, p, body, th)
		if th.Kind == Ignore && got.Kind != Ignore || got.Kind == Ignore && th.Kind != Ignore {
			t.Fatalf("Parse and ParseThread disagree on whether the comment addresses the app: %v and %v", got.Kind, th.Kind)
		}
	})
}

// checkInvariants holds for every comment whatever its content: exactly one
// valid outcome, tied to a line that starts with a mention.
func checkInvariants(t *testing.T, p Parser, body string, got Command) {
	t.Helper()
	if !got.Kind.Valid() {
		t.Fatalf("invalid Kind %d", int(got.Kind))
	}
	if got.Kind == Ignore {
		if got.Line != 0 || got.Reply != "" || got.Areas != nil || got.Instructions != "" || got.Text != "" {
			t.Fatalf("Ignore carries data: %+v", got)
		}
		return
	}
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n"), "\n")
	if got.Line < 1 || got.Line > len(lines) {
		t.Fatalf("Line %d outside the comment's %d lines", got.Line, len(lines))
	}
	if !startsWithMention(p, lines[got.Line-1]) {
		t.Fatalf("%v from line %d %q, which does not start with a mention", got.Kind, got.Line, lines[got.Line-1])
	}
	if got.Kind != Review && (got.Areas != nil || got.Instructions != "") {
		t.Fatalf("%v carries review data: %+v", got.Kind, got)
	}
	if !utf8.ValidString(got.Text) {
		t.Fatalf("Text is not UTF-8: %q", got.Text)
	}
	switch got.Kind {
	case Review:
		if got.Reply != "" || got.Text != "" {
			t.Fatalf("Review with a reply or text: %+v", got)
		}
		if utf8.RuneCountInString(got.Instructions) > MaxInstructions || !utf8.ValidString(got.Instructions) {
			t.Fatalf("instructions too long or not UTF-8: %d bytes", len(got.Instructions))
		}
		if got.Areas != nil && len(got.Areas) == 0 {
			t.Fatal("Areas is empty but not nil")
		}
		seen := map[finding.Area]bool{}
		for _, a := range got.Areas {
			if _, err := finding.ParseArea(string(a)); err != nil || seen[a] {
				t.Fatalf("invalid or repeated area in %v", got.Areas)
			}
			seen[a] = true
		}
	case Help, Reply:
		if got.Reply == "" || got.Text != "" {
			t.Fatalf("%v without a reply, or with text: %+v", got.Kind, got)
		}
		// The app must not answer its own answers, whatever filters the
		// webhook handler has.
		if again := p.Parse(got.Reply); again.Kind != Ignore {
			t.Fatalf("the app's own reply parses as %v:\n%s", again.Kind, got.Reply)
		}
		if again := p.ParseThread(got.Reply); again.Kind != Ignore {
			t.Fatalf("the app's own reply parses in a thread as %v:\n%s", again.Kind, got.Reply)
		}
	case Remember:
		if got.Text == "" || utf8.RuneCountInString(got.Text) > MaxLearning || strings.ContainsAny(got.Text, "\r\n") {
			t.Fatalf("learning empty, too long or on several lines: %q", got.Text)
		}
	case Learnings:
		if got.Text != "" || got.Reply != "" {
			t.Fatalf("Learnings carries data: %+v", got)
		}
	case Ask, Suggest, Dismiss:
		t.Fatalf("%v from a conversation comment", got.Kind)
	}
}

// checkThreadInvariants is checkInvariants for ParseThread, where
// questions, fixes and dismissals are outcomes too.
func checkThreadInvariants(t *testing.T, p Parser, body string, got Command) {
	t.Helper()
	switch got.Kind {
	case Ask, Suggest, Dismiss:
	default:
		checkInvariants(t, p, body, got)
		return
	}
	if got.Reply != "" || got.Areas != nil || got.Instructions != "" || !utf8.ValidString(got.Text) ||
		utf8.RuneCountInString(got.Text) > MaxInstructions || strings.ContainsAny(got.Text, "\r\n") {
		t.Fatalf("bad %v: %+v", got.Kind, got)
	}
	if got.Kind == Ask && strings.TrimSpace(got.Text) == "" {
		t.Fatal("a question without text")
	}
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n"), "\n")
	if got.Line < 1 || got.Line > len(lines) || !startsWithMention(p, lines[got.Line-1]) {
		t.Fatalf("%v from line %d, which does not start with a mention", got.Kind, got.Line)
	}
}

// startsWithMention is the test's own statement of the trigger rule, kept
// independent of the parser's code.
func startsWithMention(p Parser, line string) bool {
	line = strings.TrimLeftFunc(line, unicode.IsSpace)
	trigger := strings.TrimSpace(p.Trigger)
	if trigger == "" {
		trigger = "@codex"
	}
	if trigger[0] != '@' {
		trigger = "@" + trigger
	}
	candidates := []string{trigger}
	if s := strings.TrimPrefix(strings.TrimSpace(p.Slug), "@"); s != "" {
		candidates = append(candidates, "@"+s)
	}
	for _, m := range candidates {
		if len(line) < len(m) || !strings.EqualFold(line[:len(m)], m) {
			continue
		}
		rest := line[len(m):]
		r, _ := utf8.DecodeRuneInString(rest)
		if rest == "" || unicode.IsSpace(r) {
			return true
		}
	}
	return false
}

func BenchmarkParse(b *testing.B) {
	benches := []struct {
		name string
		body string
	}{
		{"plain remark", "You are totally right! I'll get this fixed right away."},
		{"review with areas", "Pushed the fix.\n\n@codex review for security regressions, perf"},
		{"64KiB then command", strings.Repeat("Lorem ipsum dolor sit amet, @codex.\n", 1800) + "@codex review"},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.body)))
			for b.Loop() {
				app.Parse(bb.body)
			}
		})
	}
}

func TestReviewAgainIsFresh(t *testing.T) {
	tests := []struct {
		body  string
		fresh bool
		areas []finding.Area
		instr string
	}{
		{"@codex review", false, nil, ""},
		{"@codex review again", true, nil, ""},
		{"@codex review AGAIN!", true, nil, ""},
		{"@codex review again security", true, []finding.Area{finding.Security}, ""},
		{"@codex review again, security and perf", true, []finding.Area{finding.Security, finding.Performance}, ""},
		{"@codex review again for the new cache", true, nil, "for the new cache"},
		{"@codex review this PR again please", true, nil, ""},
		{"@codex review security", false, []finding.Area{finding.Security}, ""},
		{"@codex review against the spec", false, nil, "against the spec"},
	}
	for _, tt := range tests {
		got := app.Parse(tt.body)
		if got.Kind != Review || got.Fresh != tt.fresh || !slices.Equal(got.Areas, tt.areas) || got.Instructions != tt.instr {
			t.Errorf("Parse(%q) = kind %v fresh %v areas %v instructions %q; want fresh %v areas %v instructions %q",
				tt.body, got.Kind, got.Fresh, got.Areas, got.Instructions, tt.fresh, tt.areas, tt.instr)
		}
	}
}
