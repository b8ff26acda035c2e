package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/ghname"
)

// FuzzDecodeCreate feeds arbitrary bodies to the review request decoder:
// it never panics, refuses with a 4xx problem, or accepts a request whose
// pull request names are ones GitHub allows, canonical and on this host.
func FuzzDecodeCreate(f *testing.F) {
	for _, s := range []string{
		`{"pull_request_url": "https://github.com/acme/shop/pull/7"}`,
		`{"pull_request_url": "https://github.com/../installation/pull/1", "focus_areas": ["security"]}`,
		`{"pull_request_url": "https://github.com/a%3F/b/pull/1", "sandbox_config": {"timeout_seconds": 1.5, "image": "x"}}`,
		`{"pull_request_url": "https://github.com/a/b/pull/1", "sandbox_config": {"tests": true, "network": "restricted", "command": "go test ./...", "timeout_seconds": 600}, "instructions": "x", "post_review": false}`,
		`[1]`, ``, `{"sandbox_config": null}`,
	} {
		f.Add(s)
	}
	web, err := parseWebBase("https://github.com/")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/v1/codex/reviews", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		req, pr, p := decodeCreate(httptest.NewRecorder(), r, web)
		if p != nil {
			if p.status < 400 || p.status > 499 {
				t.Fatalf("status %d for a bad body", p.status)
			}
			return
		}
		if !ghname.Owner(pr.owner) || !ghname.Repo(pr.repo) || pr.number <= 0 {
			t.Fatalf("accepted %+v", pr)
		}
		if !strings.HasPrefix(req.PullRequestURL, "https://github.com/") || req.PullRequestURL != pr.url {
			t.Fatalf("URL %q for %+v", req.PullRequestURL, pr)
		}
	})
}
