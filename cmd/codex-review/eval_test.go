package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/eval"
	"github.com/codex-review/codex-review/review/eval/corpus"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// builtin loads the built-in corpus as the command does.
func builtin(t *testing.T) []*eval.Case {
	t.Helper()
	cases, err := eval.Load(context.Background(), corpus.FS, corpus.Root, corpus.Name)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// caseKeys picks, for every case, a line of its head version no other
// case's diff contains, so that a fake model can tell which case a request is about.
func caseKeys(t *testing.T, cases []*eval.Case) map[string]string {
	t.Helper()
	keys := map[string]string{}
	for _, c := range cases {
		// Lockfiles and manifests are not in every pass's prompt: take
		// the key from the other files when the change has any.
		files := slices.DeleteFunc(slices.Clone(c.Diff.Files), func(f *diff.File) bool { return deps.IsDependencyFile(f.Path()) })
		if len(files) == 0 {
			files = c.Diff.Files
		}
		best := ""
		for _, f := range files {
			for _, h := range f.Hunks {
				for _, l := range h.Lines {
					s := strings.TrimSpace(l.Content)
					if l.Kind == diff.Deleted || len(s) <= len(best) {
						continue
					}
					unique := true
					for _, o := range cases {
						if o != c && strings.Contains(string(o.Patch), s) {
							unique = false
							break
						}
					}
					if unique {
						best = s
					}
				}
			}
		}
		if best == "" {
			t.Fatalf("case %s has no line of its own to recognise it by", c.Name)
		}
		keys[c.Name] = best
	}
	return keys
}

// script answers every pass of a case's review with the findings answer
// gives for it; the engine merges the copies the passes return. It counts
// the calls per case.
type script struct {
	t      *testing.T
	cases  []*eval.Case
	keys   map[string]string
	answer func(c *eval.Case) []finding.Finding
	// fail, when set, makes the requests of a case fail with 401.
	fail func(c *eval.Case) bool
	// seen is called with every request and its case.
	seen func(c *eval.Case, req modeltest.Request)

	mu    sync.Mutex
	calls map[string]int
}

func (s *script) server() *modeltest.Server {
	s.calls = map[string]int{}
	return modeltest.NewServer(s.t, func(req modeltest.Request) modeltest.Reply {
		text := strings.Join(req.UserMessages, "\n")
		var c *eval.Case
		for _, k := range s.cases {
			if strings.Contains(text, s.keys[k.Name]) {
				c = k
				break
			}
		}
		if c == nil {
			return modeltest.Reply{Err: &modeltest.ErrorReply{Status: 400, Message: "the fake model does not know this change"}}
		}
		s.mu.Lock()
		s.calls[c.Name]++
		s.mu.Unlock()
		if s.seen != nil {
			s.seen(c, req)
		}
		if s.fail != nil && s.fail(c) {
			f := modeltest.InvalidAPIKey()
			return modeltest.Reply{Err: &f}
		}
		out := finding.Output{Findings: s.answer(c), OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Scripted.", OverallConfidenceScore: 0.8}
		if out.Findings == nil {
			out.Findings = []finding.Finding{}
		}
		b, _ := json.Marshal(out)
		return modeltest.Reply{Text: string(b), Usage: modeltest.Usage{PromptTokens: 1000, CachedTokens: 600, CompletionTokens: 50}}
	})
}

// computed reports whether the engine finds e in c by itself, with no
// model: a dependency finding of a tree case that bundles its advisories.
func computed(c *eval.Case, e eval.Expected) bool {
	return c.Advisories() != nil && e.Area == finding.Dependencies
}

// perfect reports exactly what each case expects, shifted by shift lines,
// except what the engine computes by itself: left to the engine, those
// show that it does (a real model may report them too, in words the merge
// recognises; the fake's would be a second finding).
func perfect(shift int) func(c *eval.Case) []finding.Finding {
	return func(c *eval.Case) []finding.Finding {
		var out []finding.Finding
		for i, e := range c.Expected {
			if computed(c, e) {
				continue
			}
			p := 1
			if e.HasMinPriority {
				p = int(e.MinPriority)
			}
			area := string(e.Area)
			if area == "" {
				area = "bugs"
			}
			out = append(out, finding.Finding{
				Title:           fmt.Sprintf("Expected problem %d of %s", i+1, c.Name),
				Body:            "A problem the case expects.",
				ConfidenceScore: 0.9, Priority: p, Category: area,
				CodeLocation: finding.CodeLocation{AbsoluteFilePath: e.Path, LineRange: finding.LineRange{Start: e.Start + shift, End: e.End + shift}},
			})
		}
		return out
	}
}

// evalEnv points the CLI at the fake model, and the OSV API at a closed
// port: no evaluation in the tests looks anything up on the network.
func evalEnv(srv *modeltest.Server) func(string) string {
	return env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "CODEX_MODEL": "gpt-5-codex", "OSV_API_URL": "http://127.0.0.1:1"})
}

