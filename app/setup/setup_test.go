package setup_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/server"
	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/app/setup"
)

// syncBuffer collects log lines written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clock is a settable time source for state expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type harness struct {
	gh    *fakeGitHub
	setup *setup.Setup
	http  *httptest.Server
	dir   string
	logs  *syncBuffer
	clock *clock
	ready error
}

// startFunc builds what serves after setup.
type startFunc func(t *testing.T, h *harness) func(context.Context, settings.AppCredentials) (http.Handler, error)

// stubApp stands in for the App server where the test is about the flow.
func stubApp(*testing.T, *harness) func(context.Context, settings.AppCredentials) (http.Handler, error) {
	return func(context.Context, settings.AppCredentials) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		}), nil
	}
}

// realApp starts the App server the way `codex-review serve` does: the
// settings are loaded again, now with the saved file.
func realApp(t *testing.T, h *harness) func(context.Context, settings.AppCredentials) (http.Handler, error) {
	return func(ctx context.Context, _ settings.AppCredentials) (http.Handler, error) {
		env := map[string]string{
			"CODEX_DATA_DIR": h.dir, "CODEX_DATABASE_URL": filepath.Join(h.dir, "codex-review.db"),
			"GITHUB_API_URL": h.gh.URL(), "GITHUB_WEB_URL": h.gh.URL(), "OPENAI_API_KEY": "sk-test",
		}
		s, err := settings.Load(func(k string) string { return env[k] })
		if err != nil {
			return nil, err
		}
		if !s.AppConfigured() {
			return nil, errors.New("the saved App was not loaded")
		}
		log := zerolog.New(h.logs)
		srv, err := server.New(context.WithoutCancel(ctx), s, log, server.Options{Version: "test"})
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() {
			if err := srv.Stop(context.Background()); err != nil {
				t.Error(err)
			}
		})
		return srv.Handler(), nil
	}
}

func newHarness(t *testing.T, start startFunc, edit func(*setup.Config)) *harness {
	t.Helper()
	h := &harness{gh: newFakeGitHub(t), dir: t.TempDir(), logs: &syncBuffer{}, clock: &clock{now: time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)}}
	cfg := setup.Config{
		APIURL: h.gh.URL(), WebURL: h.gh.URL(), DataDir: h.dir,
		Ready: func(context.Context) error { return h.ready },
		Start: start(t, h),
		Log:   zerolog.New(h.logs),
		Now:   h.clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	var err error
	h.setup, err = setup.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.http = httptest.NewServer(h.setup)
	t.Cleanup(h.http.Close)
	t.Cleanup(func() {
		for _, secret := range []string{fakeWebhookSecret, fakeClientSecret, string(h.gh.key[40:90])} {
			if strings.Contains(h.logs.String(), secret) {
				t.Errorf("a secret reached the logs:\n%s", h.logs.String())
			}
		}
	})
	return h
}

