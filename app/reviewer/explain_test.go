package reviewer

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/review/model"
)

// TestExplainNamesWhatFailed: the failure comment says whether GitHub was
// unavailable, refused the app, or the model failed — a 502 on a read is
// not blamed on the installation's permissions.
func TestExplainNamesWhatFailed(t *testing.T) {
	resp := func(status int, method, path string) *http.Response {
		return &http.Response{StatusCode: status, Request: &http.Request{Method: method, URL: &url.URL{Path: path}}}
	}
	wait := time.Minute
	tests := []struct {
		name      string
		err       error
		code      string
		what, not []string
	}{
		{
			name: "a read GitHub kept failing",
			err:  fmt.Errorf("list pull request files: %w", &github.ErrorResponse{Response: resp(502, "GET", "/repos/acme/shop/pulls/7/files"), Message: "Server Error"}),
			code: "github_unavailable", what: []string{"GitHub was unavailable", "502", "GET /repos/acme/shop/pulls/7/files", "temporary"},
			not: []string{"permissions"},
		},
		{
			name: "GitHub unreachable",
			err:  fmt.Errorf("get pull request: %w", &url.Error{Op: "Get", URL: "https://api.github.com/repos/acme/shop/pulls/7", Err: errors.New("connection reset by peer")}),
			code: "github_unavailable", what: []string{"could not be reached", "connection reset"}, not: []string{"permissions"},
		},
		{
			name: "secondary rate limit",
			err:  &github.AbuseRateLimitError{Response: resp(403, "GET", "/repos/acme/shop/contents/.codex.yml"), Message: "You have exceeded a secondary rate limit", RetryAfter: &wait},
			code: "github_rate_limited", what: []string{"rate-limited"}, not: []string{"permissions"},
		},
		{
			name: "permission denied",
			err:  fmt.Errorf("read .codex.yml: %w", &github.ErrorResponse{Response: resp(403, "GET", "/repos/acme/shop/contents/.codex.yml"), Message: "Resource not accessible by integration"}),
			code: "github_error", what: []string{"GitHub refused GET /repos/acme/shop/contents/.codex.yml with 403", "Resource not accessible", "permissions"},
		},
		{
			name: "the model",
			err:  fmt.Errorf("security pass: %w", &model.Error{Kind: model.KindUnavailable, Message: "upstream timed out"}),
			code: "model_unavailable", what: []string{"model endpoint failed", "upstream timed out"}, not: []string{"GitHub"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Explain(tt.err, "comment `@codex review`")
			text := f.What + "\n" + f.Todo
			if f.Code != tt.code {
				t.Errorf("code %q, want %q", f.Code, tt.code)
			}
			for _, w := range tt.what {
				if !strings.Contains(text, w) {
					t.Errorf("%q does not say %q", text, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("%q mentions %q", text, n)
				}
			}
		})
	}
}
