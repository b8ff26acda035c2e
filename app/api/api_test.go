package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/api"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

const (
	keyOne = "key-one-0123456789abcdef"
	keyTwo = "key-two-0123456789abcdef"
	prURL  = "https://github.com/acme/shop/pull/7"
	head   = "1111111111111111111111111111111111111111"
)

// fakeQueue records what the API enqueues and cancels.
type fakeQueue struct {
	mu        sync.Mutex
	next      int64
	args      []job.Job
	cancelled []int64
	err       error
}

func (q *fakeQueue) Enqueue(_ context.Context, a job.Job) (int64, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return 0, false, q.err
	}
	q.next++
	q.args = append(q.args, a)
	return q.next, false, nil
}

func (q *fakeQueue) Cancel(_ context.Context, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.cancelled = append(q.cancelled, id)
	return nil
}

// fakeResolver knows acme/shop with pull requests #7 and #8; other/repo
// has the app not installed; broken/repo makes GitHub fail.
type fakeResolver struct{}

func (fakeResolver) Resolve(_ context.Context, owner, repo string, n int) (api.PullRequest, error) {
	switch owner + "/" + repo {
	case "acme/shop":
		if n == 7 || n == 8 {
			return api.PullRequest{Installation: 99, HeadSHA: head, BaseSHA: "base"}, nil
		}
		return api.PullRequest{}, fmt.Errorf("acme/shop#%d: %w", n, api.ErrPullRequestNotFound)
	case "broken/repo":
		return api.PullRequest{}, errors.New("GitHub is down")
	}
	return api.PullRequest{}, api.ErrNotInstalled
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	api       *api.API
	reviews   *store.Reviews
	learnings *store.Learnings
	queue     *fakeQueue
	clock     *clock
	spec      *spec
	// frozen stops the clock; otherwise each request is a second after the
	// last, which keeps long tables under the rate limit.
	frozen bool
}

