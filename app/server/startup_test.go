package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"
)

func ghError(status int, header http.Header) error {
	if header == nil {
		header = http.Header{}
	}
	return &github.ErrorResponse{Response: &http.Response{StatusCode: status, Header: header}, Message: http.StatusText(status)}
}

func TestClassifyStart(t *testing.T) {
	retryAfter := 7 * time.Second
	tests := []struct {
		name    string
		err     error
		attempt int
		kind    startFailure
		wait    time.Duration
	}{
		{"bad credentials", ghError(401, nil), 1, startCredentials, 0},
		{"no such app", ghError(404, nil), 1, startCredentials, 0},
		{"bad gateway", ghError(502, nil), 1, startRetry, time.Second},
		{"unavailable, third try", ghError(503, nil), 3, startRetry, 4 * time.Second},
		{"unavailable with Retry-After", ghError(503, http.Header{"Retry-After": {"20"}}), 1, startRetry, 20 * time.Second},
		{"backoff is capped", ghError(500, nil), 30, startRetry, startMaxWait},
		{"too many requests", ghError(429, http.Header{"Retry-After": {"3"}}), 1, startRetry, 3 * time.Second},
		{"secondary rate limit", &github.AbuseRateLimitError{Response: &http.Response{StatusCode: 403}, RetryAfter: &retryAfter}, 1, startRetry, retryAfter},
		{"secondary rate limit without a wait", &github.AbuseRateLimitError{Response: &http.Response{StatusCode: 403}}, 1, startRetry, startMaxWait},
		{"primary rate limit", &github.RateLimitError{Response: &http.Response{StatusCode: 403}, Rate: github.Rate{Reset: github.Timestamp{Time: time.Now().Add(time.Hour)}}}, 1, startRetry, startMaxThrottleWait},
		{"forbidden, not a rate limit", ghError(403, nil), 1, startRefused, 0},
		{"unreachable", fmt.Errorf("get app: %w", &url.Error{Op: "Get", URL: "https://api.github.com/app", Err: errors.New("connection refused")}), 2, startRetry, 2 * time.Second},
		{"not GitHub's JSON", errors.New("invalid character '<' looking for beginning of value"), 1, startRefused, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, wait := classifyStart(tt.err, tt.attempt)
			if kind != tt.kind {
				t.Errorf("kind %d, want %d", kind, tt.kind)
			}
			if tt.kind == startRetry && (wait < tt.wait-time.Second || wait > tt.wait) {
				t.Errorf("wait %s, want %s", wait, tt.wait)
			}
		})
	}
}
