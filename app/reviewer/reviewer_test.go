package reviewer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

func worker(w *apptest.World) *reviewer.Worker {
	return &reviewer.Worker{
		Pulls: reviewer.OnGitHub(&pull.Opener{Clients: w.Clients, BotLogin: w.GitHub.BotLogin(), WebURL: "https://github.com/"}),
		Model: w.ModelConfig(),
	}
}

// auto is the job of an automatic review.
func auto(head string, event job.Event) job.Job {
	return job.Job{Repo: apptest.Owner + "/" + apptest.Repo, Installation: apptest.Installation, PR: 7, HeadSHA: head,
		Source: job.Automatic, Action: job.Review, Event: event, Post: true, RequestKey: "auto"}
}

// comment posts a triggering comment on the fake and returns the job the
// webhook handler would enqueue for it.
func comment(w *apptest.World, user, association, body string) job.Job {
	c := w.GitHub.AddIssueComment(apptest.Owner, apptest.Repo, githubtest.IssueComment{Number: 7, User: user, Body: body})
	return job.Job{Repo: apptest.Owner + "/" + apptest.Repo, Installation: apptest.Installation, PR: 7, Source: job.Comment, Action: job.Review, Post: true,
		RequestKey: "comment", CommentID: c.ID, Requester: user, AuthorAssociation: association}
}

func reactions(w *apptest.World, id int64) []string {
	var out []string
	for _, r := range w.GitHub.Reactions(apptest.Owner, apptest.Repo, id) {
		out = append(out, r.Content)
	}
	return out
}

