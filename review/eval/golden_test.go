package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", name, got)
	}
}

// goldenCases is a small corpus whose reports exercise every part of the
// report: matches, a miss, false positives with hostile titles, a clean
// case, a failed case and several areas and priorities.
func goldenCases() []*Case {
	return []*Case{
		{Name: "go-sql", Description: "Builds SQL with Sprintf", Expected: []Expected{exp("store/users.go", 30, 30, finding.Security, "P1")}},
		{Name: "js-guard", Description: "Assigns in a guard", Expected: []Expected{exp("src/calc.js", 9, 9, finding.Bugs, "P1")}},
		{Name: "py-n-plus-one", Description: "Queries in a loop", Expected: []Expected{exp("shop/views.py", 21, 22, finding.Performance, "P1")}},
		{Name: "ts-rename", Description: "Renames a helper"},
		{Name: "java-lock", Description: "Inverted lock check", Expected: []Expected{exp("Login.java", 20, 20, finding.Bugs, "P0")}},
		{Name: "pom-log4j", Description: "Vulnerable log4j", Expected: []Expected{exp("pom.xml", 16, 16, finding.Dependencies, "P1")}},
	}
}

// goldenRun scores goldenCases with answers by case name; durations are
// fixed so the output is stable.
func goldenRun(t *testing.T, answers map[string][]finding.Finding, fail map[string]string) *Report {
	t.Helper()
	rev := func(_ context.Context, c *Case) (*review.Result, error) {
		if msg, ok := fail[c.Name]; ok {
			return nil, errorString(msg)
		}
		res := found(answers[c.Name]...)
		return res, nil
	}
	r := Run(context.Background(), goldenCases(), rev, Options{MinPriority: finding.P1, Jobs: 2})
	for i := range r.Cases {
		r.Cases[i].DurationMS = int64(1200 + 100*i)
	}
	r.WallMS = 4321
	r.Corpus, r.Model = "built-in", "gpt-5-codex"
	r.SetPrices(Prices{In: 1.25, Cached: 0.125, Out: 10})
	return r
}

type errorString string

func (e errorString) Error() string { return string(e) }

func titled(f finding.Finding, title string) finding.Finding {
	f.Title = title
	return f
}

func goldenReports(t *testing.T) (now, base *Report) {
	base = goldenRun(t, map[string][]finding.Finding{
		"go-sql":        {titled(rep("store/users.go", 30, 30, finding.Security, 1), "[P1] SQL built with Sprintf")},
		"js-guard":      {titled(rep("src/calc.js", 9, 9, finding.Bugs, 1), "[P1] Assignment in condition")},
		"py-n-plus-one": {titled(rep("shop/views.py", 20, 20, finding.Performance, 1), "[P1] N+1 queries")},
		"java-lock":     {titled(rep("Login.java", 20, 20, finding.Bugs, 0), "[P0] Inverted lock check")},
		"pom-log4j":     {titled(rep("pom.xml", 16, 16, finding.Dependencies, 1), "[P1] log4j 2.14.1 is vulnerable")},
	}, nil)
	base.Model = "gpt-4.1"
	now = goldenRun(t, map[string][]finding.Finding{
		"go-sql": {
			titled(rep("store/users.go", 31, 31, finding.Security, 1), "[P1] SQL injection through `email`"),
			titled(rep("store/users.go", 3, 3, finding.Security, 1), "[P1] Injected | <b>bold</b> @maintainer\n![x](https://evil.example/x.png) \x1b[31mred"),
		},
		"js-guard":  {titled(rep("src/calc.js", 12, 12, finding.Bugs, 1), "[P1] Division by zero")},
		"ts-rename": {titled(rep("src/util.ts", 4, 4, finding.Bugs, 1), "[P1] Renamed helper breaks ```callers```")},
		"java-lock": {titled(rep("Login.java", 19, 21, finding.Bugs, 0), "[P0] Locked accounts can log in")},
		"pom-log4j": {titled(rep("pom.xml", 16, 16, finding.Dependencies, 2), "[P2] Old log4j")},
	}, map[string]string{"py-n-plus-one": "every review pass failed: 429 Too Many Requests"})
	return now, base
}

