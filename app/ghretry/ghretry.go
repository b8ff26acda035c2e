// Package ghretry retries GitHub API reads that failed for a passing
// reason, at the HTTP transport of the app's GitHub clients, so that every
// read benefits (the pull request, its files, contents, reviews, checks)
// without each caller retrying: one 502 on a files list no longer fails a
// review. Writes are not retried here: a write that GitHub may have carried
// out before failing needs a check of its own before it is repeated
// (app/publish does that).
package ghretry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Limits. GitHub asks clients to wait for Retry-After on a secondary rate
// limit and to back off on server errors (docs.github.com, "Best practices
// for using the REST API"). A wait longer than MaxWait is not waited out
// here: the error reaches the caller, whose job is retried later with a
// longer backoff instead of holding a worker.
const (
	// MaxAttempts bounds the calls made for one read, the first included.
	MaxAttempts = 4
	// FirstWait is the wait after the first failure; it doubles after each
	// further one.
	FirstWait = time.Second
	// MaxWait is the longest wait between two calls.
	MaxWait = 10 * time.Second
	// AttemptTimeout bounds one call, so that a call GitHub never answers
	// leaves time for another.
	AttemptTimeout = 30 * time.Second
)

// Transport retries reads (GET and HEAD) that failed with a network error,
// a 5xx, or a 403/429 that says how long to wait; it bounds every call,
// reads and writes, with AttemptTimeout. Each retried failure is logged at
// warn through the request context's logger.
type Transport struct {
	Next http.RoundTripper
	// Sleep waits between calls; nil waits on a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Middleware wraps next in a Transport (a githubapp.ClientMiddleware).
func Middleware(next http.RoundTripper) http.RoundTripper { return &Transport{Next: next} }

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	read := req.Method == http.MethodGet || req.Method == http.MethodHead
	for attempt := 1; ; attempt++ {
		resp, err := t.once(req)
		if !read || attempt >= MaxAttempts || req.Context().Err() != nil {
			return resp, err
		}
		wait, again := retryable(resp, err, attempt)
		if !again || wait > MaxWait {
			return resp, err
		}
		ev := zerolog.Ctx(req.Context()).Warn().Str("method", req.Method).Str("path", req.URL.Path).
			Int("attempt", attempt).Dur("retry_in", wait)
		if err != nil {
			ev = ev.Err(err)
		} else {
			ev = ev.Int("status", resp.StatusCode)
			// The connection is reused only once the body is read.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		ev.Msg("GitHub read failed; retrying")
		if serr := t.sleep(req.Context(), wait); serr != nil {
			if err == nil {
				err = serr
			}
			return nil, err
		}
	}
}

// once makes one call bounded by AttemptTimeout; the bound holds until
// the body is closed.
func (t *Transport) once(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), AttemptTimeout)
	resp, err := t.Next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return resp, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func (t *Transport) sleep(ctx context.Context, d time.Duration) error {
	if t.Sleep != nil {
		return t.Sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

// Sleep waits for d or until ctx is done, returning ctx.Err() in the
// latter case. It is the wait between attempts of every GitHub retry loop
// of the app (this transport, app/publish, the start in app/server).
func Sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// retryable says whether a failed call is worth another and after how
// long (attempt is the number of calls made).
func retryable(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	backoff := FirstWait << (attempt - 1)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, false
		}
		// A reset connection, a timeout of this attempt, a truncated
		// answer: another call may well succeed.
		return backoff, true
	}
	switch code := resp.StatusCode; {
	case code >= 500:
		if d, ok := RetryAfter(resp); ok {
			return max(d, backoff), true
		}
		return backoff, true
	case code == http.StatusTooManyRequests || code == http.StatusForbidden:
		// A rate limit: only one that says when to come back is waited
		// for here. A 403 without Retry-After is a permission refusal, or
		// a secondary limit GitHub wants waited out for a minute or more;
		// an exhausted primary limit names its reset, often far off.
		if d, ok := RetryAfter(resp); ok {
			return d, true
		}
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				return max(time.Until(time.Unix(reset, 0)), 0), true
			}
		}
		return 0, false
	default:
		return 0, false
	}
}

// RetryAfter reads a Retry-After header given in seconds; false when resp
// is nil or the header is missing, negative or not a number of seconds
// (GitHub sends seconds, never an HTTP date). What to wait instead is the
// caller's policy.
func RetryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	s := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}