func TestCommentTriggeredReview(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	r := comment(w, "alice", "OWNER", "@codex review")
	if err := worker(w).Run(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := reactions(w, r.CommentID); len(got) != 1 || got[0] != "eyes" {
		t.Errorf("reactions = %v, want [eyes]", got)
	}
	reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	if len(reviews) != 1 {
		t.Fatalf("%d reviews, want 1", len(reviews))
	}
	rv := reviews[0]
	if rv.State != "COMMENTED" || rv.CommitID != apptest.HeadSHA || rv.User != w.GitHub.BotLogin() {
		t.Errorf("review = %+v", rv)
	}
	if len(rv.Comments) != 1 || rv.Comments[0].Path != "store/users.go" || rv.Comments[0].Line != 14 || rv.Comments[0].Side != "RIGHT" ||
		!strings.Contains(rv.Comments[0].Body, "**[P1] SQL injection in Find**") {
		t.Errorf("comments = %+v", rv.Comments)
	}
	if !strings.Contains(rv.Body, "codex-review:state=") || !strings.Contains(rv.Body, "patch is incorrect") {
		t.Errorf("summary:\n%s", rv.Body)
	}
	// A small change without a manifest: one combined pass, no dependencies.
	if reqs := w.Model.Requests(); len(reqs) != 1 || apptest.Area(reqs[0]) != "security,bugs,performance" {
		t.Errorf("%d model calls, want one combined pass over security, bugs and performance", len(reqs))
	}
}

func TestPermission(t *testing.T) {
	tests := []struct {
		name        string
		association string
		permission  string
		wantReview  bool
	}{
		{"owner by association", "OWNER", "", true},
		{"collaborator with read access only", "COLLABORATOR", "read", false},
		{"member with triage access only", "MEMBER", "triage", false},
		{"collaborator with write access", "COLLABORATOR", "write", true},
		{"contributor without write access", "CONTRIBUTOR", "read", false},
		{"stranger", "NONE", "", false},
		{"association unsure, API says write", "NONE", "write", true},
		{"association unsure, API says maintain", "CONTRIBUTOR", "maintain", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := apptest.New(t)
			w.AddStandardPR(nil)
			if tt.permission != "" {
				w.GitHub.SetPermission(apptest.Owner, apptest.Repo, "mallory", tt.permission)
			}
			r := comment(w, "mallory", tt.association, "@codex review")
			if err := worker(w).Run(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			got := reactions(w, r.CommentID)
			reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
			if tt.wantReview {
				if len(reviews) != 1 || len(got) != 1 || got[0] != "eyes" {
					t.Errorf("reviews %d, reactions %v", len(reviews), got)
				}
				return
			}
			if len(reviews) != 0 || len(got) != 1 || got[0] != "confused" {
				t.Errorf("refused trigger: reviews %d, reactions %v", len(reviews), got)
			}
			if n := len(w.Model.Requests()); n != 0 {
				t.Errorf("refused trigger made %d model calls", n)
			}
		})
	}
}

// The permission API is asked once per repository and user while the
// answer is fresh, however many comments the user writes.
func TestPermissionCached(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetPermission(apptest.Owner, apptest.Repo, "mallory", "read")
	wk := worker(w)
	for i := range 3 {
		r := comment(w, "mallory", "COLLABORATOR", "@codex review")
		r.RequestKey = fmt.Sprint("comment:", i)
		if err := wk.Run(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, r := range w.GitHub.Requests() {
		if strings.HasSuffix(r.Path, "/collaborators/mallory/permission") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d permission requests for 3 comments, want 1", n)
	}
	if len(w.Model.Requests()) != 0 {
		t.Error("a read-only collaborator triggered the model")
	}
}

func TestHelpAndReply(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	r := comment(w, "alice", "MEMBER", "@codex help")
	r.Action, r.Reply = job.Help, "Usage: `@codex review`"
	if err := worker(w).Run(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	cs := w.GitHub.Comments(apptest.Owner, apptest.Repo, 7)
	if len(cs) != 2 || cs[1].Body != "Usage: `@codex review`" || cs[1].User != w.GitHub.BotLogin() {
		t.Errorf("comments = %+v", cs)
	}
	if len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)) != 0 || len(w.Model.Requests()) != 0 {
		t.Error("help must not review")
	}
}

func TestConfigComesFromTheBaseBranch(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	// The base branch posts only P0; the PR's own head tries to lower
	// the bar and to switch the review off. Only the base counts.
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nreview:\n  min_priority: P0\n")
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "find", ".codex.yml", "version: 1\nreview:\n  min_priority: P3\n  focus: [tests]\n")
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, ".codex.yml", "version: 1\nreview:\n  min_priority: P3\n")
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", "AGENTS.md", "# Agents\n\n## Review guidelines\n\nMoney is always int64 cents.\n")
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	if err := worker(w).Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	if len(rv) != 1 || len(rv[0].Comments) != 0 {
		t.Fatalf("the P1 finding was posted although the base branch's threshold is P0: %+v", rv)
	}
	reqs := w.Model.Requests()
	if len(reqs) != 1 || apptest.Area(reqs[0]) != "security,bugs,performance" {
		t.Errorf("passes %v: the head's focus leaked in", apptest.Area(reqs[0]))
	}
	if !strings.Contains(reqs[0].UserMessages[0], "Money is always int64 cents.") {
		t.Error("AGENTS.md review guidelines are not in the prompt")
	}
}

func TestInvalidConfigIsReportedNotReviewed(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nreview:\n  focuss: [security]\n")
	if err := worker(w).Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	cs := w.GitHub.Comments(apptest.Owner, apptest.Repo, 7)
	if len(cs) != 2 || !strings.Contains(cs[1].Body, ".codex.yml:3:3:") || !strings.Contains(cs[1].Body, "focuss") {
		t.Errorf("comments = %+v", cs)
	}
	if len(w.Model.Requests()) != 0 || len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)) != 0 {
		t.Error("an invalid config must stop the review")
	}
}

