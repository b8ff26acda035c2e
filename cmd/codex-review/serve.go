package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/codex-review/codex-review/app/server"
	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/app/setup"
	"github.com/codex-review/codex-review/app/store"
)

func newServeCmd(getenv func(string) string) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the GitHub App server",
		Long: `Run the GitHub App: receive webhooks on POST /api/github/hook, queue reviews durably, and post
one review per request. Settings come from the environment (see the README) and from the App
file that /setup writes in the data directory; the server refuses to start, listing what is
missing, when a required setting is absent or malformed. Without any GitHub App credentials it
serves the setup page at /setup, which creates the App and then starts serving it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := settings.Load(getenv)
			if err != nil {
				return err
			}
			log := zerolog.New(cmd.ErrOrStderr()).Level(s.LogLevel).With().Timestamp().Str("service", "codex-review").Logger()
			ctx := log.WithContext(cmd.Context())
			opts := server.Options{Version: buildVersion()}
			ln, err := net.Listen("tcp", s.Addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", s.Addr, err)
			}
			if !s.AppConfigured() {
				return serveSetup(ctx, ln, s, getenv, log, opts)
			}
			return server.Run(ctx, ln, s, log, opts)
		},
	}
}

// serveSetup serves the setup flow on ln until the App exists, then the
// App server on the same listener, until ctx is done.
func serveSetup(ctx context.Context, ln net.Listener, s *settings.Settings, getenv func(string) string, log zerolog.Logger, opts server.Options) error {
	db, err := store.Open(ctx, s.DatabaseURL)
	if err != nil {
		ln.Close()
		return fmt.Errorf("open database: %w", err)
	}
	var (
		mu  sync.Mutex
		app *server.Server
	)
	start := func(context.Context, settings.AppCredentials) (http.Handler, error) {
		// Read the settings again, as a restart would: the saved file, with
		// the environment still taking precedence.
		ns, err := settings.Load(getenv)
		if err != nil {
			return nil, err
		}
		if !ns.AppConfigured() {
			return nil, fmt.Errorf("no GitHub App found in %s", settings.AppFilePath(ns.DataDir))
		}
		srv, err := server.New(ctx, ns, log, opts)
		if err != nil {
			return nil, err
		}
		if err := srv.Start(ctx); err != nil {
			return nil, errors.Join(err, srv.Stop(ctx))
		}
		mu.Lock()
		app = srv
		mu.Unlock()
		return srv.Handler(), nil
	}
	st, err := setup.New(setup.Config{
		APIURL: s.APIURL, WebURL: s.WebURL, PublicURL: s.PublicURL, DataDir: s.DataDir,
		Ready: db.Ping, Start: start, Log: log,
	})
	if err != nil {
		ln.Close()
		return errors.Join(err, db.Close())
	}

	hs := &http.Server{Handler: st, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second}
	u := setupURL(s.PublicURL, ln.Addr())
	log.Warn().Str("setup_url", u).Str("data_dir", s.DataDir).Msg("GitHub App not configured: open " + u + " to create it")
	// Shutdown (inside ServeUntil) waits for a callback in progress, so
	// app is final when stop runs.
	return server.ServeUntil(ctx, log, hs, ln, func(stopCtx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		var stopErr error
		if app != nil {
			stopErr = app.Stop(stopCtx)
		}
		return errors.Join(stopErr, db.Close())
	})
}

// setupURL is the address to open the setup page at: under CODEX_PUBLIC_URL
// when set, else on the listening address (localhost when it listens on
// every interface).
func setupURL(public string, addr net.Addr) string {
	if public != "" {
		return public + "setup"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://localhost/setup"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/setup"
}
