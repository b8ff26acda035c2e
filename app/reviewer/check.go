package reviewer

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/render"
)

// CheckRuns writes the app's check run on a pull request's head.
type CheckRuns interface {
	// FindCheckRun finds the check run made on head for a request.
	FindCheckRun(ctx context.Context, head, externalID string) (publish.FoundCheckRun, error)
	// CreateCheckRun creates one and returns its id.
	CreateCheckRun(ctx context.Context, head, externalID string, run publish.CheckRun) (int64, error)
	// UpdateCheckRun changes one.
	UpdateCheckRun(ctx context.Context, id int64, run publish.CheckRun) error
	// FileLink is the web URL of a file at a line of a commit.
	FileLink(commit, path string, line int) string
}

// Causes of a job ending without a review that are not failures.
var (
	// ErrCancelled: the review was cancelled while it ran (the REST API's
	// cancel).
	ErrCancelled = errors.New("the review was cancelled before it finished")
	// ErrSuperseded: a newer push replaced the request before it ran
	// again.
	ErrSuperseded = errors.New("a newer commit was pushed to the pull request; the review of that commit replaces this one")
)

// completeTimeout bounds the calls that complete a check run (finding it,
// then the update) once they no longer run on the job's context (see
// completing). Each GitHub call is bounded too (ghretry.AttemptTimeout).
const completeTimeout = time.Minute

// completing is the context of the calls that complete a check run: the
// job's values (its logger), without its cancellation, bounded by
// completeTimeout. A completion reports how the job ended, often the very
// cancellation that ends the job's context — the REST API's cancel reaches
// a running job as a cancelled context, at any moment (on Postgres River's
// notification; on SQLite the worker's poll) — and a run whose completion
// is cut off halfway stays in progress for good, or is completed on GitHub
// while the app believes it failed.
func completing(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
}

// checkRun reports a job in the codex-review check run. It is a Reporter:
// in progress when the review starts, completed with the review (its
// conclusion from checks.fail_on) or with why there is none. A job that
// ends in another call than the one that started it (a final failure, a
// cancellation, a newer push) finds its run by the request key.
type checkRun struct {
	w    *Worker
	runs CheckRuns
	// installation is the job's, for the one warning about a missing
	// permission.
	installation int64
	// key is the job's request key, the run's external id.
	key string
	// heads are where the run is: the reviewed head, or, for a job that
	// ends elsewhere, the heads it may have reviewed.
	heads []string
	// failAt is checks.fail_on.
	failAt  finding.Priority
	failsOn bool

	id int64
	// queued is the run made queued while the job waited its turn
	// (job.Waited), which Start takes over.
	queued    int64
	completed bool
	// off is set once GitHub refused the app the checks permission.
	off bool
}

// Start creates the run in progress, or takes over the one made while
// the job waited or by a previous attempt of the job.
func (c *checkRun) Start(ctx context.Context) error {
	head := c.heads[0]
	started := publish.CheckRun{
		Status: publish.CheckInProgress,
		Output: render.CheckOutput{Title: "Review in progress", Summary: render.CheckStarted(head)},
	}
	if c.queued != 0 {
		// Its id is known: one update, where finding it would take a call
		// too.
		err := c.runs.UpdateCheckRun(ctx, c.queued, started)
		if c.refused(ctx, err) {
			return nil
		}
		if err == nil {
			c.id = c.queued
			return nil
		}
		zerolog.Ctx(ctx).Warn().Err(err).Int64("check_run", c.queued).Msg("could not start the check run made while the review waited; looking for it")
	}
	found, err := c.runs.FindCheckRun(ctx, head, c.key)
	switch {
	case err == nil && found.ID != 0 && found.Queued:
		// Made while the job waited, by an attempt that stopped before
		// it could record so.
		c.id = found.ID
		if err := c.runs.UpdateCheckRun(ctx, c.id, started); err != nil && !c.refused(ctx, err) {
			// The run stays queued until the review completes it.
			zerolog.Ctx(ctx).Warn().Err(err).Int64("check_run", c.id).Msg("could not start the queued check run; the review goes on")
		}
		return nil
	case err == nil && found.ID != 0 && !found.Completed:
		c.id = found.ID
		return nil
	case err == nil:
		c.id, err = c.runs.CreateCheckRun(ctx, head, c.key, started)
	}
	if c.refused(ctx, err) {
		return nil
	}
	if err != nil {
		// The review goes on; Finish creates the run completed.
		zerolog.Ctx(ctx).Warn().Err(err).Str("sha", head).Msg("could not create the check run; the review goes on")
		c.id = 0
	}
	return nil
}