func (h *harness) get(t *testing.T, path string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

var (
	actionRE   = regexp.MustCompile(`<form id="create" method="post" action="([^"]+)">`)
	manifestRE = regexp.MustCompile(`<input type="hidden" name="manifest" value="([^"]*)">`)
)

// page is the setup form as a browser would submit it.
type page struct {
	action   string
	state    string
	manifest setup.Manifest
	raw      string
}

func parsePage(t *testing.T, body string) page {
	t.Helper()
	a, m := actionRE.FindStringSubmatch(body), manifestRE.FindStringSubmatch(body)
	if a == nil || m == nil {
		t.Fatalf("no create form on the page:\n%s", body)
	}
	p := page{action: html.UnescapeString(a[1]), raw: html.UnescapeString(m[1])}
	dec := json.NewDecoder(strings.NewReader(p.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p.manifest); err != nil {
		t.Fatalf("manifest %q: %v", p.raw, err)
	}
	u, err := url.Parse(p.action)
	if err != nil {
		t.Fatal(err)
	}
	p.state = u.Query().Get("state")
	return p
}

// submit posts the form to GitHub and follows GitHub's redirect back.
func (p page) submit(t *testing.T) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.action, strings.NewReader(url.Values{"manifest": {p.raw}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func TestSetupPage(t *testing.T) {
	perms := map[string]string{"pull_requests": "write", "issues": "write", "contents": "read", "metadata": "read", "checks": "write"}
	tests := []struct {
		name       string
		public     string
		query      string
		header     http.Header
		wantStatus int
		wantBase   string // the public URL the manifest must carry; "" = the test server's
		wantAction string // path of the form's action on GitHub
		wantName   string
		wantText   []string
	}{
		{name: "personal account", wantStatus: 200, wantAction: "/settings/apps/new", wantName: "codex-review",
			wantText: []string{"your personal account", "GitHub cannot deliver webhooks to"}},
		{name: "organisation and name", query: "?org=acme-corp&name=acme+review", wantStatus: 200,
			wantAction: "/organizations/acme-corp/settings/apps/new", wantName: "acme review", wantText: []string{"the organisation <code>acme-corp</code>"}},
		{name: "behind a TLS proxy", header: http.Header{"X-Forwarded-Proto": {"https"}}, wantStatus: 200,
			wantBase: "https://HOST/", wantAction: "/settings/apps/new", wantName: "codex-review"},
		{name: "public URL setting wins", public: "https://codex.example.com/", header: http.Header{"X-Forwarded-Proto": {"http"}}, wantStatus: 200,
			wantBase: "https://codex.example.com/", wantAction: "/settings/apps/new", wantName: "codex-review"},
		{name: "bad organisation", query: "?org=a/../b", wantStatus: 400, wantText: []string{"not a GitHub organisation login"}},
		{name: "name too long", query: "?name=" + strings.Repeat("x", 35), wantStatus: 400, wantText: []string{"at most 34 characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, stubApp, func(c *setup.Config) { c.PublicURL = tt.public })
			status, body := h.get(t, "/setup"+tt.query, tt.header)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d:\n%s", status, tt.wantStatus, body)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q:\n%s", w, body)
				}
			}
			if status != http.StatusOK {
				return
			}
			p := parsePage(t, body)
			base := h.http.URL + "/"
			if tt.wantBase != "" {
				base = strings.Replace(tt.wantBase, "HOST", strings.TrimPrefix(h.http.URL, "http://"), 1)
			}
			want := setup.Manifest{
				Name: tt.wantName, URL: base, Description: setup.AppManifest.Description,
				HookAttributes: setup.HookAttributes{URL: base + "api/github/hook", Active: true},
				RedirectURL:    base + "setup/callback", Public: false,
				DefaultPermissions: perms, DefaultEvents: []string{"issue_comment", "pull_request", "check_run", "pull_request_review_comment", "pull_request_review_thread"},
			}
			got, _ := json.Marshal(p.manifest)
			wantJSON, _ := json.Marshal(want)
			if string(got) != string(wantJSON) {
				t.Errorf("manifest\n got %s\nwant %s", got, wantJSON)
			}
			if !strings.HasPrefix(p.action, h.gh.URL()+strings.TrimPrefix(tt.wantAction, "/")+"?state=") {
				t.Errorf("form action %q, want %s%s?state=…", p.action, h.gh.URL(), tt.wantAction)
			}
			if len(p.state) < 32 {
				t.Errorf("state %q is too short to be unguessable", p.state)
			}
		})
	}
}

func TestSetupPageStatesDiffer(t *testing.T) {
	h := newHarness(t, stubApp, nil)
	_, a := h.get(t, "/setup", nil)
	_, b := h.get(t, "/setup", nil)
	if parsePage(t, a).state == parsePage(t, b).state {
		t.Error("two page views got the same state")
	}
}

func TestCallbackRefusals(t *testing.T) {
	tests := []struct {
		name       string
		callback   func(t *testing.T, h *harness, state string) string // the callback query
		before     func(h *harness)
		wantStatus int
		wantText   string
	}{
		{name: "unknown state", wantStatus: 400, wantText: "does not match a setup page",
			callback: func(_ *testing.T, h *harness, _ string) string { return "code=" + h.gh.issueCode() + "&state=forged" }},
		{name: "no state", wantStatus: 400, wantText: "does not match a setup page",
			callback: func(_ *testing.T, h *harness, _ string) string { return "code=" + h.gh.issueCode() }},
		{name: "expired state", wantStatus: 400, wantText: "more than an hour old",
			before: func(h *harness) { h.clock.Advance(61 * time.Minute) },
			callback: func(_ *testing.T, h *harness, state string) string {
				return "code=" + h.gh.issueCode() + "&state=" + state
			}},
		{name: "no code", wantStatus: 400, wantText: "carries no code",
			callback: func(_ *testing.T, _ *harness, state string) string { return "state=" + state }},
		{name: "code with a path in it", wantStatus: 400, wantText: "carries no code",
			callback: func(_ *testing.T, _ *harness, state string) string { return "code=..%2F..%2Fuser&state=" + state }},
		{name: "code GitHub does not know", wantStatus: 502, wantText: "GitHub answered 404: the code is unknown, already used or expired",
			callback: func(_ *testing.T, _ *harness, state string) string { return "code=nosuchcode&state=" + state }},
		{name: "GitHub refuses the code", wantStatus: 502, wantText: "GitHub answered 422",
			before: func(h *harness) { h.gh.fail(http.StatusUnprocessableEntity) },
			callback: func(_ *testing.T, h *harness, state string) string {
				return "code=" + h.gh.issueCode() + "&state=" + state
			}},
		{name: "GitHub fails", wantStatus: 502, wantText: "GitHub answered 500",
			before: func(h *harness) { h.gh.fail(http.StatusInternalServerError) },
			callback: func(_ *testing.T, h *harness, state string) string {
				return "code=" + h.gh.issueCode() + "&state=" + state
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, stubApp, nil)
			_, body := h.get(t, "/setup", nil)
			state := parsePage(t, body).state
			if tt.before != nil {
				tt.before(h)
			}
			status, body := h.get(t, "/setup/callback?"+tt.callback(t, h, state), nil)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantText) {
				t.Errorf("status %d, want %d with %q:\n%s", status, tt.wantStatus, tt.wantText, body)
			}
			if !strings.Contains(body, `href="/setup"`) {
				t.Error("the error page does not offer to start again")
			}
			if _, err := os.Stat(settings.AppFilePath(h.dir)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused callback wrote the App file: %v", err)
			}
			if status, _ := h.get(t, "/setup", nil); status != http.StatusOK {
				t.Errorf("setup closed after a refused callback: %d", status)
			}
		})
	}
}

