package merge

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

// FuzzNormalize feeds arbitrary model output to Normalize: it must not
// panic, an accepted finding must satisfy every promise of NormalizeIn, and
// normalising twice must change nothing more (the suggestion aside, whose
// fence unwrapping may peel a nested fence).
func FuzzNormalize(f *testing.F) {
	f.Add("[P1] Title", "body", 0.8, 1, "bugs", "/repo/a/x.go", 3, 1, "```\nx\n```", "/repo")
	f.Add("", "", math.NaN(), -9, "", "../x", 0, -1, "", "")
	f.Add("[P99][p0]\n\n t", " ", math.Inf(1), 4, "SECURITY", "./b/./c.go", 1<<62, 0, "s", "/")
	f.Fuzz(func(t *testing.T, title, body string, conf float64, prio int, cat, p string, start, end int, sugg, root string) {
		in := finding.Finding{
			Title: title, Body: body, ConfidenceScore: conf, Priority: prio, Category: cat, Suggestion: sugg,
			CodeLocation: finding.CodeLocation{AbsoluteFilePath: p, LineRange: finding.LineRange{Start: start, End: end}},
		}
		known := NewPaths([]string{"a/x.go", "c.go", "x.go"})
		got, err := NormalizeIn(in, finding.Bugs, root, known)
		if err != nil {
			return
		}
		pr := finding.Priority(got.Priority)
		if !pr.Valid() {
			t.Fatalf("priority %d out of range", got.Priority)
		}
		rest, ok := strings.CutPrefix(got.Title, "["+pr.String()+"] ")
		if !ok || rest == "" || strings.ContainsAny(rest, "\n\r") || rest != strings.TrimSpace(rest) {
			t.Fatalf("title %q: want one line with the %s prefix", got.Title, pr)
		}
		if !slices.Contains(finding.Areas, finding.Area(got.Category)) {
			t.Fatalf("category %q is not an area", got.Category)
		}
		if c := got.ConfidenceScore; !(c >= 0 && c <= 1) {
			t.Fatalf("confidence %v out of 0..1", c)
		}
		if r := got.CodeLocation.LineRange; r.Start < 1 || r.End < r.Start {
			t.Fatalf("line range %+v", r)
		}
		gp := got.CodeLocation.AbsoluteFilePath
		if strings.HasPrefix(gp, "/") || gp == ".." || strings.HasPrefix(gp, "../") {
			t.Fatalf("path %q is not inside the repository", gp)
		}
		again, err := NormalizeIn(got, finding.Bugs, root, known)
		if err != nil {
			t.Fatalf("normalising %+v again: %v", got, err)
		}
		again.Suggestion = got.Suggestion
		if again != got {
			t.Fatalf("not idempotent:\n %+v\n %+v", got, again)
		}
	})
}

// FuzzSubjects feeds arbitrary model text to subjects and fold's sentence
// handling: they must not panic, and every subject must be an identifier.
func FuzzSubjects(f *testing.F) {
	f.Add("`if (b = 0)` assigns to `b`; average() and s.db and user_name")
	f.Add("```js\nfor (;;) {}\n```")
	f.Add("`` ` `` ```` unclosed")
	f.Fuzz(func(t *testing.T, text string) {
		for s := range subjects(text) {
			if s == "" || strings.ToLower(s) != s {
				t.Fatalf("subject %q", s)
			}
		}
		a := candidate{f: finding.Finding{Title: "[P1] a", Body: text, Category: "bugs", Priority: 1}}
		b := candidate{f: finding.Finding{Title: "[P1] b", Body: text, Category: "security", Priority: 1}}
		m := fold([]*candidate{&a, &b})
		if len(m.Body) > len(strings.TrimSpace(text))+maxFoldedBody+2 {
			t.Fatalf("folded body of %d bytes", len(m.Body))
		}
	})
}
