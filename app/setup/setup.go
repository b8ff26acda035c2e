// Package setup creates the GitHub App from its manifest when the server
// starts without one (design §4.4, GET /setup): a plain HTML page posts the
// manifest to GitHub, GitHub sends the browser back with a one-time code,
// and the callback trades the code for the App's credentials, saves them in
// the data directory and hands the listener over to the App server, without
// a restart. From then on the setup routes are closed.
package setup

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/settings"
)

// Limits of the flow.
const (
	// stateTTL is how long a setup page stays usable: GitHub's manifest codes
	// expire after an hour, so a longer-lived state would be of no use.
	stateTTL = time.Hour
	// maxStates bounds the states kept in memory; every page view adds one.
	maxStates = 1000
	// githubTimeout bounds the code exchange with GitHub.
	githubTimeout = 30 * time.Second
	// readyTimeout bounds the database check of /readyz.
	readyTimeout = 2 * time.Second
	// maxAppName is GitHub's limit on an App's name.
	maxAppName = 34
)

var (
	// orgRE is GitHub's rule for organisation logins.
	orgRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	// codeRE keeps the one-time code to what GitHub issues, so it cannot
	// change the path of the conversion request.
	codeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

//go:embed page.html
var pageFS embed.FS

var pages = template.Must(template.ParseFS(pageFS, "page.html"))

// Config is what the setup flow needs.
type Config struct {
	// APIURL and WebURL are GitHub's REST and web bases, with trailing slashes.
	APIURL, WebURL string
	// PublicURL is this server's address as GitHub and browsers see it, with
	// a trailing slash; empty means it is derived from each request's Host
	// and X-Forwarded-Proto headers.
	PublicURL string
	// DataDir is where the App's credentials are saved (settings.AppFileName).
	DataDir string
	// HTTPClient carries the code exchange; nil means a plain client.
	HTTPClient *http.Client
	// Ready reports whether the database is reachable, for /readyz.
	Ready func(context.Context) error
	// Start is called once the credentials are saved. It builds the App
	// server and returns the handler that serves every request from then on.
	Start func(context.Context, settings.AppCredentials) (http.Handler, error)
	// Log receives the flow's events; never secrets.
	Log zerolog.Logger
	// Now is the clock of state expiry; nil means time.Now.
	Now func() time.Time
}

// Setup is the HTTP handler of a server whose GitHub App does not exist
// yet. It serves /setup, /setup/callback, /healthz and /readyz until the App
// is created, then passes every request to the App server.
type Setup struct {
	cfg    Config
	routes http.Handler
	gh     *github.Client

	// mu serialises callbacks, so two browser tabs cannot both save an App.
	mu     sync.Mutex
	states map[string]time.Time
	closed bool

	app atomic.Pointer[http.Handler]
	// csp lets the pages run no script and post forms only here and to GitHub.
	csp string
}

// New checks cfg and returns the setup handler.
func New(cfg Config) (*Setup, error) {
	if cfg.Start == nil || cfg.Ready == nil {
		return nil, errors.New("setup: Start and Ready are required")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("setup: DataDir is required")
	}
	api, err := url.Parse(cfg.APIURL)
	if err != nil || !strings.HasSuffix(api.Path, "/") || api.Host == "" {
		return nil, fmt.Errorf("setup: APIURL %q must be absolute with a trailing slash", cfg.APIURL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: githubTimeout}
	}
	gh := github.NewClient(hc)
	gh.BaseURL = api
	gh.UserAgent = "codex-review-setup"

	web, err := url.Parse(cfg.WebURL)
	if err != nil || web.Host == "" || !strings.HasSuffix(web.Path, "/") {
		return nil, fmt.Errorf("setup: WebURL %q must be absolute with a trailing slash", cfg.WebURL)
	}
	s := &Setup{cfg: cfg, gh: gh, states: map[string]time.Time{},
		csp: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' " + web.Scheme + "://" + web.Host + "; frame-ancestors 'none'; base-uri 'none'"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /setup", s.page)
	mux.HandleFunc("GET /"+CallbackPath, s.callback)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", s.ready)
	log := cfg.Log
	s.routes = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(log.WithContext(r.Context())))
	})
	return s, nil
}

