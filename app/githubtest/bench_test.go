package githubtest

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkIndexPatch measures indexing a 2,000-line patch of 100 hunks, the fake's per-file cost
// when a pull request is added.
func BenchmarkIndexPatch(b *testing.B) {
	var sb strings.Builder
	for h := range 100 {
		start := 1 + h*30
		fmt.Fprintf(&sb, "@@ -%d,18 +%d,19 @@ func f%d() {\n", start, start+h, h)
		for i := range 20 {
			switch {
			case i == 5:
				sb.WriteString("-old line\n")
			case i == 6 || i == 7:
				sb.WriteString("+new line\n")
			default:
				sb.WriteString(" context line\n")
			}
		}
	}
	patch := sb.String()
	if _, err := indexPatch(patch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := indexPatch(patch); err != nil {
			b.Fatal(err)
		}
	}
}
