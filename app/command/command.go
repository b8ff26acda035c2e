// Package command reads the pull request comments that ask the app for
// something (design §2 "Trigger by comment", "In threads"): conversation
// comments with Parse, replies in review threads with ParseThread. Parsing
// is pure: it looks only at the comment's text, and every comment maps to
// exactly one outcome — a review to run, a learning to store, a question to
// answer, a usage text to post, a reply that explains a mistake, or nothing
// at all. Who wrote the comment, whether it is on a pull request and
// whether it was edited are the webhook handler's business.
package command

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// DefaultTrigger is the mention that triggers the app when CODEX_TRIGGER is
// not set (design §4.3).
const DefaultTrigger = "@codex"

// MaxInstructions caps, in characters, the free text a comment may add to
// every focus pass. A comment body may hold 65,536 characters; one line of
// it should not multiply the prompt of every pass. Longer standing
// instructions belong in review.instructions of .codex.yml.
const MaxInstructions = 2000

// maxEchoedVerb bounds how much of an unknown word a reply quotes back.
const maxEchoedVerb = 32

// maxTypoDistance is the largest edit distance at which an unknown verb is
// taken for a typo of a known one ("reveiw", "hlep", "reviw").
const maxTypoDistance = 2

// Kind says what a comment asks for.
type Kind int

// The outcomes of Parse. The zero value is Ignore, so a Command nobody
// filled in does nothing.
const (
	// Ignore: the comment does not address the app.
	Ignore Kind = iota
	// Review: run a review with Command.Areas and Command.Instructions.
	Review
	// Help: post Command.Reply, the usage text.
	Help
	// Reply: the comment addressed the app but made no sense to it; post
	// Command.Reply, which says so and suggests the right command.
	Reply
	// Remember: store Command.Text as a learning of the repository
	// ("@codex remember <text>").
	Remember
	// Learnings: list the repository's learnings ("@codex learnings").
	Learnings
	// Dismiss: never post the thread's finding again on this pull request
	// ("@codex ignore" in a review thread); Command.Text is the reason
	// given, if any.
	Dismiss
	// Ask: answer Command.Text, a question asked in a review thread, in
	// that thread.
	Ask
	// Suggest: answer in the review thread with a committable fix for the
	// thread's lines ("@codex suggest", or a question asking for a fix);
	// Command.Text is the request's wording.
	Suggest
)

// String names the kind for logs and metrics.
func (k Kind) String() string {
	switch k {
	case Ignore:
		return "ignore"
	case Review:
		return "review"
	case Help:
		return "help"
	case Reply:
		return "reply"
	case Remember:
		return "remember"
	case Learnings:
		return "learnings"
	case Dismiss:
		return "dismiss"
	case Ask:
		return "ask"
	case Suggest:
		return "suggest"
	}
	return "unknown"
}

// Valid reports whether k is one of the outcomes above.
func (k Kind) Valid() bool { return k >= Ignore && k <= Suggest }

// Command is the outcome of parsing one comment.
type Command struct {
	Kind Kind
	// Areas are the focus areas the comment named, unique and in the order
	// of finding.Areas; nil means the repository's configured focus.
	Areas []finding.Area
	// Instructions is the comment's own wording after the verb, at most
	// MaxInstructions characters; empty when the line held only area names
	// and filler words.
	Instructions string
	// Fresh is set for a review request with the word "again" ("@codex
	// review again", "@codex review this again please"): it reviews afresh
	// even when the same request was already answered for the same head.
	Fresh bool
	// Reply is the markdown to post when Kind is Reply or Help.
	Reply string
	// Text is the comment's own words after the verb for Remember (the
	// learning, at most MaxLearning characters), Dismiss (a reason) and
	// Suggest, and after the mention for Ask (the question); at most
	// MaxInstructions characters otherwise. Empty for the other kinds.
	Text string
	// Line is the 1-based line of the comment that decided the outcome;
	// 0 for Ignore.
	Line int
}

// Parser recognises commands addressed to the app. The zero value answers
// to DefaultTrigger only.
type Parser struct {
	// Trigger is the configured mention (CODEX_TRIGGER); empty means
	// DefaultTrigger. A missing leading "@" is added.
	Trigger string
	// Slug is the GitHub App's slug: "@<slug> review" works whatever the
	// trigger is. Empty when not known.
	Slug string

	// thread is set by ParseThread: the comment is a reply in a review
	// thread, where questions and thread verbs apply.
	thread bool
}

