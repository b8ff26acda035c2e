package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/codex-review/codex-review/app/repoconfig"
)

func newConfigCmd() *cobra.Command {
	cfg := &cobra.Command{Use: "config", Short: "Work with .codex.yml files"}
	cfg.AddCommand(&cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a .codex.yml file (default: ./.codex.yml; '-' reads standard input)",
		Long: `Check a .codex.yml file. Problems are printed one per line as file:line:col: message and the
command exits 1; a valid file prints nothing and exits 0. Exit 2 when the file cannot be read.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ".codex.yml"
			if len(args) == 1 {
				name = args[0]
			}
			// Both readers stop at the size limit: a FIFO or /dev/zero
			// is reported as too large, not read without bound.
			var data []byte
			var err error
			if name == "-" {
				name = "<stdin>"
				data, err = repoconfig.Read(name, cmd.InOrStdin())
			} else {
				data, err = repoconfig.ReadFile(name)
			}
			var ce *repoconfig.Error
			if errors.As(err, &ce) {
				fmt.Fprintln(cmd.OutOrStdout(), err)
				return exitCode(exitFindings)
			}
			if err != nil {
				return err
			}
			if err := repoconfig.Validate(name, data); err != nil {
				fmt.Fprintln(cmd.OutOrStdout(), err)
				return exitCode(exitFindings)
			}
			return nil
		},
	})
	return cfg
}
