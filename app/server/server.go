// Package server assembles the GitHub App: settings, database and queue,
// GitHub clients, webhook handlers, review workers, and the HTTP routes of
// design §4.4. It owns their lifecycle, including a draining shutdown.
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gregjones/httpcache"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/api"
	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/metrics"
	"github.com/codex-review/codex-review/app/queue"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/webhook"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

// Limits from the outside world.
const (
	// MaxWebhookBody is GitHub's cap on webhook payloads: it does not
	// deliver larger ones, so anything larger is not from GitHub.
	MaxWebhookBody = 25 << 20
	// githubTimeout bounds one GitHub API call.
	githubTimeout = 30 * time.Second
	// clientCacheSize is the number of installation clients kept.
	clientCacheSize = 256
	// DrainTimeout is how long a stopping server waits for running
	// reviews before cancelling them (they are retried after restart).
	DrainTimeout = 2 * time.Minute
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
		githubapp.WithClientTimeout(githubTimeout),
		// ETag caching: conditional requests that GitHub answers 304 do not
		// count against the rate limit.
		githubapp.WithClientCaching(false, func() httpcache.Cache { return httpcache.NewMemoryCache() }),
		githubapp.WithClientMiddleware(srv.metrics.GitHubTransport),
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
	appCtx, cancel := context.WithTimeout(ctx, githubTimeout)
	app, _, err := appClient.Apps.Get(appCtx, "")
	cancel()
	if err != nil {
		return nil, fmt.Errorf("GitHub did not accept the App's credentials (check GITHUB_APP_ID, the private key and GITHUB_API_URL): %w", err)
	}
	slug := app.GetSlug()
	botLogin := slug + "[bot]"
	parser := command.Parser{Trigger: s.Trigger, Slug: slug}
	if err := parser.Validate(); err != nil {
		return nil, fmt.Errorf("CODEX_TRIGGER: %w", err)
	}

	srv.worker = &reviewer.Worker{
		Clients:  clients,
		Model:    s.Model,
		BotLogin: botLogin,
		WebURL:   s.WebURL,
		Observe:  func(_ string, u finding.Usage) { srv.metrics.Usage(u) },
		API:      api.Tracker{Reviews: db.Reviews()},
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
	srv.queue, err = queue.New(db, qcfg, jobs{w: srv.worker, m: srv.metrics, reviews: db.Reviews()})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	depth = srv.queue.Depth

	enq := enqueuer{q: srv.queue}
	observe := func(event string, o webhook.Outcome) { srv.metrics.Webhook(event, string(o)) }
	dispatcher := githubapp.NewEventDispatcher(
		[]githubapp.EventHandler{
			&webhook.IssueComment{Parser: parser, Queue: enq, BotLogin: botLogin, Observe: observe},
			&webhook.PullRequest{Queue: enq, Observe: observe},
		},
		s.WebhookSecret,
		githubapp.WithErrorCallback(func(w http.ResponseWriter, r *http.Request, err error) {
			var ve githubapp.ValidationError
			if errors.As(err, &ve) {
				srv.metrics.Webhook(r.Header.Get("X-GitHub-Event"), "rejected")
				zerolog.Ctx(r.Context()).Warn().Err(ve.Cause).Str("delivery", ve.DeliveryID).Msg("webhook rejected")
				http.Error(w, "invalid webhook: "+ve.Cause.Error(), http.StatusBadRequest)
				return
			}
			zerolog.Ctx(r.Context()).Error().Err(err).Str("delivery", r.Header.Get("X-GitHub-Delivery")).Msg("webhook not recorded")
			http.Error(w, "webhook not recorded; GitHub may redeliver it", http.StatusInternalServerError)
		}),
	)

	mux := http.NewServeMux()
	mux.Handle("POST /api/github/hook", limitBody(dispatcher))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			http.Error(w, "database unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", srv.metrics.Handler())
	restAPI, err := api.New(api.Config{
		Keys: s.APIKeys, Reviews: db.Reviews(), Queue: srv.queue, Resolver: api.GitHubResolver{Clients: clients},
		WebURL: s.WebURL, Retention: s.APIRetention,
	})
	if err != nil {
		return nil, fmt.Errorf("REST API: %w", err)
	}
	mux.Handle("/v1/", restAPI)
	srv.handler = withLogger(log, mux)
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

// Serve runs the HTTP server on addr and the workers until ctx is done,
// then shuts down: new requests are refused, in-flight webhooks finish,
// and running reviews drain.
func (srv *Server) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if err := srv.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	srv.log.Info().Str("addr", addr).Msg("listening")
	hs := &http.Server{Handler: srv.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second}
	return ServeUntil(ctx, srv.log, hs, ln, srv.Stop)
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
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxWebhookBody {
			http.Error(w, "webhook body too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "webhook body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "could not read the body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
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

func (e enqueuer) Enqueue(ctx context.Context, r webhook.Request) (bool, error) {
	_, dup, err := e.q.Enqueue(ctx, toArgs(r))
	return dup, err
}

func toArgs(r webhook.Request) queue.ReviewArgs {
	return queue.ReviewArgs{
		Repo: r.Repo, Installation: r.Installation, PR: r.PR, HeadSHA: r.HeadSHA, BeforeSHA: r.BeforeSHA,
		RequestKey: r.RequestKey, Trigger: r.Trigger, Areas: r.Areas, Instructions: r.Instructions,
		CommentID: r.CommentID, Requester: r.Requester, AuthorAssociation: r.AuthorAssociation,
		Reply: r.Reply, Delivery: r.Delivery,
	}
}

func fromArgs(a queue.ReviewArgs) webhook.Request {
	return webhook.Request{
		Repo: a.Repo, Installation: a.Installation, PR: a.PR, HeadSHA: a.HeadSHA, BeforeSHA: a.BeforeSHA,
		RequestKey: a.RequestKey, Trigger: a.Trigger, Areas: a.Areas, Instructions: a.Instructions,
		CommentID: a.CommentID, Requester: a.Requester, AuthorAssociation: a.AuthorAssociation,
		Reply: a.Reply, Delivery: a.Delivery,
	}
}

// jobs adapts the review worker to the queue.
type jobs struct {
	w       *reviewer.Worker
	m       *metrics.Metrics
	reviews *store.Reviews
}

func (j jobs) Review(ctx context.Context, job queue.Job) error {
	start := time.Now()
	ctx = zerolog.Ctx(ctx).With().Int64("job", job.ID).Int("attempt", job.Attempt).Logger().WithContext(ctx)
	err := j.w.Run(ctx, fromArgs(job.Args))
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

// Superseded marks an API review cancelled when a newer push replaced its
// queued job, so its caller is not left polling a review that never runs.
func (j jobs) Superseded(ctx context.Context, job queue.Job) {
	if job.Args.ReviewID == "" {
		return
	}
	err := j.reviews.UpdateStatus(ctx, job.Args.ReviewID, store.StatusCancelled,
		"superseded: a newer commit was pushed to the pull request before this review started; request a new review")
	if err != nil && !errors.Is(err, store.ErrFinished) {
		zerolog.Ctx(ctx).Error().Err(err).Str("review", job.Args.ReviewID).Msg("could not mark the superseded review cancelled")
	}
}

func (j jobs) Failed(ctx context.Context, job queue.Job, err error) {
	log := zerolog.Ctx(ctx).With().Int64("job", job.ID).Str("repo", job.Args.Repo).Int("pr", job.Args.PR).Logger()
	log.Error().Err(err).Msg("review failed")
	if ferr := j.w.Fail(ctx, fromArgs(job.Args), err); ferr != nil {
		log.Error().Err(ferr).Msg("could not post the failure comment")
	}
}
