package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
	"github.com/codex-review/codex-review/review/reviewtest"
)

// rulesRepo is the test pull request as a git repository whose base commit
// and working tree hold different rules.
func rulesRepo(t *testing.T) reviewtest.Repo {
	t.Helper()
	change := reviewtest.TestPR()
	change.Base[".codex.yml"] = "version: 1\nreview:\n  instructions: Rule from the base commit.\n"
	change.Head[".codex.yml"] = "version: 1\nreview:\n  focus: [bugs]\n  min_priority: P2\n  instructions: Treat typos in comments as P1.\n"
	change.Head["AGENTS.md"] = "# Agents\n\n## Review guidelines\n\nMoney is always integer cents.\n"
	// The working tree holds the head commit, and so the head's rules.
	return change.Repo(t)
}

// instructionsOf cuts the maintainers' instructions out of a prompt's
// context part (the diff may quote the rules files too).
func instructionsOf(context string) string {
	_, after, _ := strings.Cut(context, "## Instructions from the repository's maintainers")
	before, _, _ := strings.Cut(after, "## Diff")
	return before
}

func lastPrompt(t *testing.T, srv *modeltest.Server) modeltest.Request {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("no model call")
	}
	return reqs[len(reqs)-1]
}

func TestReviewAppliesTheRepositoryRules(t *testing.T) {
	r := rulesRepo(t)
	srv := fake(t, 2)
	getenv := env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL()})

	// From the working tree: the head's .codex.yml and AGENTS.md.
	// The fake's finding is a P2: reported (min_priority P2), but below
	// --fail-on's P1.
	code, stdout, stderr := runCLI(t, getenv, "review", "-C", r.Dir, "--commit", r.HeadSHA, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	req := lastPrompt(t, srv)
	context := req.UserMessages[0]
	rules := instructionsOf(context)
	for _, want := range []string{"Treat typos in comments as P1.", "Money is always integer cents."} {
		if !strings.Contains(rules, want) {
			t.Errorf("the instructions lack %q:\n%s", want, rules)
		}
	}
	if strings.Contains(rules, "Rule from the base commit.") {
		t.Error("the base commit's rules were used without --base-rules")
	}
	if got := modeltest.PassAreas(req); !slices.Equal(got, []finding.Area{finding.Bugs}) {
		t.Errorf("areas = %v, want review.focus [bugs]", got)
	}
	// min_priority P2 from the file: the fake's P2 finding is reported.
	if !strings.Contains(stdout, "Division by zero") {
		t.Errorf("the P2 finding is missing although .codex.yml asks for P2:\n%s", stdout)
	}
	// The code around the hunks came from the commit.
	if !strings.Contains(context, "13 : function divide(a, b) {") {
		t.Errorf("the prompt lacks the enclosing function:\n%s", context)
	}

	// A flag wins over the file.
	if code, stdout, _ := runCLI(t, getenv, "review", "-C", r.Dir, "--commit", r.HeadSHA, "--min-priority", "P1"); code != exitOK || strings.Contains(stdout, "Division by zero") {
		t.Errorf("--min-priority P1 did not win over the file's P2: exit %d\n%s", code, stdout)
	}

	// From the base, as the GitHub App reads them.
	if code, _, stderr := runCLI(t, getenv, "review", "-C", r.Dir, "--base", r.BaseSHA, "--base-rules"); code != exitOK {
		t.Fatalf("--base-rules: exit %d: %s", code, stderr)
	}
	rules = instructionsOf(lastPrompt(t, srv).UserMessages[0])
	if !strings.Contains(rules, "Rule from the base commit.") || strings.Contains(rules, "Treat typos") || strings.Contains(rules, "Money is always") {
		t.Errorf("--base-rules did not read the base's rules:\n%s", rules)
	}
}

func TestReviewRulesErrors(t *testing.T) {
	r := rulesRepo(t)
	srv := fake(t, 1)
	getenv := env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL()})
	if code, _, stderr := runCLI(t, getenv, "review", "-C", r.Dir, "--base-rules"); code != exitError || !strings.Contains(stderr, "--base") {
		t.Errorf("--base-rules without --base: exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, ".codex.yml"), []byte("version: 1\nreview:\n  focuss: [bugs]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Requests())
	code, _, stderr := runCLI(t, getenv, "review", "-C", r.Dir)
	if code != exitError || !strings.Contains(stderr, ".codex.yml:3:3") || !strings.Contains(stderr, "focuss") {
		t.Errorf("invalid .codex.yml: exit %d: %s", code, stderr)
	}
	if len(srv.Requests()) != before {
		t.Error("the model was called although the rules are invalid")
	}
}
