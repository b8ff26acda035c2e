package main

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
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/server"
	"github.com/codex-review/codex-review/app/settings"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// conversionFake answers GitHub's manifest conversion for one code and
// passes every other request to app/githubtest, which then knows the App.
func conversionFake(t *testing.T, code, secret string) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	gh := githubtest.New(t)
	api, _ := url.Parse(gh.URL())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /app-manifests/{code}/conversions", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("code") != code {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		gh.SetApp(321, "codex-review-cli", key)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": 321, "slug": "codex-review-cli", "pem": string(key), "webhook_secret": secret,
			"client_id": "Iv1.cli", "client_secret": "cli-client-secret", "html_url": "https://github.example/apps/codex-review-cli"})
	})
	mux.Handle("/", httputil.NewSingleHostReverseProxy(api))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

var stateRE = regexp.MustCompile(`\?state=([0-9a-f]+)"`)

// TestServeRunsSetupThenTheApp starts `serve` without App credentials: it
// says where to go, serves /setup and the probes, and after the callback
// serves the App's webhooks on the same listener; it stops cleanly.
func TestServeRunsSetupThenTheApp(t *testing.T) {
	const secret = "cli-webhook-secret"
	dir := t.TempDir()
	fake := conversionFake(t, "goodcode", secret)
	vars := map[string]string{
		"OPENAI_API_KEY": "sk-test", "CODEX_DATABASE_URL": filepath.Join(dir, "codex.db"),
		"GITHUB_API_URL": fake, "GITHUB_WEB_URL": fake,
	}
	getenv := env(vars)
	s, err := settings.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if s.AppConfigured() || s.DataDir != dir {
		t.Fatalf("settings: configured %v, data dir %q", s.AppConfigured(), s.DataDir)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serveSetup(ctx, ln, s, getenv, zerolog.New(&logs), server.Options{Version: "test"}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "cli-client-secret") || strings.Contains(logs.String(), "PRIVATE KEY") {
			t.Errorf("a secret reached the logs:\n%s", logs.String())
		}
	})

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if status, body := get(p); status != http.StatusOK {
			t.Errorf("GET %s: %d %s", p, status, body)
		}
	}
	status, page := get("/setup")
	if status != http.StatusOK {
		t.Fatalf("GET /setup: %d", status)
	}
	want := fmt.Sprintf(`"message":"GitHub App not configured: open %s/setup to create it"`, base)
	if !strings.Contains(logs.String(), want) {
		t.Errorf("logs lack %s:\n%s", want, logs.String())
	}
	m := stateRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no state on the page:\n%s", page)
	}
	if status, body := get("/setup/callback?code=goodcode&state=" + m[1]); status != http.StatusOK {
		t.Fatalf("callback: %d\n%s", status, body)
	}

	ping := []byte(`{"zen":"Half measures are as bad as nothing at all."}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(ping)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/github/hook", bytes.NewReader(ping))
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set("X-GitHub-Delivery", "d-cli")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("webhook after setup: %d, want 200 from the App server", resp.StatusCode)
	}
	if status, _ := get("/setup"); status != http.StatusNotFound {
		t.Errorf("GET /setup after setup: %d, want 404", status)
	}
	// A later start finds the App in the data directory.
	again, err := settings.FromEnv(getenv)
	if err != nil {
		t.Fatalf("the next start: %v", err)
	}
	if again.AppID != 321 || again.WebhookSecret != secret {
		t.Errorf("the next start did not load the saved App: id %d", again.AppID)
	}
}

func TestSetupURL(t *testing.T) {
	tests := []struct {
		public, addr, want string
	}{
		{addr: "[::]:8080", want: "http://localhost:8080/setup"},
		{addr: "0.0.0.0:8080", want: "http://localhost:8080/setup"},
		{addr: "127.0.0.1:9000", want: "http://127.0.0.1:9000/setup"},
		{public: "https://codex.example.com/", addr: "[::]:8080", want: "https://codex.example.com/setup"},
	}
	for _, tt := range tests {
		addr, err := net.ResolveTCPAddr("tcp", tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := setupURL(tt.public, addr); got != tt.want {
			t.Errorf("setupURL(%q, %s) = %q, want %q", tt.public, tt.addr, got, tt.want)
		}
	}
}
