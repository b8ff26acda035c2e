package reviewer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/reviewer"
)

// waitFor is Waiting as the queue calls it, for a job that found another
// review of its pull request running; it fails the test on an error.
func waitFor(t *testing.T, wk *reviewer.Worker, j job.Job, holder *job.Job) (job.Waited, bool) {
	t.Helper()
	waited, finished, err := wk.Waiting(context.Background(), j, holder)
	if err != nil {
		t.Fatalf("Waiting: %v", err)
	}
	return waited, finished
}

// runsOf lists the check runs made for a request key.
func runsOf(w *apptest.World, key string) []githubtest.CheckRun {
	var out []githubtest.CheckRun
	for _, r := range w.GitHub.CheckRuns(apptest.Owner, apptest.Repo) {
		if r.ExternalID == key {
			out = append(out, r)
		}
	}
	return out
}

// TestGitHubCallsOfAWaitingRequest: a request that waits for another
// review of its pull request gets its 👀 and its check run, queued, at
// once: four calls, the same again if the job is picked up again after a
// crash (without a second reaction or run), and its review then takes both
// over — no second 👀, and one update of the run where an unacknowledged
// review finds and creates it. docs/benchmarks.md gives these figures.
func TestGitHubCallsOfAWaitingRequest(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "store/users.go", usersGo)
	wk := servedWorker(t, w)
	holder := comment(w, "alice", "OWNER", "@codex review")
	holder.RequestKey = "comment:" + itoa(holder.CommentID)
	if err := wk.Run(context.Background(), holder); err != nil {
		t.Fatal(err)
	}

	j := comment(w, "alice", "OWNER", "@codex review again")
	j.RequestKey, j.Fresh = "comment:"+itoa(j.CommentID), true
	n := len(w.GitHub.Requests())
	waited, finished := waitFor(t, wk, j, &holder)
	if finished {
		t.Fatal("a writer's request finished while it waited")
	}
	runs := runsOf(w, j.RequestKey)
	if len(runs) != 1 {
		t.Fatalf("%d check runs for the waiting request, want 1", len(runs))
	}
	run := runs[0]
	want := []string{
		"POST /repos/acme/shop/issues/comments/" + itoa(j.CommentID) + "/reactions",
		"GET /repos/acme/shop/pulls/7",
		"GET /repos/acme/shop/commits/" + apptest.HeadSHA + "/check-runs",
		"POST /repos/acme/shop/check-runs",
	}
	if got := apiCalls(w, n); !slices.Equal(got, want) {
		t.Errorf("a waiting request: %d API calls\n%s\nwant %d\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
	if waited != (job.Waited{Reacted: true, CheckRunID: run.ID, CheckHead: apptest.HeadSHA}) {
		t.Errorf("waited = %+v", waited)
	}
	if run.Status != "queued" || run.Title != "Waiting for another review to finish" ||
		!strings.Contains(run.Summary, "as soon as the review alice asked for is done") {
		t.Errorf("the queued run: %s %q %q", run.Status, run.Title, run.Summary)
	}
	if got := reactions(w, j.CommentID); !slices.Equal(got, []string{"eyes"}) {
		t.Errorf("reactions = %v, want [eyes]", got)
	}

	// Picked up again after a crash that lost what Waiting did: the same
	// run, and GitHub keeps one 👀.
	again, _ := waitFor(t, wk, j, nil)
	if again != waited || len(runsOf(w, j.RequestKey)) != 1 || !slices.Equal(reactions(w, j.CommentID), []string{"eyes"}) {
		t.Errorf("acknowledged twice: %+v, %d runs, reactions %v", again, len(runsOf(w, j.RequestKey)), reactions(w, j.CommentID))
	}

	j.Waited = &waited
	n = len(w.GitHub.Requests())
	if err := wk.Run(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"GET /repos/acme/shop/pulls/7",
		"GET /repos/acme/shop/pulls/7/reviews",
		"PATCH /repos/acme/shop/check-runs/" + itoa(run.ID),
		"GET /repos/acme/shop/pulls/7/files",
		"POST /repos/acme/shop/pulls/7/reviews",
		"PATCH /repos/acme/shop/check-runs/" + itoa(run.ID),
	}
	if got := apiCalls(w, n); !sameSet(got, want) {
		t.Errorf("the waited review: %d API calls\n%s\nwant %d\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
	runs = runsOf(w, j.RequestKey)
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "success" || runs[0].Updates != 2 {
		t.Errorf("the waited review's check run: %+v", runs)
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 2 {
		t.Errorf("%d reviews, want 2", n)
	}
}

// TestWaitingRefusesReaders: someone who may only read gets 😕 while the
// job would wait, and the job is finished: no 👀, no check run, no turn.
func TestWaitingRefusesReaders(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	wk := worker(w)
	j := comment(w, "mallory", "NONE", "@codex review")
	waited, finished := waitFor(t, wk, j, nil)
	if !finished || waited != (job.Waited{}) {
		t.Errorf("Waiting = %+v, %v; want nothing done and finished", waited, finished)
	}
	if got := reactions(w, j.CommentID); !slices.Equal(got, []string{"confused"}) {
		t.Errorf("reactions = %v, want [confused]", got)
	}
	if runs := w.GitHub.CheckRuns(apptest.Owner, apptest.Repo); len(runs) != 0 {
		t.Errorf("check runs for a refused request: %+v", runs)
	}

	// A Re-run pressed by a reader: nothing to react to, finished.
	rerun := job.Job{Repo: j.Repo, Installation: j.Installation, PR: 7, HeadSHA: apptest.HeadSHA, Source: job.CheckRun, Action: job.Review,
		Post: true, RequestKey: "rerun:d1", Requester: "mallory"}
	if waited, finished := waitFor(t, wk, rerun, nil); !finished || waited != (job.Waited{}) {
		t.Errorf("a reader's re-run: %+v, %v", waited, finished)
	}
	if n := len(w.Model.Requests()); n != 0 {
		t.Errorf("%d model calls", n)
	}
}

// TestWaitedCheckRunSettled: the check run made while a job waited does not
// stay queued whatever the job finds when it runs — a re-run's is taken
// over; after a push it is cancelled and the new head gets its own; for a
// request answered before it says so; under a .codex.yml that turned
// invalid it fails, saying why.
func TestWaitedCheckRunSettled(t *testing.T) {
	t.Run("re-run", func(t *testing.T) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		wk := worker(w)
		j := job.Job{Repo: apptest.Owner + "/" + apptest.Repo, Installation: apptest.Installation, PR: 7, HeadSHA: apptest.HeadSHA,
			Source: job.CheckRun, Action: job.Review, Post: true, RequestKey: "rerun:d1", Requester: "alice"}
		holder := j
		holder.HeadSHA, holder.RequestKey = "1234567890abcdef1234567890abcdef12345678", "auto"
		waited, _ := waitFor(t, wk, j, &holder)
		runs := runsOf(w, j.RequestKey)
		if waited.Reacted || waited.CheckRunID == 0 || len(runs) != 1 || !strings.Contains(runs[0].Summary, "as soon as the review of commit `1234567` is done") {
			t.Fatalf("a waiting re-run: %+v, runs %+v", waited, runs)
		}
		j.Waited = &waited
		if err := wk.Run(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		if runs := runsOf(w, j.RequestKey); len(runs) != 1 || runs[0].Status != "completed" {
			t.Errorf("runs = %+v", runs)
		}
	})

	t.Run("push while waiting", func(t *testing.T) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		wk := worker(w)
		j := comment(w, "alice", "OWNER", "@codex review")
		waited, _ := waitFor(t, wk, j, nil)
		const newHead = "7777777777777777777777777777777777777777"
		w.GitHub.SetHead(apptest.Owner, apptest.Repo, 7, newHead, []githubtest.File{{Filename: "store/users.go", Status: "modified", Patch: apptest.UsersPatch, Additions: 8, Changes: 8}})
		j.Waited = &waited
		if err := wk.Run(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		runs := runsOf(w, j.RequestKey)
		if len(runs) != 2 {
			t.Fatalf("%d runs, want the cancelled one and the new head's", len(runs))
		}
		old, now := runs[0], runs[1]
		if old.HeadSHA != apptest.HeadSHA || old.Conclusion != "cancelled" || old.Title != "Superseded by a newer commit" || !strings.Contains(old.Summary, "`7777777`") {
			t.Errorf("the run of the old head: %+v", old)
		}
		if now.HeadSHA != newHead || now.Conclusion != "success" {
			t.Errorf("the run of the new head: %+v", now)
		}
	})

	t.Run("answered before", func(t *testing.T) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		wk := worker(w)
		first := comment(w, "alice", "OWNER", "@codex review")
		first.RequestKey = "comment:1"
		if err := wk.Run(context.Background(), first); err != nil {
			t.Fatal(err)
		}
		j := comment(w, "alice", "OWNER", "@codex review")
		j.RequestKey = "comment:2"
		waited, _ := waitFor(t, wk, j, &first)
		j.Waited = &waited
		if err := wk.Run(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		runs := runsOf(w, j.RequestKey)
		if len(runs) != 1 || runs[0].Conclusion != "neutral" || runs[0].Title != "Answered by an earlier review" {
			t.Errorf("runs = %+v", runs)
		}
		if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 1 {
			t.Errorf("%d reviews, want the first only", n)
		}
	})

	t.Run("invalid configuration", func(t *testing.T) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		wk := worker(w)
		j := comment(w, "alice", "OWNER", "@codex review")
		waited, _ := waitFor(t, wk, j, nil)
		const newBase = "8888888888888888888888888888888888888888"
		for _, ref := range []string{newBase, "main"} {
			w.GitHub.SetContent(apptest.Owner, apptest.Repo, ref, ".codex.yml", "version: 1\nreview:\n  focuss: [bugs]\n")
		}
		w.GitHub.SetBase(apptest.Owner, apptest.Repo, 7, newBase)
		j.Waited = &waited
		if err := wk.Run(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		runs := runsOf(w, j.RequestKey)
		if len(runs) != 1 || runs[0].Conclusion != "failure" || !strings.Contains(runs[0].Summary, "focuss") {
			t.Errorf("runs = %+v", runs)
		}
	})
}

// TestWaitingAutomaticReview: an automatic review that waits gets its check
// run queued — unless it will not run (turned off in .codex.yml) or waits
// for a review of its own head, which it would find posted and stop; and
// when the head was reviewed meanwhile all the same, its run is cancelled,
// not left queued, nor passed off as that review's result.
func TestWaitingAutomaticReview(t *testing.T) {
	const older = "1234567890abcdef1234567890abcdef12345678"
	olderReview := auto(older, job.Synchronize)

	t.Run("queued, then reviewed", func(t *testing.T) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		wk := worker(w)
		j := auto(apptest.HeadSHA, job.Opened)
		waited, finished := waitFor(t, wk, j, &olderReview)
		runs := runsOf(w, "auto")
		if finished || waited.Reacted || waited.CheckRunID == 0 || waited.CheckHead != apptest.HeadSHA || len(runs) != 1 ||
			runs[0].Status != "queued" || !strings.Contains(runs[0].Summary, "as soon as the review of commit `1234567` is done") {
			t.Fatalf("a waiting automatic review: %+v, %v, runs %+v", waited, finished, runs)
		}
		j.Waited = &waited
		if err := wk.Run(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		if runs := runsOf(w, "auto"); len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "success" || runs[0].Updates != 2 {
			t.Errorf("runs = %+v", runs)
		}
	})

	t.Run("no check when it will not run", func(t *testing.T) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		wk := worker(w)
		alice := comment(w, "alice", "OWNER", "@codex review")
		if waited, _ := waitFor(t, wk, auto(apptest.HeadSHA, job.ReadyForReview), &alice); waited != (job.Waited{}) {
			t.Errorf("behind a comment's review of the same head: %+v", waited)
		}
		if waited, _ := waitFor(t, wk, auto(apptest.HeadSHA, job.Synchronize), &olderReview); waited != (job.Waited{}) {
			t.Errorf("a push's review that .codex.yml does not ask for: %+v", waited)
		}
		if runs := w.GitHub.CheckRuns(apptest.Owner, apptest.Repo); len(runs) != 0 {
			t.Errorf("check runs: %+v", runs)
		}
	})

	t.Run("head reviewed meanwhile", func(t *testing.T) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		wk := worker(w)
		j := auto(apptest.HeadSHA, job.Opened)
		waited, _ := waitFor(t, wk, j, &olderReview)
		alice := comment(w, "alice", "OWNER", "@codex review")
		alice.RequestKey = "comment:1"
		if err := wk.Run(context.Background(), alice); err != nil {
			t.Fatal(err)
		}
		j.Waited = &waited
		if err := wk.Run(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		runs := runsOf(w, "auto")
		if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "cancelled" || runs[0].Title != "Already reviewed" {
			t.Errorf("runs = %+v", runs)
		}
		if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 1 {
			t.Errorf("%d reviews, want alice's only", n)
		}
	})
}

// TestWaitingAPIReview: a REST API review that waits gets its check run
// queued, which its run takes over.
func TestWaitingAPIReview(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	wk := worker(w)
	j := job.Job{Repo: apptest.Owner + "/" + apptest.Repo, Installation: apptest.Installation, PR: 7, HeadSHA: apptest.HeadSHA,
		Source: job.API, Action: job.Review, RequestKey: "api:rev_1"}
	alice := comment(w, "alice", "OWNER", "@codex review")
	waited, finished := waitFor(t, wk, j, &alice)
	runs := runsOf(w, j.RequestKey)
	if finished || waited.CheckRunID == 0 || len(runs) != 1 || runs[0].Status != "queued" {
		t.Fatalf("a waiting REST API review: %+v, %v, runs %+v", waited, finished, runs)
	}
	j.Waited = &waited
	if err := wk.Run(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if runs := runsOf(w, j.RequestKey); len(runs) != 1 || runs[0].Status != "completed" || runs[0].Updates != 2 {
		t.Errorf("runs = %+v", runs)
	}
}

// TestWaitingLeavesOtherJobsAlone: only reviews wait for their pull
// request (job.Job.Exclusive), so the queue calls Waiting for nothing else;
// were it called for a thread question or fix, it would do nothing — the
// job's run reacts and answers within moments of its turn.
func TestWaitingLeavesOtherJobsAlone(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	wk := worker(w)
	root := w.GitHub.AddReviewComment(apptest.Owner, apptest.Repo, 7, githubtest.ReviewComment{User: w.GitHub.BotLogin(),
		Path: "store/users.go", Line: 14, Body: "**[P1] x**"})
	for _, action := range []job.Action{job.Answer, job.Suggest} {
		j := threadJob(w, root.ID, action, "@codex why?", "why?")
		n := len(w.GitHub.Requests())
		waited, finished := waitFor(t, wk, j, nil)
		if finished || waited != (job.Waited{}) {
			t.Errorf("%s: Waiting = %+v, %v; want nothing done", action, waited, finished)
		}
		if got := w.GitHub.ReviewCommentReactions(apptest.Owner, apptest.Repo, j.CommentID); len(got) != 0 {
			t.Errorf("%s: reactions %+v on a job that does not wait", action, got)
		}
		if calls := w.GitHub.Requests()[n:]; len(calls) != 0 {
			t.Errorf("%s: %d GitHub calls, want none", action, len(calls))
		}
	}
}
