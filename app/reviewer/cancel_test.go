package reviewer_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// records is an API record store whose review is cancelled once the flag
// is set.
type records struct{ cancelled *atomic.Bool }

func (r records) Record(string) reviewer.Reporter { return record(r) }

type record records

func (record) Start(context.Context) error                   { return nil }
func (record) Finish(context.Context, reviewer.Report) error { return nil }

func (r record) Fail(context.Context, error) error {
	// Like api.Tracker: a cancelled review keeps its state.
	if r.cancelled.Load() {
		return reviewer.ErrNotWanted
	}
	return nil
}
func (r record) Wanted(context.Context) error {
	if r.cancelled.Load() {
		return reviewer.ErrNotWanted
	}
	return nil
}

// cancelledWhileAnswering sets up an API review of the standard pull
// request that its caller cancels while the model answers: the worker's
// records say the review is no longer wanted from then on.
func cancelledWhileAnswering(t *testing.T) (*apptest.World, *reviewer.Worker, job.Job) {
	t.Helper()
	w := apptest.New(t)
	w.AddStandardPR(nil)
	var cancelled atomic.Bool
	w.SetAnswer(func(area string, req modeltest.Request) finding.Output {
		cancelled.Store(true) // the caller cancels while the model answers
		return apptest.SecurityFinds(apptest.Injection(14))(area, req)
	})
	wk := worker(w)
	wk.Records = records{cancelled: &cancelled}
	return w, wk, job.Job{Repo: apptest.Owner + "/" + apptest.Repo, Installation: apptest.Installation, PR: 7, Source: job.API, Action: job.Review,
		Post: true, RequestKey: "api:rev_1", ReviewID: "rev_1", HeadSHA: apptest.HeadSHA}
}

// A review cancelled after the model answered, and before the watch's next
// look, is still not posted: the status is asked again right before
// posting.
func TestCancelledJustBeforePosting(t *testing.T) {
	w, wk, j := cancelledWhileAnswering(t)
	if err := wk.Run(context.Background(), j); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(w.Model.Requests()) == 0 {
		t.Fatal("the review never reached the model")
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 0 {
		t.Errorf("a cancelled review was posted (%d reviews)", n)
	}
}

// cancelOnCompletion opens pull requests on which the job's context is
// cancelled the moment the worker starts completing the check run: the
// queue's cancellation (River's, on Postgres, comes by notification at
// any moment) arriving while that write is on its way.
type cancelOnCompletion struct {
	reviewer.Pulls
	cancel context.CancelCauseFunc
}

func (c cancelOnCompletion) Open(ctx context.Context, j job.Job) (reviewer.PullRequest, error) {
	pr, err := c.Pulls.Open(ctx, j)
	if err != nil {
		return nil, err
	}
	return completionCancels{pullRequest: pr, cancel: c.cancel}, nil
}

type completionCancels struct {
	pullRequest
	cancel context.CancelCauseFunc
}

func (p completionCancels) UpdateCheckRun(ctx context.Context, id int64, run publish.CheckRun) error {
	if run.Status == publish.CheckCompleted {
		p.cancel(errors.New("job cancelled remotely"))
	}
	return p.pullRequest.UpdateCheckRun(ctx, id, run)
}

// A review cancelled after the model answered completes its check run
// "cancelled" even when the job's context is cancelled while the
// completing write is under way: that write is the last word on the run,
// and a run left in progress stays so for good.
func TestCancelledReviewCompletesItsCheckWhileTheJobIsCancelled(t *testing.T) {
	w, wk, j := cancelledWhileAnswering(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	wk.Pulls = cancelOnCompletion{Pulls: wk.Pulls, cancel: cancel}
	err := wk.Run(ctx, j)
	if ctx.Err() == nil {
		t.Fatalf("the check run was never completed (Run: %v)", err)
	}
	runs := checkRuns(w)
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "cancelled" || runs[0].Title != "Review cancelled" {
		t.Fatalf("check runs %+v, want one completed cancelled (Run: %v)", runs, err)
	}
	if err != nil {
		t.Errorf("Run: %v", err)
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 0 {
		t.Errorf("a cancelled review was posted (%d reviews)", n)
	}
}

// A cancelled review whose check run GitHub refuses to complete does not
// end as if all were well: the run would stay in progress unseen. Either
// the worker completes it after all (its cancellation watch may find the
// cancel first, and complete the run anew) or Run reports the failure.
func TestCancelledReviewWhoseCheckCannotBeCompletedSaysSo(t *testing.T) {
	w, wk, j := cancelledWhileAnswering(t)
	w.GitHub.FailNext(http.MethodPatch, "/repos/*/*/check-runs/*", 1, http.StatusUnprocessableEntity, nil)
	err := wk.Run(context.Background(), j)
	runs := checkRuns(w)
	if len(runs) != 1 {
		t.Fatalf("check runs %+v, want one", runs)
	}
	if err == nil && runs[0].Status != "completed" {
		t.Errorf("Run succeeded with the check run %s", runs[0].Status)
	}
	if err != nil && (errors.Is(err, reviewer.ErrNotWanted) || !strings.Contains(err.Error(), "422")) {
		t.Errorf("Run: %v, want GitHub's refusal", err)
	}
}
