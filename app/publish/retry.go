package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/ghretry"
)

// Retry limits. GitHub asks clients that hit a secondary rate limit to wait
// for the Retry-After header, or at least a minute when there is none
// (docs.github.com, "Rate limits for the REST API"); server errors are
// retried with a short exponential backoff.
const (
	// maxAttempts bounds the calls made for one request, the first included.
	maxAttempts = 4
	// firstBackoff is the wait after the first 5xx or network error; it
	// doubles after each further one.
	firstBackoff = time.Second
	// defaultThrottleWait is used when a secondary rate limit comes without
	// a Retry-After header.
	defaultThrottleWait = time.Minute
	// maxWait is the longest single wait; a longer Retry-After ends the
	// attempt with an error so that the job queue can reschedule instead of
	// holding a worker.
	maxWait = 5 * time.Minute
)

// SleepFunc waits for d or until ctx is done, returning ctx.Err() in the
// latter case.
type SleepFunc func(ctx context.Context, d time.Duration) error

// failure is how a failed call may be retried.
type failure int

const (
	// permanent failures are returned at once (4xx, a cancelled context).
	permanent failure = iota
	// throttled calls were refused unprocessed (secondary rate limit), so
	// repeating them cannot duplicate anything.
	throttled
	// transient failures (5xx, a broken connection) may or may not have
	// taken effect on GitHub's side.
	transient
)

// classify says whether err is worth retrying and how long to wait first;
// attempt is the number of calls made so far (1 after the first).
func classify(err error, attempt int) (failure, time.Duration) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return permanent, 0
	}
	backoff := firstBackoff << (attempt - 1)
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		if abuse.RetryAfter != nil {
			return throttled, max(*abuse.RetryAfter, 0)
		}
		return throttled, defaultThrottleWait
	}
	// The primary limit is the installation's hourly quota: waiting for it
	// inside a job could take an hour, so the caller decides what to do.
	var quota *github.RateLimitError
	if errors.As(err, &quota) {
		return permanent, 0
	}
	var accepted *github.AcceptedError
	if errors.As(err, &accepted) {
		return permanent, 0
	}
	var resp *github.ErrorResponse
	if errors.As(err, &resp) {
		code := 0
		if resp.Response != nil {
			code = resp.Response.StatusCode
		}
		switch {
		case code == http.StatusTooManyRequests,
			code == http.StatusForbidden && strings.Contains(strings.ToLower(resp.Message), "secondary rate limit"):
			return throttled, retryAfter(resp.Response)
		case code >= 500:
			return transient, backoff
		default:
			return permanent, 0
		}
	}
	// Anything else is the transport failing (reset connection, timeout,
	// a truncated answer), which is worth another try.
	return transient, backoff
}

// retryAfter reads the Retry-After header (seconds), defaulting to
// defaultThrottleWait.
func retryAfter(r *http.Response) time.Duration {
	if d, ok := ghretry.RetryAfter(r); ok {
		return d
	}
	return defaultThrottleWait
}

// retrier runs GitHub calls with bounded retries of transient failures.
type retrier struct {
	sleep SleepFunc
}

// retry calls call until it succeeds, fails permanently or maxAttempts is
// reached, waiting between calls as classify says. landed, when not nil,
// is asked before repeating a call that failed transiently whether the
// failed call took effect anyway (GitHub sometimes answers 502 to a request
// it has carried out); if it did, its result is returned instead of
// calling again, so that a retry never posts twice; when that check itself
// fails, retrying stops, since posting blind could post twice.
func retry[T any](ctx context.Context, r retrier, call func(context.Context) (T, error), landed func(context.Context) (T, bool, error)) (T, error) {
	sleep := r.sleep
	if sleep == nil {
		sleep = ghretry.Sleep
	}
	for attempt := 1; ; attempt++ {
		v, err := call(ctx)
		if err == nil {
			return v, nil
		}
		kind, wait := classify(err, attempt)
		if kind == permanent {
			return v, err
		}
		if attempt >= maxAttempts {
			return v, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		if wait > maxWait {
			return v, fmt.Errorf("GitHub asks to wait %s, more than the %s allowed: %w", wait, maxWait, err)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return v, fmt.Errorf("wait %s before retrying: %w", wait, errors.Join(err, serr))
		}
		if kind == transient && landed != nil {
			got, ok, lerr := landed(ctx)
			if lerr != nil {
				return v, fmt.Errorf("check whether the failed request took effect: %w", errors.Join(err, lerr))
			}
			if ok {
				return got, nil
			}
		}
	}
}

// statusCode is the HTTP status of a GitHub error, 0 when there is none.
func statusCode(err error) int {
	var resp *github.ErrorResponse
	if errors.As(err, &resp) && resp.Response != nil {
		return resp.Response.StatusCode
	}
	return 0
}

// errorText joins a GitHub error's message and its detail messages, lower
// case, for matching.
func errorText(err error) string {
	var resp *github.ErrorResponse
	if !errors.As(err, &resp) {
		return ""
	}
	parts := []string{resp.Message}
	for _, e := range resp.Errors {
		parts = append(parts, e.Message, e.Code, e.Field)
	}
	return strings.ToLower(strings.Join(parts, " "))
}

// isUnprocessable reports a 422: GitHub understood the request and refused
// its content.
func isUnprocessable(err error) bool { return statusCode(err) == http.StatusUnprocessableEntity }

// isPendingConflict reports GitHub's 422 "User can only have one pending
// review per pull request": a pending review of the app is left over.
func isPendingConflict(err error) bool {
	return isUnprocessable(err) && strings.Contains(errorText(err), "pending review")
}

// isCommitRefused reports a 422 about the commit_id ("No commit found for
// SHA", "commit_id is not part of the pull request"): the reviewed head is
// gone, and moving comments around cannot fix that.
func isCommitRefused(err error) bool {
	return isUnprocessable(err) && strings.Contains(errorText(err), "commit")
}
