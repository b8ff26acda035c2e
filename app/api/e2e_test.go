package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/queue"
	"github.com/codex-review/codex-review/app/server"
	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// client talks to a running server's API as a caller would.
type client struct {
	t    *testing.T
	base string
	spec *spec
}

// do makes one request. Tests here poll often, which spends the key's
// rate limit (60 a minute, bursts of 20) when the machine is slow; a 429
// waits its Retry-After and tries again, as a client should. The limit
// itself is tested in api_test.go.
func (c *client) do(method, path, body string) answer {
	c.t.Helper()
	for {
		a := c.once(method, path, body)
		if a.status != http.StatusTooManyRequests {
			return a
		}
		secs, err := strconv.Atoi(a.header.Get("Retry-After"))
		if err != nil || secs <= 0 || secs > 60 {
			c.t.Fatalf("429 with Retry-After %q", a.header.Get("Retry-After"))
		}
		time.Sleep(time.Duration(secs) * time.Second)
	}
}

func (c *client) once(method, path, body string) answer {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+keyOne)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	c.spec.check(c.t, method, path, resp.StatusCode, raw)
	return answer{status: resp.StatusCode, header: resp.Header, body: raw}
}

func (c *client) create(body string) string {
	c.t.Helper()
	a := c.do(http.MethodPost, "/v1/codex/reviews", body)
	if a.status != http.StatusAccepted {
		c.t.Fatalf("create: %d %s", a.status, a.body)
	}
	return a.review(c.t).ID
}

// await polls the review until it finishes, checking often and giving up
// after a generous deadline; it never judges how long the review took.
func (c *client) await(id string) reviewJSON {
	c.t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(2 * time.Minute)
	for {
		a := c.do(http.MethodGet, "/v1/codex/reviews/"+id, "")
		r := a.review(c.t)
		switch r.Status {
		case "completed", "failed", "cancelled":
			return r
		}
		select {
		case <-tick.C:
		case <-deadline:
			c.t.Fatalf("review %s still %s after two minutes", id, r.Status)
		}
	}
}