// Parse reads a comment body and returns what it asks for.
//
// A line counts only when it starts with a mention (leading whitespace
// allowed) that is followed by whitespace or the end of the line, so
// "@codexy review" and "thanks @codex" do not count, and "@codex-review"
// counts only when it is the app's slug. Mentions and verbs match in any
// case. The comment is read as GitHub renders it (package markdown): lines
// of code blocks (fenced or indented), quoted lines ("> …", usually a quote
// of an earlier comment, and their lazy continuations) and HTML, comments
// included (<!-- … -->, invisible on GitHub, even when opened mid-line),
// never count. The first line with a
// known verb wins; when mentions exist but none has a known verb, the first
// of them gets a Reply, so a typo is never met with silence.
//
// The words after the mention:
//
//	@codex                         Help (the usage text)
//	@codex help | usage            Help
//	@codex review                  Review, Areas nil (the configured focus)
//	@codex review security, perf   Review, Areas [security performance]
//	@codex review for security     Review, Areas [security]
//	@codex review for security regressions in the login flow
//	                               Review, Areas [security], Instructions
//	                               "for security regressions in the login flow"
//	@codex review but skip perf    Review, Areas nil, Instructions
//	                               "but skip perf"
//	@codex reveiw                  Reply: did you mean `@codex review`?
//	@codex please look             Reply: did you mean `@codex review`?
//
// After "review", each word is an area name (security/sec/vulnerabilities,
// bugs/bug/correctness, performance/perf, dependencies/deps/dependency,
// tests/test/testing), a filler word (and, for, the, this, please, only,
// issues, …) or anything else. Named areas select the passes to run. When
// anything else appears, the whole text after the verb is kept, unchanged,
// as Instructions, so the model reads the user's own phrasing. An area named
// after a negation ("skip", "not", "don't", "except", …) does not select
// anything: the line is treated as instructions for the configured focus
// rather than guessing which passes the user meant to drop.
func (p Parser) Parse(body string) Command {
	ms := p.mentions()
	var first Command
	for i, l := range markdown.Lines(body) {
		// Only text a reader sees counts: not code, not HTML (comments
		// included, even one opened mid-line), not quotes.
		if l.Kind != markdown.Text || l.Quoted {
			continue
		}
		text := strings.TrimLeftFunc(l.Visible, unicode.IsSpace)
		m, after, ok := ms.match(text)
		if !ok {
			continue
		}
		cmd := p.command(m, after)
		cmd.Line = i + 1
		if cmd.Kind != Reply {
			return cmd
		}
		if first.Kind == Ignore {
			first = cmd
		}
	}
	return first
}

// Usage is the markdown posted for "@codex help": the commands, the focus
// areas, examples and where the configuration lives.
func (p Parser) Usage() string {
	ms := p.mentions()
	t := ms.trigger
	var b strings.Builder
	b.WriteString("#### How to use the reviewer\n\n")
	b.WriteString("Comment on a pull request with a line that starts with `" + t + "`:\n\n")
	b.WriteString("| comment | what happens |\n|---|---|\n")
	b.WriteString("| `" + t + " review` | a review with the repository's configured focus areas |\n")
	b.WriteString("| `" + t + " review security, perf` | a review of the named areas only |\n")
	b.WriteString("| `" + t + " review for security regressions in the login flow` | the areas you name, and your words as extra instructions |\n")
	b.WriteString("| `" + t + " review again` | a fresh review, even when the same request was already answered for this commit (which otherwise gets a link to that review) |\n")
	b.WriteString("| `" + t + " remember <text>` | a guideline for every later review of this repository (people with write access) |\n")
	b.WriteString("| `" + t + " learnings` | the repository's stored guidelines |\n")
	b.WriteString("| `" + t + " help` | this message |\n\n")
	b.WriteString("In a reply in a review thread on the changed lines:\n\n")
	b.WriteString("| reply | what happens |\n|---|---|\n")
	b.WriteString("| `" + t + " why is this a problem?` | an answer in the thread, from the thread and the code around it |\n")
	b.WriteString("| `" + t + " suggest` | a committable suggestion for the thread's lines, when the fix is mechanical |\n")
	b.WriteString("| `" + t + " ignore` | the thread's finding is not posted again on this pull request |\n\n")
	b.WriteString("Resolving one of my threads without changing its lines, or a 👎 on my comment from someone with write access, " +
		"also keeps that finding from being posted again on this pull request.\n\n")
	if ms.slug != "" {
		b.WriteString("`" + ms.slug + " review` always works too, whatever the trigger is set to.\n\n")
	}
	b.WriteString("Focus areas: `security` (`sec`), `bugs` (`bug`), `performance` (`perf`), " +
		"`dependencies` (`deps`), `tests` (`test`). Other words on the line are passed to the reviewer " +
		"as instructions; only that one line is read.\n\n")
	b.WriteString("The command must start its line: mentions inside a sentence, quotes and code blocks are ignored. " +
		"Only people with write access to the repository can use these commands; others get a 😕 reaction.\n\n")
	b.WriteString("Settings (automatic reviews, default focus areas, paths, thresholds, instructions) live in " +
		"`.codex.yml` on the pull request's **base** branch, so a pull request cannot change its own review rules.\n")
	return b.String()
}

