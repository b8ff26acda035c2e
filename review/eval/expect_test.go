package eval

import (
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

func TestParseExpect(t *testing.T) {
	data := `description: Zero guard assigns instead of comparing
why: >-
  A free-text reason.
pull_request:
  title: "calc: average of an empty list is 0"
  body: Dashboards showed NaN.
findings:
  - path: src/calc.js
    lines: [17, 19]
    area: bugs
    min_priority: P1
    why: Because.
  - path: src/other.js
    lines: [3, 3]
`
	got, probs := parseExpect("expect.yaml", []byte(data))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if got.Description != "Zero guard assigns instead of comparing" || got.Why != "A free-text reason." || len(got.Findings) != 2 ||
		got.Title != "calc: average of an empty list is 0" || got.Body != "Dashboards showed NaN." {
		t.Fatalf("parsed %+v", got)
	}
	e := got.Findings[0]
	if e.Path != "src/calc.js" || e.Start != 17 || e.End != 19 || e.Area != finding.Bugs || !e.HasMinPriority || e.MinPriority != finding.P1 || e.Why != "Because." || e.line != 8 || e.col != 5 {
		t.Errorf("first finding %+v", e)
	}
	if o := got.Findings[1]; o.Area != "" || o.HasMinPriority {
		t.Errorf("second finding %+v: area and priority are optional", o)
	}
	clean, probs := parseExpect("expect.yaml", []byte("description: A rename\nfindings: []\n"))
	if len(probs) > 0 || clean.Findings != nil {
		t.Errorf("clean case: %+v %v", clean, probs)
	}
}

func TestParseExpectProblemsHavePositions(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string
	}{
		{"unknown key", "description: x\nfindings: []\nfindngs: []\n", []string{"f:3:1: unknown field \"findngs\""}},
		{"unknown finding key", "description: x\nfindings:\n  - path: a.go\n    lines: [1, 1]\n    min_priorty: P1\n", []string{"f:5:5: unknown field \"min_priorty\""}},
		{"wrong type", "description: x\nfindings:\n  - path: a.go\n    lines: first\n", []string{"f:4:12:"}},
		{"unknown pull request key", "description: x\npull_request:\n  titel: y\nfindings: []\n", []string{"f:3:3: unknown field \"titel\""}},
		{"syntax", "description: [x\n", []string{"f:1:"}},
		{"missing description", "findings: []\n", []string{"f:1:1: description: missing"}},
		{"missing findings", "description: x\n", []string{"f:1:1: findings: missing; list what a good review reports, or write `findings: []`"}},
		{"null findings", "description: x\nfindings:\n", []string{"findings: missing"}},
		{"empty file", "", []string{"f:1:1: expected one YAML document"}},
		{"two documents", "description: x\nfindings: []\n---\ndescription: y\nfindings: []\n", []string{"f:1:1: expected one YAML document, found several"}},
		{"several problems at once", "description: x\nfindings:\n  - path: /etc/passwd\n    lines: [5, 2]\n    area: style\n    min_priority: P7\n  - lines: [1]\n", []string{
			"f:3:11: findings[0].path: \"/etc/passwd\" must be a clean path",
			"f:4:12: findings[0].lines: [5, 2] is not a range of lines",
			"f:5:11: findings[0].area: unknown focus area \"style\"",
			"f:6:19: findings[0].min_priority: invalid priority \"P7\"",
			"f:7:5: findings[1].path: missing",
			"f:7:12: findings[1].lines: want two line numbers [first, last], got 1",
		}},
		{"path escapes", "description: x\nfindings:\n  - path: ../outside.go\n    lines: [1, 1]\n", []string{"must be a clean path"}},
		{"path not clean", "description: x\nfindings:\n  - path: a/./b.go\n    lines: [1, 1]\n", []string{"must be a clean path"}},
		{"missing lines", "description: x\nfindings:\n  - path: a.go\n", []string{"f:3:5: findings[0].lines: missing"}},
		// go-yaml panicked decoding a tagged scalar into a list
		// (found by FuzzParseExpect); a tag is refused wherever it is.
		{"tag on findings", "description: x\nfindings: !x\n", []string{"f:2:11: YAML tag !x: tags are not used"}},
		{"tag on lines", "description: x\nfindings:\n  - path: a\n    lines: !!str 1\n", []string{"f:4:12: YAML tag !!str"}},
		{"tag on a scalar", "description: !!str x\nfindings: []\n", []string{"f:1:14: YAML tag !!str"}},
		// The parser's time grows with the square of the depth: 64 KiB
		// of "[" took it 20 s to refuse.
		{"nested too deeply", strings.Repeat("[", 64<<10), []string{"f:1:33: lists and mappings are nested too deeply"}},
		{"block lists nested too deeply", strings.Repeat("- ", 32<<10), []string{"f:1:81: lists and mappings are nested too deeply"}},
		{"zero line", "description: x\nfindings:\n  - path: a.go\n    lines: [0, 1]\n", []string{"not a range of lines"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := parseExpect("f", []byte(tt.data))
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			if len(got) < len(tt.want) {
				t.Errorf("got %d problems, want at least %d:\n%s", len(got), len(tt.want), all)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems lack %q:\n%s", w, all)
				}
			}
		})
	}
}