func TestEndToEnd(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		for _, n := range []int{7, 8, 9} {
			w.AddStandardPR(func(pr *githubtest.PR) { pr.Number = n })
		}
		w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
		posted := make(chan string, 8)
		s := &settings.Settings{
			DatabaseURL: databaseURL, AppID: apptest.AppID, PrivateKey: w.Key, WebhookSecret: "webhook-secret-for-tests",
			APIURL: w.GitHub.URL(), WebURL: "https://github.com/", Model: w.ModelConfig(), Trigger: "@codex", Workers: 2,
			APIKeys: []string{keyOne},
		}
		log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
		srv, err := server.New(t.Context(), s, log, server.Options{
			Version: "test", Queue: queue.Config{PollInterval: 20 * time.Millisecond},
			Transport: &apptest.ReviewWatch{Next: http.DefaultTransport, Posted: posted},
		})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		t.Cleanup(func() {
			hs.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := srv.Stop(ctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		})
		c := &client{t: t, base: hs.URL, spec: loadSpec(t)}

		// Before the workers start, a queued review can be cancelled.
		queued := c.create(`{"pull_request_url": "https://github.com/acme/shop/pull/9"}`)
		a := c.do(http.MethodPost, "/v1/codex/reviews/"+queued+"/cancel", "")
		if a.status != http.StatusOK || a.review(t).Status != "cancelled" {
			t.Fatalf("cancel queued: %d %s", a.status, a.body)
		}
		if a := c.do(http.MethodPost, "/v1/codex/reviews/"+queued+"/cancel", ""); a.status != http.StatusConflict {
			t.Errorf("second cancel: %d %s", a.status, a.body)
		}

		if err := srv.Start(t.Context()); err != nil {
			t.Fatal(err)
		}

		// A review that is posted.
		id := c.create(`{"pull_request_url": "https://github.com/acme/shop/pull/7", "focus_areas": ["security"], "instructions": "Mind the SQL."}`)
		select {
		case <-posted:
		case <-time.After(2 * time.Minute):
			t.Fatal("no review was posted")
		}
		got := c.await(id)
		if got.Status != "completed" {
			t.Fatalf("review %s: %+v", id, got)
		}
		reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
		if len(reviews) != 1 || len(reviews[0].Comments) != 1 {
			t.Fatalf("reviews on GitHub: %+v", reviews)
		}
		comment := reviews[0].Comments[0]
		if len(got.Findings) != 1 {
			t.Fatalf("API findings: %+v", got.Findings)
		}
		f := got.Findings[0]
		if f.CodeLocation.AbsoluteFilePath != comment.Path || f.CodeLocation.LineRange.Start != comment.Line ||
			!strings.Contains(comment.Body, strings.TrimPrefix(f.Title, "[P1] ")) {
			t.Errorf("API finding %+v does not match the posted comment %+v", f, comment)
		}
		wantURL := fmt.Sprintf("https://github.com/acme/shop/pull/7#pullrequestreview-%d", reviews[0].ID)
		if got.ReviewURL == nil || *got.ReviewURL != wantURL || got.HeadSHA != apptest.HeadSHA {
			t.Errorf("review_url %v head %s; want %s, %s", got.ReviewURL, got.HeadSHA, wantURL, apptest.HeadSHA)
		}
		if got.Usage == nil || got.Usage.Model != apptest.ModelName || got.Usage.PromptTokens == 0 {
			t.Errorf("usage %+v", got.Usage)
		}

		// A review asked not to post: findings as data, nothing on GitHub.
		quiet := c.create(`{"pull_request_url": "https://github.com/acme/shop/pull/8", "focus_areas": ["security"], "post_review": false}`)
		got = c.await(quiet)
		if got.Status != "completed" || len(got.Findings) != 1 || got.Findings[0].CodeLocation.LineRange.Start != 14 || got.ReviewURL != nil {
			t.Fatalf("post_review=false review: %+v", got)
		}
		if rs, cs := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 8), w.GitHub.Comments(apptest.Owner, apptest.Repo, 8); len(rs) != 0 || len(cs) != 0 {
			t.Errorf("post_review=false posted %d reviews and %d comments", len(rs), len(cs))
		}

		// The cancelled review never ran, and the list shows all three.
		if rs := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 9); len(rs) != 0 {
			t.Errorf("the cancelled review was posted: %+v", rs)
		}
		if r := c.await(queued); r.Status != "cancelled" {
			t.Errorf("cancelled review is now %s", r.Status)
		}
		a = c.do(http.MethodGet, "/v1/codex/reviews?limit=2", "")
		var l struct {
			Data    []reviewJSON `json:"data"`
			HasMore bool         `json:"has_more"`
		}
		decode(t, a.body, &l)
		if len(l.Data) != 2 || l.Data[0].ID != quiet || l.Data[1].ID != id || !l.HasMore {
			t.Errorf("list: %s", a.body)
		}
	})
}

func TestEndToEndFailure(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	// The model endpoint rejects the key: a permanent failure.
	w.Model = modeltest.NewServer(t, func(modeltest.Request) modeltest.Reply {
		return modeltest.Reply{Err: &modeltest.ErrorReply{Status: http.StatusUnauthorized, Message: "Incorrect API key", Type: "invalid_request_error", Code: "invalid_api_key"}}
	})
	s := &settings.Settings{
		DatabaseURL: storetest.SQLiteURL(t), AppID: apptest.AppID, PrivateKey: w.Key, WebhookSecret: "webhook-secret-for-tests",
		APIURL: w.GitHub.URL(), WebURL: "https://github.com/", Model: w.ModelConfig(), Trigger: "@codex", Workers: 1,
		APIKeys: []string{keyOne},
	}
	srv, err := server.New(t.Context(), s, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), server.Options{
		Version: "test", Queue: queue.Config{PollInterval: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, base: hs.URL, spec: loadSpec(t)}
	got := c.await(c.create(`{"pull_request_url": "https://github.com/acme/shop/pull/7", "focus_areas": ["bugs"], "post_review": false}`))
	if got.Status != "failed" || got.Error == nil || got.Error.Code != "model_auth" || !strings.Contains(got.Error.Message, "OPENAI_API_KEY") {
		t.Fatalf("failed review: %+v (%+v)", got, got.Error)
	}
	if cs := w.GitHub.Comments(apptest.Owner, apptest.Repo, 7); len(cs) != 0 {
		t.Errorf("post_review=false still posted a failure comment: %+v", cs)
	}
}
