package review

import (
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

// Reviewed is a finding that survived merging, with where it is shown and
// the fingerprint that makes re-runs idempotent.
type Reviewed struct {
	finding.Finding
	Area        finding.Area     `json:"-"`
	Fingerprint string           `json:"-"`
	Placement   anchor.Placement `json:"-"`
}

// Result is the outcome of one review.
type Result struct {
	// Output is the merged §4.1 answer: findings at or above the threshold,
	// ranked, with the overall verdict.
	Output finding.Output
	// Findings are Output.Findings, in the same order, with placement.
	Findings []Reviewed
	// BelowThreshold counts findings the model reported under MinPriority.
	BelowThreshold int
	// Omitted counts findings cut by the MaxFindings cap (never silently:
	// the summary says how many).
	Omitted int
	// Invalid counts findings too malformed to use (no title, a path that
	// escapes the repository); the summary reports them.
	Invalid  int
	Usage    finding.Usage
	Coverage budget.Coverage
	// Focus is the set of passes that ran.
	Focus []finding.Area
	// Failures lists passes that failed (area and chunk) when others
	// succeeded; a review where every pass fails returns an error instead.
	Failures []string
	// Sandbox is the result of running the repository's tests, when the
	// caller ran them (the engine itself never does).
	Sandbox *sandbox.Result
}
