package review

import (
	"cmp"
	"context"
	"slices"

	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/merge"
)

// present turns the merged problems into the review's findings and
// verdict, on d (the diff comments land on):
//
//   - each finding is placed (anchor.Place);
//   - the precision gates apply: a finding outside the file or the change
//     is dropped (OutsideDrop) or shown at P2 at most below the inline
//     findings (OutsideNote), and a finding under opt.MinConfidence gets no
//     inline comment; res.Gated counts both;
//   - a line range gets at most one inline comment (how many comments
//     one review posts is the publisher's cap: only it knows which
//     findings an earlier review already posted);
//   - the verdict is computed from the findings that stand: in the change
//     and as sure as opt.MinConfidence asks. A claim about code the change
//     does not touch, or one the model itself doubts, cannot make it
//     incorrect;
//   - the problems under the priority threshold go to res.Below, unplaced.
func present(ctx context.Context, res *Result, d *diff.Diff, outputs []finding.Output, merged merge.Result, opt Options) {
	res.Gated.MinConfidence = opt.MinConfidence
	claims := lineClaims{}
	var inChange []finding.Finding
	placed := make([]anchor.Placement, len(merged.Findings))
	keeps := make([]bool, len(merged.Findings))
	for i, m := range merged.Findings {
		placed[i], keeps[i] = anchor.Place(d, m.Finding, anchor.Options{})
	}
	lengths := headLengths(ctx, d, merged.Findings, placed, opt.Head)
	for i, m := range merged.Findings {
		f, fp := m.Finding, m.Fingerprints[0]
		p, keep := placed[i], keeps[i]
		var gate Gate
		if why := outsideChange(d, f, p, lengths); why != "" {
			if opt.OutsideDiff == OutsideDrop {
				res.Gated.OutsideDropped++
				continue
			}
			res.Gated.OutsideNoted++
			gate, f = GateOutside, demote(f)
			p.Reason = why
		} else if why := lowConfidence(f, opt.MinConfidence); why != "" {
			res.Gated.LowConfidence++
			gate = GateLowConfidence
			p, keep = anchor.Placement{Path: p.Path, Method: anchor.Summary, Reason: why}, false
		} else {
			inChange = append(inChange, f)
		}
		if p.Inline && !claims.claim(p) {
			p, keep = anchor.Placement{Path: p.Path, Method: anchor.Summary, Reason: reasonLinesTaken}, false
		}
		if p.Inline {
			// Report where the comment really is, so JSON and SARIF
			// consumers see the same lines as the posted review.
			f.CodeLocation.AbsoluteFilePath = p.Path
			f.CodeLocation.LineRange = finding.LineRange{Start: p.Line, End: p.Line}
			if p.StartLine > 0 {
				f.CodeLocation.LineRange.Start = p.StartLine
			}
		}
		if !keep {
			f.Suggestion = ""
		}
		// Normalize leaves Category one of finding.Areas.
		res.Findings = append(res.Findings, Reviewed{Finding: f, Area: finding.Area(f.Category), Areas: m.Areas,
			Fingerprint: fp, Aliases: m.Fingerprints[1:], Placement: p, Gate: gate})
	}
	// Demoted findings move down; otherwise the merge's order stands.
	slices.SortStableFunc(res.Findings, func(a, b Reviewed) int { return cmp.Compare(a.Priority, b.Priority) })

	for _, m := range merged.Below {
		res.Below = append(res.Below, Reviewed{Finding: m.Finding, Area: finding.Area(m.Category), Areas: m.Areas,
			Fingerprint: m.Fingerprints[0], Aliases: m.Fingerprints[1:], Placement: anchor.Placement{Path: m.CodeLocation.AbsoluteFilePath, Method: anchor.Summary}})
	}

	correctness, explanation, confidence := merge.Verdict(outputs, inChange)
	res.Verdict = Verdict{Correctness: correctness, Explanation: explanation, Confidence: confidence}
	blameVerdict(&res.Verdict, opt.Tests)
}
