// Package anchor gives every finding a place GitHub will accept, or moves
// it to the review summary with the reason. Nothing is dropped.
package anchor

import "github.com/codex-review/codex-review/review/diff"

// Method says how a finding was placed.
type Method string

// Placement methods, from most to least faithful to the model's answer.
const (
	Exact   Method = "exact"   // the model's range is commentable as given
	Snippet Method = "snippet" // relocated to where the code the model quoted appears
	Nearest Method = "nearest" // moved to the nearest commentable line of the same hunk
	Summary Method = "summary" // not placeable inline; shown in the review summary
)

// Placement is where a finding is shown.
type Placement struct {
	Inline    bool      `json:"inline"`
	Path      string    `json:"path"`
	Side      diff.Side `json:"side,omitempty"`
	StartLine int       `json:"start_line,omitempty"` // 0 for a single-line comment
	Line      int       `json:"line,omitempty"`       // the last (or only) line
	Method    Method    `json:"method"`
	// Reason explains a relocation or a move to the summary, for people.
	Reason string `json:"reason,omitempty"`
}
