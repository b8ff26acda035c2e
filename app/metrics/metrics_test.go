package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review/finding"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	depth := 3
	var depthErr error
	m := New(func(context.Context) (int, error) { return depth, depthErr })
	m.Webhook("issue_comment", "enqueued")
	m.Webhook("issue_comment", "enqueued")
	m.Job("done", 1500*time.Millisecond)
	m.Usage(finding.Usage{PromptTokens: 100, CachedPromptTokens: 60, CompletionTokens: 7})

	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "4321")
		w.Header().Set("X-RateLimit-Resource", "core")
		w.WriteHeader(http.StatusCreated)
	}))
	defer gh.Close()
	client := &http.Client{Transport: m.GitHubTransport(http.DefaultTransport)}
	resp, err := client.Get(gh.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	out := scrape(t, m)
	for _, want := range []string{
		`codex_webhooks_total{event="issue_comment",outcome="enqueued"} 2`,
		`codex_review_jobs_total{outcome="done"} 1`,
		`codex_review_job_duration_seconds_count 1`,
		`codex_model_tokens_total{kind="cached_prompt"} 60`,
		`codex_queue_depth 3`,
		`codex_github_api_requests_total{code="201"} 1`,
		`codex_github_rate_limit_remaining{resource="core"} 4321`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	depthErr = errors.New("database is locked")
	if !strings.Contains(scrape(t, m), "codex_queue_depth -1") {
		t.Error("a failing depth query must show as -1, not as an empty queue")
	}
}

func TestFeedback(t *testing.T) {
	m := New(nil)
	m.Feedback(finding.Security, finding.P1, "+1", 2)
	m.Feedback(finding.Security, finding.P1, "+1", 1)
	m.Feedback(finding.Bugs, finding.P0, "-1", 1)
	m.Feedback("style", finding.Priority(9), "heart", 4)
	m.Feedback(finding.Bugs, finding.P0, "-1", 0)
	out := scrape(t, m)
	for _, want := range []string{
		`codex_feedback_total{area="security",priority="P1",reaction="+1"} 3`,
		`codex_feedback_total{area="bugs",priority="P0",reaction="-1"} 1`,
		`codex_feedback_total{area="unknown",priority="unknown",reaction="unknown"} 4`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
