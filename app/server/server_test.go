package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
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

const (
	secret = "webhook-secret-for-tests"
	apiKey = "api-key-for-tests"
)

type harness struct {
	world  *apptest.World
	srv    *server.Server
	http   *httptest.Server
	posted chan string
	url    string
}

func start(t *testing.T, w *apptest.World, databaseURL string, posted chan string) *harness {
	t.Helper()
	h := startServer(t, w, testSettings(w, databaseURL), &apptest.ReviewWatch{Next: http.DefaultTransport, Posted: posted})
	h.posted = posted
	return h
}

// testSettings are the settings of a server on the fake world.
func testSettings(w *apptest.World, databaseURL string) *settings.Settings {
	return &settings.Settings{
		DatabaseURL: databaseURL, AppID: apptest.AppID, PrivateKey: w.Key, WebhookSecret: secret,
		APIURL: w.GitHub.URL(), WebURL: "https://github.com/", Model: w.ModelConfig(), Trigger: "@codex", Workers: 2, Sandboxes: 1,
		APIKeys: []string{apiKey},
	}
}

// startServer starts a server with settings s whose GitHub requests go
// through transport.
func startServer(t *testing.T, w *apptest.World, s *settings.Settings, transport http.RoundTripper) *harness {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	srv, err := server.New(t.Context(), s, log, server.Options{
		Version:   "test",
		Queue:     queue.Config{PollInterval: 20 * time.Millisecond, BusyWait: 50 * time.Millisecond},
		Transport: transport,
		OnPanic: func(v any, stack []byte) {
			t.Errorf("request handling panicked: %v\n%s", v, stack)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(log.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	h := &harness{world: w, srv: srv, http: hs, url: hs.URL}
	t.Cleanup(func() { h.stop(t) })
	return h
}

func (h *harness) stop(t *testing.T) {
	if h.http == nil {
		return
	}
	h.http.Close()
	h.http = nil
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.srv.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// payload builds a real issue_comment delivery: the fixture, moved onto
// pull request #7 of acme/shop, for a comment that exists on the fake.
func payload(t *testing.T, w *apptest.World, body string) []byte {
	t.Helper()
	c := w.GitHub.AddIssueComment(apptest.Owner, apptest.Repo, githubtest.IssueComment{Number: 7, User: "alice", Body: body})
	raw, err := os.ReadFile("testdata/issue_comment.created.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	issue := m["issue"].(map[string]any)
	issue["number"] = 7
	issue["pull_request"] = map[string]any{"url": "https://api.github.com/repos/acme/shop/pulls/7"}
	comment := m["comment"].(map[string]any)
	comment["id"], comment["body"] = c.ID, body
	comment["user"].(map[string]any)["login"] = "alice"
	repo := m["repository"].(map[string]any)
	repo["full_name"], repo["name"] = "acme/shop", "shop"
	repo["owner"].(map[string]any)["login"] = "acme"
	m["installation"] = map[string]any{"id": apptest.Installation}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sign(body []byte, key string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (h *harness) deliver(t *testing.T, event, delivery string, body []byte, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/api/github/hook", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (h *harness) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(h.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitReview(t *testing.T, posted chan string) {
	t.Helper()
	select {
	case <-posted:
	case <-time.After(60 * time.Second):
		t.Fatal("no review was posted within a minute")
	}
}

func TestWebhookToReview(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
		posted := make(chan string, 8)
		h := start(t, w, databaseURL, posted)

		body := payload(t, w, "Thanks!\n@codex review security")
		if code := h.deliver(t, "issue_comment", "delivery-1", body, sign(body, secret)); code != http.StatusOK {
			t.Fatalf("signed delivery answered %d", code)
		}
		waitReview(t, posted)

		reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
		if len(reviews) != 1 || len(reviews[0].Comments) != 1 || reviews[0].Comments[0].Line != 14 || reviews[0].CommitID != apptest.HeadSHA {
			t.Fatalf("reviews = %+v", reviews)
		}
		var comment githubtest.IssueComment
		for _, c := range w.GitHub.Comments(apptest.Owner, apptest.Repo, 7) {
			comment = c
		}
		if rs := w.GitHub.Reactions(apptest.Owner, apptest.Repo, comment.ID); len(rs) != 1 || rs[0].Content != "eyes" {
			t.Errorf("reactions = %+v", rs)
		}
		if n := len(w.Model.Requests()); n != 1 {
			t.Errorf("%d model calls for `review security`, want 1", n)
		}

		// GitHub redelivers the same delivery: answered, not reviewed again.
		if code := h.deliver(t, "issue_comment", "delivery-1", body, sign(body, secret)); code != http.StatusOK {
			t.Fatalf("redelivery answered %d", code)
		}
		// Bad and missing signatures are refused and enqueue nothing.
		if code := h.deliver(t, "issue_comment", "forged", body, sign(body, "wrong")); code != http.StatusBadRequest {
			t.Errorf("bad signature answered %d", code)
		}
		if code := h.deliver(t, "issue_comment", "unsigned", body, ""); code != http.StatusBadRequest {
			t.Errorf("missing signature answered %d", code)
		}
		big := bytes.Repeat([]byte(" "), server.MaxWebhookBody+1)
		if code := h.deliver(t, "issue_comment", "huge", big, sign(big, secret)); code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized body answered %d", code)
		}

		_, metrics := h.get(t, "/metrics")
		for _, want := range []string{
			`codex_webhooks_total{event="issue_comment",outcome="enqueued"} 1`,
			`codex_webhooks_total{event="issue_comment",outcome="duplicate"} 1`,
			`codex_webhooks_total{event="issue_comment",outcome="rejected"} 2`,
			`codex_review_jobs_total{outcome="done"} 1`,
			`codex_queue_depth 0`,
			`codex_model_tokens_total{kind="cached_prompt"} 900`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		if code, _ := h.get(t, "/healthz"); code != http.StatusOK {
			t.Errorf("healthz %d", code)
		}
		if code, _ := h.get(t, "/readyz"); code != http.StatusOK {
			t.Errorf("readyz %d", code)
		}
		h.stop(t)
		if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 1 {
			t.Errorf("%d reviews after redelivery, want 1", n)
		}
	})
}

func TestRestartPostsEveryAcceptedReviewOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		for n := 7; n <= 9; n++ {
			w.AddStandardPR(func(pr *githubtest.PR) { pr.Number = n })
		}
		// The model holds the first pass until the server is stopped.
		arrived := make(chan struct{}, 16)
		release := make(chan struct{})
		var once sync.Once
		w.Model = modeltest.NewServer(t, func(req modeltest.Request) modeltest.Reply {
			select {
			case arrived <- struct{}{}:
			default:
			}
			<-release
			return modeltest.Reply{Text: `{"findings":[],"overall_correctness":"patch is correct","overall_explanation":"ok","overall_confidence_score":0.5}`}
		})
		t.Cleanup(func() { once.Do(func() { close(release) }) })
		posted := make(chan string, 16)
		h := start(t, w, databaseURL, posted)
		for n := 7; n <= 9; n++ {
			c := w.GitHub.AddIssueComment(apptest.Owner, apptest.Repo, githubtest.IssueComment{Number: n, User: "alice", Body: "@codex review"})
			body := prPayload(t, n, c.ID)
			if code := h.deliver(t, "issue_comment", fmt.Sprint("d", n), body, sign(body, secret)); code != http.StatusOK {
				t.Fatalf("delivery %d answered %d", n, code)
			}
		}
		<-arrived // a review is running (two workers: up to two are)

		// Stop with no time to drain: running reviews are cancelled and
		// stay in the database, queued ones were never taken.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		h.http.Close()
		h.http = nil
		_ = h.srv.Stop(ctx)
		cancel()
		if n := countReviews(w); n != 0 {
			t.Fatalf("%d reviews posted before the restart", n)
		}

		once.Do(func() { close(release) })
		h2 := start(t, w, databaseURL, posted)
		for i := 0; i < 3; i++ {
			waitReview(t, posted)
		}
		h2.stop(t)
		for n := 7; n <= 9; n++ {
			if got := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, n)); got != 1 {
				t.Errorf("PR #%d has %d reviews, want exactly 1", n, got)
			}
		}
	})
}

func countReviews(w *apptest.World) int {
	n := 0
	for pr := 7; pr <= 9; pr++ {
		n += len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, pr))
	}
	return n
}