func TestStateIsSingleUse(t *testing.T) {
	h := newHarness(t, stubApp, nil)
	_, body := h.get(t, "/setup", nil)
	state := parsePage(t, body).state
	// The first use fails at GitHub, which spends the state all the same.
	if status, _ := h.get(t, "/setup/callback?code=nosuchcode&state="+state, nil); status != http.StatusBadGateway {
		t.Fatalf("first use: %d", status)
	}
	status, body := h.get(t, "/setup/callback?code="+h.gh.issueCode()+"&state="+state, nil)
	if status != http.StatusBadRequest || !strings.Contains(body, "already used") {
		t.Errorf("second use: %d\n%s", status, body)
	}
}

func TestSaveFailureKeepsSetupOpen(t *testing.T) {
	// The data directory is a file: the App cannot be saved.
	blocked := filepath.Join(t.TempDir(), "blocked")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, stubApp, func(c *setup.Config) { c.DataDir = blocked })
	_, body := h2.get(t, "/setup", nil)
	status, body := parsePage(t, body).submit(t)
	if status != http.StatusInternalServerError || !strings.Contains(body, "could not be saved") || !strings.Contains(body, "GITHUB_APP_ID=4101") {
		t.Errorf("status %d:\n%s", status, body)
	}
	if strings.Contains(body, fakeWebhookSecret) || strings.Contains(body, string(h2.gh.key[40:90])) {
		t.Error("the error page shows a secret")
	}
	if status, _ := h2.get(t, "/setup", nil); status != http.StatusOK {
		t.Errorf("setup closed though nothing was saved: %d", status)
	}
}

func TestStartFailureClosesSetup(t *testing.T) {
	failing := func(*testing.T, *harness) func(context.Context, settings.AppCredentials) (http.Handler, error) {
		return func(context.Context, settings.AppCredentials) (http.Handler, error) {
			return nil, errors.New("GitHub did not accept the App's credentials")
		}
	}
	h := newHarness(t, failing, nil)
	_, body := h.get(t, "/setup", nil)
	status, body := parsePage(t, body).submit(t)
	if status != http.StatusInternalServerError || !strings.Contains(body, "Restart codex-review") {
		t.Errorf("status %d:\n%s", status, body)
	}
	if _, err := os.Stat(settings.AppFilePath(h.dir)); err != nil {
		t.Errorf("the App was not saved: %v", err)
	}
	// The App exists on GitHub and is saved: a second one must not be made.
	if status, body := h.get(t, "/setup", nil); status != http.StatusNotFound || !strings.Contains(body, "Setup is closed") {
		t.Errorf("GET /setup after setup: %d\n%s", status, body)
	}
	if status, _ := h.get(t, "/healthz", nil); status != http.StatusOK {
		t.Errorf("healthz: %d", status)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	h := newHarness(t, stubApp, nil)
	if status, body := h.get(t, "/healthz", nil); status != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", status, body)
	}
	if status, _ := h.get(t, "/readyz", nil); status != 200 {
		t.Errorf("readyz with the database up: %d", status)
	}
	h.ready = errors.New("database is locked")
	if status, body := h.get(t, "/readyz", nil); status != http.StatusServiceUnavailable || !strings.Contains(body, "database is locked") {
		t.Errorf("readyz with the database down: %d %q", status, body)
	}
	if status, _ := h.get(t, "/metrics", nil); status != http.StatusNotFound {
		t.Errorf("an App route answered before setup: %d", status)
	}
}

func sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func postHook(t *testing.T, base string, body []byte, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/github/hook", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set("X-GitHub-Delivery", "d-1")
	req.Header.Set("X-Hub-Signature-256", signature)
	status, _ := do(t, req)
	return status
}

// TestSetupHandsOverToTheAppServer runs the whole flow with the real App
// server: the page, GitHub's form and redirect, the exchange, the file, and
// webhooks reaching the App server on the same listener afterwards.
func TestSetupHandsOverToTheAppServer(t *testing.T) {
	h := newHarness(t, realApp, nil)
	ping := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
	if status := postHook(t, h.http.URL, ping, sign(ping, fakeWebhookSecret)); status != http.StatusNotFound {
		t.Fatalf("webhook before setup: %d, want 404", status)
	}

	_, body := h.get(t, "/setup", nil)
	p := parsePage(t, body)
	status, body := p.submit(t)
	if status != http.StatusOK {
		t.Fatalf("callback: %d\n%s", status, body)
	}
	got := h.gh.lastManifest()
	if got.State != p.state || got.Path != "/settings/apps/new" {
		t.Errorf("GitHub got state %q at %s, want %q at /settings/apps/new", got.State, got.Path, p.state)
	}
	for _, w := range []string{"The GitHub App is ready", `href="https://github.example/apps/codex-review-4101/installations/new"`, "codex-review-app.json"} {
		if !strings.Contains(body, w) {
			t.Errorf("success page lacks %q:\n%s", w, body)
		}
	}

	path := settings.AppFilePath(h.dir)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	saved, err := settings.ReadAppFile(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	want := settings.AppCredentials{ID: 4101, Slug: "codex-review-4101", PEM: string(h.gh.key), WebhookSecret: fakeWebhookSecret,
		ClientID: "Iv1.0123456789abcdef", ClientSecret: fakeClientSecret, HTMLURL: "https://github.example/apps/codex-review-4101"}
	if *saved != want {
		t.Errorf("saved %+v", *saved)
	}

	// The App server now answers on the same listener, with the new secret.
	if status := postHook(t, h.http.URL, ping, sign(ping, fakeWebhookSecret)); status != http.StatusOK {
		t.Errorf("signed webhook after setup: %d, want 200 from the App server", status)
	}
	if status := postHook(t, h.http.URL, ping, sign(ping, "wrong")); status != http.StatusBadRequest {
		t.Errorf("badly signed webhook after setup: %d, want 400", status)
	}
	if status, _ := h.get(t, "/metrics", nil); status != http.StatusOK {
		t.Errorf("metrics after setup: %d", status)
	}
	for _, path := range []string{"/setup", "/setup/callback?code=x&state=" + p.state} {
		if status, _ := h.get(t, path, nil); status != http.StatusNotFound {
			t.Errorf("GET %s after setup: %d, want 404", path, status)
		}
	}
	if !strings.Contains(h.logs.String(), `"message":"GitHub App created and saved"`) {
		t.Errorf("no log of the new App:\n%s", h.logs.String())
	}
}

func TestNewChecksConfig(t *testing.T) {
	ok := setup.Config{APIURL: "https://api.github.com/", WebURL: "https://github.com/", DataDir: "/data",
		Ready: func(context.Context) error { return nil }, Start: func(context.Context, settings.AppCredentials) (http.Handler, error) { return nil, nil }}
	tests := []struct {
		name string
		edit func(*setup.Config)
	}{
		{name: "no Start", edit: func(c *setup.Config) { c.Start = nil }},
		{name: "no Ready", edit: func(c *setup.Config) { c.Ready = nil }},
		{name: "no data directory", edit: func(c *setup.Config) { c.DataDir = "" }},
		{name: "API URL without slash", edit: func(c *setup.Config) { c.APIURL = "https://api.github.com" }},
		{name: "web URL without slash", edit: func(c *setup.Config) { c.WebURL = "https://github.com" }},
	}
	if _, err := setup.New(ok); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			if _, err := setup.New(c); err == nil {
				t.Error("no error")
			}
		})
	}
}
