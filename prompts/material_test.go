package prompts

import (
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

// TestFocusMaterialOnce: the output of failing tests goes to every area,
// and a combined pass carries it once; material of one area keeps its
// name.
func TestFocusMaterialOnce(t *testing.T) {
	areas := []finding.Area{finding.Security, finding.Bugs, finding.Performance}
	tests := "--- FAIL: TestAverage (0.00s)"
	got, err := Focus(areas, map[finding.Area]string{
		finding.Security: tests, finding.Bugs: tests, finding.Performance: tests,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(got, tests); n != 1 {
		t.Errorf("the shared material appears %d times", n)
	}
	if !strings.Contains(got, "## Supporting material (untrusted)") {
		t.Errorf("material for every area should not name them:\n%s", got)
	}

	got, err = Focus(areas, map[finding.Area]string{finding.Security: "advisory", finding.Bugs: tests, finding.Performance: tests})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "## Supporting material for security (untrusted)") ||
		!strings.Contains(got, "## Supporting material for bugs, performance (untrusted)") || strings.Count(got, tests) != 1 {
		t.Errorf("material headings:\n%s", got)
	}
}
