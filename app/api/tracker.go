package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/finding"
)

// Tracker records the progress of API reviews in the store, for the review
// worker (it implements reviewer.Tracker).
type Tracker struct {
	Reviews *store.Reviews
}

var _ reviewer.Tracker = Tracker{}

// Start marks the review running and returns how it was requested.
func (t Tracker) Start(ctx context.Context, id string) (reviewer.APIRequest, error) {
	req, err := t.Request(ctx, id)
	if err != nil {
		return req, err
	}
	err = t.Reviews.UpdateStatus(ctx, id, store.StatusRunning, "")
	if errors.Is(err, store.ErrFinished) || errors.Is(err, store.ErrNotFound) {
		return req, fmt.Errorf("start review %s: %w", id, reviewer.ErrNotWanted)
	}
	if err != nil {
		return req, fmt.Errorf("start review %s: %w", id, err)
	}
	return req, nil
}

// Request returns how the review was requested. A finished or deleted
// review is no longer wanted.
func (t Tracker) Request(ctx context.Context, id string) (reviewer.APIRequest, error) {
	rev, err := t.Reviews.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return reviewer.APIRequest{}, fmt.Errorf("review %s: %w", id, reviewer.ErrNotWanted)
	}
	if err != nil {
		return reviewer.APIRequest{}, err
	}
	if rev.Status.Finished() {
		return reviewer.APIRequest{}, fmt.Errorf("review %s is %s: %w", id, rev.Status, reviewer.ErrNotWanted)
	}
	var req storedRequest
	if err := json.Unmarshal(rev.Request, &req); err != nil {
		return reviewer.APIRequest{}, fmt.Errorf("decode the request of review %s: %w", id, err)
	}
	out := reviewer.APIRequest{PostReview: req.PostReview}
	if s := req.SandboxConfig; s != nil {
		out.Sandbox = &reviewer.SandboxConfig{Tests: s.Tests, Network: s.Network, Command: s.Command, TimeoutSeconds: s.TimeoutSeconds}
	}
	return out, nil
}

// Complete records the result. A review cancelled while it ran stays
// cancelled.
func (t Tracker) Complete(ctx context.Context, id string, res *review.Result, headSHA, reviewURL string) error {
	out := result{
		Findings:               res.Output.Findings,
		OverallCorrectness:     res.Output.OverallCorrectness,
		OverallExplanation:     res.Output.OverallExplanation,
		OverallConfidenceScore: res.Output.OverallConfidenceScore,
		HeadSHA:                headSHA,
		Usage: usage{
			Model: res.Usage.Model, PromptTokens: res.Usage.PromptTokens, CachedPromptTokens: res.Usage.CachedPromptTokens,
			CompletionTokens: res.Usage.CompletionTokens, DurationMS: res.Usage.DurationMS,
		},
		Coverage: res.Coverage,
	}
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if out.Coverage.Skipped == nil {
		out.Coverage.Skipped = []budget.Skip{}
	}
	if reviewURL != "" {
		out.ReviewURL = &reviewURL
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
	return t.settle(ctx, id, t.Reviews.SetResult(ctx, id, raw))
}

// Fail records why the review failed, in words its caller can act on.
func (t Tracker) Fail(ctx context.Context, id string, cause error) error {
	f := failure(cause)
	return t.settle(ctx, id, t.Reviews.Fail(ctx, id, *f.Code, f.Message))
}

// settle ignores the refusal to change a review that was cancelled (or
// pruned) meanwhile: the caller's cancellation wins.
func (t Tracker) settle(ctx context.Context, id string, err error) error {
	if errors.Is(err, store.ErrFinished) || errors.Is(err, store.ErrNotFound) {
		zerolog.Ctx(ctx).Info().Str("review", id).Msg("API review finished after it was cancelled; its outcome is not recorded")
		return nil
	}
	return err
}
