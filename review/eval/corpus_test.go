package eval_test

import (
	"context"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/enclosing"
	"github.com/codex-review/codex-review/review/eval"
	"github.com/codex-review/codex-review/review/eval/corpus"
)

// TestBuiltinCorpus checks the built-in corpus: it loads (every expected
// location lies in its diff), it is large and varied enough, and every
// case explains itself.
func TestBuiltinCorpus(t *testing.T) {
	cases, err := eval.Load(context.Background(), corpus.FS, corpus.Root, corpus.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 24 {
		t.Errorf("%d cases, want at least 24", len(cases))
	}
	clean := 0
	langs := map[string]int{}
	patches := map[string]string{}
	for _, c := range cases {
		if c.FromTrees && c.Advisories() == nil && slices.ContainsFunc(deps.ChangedPaths(c.Diff), deps.IsDependencyFile) {
			t.Errorf("%s: a built-in tree case that changes dependencies bundles its advisories (osv/), so that eval never asks the network and scores the same everywhere", c.Name)
		}
		if prev, ok := patches[string(c.Patch)]; ok {
			t.Errorf("%s has the same diff as %s", c.Name, prev)
		}
		patches[string(c.Patch)] = c.Name
		if c.Title == "" {
			t.Errorf("%s: give the change a pull request title, as its author would write it", c.Name)
		}
		if len(c.Description) < 20 || strings.Contains(c.Description, "\n") {
			t.Errorf("%s: the description should say in one line what the change does: %q", c.Name, c.Description)
		}
		for _, f := range c.Diff.Files {
			switch ext := path.Ext(f.Path()); ext {
			case ".go", ".py", ".java", ".js", ".ts":
				langs[ext]++
			}
		}
		if len(c.Expected) == 0 {
			clean++
			if len(c.Why) < 60 {
				t.Errorf("%s: a clean case says why nothing in it deserves a finding (why: %q)", c.Name, c.Why)
			}
			continue
		}
		for _, e := range c.Expected {
			if e.Area == "" || !e.HasMinPriority {
				t.Errorf("%s: %s: built-in expectations name their area and min_priority, so the per-area and per-priority figures mean something", c.Name, e.Label())
			}
			if len(e.Why) < 80 {
				t.Errorf("%s: %s: say why the problem is real, with the input or scenario that triggers it (why: %q)", c.Name, e.Label(), e.Why)
			}
			if !onChangedLine(c.Diff, e) {
				t.Errorf("%s: %s does not touch a line the change adds", c.Name, e.Label())
			}
		}
	}
	if 3*clean < len(cases) {
		t.Errorf("%d clean cases of %d, want at least a third to measure false positives", clean, len(cases))
	}
	for _, ext := range []string{".go", ".py", ".java", ".js", ".ts"} {
		if langs[ext] < 2 {
			t.Errorf("%d cases change %s files, want at least 2", langs[ext], ext)
		}
	}

	// The kinds of problem the corpus promises to cover, and where.
	byName := map[string]*eval.Case{}
	for _, c := range cases {
		byName[c.Name] = c
	}
	for kind, name := range map[string]string{
		"off-by-one":              "go-pagination-off-by-one",
		"off-by-one (range)":      "py-chunking-drops-tail",
		"inverted condition":      "java-inverted-lock-check",
		"assigning condition":     "js-zero-guard-assigns",
		"nil dereference":         "go-defer-close-before-error-check",
		"None dereference":        "py-none-dereference",
		"resource leak":           "java-reader-leak",
		"SQL injection":           "go-sql-injection",
		"SQL injection (JDBC)":    "java-jdbc-string-concat",
		"command injection":       "py-shell-injection",
		"path traversal":          "js-download-path-traversal",
		"cross-site scripting":    "ts-comment-innerhtml",
		"data race":               "go-concurrent-map-writes",
		"unawaited promises":      "ts-foreach-async",
		"N+1 queries":             "py-orders-n-plus-one",
		"quadratic loop":          "ts-merge-contacts-quadratic",
		"vulnerable dependency":   "java-log4j-vulnerable",
		"floating dependency":     "js-floating-dependency",
		"bundled advisory":        "js-fakelib-known-advisory",
		"enclosing-function bug":  "py-promotion-rate-divided-twice",
		"repository guidelines":   "go-billing-wall-clock",
		"excluded paths (config)": "go-excluded-testdata",
	} {
		c, ok := byName[name]
		if !ok {
			t.Errorf("no case %s for %s", name, kind)
			continue
		}
		if strings.HasPrefix(kind, "excluded") != (len(c.Expected) == 0) {
			t.Errorf("case %s (%s) has %d expected findings", name, kind, len(c.Expected))
		}
	}
	if c := byName["go-billing-wall-clock"]; c != nil && !strings.Contains(string(c.Agents), "## Review guidelines") {
		t.Error("go-billing-wall-clock lost its AGENTS.md review guidelines")
	}
	if c := byName["go-excluded-testdata"]; c != nil && !strings.Contains(string(c.Config), "testdata") {
		t.Error("go-excluded-testdata lost its .codex.yml")
	}
}

// onChangedLine reports whether an expectation's range includes a line the
// change adds (or removes, for a deleted file): an expected finding is
// about the change, not about code next to it.
func onChangedLine(d *diff.Diff, e eval.Expected) bool {
	f := d.File(e.Path)
	if f == nil {
		return false
	}
	for _, h := range f.Hunks {
		for _, l := range h.Lines {
			n, kind := l.NewLine, diff.Added
			if f.NewPath == "" {
				n, kind = l.OldLine, diff.Deleted
			}
			if l.Kind == kind && n >= e.Start && n <= e.End {
				return true
			}
		}
	}
	return false
}

// TestBuiltinTreeCases checks that the built-in tree cases measure what
// they are there for: code the diff's own context lines do not show, and a
// dependency finding the engine computes without the model.
func TestBuiltinTreeCases(t *testing.T) {
	ctx := context.Background()
	cases, err := eval.Load(ctx, corpus.FS, corpus.Root, corpus.Name)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*eval.Case{}
	for _, c := range cases {
		byName[c.Name] = c
	}

	// What decides each context case lies outside the diff, inside the
	// enclosing function the engine shows from head/.
	for name, hidden := range map[string][]string{
		"py-promotion-rate-divided-twice": {"rate = Decimal(promo.percent) / 100"},
		"go-retry-delay-past-schedule":    {"if len(p.Delays) == 0 {", "attempt = 1"},
	} {
		c := byName[name]
		if c == nil || !c.FromTrees {
			t.Errorf("no tree case %s", name)
			continue
		}
		f := c.Diff.Files[0]
		head, err := c.Head().HeadFiles(ctx, []string{f.Path()})
		if err != nil {
			t.Fatal(err)
		}
		var shown strings.Builder
		for _, h := range enclosing.Extract(f.Path(), head[f.Path()], f.Hunks) {
			for _, l := range h.Before {
				shown.WriteString(l.Text + "\n")
			}
		}
		for _, line := range hidden {
			if strings.Contains(string(c.Patch), line) {
				t.Errorf("%s: the diff itself shows %q; the case no longer needs the context", name, line)
			}
			if !strings.Contains(shown.String(), line) {
				t.Errorf("%s: the enclosing function does not show %q:\n%s", name, line, shown.String())
			}
		}
	}

	// The dependency case's finding comes from its trees and its own
	// advisories, with no model: one finding, where the case expects it.
	c := byName["js-fakelib-known-advisory"]
	if c == nil || c.Advisories() == nil || len(c.Expected) != 1 {
		t.Fatal("js-fakelib-known-advisory lost its trees, its osv/ or its expectation")
	}
	rep, err := deps.Analyze(ctx, deps.ChangedPaths(c.Diff), c.Sides(), deps.Options{Advisories: c.Advisories()})
	if err != nil {
		t.Fatal(err)
	}
	fs := rep.Findings(c.Diff)
	e := c.Expected[0]
	if len(fs) != 1 {
		t.Fatalf("%d dependency findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	loc := f.CodeLocation
	if loc.AbsoluteFilePath != e.Path || loc.LineRange.Start > e.End || loc.LineRange.End < e.Start ||
		f.Category != string(e.Area) || f.Priority > int(e.MinPriority) || !strings.Contains(f.Title, "GHSA-fake-7x2q-0001") ||
		!strings.Contains(f.Suggestion, `"1.3.2"`) {
		t.Errorf("the computed finding does not meet the expectation %+v:\n%+v", e, f)
	}
}
