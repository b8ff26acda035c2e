package publish

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v66/github"

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
func CreateCheckRun(ctx context.Context, gh *github.Client, owner, repo, head, externalID string, run CheckRun) (int64, error) {
	first, rest := batch(run.Output.Annotations)
	opt := github.CreateCheckRunOptions{
		Name:       CheckName,
		HeadSHA:    head,
		ExternalID: github.String(externalID),
		Status:     github.String(run.Status),
		Output:     output(run.Output, first),
	}
	if run.Conclusion != "" {
		opt.Conclusion = github.String(run.Conclusion)
	}
	if run.DetailsURL != "" {
		opt.DetailsURL = github.String(run.DetailsURL)
	}
	// A check run created twice is only a duplicate run, not a second
	// notification: throttling and 5xx are retried without asking whether
	// the failed call took effect.
	cr, err := retry(ctx, retrier{}, func(ctx context.Context) (*github.CheckRun, error) {
		cr, _, err := gh.Checks.CreateCheckRun(ctx, owner, repo, opt)
		return cr, err
	}, nil)
	if err != nil {
		return 0, fmt.Errorf("create the check run on %s in %s/%s: %w", short(head), owner, repo, err)
	}
	if err := appendAnnotations(ctx, gh, owner, repo, cr.GetID(), run.Output, rest); err != nil {
		return cr.GetID(), err
	}
	return cr.GetID(), nil
}

// UpdateCheckRun sets the status, conclusion and output of a check run;
// annotations go in batches of MaxAnnotationsPerRequest.
func UpdateCheckRun(ctx context.Context, gh *github.Client, owner, repo string, id int64, run CheckRun) error {
	first, rest := batch(run.Output.Annotations)
	opt := github.UpdateCheckRunOptions{
		Name:   CheckName,
		Status: github.String(run.Status),
		Output: output(run.Output, first),
	}
	if run.Conclusion != "" {
		opt.Conclusion = github.String(run.Conclusion)
	}
	if run.DetailsURL != "" {
		opt.DetailsURL = github.String(run.DetailsURL)
	}
	if _, err := retry(ctx, retrier{}, func(ctx context.Context) (*github.CheckRun, error) {
		cr, _, err := gh.Checks.UpdateCheckRun(ctx, owner, repo, id, opt)
		return cr, err
	}, nil); err != nil {
		return fmt.Errorf("update check run %d in %s/%s: %w", id, owner, repo, err)
	}
	return appendAnnotations(ctx, gh, owner, repo, id, run.Output, rest)
}

// appendAnnotations sends the annotations after the first batch, each
// batch with the output's title and summary, which an update with output
// must repeat.
func appendAnnotations(ctx context.Context, gh *github.Client, owner, repo string, id int64, out render.CheckOutput, rest []render.Annotation) error {
	for len(rest) > 0 {
		var next []render.Annotation
		next, rest = batch(rest)
		opt := github.UpdateCheckRunOptions{Name: CheckName, Output: output(out, next)}
		// Only throttling is retried: GitHub appends annotations, so a
		// batch repeated after a 5xx it had carried out would show twice,
		// and there is no telling whether it did.
		_, err := retry(ctx, retrier{}, func(ctx context.Context) (*github.CheckRun, error) {
			cr, _, err := gh.Checks.UpdateCheckRun(ctx, owner, repo, id, opt)
			return cr, err
		}, func(context.Context) (*github.CheckRun, bool, error) {
			return nil, false, errMaybeAdded
		})
		if err != nil {
			return fmt.Errorf("add annotations to check run %d in %s/%s: %w", id, owner, repo, err)
		}
	}
	return nil
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
		}
		if a.Title != "" {
			ga.Title = github.String(a.Title)
		}
		out.Annotations = append(out.Annotations, ga)
	}
	return out
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
