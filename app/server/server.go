// Package server assembles the GitHub App: settings, database and queue,
// GitHub clients, webhook handlers, review workers, and the HTTP routes of
// design §4.4. It owns their lifecycle, including a draining shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gregjones/httpcache"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/api"
	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/ghretry"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/metrics"
	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/queue"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/webhook"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

// Limits from the outside world.
const (
	// MaxWebhookBody is GitHub's cap on webhook payloads: it does not
	// deliver larger ones, so anything larger is not from GitHub.
	MaxWebhookBody = 25 << 20
	// githubCallTimeout bounds a call with its retries (ghretry).
	githubCallTimeout = 3 * time.Minute
	// clientCacheSize is the number of installation clients kept.
	clientCacheSize = 256
	// DrainTimeout is how long a stopping server waits for running
	// reviews before cancelling them (they go back to the queue).
	DrainTimeout = 2 * time.Minute
	// readyTimeout bounds /readyz's write check, below the probe timeouts
	// of the Helm chart (3s).
	readyTimeout = 2 * time.Second
)

// Options are what tests and the command may change beyond the settings.
type Options struct {
	// Version goes into the User-Agent of GitHub requests.
	Version string
	// Queue tunes the job queue; zero fields take the queue's defaults and
	// Workers comes from the settings.
	Queue queue.Config
	// Transport, when set, carries all GitHub requests (tests).
	Transport http.RoundTripper
	// OnPanic, when set, is told of a panic in request handling after it
	// was logged, counted and answered with 500. Tests set it to fail:
	// a panic is a bug, not a log line.
	OnPanic func(v any, stack []byte)
}

// Server is a running GitHub App.
type Server struct {
	log     zerolog.Logger
	db      *store.DB
	queue   *queue.Queue
	metrics *metrics.Metrics
	handler http.Handler
	worker  *reviewer.Worker
}

