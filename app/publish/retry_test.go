package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"
)

func respErr(code int, msg string, header http.Header) error {
	return &github.ErrorResponse{Response: &http.Response{StatusCode: code, Header: header}, Message: msg}
}

func TestClassify(t *testing.T) {
	wait := 7 * time.Second
	tests := []struct {
		name     string
		err      error
		attempt  int
		wantKind failure
		wantWait time.Duration
	}{
		{"secondary limit with Retry-After", &github.AbuseRateLimitError{RetryAfter: &wait}, 1, throttled, 7 * time.Second},
		{"secondary limit without Retry-After", &github.AbuseRateLimitError{}, 1, throttled, defaultThrottleWait},
		{"wrapped secondary limit", fmt.Errorf("x: %w", &github.AbuseRateLimitError{RetryAfter: &wait}), 2, throttled, 7 * time.Second},
		{"429 with Retry-After", respErr(429, "slow down", http.Header{"Retry-After": {"3"}}), 1, throttled, 3 * time.Second},
		{"429 without Retry-After", respErr(429, "slow down", http.Header{}), 1, throttled, defaultThrottleWait},
		{"403 secondary by message", respErr(403, "You have exceeded a secondary rate limit", http.Header{}), 1, throttled, defaultThrottleWait},
		{"403 forbidden", respErr(403, "Resource not accessible by integration", http.Header{}), 1, permanent, 0},
		{"primary limit", &github.RateLimitError{Message: "API rate limit exceeded"}, 1, permanent, 0},
		{"502 first", respErr(502, "Bad Gateway", nil), 1, transient, time.Second},
		{"503 third", respErr(503, "Unavailable", nil), 3, transient, 4 * time.Second},
		{"422", respErr(422, "Unprocessable Entity", nil), 1, permanent, 0},
		{"404", respErr(404, "Not Found", nil), 1, permanent, 0},
		{"cancelled", fmt.Errorf("post: %w", context.Canceled), 1, permanent, 0},
		{"deadline", context.DeadlineExceeded, 1, permanent, 0},
		{"broken connection", io.ErrUnexpectedEOF, 2, transient, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, wait := classify(tt.err, tt.attempt)
			if kind != tt.wantKind || wait != tt.wantWait {
				t.Errorf("classify = %v, %s; want %v, %s", kind, wait, tt.wantKind, tt.wantWait)
			}
		})
	}
}

func TestIsPendingConflict(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"detail message", &github.ErrorResponse{
			Response: &http.Response{StatusCode: 422}, Message: "Unprocessable Entity",
			Errors: []github.Error{{Message: "User can only have one pending review per pull request"}},
		}, true},
		{"in message", respErr(422, "one pending review per pull request", nil), true},
		{"other 422", respErr(422, "Line could not be resolved", nil), false},
		{"not 422", respErr(500, "pending review", nil), false},
		{"not GitHub", errors.New("pending review"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isPendingConflict(tt.err); got != tt.want {
				t.Errorf("isPendingConflict = %v, want %v", got, tt.want)
			}
		})
	}
}

// recorder is a SleepFunc that records the waits instead of sleeping.
type recorder struct{ waits []time.Duration }

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func TestRetry(t *testing.T) {
	e502 := respErr(502, "Bad Gateway", nil)
	e422 := respErr(422, "Unprocessable Entity", nil)
	wait := 30 * time.Second
	abuse := &github.AbuseRateLimitError{RetryAfter: &wait}
	long := 10 * time.Minute
	tooLong := &github.AbuseRateLimitError{RetryAfter: &long}
	tests := []struct {
		name      string
		errs      []error // answers of successive calls; nil = success
		landed    func(context.Context) (int, bool, error)
		wantCalls int
		wantWaits []time.Duration
		wantErr   error
		wantValue int
	}{
		{"success", []error{nil}, nil, 1, nil, nil, 1},
		{"throttled then success", []error{abuse, nil}, nil, 2, []time.Duration{30 * time.Second}, nil, 2},
		{"5xx backoff", []error{e502, e502, nil}, nil, 3, []time.Duration{time.Second, 2 * time.Second}, nil, 3},
		{"5xx exhausted", []error{e502, e502, e502, e502, nil}, nil, maxAttempts,
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, e502, 0},
		{"permanent at once", []error{e422, nil}, nil, 1, nil, e422, 0},
		{"wait too long", []error{tooLong, nil}, nil, 1, nil, tooLong, 0},
		{"5xx but landed", []error{e502, nil},
			func(context.Context) (int, bool, error) { return 42, true, nil }, 1, []time.Duration{time.Second}, nil, 42},
		{"5xx, not landed, retried", []error{e502, nil},
			func(context.Context) (int, bool, error) { return 0, false, nil }, 2, []time.Duration{time.Second}, nil, 2},
		{"throttled skips the landed check", []error{abuse, nil},
			func(context.Context) (int, bool, error) { return 0, false, errors.New("must not be called") }, 2, []time.Duration{30 * time.Second}, nil, 2},
		{"landed check fails", []error{e502, nil},
			func(context.Context) (int, bool, error) { return 0, false, errors.New("list failed") }, 1, []time.Duration{time.Second}, e502, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			calls := 0
			got, err := retry(context.Background(), retrier{sleep: rec.sleep}, func(context.Context) (int, error) {
				calls++
				if e := tt.errs[calls-1]; e != nil {
					return 0, e
				}
				return calls, nil
			}, tt.landed)
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if !slices.Equal(rec.waits, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", rec.waits, tt.wantWaits)
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got != tt.wantValue {
				t.Errorf("value = %d, want %d", got, tt.wantValue)
			}
		})
	}
}

func TestRetryStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := retry(ctx, retrier{sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}}, func(context.Context) (int, error) {
		calls++
		return 0, respErr(503, "Unavailable", nil)
	}, nil)
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("err = %v after %d calls; want context.Canceled after 1", err, calls)
	}
}
