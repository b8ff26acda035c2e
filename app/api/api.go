// Package api is the REST API of design §4.5: callers start a review of a
// pull request (POST /v1/codex/reviews), poll it until it is completed,
// failed or cancelled, list reviews and cancel them. Reviews run through
// the same durable queue and engine as comment-triggered ones, and their
// state lives in the app's database, so any replica answers.
//
// The API is off unless API keys are configured: every /v1 route then
// answers 404. Callers authenticate with `Authorization: Bearer <key>`;
// each key has its own rate limit. Every error is
// {"error": {"message", "type", "param", "code"}}. docs/openapi.yaml
// describes the routes and is checked against these handlers by the tests.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
)

// Limits of the API.
const (
	// MaxBody bounds a request body. A review request is a URL and a few
	// short fields; 1 MiB leaves room for long instructions.
	MaxBody = 1 << 20
	// RateLimitPerMinute is how many requests each API key may make per
	// minute on average, and RateLimitBurst how many it may make at once:
	// enough for CI polling a handful of reviews, not for a runaway loop.
	RateLimitPerMinute = 60
	RateLimitBurst     = 20
	// DefaultRetention is how long finished reviews stay readable
	// (the server sets it from CODEX_API_RETENTION).
	DefaultRetention = 30 * 24 * time.Hour
	// pruneInterval spaces the deletions of old reviews: retention is
	// counted in days, so pruning more than hourly only costs queries.
	pruneInterval = time.Hour
	// basePath is the prefix of the review routes of the API, and
	// learningsPath of the learnings routes.
	basePath      = "/v1/codex/reviews"
	learningsPath = "/v1/codex/learnings"
)

// Queue is the part of the job queue the API uses.
type Queue interface {
	Enqueue(ctx context.Context, j job.Job) (id int64, duplicate bool, err error)
	Cancel(ctx context.Context, id int64) error
}

// Config is what the API needs.
type Config struct {
	// Keys are the accepted bearer tokens (CODEX_API_KEYS); none turns the
	// API off.
	Keys []string
	// Reviews stores review requests and results.
	Reviews *store.Reviews
	// Learnings stores what repositories' maintainers asked the app to
	// remember.
	Learnings *store.Learnings
	// Feedback holds the reactions last read on posted reviews' comments;
	// nil leaves every review's feedback null.
	Feedback *store.Feedback
	// Queue runs the reviews.
	Queue Queue
	// Resolver finds pull requests through the app's installations.
	Resolver Resolver
	// WebURL is GitHub's web base (GITHUB_WEB_URL), with a trailing slash:
	// pull request URLs must start with it.
	WebURL string
	// Retention is how long finished reviews are kept; zero means
	// DefaultRetention.
	Retention time.Duration
	// Now is the clock; nil means time.Now. Tests move it to exercise rate
	// limits and retention.
	Now func() time.Time
}

// API serves the /v1 routes.
type API struct {
	cfg     Config
	keys    [][sha256.Size]byte
	web     webBase
	limiter *limiter

	pruneMu   sync.Mutex
	lastPrune time.Time
}

// New checks cfg and builds the API. With no keys it builds an API that
// answers 404 to everything and needs nothing else.
func New(cfg Config) (*API, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	a := &API{cfg: cfg}
	for _, k := range cfg.Keys {
		if k == "" {
			return nil, errors.New("new API: an API key is empty")
		}
		// Keys are compared by their hashes, which all have one length, so
		// the comparison's time says nothing about a key's length either.
		a.keys = append(a.keys, sha256.Sum256([]byte(k)))
	}
	if len(a.keys) == 0 {
		return a, nil
	}
	switch {
	case cfg.Reviews == nil:
		return nil, errors.New("new API: no review store")
	case cfg.Learnings == nil:
		return nil, errors.New("new API: no learnings store")
	case cfg.Queue == nil:
		return nil, errors.New("new API: no queue")
	case cfg.Resolver == nil:
		return nil, errors.New("new API: no pull request resolver")
	case cfg.Retention < 0:
		return nil, fmt.Errorf("new API: retention %s is negative", cfg.Retention)
	}
	web, err := parseWebBase(cfg.WebURL)
	if err != nil {
		return nil, fmt.Errorf("new API: %w", err)
	}
	a.web = web
	a.limiter = newLimiter(RateLimitPerMinute/60.0, RateLimitBurst, len(a.keys))
	return a, nil
}

