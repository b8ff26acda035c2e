package eval

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review/finding"
)

// FuzzParseExpect feeds expect.yaml parsing arbitrary input: it must never
// panic, every problem must have a position inside the file, and what it
// accepts must be what the format promises.
func FuzzParseExpect(f *testing.F) {
	for _, s := range []string{
		"description: x\nfindings: []\n",
		"description: x\nfindings:\n  - path: a.go\n    lines: [1, 2]\n    area: bugs\n    min_priority: P1\n    why: y\n",
		"description: &a x\nfindings: *a\n",
		"findings: [{path: a, lines: [3, 1]}]",
		"- [\n",
		"description: x\nfindings:\n  - {path: ../a, lines: [0], area: style, min_priority: P9}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		exp, probs := parseExpect("f", []byte(data))
		// YAML breaks lines at LF, CRLF and a lone CR.
		lines := strings.Count(strings.ReplaceAll(data, "\r\n", "\n"), "\n") + strings.Count(strings.ReplaceAll(data, "\r\n", ""), "\r") + 1
		for _, p := range probs {
			if p.Line < 1 || p.Column < 1 || p.Line > lines+1 {
				t.Errorf("problem outside the file (%d lines): %s", lines, p)
			}
			if !utf8.ValidString(p.Message) && utf8.ValidString(data) {
				t.Errorf("invalid UTF-8 in a message: %q", p.Message)
			}
		}
		if len(probs) > 0 {
			return
		}
		if exp.Description == "" {
			t.Error("accepted without a description")
		}
		for _, e := range exp.Findings {
			if e.Path == "" || e.Start < 1 || e.End < e.Start || strings.HasPrefix(e.Path, "/") || strings.HasPrefix(e.Path, "../") {
				t.Errorf("accepted a bad expectation: %+v", e)
			}
			if e.Area != "" {
				if _, err := finding.ParseArea(string(e.Area)); err != nil {
					t.Errorf("accepted area %q", e.Area)
				}
			}
			if e.HasMinPriority && !e.MinPriority.Valid() {
				t.Errorf("accepted priority %v", e.MinPriority)
			}
		}
	})
}
