package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/queue"
	"github.com/codex-review/codex-review/app/server"
	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/app/webhook"
)

// appManifest is the part of a GitHub App manifest the app relies on.
// Decoding is strict, so a misspelt key fails instead of being ignored by
// GitHub.
type appManifest struct {
	Name           string `yaml:"name"`
	URL            string `yaml:"url"`
	Description    string `yaml:"description"`
	HookAttributes struct {
		URL    string `yaml:"url"`
		Active bool   `yaml:"active"`
	} `yaml:"hook_attributes"`
	RedirectURL        string            `yaml:"redirect_url"`
	Public             bool              `yaml:"public"`
	DefaultPermissions map[string]string `yaml:"default_permissions"`
	DefaultEvents      []string          `yaml:"default_events"`
}

func readManifest(t *testing.T) appManifest {
	t.Helper()
	raw, err := os.ReadFile("../../app.yml")
	if err != nil {
		t.Fatal(err)
	}
	var m appManifest
	if err := yaml.UnmarshalWithOptions(raw, &m, yaml.Strict()); err != nil {
		t.Fatalf("app.yml: %v", err)
	}
	return m
}

// permission is one GitHub App permission at a level.
type permission struct{ name, level string }

// apiPermissions maps every GitHub REST call the app makes to the App
// permission GitHub documents for it ("Permissions required for GitHub
// Apps"). Calls made with the App's JWT need none. A call missing here
// fails TestManifestPermissions: add it with its permission, and widen
// app.yml only if the table says so.
var apiPermissions = map[string]permission{
	// The App itself, authenticated with its JWT.
	"GET /app":                    {},
	"GET /app/installations/{id}": {},
	"POST /app/installations/{id}/access_tokens": {},
	"GET /repos/{owner}/{repo}/installation":     {},
	// Pull requests: the PR, its files, earlier reviews; posting the review.
	"GET /repos/{owner}/{repo}/pulls/{number}":                       {"pull_requests", "read"},
	"GET /repos/{owner}/{repo}/pulls/{number}/files":                 {"pull_requests", "read"},
	"GET /repos/{owner}/{repo}/pulls/{number}/comments":              {"pull_requests", "read"},
	"GET /repos/{owner}/{repo}/pulls/{number}/reviews":               {"pull_requests", "read"},
	"GET /repos/{owner}/{repo}/pulls/{number}/reviews/{id}":          {"pull_requests", "read"},
	"GET /repos/{owner}/{repo}/pulls/{number}/reviews/{id}/comments": {"pull_requests", "read"},
	"POST /repos/{owner}/{repo}/pulls/{number}/reviews":              {"pull_requests", "write"},
	"DELETE /repos/{owner}/{repo}/pulls/{number}/reviews/{id}":       {"pull_requests", "write"},
	// Review threads: answers (a reply is a review comment), reactions on
	// review comments (👀, 😕, 👍 receipts; who gave a 👎).
	"POST /repos/{owner}/{repo}/pulls/{number}/comments":       {"pull_requests", "write"},
	"GET /repos/{owner}/{repo}/pulls/comments/{id}/reactions":  {"pull_requests", "read"},
	"POST /repos/{owner}/{repo}/pulls/comments/{id}/reactions": {"pull_requests", "write"},
	// Conversation comments and reactions live on the issue side of a PR.
	"GET /repos/{owner}/{repo}/issues/{number}/comments":        {"issues", "read"},
	"POST /repos/{owner}/{repo}/issues/{number}/comments":       {"issues", "write"},
	"POST /repos/{owner}/{repo}/issues/comments/{id}/reactions": {"issues", "write"},
	// .codex.yml and AGENTS.md from the base branch; the interdiff of a push;
	// the head's files (for the code around the hunks, and the sandbox).
	"GET /repos/{owner}/{repo}/contents/{path...}":    {"contents", "read"},
	"GET /repos/{owner}/{repo}/compare/{basehead...}": {"contents", "read"},
	"GET /repos/{owner}/{repo}/tarball/{ref}":         {"contents", "read"},
	// Whether the commenter may trigger a review.
	"GET /repos/{owner}/{repo}/collaborators/{user}/permission": {"metadata", "read"},
	// The codex-review check run: found again by a retried job, created,
	// completed.
	"GET /repos/{owner}/{repo}/commits/{ref}/check-runs": {"checks", "read"},
	"POST /repos/{owner}/{repo}/check-runs":              {"checks", "write"},
	"PATCH /repos/{owner}/{repo}/check-runs/{id}":        {"checks", "write"},
}