func TestReportGoldens(t *testing.T) {
	now, base := goldenReports(t)
	cmp := Compare(now, base)

	var b bytes.Buffer
	if err := WriteText(&b, now, nil); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt", b.Bytes())
	b.Reset()
	if err := WriteText(&b, now, cmp); err != nil {
		t.Fatal(err)
	}
	golden(t, "report-baseline.txt", b.Bytes())
	b.Reset()
	if err := WriteMarkdown(&b, now, nil, ""); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md", b.Bytes())
	b.Reset()
	if err := WriteMarkdown(&b, now, cmp, ChartFile); err != nil {
		t.Fatal(err)
	}
	golden(t, "report-baseline.md", b.Bytes())
	b.Reset()
	if err := WriteJSON(&b, now); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", b.Bytes())
	golden(t, "chart.svg", Chart(now, nil))
	golden(t, "chart-baseline.svg", Chart(now, cmp))
}

func TestCompare(t *testing.T) {
	now, base := goldenReports(t)
	cmp := Compare(now, base)
	got := map[string]CaseChange{}
	for _, ch := range cmp.Changed {
		got[ch.Name] = ch
	}
	want := map[string]CaseChange{
		// A report three lines off still matches; a second one is a false positive.
		"go-sql":        {Name: "go-sql", Before: "found 1 of 1", After: "found 1 of 1, 1 false positive"},
		"js-guard":      {Name: "js-guard", Before: "found 1 of 1", After: "found 1 of 1"},
		"py-n-plus-one": {Name: "py-n-plus-one", Before: "found 1 of 1", After: "error"},
		"ts-rename":     {Name: "ts-rename", Before: "clean", After: "1 false positive"},
		"pom-log4j":     {Name: "pom-log4j", Before: "found 1 of 1", After: "found 0 of 1", NowMissed: []string{"pom.xml:16"}},
	}
	for name, w := range want {
		g, ok := got[name]
		if name == "js-guard" {
			// Three lines off (12 against 9) still matches: no change.
			if ok {
				t.Errorf("js-guard listed as changed: %+v", g)
			}
			continue
		}
		if !ok || g.Before != w.Before || g.After != w.After || strings.Join(g.NowMissed, ",") != strings.Join(w.NowMissed, ",") || len(g.NowFound) != 0 {
			t.Errorf("%s: %+v, want %+v", name, g, w)
		}
	}
	if _, ok := got["java-lock"]; ok {
		t.Error("java-lock did not change")
	}
	if len(cmp.Added) != 0 || len(cmp.Removed) != 0 {
		t.Errorf("added %v removed %v", cmp.Added, cmp.Removed)
	}

	// Cases only in one run are named.
	base.Cases = append(base.Cases, CaseReport{Name: "old-case", Status: StatusOK})
	now.Cases = append(now.Cases, CaseReport{Name: "new-case", Status: StatusOK})
	cmp = Compare(now, base)
	if strings.Join(cmp.Added, ",") != "new-case" || strings.Join(cmp.Removed, ",") != "old-case" {
		t.Errorf("added %v removed %v", cmp.Added, cmp.Removed)
	}
}

func TestReadReportRoundTrip(t *testing.T) {
	now, _ := goldenReports(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, now); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(&b)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(now)
	c, _ := json.Marshal(back)
	if !bytes.Equal(a, c) {
		t.Errorf("the report changed through JSON:\n%s\n%s", a, c)
	}
	for _, tt := range []struct{ in, want string }{
		{`{"findings": []}`, "not an evaluation report (kind \"\""},
		{`{"kind": "codex-review.eval", "version": 2}`, "report version 2 is not supported"},
		{`[1, 2]`, "not an evaluation report: json"},
		{``, "not an evaluation report"},
	} {
		if _, err := ReadReport(strings.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadReport(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestMarkdownNeutralisesUntrustedText(t *testing.T) {
	now, base := goldenReports(t)
	var b bytes.Buffer
	if err := WriteMarkdown(&b, now, Compare(now, base), ChartFile); err != nil {
		t.Fatal(err)
	}
	// The chart is the one image, and ours; everything else must be inert
	// however hostile the model's titles were.
	var rest []string
	images := 0
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "![") {
			images++
			continue
		}
		rest = append(rest, line)
	}
	if images != 1 {
		t.Errorf("%d image lines, want the chart only", images)
	}
	if err := markdown.Check(strings.Join(rest, "\n")); err != nil {
		t.Errorf("the report is not safe to post: %v", err)
	}
}
