package render

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/finding"
)

// jsonResult is the §4.1 object plus usage and coverage. The first four
// fields mirror finding.Output, so the answer decodes into it.
type jsonResult struct {
	Findings               []finding.Finding `json:"findings"`
	OverallCorrectness     string            `json:"overall_correctness"`
	OverallExplanation     string            `json:"overall_explanation"`
	OverallConfidenceScore float64           `json:"overall_confidence_score"`
	Usage                  finding.Usage     `json:"usage"`
	Coverage               budget.Coverage   `json:"coverage"`
	// Failures is present only when some passes failed, so a script can
	// tell a partial review from a clean one.
	Failures []string `json:"failures,omitempty"`
	// The dependency analysis, when it ran.
	deps.JSONFields
}

// JSON writes the review as the design §4.1 object (findings in the
// contract shape, the overall verdict) plus "usage" and "coverage", and
// "failures" when some passes failed, and "dependency_changes" when the
// dependency analysis ran. Arrays are never null.
func JSON(w io.Writer, r *review.Result) error {
	if r == nil {
		r = &review.Result{}
	}
	r = stripped(r)
	o := r.Output()
	out := jsonResult{
		Findings:               o.Findings,
		OverallCorrectness:     o.OverallCorrectness,
		OverallExplanation:     o.OverallExplanation,
		OverallConfidenceScore: o.OverallConfidenceScore,
		Usage:                  r.Usage,
		Coverage:               r.Coverage,
		Failures:               r.Failures,
		JSONFields:             r.Dependencies.JSON(),
	}
	if out.Coverage.Skipped == nil {
		out.Coverage.Skipped = []budget.Skip{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Code in findings is full of <, > and &; escaping them as \u003c would
	// only make the output harder to read.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write JSON review: %w", err)
	}
	return nil
}
