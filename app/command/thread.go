package command

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLearning caps, in characters, one learning stored with "@codex
// remember". Learnings go into the prompt of every later review of the
// repository, so each must be a guideline, not a document; a longer one is
// refused with a reply rather than cut, which could change its meaning.
const MaxLearning = 500

// conversationVerbs and threadVerbs are the verbs a typo is matched
// against, the default suggestion first.
var (
	conversationVerbs = []string{"review", "help", "remember", "learnings"}
	threadVerbs       = []string{"review", "help", "remember", "learnings", "suggest", "ignore"}
)

// suggestWords make a thread question a request for a fix: the answer then
// carries a suggestion block when the fix is mechanical.
var suggestWords = map[string]bool{
	"fix": true, "fixed": true, "fixes": true, "fixing": true,
	"suggest": true, "suggestion": true, "suggestions": true,
	"patch": true, "rewrite": true,
}

// ParseThread reads a comment in a review thread: a reply to a thread, or
// the first comment of one. Lines are found as Parse finds them, and the
// verbs of Parse work the same, with these added:
//
//	@codex why is this a problem?   Ask, Text "why is this a problem?"
//	@codex is this safe if x is nil?
//	                                Ask, Text "is this safe if x is nil?"
//	@codex suggest                  Suggest
//	@codex fix                      Suggest (so does "suggestion")
//	@codex can you suggest a fix?   Suggest, Text "can you suggest a fix?"
//	@codex ignore                   Dismiss
//	@codex ignore: we validate upstream
//	                                Dismiss, Text "we validate upstream"
//
// Anything after the mention that is not a verb is a question, except a
// lone word without a question mark ("@codex thnaks"), which gets the same
// "did you mean" reply as in a conversation comment. A question that uses
// one of the words fix, suggest, suggestion, patch or rewrite asks for a
// fix.
func (p Parser) ParseThread(body string) Command {
	p.thread = true
	return p.Parse(body)
}

// memoryVerb interprets the verbs that work in conversation comments and
// threads alike: remember and learnings. ok is false for other verbs.
func (p Parser) memoryVerb(mention, verb, tail string) (Command, bool) {
	switch verb {
	case "remember":
		text := commandText(tail)
		switch {
		case text == "":
			return Command{Kind: Reply, Reply: "What should I remember? Put the guideline on the same line: `" +
				mention + " remember <guideline>`, for example `" + mention +
				" remember errors from the store package are already logged by the caller`.\n"}, true
		case utf8.RuneCountInString(text) > MaxLearning:
			return Command{Kind: Reply, Reply: "That is too long to remember: a learning goes into every later review's prompt, " +
				"so it may have at most " + strconv.Itoa(MaxLearning) + " characters. Put longer guidance in the `## Review guidelines` " +
				"section of `AGENTS.md` or in `review.instructions` of `.codex.yml` on the default branch.\n"}, true
		}
		return Command{Kind: Remember, Text: text}, true
	case "learnings", "learning":
		return Command{Kind: Learnings}, true
	case "ignore", "suggest", "suggestion":
		if p.thread {
			return Command{}, false
		}
		return Command{Kind: Reply, Reply: "`" + mention + " " + verb + "` works in a reply in a review thread on the changed lines, " +
			"where it applies to that thread's finding. Comment `" + mention + " help` to see what I can do.\n"}, true
	}
	return Command{}, false
}

// threadCommand interprets what follows a mention in a review thread when
// the verb is not one of Parse's.
func (p Parser) threadCommand(mention, verb, tail, after string) Command {
	switch strings.ToLower(verb) {
	case "ignore", "dismiss":
		return Command{Kind: Dismiss, Text: capped(commandText(tail))}
	case "suggest", "suggestion", "fix":
		return Command{Kind: Suggest, Text: capped(after)}
	}
	if !strings.ContainsFunc(strings.TrimSpace(after), unicode.IsSpace) && !strings.Contains(after, "?") {
		return Command{Kind: Reply, Reply: unknownVerbReply(mention, verb, tail, threadVerbs)}
	}
	question := capped(after)
	for _, f := range strings.FieldsFunc(strings.ToLower(question), isSeparator) {
		if suggestWords[trimPunct(f)] {
			return Command{Kind: Suggest, Text: question}
		}
	}
	return Command{Kind: Ask, Text: question}
}

// commandText is the text after a verb without the punctuation people put
// between the two ("remember: …", "ignore - …"), as valid UTF-8.
func commandText(tail string) string {
	text := strings.TrimLeftFunc(tail, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(":,;.!-–—", r)
	})
	return strings.ToValidUTF8(strings.TrimRightFunc(text, unicode.IsSpace), "\uFFFD")
}

// capped keeps at most MaxInstructions characters of valid UTF-8.
func capped(s string) string {
	return strings.TrimSpace(truncateRunes(strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD"), MaxInstructions))
}