func runEvalJSON(t *testing.T, getenv func(string) string, args ...string) (int, *eval.Report, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, getenv, append([]string{"eval", "--format", "json"}, args...)...)
	var rep eval.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("exit %d, stdout is not a report: %v\n%s\nstderr: %s", code, err, stdout, stderr)
	}
	return code, &rep, stderr
}

func expectedTotal(cases []*eval.Case) (total, clean int) {
	for _, c := range cases {
		total += len(c.Expected)
		if len(c.Expected) == 0 {
			clean++
		}
	}
	return total, clean
}

// computedTotal counts the expectations the engine meets without a model.
func computedTotal(cases []*eval.Case) int {
	n := 0
	for _, c := range cases {
		for _, e := range c.Expected {
			if computed(c, e) {
				n++
			}
		}
	}
	return n
}

func near(a *float64, want float64) bool {
	return a != nil && *a > want-1e-9 && *a < want+1e-9
}

func TestEvalPerfectAnswersScoreOne(t *testing.T) {
	cases := builtin(t)
	s := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: perfect(0)}
	srv := s.server()
	code, rep, stderr := runEvalJSON(t, evalEnv(srv))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, _ := expectedTotal(cases)
	tot := rep.Totals
	if !near(tot.Precision, 1) || !near(tot.Recall, 1) || !near(tot.F1, 1) || tot.Expected != want || tot.MatchedFound != want || tot.FalsePositives != 0 {
		t.Errorf("totals = %+v, want precision, recall and F1 of 1 over %d expected findings", tot, want)
	}
	if tot.Cases != len(cases) || tot.Scored != len(cases) || tot.Errors != 0 || rep.Interrupted {
		t.Errorf("cases %d scored %d errors %d interrupted %v", tot.Cases, tot.Scored, tot.Errors, rep.Interrupted)
	}
	for _, g := range append(rep.Areas, rep.Priorities...) {
		if !near(g.Precision, 1) || !near(g.Recall, 1) {
			t.Errorf("group %s: %+v", g.Name, g.Counts)
		}
	}
	// Usage is what the fake reported, summed over every call.
	calls := 0
	for _, n := range s.calls {
		calls += n
	}
	if rep.Usage.Calls != calls || rep.Usage.PromptTokens != int64(calls)*1000 || rep.Usage.CachedPromptTokens != int64(calls)*600 || rep.Usage.CompletionTokens != int64(calls)*50 {
		t.Errorf("usage %+v after %d calls", rep.Usage, calls)
	}
	if rep.Corpus != corpus.Name || rep.Model != "gpt-5-codex" || rep.MinPriority != "P1" || rep.Jobs != eval.DefaultJobs {
		t.Errorf("header: corpus %q model %q threshold %q jobs %d", rep.Corpus, rep.Model, rep.MinPriority, rep.Jobs)
	}
}

func TestEvalSilenceScoresRecallZero(t *testing.T) {
	cases := builtin(t)
	s := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: func(*eval.Case) []finding.Finding { return nil }}
	srv := s.server()
	code, rep, _ := runEvalJSON(t, evalEnv(srv), "--fail-below", "0.5")
	if code != exitFindings {
		t.Errorf("exit %d, want 1: F1 0 is under --fail-below 0.5", code)
	}
	// What is left is what the engine computes by itself.
	want, _ := expectedTotal(cases)
	own := computedTotal(cases)
	if own == 0 {
		t.Fatal("no built-in case has a finding the engine computes")
	}
	tot := rep.Totals
	if !near(tot.Recall, float64(own)/float64(want)) || !near(tot.Precision, 1) || tot.Misses != want-own || tot.Found != own || tot.MatchedFound != own {
		t.Errorf("totals = %+v, want only the %d computed findings", tot.Counts, own)
	}
}

