package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/review/budget"
)

// Tracker keeps the records of API reviews in the store as the review
// worker reports their progress (it implements reviewer.Records).
type Tracker struct {
	Reviews *store.Reviews
}

var _ reviewer.Records = Tracker{}

// Record is the reporter of one API review.
func (t Tracker) Record(id string) reviewer.Reporter { return record{t: t, id: id} }

// record reports one review's progress to its row.
type record struct {
	t  Tracker
	id string
}

func (r record) Start(ctx context.Context) error { return r.t.Start(ctx, r.id) }
func (r record) Finish(ctx context.Context, rep reviewer.Report) error {
	return r.t.Complete(ctx, r.id, rep)
}
func (r record) Fail(ctx context.Context, cause error) error { return r.t.Fail(ctx, r.id, cause) }

// Wanted reports reviewer.ErrNotWanted once the review was cancelled (or
// removed), so the worker does not post a review its caller gave up on.
func (r record) Wanted(ctx context.Context) error {
	rev, err := r.t.Reviews.Get(ctx, r.id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("review %s: %w", r.id, reviewer.ErrNotWanted)
	}
	if err != nil {
		return fmt.Errorf("read review %s: %w", r.id, err)
	}
	if rev.Status.Finished() {
		return fmt.Errorf("review %s is %s: %w", r.id, rev.Status, reviewer.ErrNotWanted)
	}
	return nil
}

// Start marks the review running. A review that was cancelled or removed
// before it ran is reviewer.ErrNotWanted.
func (t Tracker) Start(ctx context.Context, id string) error {
	err := t.Reviews.UpdateStatus(ctx, id, store.StatusRunning, "")
	if errors.Is(err, store.ErrFinished) || errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("start review %s: %w", id, reviewer.ErrNotWanted)
	}
	if err != nil {
		return fmt.Errorf("start review %s: %w", id, err)
	}
	return nil
}

// Upgrade fills in the settings of a job queued by an earlier version,
// which kept post_review and sandbox_config only in the review's row (see
// job.Job.LegacyAPI). Other jobs are returned as they are. A job whose row
// is gone may not post: nobody could read what it would post about.
func (t Tracker) Upgrade(ctx context.Context, j job.Job) (job.Job, error) {
	if !j.LegacyAPI {
		return j, nil
	}
	rev, err := t.Reviews.Get(ctx, j.ReviewID)
	if errors.Is(err, store.ErrNotFound) {
		j.LegacyAPI, j.Post = false, false
		return j, nil
	}
	if err != nil {
		return j, fmt.Errorf("read review %s: %w", j.ReviewID, err)
	}
	var req storedRequest
	if err := json.Unmarshal(rev.Request, &req); err != nil {
		return j, fmt.Errorf("decode the request of review %s: %w", j.ReviewID, err)
	}
	j.LegacyAPI, j.Post, j.Sandbox = false, req.PostReview, req.SandboxConfig.job()
	return j, nil
}

// Complete records the result. A review cancelled while it ran stays
// cancelled.
func (t Tracker) Complete(ctx context.Context, id string, rep reviewer.Report) error {
	res := rep.Result
	o := res.Output()
	out := result{
		Findings:               o.Findings,
		OverallCorrectness:     o.OverallCorrectness,
		OverallExplanation:     o.OverallExplanation,
		OverallConfidenceScore: o.OverallConfidenceScore,
		HeadSHA:                rep.HeadSHA,
		Usage: usage{
			Model: res.Usage.Model, PromptTokens: res.Usage.PromptTokens, CachedPromptTokens: res.Usage.CachedPromptTokens,
			CompletionTokens: res.Usage.CompletionTokens, DurationMS: res.Usage.DurationMS,
		},
		Coverage:   res.Coverage,
		JSONFields: res.Dependencies.JSON(),
	}
	if out.Coverage.Skipped == nil {
		out.Coverage.Skipped = []budget.Skip{}
	}
	if rep.ReviewURL != "" {
		out.ReviewURL = &rep.ReviewURL
	}
	if rep.GitHubReviewID != 0 {
		out.GitHubReviewID = &rep.GitHubReviewID
	}
	if res.Sandbox != nil {
		sb, err := json.Marshal(res.Sandbox)
		if err != nil {
			return fmt.Errorf("encode the test run of review %s: %w", id, err)
		}
		out.Sandbox = sb
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode the result of review %s: %w", id, err)
	}
	err = t.Reviews.SetResult(ctx, id, raw)
	if errors.Is(err, store.ErrFinished) || errors.Is(err, store.ErrNotFound) {
		// The caller's cancellation wins over a late result.
		zerolog.Ctx(ctx).Info().Str("review", id).Msg("API review finished after it was cancelled; its result is not recorded")
		return nil
	}
	return err
}

// Fail records why the review failed, in words its caller can act on. A
// review that was cancelled (or removed) meanwhile keeps its state, and
// Fail says so with reviewer.ErrNotWanted.
func (t Tracker) Fail(ctx context.Context, id string, cause error) error {
	f := failure(cause)
	err := t.Reviews.Fail(ctx, id, *f.Code, f.Message)
	if errors.Is(err, store.ErrFinished) || errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("record the failure of review %s: %w", id, reviewer.ErrNotWanted)
	}
	return err
}