// ServeHTTP answers every request under /v1/.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(a.keys) == 0 {
		writeProblem(w, newProblem(http.StatusNotFound, typeNotFound, "api_disabled", "",
			"The REST API is turned off on this server: its administrator enables it by setting CODEX_API_KEYS."))
		return
	}
	key, p := a.authenticate(r)
	if p != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="codex-review"`)
		writeProblem(w, p)
		return
	}
	if wait, ok := a.limiter.take(key, a.cfg.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeProblem(w, newProblem(http.StatusTooManyRequests, typeRateLimit, "rate_limit_exceeded", "",
			fmt.Sprintf("Too many requests with this API key: the limit is %d per minute (bursts of %d). Retry after the number of seconds in the Retry-After header.", RateLimitPerMinute, RateLimitBurst)))
		return
	}
	ctx := zerolog.Ctx(r.Context()).With().Int("api_key", key).Logger().WithContext(r.Context())
	r = r.WithContext(ctx)

	route, id, p := a.route(r)
	if p != nil {
		if p.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", allowed(route))
		}
		writeProblem(w, p)
		return
	}
	var (
		status int
		body   any
	)
	switch route {
	case routeCreate:
		status, body, p = a.create(w, r)
	case routeList:
		status, body, p = a.list(r)
	case routeGet:
		status, body, p = a.get(r.Context(), id)
	case routeCancel:
		status, body, p = a.cancel(r.Context(), id)
	case routeLearnings:
		status, body, p = a.listLearnings(r)
	case routeLearning:
		status, body, p = a.deleteLearning(r.Context(), id)
	}
	if p != nil {
		if p.status >= http.StatusInternalServerError {
			zerolog.Ctx(ctx).Error().Err(p.cause).Str("route", r.Method+" "+r.URL.Path).Msg(p.body.Message)
		}
		writeProblem(w, p)
		return
	}
	writeJSON(w, status, body)
}

// authenticate returns the index of the request's key. Every configured key
// is compared, in constant time and without stopping at a match, so timing
// tells nothing about which key matched or how close a guess came.
func (a *API) authenticate(r *http.Request) (int, *problem) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return 0, newProblem(http.StatusUnauthorized, typeAuthentication, "missing_api_key", "",
			"Missing API key: send it as `Authorization: Bearer <key>`, with a key from the server's CODEX_API_KEYS.")
	}
	sum := sha256.Sum256([]byte(token))
	match := -1
	for i, k := range a.keys {
		eq := subtle.ConstantTimeCompare(sum[:], k[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return 0, newProblem(http.StatusUnauthorized, typeAuthentication, "invalid_api_key", "",
			"Invalid API key: it is not one of the server's CODEX_API_KEYS.")
	}
	return match, nil
}

// The routes of the API.
type route int

const (
	routeNone route = iota
	routeCreate
	routeList
	routeGet
	routeCancel
	routeLearnings // GET /v1/codex/learnings
	routeLearning  // DELETE /v1/codex/learnings/{id}
)

// route matches the request to a route, answering 404 for unknown paths
// and 405 for a known path with the wrong method. A ServeMux would answer
// those in plain text; the API's errors are always JSON.
func (a *API) route(r *http.Request) (route, string, *problem) {
	var kind route
	var id string
	rest, ok := strings.CutPrefix(r.URL.Path, basePath)
	if !ok {
		if kind, id, ok = learningsRoute(r.URL.Path); !ok {
			return routeNone, "", notFoundRoute(r)
		}
		return checkMethod(r, kind, id)
	}
	switch {
	case rest == "" || rest == "/":
		kind = routeCreate
		if r.Method == http.MethodGet {
			kind = routeList
		}
	case strings.HasPrefix(rest, "/"):
		id, ok = strings.CutSuffix(rest[1:], "/cancel")
		switch {
		case strings.Contains(id, "/"):
			return routeNone, "", notFoundRoute(r)
		case ok:
			kind = routeCancel
		default:
			kind = routeGet
		}
	default:
		return routeNone, "", notFoundRoute(r)
	}
	return checkMethod(r, kind, id)
}

// checkMethod answers 405 when the request's method is not the route's.
func checkMethod(r *http.Request, kind route, id string) (route, string, *problem) {
	if r.Method != methodOf(kind) {
		return kind, id, newProblem(http.StatusMethodNotAllowed, typeInvalidRequest, "method_not_allowed", "",
			fmt.Sprintf("%s is not allowed on %s: use %s.", r.Method, r.URL.Path, allowed(kind)))
	}
	return kind, id, nil
}

func methodOf(k route) string {
	switch k {
	case routeGet, routeList, routeLearnings:
		return http.MethodGet
	case routeLearning:
		return http.MethodDelete
	}
	return http.MethodPost
}

func allowed(k route) string {
	switch k {
	case routeCreate, routeList:
		return "GET, POST"
	case routeGet, routeLearnings:
		return "GET"
	case routeLearning:
		return "DELETE"
	default:
		return "POST"
	}
}

func notFoundRoute(r *http.Request) *problem {
	return newProblem(http.StatusNotFound, typeNotFound, "unknown_route", "",
		fmt.Sprintf("No such route: %s %s. The API's routes are under %s and %s.", r.Method, r.URL.Path, basePath, learningsPath))
}

// limiter is a token bucket per API key.
type limiter struct {
	rate  float64 // tokens per second
	burst float64

	mu      sync.Mutex
	buckets []bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(perSecond float64, burst, keys int) *limiter {
	l := &limiter{rate: perSecond, burst: float64(burst), buckets: make([]bucket, keys)}
	for i := range l.buckets {
		l.buckets[i].tokens = l.burst
	}
	return l
}

// take spends one token of key's bucket. When the bucket is empty it
// returns false and how long until a token is back.
func (l *limiter) take(key int, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &l.buckets[key]
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// prune deletes finished reviews older than the retention, at most once
// per pruneInterval. A failure is logged and retried next time: the
// request that happened to trigger it has nothing to do with it.
func (a *API) prune(ctx context.Context) {
	now := a.cfg.Now()
	a.pruneMu.Lock()
	if !a.lastPrune.IsZero() && now.Sub(a.lastPrune) < pruneInterval {
		a.pruneMu.Unlock()
		return
	}
	a.lastPrune = now
	a.pruneMu.Unlock()
	n, err := a.cfg.Reviews.Prune(ctx, now.Add(-a.cfg.Retention))
	log := zerolog.Ctx(ctx)
	if err != nil {
		log.Warn().Err(err).Msg("pruning old API reviews failed")
		return
	}
	if n > 0 {
		log.Info().Int64("pruned", n).Dur("retention", a.cfg.Retention).Msg("pruned old API reviews")
	}
}
