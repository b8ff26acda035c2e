package review_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// calcChange adds src/calc.js (42 lines): line 17 assigns in the zero
// check, line 25 loops one element past the end.
const calcChange = `diff --git a/src/calc.js b/src/calc.js
new file mode 100644
index 0000000..5d0c0de
--- /dev/null
+++ b/src/calc.js
@@ -0,0 +1,42 @@
+'use strict';
+
+// Small statistics helpers for the report page.
+
+function sum(values) {
+  let total = 0;
+  for (const v of values) {
+    total += v;
+  }
+  return total;
+}
+
+// divide returns a / b, or null when b is zero, so that callers can
+// show "n/a" instead of Infinity.
+function divide(a, b) {
+  // Guard against division by zero.
+  if (b = 0) {
+    return null;
+  }
+  return a / b;
+}
+
+function average(values) {
+  let total = 0;
+  for (let i = 0; i <= values.length; i++) {
+    total += values[i];
+  }
+  return divide(total, values.length);
+}
+
+function median(values) {
+  const sorted = [...values].sort((x, y) => x - y);
+  const mid = Math.floor(sorted.length / 2);
+  if (sorted.length % 2 === 0) {
+    return (sorted[mid - 1] + sorted[mid]) / 2;
+  }
+  return sorted[mid];
+}
+
+function clamp(x, lo, hi) { return Math.min(hi, Math.max(lo, x)); }
+
+module.exports = { sum, divide, average, median, clamp };
`

func calcFinding(prio int, conf float64, area finding.Area, line int, title, body string) finding.Finding {
	return finding.Finding{Title: "[" + finding.Priority(prio).String() + "] " + title, Body: body, Priority: prio,
		ConfidenceScore: conf, Category: string(area), CodeLocation: loc("src/calc.js", line, line)}
}

// TestOneCommentPerProblem replays the review of src/calc.js: two
// defects, each reported by two passes in different words. Each becomes
// one inline comment that names both areas.
func TestOneCommentPerProblem(t *testing.T) {
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		out := finding.Output{OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "The zero check is broken.", OverallConfidenceScore: 0.8}
		switch area {
		case "bugs":
			out.Findings = []finding.Finding{
				calcFinding(1, 0.9, finding.Bugs, 17, "Zero check assigns instead of comparing",
					"`if (b = 0)` assigns 0 to `b` instead of comparing it, so the guard is never taken and `divide()` returns Infinity."),
				calcFinding(1, 0.85, finding.Bugs, 25, "average() reads one element past the end",
					"The loop runs while `i <= values.length`, so its last iteration adds `values[values.length]` and every average is NaN."),
			}
		case "security":
			out.Findings = []finding.Finding{calcFinding(1, 0.7, finding.Security, 17, "Assignment in division guard disables the zero check",
				"The guard `b = 0` overwrites the divisor. Callers that rely on it to reject untrusted input get NaN instead of null.")}
		case "performance":
			out.Findings = []finding.Finding{calcFinding(1, 0.6, finding.Performance, 25, "Off-by-one loop does an extra iteration",
				"`for (let i = 0; i <= values.length; i++)` iterates once more than there are values.")}
		default:
			out = finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Nothing.", OverallConfidenceScore: 0.9}
		}
		return out
	})
	res, err := engine(t, srv).Review(context.Background(), parse(t, calcChange), review.Options{MinPriority: finding.P1})
	if err != nil {
		t.Fatal(err)
	}
	type shown struct {
		title  string
		line   int
		inline bool
		areas  []finding.Area
	}
	var got []shown
	for _, f := range res.Findings {
		got = append(got, shown{f.Title, f.Placement.Line, f.Placement.Inline, f.Areas})
	}
	want := []shown{
		{"[P1] Zero check assigns instead of comparing", 17, true, []finding.Area{finding.Bugs, finding.Security}},
		{"[P1] average() reads one element past the end", 25, true, []finding.Area{finding.Bugs, finding.Performance}},
	}
	if !slices.EqualFunc(got, want, func(a, b shown) bool {
		return a.title == b.title && a.line == b.line && a.inline == b.inline && slices.Equal(a.areas, b.areas)
	}) {
		t.Fatalf("findings:\n%+v\nwant\n%+v", got, want)
	}
	if !strings.Contains(res.Findings[0].Body, "reject untrusted input") {
		t.Errorf("the security pass's distinct sentence is missing from the merged body:\n%s", res.Findings[0].Body)
	}
	if len(res.Output().Findings) != 2 {
		t.Errorf("JSON output has %d findings, want 2", len(res.Output().Findings))
	}
}

// TestOneInlineCommentPerLineRange: two problems the merge keeps apart
// (they name different code) but that sit on the same line get one inline
// comment; the other is listed in the summary, saying why.
func TestOneInlineCommentPerLineRange(t *testing.T) {
	srv := fakeModel(t, func(area string, _ modeltest.Request) finding.Output {
		out := finding.Output{OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "Problems.", OverallConfidenceScore: 0.8}
		switch area {
		case "bugs":
			out.Findings = []finding.Finding{calcFinding(1, 0.9, finding.Bugs, 40, "clamp() accepts lo above hi",
				"`clamp(x, lo, hi)` returns `lo` whenever `lo > hi`, silently.")}
		case "performance":
			out.Findings = []finding.Finding{calcFinding(1, 0.8, finding.Performance, 40, "Math.min and Math.max on every call",
				"`Math.min` and `Math.max` are called where one comparison would do.")}
		}
		return out
	})
	res, err := engine(t, srv).Review(context.Background(), parse(t, calcChange), review.Options{MinPriority: finding.P1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("%d findings, want the two problems kept apart", len(res.Findings))
	}
	first, second := res.Findings[0], res.Findings[1]
	if !first.Placement.Inline || first.Placement.Line != 40 {
		t.Errorf("first finding placement %+v, want inline on line 40", first.Placement)
	}
	if second.Placement.Inline || !strings.Contains(second.Placement.Reason, "another finding's comment is on these lines") {
		t.Errorf("second finding placement %+v, want the summary with the reason", second.Placement)
	}
}
