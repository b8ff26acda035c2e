// Package metrics holds the server's Prometheus metrics: webhooks by event
// and outcome, queue depth, review durations and outcomes, model tokens,
// and GitHub API calls with the rate limit left.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/codex-review/codex-review/review/finding"
)

// Metrics is the server's registry and instruments.
type Metrics struct {
	Registry *prometheus.Registry

	webhooks     *prometheus.CounterVec
	jobs         *prometheus.CounterVec
	jobDuration  prometheus.Histogram
	tokens       *prometheus.CounterVec
	githubCalls  *prometheus.CounterVec
	rateLimitRem *prometheus.GaugeVec
	panics       prometheus.Counter
	feedback     *prometheus.CounterVec
}

// New registers the instruments. depth reports the number of queued
// reviews; it is called at scrape time with a short timeout.
func New(depth func(ctx context.Context) (int, error)) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codex_webhooks_total", Help: "Webhook deliveries by event (the events the app subscribes to, or other) and outcome (enqueued, duplicate, ignored, malformed, error, rejected).",
		}, []string{"event", "outcome"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codex_review_jobs_total", Help: "Review jobs finished, by outcome (done, retry, failed).",
		}, []string{"outcome"}),
		jobDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "codex_review_job_duration_seconds", Help: "Wall time of review job attempts.",
			Buckets: []float64{0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600},
		}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codex_model_tokens_total", Help: "Model tokens used, by kind (prompt, cached_prompt, completion).",
		}, []string{"kind"}),
		githubCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codex_github_api_requests_total", Help: "GitHub API requests by HTTP status code.",
		}, []string{"code"}),
		rateLimitRem: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "codex_github_rate_limit_remaining", Help: "Requests left in GitHub's current rate-limit window, as last reported, by resource.",
		}, []string{"resource"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "codex_http_panics_total", Help: "HTTP requests whose handling panicked (answered 500; a bug to report).",
		}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codex_feedback_total",
			Help: "👍 (+1) and 👎 (-1) reactions added to the app's inline comments, by the finding's area and priority, as read at the pull request's next review.",
		}, []string{"area", "priority", "reaction"}),
	}
	m.Registry.MustRegister(m.webhooks, m.jobs, m.jobDuration, m.tokens, m.githubCalls, m.rateLimitRem, m.panics, m.feedback,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if depth != nil {
		m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "codex_queue_depth", Help: "Review jobs waiting to run (-1 when the database did not answer).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := depth(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// webhookEvents are the event names codex_webhooks_total reports as
// themselves: the app's subscriptions (app.yml) and GitHub's own
// housekeeping events. The header is sent by anyone who can reach the
// endpoint, signed or not, so any other name is counted as "other": a label
// per value would let unsigned requests create series without bound.
var webhookEvents = map[string]bool{
	"issue_comment": true, "pull_request": true, "pull_request_review": true,
	"pull_request_review_comment": true, "pull_request_review_thread": true,
	"check_run": true, "check_suite": true, "ping": true,
	"installation": true, "installation_repositories": true, "github_app_authorization": true,
}

// EventLabel is the event label for a delivery's X-GitHub-Event header.
func EventLabel(event string) string {
	if webhookEvents[event] {
		return event
	}
	return "other"
}

// Webhook counts one delivery; event is the raw header (see EventLabel).
func (m *Metrics) Webhook(event, outcome string) {
	m.webhooks.WithLabelValues(EventLabel(event), outcome).Inc()
}

// Panic counts a request whose handling panicked.
func (m *Metrics) Panic() { m.panics.Inc() }

// Job records one job attempt.
func (m *Metrics) Job(outcome string, d time.Duration) {
	m.jobs.WithLabelValues(outcome).Inc()
	m.jobDuration.Observe(d.Seconds())
}

// Usage adds a review's model tokens.
func (m *Metrics) Usage(u finding.Usage) {
	m.tokens.WithLabelValues("prompt").Add(float64(u.PromptTokens))
	m.tokens.WithLabelValues("cached_prompt").Add(float64(u.CachedPromptTokens))
	m.tokens.WithLabelValues("completion").Add(float64(u.CompletionTokens))
}

// Feedback counts n reactions ("+1" or "-1") added to comments of findings
// of area and priority. Values outside the known sets are counted as
// "unknown", so the series stay few whatever the comments hold.
func (m *Metrics) Feedback(area finding.Area, priority finding.Priority, reaction string, n int) {
	if n <= 0 {
		return
	}
	a, p := "unknown", "unknown"
	if _, err := finding.ParseArea(string(area)); err == nil {
		a = string(area)
	}
	if priority.Valid() {
		p = priority.String()
	}
	if reaction != "+1" && reaction != "-1" {
		reaction = "unknown"
	}
	m.feedback.WithLabelValues(a, p, reaction).Add(float64(n))
}

// GitHubTransport wraps a transport to count GitHub API calls and record
// the rate limit GitHub reports on each answer.
func (m *Metrics) GitHubTransport(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if err != nil {
			m.githubCalls.WithLabelValues("error").Inc()
			return resp, err
		}
		m.githubCalls.WithLabelValues(strconv.Itoa(resp.StatusCode)).Inc()
		if rem := resp.Header.Get("X-RateLimit-Remaining"); rem != "" {
			if n, err := strconv.ParseFloat(rem, 64); err == nil {
				res := resp.Header.Get("X-RateLimit-Resource")
				if res == "" {
					res = "core"
				}
				m.rateLimitRem.WithLabelValues(res).Set(n)
			}
		}
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
