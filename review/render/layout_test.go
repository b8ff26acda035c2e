package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
)

// TestSummaryLayout checks the rules of the review body on every golden
// shape: the verdict first, the commit linked, secondary lists collapsible,
// the table only when it has more than one row, the invitation only when
// there is a comment to react to.
func TestSummaryLayout(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := Summary(tc.r, tc.opt)
			lines := strings.Split(got, "\n")
			if len(lines) < 3 || !strings.HasPrefix(lines[2], "**Verdict: ") {
				t.Errorf("the verdict is not the first thing after the title:\n%s", got)
			}
			if tc.opt.Commit != "" && !strings.Contains(lines[2], "· commit ") {
				t.Errorf("verdict line %q does not name the reviewed commit", lines[2])
			}
			if o, c := strings.Count(got, "<details"), strings.Count(got, "</details>"); o != c {
				t.Errorf("%d sections opened, %d closed", o, c)
			}
			areas := map[string]bool{}
			inline := 0
			for _, f := range tc.r.Findings {
				areas[areaOf(f)] = true
				if f.Placement.Inline {
					inline++
				}
			}
			if table := strings.Contains(got, "| Area |"); table != (len(areas) > 1) {
				t.Errorf("area table shown = %v with %d areas", table, len(areas))
			}
			if invite := strings.Contains(got, "React 👍 / 👎 on a comment to tell us if it helped."); invite != (inline > 0) {
				t.Errorf("invitation shown = %v with %d inline comments", invite, inline)
			}
		})
	}
}

func TestSummarySections(t *testing.T) {
	notInline := func(n int) *review.Result {
		var fs []review.Reviewed
		for i := range n {
			fs = append(fs, rev(finding.Bugs, 1, fmt.Sprintf("Problem %d", i), "b", "a.go", 100*i+1, 100*i+1, 0.8,
				fmt.Sprintf("%016x", i), inSummary("a.go", "outside the diff")))
		}
		return result(finding.CorrectnessBad, "x", 0.8, fs...)
	}
	tests := []struct {
		name    string
		r       *review.Result
		want    []string
		notWant []string
	}{
		{"a few not inline: open", notInline(3), []string{"<details open>\n<summary><b>3 findings not placed inline</b></summary>"}, nil},
		{"many not inline: collapsed", notInline(4), []string{"<details>\n<summary><b>4 findings not placed inline</b></summary>"}, []string{"<details open>"}},
		{"gated lists are collapsed", mixedResult(), []string{
			"<details>\n<summary><b>1 finding below review.min_confidence 0.30, not posted inline</b></summary>",
			"<details>\n<summary><b>1 finding outside this change, shown at P2 at most</b></summary>",
			"<details>\n<summary><b>3 findings below the priority threshold</b></summary>",
			"2 findings outside this change were left out (review.outside_diff: drop).",
		}, []string{"3 findings below the priority threshold are not shown"}},
		{"many below the threshold: capped and counted", func() *review.Result {
			r := notInline(0)
			r.Below = notInline(maxBelowListed + 7).Findings
			r.BelowThreshold = len(r.Below)
			return r
		}(), []string{fmt.Sprintf("<summary><b>%d findings below the priority threshold</b></summary>", maxBelowListed+7), "\n- and 7 more\n"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summary(tt.r, SummaryOptions{})
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("summary has %q:\n%s", w, got)
				}
			}
		})
	}
}