// Finish completes the run with the review.
func (c *checkRun) Finish(ctx context.Context, rep Report) error {
	if c.off {
		return nil
	}
	conclusion := publish.ConclusionSuccess
	if len(rep.Result.Findings) > 0 {
		conclusion = publish.ConclusionNeutral
		if c.failsOn {
			conclusion = publish.ConclusionSuccess
			if slices.ContainsFunc(rep.Result.Findings, func(f review.Reviewed) bool { return finding.Priority(f.Priority) <= c.failAt }) {
				conclusion = publish.ConclusionFailure
			}
		}
	}
	opt := render.CheckOptions{ReviewURL: rep.ReviewURL, Link: func(path string, line int) string { return c.runs.FileLink(rep.HeadSHA, path, line) }}
	if c.failsOn {
		opt.FailOn = c.failAt.String()
	}
	run := publish.CheckRun{Status: publish.CheckCompleted, Conclusion: conclusion, DetailsURL: rep.ReviewURL, Output: render.Check(rep.Result, opt)}
	return c.complete(ctx, rep.HeadSHA, run)
}

// Fail completes the run, if there is one, with why the review did not
// finish. It never creates a run: a job that failed before it started its
// run (an invalid .codex.yml) has nothing to complete.
func (c *checkRun) Fail(ctx context.Context, cause error) error {
	if c.off || c.completed {
		return nil
	}
	ctx, cancel := completing(ctx)
	defer cancel()
	head := c.heads[0]
	if c.id == 0 {
		for _, h := range c.heads {
			found, err := c.runs.FindCheckRun(ctx, h, c.key)
			if c.refused(ctx, err) {
				return nil
			}
			if err != nil {
				return err
			}
			if found.ID != 0 {
				if found.Completed {
					return nil
				}
				c.id, head = found.ID, h
				break
			}
		}
		if c.id == 0 {
			return nil
		}
	}
	run := publish.CheckRun{Status: publish.CheckCompleted}
	switch {
	case errors.Is(cause, ErrCancelled):
		run.Conclusion, run.Output = publish.ConclusionCancelled, render.CheckOutput{Title: "Review cancelled", Summary: render.CheckStopped(cause.Error())}
	case errors.Is(cause, ErrSuperseded):
		run.Conclusion, run.Output = publish.ConclusionCancelled, render.CheckOutput{Title: "Superseded by a newer commit", Summary: render.CheckStopped(cause.Error())}
	case errors.Is(cause, errPostedUnrecorded):
		run.Conclusion, run.Output = publish.ConclusionNeutral, render.CheckOutput{Title: "Review posted", Summary: render.CheckStopped(
			"The review of this commit is on the pull request; the server stopped before it could complete this check.")}
	default:
		f := Explain(cause, "re-run this check or comment `@codex review`")
		run.Conclusion, run.Output = publish.ConclusionFailure, render.CheckOutput{Title: "Review failed", Summary: render.CheckFailure(f.What, f.Todo)}
	}
	// Already on completing's context: detaching again would restart
	// completeTimeout, and the finding above would go unbounded by it.
	return c.completeOn(ctx, head, run)
}

// complete updates the run, or creates it completed when Start could not,
// on a context the job's cancellation does not end (completing).
func (c *checkRun) complete(ctx context.Context, head string, run publish.CheckRun) error {
	ctx, cancel := completing(ctx)
	defer cancel()
	return c.completeOn(ctx, head, run)
}

// completeOn is complete on ctx as it is, which completing made.
func (c *checkRun) completeOn(ctx context.Context, head string, run publish.CheckRun) error {
	var err error
	if c.id != 0 {
		err = c.runs.UpdateCheckRun(ctx, c.id, run)
	} else {
		c.id, err = c.runs.CreateCheckRun(ctx, head, c.key, run)
	}
	if c.refused(ctx, err) {
		return nil
	}
	if err == nil {
		c.completed = true
	}
	return err
}

// refused reports GitHub's 403 to an installation without the checks
// permission. The first time for an installation it says so in the log;
// reviews go on without a check run.
func (c *checkRun) refused(ctx context.Context, err error) bool {
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || ge.Response == nil || ge.Response.StatusCode != http.StatusForbidden {
		return false
	}
	c.off = true
	if _, warned := c.w.noChecks.LoadOrStore(c.installation, true); !warned {
		zerolog.Ctx(ctx).Warn().Int64("installation", c.installation).Str("github", ge.Message).
			Msg("the installation has not granted the checks: write permission: reviews are posted without a codex-review check run until it accepts the permission in its settings")
	}
	return true
}