func prPayload(t testing.TB, number int, commentID int64) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"action":       "created",
		"issue":        map[string]any{"number": number, "pull_request": map[string]any{"url": "x"}},
		"comment":      map[string]any{"id": commentID, "body": "@codex review", "user": map[string]any{"login": "alice", "type": "User"}, "author_association": "OWNER"},
		"repository":   map[string]any{"full_name": "acme/shop", "name": "shop", "owner": map[string]any{"login": "acme"}},
		"installation": map[string]any{"id": apptest.Installation},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNewWaitsOutGitHubAtStart: a 503 and a secondary rate limit on GET /app
// at start are waited out; a key GitHub refuses (401) is a credentials
// error at once.
func TestNewWaitsOutGitHubAtStart(t *testing.T) {
	w := apptest.New(t)
	settingsFor := func(key []byte) *settings.Settings {
		return &settings.Settings{
			DatabaseURL: storetest.SQLiteURL(t), AppID: apptest.AppID, PrivateKey: key, WebhookSecret: secret,
			APIURL: w.GitHub.URL(), WebURL: "https://github.com/", Model: w.ModelConfig(), Trigger: "@codex", Workers: 1,
		}
	}
	countApp := func() int {
		n := 0
		for _, r := range w.GitHub.Requests() {
			if r.Method == http.MethodGet && r.Path == "/app" {
				n++
			}
		}
		return n
	}

	w.GitHub.FailNext(http.MethodGet, "/app", 1, http.StatusServiceUnavailable, nil)
	w.GitHub.FailSecondaryRateLimit(http.MethodGet, "/app", 1, "1")
	srv, err := server.New(t.Context(), settingsFor(w.Key), zerolog.New(zerolog.NewTestWriter(t)), server.Options{Version: "test"})
	if err != nil {
		t.Fatalf("New after a 503 and a rate limit: %v", err)
	}
	if err := srv.Stop(t.Context()); err != nil {
		t.Error(err)
	}
	if n := countApp(); n != 3 {
		t.Errorf("GET /app was asked %d times, want 3", n)
	}

	// Another key than the App's: GitHub answers 401.
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	before := countApp()
	_, err = server.New(t.Context(), settingsFor(otherKey), zerolog.Nop(), server.Options{Version: "test"})
	if err == nil || !strings.Contains(err.Error(), "did not accept the App's credentials") || !strings.Contains(err.Error(), "401") {
		t.Errorf("New with a wrong key: %v, want a credentials error naming the 401", err)
	}
	if n := countApp() - before; n != 1 {
		t.Errorf("a 401 was asked %d times, want once", n)
	}
}