// New connects to the database and GitHub and builds the server; Run
// starts it. It fails when GitHub does not accept the App's credentials,
// so a wrong key or id is found at start, not on the first webhook.
func New(ctx context.Context, s *settings.Settings, log zerolog.Logger, opt Options) (*Server, error) {
	log.Info().Str("database", store.Describe(s.DatabaseURL)).Msg("opening the database")
	db, err := store.Open(ctx, s.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	srv := &Server{log: log, db: db}
	ok := false
	defer func() {
		if !ok {
			db.Close()
		}
	}()

	var depth func(context.Context) (int, error)
	srv.metrics = metrics.New(func(ctx context.Context) (int, error) {
		if depth == nil {
			return 0, nil
		}
		return depth(ctx)
	})

	clientOpts := []githubapp.ClientOption{
		githubapp.WithClientUserAgent("codex-review/" + opt.Version),
		// The whole call, retries included; ghretry bounds each attempt
		// with ghretry.AttemptTimeout.
		githubapp.WithClientTimeout(githubCallTimeout),
		// ETag caching: conditional requests that GitHub answers 304 do not
		// count against the rate limit. Bounded: see responseCache.
		githubapp.WithClientCaching(false, func() httpcache.Cache { return newResponseCache() }),
		// Reads that fail for a passing reason are retried for every
		// caller; the metrics below count each attempt.
		githubapp.WithClientMiddleware(ghretry.Middleware, srv.metrics.GitHubTransport),
	}
	if opt.Transport != nil {
		clientOpts = append(clientOpts, githubapp.WithTransport(opt.Transport))
	}
	base := githubapp.NewClientCreator(s.APIURL, graphQLURL(s.APIURL), s.AppID, s.PrivateKey, clientOpts...)
	clients, err := githubapp.NewCachingClientCreator(base, clientCacheSize)
	if err != nil {
		return nil, fmt.Errorf("GitHub client cache: %w", err)
	}

	appClient, err := clients.NewAppClient()
	if err != nil {
		return nil, fmt.Errorf("GitHub App client: %w", err)
	}
	// The model's tokenizer tables (150-380 ms to load) load while GitHub
	// answers, so that the first review is as fast as the next ones.
	var preload sync.WaitGroup
	preload.Go(func() {
		if _, err := budget.NewCounter(s.Model.Model); err != nil {
			log.Warn().Err(err).Msg("could not load the model's tokenizer at start; the first review will try again")
		}
	})
	app, err := getApp(ctx, appClient.Apps, log)
	preload.Wait()
	if err != nil {
		return nil, err
	}
	slug := app.GetSlug()
	botLogin := slug + "[bot]"
	parser := command.Parser{Trigger: s.Trigger, Slug: slug}
	if err := parser.Validate(); err != nil {
		return nil, fmt.Errorf("CODEX_TRIGGER: %w", err)
	}

	tracker := api.Tracker{Reviews: db.Reviews()}
	srv.worker = &reviewer.Worker{
		Pulls:    reviewer.OnGitHub(&pull.Opener{Clients: clients, BotLogin: botLogin, WebURL: s.WebURL}),
		Model:    s.Model,
		Observe:  func(_ string, u finding.Usage) { srv.metrics.Usage(u) },
		Records:  tracker,
		Trigger:  parser.Trigger,
		Memory:   db.Memory(),
		Feedback: srv.metrics.Feedback,
		// Known vulnerabilities of dependency changes.
		Advisories: s.Advisories,
	}
	if s.Sandboxes > 0 {
		srv.worker.Sandbox = sandbox.NewLimiter(s.Sandboxes)
		// Checked once, with a real trial run: a host without bwrap or
		// user namespaces still reviews, and each review says why its
		// tests were not run.
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := sandbox.Available(actx); err != nil {
			srv.worker.SandboxUnavailable = err
			log.Warn().Err(err).Msg("test sandbox unavailable: reviews that ask for tests will say they were not run")
		} else {
			log.Info().Int("sandboxes", s.Sandboxes).Msg("test sandbox available")
		}
		cancel()
	}
	qcfg := opt.Queue
	qcfg.Workers = s.Workers
	if qcfg.Logger == nil {
		// River logs through slog: JSON on stderr like the rest, warnings
		// and above unless the server logs at debug.
		lvl := slog.LevelWarn
		if s.LogLevel <= zerolog.DebugLevel {
			lvl = slog.LevelDebug
		}
		qcfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	}
	srv.queue, err = queue.New(db, qcfg, jobs{w: srv.worker, m: srv.metrics, reviews: db.Reviews(), tracker: tracker})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	depth = srv.queue.Depth

	enq := enqueuer{q: srv.queue}
	observe := func(event string, o webhook.Outcome) { srv.metrics.Webhook(event, string(o)) }
	hooks := newHookHandler(
		[]githubapp.EventHandler{
			&webhook.IssueComment{Parser: parser, Queue: enq, BotLogin: botLogin, Observe: observe},
			&webhook.PullRequest{Queue: enq, Observe: observe},
			&webhook.CheckRun{Queue: enq, AppID: app.GetID(), Name: publish.CheckName, Observe: observe},
			&webhook.ReviewComment{Parser: parser, Queue: enq, BotLogin: botLogin, Observe: observe},
			&webhook.ReviewThread{Dismissals: db.Dismissals(), BotLogin: botLogin, Observe: observe},
		},
		s.WebhookSecret,
		func(w http.ResponseWriter, r *http.Request, err error) {
			var (
				ve githubapp.ValidationError
				me *webhook.MalformedError
			)
			if errors.As(err, &ve) {
				srv.metrics.Webhook(r.Header.Get("X-GitHub-Event"), "rejected")
				zerolog.Ctx(r.Context()).Warn().Err(ve.Cause).Str("delivery", ve.DeliveryID).Msg("webhook rejected")
				http.Error(w, "invalid webhook: "+ve.Cause.Error(), http.StatusBadRequest)
				return
			}
			if errors.As(err, &me) {
				// Signed, but unusable: redelivering it would not help.
				// The handler counted it; this is its one log line.
				zerolog.Ctx(r.Context()).Warn().Err(err).Str("delivery", r.Header.Get("X-GitHub-Delivery")).Msg("webhook payload malformed")
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			zerolog.Ctx(r.Context()).Error().Err(err).Str("delivery", r.Header.Get("X-GitHub-Delivery")).Msg("webhook not recorded")
			http.Error(w, "webhook not recorded; GitHub may redeliver it", http.StatusInternalServerError)
		},
	)

	mux := http.NewServeMux()
	mux.Handle("POST /api/github/hook", checkHeaders(srv.metrics, hooks))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		// Ready means a webhook would be recorded now: the database takes
		// a write, not merely a SELECT.
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := srv.queue.Ready(ctx); err != nil {
			zerolog.Ctx(r.Context()).Warn().Err(err).Msg("not ready: webhooks would not be recorded now")
			http.Error(w, "not ready: webhooks would not be recorded now: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", srv.metrics.Handler())
	restAPI, err := api.New(api.Config{
		Keys: s.APIKeys, Reviews: db.Reviews(), Learnings: db.Learnings(), Feedback: db.Feedback(), Queue: srv.queue, Resolver: api.GitHubResolver{Clients: clients},
		WebURL: s.WebURL, Retention: s.APIRetention,
	})
	if err != nil {
		return nil, fmt.Errorf("REST API: %w", err)
	}
	mux.Handle("/v1/", restAPI)
	srv.handler = withLogger(log, recoverPanics(srv.metrics, opt.OnPanic, mux))
	ok = true
	log.Info().Str("app", slug).Str("api", s.APIURL).Int("workers", s.Workers).Msg("GitHub App ready")
	return srv, nil
}

// Handler is the server's HTTP handler (for tests and embedding).
func (srv *Server) Handler() http.Handler { return srv.handler }

// Start starts the review workers.
func (srv *Server) Start(ctx context.Context) error { return srv.queue.Start(ctx) }

// Stop drains the workers: running reviews get until ctx's deadline to
// finish, then are cancelled and will run again after a restart. Then the
// database is closed.
func (srv *Server) Stop(ctx context.Context) error {
	err := srv.queue.Stop(ctx)
	return errors.Join(err, srv.db.Close())
}

// Run serves the GitHub App on ln until ctx is done, then shuts down: new
// requests are refused, in-flight webhooks finish, and running reviews
// drain.
//
// The listener serves from the start. While the App starts (opening the
// database, asking GitHub for the App, which is retried for as long as
// GitHub is unavailable) /healthz answers that the process is alive and
// every other route answers 503, so an orchestrator neither kills a server
// that waits for GitHub nor sends it traffic. A start that fails for good
// (wrong credentials, an unreachable database) ends Run with its error.
func Run(ctx context.Context, ln net.Listener, s *settings.Settings, log zerolog.Logger, opt Options) error {
	var current atomic.Value // http.Handler
	current.Store(http.Handler(withLogger(log, startingHandler())))
	hs := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.Load().(http.Handler).ServeHTTP(w, r) }),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		srv      *Server
		startErr error
		started  = make(chan struct{})
	)
	go func() {
		defer close(started)
		sv, err := New(runCtx, s, log, opt)
		if err == nil {
			if err = sv.Start(runCtx); err != nil {
				err = errors.Join(err, sv.Stop(context.WithoutCancel(runCtx)))
			}
		}
		if err != nil {
			startErr = err
			cancel(err)
			return
		}
		srv = sv
		current.Store(sv.Handler())
	}()
	// The bound address, so that ":0" shows the port it got.
	log.Info().Str("addr", ln.Addr().String()).Msg("listening")
	err := ServeUntil(runCtx, log, hs, ln, func(stopCtx context.Context) error {
		<-started
		if srv == nil {
			return nil
		}
		return srv.Stop(stopCtx)
	})
	if startErr != nil {
		return startErr
	}
	return err
}

