package render

import (
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/finding"
)

func TestFocusListSaysHowAreasRanAndWhichDidNot(t *testing.T) {
	c := budget.Coverage{Passes: "combined", AreasSkipped: []budget.AreaSkip{{Area: "dependencies", Reason: "no manifest changed"}}}
	got := focusList([]finding.Area{finding.Security, finding.Bugs}, c)
	want := "security, bugs (one combined pass); not run: dependencies (no manifest changed)"
	if got != want {
		t.Errorf("focusList = %q, want %q", got, want)
	}
	if got := focusList([]finding.Area{finding.Bugs}, budget.Coverage{Passes: "separate"}); got != "bugs" {
		t.Errorf("focusList = %q", got)
	}
}

func TestCoverageLineSaysWhenContextWasTrimmed(t *testing.T) {
	c := budget.Coverage{FilesChanged: 3, FilesReviewed: 3, Chunks: 1, ContextFiles: 1, ContextTrimmed: 2}
	got := coverageLine(c, func(s string) string { return s }, func(s string) string { return s })
	if !strings.Contains(got, "the code around the hunks of 2 files was left out to fit the token budget") {
		t.Errorf("coverage line = %q", got)
	}
}
