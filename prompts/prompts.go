// Package prompts holds the review prompts, embedded in the binary, and
// assembles them into the three parts of every model request:
//
//  1. the system part: the review rubric and the output rules, identical
//     for every request of every review;
//  2. the context part: the repository's instructions, the pull request's
//     text and one diff chunk, identical for every focus pass over that
//     chunk;
//  3. the focus part: what this pass looks for.
//
// The parts are sent in that order so that an endpoint's prompt cache,
// which matches on a shared prefix, serves the second and later passes
// over the same chunk.
package prompts

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"strings"
	"text/template"

	"github.com/codex-review/codex-review/review/finding"
)

//go:embed templates/*.md
var files embed.FS

var (
	system  string
	context *template.Template
	focus   = map[finding.Area]string{}
)

func init() {
	b, err := files.ReadFile("templates/system.md")
	if err != nil {
		panic(fmt.Sprintf("prompts: embedded system prompt missing: %v", err))
	}
	system = string(b)
	context = template.Must(template.New("context.md").
		Funcs(template.FuncMap{"fence": Fence}).
		ParseFS(files, "templates/context.md"))
	for _, a := range finding.Areas {
		b, err := files.ReadFile("templates/focus_" + string(a) + ".md")
		if err != nil {
			panic(fmt.Sprintf("prompts: embedded focus prompt for %s missing: %v", a, err))
		}
		focus[a] = string(b)
	}
}

// Input is what a review request is built from.
type Input struct {
	// Repository names the repository ("owner/name"); may be empty.
	Repository string
	// Instructions come from the maintainers (the base branch's
	// .codex.yml and AGENTS.md, or the operator); they are trusted.
	Instructions string
	// Title and Description are the pull request's text, written by its
	// author: untrusted, and fenced as such.
	Title, Description string
	// Diff is one chunk of the diff in the engine's numbered format.
	Diff string
	// ChunkIndex (1-based) and ChunkCount place the chunk in the review.
	ChunkIndex, ChunkCount int
}

// System returns the system part, the same for every request.
func System() string { return system }

// Context renders the part shared by all focus passes over one chunk.
func Context(in Input) (string, error) {
	var buf bytes.Buffer
	if err := context.Execute(&buf, in); err != nil {
		return "", fmt.Errorf("render review context: %w", err)
	}
	return buf.String(), nil
}

// Focus returns the part that turns the shared context into one pass. Extra
// is appended as untrusted supporting material (for example the output of
// the repository's tests); it may be empty.
func Focus(area finding.Area, extra string) (string, error) {
	f, ok := focus[area]
	if !ok {
		return "", fmt.Errorf("no prompt for focus area %q", area)
	}
	if extra == "" {
		return f, nil
	}
	return f + "\n## Supporting material (untrusted)\n" + Fence("MATERIAL", extra) + "\n", nil
}

// Fence wraps untrusted text between begin and end markers that the text
// itself cannot contain, so it cannot close its own fence and pose as
// instructions. The marker is derived from the content, not random, so the
// same input always yields the same prompt and stays cacheable.
func Fence(label, text string) string {
	sum := sha256.Sum256([]byte(text))
	tag := hex.EncodeToString(sum[:6])
	for strings.Contains(text, tag) {
		sum = sha256.Sum256(sum[:])
		tag = hex.EncodeToString(sum[:6])
	}
	begin := fmt.Sprintf("<<<BEGIN UNTRUSTED %s %s>>>", label, tag)
	end := fmt.Sprintf("<<<END UNTRUSTED %s %s>>>", label, tag)
	text = strings.TrimRight(text, "\n")
	return begin + "\n" + text + "\n" + end
}
