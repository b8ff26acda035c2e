package merge

import (
	"fmt"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

// BenchmarkMergeAcrossPasses merges what four passes report on a large
// change: 60 findings each over 30 files, a third of them the same
// problem seen by two passes in their own words at the same lines.
func BenchmarkMergeAcrossPasses(b *testing.B) {
	var fs []finding.Finding
	for p, area := range []finding.Area{finding.Security, finding.Bugs, finding.Performance, finding.Dependencies} {
		for i := range 60 {
			line := 10 + 7*i
			if i%3 != 0 {
				line += 3 * p // only every third spot is shared by the passes
			}
			fs = append(fs, report(area, i%4, 0.5+float64(i%5)/10, fmt.Sprintf("pkg/file%02d.go", i%30), line, line+1,
				fmt.Sprintf("Problem %d as the %s pass sees it", i, area),
				fmt.Sprintf("`handle%d` passes `req.Body` to `decode%d` without a limit, so a large request exhausts memory. "+
					"The %s pass would bound the reader with `http.MaxBytesReader` before decoding.", i, i, area)))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		Merge(fs, Options{MinPriority: finding.P1, MaxFindings: 50})
	}
}
