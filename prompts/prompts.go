// Package prompts holds the review prompts, embedded in the binary, and
// assembles them into the three parts of every model request:
//
//  1. the system part: the review rubric and the output rules, identical
//     for every request of every review;
//  2. the context part: the repository's instructions, the pull request's
//     text and one diff chunk, identical for every focus pass over that
//     chunk;
//  3. the focus part: what this pass looks for: one area's checklist, or
//     every requested area's in a combined pass.
//
// The parts are sent in that order so that an endpoint's prompt cache,
// which matches on a shared prefix, serves the second and later passes
// over the same chunk. The answer's JSON Schema is not restated here: it
// goes with the request as structured output (or, for endpoints without
// it, is appended by the model client).
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
	system    string
	context   *template.Template
	focus     *template.Template
	checklist = map[finding.Area]string{}
)

// areaWords name an area in a combined pass's headings (title) and say
// what a pass over it looks for (phrase).
var areaWords = map[finding.Area]struct{ title, phrase string }{
	finding.Security:     {"Security", "security problems"},
	finding.Bugs:         {"Correctness", "correctness"},
	finding.Performance:  {"Performance", "performance problems"},
	finding.Dependencies: {"Dependencies", "problems with the dependencies it adds, removes or changes"},
	finding.Tests:        {"Tests", "its tests"},
}

// passHeading starts every focus part; PassAreas reads it back.
const passHeading = "# Your pass: "

func init() {
	b, err := files.ReadFile("templates/system.md")
	if err != nil {
		panic(fmt.Sprintf("prompts: embedded system prompt missing: %v", err))
	}
	system = string(b)
	context = template.Must(template.New("context.md").
		Funcs(template.FuncMap{"fence": Fence}).
		ParseFS(files, "templates/context.md"))
	focus = template.Must(template.ParseFS(files, "templates/focus.md"))
	for _, a := range finding.Areas {
		b, err := files.ReadFile("templates/focus_" + string(a) + ".md")
		if err != nil {
			panic(fmt.Sprintf("prompts: embedded checklist for %s missing: %v", a, err))
		}
		checklist[a] = strings.TrimRight(string(b), "\n")
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

// Focus returns the part that turns the shared context into one pass over
// areas: a single area's checklist, or a combined pass over several, whose
// findings carry the category of their area. material holds untrusted
// supporting text by area (for example the output of the repository's
// tests); the material of the pass's areas is appended last.
func Focus(areas []finding.Area, material map[finding.Area]string) (string, error) {
	if len(areas) == 0 {
		return "", fmt.Errorf("a pass needs at least one focus area")
	}
	type area struct {
		Area                     finding.Area
		Title, Phrase, Checklist string
	}
	in := struct{ Areas []area }{}
	for _, a := range areas {
		c, ok := checklist[a]
		if !ok {
			return "", fmt.Errorf("no prompt for focus area %q", a)
		}
		w := areaWords[a]
		in.Areas = append(in.Areas, area{Area: a, Title: w.title, Phrase: w.phrase, Checklist: c})
	}
	var buf bytes.Buffer
	if err := focus.Execute(&buf, in); err != nil {
		return "", fmt.Errorf("render focus prompt: %w", err)
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(buf.String(), "\n") + "\n")
	// Material given for several areas of a combined pass (the output of
	// failing tests goes to every area) is written once, naming them all.
	var texts []string
	forAreas := map[string][]string{}
	for _, a := range areas {
		m := material[a]
		if m == "" {
			continue
		}
		if _, seen := forAreas[m]; !seen {
			texts = append(texts, m)
		}
		forAreas[m] = append(forAreas[m], string(a))
	}
	for _, m := range texts {
		heading := "## Supporting material (untrusted)"
		if len(areas) > 1 && len(forAreas[m]) < len(areas) {
			heading = "## Supporting material for " + strings.Join(forAreas[m], ", ") + " (untrusted)"
		}
		b.WriteString("\n" + heading + "\n" + Fence("MATERIAL", m) + "\n")
	}
	return b.String(), nil
}

// PassAreas returns the areas a focus part (the last message of a
// request) asks for, or nil when text is not one. Fakes of the model use it
// to answer as a model would.
func PassAreas(text string) []finding.Area {
	i := strings.Index(text, passHeading)
	if i < 0 {
		return nil
	}
	line, _, _ := strings.Cut(text[i+len(passHeading):], "\n")
	var out []finding.Area
	for _, name := range strings.Split(line, ",") {
		if a, err := finding.ParseArea(name); err == nil {
			out = append(out, a)
		}
	}
	return out
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