// ServeHTTP serves the setup routes, or the App server once it runs.
func (s *Setup) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if app := s.app.Load(); app != nil {
		(*app).ServeHTTP(w, r)
		return
	}
	s.routes.ServeHTTP(w, r)
}

func (s *Setup) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.cfg.Ready(ctx); err != nil {
		http.Error(w, "database unreachable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ok\n")
}

// startPage is what the setup page shows.
type startPage struct {
	Manifest     Manifest
	ManifestJSON string
	Permissions  []string
	Org          string
	Action       string
	PublicURL    string
	GitHubHost   string
	Local        bool
}

func (s *Setup) page(w http.ResponseWriter, r *http.Request) {
	if s.isClosed() {
		s.closedPage(w)
		return
	}
	q := r.URL.Query()
	org := strings.TrimSpace(q.Get("org"))
	name := strings.TrimSpace(q.Get("name"))
	if name == "" {
		name = AppManifest.Name
	}
	if org != "" && !orgRE.MatchString(org) {
		s.render(w, http.StatusBadRequest, errorPage{Title: "Not an organisation name", Problem: fmt.Sprintf("%q is not a GitHub organisation login.", org),
			Fix: "Use the organisation's login as it appears in its URL (letters, digits and hyphens), or leave the field empty.", Retry: "/setup"})
		return
	}
	if len(name) > maxAppName || strings.ContainsAny(name, "\r\n\t") {
		s.render(w, http.StatusBadRequest, errorPage{Title: "Not an App name", Problem: fmt.Sprintf("GitHub App names have at most %d characters on one line.", maxAppName),
			Fix: "Choose a shorter name.", Retry: "/setup"})
		return
	}
	public, err := s.publicURL(r)
	if err != nil {
		s.render(w, http.StatusBadRequest, errorPage{Title: "Unknown address", Problem: err.Error(),
			Fix: "Set CODEX_PUBLIC_URL to the address GitHub and browsers reach this server at, and restart it."})
		return
	}
	state, err := s.newState()
	if err != nil {
		zerolog.Ctx(r.Context()).Error().Err(err).Msg("setup state")
		s.render(w, http.StatusInternalServerError, errorPage{Title: "Setup failed", Problem: "No random state could be made for the setup.", Fix: "Reload the page."})
		return
	}
	m := AppManifest.ForURL(public, name)
	js, err := m.JSON()
	if err != nil {
		s.render(w, http.StatusInternalServerError, errorPage{Title: "Setup failed", Problem: err.Error(), Fix: "Reload the page."})
		return
	}
	action := s.cfg.WebURL + "settings/apps/new"
	if org != "" {
		action = s.cfg.WebURL + "organizations/" + url.PathEscape(org) + "/settings/apps/new"
	}
	perms := make([]string, 0, len(m.DefaultPermissions))
	for k, v := range m.DefaultPermissions {
		perms = append(perms, k+": "+v)
	}
	slices.Sort(perms)
	web, _ := url.Parse(s.cfg.WebURL)
	pu, _ := url.Parse(public)
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, http.StatusOK, startPage{
		Manifest: m, ManifestJSON: js, Permissions: perms, Org: org,
		Action:    action + "?state=" + url.QueryEscape(state),
		PublicURL: public, GitHubHost: web.Host, Local: isLocal(pu.Hostname()),
	})
}

// donePage is what the success page shows.
type donePage struct {
	App        settings.AppCredentials
	InstallURL string
	HookURL    string
	File       string
}

