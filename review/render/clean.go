package render

import (
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// stripped returns a copy of r whose text from the model and the pull
// request (titles, explanations, suggestions, categories, paths, placement
// reasons, failure messages) holds no control characters, for the formats
// that print text as it is (JSON and SARIF: encoding/json escapes C0
// controls, but a script that decodes the value prints them, and C1 and
// bidirectional controls are written raw).
func stripped(r *review.Result) *review.Result {
	c := *r
	c.Verdict.Correctness = markdown.StripControl(r.Verdict.Correctness)
	c.Verdict.Explanation = markdown.StripControl(r.Verdict.Explanation)
	c.Findings = strippedReviewed(r.Findings)
	c.Below = strippedReviewed(r.Below)
	if r.Failures != nil {
		c.Failures = make([]string, len(r.Failures))
		for i, m := range r.Failures {
			c.Failures[i] = markdown.StripControl(m)
		}
	}
	return &c
}

func strippedReviewed(fs []review.Reviewed) []review.Reviewed {
	if fs == nil {
		return nil
	}
	out := make([]review.Reviewed, len(fs))
	for i, f := range fs {
		f.Finding = strippedFinding(f.Finding)
		f.Placement.Path = markdown.StripControl(f.Placement.Path)
		f.Placement.Reason = markdown.StripControl(f.Placement.Reason)
		out[i] = f
	}
	return out
}

func strippedFinding(f finding.Finding) finding.Finding {
	f.Title = markdown.StripControl(f.Title)
	f.Body = markdown.StripControl(f.Body)
	f.Category = markdown.StripControl(f.Category)
	f.Suggestion = markdown.StripControl(f.Suggestion)
	f.CodeLocation.AbsoluteFilePath = markdown.StripControl(f.CodeLocation.AbsoluteFilePath)
	return f
}