// eventPermissions is the permission without which GitHub does not let an
// App subscribe to an event.
var eventPermissions = map[string]permission{
	"issue_comment":               {"issues", "read"},
	"pull_request":                {"pull_requests", "read"},
	"check_run":                   {"checks", "read"},
	"pull_request_review_comment": {"pull_requests", "read"},
	"pull_request_review_thread":  {"pull_requests", "read"},
}

// levels orders permission levels.
var levels = map[string]int{"read": 1, "write": 2}

func TestManifestFields(t *testing.T) {
	m := readManifest(t)
	if m.Name == "" || m.Description == "" {
		t.Error("the manifest needs a name and a description")
	}
	if m.Public {
		t.Error("the App must be private: each organisation registers its own")
	}
	if !m.HookAttributes.Active {
		t.Error("webhooks are not active")
	}
	for _, c := range []struct{ field, raw, path string }{
		{"url", m.URL, ""},
		{"hook_attributes.url", m.HookAttributes.URL, "/api/github/hook"},
		{"redirect_url", m.RedirectURL, "/setup"},
	} {
		u, err := url.Parse(c.raw)
		if err != nil || u.Scheme != "https" || u.Host == "" || !strings.HasPrefix(u.Path, c.path) {
			t.Errorf("%s = %q, want an https URL under %q", c.field, c.raw, c.path)
		}
	}
	if len(m.DefaultPermissions) == 0 || len(m.DefaultEvents) == 0 {
		t.Fatal("no permissions or events")
	}
	for name, level := range m.DefaultPermissions {
		if levels[level] == 0 {
			t.Errorf("permission %s: level %q, want read or write", name, level)
		}
	}
}

// TestManifestEvents checks that the manifest subscribes to exactly the
// events the webhook handlers take, each with the permission it needs.
func TestManifestEvents(t *testing.T) {
	m := readManifest(t)
	// The handlers server.New registers with the dispatcher.
	handlers := []githubapp.EventHandler{&webhook.IssueComment{}, &webhook.PullRequest{}, &webhook.CheckRun{}, &webhook.ReviewComment{}, &webhook.ReviewThread{}}
	var handled []string
	for _, h := range handlers {
		handled = append(handled, h.Handles()...)
	}
	slices.Sort(handled)
	events := slices.Sorted(slices.Values(m.DefaultEvents))
	if !slices.Equal(events, handled) {
		t.Errorf("default_events = %v, the handlers take %v", events, handled)
	}
	for _, e := range m.DefaultEvents {
		need, ok := eventPermissions[e]
		if !ok {
			t.Errorf("event %s: add the permission it needs to eventPermissions", e)
			continue
		}
		if levels[m.DefaultPermissions[need.name]] < levels[need.level] {
			t.Errorf("event %s needs %s:%s, the manifest grants %q", e, need.name, need.level, m.DefaultPermissions[need.name])
		}
	}
}

// signalWrites reports every write request GitHub answered, so the test
// waits on events rather than time.
type signalWrites struct {
	next  http.RoundTripper
	wrote chan string
}

func (s *signalWrites) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && resp.StatusCode < 300 && !strings.HasPrefix(r.URL.Path, "/app/") {
		s.wrote <- r.URL.Path
	}
	return resp, err
}