// Validate reports a trigger or slug that cannot work as a mention: a
// mention is matched against the start of one line and quoted in replies,
// so it may not hold whitespace, control characters or backticks. The
// server calls it at start-up so a bad CODEX_TRIGGER fails loudly instead
// of making every comment look like a remark.
func (p Parser) Validate() error {
	ms := p.mentions()
	for _, m := range [2]string{ms.trigger, ms.slug} {
		if m == "" {
			continue
		}
		if m == "@" || strings.ContainsFunc(m, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r) || r == '`' || r == utf8.RuneError
		}) {
			return fmt.Errorf("invalid mention %q: want @ and a name without spaces or backticks", m)
		}
	}
	return nil
}

// mentionSet holds the spellings that address the app.
type mentionSet struct {
	trigger string // always set
	slug    string // "@<slug>", or empty when unknown or equal to trigger
}

func (p Parser) mentions() mentionSet {
	t := strings.TrimSpace(p.Trigger)
	if t == "" {
		t = DefaultTrigger
	}
	if !strings.HasPrefix(t, "@") {
		t = "@" + t
	}
	var ms mentionSet
	ms.trigger = t
	if s := strings.TrimPrefix(strings.TrimSpace(p.Slug), "@"); s != "" && !strings.EqualFold("@"+s, t) {
		ms.slug = "@" + s
	}
	return ms
}

// match reports whether text starts with one of the mentions followed by
// whitespace or the end of the text, and returns the canonical spelling of
// that mention and what follows it.
func (ms mentionSet) match(text string) (mention, after string, ok bool) {
	for _, m := range [2]string{ms.trigger, ms.slug} {
		if m == "" || len(text) < len(m) || !strings.EqualFold(text[:len(m)], m) {
			continue
		}
		after = text[len(m):]
		if r, _ := utf8.DecodeRuneInString(after); after == "" || unicode.IsSpace(r) {
			return m, after, true
		}
	}
	return "", "", false
}

// command interprets what follows a mention.
func (p Parser) command(mention, after string) Command {
	// Text after an HTML comment opener is invisible on GitHub; it must
	// neither change the verb nor reach the model.
	if i := strings.Index(after, "<!--"); i >= 0 {
		after = after[:i]
	}
	after = strings.TrimSpace(after)
	if after == "" {
		return Command{Kind: Help, Reply: p.Usage()}
	}
	verb, tail := splitVerb(after)
	switch strings.ToLower(verb) {
	case "review":
		return review(tail)
	case "help", "usage", "-h", "--help":
		return Command{Kind: Help, Reply: p.Usage()}
	}
	if cmd, ok := p.memoryVerb(mention, strings.ToLower(verb), tail); ok {
		return cmd
	}
	if p.thread {
		return p.threadCommand(mention, verb, tail, after)
	}
	return Command{Kind: Reply, Reply: unknownVerbReply(mention, verb, tail, conversationVerbs)}
}

// splitVerb cuts the leading word (letters, digits, '-' and '_') off s, so
// that "review," and "review:security" still start with "review".
func splitVerb(s string) (verb, tail string) {
	i := strings.IndexFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_'
	})
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// unknownVerbReply explains that the word after the mention is not a
// command and suggests the closest of verbs. The unknown word is quoted
// back only because splitVerb limits it to letters, digits, '-' and '_':
// nothing in it can break out of the code span or mention anyone.
func unknownVerbReply(mention, verb, tail string, verbs []string) string {
	suggest := closestVerb(strings.ToLower(verb), verbs)
	var b strings.Builder
	if verb == "" {
		b.WriteString("I did not recognise a command after `" + mention + "`.")
	} else {
		b.WriteString("I do not know the command `" + truncateRunes(verb, maxEchoedVerb) + "`.")
	}
	b.WriteString(" Did you mean `" + mention + " " + suggest + "`?")
	if suggest == "review" && containsWord(tail, "review") {
		b.WriteString(" The command goes right after the mention.")
	}
	b.WriteString("\n\nComment `" + mention + " help` to see what I can do.\n")
	return b.String()
}

// closestVerb returns the verb of verbs (the first is the default) that
// word is a typo of, if any.
func closestVerb(word string, verbs []string) string {
	best, bestDist := verbs[0], maxTypoDistance+1
	for _, v := range verbs {
		if d := editDistance(word, v); d < bestDist {
			best, bestDist = v, d
		}
	}
	return best
}

// containsWord reports whether s holds word (any case) as a whole word.
func containsWord(s, word string) bool {
	for _, f := range strings.FieldsFunc(s, isSeparator) {
		if strings.EqualFold(trimPunct(f), word) {
			return true
		}
	}
	return false
}

// truncateRunes keeps at most n runes of s.
func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours each cost
// one, so "reveiw" is one step from "review". Long inputs are not typos
// worth measuring; they get a distance beyond any threshold.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > maxEchoedVerb || len(rb) > maxEchoedVerb {
		return maxEchoedVerb + 1
	}
	// d[i][j] is the distance between ra[:i] and rb[:j]; three rows
	// suffice because a swap looks two rows back.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