func TestEvalBuiltinTreeCases(t *testing.T) {
	requireGit(t)
	cases := builtin(t)
	var mu sync.Mutex
	prompts := map[string]string{}
	// The model finds nothing anywhere.
	s := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: func(*eval.Case) []finding.Finding { return nil },
		seen: func(c *eval.Case, req modeltest.Request) {
			mu.Lock()
			defer mu.Unlock()
			prompts[c.Name] += strings.Join(req.UserMessages, "\n")
		}}
	srv := s.server()
	// The dependency case's own osv/ is the only advisory source it uses:
	// an empty CODEX_OSV_DIR elsewhere, or an OSV API that is down, change
	// nothing.
	for name, settings := range map[string]map[string]string{
		"offline export elsewhere": {"CODEX_OSV_DIR": t.TempDir()},
		"OSV API down":             {"OSV_API_URL": "http://127.0.0.1:1"},
	} {
		t.Run(name, func(t *testing.T) {
			settings["OPENAI_BASE_URL"] = srv.BaseURL()
			code, rep, stderr := runEvalJSON(t, env(settings))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got *eval.CaseReport
			for i := range rep.Cases {
				if rep.Cases[i].Name == "js-fakelib-known-advisory" {
					got = &rep.Cases[i]
				}
			}
			if got == nil || got.Status != eval.StatusOK || len(got.Matches) != 1 || len(got.FalsePositives) != 0 || len(got.Misses) != 0 {
				t.Fatalf("js-fakelib-known-advisory: %+v", got)
			}
			if m := got.Matches[0]; m.Found.Path != "package.json" || !strings.Contains(m.Found.Title, "GHSA-fake-7x2q-0001") {
				t.Errorf("the match is not the computed finding: %+v", m)
			}
		})
	}
	if s.calls["js-fakelib-known-advisory"] == 0 {
		t.Error("the dependency case's code change was not reviewed by the model")
	}
	// The context cases show the model what the diff leaves out.
	for name, line := range map[string]string{
		"py-promotion-rate-divided-twice": "rate = Decimal(promo.percent) / 100",
		"go-retry-delay-past-schedule":    "if len(p.Delays) == 0 {",
	} {
		if !strings.Contains(prompts[name], line) {
			t.Errorf("%s: the prompt lacks %q from the enclosing function", name, line)
		}
	}
}

func TestEvalInventedFindingsLowerPrecisionExactly(t *testing.T) {
	cases := builtin(t)
	// One invented performance finding on every clean change, on a line
	// it really changes.
	answer := func(c *eval.Case) []finding.Finding {
		out := perfect(0)(c)
		if len(c.Expected) == 0 {
			f := c.Diff.Files[0]
			out = append(out, finding.Finding{
				Title: "Invented slowness in " + c.Name, Body: "Not a real problem.", ConfidenceScore: 0.7,
				Priority: 1, Category: "performance",
				CodeLocation: finding.CodeLocation{AbsoluteFilePath: f.Path(), LineRange: finding.LineRange{Start: f.Hunks[0].NewStart, End: f.Hunks[0].NewStart}},
			})
		}
		return out
	}
	s := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: answer}
	code, rep, stderr := runEvalJSON(t, evalEnv(s.server()))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, clean := expectedTotal(cases)
	tot := rep.Totals
	if tot.FalsePositives != clean || tot.Found != want+clean || !near(tot.Precision, float64(want)/float64(want+clean)) || !near(tot.Recall, 1) {
		t.Errorf("totals = %+v; want %d false positives and precision %d/%d", tot.Counts, clean, want, want+clean)
	}
	perf := 0
	for _, c := range cases {
		for _, e := range c.Expected {
			if e.Area == finding.Performance {
				perf++
			}
		}
	}
	for _, g := range rep.Areas {
		if g.Name == "performance" && (!near(g.Precision, float64(perf)/float64(perf+clean)) || g.FalsePositives != clean) {
			t.Errorf("performance: %+v, want precision %d/%d", g.Counts, perf, perf+clean)
		}
		if g.Name != "performance" && !near(g.Precision, 1) {
			t.Errorf("%s: %+v, want precision 1", g.Name, g.Counts)
		}
	}
	for _, c := range rep.Cases {
		wantFP := 0
		if c.Expected == 0 {
			wantFP = 1
		}
		if len(c.FalsePositives) != wantFP {
			t.Errorf("%s: %d false positives, want %d", c.Name, len(c.FalsePositives), wantFP)
		}
	}
}