// TestManifestPermissions runs the app through its GitHub paths — a review
// asked for by a contributor whose permission must be looked up, and a help
// request — and checks every call it made against the table and the
// manifest: nothing the app calls is missing from app.yml, and app.yml
// grants nothing the app does not use.
func TestManifestPermissions(t *testing.T) {
	m := readManifest(t)
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	w.GitHub.SetPermission(apptest.Owner, apptest.Repo, "carol", "write")

	wrote := make(chan string, 32)
	s := &settings.Settings{
		DatabaseURL: t.TempDir() + "/codex.db", AppID: apptest.AppID, PrivateKey: w.Key, WebhookSecret: secret,
		APIURL: w.GitHub.URL(), WebURL: "https://github.com/", Model: w.ModelConfig(), Trigger: "@codex", Workers: 1,
	}
	srv, err := server.New(t.Context(), s, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), server.Options{
		Version: "test", Queue: queue.Config{PollInterval: 20 * time.Millisecond},
		Transport: &signalWrites{next: http.DefaultTransport, wrote: wrote},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	h := &harness{world: w, srv: srv, http: hs, url: hs.URL}
	t.Cleanup(func() { h.stop(t) })

	waitFor := func(suffix string) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case p := <-wrote:
				if strings.HasSuffix(p, suffix) {
					return
				}
			case <-deadline:
				t.Fatalf("no POST …%s within a minute", suffix)
			}
		}
	}
	comment := func(delivery, user, association, body string) {
		t.Helper()
		c := w.GitHub.AddIssueComment(apptest.Owner, apptest.Repo, githubtest.IssueComment{Number: 7, User: user, Body: body})
		payload, err := json.Marshal(map[string]any{
			"action":       "created",
			"issue":        map[string]any{"number": 7, "pull_request": map[string]any{"url": "x"}},
			"comment":      map[string]any{"id": c.ID, "body": body, "user": map[string]any{"login": user, "type": "User"}, "author_association": association},
			"repository":   map[string]any{"full_name": "acme/shop", "name": "shop", "owner": map[string]any{"login": "acme"}},
			"installation": map[string]any{"id": apptest.Installation},
		})
		if err != nil {
			t.Fatal(err)
		}
		if code := h.deliver(t, "issue_comment", delivery, payload, sign(payload, secret)); code != http.StatusOK {
			t.Fatalf("delivery %s answered %d", delivery, code)
		}
	}
	comment("review", "carol", "CONTRIBUTOR", "@codex review")
	waitFor("/pulls/7/reviews")
	comment("help", "alice", "OWNER", "@codex help")
	waitFor("/issues/7/comments")

	// A question in the thread of the review's finding: 👀 and an answer.
	finding := w.GitHub.ReviewComments(apptest.Owner, apptest.Repo, 7)[0]
	question := w.GitHub.AddReviewComment(apptest.Owner, apptest.Repo, 7, githubtest.ReviewComment{User: "carol", InReplyTo: finding.ID, Body: "@codex why?"})
	event := w.GitHub.ReviewCommentEvent(apptest.Owner, apptest.Repo, question.ID, "created")
	if code := h.deliver(t, "pull_request_review_comment", "question", event, sign(event, secret)); code != http.StatusOK {
		t.Fatalf("question delivery answered %d", code)
	}
	waitFor("/pulls/7/comments")
	// A 👎 and a resolved thread are read by the next review.
	w.GitHub.ReactToReviewComment(apptest.Owner, apptest.Repo, finding.ID, "carol", "-1")
	resolved := w.GitHub.ResolveThread(apptest.Owner, apptest.Repo, finding.ID, "carol", true)
	if code := h.deliver(t, "pull_request_review_thread", "resolved", resolved, sign(resolved, secret)); code != http.StatusOK {
		t.Fatalf("thread delivery answered %d", code)
	}
	comment("again", "carol", "CONTRIBUTOR", "@codex review again")
	waitFor("/pulls/7/reviews")
	h.stop(t)

	// Route each recorded call through the table's patterns. The paths
	// of single review comments (/pulls/comments/{id}/…) overlap the
	// pull request paths (/pulls/{number}/…) in a way ServeMux refuses
	// to register together, so they get a mux of their own.
	mux, commentsMux := http.NewServeMux(), http.NewServeMux()
	for pattern := range apiPermissions {
		if strings.Contains(pattern, "/pulls/comments/") {
			commentsMux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		} else {
			mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		}
	}
	used := map[string]string{} // permission -> highest level used
	calls := map[string]bool{}
	for _, r := range w.GitHub.Requests() {
		req := httptest.NewRequest(r.Method, r.Path, nil)
		_, pattern := mux.Handler(req)
		if strings.Contains(r.Path, "/pulls/comments/") {
			_, pattern = commentsMux.Handler(req)
		}
		need, ok := apiPermissions[pattern]
		if !ok {
			t.Errorf("%s %s: not in apiPermissions; add it with the permission GitHub documents", r.Method, r.Path)
			continue
		}
		calls[pattern] = true
		if need.name != "" && levels[need.level] > levels[used[need.name]] {
			used[need.name] = need.level
		}
	}
	for _, e := range m.DefaultEvents {
		if need := eventPermissions[e]; levels[need.level] > levels[used[need.name]] {
			used[need.name] = need.level
		}
	}
	t.Logf("calls made: %v", slices.Sorted(maps.Keys(calls)))

	for name, level := range used {
		if levels[m.DefaultPermissions[name]] < levels[level] {
			t.Errorf("the app needs %s:%s, app.yml grants %q", name, level, m.DefaultPermissions[name])
		}
	}
	for name, level := range m.DefaultPermissions {
		if levels[used[name]] < levels[level] {
			t.Errorf("app.yml grants %s:%s, the app uses %q: grant the least it needs", name, level, used[name])
		}
	}
	var buf bytes.Buffer
	for _, name := range slices.Sorted(maps.Keys(used)) {
		fmt.Fprintf(&buf, "%s:%s ", name, used[name])
	}
	t.Logf("permissions used: %s", buf.String())
}
