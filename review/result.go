package review

import (
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

// Reviewed is a finding that survived merging, with where it is shown and
// the fingerprint that makes re-runs idempotent.
type Reviewed struct {
	finding.Finding
	Area finding.Area `json:"-"`
	// Areas names every area that reported the problem, Area first; a
	// problem seen by several passes is one finding.
	Areas       []finding.Area `json:"-"`
	Fingerprint string         `json:"-"`
	// Aliases are the fingerprints of the other reports merged into this
	// finding: a later review that recognises the problem under one of
	// them knows it was posted.
	Aliases   []string         `json:"-"`
	Placement anchor.Placement `json:"-"`
	// Gate names the precision gate that held the finding back from the
	// inline comments, if any; Placement.Reason says why.
	Gate Gate `json:"-"`
}

// Verdict is the overall judgement of a change: the overall_* fields of
// the design's §4.1 answer.
type Verdict struct {
	// Correctness is finding.CorrectnessOK or finding.CorrectnessBad.
	Correctness string
	Explanation string
	Confidence  float64
}

// Result is the outcome of one review.
type Result struct {
	// Verdict is the overall judgement of the change.
	Verdict Verdict
	// Findings are the findings at or above the threshold, ranked, with
	// where each is shown. They are the review's only list of findings:
	// Output derives the §4.1 answer from them.
	Findings []Reviewed
	// BelowThreshold counts findings the model reported under MinPriority.
	BelowThreshold int
	// Below are those findings, best first and not placed, for a list the
	// reader may open; they are not part of Output.
	Below []Reviewed
	// Omitted counts findings cut by the MaxFindings cap (never silently:
	// the summary says how many).
	Omitted int
	// Invalid counts findings too malformed to use: dropped by the model
	// answer's parser (no title or file, a negative line, a field of the
	// wrong type) or by normalisation (a path that escapes the repository);
	// the summary reports them.
	Invalid int
	// Gated counts what the precision gates did.
	Gated Gated
	// Dismissed counts findings found again that people had dismissed
	// (Options.Dismissed) and that were left out; the summary says so.
	Dismissed int
	Usage     finding.Usage
	Coverage  budget.Coverage
	// Focus is the set of passes that ran.
	Focus []finding.Area
	// Failures lists passes that failed (area and chunk) when others
	// succeeded; a review where every pass fails returns an error instead.
	Failures []string
	// Sandbox is the result of running the repository's tests, when the
	// caller ran them (Options.Tests; the engine itself never does).
	Sandbox *sandbox.Result
	// Dependencies is the dependency analysis, when the caller asked for
	// one and the change touches a manifest or lockfile.
	Dependencies *deps.Report
}

// Output is the review as the design's §4.1 answer: the findings, in
// order, and the verdict. Findings is never nil.
func (r *Result) Output() finding.Output {
	out := finding.Output{
		Findings:               make([]finding.Finding, len(r.Findings)),
		OverallCorrectness:     r.Verdict.Correctness,
		OverallExplanation:     r.Verdict.Explanation,
		OverallConfidenceScore: r.Verdict.Confidence,
	}
	for i, f := range r.Findings {
		out.Findings[i] = f.Finding
	}
	return out
}
