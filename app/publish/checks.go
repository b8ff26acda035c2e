package publish

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v66/github"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/review/render"
)

// CheckName is the name of the app's check run, the one branch protection
// can require.
const CheckName = "codex-review"

// MaxAnnotationsPerRequest is how many annotations GitHub accepts in one
// create or update of a check run ("Create a check run": "limits the
// number of annotations to a maximum of 50 per API request"); further
// updates append more.
const MaxAnnotationsPerRequest = 50

// Check run statuses and the conclusions the app sets.
const (
	CheckQueued     = "queued"
	CheckInProgress = "in_progress"
	CheckCompleted  = "completed"

	ConclusionSuccess   = "success"
	ConclusionNeutral   = "neutral"
	ConclusionFailure   = "failure"
	ConclusionCancelled = "cancelled"
)

// CheckRun is what the app shows in its check run.
type CheckRun struct {
	// Status is CheckQueued, CheckInProgress or CheckCompleted; a
	// completed run has a Conclusion.
	Status     string
	Conclusion string
	// DetailsURL links the posted review; empty for none.
	DetailsURL string
	Output     render.CheckOutput
}

// FoundCheckRun is a check run the app made before.
type FoundCheckRun struct {
	ID        int64
	Completed bool
	// Queued is set while the run waits for its review to start.
	Queued bool
}

// FindCheckRun returns the app's newest check run on head whose external
// id is externalID (the job's request key); ID is 0 when there is none. A
// retried or rescued job finds the run it created before.
func FindCheckRun(ctx context.Context, gh *github.Client, owner, repo, head, externalID string) (FoundCheckRun, error) {
	opt := &github.ListCheckRunsOptions{CheckName: github.String(CheckName), Filter: github.String("all"), ListOptions: github.ListOptions{PerPage: 100}}
	for {
		// Not retried here: the client's transport (app/ghretry) retries
		// reads.
		runs, resp, err := gh.Checks.ListCheckRunsForRef(ctx, owner, repo, head, opt)
		if err != nil {
			return FoundCheckRun{}, fmt.Errorf("list the check runs of %s in %s/%s: %w", short(head), owner, repo, err)
		}
		// Newest first: the first match is the latest run of the request.
		for _, cr := range runs.CheckRuns {
			if cr.GetExternalID() == externalID {
				return FoundCheckRun{ID: cr.GetID(), Completed: cr.GetStatus() == CheckCompleted, Queued: cr.GetStatus() == CheckQueued}, nil
			}
		}
		if resp.NextPage == 0 || resp.NextPage <= opt.Page {
			return FoundCheckRun{}, nil
		}
		opt.Page = resp.NextPage
	}
}

// CreateCheckRun creates the app's check run on head and returns its id.
// Annotations beyond the first MaxAnnotationsPerRequest follow in updates.
// Annotations GitHub refuses (422) are left out: the run is created with
// its status, conclusion and summary all the same (see refusedAnnotations).
func CreateCheckRun(ctx context.Context, gh *github.Client, owner, repo, head, externalID string, run CheckRun) (int64, error) {
	first, rest := batch(run.Output.Annotations)
	opt := github.CreateCheckRunOptions{
		Name:       CheckName,
		HeadSHA:    head,
		ExternalID: github.String(externalID),
		Status:     github.String(run.Status),
		Conclusion: nonEmpty(run.Conclusion),
		DetailsURL: nonEmpty(run.DetailsURL),
		Output:     output(run.Output, first),
	}
	// A check run created twice is only a duplicate run, not a second
	// notification: throttling and 5xx are retried without asking whether
	// the failed call took effect.
	create := func() (*github.CheckRun, error) {
		return retry(ctx, retrier{}, func(ctx context.Context) (*github.CheckRun, error) {
			cr, _, err := gh.Checks.CreateCheckRun(ctx, owner, repo, opt)
			return cr, err
		}, nil)
	}
	cr, err := create()
	if err != nil && isUnprocessable(err) && len(first) > 0 {
		// One annotation GitHub will not take refuses the whole request,
		// status and conclusion included. Without annotations it is
		// created as it should be; the annotations then follow alone, and
		// only the refused ones are left out.
		opt.Output = output(run.Output, nil)
		if again, err2 := create(); err2 == nil {
			cr, err, rest = again, nil, run.Output.Annotations
		}
	}
	if err != nil {
		return 0, fmt.Errorf("create the check run on %s in %s/%s: %w", short(head), owner, repo, err)
	}
	if err := appendAnnotations(ctx, gh, owner, repo, cr.GetID(), run.Output, rest); err != nil {
		return cr.GetID(), err
	}
	return cr.GetID(), nil
}

// UpdateCheckRun sets the status, conclusion and output of a check run;
// annotations go in batches of MaxAnnotationsPerRequest. Annotations
// GitHub refuses (422) are left out, as in CreateCheckRun.
func UpdateCheckRun(ctx context.Context, gh *github.Client, owner, repo string, id int64, run CheckRun) error {
	first, rest := batch(run.Output.Annotations)
	opt := github.UpdateCheckRunOptions{
		Name:       CheckName,
		Status:     github.String(run.Status),
		Conclusion: nonEmpty(run.Conclusion),
		DetailsURL: nonEmpty(run.DetailsURL),
		Output:     output(run.Output, first),
	}
	update := func() error {
		_, err := retry(ctx, retrier{}, func(ctx context.Context) (*github.CheckRun, error) {
			cr, _, err := gh.Checks.UpdateCheckRun(ctx, owner, repo, id, opt)
			return cr, err
		}, nil)
		return err
	}
	err := update()
	if err != nil && isUnprocessable(err) && len(first) > 0 {
		// As in CreateCheckRun: a refused annotation must not leave the
		// run in progress.
		opt.Output = output(run.Output, nil)
		if update() == nil {
			err, rest = nil, run.Output.Annotations
		}
	}
	if err != nil {
		return fmt.Errorf("update check run %d in %s/%s: %w", id, owner, repo, err)
	}
	return appendAnnotations(ctx, gh, owner, repo, id, run.Output, rest)
}

