package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/finding"
)

const (
	// requestKeyPrefix starts the request key of an API review's job; the
	// rest is the review's id.
	requestKeyPrefix = "api:"
	// objectReview and objectList are the "object" of the API's answers.
	objectReview = "codex.review"
	objectList   = "list"
	// Page sizes of GET /v1/codex/reviews.
	defaultLimit = 20
	maxLimit     = 100
	// githubTimeout bounds the GitHub calls a POST makes before answering.
	githubTimeout = 20 * time.Second
)

// reviewObject is a review as the API shows it. The fields of result are
// present once it completed, error once it failed.
type reviewObject struct {
	ID             string         `json:"id"`
	Object         string         `json:"object"`
	Status         store.Status   `json:"status"`
	CreatedAt      int64          `json:"created_at"`
	PullRequestURL string         `json:"pull_request_url"`
	FocusAreas     []finding.Area `json:"focus_areas"`
	PostReview     bool           `json:"post_review"`
	*result
	Error *apiError `json:"error,omitempty"`
}

// result is what a completed review adds, stored as the review's result:
// the §4.1 answer, the reviewed commit, where it was posted, and its cost
// and coverage.
type result struct {
	Findings               []finding.Finding `json:"findings"`
	OverallCorrectness     string            `json:"overall_correctness"`
	OverallExplanation     string            `json:"overall_explanation"`
	OverallConfidenceScore float64           `json:"overall_confidence_score"`
	HeadSHA                string            `json:"head_sha"`
	// ReviewURL is null when nothing was posted (post_review false).
	ReviewURL *string `json:"review_url"`
	Usage     usage   `json:"usage"`
	// Sandbox is the test run's result; null when none was asked for.
	Sandbox  json.RawMessage `json:"sandbox"`
	Coverage budget.Coverage `json:"coverage"`
	// GitHubReviewID is the posted review's id on GitHub; null when
	// nothing was posted.
	GitHubReviewID *int64 `json:"github_review_id"`
	// Feedback is what people said with reactions on the review's inline
	// comments, as last read; null when nothing was posted. It is filled
	// in when the review is read, never stored.
	Feedback *feedback `json:"feedback"`
	// The dependency analysis, when the change touched a dependency file.
	deps.JSONFields
}

type usage struct {
	Model              string `json:"model"`
	PromptTokens       int64  `json:"prompt_tokens"`
	CachedPromptTokens int64  `json:"cached_prompt_tokens"`
	CompletionTokens   int64  `json:"completion_tokens"`
	DurationMS         int64  `json:"duration_ms"`
}

type listObject struct {
	Object  string          `json:"object"`
	Data    []*reviewObject `json:"data"`
	FirstID *string         `json:"first_id"`
	LastID  *string         `json:"last_id"`
	HasMore bool            `json:"has_more"`
}