func (s *Setup) callback(w http.ResponseWriter, r *http.Request) {
	log := zerolog.Ctx(r.Context())
	q := r.URL.Query()
	code, state := q.Get("code"), q.Get("state")

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.closedPage(w)
		return
	}
	if !s.takeState(state) {
		log.Warn().Msg("setup callback with an unknown or expired state")
		s.render(w, http.StatusBadRequest, errorPage{Title: "This setup link is not valid",
			Problem: "The link GitHub sent you back with does not match a setup page of this server, was already used, or is more than an hour old.",
			Fix:     "Start the setup again from this server's setup page. If GitHub created an App on the way, delete it in GitHub's Developer settings first.",
			Retry:   "/setup"})
		return
	}
	if !codeRE.MatchString(code) {
		s.render(w, http.StatusBadRequest, errorPage{Title: "This setup link is not valid", Problem: "The link carries no code from GitHub.",
			Fix: "Start the setup again.", Retry: "/setup"})
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), githubTimeout)
	cfg, _, err := s.gh.Apps.CompleteAppManifest(ctx, code)
	cancel()
	if err != nil {
		log.Error().Err(err).Msg("GitHub App manifest conversion failed")
		s.render(w, http.StatusBadGateway, errorPage{Title: "GitHub did not hand over the App",
			Problem: "Exchanging the code from GitHub for the App's credentials failed: " + conversionProblem(err),
			Fix:     "A code works once and expires after an hour. Check that GITHUB_API_URL points at the same GitHub as GITHUB_WEB_URL, delete the App GitHub may have created (Developer settings → GitHub Apps), and start again.",
			Retry:   "/setup"})
		return
	}
	app := settings.AppCredentials{
		ID: cfg.GetID(), Slug: cfg.GetSlug(), PEM: cfg.GetPEM(), WebhookSecret: cfg.GetWebhookSecret(),
		ClientID: cfg.GetClientID(), ClientSecret: cfg.GetClientSecret(), HTMLURL: cfg.GetHTMLURL(),
	}
	if err := checkApp(app); err != nil {
		log.Error().Err(err).Int64("app_id", app.ID).Msg("GitHub's answer lacks the App's credentials")
		s.render(w, http.StatusBadGateway, errorPage{Title: "GitHub's answer is incomplete", Problem: err.Error(),
			Fix: "Delete the App on GitHub (Developer settings → GitHub Apps) and start again.", Retry: "/setup"})
		return
	}
	file := settings.AppFilePath(s.cfg.DataDir)
	if err := settings.WriteAppFile(s.cfg.DataDir, app); err != nil {
		log.Error().Err(err).Int64("app_id", app.ID).Str("file", file).Msg("saving the GitHub App failed")
		s.render(w, http.StatusInternalServerError, errorPage{Title: "The App's credentials could not be saved",
			Problem: fmt.Sprintf("GitHub created the App %s (ID %d), but writing %s failed: %v.", app.Slug, app.ID, file, err),
			Fix: fmt.Sprintf("Either configure it by hand: on %s generate a private key and set a webhook secret, then start codex-review with GITHUB_APP_ID=%d, GITHUB_PRIVATE_KEY_PATH and GITHUB_WEBHOOK_SECRET. "+
				"Or make the data directory (CODEX_DATA_DIR) writable, delete the App on GitHub, and start again.", app.HTMLURL, app.ID),
			Retry: "/setup"})
		return
	}
	// From here the App exists and is saved: a second one must not be made,
	// whatever happens next.
	s.closed = true
	clear(s.states)
	log.Info().Int64("app_id", app.ID).Str("app", app.Slug).Str("file", file).Msg("GitHub App created and saved")

	handler, err := s.cfg.Start(r.Context(), app)
	if err != nil {
		log.Error().Err(err).Int64("app_id", app.ID).Msg("starting the App server after setup failed")
		s.render(w, http.StatusInternalServerError, errorPage{Title: "The App was saved, but the server could not start",
			Problem: fmt.Sprintf("The App %s (ID %d) is saved in %s, but starting with it failed: %v.", app.Slug, app.ID, file, err),
			Fix:     "Restart codex-review: it reads that file at start, and says what is wrong if it still cannot start."})
		return
	}
	s.app.Store(&handler)

	public, err := s.publicURL(r)
	if err != nil {
		public = "/"
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, http.StatusOK, donePage{App: app, InstallURL: strings.TrimSuffix(app.HTMLURL, "/") + "/installations/new", HookURL: public + HookPath, File: file})
}