func TestEvalOffByAFewLinesStillMatches(t *testing.T) {
	cases := builtin(t)
	for _, shift := range []int{-eval.LineSlack, eval.LineSlack} {
		t.Run(fmt.Sprint(shift), func(t *testing.T) {
			s := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: perfect(shift)}
			_, rep, _ := runEvalJSON(t, evalEnv(s.server()))
			if !near(rep.Totals.Recall, 1) || !near(rep.Totals.Precision, 1) {
				t.Errorf("shift %d: %+v", shift, rep.Totals.Counts)
			}
		})
	}
}

func TestEvalAppliesEachCaseRules(t *testing.T) {
	cases := builtin(t)
	var mu sync.Mutex
	prompts := map[string][]string{}
	s := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: perfect(0), seen: func(c *eval.Case, req modeltest.Request) {
		mu.Lock()
		defer mu.Unlock()
		prompts[c.Name] = append(prompts[c.Name], req.Instructions+"\n"+strings.Join(req.UserMessages, "\n"))
	}}
	if code, _, stderr := runCLI(t, evalEnv(s.server()), "eval", "--focus", "bugs,security"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range prompts["go-excluded-testdata"] {
		if strings.Contains(p, "bad_query.go") {
			t.Errorf("the case's .codex.yml excludes **/testdata/**, but the model saw it")
		}
	}
	if len(prompts["go-excluded-testdata"]) == 0 {
		t.Error("go-excluded-testdata was not reviewed")
	}
	for _, p := range prompts["go-billing-wall-clock"] {
		if !strings.Contains(p, "Report a direct `time.Now()` in `billing/` as P1") {
			t.Errorf("the AGENTS.md review guidelines did not reach the model")
		}
	}
	for _, p := range prompts["go-sql-injection"] {
		if strings.Contains(p, "`billing/`") {
			t.Errorf("one case's guidelines leaked into another's review")
		}
	}
	// The author's title and description reach the model; the case's own
	// description, which names the problem, does not.
	for _, p := range prompts["go-pagination-off-by-one"] {
		if !strings.Contains(p, "listing: return a copy from Page") || !strings.Contains(p, "Callers sort pages in place") {
			t.Errorf("the pull request's title and body are not in the prompt")
		}
		if strings.Contains(p, "one item too many") {
			t.Errorf("the case's description reached the model")
		}
	}
	// --focus bugs,security: two passes per case (one chunk each).
	for name, ps := range prompts {
		if len(ps) > 2 {
			t.Errorf("%s: %d model calls with two focus areas", name, len(ps))
		}
	}
}

func TestEvalBaselineShowsChanges(t *testing.T) {
	cases := builtin(t)
	dir := t.TempDir()
	good := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: perfect(0)}
	code, _, stderr := runCLI(t, evalEnv(good.server()), "eval", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{evalJSONFile, evalMarkdownFile, eval.ChartFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("--out did not write %s: %v", f, err)
		}
	}
	// The second model finds nothing in the Java cases.
	worse := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: func(c *eval.Case) []finding.Finding {
		if strings.HasPrefix(c.Name, "java-") {
			return nil
		}
		return perfect(0)(c)
	}}
	code, stdout, stderr := runCLI(t, evalEnv(worse.server()), "eval", "--baseline", filepath.Join(dir, evalJSONFile), "--format", "markdown")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "### Changed since the baseline") || !strings.Contains(stdout, "| precision | 1.00 (") {
		t.Errorf("markdown lacks the comparison:\n%s", stdout)
	}
	for _, c := range cases {
		line := "- `" + c.Name + "`: found 1 of 1 → found 0 of 1; now misses "
		want := strings.HasPrefix(c.Name, "java-") && len(c.Expected) > 0
		if strings.Contains(stdout, line) != want {
			t.Errorf("case %s listed as changed: %v, want %v", c.Name, !want, want)
		}
	}
}

