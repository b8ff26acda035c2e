package reviewer

import (
	"context"
	"errors"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/app/repoconfig"
	"github.com/codex-review/codex-review/review/render"
)

// Waiting acknowledges a review that has to wait because another review
// of its pull request is running (one review of a pull request runs at a
// time, and a review takes minutes): the person who asked sees at once
// that it was seen, not when its turn comes. Only reviews wait (the queue
// leases the pull request for them alone, job.Job.Exclusive); any other
// job is left alone here, and its run acknowledges it moments later.
//
// It does what Run does first, and no more: the requester's write access
// is checked (a refusal gets its 😕 now and finishes the job), the
// requesting comment gets its 👀, and a review whose repository has check
// runs on gets its check run now, queued, saying what it waits for;
// automatic and REST API reviews get only that check run. The job, when it
// runs, takes these over (job.Waited)
// instead of making them again. Each step is safe to repeat: GitHub answers
// a repeated reaction with the existing one, and a check run the job made
// before is found by its request key.
//
// finished reports that the job needs no turn. waited holds what was done
// even when err is not nil; the job's run does the rest.
func (w *Worker) Waiting(ctx context.Context, j job.Job, holder *job.Job) (waited job.Waited, finished bool, err error) {
	if !j.Exclusive() {
		return waited, false, nil
	}
	switch j.Source {
	case job.Comment, job.Thread, job.CheckRun:
	case job.Automatic, job.API:
		// No requester to check and no comment to react to: only the
		// check run. A REST API job queued by an earlier version does not
		// know its settings yet; its run does as it always did.
		if j.LegacyAPI {
			return waited, false, nil
		}
	default:
		return waited, false, nil
	}
	if j.Validate() != nil {
		return waited, false, nil // Run says why
	}
	ctx = zerolog.Ctx(ctx).With().Str("repo", j.Repo).Int("pr", j.PR).Str("trigger", j.Trigger()).Str("delivery", j.Delivery).Logger().WithContext(ctx)
	log := zerolog.Ctx(ctx)
	pr, err := w.Pulls.Open(ctx, j)
	if err != nil {
		return waited, false, err
	}
	t := &task{w: w, j: j, pr: pr}
	if j.Source == job.Automatic || j.Source == job.API {
		waited.CheckRunID, waited.CheckHead, err = t.queueCheck(ctx, holder)
		return waited, false, err
	}
	allowed, err := t.mayTrigger(ctx)
	if err != nil {
		return waited, false, err
	}
	if !allowed {
		log.Info().Str("user", j.Requester).Msg("trigger refused: no write access")
		if j.CommentID != 0 {
			if err := t.react(ctx, "confused"); err != nil {
				return waited, false, err
			}
		}
		return waited, true, nil
	}
	if j.CommentID != 0 {
		if err := t.react(ctx, "eyes"); err != nil {
			return waited, false, err
		}
		waited.Reacted = true
	}
	waited.CheckRunID, waited.CheckHead, err = t.queueCheck(ctx, holder)
	return waited, false, err
}

// queueCheck creates the review's check run, queued, on the pull request's
// head, when the base branch's .codex.yml has check runs on. It returns
// the run and its head; no run (0) when check runs are off, the
// configuration is invalid (the review says so when it runs) or the
// installation refused the app the checks permission.
func (t *task) queueCheck(ctx context.Context, holder *job.Job) (int64, string, error) {
	pr, err := t.pr.PullRequest(ctx)
	if err != nil {
		return 0, "", err
	}
	rules, err := t.rules(ctx, pr)
	if ce := (*repoconfig.Error)(nil); errors.As(err, &ce) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", err
	}
	if !rules.Config.Checks.Enabled {
		return 0, "", nil
	}
	if t.j.Source == job.Automatic && (!pr.Open || !wantsAuto(rules.Config, t.j, pr) || sameHead(holder, t.j, pr.HeadSHA)) {
		// An automatic review that will not run has no check to show. Nor
		// has one waiting for a review of the same head: once that is
		// posted, this one finds the head reviewed and stops, and a check
		// of its own, the head's latest, would stand for that review's.
		return 0, "", nil
	}
	c := &checkRun{w: t.w, runs: t.pr, installation: t.j.Installation, key: t.j.RequestKey, heads: []string{pr.HeadSHA}}
	var busyHead, busyBy string
	if holder != nil {
		busyHead, busyBy = holder.HeadSHA, holder.Requester
	}
	if err := c.Queue(ctx, render.CheckWaiting(pr.HeadSHA, busyHead, busyBy)); err != nil {
		return 0, "", err
	}
	if c.id == 0 {
		return 0, "", nil
	}
	return c.id, pr.HeadSHA, nil
}

