package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
)

func TestText(t *testing.T) {
	hostile := rev(finding.Security, 0, "Title\x1b]0;pwned\x07 here", "Body \x1b[2J cleared\u202e reversed", "a.go", 3, 4, 0.8, "fp",
		inlineAt("a.go", 3, 4))
	hostile.Suggestion = "x := 1\x1b[31m\n"
	long := rev(finding.Bugs, 2, "Long", strings.Repeat("word ", 60)+"\n\n    indented code line that is long enough to pass the wrap column of eighty characters\n", "b.go", 7, 7, 0.5, "fp2", inSummary("b.go", ""))
	tests := []struct {
		name    string
		r       *review.Result
		opt     TextOptions
		want    []string
		notWant []string
	}{
		{
			name:    "control characters dropped",
			r:       result(finding.CorrectnessBad, "e", 0.5, hostile),
			want:    []string{"P0 security  a.go:3-4  Title]0;pwned here\n", "Body [2J cleared reversed", "        x := 1[31m\n"},
			notWant: []string{"\x1b", "\x07", "\u202e"},
		},
		{
			name: "colour only when asked",
			r:    result(finding.CorrectnessBad, "e", 0.5, hostile),
			opt:  TextOptions{Color: true},
			want: []string{ansiBold + ansiRed + "P0" + ansiReset, ansiGreen + "x := 1[31m" + ansiReset},
		},
		{
			name: "wrapping keeps indented lines whole",
			r:    result(finding.CorrectnessBad, "e", 0.5, long),
			want: []string{
				"\n        indented code line that is long enough to pass the wrap column of eighty characters\n",
				"P2 bugs  b.go:7  Long\n    word word",
			},
		},
		{
			name:    "no findings",
			r:       cleanResult(),
			want:    []string{"No findings at or above the priority threshold.\n", "Coverage: Reviewed 5 of 6 files"},
			notWant: []string{"Verdict"},
		},
		{
			name: "nil result",
			r:    nil,
			want: []string{"No findings", "Coverage: Reviewed 0 of 0 files (0 of 0 changed lines) in 0 chunks."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Text(&b, tc.r, tc.opt); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("output contains %q:\n%q", w, got)
				}
			}
			if !tc.opt.Color && strings.Contains(got, "\x1b") {
				t.Errorf("escape sequence without Color")
			}
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(line, textIndent) && !strings.HasPrefix(line, textIndent+" ") &&
					len([]rune(line)) > textWidth && strings.Contains(strings.TrimSpace(line), " ") &&
					!strings.HasPrefix(line, textIndent+"-") {
					t.Errorf("wrapped line longer than %d: %q", textWidth, line)
				}
			}
		})
	}
}

func TestHelpers(t *testing.T) {
	spans := map[string]string{"a.go": "`a.go`", "a`b": "``a`b``", "`x": "`` `x ``", "": ""}
	for in, want := range spans {
		if got := codeSpan(in); got != want {
			t.Errorf("codeSpan(%q) = %q, want %q", in, got, want)
		}
	}
	truncs := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"short", 0, "short"},
		{"hello world again", 12, "hello world…"},
		{"ééééé", 3, "ééé…"},
	}
	for _, tc := range truncs {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	titles := map[string]string{"[P1] x": "x", " [ p2 ]  [P0]y": "y", "[P1]": "Untitled finding", "a\nb": "a b", "x [P1]": "x [P1]"}
	for in, want := range titles {
		if got := plainTitle(in); got != want {
			t.Errorf("plainTitle(%q) = %q, want %q", in, got, want)
		}
	}
}
