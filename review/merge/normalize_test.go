package merge

import (
	"errors"
	"math"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

func loc(p string, start, end int) finding.CodeLocation {
	return finding.CodeLocation{AbsoluteFilePath: p, LineRange: finding.LineRange{Start: start, End: end}}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   finding.Finding
		root string
		want finding.Finding
	}{
		{
			name: "already uniform",
			in:   finding.Finding{Title: "[P1] Nil map write", Body: "b", ConfidenceScore: 0.8, Priority: 1, Category: "bugs", CodeLocation: loc("a.go", 3, 4)},
			want: finding.Finding{Title: "[P1] Nil map write", Body: "b", ConfidenceScore: 0.8, Priority: 1, Category: "bugs", CodeLocation: loc("a.go", 3, 4)},
		},
		{
			name: "absolute path under root, title prefix disagrees with priority",
			in:   finding.Finding{Title: "  [P3]  SQL injection  ", Body: "\n body \n", ConfidenceScore: 0.9, Priority: 0, Category: "Security", CodeLocation: loc("/tmp/checkout/db/q.go", 10, 0)},
			root: "/tmp/checkout/",
			want: finding.Finding{Title: "[P0] SQL injection", Body: "body", ConfidenceScore: 0.9, Priority: 0, Category: "security", CodeLocation: loc("db/q.go", 10, 10)},
		},
		{
			name: "out-of-range priority taken from title, repeated prefixes collapsed",
			in:   finding.Finding{Title: "[p1] [P1] Leak", Priority: 7, CodeLocation: loc("./x/../y.go", 5, 2)},
			want: finding.Finding{Title: "[P1] Leak", Priority: 1, Category: "performance", CodeLocation: loc("y.go", 2, 5)},
		},
		{
			name: "out-of-range priority without prefix clamps high",
			in:   finding.Finding{Title: "Slow loop", Priority: 9, ConfidenceScore: 3, Category: "style", CodeLocation: loc("/abs.go", -4, -1)},
			want: finding.Finding{Title: "[P3] Slow loop", Priority: 3, ConfidenceScore: 1, Category: "performance", CodeLocation: loc("abs.go", 1, 1)},
		},
		{
			name: "negative priority defaults to P2, NaN confidence to 0.5",
			in:   finding.Finding{Title: "Thing\nmore text on a second line", Priority: -1, ConfidenceScore: math.NaN(), CodeLocation: loc("a.go", 0, 3)},
			want: finding.Finding{Title: "[P2] Thing", Priority: 2, ConfidenceScore: 0.5, Category: "performance", CodeLocation: loc("a.go", 1, 3)},
		},
		{
			name: "title prefix above P3 clamps",
			in:   finding.Finding{Title: "[P12] Too low", Priority: -3, ConfidenceScore: -1, CodeLocation: loc("a.go", 1, 1)},
			want: finding.Finding{Title: "[P3] Too low", Priority: 3, ConfidenceScore: 0, Category: "performance", CodeLocation: loc("a.go", 1, 1)},
		},
		{
			name: "fenced suggestion is unwrapped, no path stays empty",
			in:   finding.Finding{Title: "[P2] x", Priority: 2, Suggestion: "```go\n\tx := 1\n```\n"},
			want: finding.Finding{Title: "[P2] x", Priority: 2, Category: "performance", Suggestion: "\tx := 1", CodeLocation: loc("", 1, 1)},
		},
		{
			name: "plain suggestion kept byte for byte",
			in:   finding.Finding{Title: "x", Priority: 2, Suggestion: "\treturn nil\n", CodeLocation: loc("a.go", 1, 1)},
			want: finding.Finding{Title: "[P2] x", Priority: 2, Category: "performance", Suggestion: "\treturn nil\n", CodeLocation: loc("a.go", 1, 1)},
		},
		{
			// Fuzzing found these: the space left after the "/" or
			// before the "/" came back trimmed on a second pass.
			name: "space after a leading slash",
			in:   finding.Finding{Title: "x", Priority: 2, CodeLocation: loc("/ 0", 1, 1)},
			root: "0",
			want: finding.Finding{Title: "[P2] x", Priority: 2, Category: "performance", CodeLocation: loc("0", 1, 1)},
		},
		{
			name: "space before a trailing slash, and after ./",
			in:   finding.Finding{Title: "x", Priority: 2, CodeLocation: loc("./ db/q.go /", 1, 1)},
			want: finding.Finding{Title: "[P2] x", Priority: 2, Category: "performance", CodeLocation: loc("db/q.go", 1, 1)},
		},
		{
			name: "git prefix kept without a set of known paths",
			in:   finding.Finding{Title: "x", Priority: 2, CodeLocation: loc("b/foo.go", 1, 1)},
			want: finding.Finding{Title: "[P2] x", Priority: 2, Category: "performance", CodeLocation: loc("b/foo.go", 1, 1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in, finding.Performance, tt.root)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if got != tt.want {
				t.Errorf("Normalize =\n %#v\nwant\n %#v", got, tt.want)
			}
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   finding.Finding
		is   error
	}{
		{name: "empty title", in: finding.Finding{Title: " \n ", CodeLocation: loc("a.go", 1, 1)}, is: ErrEmptyTitle},
		{name: "only a priority tag", in: finding.Finding{Title: "[P1]", CodeLocation: loc("a.go", 1, 1)}, is: ErrEmptyTitle},
		{name: "escapes the repository", in: finding.Finding{Title: "x", CodeLocation: loc("../etc/passwd", 1, 1)}},
		{name: "escapes after cleaning", in: finding.Finding{Title: "x", CodeLocation: loc("./a/../../b.go", 1, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Normalize(tt.in, finding.Bugs, "")
			if err == nil {
				t.Fatal("Normalize succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
		})
	}
}

func TestNormalizeInKnownPaths(t *testing.T) {
	known := NewPaths([]string{"foo.go", "pkg/server/handler.go", "a/real.go", "x/util.go", "y/util.go"})
	tests := []struct {
		in, want string
	}{
		{"a/foo.go", "foo.go"},
		{"b/foo.go", "foo.go"},
		{"a/real.go", "a/real.go"},
		{"b/a/real.go", "a/real.go"},
		{"handler.go", "pkg/server/handler.go"},
		{"server/handler.go", "pkg/server/handler.go"},
		{"/home/dev/project/pkg/server/handler.go", "pkg/server/handler.go"},
		{"util.go", "util.go"}, // two candidates: left alone
		{"a/other.go", "a/other.go"},
		{"missing.go", "missing.go"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeIn(finding.Finding{Title: "t", CodeLocation: loc(tt.in, 1, 1)}, finding.Bugs, "/elsewhere", known)
			if err != nil {
				t.Fatalf("NormalizeIn: %v", err)
			}
			if p := got.CodeLocation.AbsoluteFilePath; p != tt.want {
				t.Errorf("path = %q, want %q", p, tt.want)
			}
		})
	}
}