// sameHead reports whether holder, the review running while the automatic
// job j waits, most likely reviews head too. A comment's review takes the
// head when it runs, which its job does not record: it is taken for the
// same head unless j is a push's, which came after it.
func sameHead(holder *job.Job, j job.Job, head string) bool {
	if holder == nil || holder.Action != job.Review {
		return false
	}
	if holder.HeadSHA == "" {
		return j.Event != job.Synchronize
	}
	return holder.HeadSHA == head
}

// Queue creates the run queued, with summary as its text, or finds the one
// a previous attempt of the job left open. It creates nothing when GitHub
// refuses the app the checks permission.
func (c *checkRun) Queue(ctx context.Context, summary string) error {
	head := c.heads[0]
	found, err := c.runs.FindCheckRun(ctx, head, c.key)
	if err == nil && found.ID != 0 && !found.Completed {
		c.id = found.ID
		return nil
	}
	if err == nil {
		c.id, err = c.runs.CreateCheckRun(ctx, head, c.key, publish.CheckRun{
			Status: publish.CheckQueued,
			Output: render.CheckOutput{Title: "Waiting for another review to finish", Summary: summary},
		})
	}
	if c.refused(ctx, err) {
		c.id = 0
		return nil
	}
	if err != nil {
		c.id = 0
	}
	return err
}

// takeWaitedCheck settles the check run made while the job waited
// (job.Waited) once the review knows its head and rules: check, the
// review's own run, takes it over when it is on the head under review.
// Otherwise — a push moved the head since, or check runs were turned off
// meanwhile — it is completed as cancelled, saying why, so that it is not
// left queued; a failure to do so is logged, and the review goes on.
func (t *task) takeWaitedCheck(ctx context.Context, check *checkRun, head string) {
	wd := t.j.Waited
	if wd == nil || wd.CheckRunID == 0 {
		return
	}
	if check != nil && wd.CheckHead == head {
		check.queued = wd.CheckRunID
		return
	}
	why := "Check runs were turned off in `.codex.yml` while this review waited; it is posted without one."
	title := "Check runs turned off"
	if wd.CheckHead != head {
		why = "A newer commit was pushed while this review waited; it reviews `" + short(head) + "` instead."
		title = "Superseded by a newer commit"
	}
	t.dropWaitedCheck(ctx, title, why)
}

// dropWaitedCheck completes the check run made while the job waited
// (job.Waited), if any, as cancelled with why: the job ends without a
// review on that run. A failure to do so is logged. Cancelled, not
// neutral: the run is the latest codex-review check of its head, and must
// not pass for a review that found nothing.
func (t *task) dropWaitedCheck(ctx context.Context, title, why string) {
	wd := t.j.Waited
	if wd == nil || wd.CheckRunID == 0 {
		return
	}
	old := &checkRun{w: t.w, runs: t.pr, installation: t.j.Installation, key: t.j.RequestKey, heads: []string{wd.CheckHead}, id: wd.CheckRunID}
	err := old.complete(ctx, wd.CheckHead, publish.CheckRun{Status: publish.CheckCompleted, Conclusion: publish.ConclusionCancelled,
		Output: render.CheckOutput{Title: title, Summary: why}})
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Int64("check_run", wd.CheckRunID).Msg("could not complete the check run made while the review waited")
	}
}
