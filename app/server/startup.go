package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/ghretry"
)

// Waits between attempts to reach GitHub at start: doubling from
// startFirstWait up to startMaxWait, unless GitHub says how long to wait
// (Retry-After, or the reset time of an exhausted rate limit), which is
// honoured up to startMaxThrottleWait.
const (
	startFirstWait       = time.Second
	startMaxWait         = time.Minute
	startMaxThrottleWait = 5 * time.Minute
)

// appGetter is the part of go-github's Apps service the start needs.
type appGetter interface {
	Get(ctx context.Context, slug string) (*github.App, *github.Response, error)
}

// startFailure is how a failed GET /app at start is handled.
type startFailure int

const (
	// startRetry: GitHub was unreachable, failed (5xx) or throttled us;
	// asking again later can succeed.
	startRetry startFailure = iota
	// startCredentials: GitHub answered 401 or 404 — the App id, the key or
	// the API URL is wrong.
	startCredentials
	// startRefused: any other answer that another try cannot change (a 403
	// that is not a rate limit, an answer that is not GitHub's JSON).
	startRefused
)

// classifyStart decides what a failed GET /app means and, for retries, how
// long to wait before the next one (attempt counts from 1).
func classifyStart(err error, attempt int) (startFailure, time.Duration) {
	backoff := startFirstWait << min(attempt-1, 10)
	backoff = min(backoff, startMaxWait)
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		if abuse.RetryAfter != nil {
			return startRetry, min(max(*abuse.RetryAfter, startFirstWait), startMaxThrottleWait)
		}
		return startRetry, startMaxWait
	}
	var quota *github.RateLimitError
	if errors.As(err, &quota) {
		return startRetry, min(max(time.Until(quota.Rate.Reset.Time), startFirstWait), startMaxThrottleWait)
	}
	var resp *github.ErrorResponse
	if errors.As(err, &resp) && resp.Response != nil {
		switch code := resp.Response.StatusCode; {
		case code == http.StatusUnauthorized || code == http.StatusNotFound:
			return startCredentials, 0
		case code == http.StatusTooManyRequests:
			return startRetry, retryAfterHeader(resp.Response, backoff)
		case code >= 500:
			return startRetry, max(retryAfterHeader(resp.Response, backoff), backoff)
		default:
			return startRefused, 0
		}
	}
	var netErr net.Error
	var urlErr *url.Error
	if errors.As(err, &netErr) || errors.As(err, &urlErr) {
		return startRetry, backoff
	}
	return startRefused, 0
}

// retryAfterHeader reads a Retry-After header in seconds, capped; def when
// there is none.
func retryAfterHeader(r *http.Response, def time.Duration) time.Duration {
	if d, ok := ghretry.RetryAfter(r); ok {
		return min(d, startMaxThrottleWait)
	}
	return def
}

// getApp asks GitHub for the App (GET /app, with the App's JWT), retrying
// while GitHub is unreachable, failing or throttling, until ctx is done.
// Only 401 and 404 are credentials errors; each failed try is logged at
// warn with its cause and the wait before the next.
func getApp(ctx context.Context, apps appGetter, log zerolog.Logger) (*github.App, error) {
	for attempt := 1; ; attempt++ {
		callCtx, cancel := context.WithTimeout(ctx, githubCallTimeout)
		app, _, err := apps.Get(callCtx, "")
		cancel()
		if err == nil {
			if attempt > 1 {
				log.Info().Int("attempt", attempt).Msg("GitHub answered GET /app")
			}
			return app, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("GET /app: stopped while waiting for GitHub: %w", errors.Join(err, ctx.Err()))
		}
		kind, wait := classifyStart(err, attempt)
		switch kind {
		case startCredentials:
			return nil, fmt.Errorf("GitHub did not accept the App's credentials (check GITHUB_APP_ID, the private key and GITHUB_API_URL): %w", err)
		case startRefused:
			return nil, fmt.Errorf("GitHub refused GET /app (check GITHUB_API_URL and the App's settings): %w", err)
		}
		log.Warn().Err(err).Int("attempt", attempt).Dur("retry_in", wait).Msg("GitHub did not answer GET /app at start; retrying")
		if serr := ghretry.Sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("GET /app: stopped while waiting for GitHub: %w", errors.Join(err, serr))
		}
	}
}
