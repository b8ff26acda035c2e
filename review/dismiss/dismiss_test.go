package dismiss_test

import (
	"fmt"
	"testing"

	"github.com/codex-review/codex-review/review/dismiss"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/merge"
)

func at(title, category, path string, start, end int) finding.Finding {
	return finding.Finding{Title: title, Category: category, Priority: 1,
		CodeLocation: finding.CodeLocation{AbsoluteFilePath: path, LineRange: finding.LineRange{Start: start, End: end}}}
}

func TestMatches(t *testing.T) {
	posted := at("[P1] SQL injection in Find", "security", "store/users.go", 14, 14)
	e := dismiss.Entry{Fingerprint: merge.Fingerprint(posted), Path: "store/users.go", Line: 16, Title: posted.Title, Category: "security"}
	tests := []struct {
		name string
		f    finding.Finding
		want bool
	}{
		{"same fingerprint, other lines", at("[P2] SQL injection in Find!", "security", "store/users.go", 90, 90), true},
		{"moved and reworded, same category", at("[P1] Query built from user input", "security", "store/users.go", 16, 16), true},
		{"moved, other pass, similar title", at("[P1] SQL injection through name in Find", "bugs", "store/users.go", 18, 19), true},
		{"range around the comment", at("[P1] Unescaped name", "security", "store/users.go", 10, 20), true},
		{"too far", at("[P1] Query built from user input", "security", "store/users.go", 20, 21), false},
		{"other file", at("[P1] SQL injection in Find", "security", "store/orders.go", 16, 16), false},
		{"near, other pass, other problem", at("[P1] Error from Scan is dropped", "bugs", "store/users.go", 17, 17), false},
	}
	for _, tt := range tests {
		if got := e.Matches(tt.f, merge.Fingerprint(tt.f)); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
	// A problem found beside a dismissed one is hidden only when it is no
	// more urgent: a dismissed P3 remark does not hide a P0 that a later
	// push puts next to it, whatever its area or words.
	nit := dismiss.Entry{Fingerprint: "fedcba9876543210", Path: "store/users.go", Line: 16, Title: "[P3] Prefer a prepared statement",
		Category: "security", Priority: finding.P3}
	for _, tt := range []struct {
		prio  int
		title string
		line  int
		want  bool
	}{
		{0, "[P0] SQL injection through name", 17, false},
		{2, "[P2] Prefer a prepared statement here", 16, false},
		{3, "[P3] Prepared statement preferred", 16, true},
	} {
		f := at(tt.title, "security", "store/users.go", tt.line, tt.line)
		f.Priority = tt.prio
		if got := nit.Matches(f, merge.Fingerprint(f)); got != tt.want {
			t.Errorf("dismissed P3; %q at P%d: Matches = %v, want %v", tt.title, tt.prio, got, tt.want)
		}
	}
	// Unknown priority: only the fingerprint matches.
	unknown := nit
	unknown.Priority = -1
	if f := at("[P1] Prefer a prepared statement", "security", "store/users.go", 16, 16); unknown.Matches(f, merge.Fingerprint(f)) {
		t.Error("an entry of unknown priority matched by location")
	}
	if f := at("[P1] x", "security", "a.go", 1, 1); !unknown.Matches(f, "fedcba9876543210") {
		t.Error("an entry of unknown priority did not match by fingerprint")
	}

	// An outdated comment has no line: only its fingerprint counts.
	gone := dismiss.Entry{Fingerprint: "0123456789abcdef", Path: "store/users.go", Title: posted.Title, Category: "security"}
	if gone.Matches(posted, merge.Fingerprint(posted)) {
		t.Error("an entry without a line matched by location")
	}
}

func TestFilter(t *testing.T) {
	inj := at("[P1] SQL injection in Find", "security", "store/users.go", 14, 14)
	leak := at("[P1] Rows are never closed", "performance", "store/users.go", 30, 30)
	other := at("[P2] Scan error dropped", "bugs", "store/users.go", 17, 17)
	problems := []merge.Merged{
		// The bugs pass found the injection too; its report was merged
		// into the security one.
		{Finding: inj, Fingerprints: []string{merge.Fingerprint(inj), "aaaaaaaaaaaaaaaa"}},
		{Finding: leak, Fingerprints: []string{merge.Fingerprint(leak)}},
		{Finding: other, Fingerprints: []string{merge.Fingerprint(other)}},
	}
	entries := []dismiss.Entry{
		// Dismissed under the bugs pass's title.
		{Fingerprint: "aaaaaaaaaaaaaaaa"},
		{Fingerprint: merge.Fingerprint(leak), Path: "store/users.go", Line: 30, Title: leak.Title},
		// Matches nothing.
		{Fingerprint: "bbbbbbbbbbbbbbbb", Path: "main.go", Line: 3},
	}
	kept, n := dismiss.Filter(problems, entries)
	if n != 2 || len(kept) != 1 || kept[0].Title != other.Title {
		t.Errorf("Filter kept %+v, %d dismissed; want only the scan error and 2", kept, n)
	}
	if len(problems) != 3 || problems[0].Title != inj.Title {
		t.Error("Filter changed its input")
	}
	if kept, n := dismiss.Filter(problems, nil); n != 0 || len(kept) != 3 {
		t.Errorf("no entries: %d kept, %d dismissed", len(kept), n)
	}
}

// BenchmarkFilter: the largest review (50 problems, each merged from two
// reports) against a pull request with 200 dismissed findings.
func BenchmarkFilter(b *testing.B) {
	var problems []merge.Merged
	for i := range 50 {
		f := at(fmt.Sprintf("[P1] Problem number %d in the handler", i), "bugs", "svc/handler.go", 10+i*7, 11+i*7)
		problems = append(problems, merge.Merged{Finding: f, Fingerprints: []string{merge.Fingerprint(f), fmt.Sprintf("%016x", i)}})
	}
	var entries []dismiss.Entry
	for i := range 200 {
		entries = append(entries, dismiss.Entry{Fingerprint: fmt.Sprintf("%016x", 1000+i), Path: "svc/handler.go", Line: 3 + i*2,
			Title: fmt.Sprintf("[P1] Dismissed issue %d of the handler", i), Category: "security"})
	}
	b.ReportAllocs()
	for b.Loop() {
		dismiss.Filter(problems, entries)
	}
}