// startingHandler answers while the App starts: alive, not ready.
func startingHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "starting: opening the database and asking GitHub for the App (the log says what it waits for)", http.StatusServiceUnavailable)
	})
	return mux
}

// ServeUntil serves hs on ln until ctx is done or serving fails, then shuts
// down within DrainTimeout: new connections are refused, in-flight requests
// finish, and then stop drains whatever else runs (review workers).
func ServeUntil(ctx context.Context, log zerolog.Logger, hs *http.Server, ln net.Listener, stop func(context.Context) error) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	log.Info().Msg("shutting down: draining requests and running reviews")
	stopCtx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
	defer cancel()
	shutErr := hs.Shutdown(stopCtx)
	stopErr := stop(stopCtx)
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, shutErr, stopErr)
}

// limitBody refuses bodies over GitHub's webhook limit with 413 and
// buffers the rest, which signature checking needs whole anyway.
// maxHeaderID bounds the X-GitHub-Delivery header (a GUID: 36 bytes).
const maxHeaderID = 100

// checkHeaders refuses a delivery whose X-GitHub-Event or
// X-GitHub-Delivery GitHub could not have sent, before anything reads
// them: an event name is lower-case letters and underscores, a delivery id
// printable ASCII. Such a request gets 400 and is counted as a rejected
// delivery of event "other".
func checkHeaders(m *metrics.Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, id := r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery")
		if !validEvent(ev) || !validDelivery(id) {
			m.Webhook("", "rejected")
			zerolog.Ctx(r.Context()).Warn().Msg("webhook rejected: invalid X-GitHub-Event or X-GitHub-Delivery header")
			http.Error(w, "invalid webhook: bad X-GitHub-Event or X-GitHub-Delivery header", http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func validEvent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

func validDelivery(s string) bool {
	if len(s) > maxHeaderID {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// recoverPanics answers 500 to a request whose handling panicked, instead
// of net/http's dropped connection, logs the panic with its stack, counts
// it, and tells onPanic (tests fail on it).
func recoverPanics(m *metrics.Metrics, onPanic func(any, []byte), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler {
				if v != nil {
					panic(v)
				}
				return
			}
			stack := debug.Stack()
			m.Panic()
			zerolog.Ctx(r.Context()).Error().Str("panic", fmt.Sprint(v)).Bytes("stack", stack).Str("path", r.URL.Path).Msg("request handling panicked")
			http.Error(w, "internal error", http.StatusInternalServerError)
			if onPanic != nil {
				onPanic(v, stack)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withLogger puts the logger in every request's context, where handlers
// and go-githubapp find it.
func withLogger(log zerolog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(log.WithContext(r.Context())))
	})
}

// graphQLURL derives the GraphQL endpoint from the REST base:
// https://api.github.com/graphql, or https://HOST/api/graphql on GHES.
func graphQLURL(restBase string) string {
	if strings.HasSuffix(restBase, "/api/v3/") {
		return strings.TrimSuffix(restBase, "v3/") + "graphql"
	}
	return restBase + "graphql"
}

// enqueuer adapts the queue to the webhook handlers.
type enqueuer struct{ q *queue.Queue }

func (e enqueuer) Enqueue(ctx context.Context, j job.Job) (bool, error) {
	_, dup, err := e.q.Enqueue(ctx, j)
	return dup, err
}

// jobs adapts the review worker to the queue.
type jobs struct {
	w       *reviewer.Worker
	m       *metrics.Metrics
	reviews *store.Reviews
	tracker api.Tracker
}

// The queue finds jobs' optional methods by assertion: a changed signature
// must not turn them off silently.
var (
	_ queue.Waiter     = jobs{}
	_ queue.Superseder = jobs{}
	_ queue.Canceller  = jobs{}
)

func (j jobs) Review(ctx context.Context, qj queue.Job) error {
	start := time.Now()
	ctx = zerolog.Ctx(ctx).With().Int64("job", qj.ID).Int("attempt", qj.Attempt).Logger().WithContext(ctx)
	args, err := j.tracker.Upgrade(ctx, qj.Args)
	if err == nil {
		err = j.w.Run(ctx, args)
	}
	switch {
	case err == nil:
		j.m.Job("done", time.Since(start))
	case errors.Is(err, reviewer.ErrPermanent):
		j.m.Job("failed", time.Since(start))
		return queue.Permanent(err)
	default:
		j.m.Job("retry", time.Since(start))
	}
	return err
}

// Waiting acknowledges a request that waits for another review of its
// pull request (reviewer.Worker.Waiting).
func (j jobs) Waiting(ctx context.Context, qj queue.Job, busy queue.Busy) (job.Waited, bool, error) {
	start := time.Now()
	ctx = zerolog.Ctx(ctx).With().Int64("job", qj.ID).Int("attempt", qj.Attempt).Logger().WithContext(ctx)
	waited, finished, err := j.w.Waiting(ctx, qj.Args, busy.Holder)
	if finished && err == nil {
		j.m.Job("done", time.Since(start))
	}
	return waited, finished, err
}

// Superseded marks an API review cancelled when a newer push replaced its
// queued job, so its caller is not left polling a review that never runs.
func (j jobs) Superseded(ctx context.Context, qj queue.Job) {
	// A job retried after an earlier attempt has a check run to complete.
	if err := j.w.Superseded(ctx, qj.Args); err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Int64("job", qj.ID).Msg("could not complete the check run of the superseded review")
	}
	if qj.Args.ReviewID == "" {
		return
	}
	err := j.reviews.UpdateStatus(ctx, qj.Args.ReviewID, store.StatusCancelled,
		"superseded: a newer commit was pushed to the pull request before this review started; request a new review")
	if err != nil && !errors.Is(err, store.ErrFinished) {
		zerolog.Ctx(ctx).Error().Err(err).Str("review", qj.Args.ReviewID).Msg("could not mark the superseded review cancelled")
	}
}

// Cancelled completes the check run of a review cancelled while it ran.
func (j jobs) Cancelled(ctx context.Context, qj queue.Job) {
	args, err := j.tracker.Upgrade(ctx, qj.Args)
	if err == nil {
		err = j.w.Cancelled(ctx, args)
	}
	if err != nil {
		zerolog.Ctx(ctx).Error().Err(err).Int64("job", qj.ID).Msg("could not complete the check run of the cancelled review")
	}
}

func (j jobs) Failed(ctx context.Context, qj queue.Job, err error) {
	log := zerolog.Ctx(ctx).With().Int64("job", qj.ID).Str("repo", qj.Args.Repo).Int("pr", qj.Args.PR).Logger()
	log.Error().Err(err).Msg("review failed")
	args, uerr := j.tracker.Upgrade(ctx, qj.Args)
	if uerr != nil {
		log.Error().Err(uerr).Msg("could not read the settings of the failed review")
		return
	}
	if ferr := j.w.Fail(ctx, args, err); ferr != nil {
		log.Error().Err(ferr).Msg("could not post the failure comment")
	}
}
