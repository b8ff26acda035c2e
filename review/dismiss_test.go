package review_test

import (
	"context"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/dismiss"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// TestReviewLeavesOutDismissedFindings: a finding people dismissed is not
// reported again, whether found under its fingerprint or reworded at the
// lines its comment moved to, and the result counts it once.
func TestReviewLeavesOutDismissedFindings(t *testing.T) {
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		switch area {
		case "security":
			return finding.Output{Findings: []finding.Finding{
				{Title: "[P1] SQL injection in Find", Body: "`q` concatenates `name`.", Priority: 1, ConfidenceScore: 0.9,
					Category: "security", CodeLocation: loc("store/users.go", 14, 14)},
			}, OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "Injectable query.", OverallConfidenceScore: 0.9}
		case "bugs":
			return finding.Output{Findings: []finding.Finding{
				{Title: "[P1] Scan error is ignored", Body: "`return &u, nil` drops the error.", Priority: 1, ConfidenceScore: 0.8,
					Category: "bugs", CodeLocation: loc("store/users.go", 18, 18)},
			}, OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "Errors are dropped.", OverallConfidenceScore: 0.8}
		}
		return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Fine.", OverallConfidenceScore: 0.7}
	})
	opt := review.Options{MinPriority: finding.P1, Focus: []finding.Area{finding.Security, finding.Bugs}}
	res, err := engine(t, srv).Review(context.Background(), parse(t, change), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 || res.Dismissed != 0 {
		t.Fatalf("without dismissals: %d findings, %d dismissed", len(res.Findings), res.Dismissed)
	}
	var injection review.Reviewed
	for _, f := range res.Findings {
		if f.Category == "security" {
			injection = f
		}
	}

	opt.Dismissed = []dismiss.Entry{
		{Fingerprint: injection.Fingerprint, Path: "store/users.go", Line: 14, Title: injection.Title, Category: "security"},
		// Dismissed under an older wording; its comment is now at line 18.
		{Fingerprint: "00000000deadbeef", Path: "store/users.go", Line: 18, Title: "[P2] Error of Scan ignored", Category: "bugs"},
	}
	res, err = engine(t, srv).Review(context.Background(), parse(t, change), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || len(res.Output().Findings) != 0 || res.Dismissed != 2 {
		t.Errorf("with both dismissed: %d findings (%+v), %d dismissed; want none and 2", len(res.Findings), res.Output().Findings, res.Dismissed)
	}
}
