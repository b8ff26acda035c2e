package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/palantir/go-githubapp/githubapp"
)

type recordingHandler struct {
	events []string
	calls  []string
	err    error
}

func (h *recordingHandler) Handles() []string { return h.events }

func (h *recordingHandler) Handle(_ context.Context, event, delivery string, payload []byte) error {
	h.calls = append(h.calls, event+" "+delivery+" "+string(payload))
	return h.err
}

// TestHookHandler covers the answers of the webhook endpoint's dispatch:
// the body is read once, checked against its signature (SHA-256, or SHA-1
// from older GitHub Enterprise Servers), taken as JSON or from a form's
// "payload" field, and given to the handler of its event.
func TestHookHandler(t *testing.T) {
	const secret = "s3cret"
	sign := func(body, alg string) (string, string) {
		if alg == "sha1" {
			m := hmac.New(sha1.New, []byte(secret))
			io.WriteString(m, body)
			return "X-Hub-Signature", "sha1=" + hex.EncodeToString(m.Sum(nil))
		}
		m := hmac.New(sha256.New, []byte(secret))
		io.WriteString(m, body)
		return "X-Hub-Signature-256", "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	type answer struct {
		code int
		err  error
	}
	run := func(h *hookHandler, event, contentType, body, alg string, chunked bool) answer {
		var got answer
		h.onError = func(w http.ResponseWriter, _ *http.Request, err error) {
			got.err = err
			code := http.StatusInternalServerError
			var ve githubapp.ValidationError
			if errors.As(err, &ve) {
				code = http.StatusBadRequest
			}
			w.WriteHeader(code)
		}
		var r io.Reader = strings.NewReader(body)
		if chunked {
			r = io.MultiReader(r) // no length known: read to the end
		}
		req := httptest.NewRequest(http.MethodPost, "/api/github/hook", r)
		if chunked {
			req.ContentLength = -1
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", "d-1")
		if alg != "" {
			k, v := sign(body, alg)
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got.code = rec.Code
		return got
	}

	comments := &recordingHandler{events: []string{"issue_comment"}}
	h := newHookHandler([]githubapp.EventHandler{comments}, secret, nil)
	payload := `{"action":"created"}`
	form := "payload=" + url.QueryEscape(payload)
	for _, c := range []struct {
		name, event, contentType, body, alg string
		chunked                             bool
		want                                int
		call                                string
	}{
		{"json", "issue_comment", "application/json", payload, "sha256", false, 200, "issue_comment d-1 " + payload},
		{"json without a length", "issue_comment", "application/json; charset=utf-8", payload, "sha256", true, 200, "issue_comment d-1 " + payload},
		{"form", "issue_comment", "application/x-www-form-urlencoded", form, "sha256", false, 200, "issue_comment d-1 " + payload},
		{"sha1 only", "issue_comment", "application/json", payload, "sha1", false, 200, "issue_comment d-1 " + payload},
		{"unsigned", "issue_comment", "application/json", payload, "", false, 400, ""},
		{"unknown type", "issue_comment", "text/plain", payload, "sha256", false, 400, ""},
		{"no type", "issue_comment", "", payload, "sha256", false, 400, ""},
		{"no event", "", "application/json", payload, "sha256", false, 400, ""},
		{"ping", "ping", "application/json", payload, "sha256", false, 200, ""},
		{"unhandled", "star", "application/json", payload, "sha256", false, 202, ""},
		{"unhandled unsigned", "star", "application/json", payload, "", false, 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			comments.calls = nil
			got := run(h, c.event, c.contentType, c.body, c.alg, c.chunked)
			if got.code != c.want {
				t.Errorf("answered %d (%v), want %d", got.code, got.err, c.want)
			}
			if c.call == "" && len(comments.calls) > 0 || c.call != "" && (len(comments.calls) != 1 || comments.calls[0] != c.call) {
				t.Errorf("handler calls %q, want %q", comments.calls, c.call)
			}
		})
	}

	// A signature over other bytes than those received is refused.
	t.Run("tampered", func(t *testing.T) {
		comments.calls = nil
		req := httptest.NewRequest(http.MethodPost, "/api/github/hook", strings.NewReader(payload+" "))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "issue_comment")
		k, v := sign(payload, "sha256")
		req.Header.Set(k, v)
		var got error
		h.onError = func(w http.ResponseWriter, _ *http.Request, err error) { got = err; w.WriteHeader(400) }
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got == nil || len(comments.calls) > 0 {
			t.Errorf("tampered body: error %v, calls %q", got, comments.calls)
		}
	})

	// A handler's error goes to onError as it is.
	t.Run("handler error", func(t *testing.T) {
		comments.err = errors.New("database down")
		defer func() { comments.err = nil }()
		if got := run(h, "issue_comment", "application/json", payload, "sha256", false); got.code != 500 || got.err != comments.err {
			t.Errorf("answered %d with %v", got.code, got.err)
		}
	})

	// An announced length is not allocated before the bytes arrive: an
	// unsigned request claiming 25 MiB and sending 20 bytes costs next to
	// nothing.
	t.Run("large announced length", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/api/github/hook", strings.NewReader(payload))
		req.ContentLength = MaxWebhookBody
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "issue_comment")
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		runtime.ReadMemStats(&after)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("answered %d", rec.Code)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > MaxWebhookBody/4 {
			t.Errorf("a request announcing %d bytes allocated %d", MaxWebhookBody, n)
		}
	})

	// A body shorter than its announced length is a broken request.
	t.Run("short body", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/api/github/hook", strings.NewReader(payload))
		req.ContentLength = int64(len(payload) + 10)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "issue_comment")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("answered %d", rec.Code)
		}
	})
}