// checkApp refuses an answer the server could not run with.
func checkApp(app settings.AppCredentials) error {
	var errs []error
	if app.ID <= 0 {
		errs = append(errs, errors.New("no App ID"))
	}
	if err := settings.CheckPrivateKey([]byte(app.PEM)); err != nil {
		errs = append(errs, err)
	}
	if app.WebhookSecret == "" {
		errs = append(errs, errors.New("no webhook secret"))
	}
	if app.HTMLURL == "" {
		errs = append(errs, errors.New("no App URL"))
	}
	return errors.Join(errs...)
}

// conversionProblem says what went wrong with the exchange, in a line.
func conversionProblem(err error) string {
	var ge *github.ErrorResponse
	if errors.As(err, &ge) && ge.Response != nil {
		switch ge.Response.StatusCode {
		case http.StatusNotFound, http.StatusUnprocessableEntity:
			return fmt.Sprintf("GitHub answered %d: the code is unknown, already used or expired.", ge.Response.StatusCode)
		default:
			return fmt.Sprintf("GitHub answered %d: %s.", ge.Response.StatusCode, ge.Message)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "GitHub did not answer in time."
	}
	return "GitHub could not be reached: " + err.Error()
}

// publicURL is where GitHub and browsers reach this server: the setting,
// or the scheme and host the request came with.
func (s *Setup) publicURL(r *http.Request) (string, error) {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL, nil
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// A reverse proxy that terminates TLS says so in X-Forwarded-Proto.
	if p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ","); strings.TrimSpace(p) == "https" || strings.TrimSpace(p) == "http" {
		scheme = strings.TrimSpace(p)
	}
	u, err := url.Parse(scheme + "://" + r.Host + "/")
	if r.Host == "" || err != nil || u.Host != r.Host || u.User != nil {
		return "", fmt.Errorf("the request's Host header %q is not an address", r.Host)
	}
	return u.String(), nil
}

// newState makes and remembers a one-time state for a setup page.
func (s *Setup) newState() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random state: %w", err)
	}
	state := hex.EncodeToString(b)
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, exp := range s.states {
		if !now.Before(exp) {
			delete(s.states, k)
		}
	}
	if len(s.states) >= maxStates {
		oldest := ""
		for k, exp := range s.states {
			if oldest == "" || exp.Before(s.states[oldest]) {
				oldest = k
			}
		}
		delete(s.states, oldest)
	}
	s.states[state] = now.Add(stateTTL)
	return state, nil
}

// takeState reports whether state is known and fresh, and forgets it: a
// state works once. The caller holds s.mu.
func (s *Setup) takeState(state string) bool {
	exp, ok := s.states[state]
	if !ok {
		return false
	}
	delete(s.states, state)
	return s.cfg.Now().Before(exp)
}

func (s *Setup) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// isLocal reports whether host is a loopback name or address, which GitHub
// cannot deliver webhooks to.
func isLocal(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// errorPage is what an error page shows: what happened and what to do.
type errorPage struct {
	Title, Problem, Fix, Retry string
}

func (s *Setup) closedPage(w http.ResponseWriter) {
	s.render(w, http.StatusNotFound, errorPage{Title: "Setup is closed",
		Problem: "This server's GitHub App is already configured.",
		Fix:     "To change it, edit the App on GitHub, or change the GITHUB_* settings (or the credentials file in the data directory) and restart."})
}

func (s *Setup) render(w http.ResponseWriter, status int, data any) {
	name := "error"
	switch data.(type) {
	case startPage:
		name = "start"
	case donePage:
		name = "done"
	}
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "setup page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", s.csp)
	w.WriteHeader(status)
	io.WriteString(w, b.String())
}
