package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/review/model/modeltest"
	"github.com/codex-review/codex-review/review/reviewtest"
)

// TestCLIAndAppSendTheSamePrompt reviews one change under one set of rules
// twice: locally with `codex-review review --base REF --base-rules`, and
// as a pull request through the GitHub App. The model must be asked the
// same thing, byte for byte: rules, title and description, diff, the code
// around the hunks, and the passes.
func TestCLIAndAppSendTheSamePrompt(t *testing.T) {
	change := reviewtest.TestPR()
	change.Message = "Add percent and median helpers\n\nAdds percent() and median(), and an HTML line item renderer."
	rules := map[string]string{
		".codex.yml": "version: 1\nreview:\n  instructions: Treat typos in comments as P1.\n" +
			"  path_instructions:\n    - path: \"src/**\"\n      instructions: Amounts are integer cents.\n",
		"AGENTS.md": "# Agents\n\n## Review guidelines\n\nNever round money twice.\n",
	}
	for p, c := range rules {
		change.Base[p], change.Head[p] = c, c // the rules are not part of the change
	}
	repo := change.Repo(t)
	repo.Git(t, "remote", "add", "origin", "https://github.com/"+apptest.Owner+"/"+apptest.Repo+".git")

	// Locally.
	local := modeltest.NewServer(t, modeltest.Always(modeltest.Text(emptyReview)))
	getenv := env(map[string]string{"OPENAI_BASE_URL": local.BaseURL(), "CODEX_MODEL": apptest.ModelName})
	if code, _, stderr := runCLI(t, getenv, "review", "-C", repo.Dir, "--base", repo.BaseSHA, "--base-rules"); code != exitOK {
		t.Fatalf("CLI: exit %d: %s", code, stderr)
	}

	// On GitHub: the same commits as a pull request.
	w := apptest.New(t)
	title, body, _ := strings.Cut(change.Message, "\n\n")
	var files []githubtest.File
	for _, path := range []string{"package.json", "src/calc.js", "src/format.js", "test/calc.test.js"} {
		patch := repo.Patches(t)[path]
		add, del := strings.Count(patch, "\n+"), strings.Count(patch, "\n-")
		files = append(files, githubtest.File{Filename: path, Status: "modified", Patch: patch, Additions: add, Deletions: del, Changes: add + del})
	}
	w.GitHub.AddPR(apptest.Owner, apptest.Repo, githubtest.PR{Number: 7, Title: title, Body: body, User: "alice",
		HeadSHA: repo.HeadSHA, BaseSHA: repo.BaseSHA, BaseRef: "main", HeadRef: "helpers", Files: files})
	// The dependency analysis reads package.json from where GitHub's diff
	// starts: the merge base, which the compare API gives.
	w.GitHub.SetCompare(apptest.Owner, apptest.Repo, repo.BaseSHA, repo.HeadSHA, files)
	for p, c := range change.Base {
		w.GitHub.SetContent(apptest.Owner, apptest.Repo, repo.BaseSHA, p, c)
	}
	for p, c := range change.Head {
		w.GitHub.SetContent(apptest.Owner, apptest.Repo, repo.HeadSHA, p, c)
	}
	wk := &reviewer.Worker{
		Pulls: reviewer.OnGitHub(&pull.Opener{Clients: w.Clients, BotLogin: w.GitHub.BotLogin(), WebURL: "https://github.com/"}),
		Model: w.ModelConfig(),
	}
	j := job.Job{Repo: apptest.Owner + "/" + apptest.Repo, Installation: apptest.Installation, PR: 7, HeadSHA: repo.HeadSHA,
		Source: job.Automatic, Action: job.Review, Event: job.Opened, Post: true, RequestKey: "auto"}
	if err := wk.Run(context.Background(), j); err != nil {
		t.Fatal(err)
	}

	cli, app := local.Requests(), w.Model.Requests()
	if len(cli) != 1 || len(app) != 1 {
		t.Fatalf("model calls: CLI %d, app %d; want one each", len(cli), len(app))
	}
	c, a := cli[0], app[0]
	if c.Instructions != a.Instructions || !bytes.Equal(c.Schema, a.Schema) || c.CacheKey != a.CacheKey {
		t.Error("the system part, schema or cache key differ")
	}
	if len(c.UserMessages) != len(a.UserMessages) {
		t.Fatalf("messages: CLI %d, app %d", len(c.UserMessages), len(a.UserMessages))
	}
	for i := range c.UserMessages {
		if c.UserMessages[i] != a.UserMessages[i] {
			t.Errorf("message %d differs:\n--- CLI\n%s\n--- app\n%s", i, c.UserMessages[i], a.UserMessages[i])
		}
	}
	// And the prompt holds what both were meant to send.
	for _, want := range []string{"Repository: acme/shop", "Treat typos in comments as P1.", "Amounts are integer cents.",
		"Never round money twice.", "Add percent and median helpers", "13 : function divide(a, b) {"} {
		if !strings.Contains(c.UserMessages[0], want) {
			t.Errorf("the prompt lacks %q", want)
		}
	}
}

const emptyReview = `{"findings":[],"overall_correctness":"patch is correct","overall_explanation":"ok","overall_confidence_score":0.5}`
