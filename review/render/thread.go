package render

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// maxAnswerRunes bounds the model's answer in a thread reply: the prompt
// asks for a few hundred words, and a reply is read in a narrow column.
const maxAnswerRunes = 6000

// answerKey names the marker of a thread reply: the id of the comment it
// answers, so a retried job finds its reply instead of posting another.
const answerKey = "answer"

// AnswerMarker is the hidden marker of the reply to comment id.
func AnswerMarker(id int64) string { return Marker(answerKey, strconv.FormatInt(id, 10)) }

// Answers returns the ids of the comments a reply says it answers.
func Answers(body string) []int64 {
	var out []int64
	for _, v := range ParseMarkers(body, answerKey) {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// ThreadReply is an answer in a review thread.
type ThreadReply struct {
	// Answers is the comment answered; its marker opens the reply.
	Answers int64
	// Text is the model's answer: untrusted markdown.
	Text string
	// Suggestion is replacement code for the thread's lines, already
	// checked to fit them; empty for none. One that is not Committable is
	// left out.
	Suggestion string
	// Note is the app's own line under the answer (why no suggestion was
	// given, for example); may be empty.
	Note string
}

// tooLongNote replaces a reply's note when its suggestion is left out for
// its size.
const tooLongNote = "No committable suggestion: the model's fix is longer than a GitHub comment may be."

// Reply renders a thread reply: the hidden marker, the answer (escaped as
// finding text is), the suggestion block, and the note in small print.
// The reply stays within MaxBodyChars: a suggestion that would not fit is
// left out, with a note saying so, rather than cut (GitHub would offer
// the cut half for one-click commit).
func (r ThreadReply) Reply() string {
	out := r.reply()
	if len(out) > MaxBodyChars && r.Suggestion != "" {
		r.Suggestion, r.Note = "", tooLongNote
		out = r.reply()
	}
	return out
}

func (r ThreadReply) reply() string {
	var b strings.Builder
	if m := AnswerMarker(r.Answers); m != "" {
		b.WriteString(m)
		b.WriteByte('\n')
	}
	text := strings.TrimSpace(markdown.NormalizeNewlines(r.Text))
	if text == "" {
		text = "I have no answer to that from the code I can see."
	}
	b.WriteString(EscapeBlock(truncate(text, maxAnswerRunes)))
	if s := r.Suggestion; strings.TrimSpace(s) != "" && Committable(s) {
		b.WriteString("\n\n")
		b.WriteString(CodeBlock("suggestion", s))
	}
	if r.Note != "" {
		b.WriteString("\n\n<sub>")
		b.WriteString(escapeInline(r.Note))
		b.WriteString("</sub>")
	}
	return b.String()
}

// Learning is one learning as listed in a comment.
type Learning struct {
	ID, Text, Author string
	Created          time.Time
}

// maxListedLearnings bounds a "@codex learnings" answer; the REST API lists
// them all.
const maxListedLearnings = 100

// learningsTail is room kept after the listed learnings for the "and N
// more" line and the how-to paragraph.
const learningsTail = 1024

// Learnings renders the answer to "@codex learnings" for repo. mention is
// the trigger, for the how-to line. Learnings were written by people with
// write access, but they are shown as quoted text, escaped like finding
// text, so that listing them notifies nobody and renders nothing hidden.
func Learnings(repo, mention string, ls []Learning) string {
	var b strings.Builder
	b.WriteString("#### What I remember for " + codeSpan(repo) + "\n\n")
	if len(ls) == 0 {
		b.WriteString("Nothing yet. ")
	} else {
		b.WriteString("Every review of this repository reads these as the maintainers' guidelines, newest first:\n\n")
		for i, l := range ls {
			item := fmt.Sprintf("- %s <sub>%s, %s · %s</sub>\n", escapeInline(truncate(l.Text, 600)), escapeInline(l.Author),
				l.Created.UTC().Format("2006-01-02"), codeSpan(l.ID))
			// Whole items only: a list cut by the poster at GitHub's
			// limit would lose the rest without counting it.
			if i == maxListedLearnings || b.Len()+len(item) > MaxBodyChars-learningsTail {
				fmt.Fprintf(&b, "- … and %d more.\n", len(ls)-i)
				break
			}
			b.WriteString(item)
		}
		b.WriteString("\n")
	}
	b.WriteString("People with write access add one with `" + mention + " remember <guideline>`; " +
		"the server's REST API lists them (`GET /v1/codex/learnings?repository=owner/name`) and deletes them (`DELETE /v1/codex/learnings/{id}`).\n")
	return b.String()
}

// Posted is what an inline comment the app posted says about its finding.
type Posted struct {
	Fingerprint string
	Title       string
	// Area is the first area the footer names; "" when none is known.
	Area finding.Area
	// Priority is the heading's; -1 when the heading has none.
	Priority finding.Priority
}

var postedHeadingRE = regexp.MustCompile(`^\*\*\[(P[0-3])\] (.*)\*\*\s*$`)

// ParsePosted reads an inline comment written by InlineBody: the
// fingerprint marker, the heading's priority and title, and the footer's
// first area. ok is false when the body has no fingerprint.
func ParsePosted(body string) (Posted, bool) {
	fps := ParseFingerprints(body)
	if len(fps) == 0 {
		return Posted{}, false
	}
	p := Posted{Fingerprint: fps[0], Priority: -1}
	lines := strings.Split(markdown.NormalizeNewlines(body), "\n")
	if m := postedHeadingRE.FindStringSubmatch(strings.TrimSpace(lines[0])); m != nil {
		if pr, err := finding.ParsePriority(m[1]); err == nil {
			p.Priority = pr
		}
		p.Title = m[2]
	}
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		rest, ok := strings.CutPrefix(l, "<sub>")
		if !ok {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimSuffix(rest, "</sub>"), " · ")
		name, _, _ := strings.Cut(first, " + ")
		if a, err := finding.ParseArea(name); err == nil {
			p.Area = a
		}
		break
	}
	return p, true
}