func TestEvalFailedCaseExitsTwoWithReport(t *testing.T) {
	cases := builtin(t)
	s := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: perfect(0), fail: func(c *eval.Case) bool { return c.Name == "py-shell-injection" }}
	code, rep, stderr := runEvalJSON(t, evalEnv(s.server()))
	if code != exitError || !strings.Contains(stderr, "1 of") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if rep.Totals.Errors != 1 || rep.Totals.Scored != len(cases)-1 || !near(rep.Totals.Recall, 1) {
		t.Errorf("totals %+v", rep.Totals)
	}
	for _, c := range rep.Cases {
		if c.Name == "py-shell-injection" && (c.Status != eval.StatusError || !strings.Contains(c.Error, "Incorrect API key")) {
			t.Errorf("failed case: %+v", c)
		}
	}
}

func TestEvalInterruptedPrintsWhatItHas(t *testing.T) {
	cases := builtin(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var third atomic.Bool
	s := &script{t: t, cases: cases, keys: caseKeys(t, cases), answer: perfect(0), seen: func(c *eval.Case, _ modeltest.Request) {
		// With one job the cases run in order: stop when the third starts.
		if c.Name == cases[2].Name && !third.Swap(true) {
			cancel()
		}
	}}
	srv := s.server()
	var out, errOut strings.Builder
	code := run(ctx, []string{"eval", "--jobs", "1", "--format", "json"}, strings.NewReader(""), &out, &errOut, evalEnv(srv))
	if code != exitError || !strings.Contains(errOut.String(), "interrupted: 2 of") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
	var rep eval.Report
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("no report after the interruption: %v\n%s", err, out.String())
	}
	if !rep.Interrupted || rep.Totals.Scored != 2 || rep.Totals.NotRun != len(cases)-2 {
		t.Errorf("interrupted %v, totals %+v", rep.Interrupted, rep.Totals)
	}
	for i, c := range rep.Cases {
		if (i < 2) != (c.Status == eval.StatusOK) {
			t.Errorf("case %d %s: status %s", i, c.Name, c.Status)
		}
	}
}