// newEnv builds the API on a fresh database (empty databaseURL: a
// throwaway SQLite file).
func newEnv(t *testing.T, databaseURL string, keys ...string) *env {
	t.Helper()
	if databaseURL == "" {
		databaseURL = storetest.SQLiteURL(t)
	}
	db, err := store.Open(t.Context(), databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if keys == nil {
		keys = []string{keyOne, keyTwo}
	}
	e := &env{reviews: db.Reviews(), learnings: db.Learnings(), queue: &fakeQueue{}, clock: &clock{now: time.Now()}, spec: loadSpec(t)}
	e.api, err = api.New(api.Config{
		Keys: keys, Reviews: e.reviews, Learnings: e.learnings, Feedback: db.Feedback(), Queue: e.queue, Resolver: fakeResolver{},
		WebURL: "https://github.com/", Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// error returns the answer's error object.
func (a answer) error(t *testing.T) (typ, code, param string) {
	t.Helper()
	var e struct {
		Error struct {
			Type  string  `json:"type"`
			Code  *string `json:"code"`
			Param *string `json:"param"`
		} `json:"error"`
	}
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("error body %s: %v", a.body, err)
	}
	if e.Error.Code != nil {
		code = *e.Error.Code
	}
	if e.Error.Param != nil {
		param = *e.Error.Param
	}
	return e.Error.Type, code, param
}

// review decodes the answer as a review object.
func (a answer) review(t *testing.T) reviewJSON {
	t.Helper()
	var r reviewJSON
	if err := json.Unmarshal(a.body, &r); err != nil {
		t.Fatalf("review body %s: %v", a.body, err)
	}
	return r
}

type reviewJSON struct {
	ID             string   `json:"id"`
	Object         string   `json:"object"`
	Status         string   `json:"status"`
	CreatedAt      int64    `json:"created_at"`
	PullRequestURL string   `json:"pull_request_url"`
	FocusAreas     []string `json:"focus_areas"`
	PostReview     bool     `json:"post_review"`
	Findings       []struct {
		Title        string `json:"title"`
		CodeLocation struct {
			AbsoluteFilePath string `json:"absolute_file_path"`
			LineRange        struct {
				Start int `json:"start"`
			} `json:"line_range"`
		} `json:"code_location"`
	} `json:"findings"`
	OverallCorrectness string  `json:"overall_correctness"`
	ReviewURL          *string `json:"review_url"`
	HeadSHA            string  `json:"head_sha"`
	Usage              *struct {
		Model              string `json:"model"`
		PromptTokens       int64  `json:"prompt_tokens"`
		CachedPromptTokens int64  `json:"cached_prompt_tokens"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
		Code    string `json:"code"`
	} `json:"error"`
}

// do sends a request to the API's handler and checks the answer against
// docs/openapi.yaml.
func (e *env) do(t *testing.T, method, path, key string, body io.Reader, header ...string) answer {
	t.Helper()
	if !e.frozen {
		e.clock.Add(time.Second)
	}
	req := httptest.NewRequestWithContext(t.Context(), method, path, body)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, req)
	a := answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	e.spec.check(t, method, path, a.status, a.body)
	return a
}

func (e *env) post(t *testing.T, body string) answer {
	t.Helper()
	return e.do(t, http.MethodPost, "/v1/codex/reviews", keyOne, strings.NewReader(body), "Content-Type", "application/json")
}

func TestCreate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL)
		tests := []struct {
			name        string
			body        string
			contentType string
			status      int
			code, param string
		}{
			{name: "minimal", body: `{"pull_request_url": "` + prURL + `"}`, status: http.StatusAccepted},
			{name: "everything", status: http.StatusAccepted, body: `{"pull_request_url": "https://GitHub.com/Acme/Shop/pull/8/", "focus_areas": ["Security", "bugs", "security"],
				"sandbox_config": {"tests": true, "network": "restricted", "command": "go test ./...", "timeout_seconds": 600},
				"instructions": "Look at the SQL.", "post_review": false}`},
			{name: "malformed JSON", body: `{"pull_request_url": `, status: 400, code: "invalid_json"},
			{name: "empty body", body: ``, status: 400, code: "invalid_json"},
			{name: "two objects", body: `{"pull_request_url": "` + prURL + `"} {}`, status: 400, code: "invalid_json"},
			{name: "not an object", body: `[1]`, status: 400, code: "invalid_type"},
			{name: "unknown field", body: `{"pull_request_url": "` + prURL + `", "post_reveiw": false}`, status: 400, code: "unknown_parameter", param: "post_reveiw"},
			{name: "unknown sandbox field", body: `{"pull_request_url": "` + prURL + `", "sandbox_config": {"image": "x"}}`, status: 400, code: "unknown_parameter", param: "sandbox_config.image"},
			{name: "fractional timeout", body: `{"pull_request_url": "` + prURL + `", "sandbox_config": {"timeout_seconds": 1.5}}`, status: 400, code: "invalid_type", param: "sandbox_config.timeout_seconds"},
			{name: "sandbox not an object", body: `{"pull_request_url": "` + prURL + `", "sandbox_config": "yes"}`, status: 400, code: "invalid_type", param: "sandbox_config"},
			{name: "dot-dot owner", body: `{"pull_request_url": "https://github.com/../installation/pull/1"}`, status: 400, code: "invalid_pull_request_url", param: "pull_request_url"},
			{name: "encoded query in repo", body: `{"pull_request_url": "https://github.com/acme/shop%3Fx=1/pull/1"}`, status: 400, code: "invalid_pull_request_url", param: "pull_request_url"},
			{name: "encoded fragment in owner", body: `{"pull_request_url": "https://github.com/app%23/x/pull/1"}`, status: 400, code: "invalid_pull_request_url", param: "pull_request_url"},
			{name: "CRLF in owner", body: `{"pull_request_url": "https://github.com/a%0D%0Ab/x/pull/1"}`, status: 400, code: "invalid_pull_request_url", param: "pull_request_url"},
			{name: "wrong type", body: `{"pull_request_url": "` + prURL + `", "focus_areas": "security"}`, status: 400, code: "invalid_type", param: "focus_areas"},
			{name: "missing URL", body: `{"focus_areas": ["bugs"]}`, status: 400, code: "missing_required_parameter", param: "pull_request_url"},
			{name: "issue URL", body: `{"pull_request_url": "https://github.com/acme/shop/issues/7"}`, status: 400, code: "invalid_pull_request_url", param: "pull_request_url"},
			{name: "other host", body: `{"pull_request_url": "https://gitlab.com/acme/shop/pull/7"}`, status: 400, code: "invalid_pull_request_url", param: "pull_request_url"},
			{name: "bad number", body: `{"pull_request_url": "https://github.com/acme/shop/pull/0"}`, status: 400, code: "invalid_pull_request_url", param: "pull_request_url"},
			{name: "not a URL", body: `{"pull_request_url": "::"}`, status: 400, code: "invalid_pull_request_url", param: "pull_request_url"},
			{name: "unknown focus area", body: `{"pull_request_url": "` + prURL + `", "focus_areas": ["style"]}`, status: 400, code: "unknown_focus_area", param: "focus_areas"},
			{name: "bad network", body: `{"pull_request_url": "` + prURL + `", "sandbox_config": {"network": "open"}}`, status: 400, code: "invalid_value", param: "sandbox_config.network"},
			{name: "timeout zero", body: `{"pull_request_url": "` + prURL + `", "sandbox_config": {"timeout_seconds": 0}}`, status: 400, code: "invalid_value", param: "sandbox_config.timeout_seconds"},
			{name: "timeout too long", body: `{"pull_request_url": "` + prURL + `", "sandbox_config": {"timeout_seconds": 3601}}`, status: 400, code: "invalid_value", param: "sandbox_config.timeout_seconds"},
			{name: "instructions too long", body: `{"pull_request_url": "` + prURL + `", "instructions": "` + strings.Repeat("x", 8001) + `"}`, status: 400, code: "instructions_too_long", param: "instructions"},
			{name: "app not installed", body: `{"pull_request_url": "https://github.com/other/repo/pull/1"}`, status: 422, code: "app_not_installed", param: "pull_request_url"},
			{name: "pull request not found", body: `{"pull_request_url": "https://github.com/acme/shop/pull/404"}`, status: 404, code: "pull_request_not_found", param: "pull_request_url"},
			{name: "GitHub down", body: `{"pull_request_url": "https://github.com/broken/repo/pull/1"}`, status: 502, code: "github_unavailable"},
			{name: "body over 1 MiB", body: `{"instructions": "` + strings.Repeat("x", api.MaxBody) + `"}`, status: 413, code: "request_too_large"},
			{name: "not JSON", body: `pull_request_url=x`, contentType: "application/x-www-form-urlencoded", status: 415, code: "unsupported_media_type"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ct := tt.contentType
				if ct == "" {
					ct = "application/json"
				}
				before := len(e.queue.args)
				a := e.do(t, http.MethodPost, "/v1/codex/reviews", keyOne, strings.NewReader(tt.body), "Content-Type", ct)
				if a.status != tt.status {
					t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
				}
				if tt.status != http.StatusAccepted {
					if _, code, param := a.error(t); code != tt.code || param != tt.param {
						t.Errorf("code %q param %q, want %q %q: %s", code, param, tt.code, tt.param, a.body)
					}
					if len(e.queue.args) != before {
						t.Error("a refused request was enqueued")
					}
					return
				}
				r := a.review(t)
				if r.Object != "codex.review" || r.Status != "queued" || !strings.HasPrefix(r.ID, "rev_") || r.CreatedAt == 0 {
					t.Errorf("answer %s", a.body)
				}
				if len(e.queue.args) != before+1 {
					t.Fatalf("%d jobs enqueued, want 1", len(e.queue.args)-before)
				}
				args := e.queue.args[before]
				if args.ReviewID != r.ID || args.RequestKey != "api:"+r.ID || args.HeadSHA != head || args.Installation != 99 || args.Repo != "acme/shop" || args.Source != job.API || args.Action != job.Review {
					t.Errorf("job args %+v", args)
				}
				stored, err := e.reviews.Get(t.Context(), r.ID)
				if err != nil || stored.JobID != int64(len(e.queue.args)) || stored.HeadSHA != head {
					t.Errorf("stored %+v, %v", stored, err)
				}
			})
		}

		// The full request was normalised and kept for the worker.
		all, err := e.reviews.List(t.Context(), store.ListOptions{Limit: 10, PullRequestURL: "https://github.com/acme/shop/pull/8"})
		if err != nil || len(all) != 1 {
			t.Fatalf("reviews of #8: %v, %v", all, err)
		}
		got := e.do(t, http.MethodGet, "/v1/codex/reviews/"+all[0].ID, keyOne, nil).review(t)
		if got.PostReview || strings.Join(got.FocusAreas, ",") != "security,bugs" || got.PullRequestURL != "https://github.com/acme/shop/pull/8" {
			t.Errorf("normalised review %+v", got)
		}
		// The job carries everything the worker needs.
		args := e.queue.args[1]
		if args.Instructions != "Look at the SQL." || !slices.Equal(args.Areas, []finding.Area{finding.Security, finding.Bugs}) {
			t.Errorf("job args %+v", args)
		}
		if args.Post || args.Sandbox == nil || args.Sandbox.Network != sandbox.NetworkRestricted || args.Sandbox.Command != "go test ./..." || args.Sandbox.Timeout != 600*time.Second || !args.Sandbox.Tests {
			t.Errorf("job settings for the worker: %+v (%+v)", args, args.Sandbox)
		}
		if minimal := e.queue.args[0]; !minimal.Post || minimal.Sandbox != nil || len(minimal.Areas) != 0 {
			t.Errorf("defaults of a minimal request: %+v", minimal)
		}
	})
}

func TestCreateEnqueueFailure(t *testing.T) {
	e := newEnv(t, "")
	e.queue.err = errors.New("database is locked")
	a := e.post(t, `{"pull_request_url": "`+prURL+`"}`)
	if a.status != http.StatusInternalServerError {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	if strings.Contains(string(a.body), "locked") {
		t.Errorf("internal error leaked: %s", a.body)
	}
	// The review was recorded before enqueueing; it must not look queued.
	list := e.do(t, http.MethodGet, "/v1/codex/reviews?status=queued", keyOne, nil)
	if strings.Contains(string(list.body), "rev_") {
		t.Errorf("an unqueued review is listed as queued: %s", list.body)
	}
}

func TestAuthAndRoutes(t *testing.T) {
	e := newEnv(t, "")
	off := newEnv(t, "", []string{}...)
	tests := []struct {
		name   string
		env    *env
		method string
		path   string
		key    string
		header []string
		status int
		code   string
	}{
		{"API off: create", off, "POST", "/v1/codex/reviews", keyOne, nil, 404, "api_disabled"},
		{"API off: get", off, "GET", "/v1/codex/reviews/rev_x", "", nil, 404, "api_disabled"},
		{"API off: list", off, "GET", "/v1/codex/reviews", keyOne, nil, 404, "api_disabled"},
		{"API off: cancel", off, "POST", "/v1/codex/reviews/rev_x/cancel", keyOne, nil, 404, "api_disabled"},
		{"no key", e, "GET", "/v1/codex/reviews", "", nil, 401, "missing_api_key"},
		{"wrong key", e, "GET", "/v1/codex/reviews", "key-three-0123456789abcd", nil, 401, "invalid_api_key"},
		{"key prefix", e, "GET", "/v1/codex/reviews", keyOne[:10], nil, 401, "invalid_api_key"},
		{"basic auth", e, "GET", "/v1/codex/reviews", "", []string{"Authorization", "Basic a2V5Cg=="}, 401, "missing_api_key"},
		{"unknown route needs a key first", e, "GET", "/v1/other", "", nil, 401, "missing_api_key"},
		{"second key", e, "GET", "/v1/codex/reviews", keyTwo, nil, 200, ""},
		{"lower-case scheme", e, "GET", "/v1/codex/reviews", "", []string{"Authorization", "bearer " + keyOne}, 200, ""},
		{"unknown route", e, "GET", "/v1/other", keyOne, nil, 404, "unknown_route"},
		{"nested route", e, "GET", "/v1/codex/reviews/rev_x/y/z", keyOne, nil, 404, "unknown_route"},
		{"unknown review", e, "GET", "/v1/codex/reviews/rev_missing", keyOne, nil, 404, "review_not_found"},
		{"DELETE collection", e, "DELETE", "/v1/codex/reviews", keyOne, nil, 405, "method_not_allowed"},
		{"POST review", e, "POST", "/v1/codex/reviews/rev_x", keyOne, nil, 405, "method_not_allowed"},
		{"GET cancel", e, "GET", "/v1/codex/reviews/rev_x/cancel", keyOne, nil, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.env.do(t, tt.method, tt.path, tt.key, nil, tt.header...)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if tt.code != "" {
				if _, code, _ := a.error(t); code != tt.code {
					t.Errorf("code %q, want %q", code, tt.code)
				}
			}
			switch tt.status {
			case 401:
				if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
				}
			case 405:
				if a.header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
			}
			if strings.Contains(string(a.body), keyOne) {
				t.Error("the answer contains an API key")
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, "")
	e.frozen = true
	list := func(key string) answer { return e.do(t, http.MethodGet, "/v1/codex/reviews", key, nil) }
	for i := range api.RateLimitBurst {
		if a := list(keyOne); a.status != http.StatusOK {
			t.Fatalf("request %d of the burst: %d", i+1, a.status)
		}
	}
	a := list(keyOne)
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("request past the burst: %d", a.status)
	}
	if typ, code, _ := a.error(t); typ != "rate_limit_error" || code != "rate_limit_exceeded" {
		t.Errorf("error %s", a.body)
	}
	// 60 a minute: one token a second.
	if ra := a.header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q, want 1", ra)
	}
	if a := list(keyTwo); a.status != http.StatusOK {
		t.Errorf("another key is limited too: %d", a.status)
	}
	e.clock.Add(time.Second)
	if a := list(keyOne); a.status != http.StatusOK {
		t.Errorf("a second later: %d", a.status)
	}
	if a := list(keyOne); a.status != http.StatusTooManyRequests {
		t.Errorf("the refilled token was spent, yet: %d", a.status)
	}
	// An unauthenticated flood does not spend a key's tokens.
	e.clock.Add(time.Minute)
	for range 3 * api.RateLimitBurst {
		list("")
	}
	if a := list(keyOne); a.status != http.StatusOK {
		t.Errorf("after unauthenticated requests: %d", a.status)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  api.Config
	}{
		{"empty key", api.Config{Keys: []string{""}}},
		{"no store", api.Config{Keys: []string{keyOne}, Queue: &fakeQueue{}, Resolver: fakeResolver{}, WebURL: "https://github.com/"}},
		{"no learnings store", api.Config{Keys: []string{keyOne}, Reviews: &store.Reviews{}, Queue: &fakeQueue{}, Resolver: fakeResolver{}, WebURL: "https://github.com/"}},
		{"bad web URL", api.Config{Keys: []string{keyOne}, Reviews: &store.Reviews{}, Learnings: &store.Learnings{}, Queue: &fakeQueue{}, Resolver: fakeResolver{}, WebURL: "github.com"}},
	}
	for _, tt := range tests {
		if _, err := api.New(tt.cfg); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := api.New(api.Config{}); err != nil {
		t.Errorf("API off needs nothing else: %v", err)
	}
}

func decode(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}
