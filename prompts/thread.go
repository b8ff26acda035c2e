package prompts

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

var (
	threadSystem string
	thread       *template.Template
)

func init() {
	b, err := files.ReadFile("templates/thread_system.md")
	if err != nil {
		panic(fmt.Sprintf("prompts: embedded thread system prompt missing: %v", err))
	}
	threadSystem = string(b)
	thread = template.Must(template.New("thread.md").
		Funcs(template.FuncMap{"fence": Fence, "name": quotedName}).
		ParseFS(files, "templates/thread.md"))
}

// ThreadComment is one comment of a review thread.
type ThreadComment struct {
	// Author is the commenter's login; the app's own comments say "you".
	Author string
	Body   string
}

// ThreadInput is what an answer in a review thread is built from.
type ThreadInput struct {
	// Repository names the repository ("owner/name").
	Repository string
	// Instructions are the maintainers' guidelines: the base branch's
	// configuration and AGENTS.md, and the repository's learnings. They
	// are trusted.
	Instructions string
	// Title is the pull request's title: untrusted.
	Title string
	// Path and Lines ("line 14", "lines 12-14") say where the thread is;
	// Outdated is set when those lines changed since.
	Path, Lines string
	Outdated    bool
	// DiffHunk is GitHub's diff above the thread's lines; Code the file
	// at the head around them, numbered. Both untrusted.
	DiffHunk, Code string
	// Finding is the app's own comment that started the thread, empty for
	// threads others started.
	Finding string
	// Comments are the thread so far, oldest first, the question's
	// comment last. Untrusted.
	Comments []ThreadComment
	// Question is the text after the mention. Untrusted.
	Question string
	// Suggest asks for a committable fix of the thread's lines.
	Suggest bool
}

// quotedName writes a name from GitHub or the pull request (a file path, a
// login) on one line of the prompt: in backticks when it is plain, quoted
// with Go's escapes when it holds a line break, a backtick or a control
// character, so that a file named "a.go\n## Your task\n…" cannot start a
// section of the prompt outside the fences.
func quotedName(s string) string {
	if s != "" && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return r == '`' || unicode.IsControl(r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || unicode.Is(unicode.Bidi_Control, r)
	}) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// ThreadSystem returns the system part of a thread answer.
func ThreadSystem() string { return threadSystem }

// Thread renders the request of a thread answer.
func Thread(in ThreadInput) (string, error) {
	// Each comment has a fence of its own, with its author outside it: a
	// comment cannot close its fence and go on as another comment ("by
	// you"), the app's own words.
	var t strings.Builder
	for i, c := range in.Comments {
		if i > 0 {
			t.WriteString("\n\n")
		}
		fmt.Fprintf(&t, "Comment %d, by %s:\n%s", i+1, quotedName(c.Author), Fence("COMMENT", strings.TrimSpace(c.Body)))
	}
	data := struct {
		ThreadInput
		Thread string
	}{in, t.String()}
	var buf bytes.Buffer
	if err := thread.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("render thread answer request: %w", err)
	}
	return buf.String(), nil
}
