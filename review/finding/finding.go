// Package finding holds the types of the model's answer (the contract of
// design §4.1) and the small vocabulary around them: priorities, focus
// areas and usage accounting. It is a leaf package so that every part of
// the engine can share it without import cycles.
package finding

import (
	"fmt"
	"strings"
)

// Priority ranks a finding: P0 blocks a release, P3 is nice to have.
type Priority int

// The four priorities of the review rubric.
const (
	P0 Priority = iota
	P1
	P2
	P3
)

// String renders the priority as "P0".."P3".
func (p Priority) String() string { return fmt.Sprintf("P%d", int(p)) }

// Valid reports whether p is one of P0..P3.
func (p Priority) Valid() bool { return p >= P0 && p <= P3 }

// ParsePriority accepts "P0".."P3" (any case) or "0".."3".
func ParsePriority(s string) (Priority, error) {
	t := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "P")
	if len(t) == 1 && t[0] >= '0' && t[0] <= '3' {
		return Priority(t[0] - '0'), nil
	}
	return 0, fmt.Errorf("invalid priority %q: want P0, P1, P2 or P3", s)
}

// Area is a focus area: one analysis pass of the review.
type Area string

// The focus areas. Tests is a category the model may use; it has no pass
// of its own unless the sandbox feeds it.
const (
	Security     Area = "security"
	Bugs         Area = "bugs"
	Performance  Area = "performance"
	Dependencies Area = "dependencies"
	Tests        Area = "tests"
)

// Areas lists every known area, in the order passes are reported.
var Areas = []Area{Security, Bugs, Performance, Dependencies, Tests}

// DefaultFocus is the set of passes run when nothing else is asked for.
var DefaultFocus = []Area{Security, Bugs, Performance, Dependencies}

// ParseArea accepts an area name in any case.
func ParseArea(s string) (Area, error) {
	a := Area(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Areas {
		if a == k {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown focus area %q: want one of security, bugs, performance, dependencies, tests", s)
}

// Verdict strings of the overall_correctness field.
const (
	CorrectnessOK  = "patch is correct"
	CorrectnessBad = "patch is incorrect"
)

// LineRange is an inclusive range of line numbers in the new version of a
// file (or the old one, for findings on deleted lines).
type LineRange struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// CodeLocation points a finding at a file and lines.
type CodeLocation struct {
	AbsoluteFilePath string    `json:"absolute_file_path"`
	LineRange        LineRange `json:"line_range"`
}

// Finding is one issue reported by the model (design §4.1).
type Finding struct {
	Title           string       `json:"title"`
	Body            string       `json:"body"`
	ConfidenceScore float64      `json:"confidence_score"`
	Priority        int          `json:"priority"`
	Category        string       `json:"category"`
	CodeLocation    CodeLocation `json:"code_location"`
	Suggestion      string       `json:"suggestion"`
}

// Output is the whole answer of one model call, and also the merged answer
// of a review (design §4.1).
type Output struct {
	Findings               []Finding `json:"findings"`
	OverallCorrectness     string    `json:"overall_correctness"`
	OverallExplanation     string    `json:"overall_explanation"`
	OverallConfidenceScore float64   `json:"overall_confidence_score"`
}

// Usage counts what model calls cost. Token counts come from the provider's
// usage report; DurationMS is wall time of the whole review or call.
type Usage struct {
	Model              string `json:"model"`
	PromptTokens       int64  `json:"prompt_tokens"`
	CachedPromptTokens int64  `json:"cached_prompt_tokens"`
	CompletionTokens   int64  `json:"completion_tokens"`
	Calls              int    `json:"calls"`
	DurationMS         int64  `json:"duration_ms"`
}

// Add accumulates the token counts and calls of o into u. The model name is
// kept when already set; durations are not summed because passes run
// concurrently (the caller measures wall time).
func (u *Usage) Add(o Usage) {
	if u.Model == "" {
		u.Model = o.Model
	}
	u.PromptTokens += o.PromptTokens
	u.CachedPromptTokens += o.CachedPromptTokens
	u.CompletionTokens += o.CompletionTokens
	u.Calls += o.Calls
}