func TestAutomaticReviews(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		trigger string
		draft   bool
		author  string
		want    bool
	}{
		{"opened, defaults", "", "opened", false, "alice", true},
		{"opened, on_open off", "version: 1\nreview:\n  auto: {on_open: false}\n", "opened", false, "alice", false},
		{"draft skipped by default", "", "opened", true, "alice", false},
		{"draft with drafts on", "version: 1\nreview:\n  auto: {drafts: true}\n", "ready_for_review", true, "alice", true},
		{"push without on_push", "", "synchronize", false, "alice", false},
		{"push with on_push", "version: 1\nreview:\n  auto: {on_push: true}\n", "synchronize", false, "alice", true},
		{"ignored author", "version: 1\nreview:\n  auto: {ignore_authors: [\"dependabot[bot]\"]}\n", "opened", false, "dependabot[bot]", false},
		{"other base branch", "version: 1\nreview:\n  auto: {base_branches: [release]}\n", "opened", false, "alice", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := apptest.New(t)
			w.AddStandardPR(func(pr *githubtest.PR) { pr.Draft, pr.User = tt.draft, tt.author })
			if tt.config != "" {
				w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", tt.config)
			}
			w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
			r := auto(apptest.HeadSHA, job.Event(tt.trigger))
			if err := worker(w).Run(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			got := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)) == 1
			if got != tt.want {
				t.Errorf("reviewed = %v, want %v", got, tt.want)
			}
			if !tt.want && len(w.Model.Requests()) != 0 {
				t.Error("a skipped review called the model")
			}
		})
	}
}

func TestStaleAutomaticRequestReviewsTheCurrentHeadOnce(t *testing.T) {
	// Pushes A then B, but B's webhook arrived first and A's superseded
	// it: the job for A must review what the PR is now (B), and B's job,
	// if it runs too, must not review B again.
	w := apptest.New(t)
	w.AddStandardPR(nil)
	wk := worker(w)
	stale := auto("2222222222222222222222222222222222222222", job.Opened)
	current := stale
	current.HeadSHA = apptest.HeadSHA
	for _, r := range []job.Job{stale, current} {
		if err := wk.Run(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	if len(rv) != 1 || rv[0].CommitID != apptest.HeadSHA {
		t.Errorf("reviews = %+v, want one review of the current head", rv)
	}
}

func TestIncrementalReviewOnPush(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nreview:\n  auto: {on_push: true}\n")
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	wk := worker(w)
	first := auto(apptest.HeadSHA, job.Opened)
	if err := wk.Run(context.Background(), first); err != nil {
		t.Fatal(err)
	}

	// A push changes the Scan line; the injection is still there and is
	// reported again by the model, plus a new finding on the pushed line.
	newHead := "3333333333333333333333333333333333333333"
	pushed := strings.Replace(apptest.UsersPatch, "err := row.Scan(&u.ID, &u.Name)", "_ = row.Scan(&u.ID, &u.Name)", 1)
	w.GitHub.SetHead(apptest.Owner, apptest.Repo, 7, newHead, []githubtest.File{{Filename: "store/users.go", Status: "modified", Patch: pushed, Additions: 8, Changes: 8}})
	w.GitHub.SetCompare(apptest.Owner, apptest.Repo, apptest.HeadSHA, newHead, []githubtest.File{{Filename: "store/users.go", Status: "modified", Additions: 1, Deletions: 1, Changes: 2,
		Patch: "@@ -16,3 +16,3 @@\n \tvar u User\n-\terr := row.Scan(&u.ID, &u.Name)\n+\t_ = row.Scan(&u.ID, &u.Name)\n \treturn &u, nil"}})
	scan := finding.Finding{Title: "[P1] Scan error discarded", Body: "`_ = row.Scan` drops the error.", Priority: 1, ConfidenceScore: 0.8, Category: "security",
		CodeLocation: finding.CodeLocation{AbsoluteFilePath: "store/users.go", LineRange: finding.LineRange{Start: 17, End: 17}}}
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14), scan))
	push := auto(newHead, job.Synchronize)
	push.BeforeSHA = apptest.HeadSHA
	if err := wk.Run(context.Background(), push); err != nil {
		t.Fatal(err)
	}
	reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	if len(reviews) != 2 {
		t.Fatalf("%d reviews, want 2", len(reviews))
	}
	second := reviews[1]
	if second.CommitID != newHead || len(second.Comments) != 1 || second.Comments[0].Line != 17 || !strings.Contains(second.Comments[0].Body, "Scan error") {
		t.Errorf("incremental review re-posted or misplaced findings: %+v", second.Comments)
	}
	if !strings.Contains(second.Body, "since 1111111") {
		t.Errorf("summary does not say it is incremental:\n%s", second.Body)
	}
	last := w.Model.Requests()[len(w.Model.Requests())-1]
	if strings.Contains(last.UserMessages[0], "SELECT id, name") || !strings.Contains(last.UserMessages[0], "_ = row.Scan") {
		t.Errorf("the model was not shown the interdiff only:\n%s", last.UserMessages[0])
	}
	// The same push redelivered after the review: nothing new.
	if err := wk.Run(context.Background(), push); err != nil {
		t.Fatal(err)
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 2 {
		t.Errorf("%d reviews after a redelivered push", n)
	}
}

