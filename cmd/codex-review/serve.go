package main

import (
	"os"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/codex-review/codex-review/app/server"
	"github.com/codex-review/codex-review/app/settings"
)

func newServeCmd(getenv func(string) string) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the GitHub App server",
		Long: `Run the GitHub App: receive webhooks on POST /api/github/hook, queue reviews durably, and post
one review per request. Settings come from the environment (see the README); the server refuses
to start, listing what is missing, when a required setting is absent or malformed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := settings.FromEnv(getenv)
			if err != nil {
				return err
			}
			log := zerolog.New(os.Stderr).Level(s.LogLevel).With().Timestamp().Str("service", "codex-review").Logger()
			ctx := log.WithContext(cmd.Context())
			srv, err := server.New(ctx, s, log, server.Options{Version: buildVersion()})
			if err != nil {
				return err
			}
			return srv.Serve(ctx, s.Addr)
		},
	}
}