// create queues a review: the request is checked, the pull request found
// through the app's installation (so a wrong URL fails now, not in the
// worker), and the review recorded and enqueued.
func (a *API) create(w http.ResponseWriter, r *http.Request) (int, any, *problem) {
	ctx := r.Context()
	req, pr, p := decodeCreate(w, r, a.web)
	if p != nil {
		return 0, nil, p
	}
	ghCtx, cancel := context.WithTimeout(ctx, githubTimeout)
	found, err := a.cfg.Resolver.Resolve(ghCtx, pr.owner, pr.repo, pr.number)
	cancel()
	repo := pr.owner + "/" + pr.repo
	switch {
	case errors.Is(err, ErrNotInstalled):
		return 0, nil, newProblem(http.StatusUnprocessableEntity, typeInvalidRequest, "app_not_installed", "pull_request_url",
			fmt.Sprintf("The GitHub App is not installed on %s (or the repository does not exist): install the app on the repository, or add the repository to its installation, then retry.", repo))
	case errors.Is(err, ErrPullRequestNotFound):
		return 0, nil, newProblem(http.StatusNotFound, typeNotFound, "pull_request_not_found", "pull_request_url",
			fmt.Sprintf("%s has no pull request #%d: check the number in pull_request_url.", repo, pr.number))
	case err != nil:
		zerolog.Ctx(ctx).Warn().Err(err).Str("repo", repo).Int("pr", pr.number).Msg("could not read the pull request from GitHub")
		return 0, nil, newProblem(http.StatusBadGateway, typeUpstream, "github_unavailable", "",
			"Could not read the pull request from GitHub, so nothing was queued: "+upstreamMessage(err)+". Retry in a moment.")
	}

	raw, err := json.Marshal(req)
	if err != nil {
		return 0, nil, serverProblem("encode the request", err)
	}
	rev := store.Review{Repo: repo, PRNumber: pr.number, HeadSHA: found.HeadSHA, PullRequestURL: req.PullRequestURL, Request: raw}
	if err := a.cfg.Reviews.Create(ctx, &rev); err != nil {
		return 0, nil, serverProblem("record the review", err)
	}
	log := zerolog.Ctx(ctx).With().Str("review", rev.ID).Str("repo", repo).Int("pr", pr.number).Str("sha", found.HeadSHA).Logger()
	jobID, _, err := a.cfg.Queue.Enqueue(ctx, job.Job{
		Repo: repo, Installation: found.Installation, PR: pr.number, HeadSHA: found.HeadSHA, BaseSHA: found.BaseSHA,
		RequestKey: requestKeyPrefix + rev.ID, Source: job.API, Action: job.Review, Areas: req.FocusAreas,
		Instructions: req.Instructions, Post: req.PostReview, Sandbox: req.SandboxConfig.job(), ReviewID: rev.ID,
	})
	if jobID == 0 {
		// Not queued: the review must not stay "queued" for ever.
		if ferr := a.cfg.Reviews.Fail(context.WithoutCancel(ctx), rev.ID, "enqueue_failed", "The review could not be queued."); ferr != nil {
			log.Error().Err(ferr).Msg("could not mark the unqueued review failed")
		}
		return 0, nil, serverProblem("queue the review", err)
	}
	if err != nil {
		// Queued, but superseding older heads failed; the review stands.
		log.Warn().Err(err).Int64("job", jobID).Msg("review queued; cancelling reviews of older heads failed")
	}
	if err := a.cfg.Reviews.SetJobID(ctx, rev.ID, jobID); err != nil {
		// Cancelling still works without it: the worker drops a review
		// whose row says cancelled.
		log.Warn().Err(err).Int64("job", jobID).Msg("could not record the review's job")
	}
	log.Info().Int64("job", jobID).Msg("API review queued")
	a.prune(ctx)
	obj, err := objectOf(rev)
	if err != nil {
		return 0, nil, serverProblem("read the review", err)
	}
	return http.StatusAccepted, obj, nil
}

func (a *API) get(ctx context.Context, id string) (int, any, *problem) {
	rev, p := a.find(ctx, id)
	if p != nil {
		return 0, nil, p
	}
	obj, err := objectOf(rev)
	if err != nil {
		return 0, nil, serverProblem("read review "+id, err)
	}
	if err := a.addFeedback(ctx, obj); err != nil {
		return 0, nil, serverProblem("read the feedback on review "+id, err)
	}
	return http.StatusOK, obj, nil
}

func (a *API) find(ctx context.Context, id string) (store.Review, *problem) {
	rev, err := a.cfg.Reviews.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return rev, newProblem(http.StatusNotFound, typeNotFound, "review_not_found", "",
			fmt.Sprintf("No review with id %q. Finished reviews are deleted %s after they finish.", id, days(a.cfg.Retention)))
	}
	if err != nil {
		return rev, serverProblem("read review "+id, err)
	}
	return rev, nil
}

// listParams are the query parameters GET /v1/codex/reviews accepts.
var listParams = map[string]bool{"pull_request_url": true, "status": true, "limit": true, "after": true}