func TestModelFailureIsPermanentAndReported(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	wk := worker(w)
	w.Model = modeltest.NewServer(t, modeltest.Always(modeltest.Fail(modeltest.InvalidAPIKey())))
	wk.Model = w.ModelConfig()
	r := comment(w, "alice", "OWNER", "@codex review")
	err := wk.Run(context.Background(), r)
	if !errors.Is(err, reviewer.ErrPermanent) {
		t.Fatalf("err = %v, want permanent", err)
	}
	if err := wk.Fail(context.Background(), r, err); err != nil {
		t.Fatal(err)
	}
	cs := w.GitHub.Comments(apptest.Owner, apptest.Repo, 7)
	last := cs[len(cs)-1]
	if last.User != w.GitHub.BotLogin() || !strings.Contains(last.Body, "could not review") || !strings.Contains(last.Body, "OPENAI_API_KEY") {
		t.Errorf("failure comment = %q", last.Body)
	}
	if len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)) != 0 {
		t.Error("a review was posted despite the failure")
	}
}

func TestRetriedJobDoesNotPostTwice(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	wk := worker(w)
	r := comment(w, "alice", "OWNER", "@codex review")
	r.RequestKey = "comment:1"
	// The first attempt posts; the job is then retried (say the process
	// died before the queue recorded success).
	for i := 0; i < 2; i++ {
		if err := wk.Run(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 1 {
		t.Fatalf("%d reviews after a retried job, want 1", n)
	}
	// A new request for a fresh review on the same head is a new review
	// (the same request without "again" gets a link: repeat_test.go).
	again := comment(w, "alice", "OWNER", "@codex review again")
	again.RequestKey, again.Fresh = "comment:2", true
	if err := wk.Run(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 2 {
		t.Errorf("%d reviews after a second request, want 2", n)
	}
}

func TestCoverageSaysWhenGitHubListsOnlyPartOfAPullRequest(t *testing.T) {
	w := apptest.New(t)
	files := make([]githubtest.File, githubtest.MaxListedFiles+5)
	for i := range files {
		files[i] = githubtest.File{Filename: fmt.Sprintf("docs/page%04d.md", i), Status: "added", Patch: "@@ -0,0 +1 @@\n+hello", Additions: 1, Changes: 1}
	}
	w.AddStandardPR(func(pr *githubtest.PR) { pr.Files = files })
	if err := worker(w).Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	if len(rv) != 1 || !strings.Contains(rv[0].Body, "(5 more files)") || !strings.Contains(rv[0].Body, "first 3000 files") {
		t.Errorf("summary does not account for the files GitHub did not list:\n%s", rv[0].Body)
	}
}