// maxAnnotationProbes bounds the requests spent, for one check run, on
// finding which annotations of refused batches GitHub refuses (about
// 2·log2(50) for each refused one: a handful of bad paths); the rest
// of a batch still unsettled then is counted as refused.
const maxAnnotationProbes = 40

// appendAnnotations sends the annotations after the first batch, each
// batch with the output's title and summary, which an update with output
// must repeat. A batch GitHub refuses (422: a path it does not know, a
// line range it rejects) is split in halves until the refused annotations
// are found, and sent without them: GitHub validates a request before it
// appends anything, so a refused one added nothing. When some were left
// out, a last update says how many in the output's text, and one warning
// is logged.
func appendAnnotations(ctx context.Context, gh *github.Client, owner, repo string, id int64, out render.CheckOutput, rest []render.Annotation) error {
	// All of the run's annotations, the first batch's too: the note
	// counts what the run lacks of all it was to have.
	total := len(out.Annotations)
	a := annotator{ctx: ctx, gh: gh, owner: owner, repo: repo, id: id, out: out, probes: maxAnnotationProbes}
	for len(rest) > 0 {
		var next []render.Annotation
		next, rest = batch(rest)
		if err := a.send(next); err != nil {
			return fmt.Errorf("add annotations to check run %d in %s/%s: %w", id, owner, repo, err)
		}
	}
	if a.refused == 0 {
		return nil
	}
	note := fmt.Sprintf("%d of %d annotations could not be attached: GitHub refused them.", a.refused, total)
	if total == 1 {
		note = "The annotation could not be attached: GitHub refused it."
	}
	o := output(out, nil)
	o.Text = github.String(note)
	_, err := retry(ctx, retrier{}, func(ctx context.Context) (*github.CheckRun, error) {
		cr, _, err := gh.Checks.UpdateCheckRun(ctx, owner, repo, id, github.UpdateCheckRunOptions{Name: CheckName, Output: o})
		return cr, err
	}, nil)
	ev := zerolog.Ctx(ctx).Warn().Int64("check_run", id).Int("refused", a.refused).Int("annotations", total).Str("github", errorText(a.first))
	if err != nil {
		ev = ev.AnErr("note_err", err)
	}
	ev.Msg("GitHub refused annotations of the check run; it is complete without them")
	return nil
}

// annotator adds batches of annotations to one check run.
type annotator struct {
	ctx         context.Context
	gh          *github.Client
	owner, repo string
	id          int64
	out         render.CheckOutput
	// probes is what is left of maxAnnotationProbes.
	probes int
	// refused counts the annotations left out; first is GitHub's first
	// refusal, for the log.
	refused int
	first   error
}

// send adds as, leaving out what GitHub refuses.
func (a *annotator) send(as []render.Annotation) error {
	opt := github.UpdateCheckRunOptions{Name: CheckName, Output: output(a.out, as)}
	// Only throttling is retried: GitHub appends annotations, so a
	// batch repeated after a 5xx it had carried out would show twice,
	// and there is no telling whether it did.
	_, err := retry(a.ctx, retrier{}, func(ctx context.Context) (*github.CheckRun, error) {
		cr, _, err := a.gh.Checks.UpdateCheckRun(ctx, a.owner, a.repo, a.id, opt)
		return cr, err
	}, func(context.Context) (*github.CheckRun, bool, error) {
		return nil, false, errMaybeAdded
	})
	if err == nil || !isUnprocessable(err) {
		return err
	}
	if a.first == nil {
		a.first = err
	}
	if len(as) == 1 || a.probes < 2 {
		a.refused += len(as)
		return nil
	}
	a.probes -= 2
	mid := len(as) / 2
	if err := a.send(as[:mid]); err != nil {
		return err
	}
	return a.send(as[mid:])
}

// errMaybeAdded stops the retry of an annotation batch that failed in a
// way that may have added it.
var errMaybeAdded = errors.New("the annotations may have been added; not sent again")

// batch splits off the annotations of one request.
func batch(as []render.Annotation) (first, rest []render.Annotation) {
	if len(as) <= MaxAnnotationsPerRequest {
		return as, nil
	}
	return as[:MaxAnnotationsPerRequest], as[MaxAnnotationsPerRequest:]
}

func output(o render.CheckOutput, as []render.Annotation) *github.CheckRunOutput {
	out := &github.CheckRunOutput{Title: github.String(o.Title), Summary: github.String(o.Summary)}
	for _, a := range as {
		ga := &github.CheckRunAnnotation{
			Path: github.String(a.Path), StartLine: github.Int(a.StartLine), EndLine: github.Int(a.EndLine),
			AnnotationLevel: github.String(a.Level), Message: github.String(a.Message),
			Title: nonEmpty(a.Title),
		}
		out.Annotations = append(out.Annotations, ga)
	}
	return out
}

// nonEmpty is s as an optional field: nil when empty, so that GitHub is
// not sent an empty conclusion, details URL or title.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