func (a *API) list(r *http.Request) (int, any, *problem) {
	q := r.URL.Query()
	for name := range q {
		if !listParams[name] {
			return 0, nil, invalid(name, "unknown_parameter", fmt.Sprintf("Unknown query parameter %q: use pull_request_url, status, limit and after.", name))
		}
	}
	opt := store.ListOptions{Limit: defaultLimit, After: q.Get("after")}
	if u := q.Get("pull_request_url"); u != "" {
		pr, p := a.web.parsePull(u)
		if p != nil {
			return 0, nil, p
		}
		opt.PullRequestURL = pr.url
	}
	if s := q.Get("status"); s != "" {
		opt.Status = store.Status(s)
		if !opt.Status.Valid() {
			return 0, nil, invalid("status", "invalid_value", fmt.Sprintf("Unknown status %q: use queued, running, completed, failed or cancelled.", s))
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return 0, nil, invalid("limit", "invalid_value", fmt.Sprintf("limit must be a whole number from 1 to %d, got %q.", maxLimit, l))
		}
		opt.Limit = n
	}
	// One more than asked tells whether another page follows.
	opt.Limit++
	revs, err := a.cfg.Reviews.List(r.Context(), opt)
	if errors.Is(err, store.ErrBadCursor) {
		return 0, nil, invalid("after", "invalid_cursor", fmt.Sprintf("after %q names no review: pass the last_id of the previous page.", opt.After))
	}
	if err != nil {
		return 0, nil, serverProblem("list reviews", err)
	}
	out := listObject{Object: objectList, Data: []*reviewObject{}}
	if len(revs) == opt.Limit {
		out.HasMore, revs = true, revs[:len(revs)-1]
	}
	for _, rev := range revs {
		obj, err := objectOf(rev)
		if err != nil {
			return 0, nil, serverProblem("read review "+rev.ID, err)
		}
		out.Data = append(out.Data, obj)
	}
	if err := a.addFeedback(r.Context(), out.Data...); err != nil {
		return 0, nil, serverProblem("read the feedback on reviews", err)
	}
	if n := len(out.Data); n > 0 {
		out.FirstID, out.LastID = &out.Data[0].ID, &out.Data[n-1].ID
	}
	return http.StatusOK, out, nil
}

// cancel marks a queued or running review cancelled, then cancels its job:
// in that order, so a worker that starts the job meanwhile finds the
// review cancelled and drops it.
func (a *API) cancel(ctx context.Context, id string) (int, any, *problem) {
	rev, p := a.find(ctx, id)
	if p != nil {
		return 0, nil, p
	}
	err := a.cfg.Reviews.UpdateStatus(ctx, id, store.StatusCancelled, "cancelled through the API")
	if errors.Is(err, store.ErrFinished) {
		if rev, p = a.find(ctx, id); p != nil {
			return 0, nil, p
		}
		return 0, nil, newProblem(http.StatusConflict, typeConflict, "review_finished", "",
			fmt.Sprintf("Review %s is already %s: only queued or running reviews can be cancelled.", id, rev.Status))
	}
	if err != nil {
		return 0, nil, serverProblem("cancel review "+id, err)
	}
	if rev.JobID != 0 {
		if err := a.cfg.Queue.Cancel(ctx, rev.JobID); err != nil && !errors.Is(err, river.ErrNotFound) {
			// The review is cancelled; a job that still runs cannot record
			// a result over that.
			zerolog.Ctx(ctx).Warn().Err(err).Str("review", id).Int64("job", rev.JobID).Msg("could not cancel the review's job")
		}
	}
	if rev, p = a.find(ctx, id); p != nil {
		return 0, nil, p
	}
	obj, err := objectOf(rev)
	if err != nil {
		return 0, nil, serverProblem("read review "+id, err)
	}
	return http.StatusOK, obj, nil
}

// objectOf builds the API's view of a stored review.
func objectOf(rev store.Review) (*reviewObject, error) {
	var req storedRequest
	if err := json.Unmarshal(rev.Request, &req); err != nil {
		return nil, fmt.Errorf("decode the request of review %s: %w", rev.ID, err)
	}
	obj := &reviewObject{
		ID: rev.ID, Object: objectReview, Status: rev.Status, CreatedAt: rev.CreatedAt.Unix(),
		PullRequestURL: rev.PullRequestURL, FocusAreas: req.FocusAreas, PostReview: req.PostReview,
	}
	if obj.FocusAreas == nil {
		obj.FocusAreas = []finding.Area{}
	}
	switch rev.Status {
	case store.StatusCompleted:
		obj.result = &result{}
		if err := json.Unmarshal(rev.Result, obj.result); err != nil {
			return nil, fmt.Errorf("decode the result of review %s: %w", rev.ID, err)
		}
	case store.StatusFailed:
		code := rev.ErrorCode
		if code == "" {
			code = "review_failed"
		}
		obj.Error = &apiError{Message: rev.Error, Type: typeReview, Code: &code}
	}
	return obj, nil
}

// serverProblem is a 500 whose cause is logged by ServeHTTP; the caller
// learns what failed, not the internals.
func serverProblem(what string, err error) *problem {
	p := newProblem(http.StatusInternalServerError, typeServer, "internal_error", "",
		"The server could not "+what+". Retry later; if it keeps failing, its log has details.")
	p.cause = err
	return p
}

// days renders a retention for messages: "30 days", or the duration when it
// is not whole days.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if n := d / (24 * time.Hour); n != 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return d.String()
}
