package reviewer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/job"
)

// TestRepeatedRequest: the issue's second "@codex review" on the same head
// spent the whole review again and posted "No findings". The same request
// is now answered with one reply linking the first review, its verdict and
// counts, without a model call; other areas, other words, other
// configuration or "again" review afresh.
func TestRepeatedRequest(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	wk := worker(w)
	run := func(body string, key string, fresh bool) {
		t.Helper()
		r := comment(w, "alice", "OWNER", body)
		// As the webhook handler builds the job from the comment.
		cmd := command.Parser{}.Parse(body)
		if cmd.Fresh != fresh {
			t.Fatalf("%q parsed as fresh=%v", body, cmd.Fresh)
		}
		r.RequestKey, r.Fresh, r.Areas, r.Instructions = key, cmd.Fresh, cmd.Areas, cmd.Instructions
		if err := wk.Run(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	botComments := func() []githubtest.IssueComment {
		var out []githubtest.IssueComment
		for _, c := range w.GitHub.Comments(apptest.Owner, apptest.Repo, 7) {
			if c.User == w.GitHub.BotLogin() {
				out = append(out, c)
			}
		}
		return out
	}

	// An automatic review answers the same request as a bare comment.
	if err := wk.Run(context.Background(), auto(apptest.HeadSHA, job.Opened)); err != nil {
		t.Fatal(err)
	}
	first := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	calls := len(w.Model.Requests())
	if len(first) != 1 || calls != 1 { // one combined pass
		t.Fatalf("%d reviews, %d model calls after the automatic review", len(first), calls)
	}

	runs := len(w.GitHub.CheckRuns(apptest.Owner, apptest.Repo))
	run("@codex review", "comment:1", false)
	// The earlier review's check run stands; none is started and left
	// in progress.
	for _, cr := range w.GitHub.CheckRuns(apptest.Owner, apptest.Repo) {
		if cr.Status != "completed" {
			t.Errorf("check run %+v left %s by a repeated request", cr, cr.Status)
		}
	}
	if n := len(w.GitHub.CheckRuns(apptest.Owner, apptest.Repo)); n != runs {
		t.Errorf("a repeated request created %d check runs", n-runs)
	}
	if n := len(w.Model.Requests()); n != calls {
		t.Errorf("a repeated request made %d model calls", n-calls)
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 1 {
		t.Errorf("%d reviews after a repeated request, want 1", n)
	}
	replies := botComments()
	if len(replies) != 1 {
		t.Fatalf("%d replies to a repeated request, want 1", len(replies))
	}
	reply := replies[0].Body
	for _, want := range []string{
		"was already reviewed for the same request: **patch is incorrect**, 1 finding (1 P1).",
		"[Read that review](https://github.com/acme/shop/pull/7#pullrequestreview-",
		"(https://github.com/acme/shop/pull/7/commits/" + apptest.HeadSHA + ")",
		"comment `@codex review again`",
	} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply lacks %q:\n%s", want, reply)
		}
	}
	if link := fmt.Sprintf("#pullrequestreview-%d)", first[0].ID); !strings.Contains(reply, link) {
		t.Errorf("reply does not link the first review (%s):\n%s", link, reply)
	}

	// The same words in another spelling are the same request.
	run("@codex review,  please", "comment:2", false)
	if n := len(w.Model.Requests()); n != calls || len(botComments()) != 2 {
		t.Errorf("a request differing only in filler words was reviewed again (%d calls)", n-calls)
	}

	// Other areas, or other words, are another request.
	run("@codex review security", "comment:3", false)
	if n := len(w.Model.Requests()); n != calls+1 {
		t.Errorf("a request for one area made %d model calls, want 1", n-calls)
	}
	calls = len(w.Model.Requests())
	run("@codex review for the login flow", "comment:4", false)
	if n := len(w.Model.Requests()); n != calls+1 { // one combined pass
		t.Errorf("a request with new instructions made %d model calls, want 1", n-calls)
	}
	calls = len(w.Model.Requests())

	// Another configuration on the base branch is another request. The
	// rules are read at the pull request's base commit, which moves when
	// the pull request is updated.
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nreview:\n  max_comments: 5\n")
	w.GitHub.SetBase(apptest.Owner, apptest.Repo, 7, "2222222222222222222222222222222222222222")
	run("@codex review", "comment:5", false)
	if n := len(w.Model.Requests()); n != calls+1 { // one combined pass
		t.Errorf("a request under a new configuration made %d model calls, want 1", n-calls)
	}
	calls = len(w.Model.Requests())

	// "again" always reviews afresh; the finding posted before is found
	// again and stands: the body says so and keeps the verdict.
	run("@codex review again", "comment:6", true)
	if n := len(w.Model.Requests()); n != calls+1 { // one combined pass
		t.Errorf("`review again` made %d model calls, want 1", n-calls)
	}
	reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	last := reviews[len(reviews)-1]
	if len(last.Comments) != 0 || strings.Contains(last.Body, "No findings") ||
		!strings.Contains(last.Body, "**No new findings.** 1 finding posted by earlier reviews still applies") ||
		!strings.Contains(last.Body, "**Verdict: patch is incorrect**") {
		t.Errorf("a fresh review that finds the posted finding again:\n%s", last.Body)
	}
}