// writeCase writes a case directory under root.
func writeCase(t *testing.T, root, name string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, name, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEvalDirectoryWithTreesAndDiffs(t *testing.T) {
	requireGit(t)
	root := t.TempDir()
	// The function is long enough that the diff's three lines of context
	// do not reach its first lines; only the head tree shows them.
	body := func(ret string) string {
		var b strings.Builder
		b.WriteString("package calc\n\n// Div divides, rounding towards zero.\nfunc Div(a, b int) int {\n")
		for i := range 8 {
			fmt.Fprintf(&b, "\t_ = %d\n", i)
		}
		b.WriteString("\treturn " + ret + "\n}\n")
		return b.String()
	}
	writeCase(t, root, "tree-case", map[string]string{
		"base/calc.go": body("0"),
		"head/calc.go": body("a / b"),
		"expect.yaml":  "description: Divides without a zero check\nfindings:\n  - path: calc.go\n    lines: [13, 13]\n    area: bugs\n",
	})
	writeCase(t, root, "nested/diff-case", map[string]string{
		"change.diff": "diff --git a/calc.go b/calc.go\n--- a/calc.go\n+++ b/calc.go\n@@ -10,4 +10,4 @@\n \t_ = 5\n \t_ = 6\n \t_ = 7\n-\treturn 1\n+\treturn 2\n",
		"expect.yaml": "description: Returns two\nfindings: []\n",
	})
	cases, err := eval.Load(context.Background(), os.DirFS(root), ".", root)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	prompts := map[string]string{}
	s := &script{t: t, cases: cases, keys: map[string]string{"tree-case": "return a / b", "nested/diff-case": "return 2"}, answer: perfect(0),
		seen: func(c *eval.Case, req modeltest.Request) {
			mu.Lock()
			defer mu.Unlock()
			prompts[c.Name] += strings.Join(req.UserMessages, "\n")
		}}
	code, rep, stderr := runEvalJSON(t, evalEnv(s.server()), root)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(rep.Cases) != 2 || rep.Cases[0].Name != "nested/diff-case" || rep.Cases[1].Name != "tree-case" || !near(rep.Totals.F1, 1) || rep.Corpus != root {
		t.Errorf("report: %+v", rep)
	}
	// Like 'review' in a working tree, a tree case shows the model the
	// enclosing function from its head; like 'review --diff', a diff case
	// has no files to show.
	if !strings.Contains(prompts["tree-case"], "_ = 1") {
		t.Errorf("the tree case's prompt lacks the enclosing function:\n%s", prompts["tree-case"])
	}
	if strings.Contains(prompts["nested/diff-case"], "_ = 1") {
		t.Errorf("the diff case's prompt has code it cannot know:\n%s", prompts["nested/diff-case"])
	}
}

func TestEvalRejectsBadInputBeforeAnyModelCall(t *testing.T) {
	root := t.TempDir()
	writeCase(t, root, "bad", map[string]string{
		"change.diff": "diff --git a/a.go b/a.go\n--- a/a.go\n+++ b/a.go\n@@ -1 +1 @@\n-x\n+y\n",
		"expect.yaml": "description: x\nfindings:\n  - path: a.go\n    lines: [40, 41]\n    area: style\n",
	})
	badConfig := t.TempDir()
	writeCase(t, badConfig, "cfg", map[string]string{
		"change.diff": "diff --git a/a.go b/a.go\n--- a/a.go\n+++ b/a.go\n@@ -1 +1 @@\n-x\n+y\n",
		"expect.yaml": "description: x\nfindings: []\n",
		".codex.yml":  "version: 1\nreview:\n  min_priority: P9\n",
	})
	notReport := filepath.Join(t.TempDir(), "other.json")
	os.WriteFile(notReport, []byte(`{"findings": []}`), 0o644)
	s := &script{t: t, answer: perfect(0)}
	srv := s.server()
	local := evalEnv(srv)
	tests := []struct {
		name   string
		getenv func(string) string
		args   []string
		want   []string
	}{
		{"no key for OpenAI", env(nil), []string{"eval"}, []string{"OPENAI_API_KEY is not set"}},
		{"bad format", local, []string{"eval", "--format", "sarif"}, []string{"invalid --format"}},
		{"bad log level", env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "CODEX_LOG_LEVEL": "loud"}), []string{"eval"}, []string{`CODEX_LOG_LEVEL must be one of`}},
		{"bad threshold", local, []string{"eval", "--min-priority", "P5"}, []string{"invalid --min-priority"}},
		{"bad focus", local, []string{"eval", "--focus", "style"}, []string{"unknown focus area"}},
		{"bad jobs", local, []string{"eval", "--jobs", "0"}, []string{"invalid --jobs"}},
		{"bad fail-below", local, []string{"eval", "--fail-below", "2"}, []string{"invalid --fail-below"}},
		{"negative price", local, []string{"eval", "--price-out", "-1"}, []string{"invalid --price-out"}},
		{"missing baseline", local, []string{"eval", "--baseline", filepath.Join(root, "none.json")}, []string{"read --baseline"}},
		{"baseline of another kind", local, []string{"eval", "--baseline", notReport}, []string{"not an evaluation report"}},
		{"empty directory", local, []string{"eval", t.TempDir()}, []string{"no cases in"}},
		{"bad expectations", local, []string{"eval", root}, []string{
			root + "/bad/expect.yaml:3:5: lines 40-41 of a.go are not in the change (its hunks cover 1-1)",
			root + "/bad/expect.yaml:5:11: findings[0].area: unknown focus area \"style\"",
		}},
		{"bad .codex.yml", local, []string{"eval", badConfig}, []string{badConfig + "/cfg/.codex.yml:3:17:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.getenv, tt.args...)
			if code != exitError || stdout != "" {
				t.Fatalf("exit %d, want 2; stdout %q stderr %q", code, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d model calls were made by invocations that should stop first", n)
	}
}

func TestProgressLine(t *testing.T) {
	for _, tt := range []struct {
		done, total, failed int
		want                string
	}{
		{0, 31, 0, "[..............................]   0/31 cases  0s"},
		{12, 31, 1, "[###########...................]  12/31 cases  1 failed  0s"},
		{31, 31, 0, "[##############################]  31/31 cases  0s"},
	} {
		if got := progressLine(tt.done, tt.total, tt.failed, 0); got != tt.want {
			t.Errorf("progressLine(%d, %d, %d) = %q, want %q", tt.done, tt.total, tt.failed, got, tt.want)
		}
	}
}

func requireGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed; tree cases need it")
	}
}

func TestEvalCaseSettingsThatApplyAndOneThatDoesNot(t *testing.T) {
	root := t.TempDir()
	writeCase(t, root, "c", map[string]string{
		"change.diff": "diff --git a/a.go b/a.go\n--- a/a.go\n+++ b/a.go\n@@ -1 +1 @@\n-x := 1\n+x := 2\n",
		"expect.yaml": "description: Changes a constant\nfindings: []\n",
		".codex.yml":  "version: 1\nreview:\n  min_priority: P3\nmodel:\n  name: case-model\n",
	})
	cases, err := eval.Load(context.Background(), os.DirFS(root), ".", root)
	if err != nil {
		t.Fatal(err)
	}
	var models sync.Map
	s := &script{t: t, cases: cases, keys: map[string]string{"c": "x := 2"},
		answer: func(*eval.Case) []finding.Finding {
			return []finding.Finding{{Title: "Minor naming", Body: "x is terse.", Priority: 2, Category: "bugs", ConfidenceScore: 0.9,
				CodeLocation: finding.CodeLocation{AbsoluteFilePath: "a.go", LineRange: finding.LineRange{Start: 1, End: 1}}}}
		},
		seen: func(_ *eval.Case, req modeltest.Request) { models.Store(req.Model, true) },
	}
	srv := s.server()
	_, rep, _ := runEvalJSON(t, evalEnv(srv), root)
	// The case's model is used, as on GitHub; its P3 threshold is not: the
	// P2 report is under the measurement's P1 and not scored.
	if _, ok := models.Load("case-model"); !ok {
		t.Error("the case's .codex.yml model was not used")
	}
	if rep.Totals.Found != 0 || rep.MinPriority != "P1" {
		t.Errorf("found %d at %s", rep.Totals.Found, rep.MinPriority)
	}
	_, rep, _ = runEvalJSON(t, evalEnv(srv), root, "--min-priority", "P2")
	if rep.Totals.Found != 1 || rep.Totals.FalsePositives != 1 {
		t.Errorf("at P2: %+v", rep.Totals.Counts)
	}
}

func TestEvalTreeCaseGetsTheDependencyAnalysis(t *testing.T) {
	requireGit(t)
	root := t.TempDir()
	writeCase(t, root, "deps", map[string]string{
		"base/go.mod":  "module example.com/shop\n\ngo 1.22\n\nrequire github.com/gorilla/mux v1.8.0\n",
		"base/main.go": "package main\n\nfunc main() {}\n",
		"head/go.mod":  "module example.com/shop\n\ngo 1.22\n\nrequire (\n\tgithub.com/gorilla/mux v1.8.0\n\tgolang.org/x/crypto v0.14.0\n)\n",
		"head/main.go": "package main\n\nfunc main() {}\n",
		"expect.yaml":  "description: Adds x/crypto at a version with a known advisory\nfindings:\n  - path: go.mod\n    lines: [7, 7]\n    area: dependencies\n    min_priority: P2\n",
	})
	offline := t.TempDir()
	rec := `{"id": "GHSA-45x7-px36-x8w8", "aliases": ["CVE-2023-48795"], "summary": "Terrapin",
		"affected": [{"package": {"ecosystem": "Go", "name": "golang.org/x/crypto"},
			"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.17.0"}]}], "versions": ["0.14.0"]}],
		"database_specific": {"severity": "MODERATE"}}`
	writeCase(t, offline, "Go", map[string]string{"GHSA-45x7-px36-x8w8.json": rec})
	cases, err := eval.Load(context.Background(), os.DirFS(root), ".", root)
	if err != nil {
		t.Fatal(err)
	}
	// The model finds nothing: the engine's own look-up must.
	s := &script{t: t, cases: cases, keys: map[string]string{"deps": "golang.org/x/crypto"}, answer: func(*eval.Case) []finding.Finding { return nil }}
	srv := s.server()
	getenv := env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "CODEX_OSV_DIR": offline, "OSV_API_URL": "http://127.0.0.1:1"})
	code, stdout, stderr := runCLI(t, getenv, "eval", root, "--min-priority", "P2", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Totals eval.Totals `json:"totals"`
		Cases  []struct {
			DependencyChanges []struct {
				Name string `json:"name"`
			} `json:"dependency_changes"`
		} `json:"cases"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !near(rep.Totals.Recall, 1) || len(rep.Cases) != 1 || len(rep.Cases[0].DependencyChanges) != 1 || rep.Cases[0].DependencyChanges[0].Name != "golang.org/x/crypto" {
		t.Errorf("report: %s", stdout)
	}
	if code, _, stderr := runCLI(t, env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "OSV_API_URL": "osv.example"}), "eval", root); code != exitError || !strings.Contains(stderr, "OSV") {
		t.Errorf("a bad OSV setting: exit %d, %q", code, stderr)
	}
}
