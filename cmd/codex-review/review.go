package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/gitdiff"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/render"
)

// maxDiffBytes bounds a diff read from a file or stdin; a larger change is
// not reviewable in any useful way and would only exhaust memory.
const maxDiffBytes = 256 << 20

type reviewFlags struct {
	base, commit, diffFile string
	focus                  []string
	format                 string
	minPriority, failOn    string
	instructions           string
	maxChunks              int
	dir                    string
}

func newReviewCmd(getenv func(string) string) *cobra.Command {
	var f reviewFlags
	cmd := &cobra.Command{
		Use:   "review",
		Short: "Review local changes (default: uncommitted changes against HEAD)",
		Long: `Review local changes with the same engine the GitHub App uses and print the findings.

By default the working tree's uncommitted changes (staged, unstaged and untracked files) are
reviewed against HEAD. --base REF reviews everything since the branch left REF, --commit SHA one
commit, --diff FILE a unified diff from a file ('-' for standard input).

Exit status: 0 when done with no finding at or above --fail-on, 1 when there is one, 2 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReview(cmd, f, getenv)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.base, "base", "", "review changes since the merge base with `REF` (like a pull request into REF)")
	fl.StringVar(&f.commit, "commit", "", "review the changes of one commit `SHA`")
	fl.StringVar(&f.diffFile, "diff", "", "review a unified diff read from `FILE` ('-' for stdin)")
	fl.StringSliceVar(&f.focus, "focus", nil, "focus areas, comma-separated: security,bugs,performance,dependencies,tests (default: the first four)")
	fl.StringVar(&f.format, "format", "text", "output format: text, markdown, json or sarif")
	fl.StringVar(&f.minPriority, "min-priority", "P1", "report findings at this priority or more urgent (P0..P3)")
	fl.StringVar(&f.failOn, "fail-on", "P1", "exit 1 when a finding at this priority or more urgent is reported (P0..P3, or none)")
	fl.StringVar(&f.instructions, "instructions", "", "extra review instructions")
	fl.IntVar(&f.maxChunks, "max-chunks", 0, "review at most `N` chunks of the diff (cost cap; 0 = no cap)")
	fl.StringVarP(&f.dir, "dir", "C", ".", "the git working tree to review")
	cmd.MarkFlagsMutuallyExclusive("base", "commit", "diff")
	return cmd
}

func runReview(cmd *cobra.Command, f reviewFlags, getenv func(string) string) error {
	ctx := cmd.Context()
	opt, failOn, err := f.options()
	if err != nil {
		return err
	}
	switch f.format {
	case "text", "markdown", "json", "sarif":
	default:
		return fmt.Errorf("invalid --format %q: want text, markdown, json or sarif", f.format)
	}

	// Check the model settings before any work, so a missing key costs the
	// user one clear line and nothing else.
	mcfg := model.ConfigFromEnv(getenv)
	if err := mcfg.Validate(); err != nil {
		return err
	}
	ctx = withLogger(ctx, cmd.ErrOrStderr(), getenv("CODEX_LOG_LEVEL"))

	raw, root, err := f.loadDiff(ctx, cmd.InOrStdin())
	if err != nil {
		return err
	}
	d, err := diff.Parse(raw)
	if err != nil {
		return err
	}
	opt.Root = root

	client, err := model.New(mcfg)
	if err != nil {
		return err
	}
	counter, err := budget.NewCounter(mcfg.Model)
	if err != nil {
		return err
	}
	res, err := review.New(client, counter, mcfg.Model).Review(ctx, d, opt)
	if err != nil {
		return err
	}
	if err := write(cmd.OutOrStdout(), f.format, res, isTerminal(cmd.OutOrStdout()) && getenv("NO_COLOR") == ""); err != nil {
		return fmt.Errorf("write the review: %w", err)
	}
	if failOn != nil {
		for _, fd := range res.Output.Findings {
			if finding.Priority(fd.Priority) <= *failOn {
				return exitCode(exitFindings)
			}
		}
	}
	return nil
}

// options turns flags into engine options and the --fail-on threshold (nil
// for none).
func (f reviewFlags) options() (review.Options, *finding.Priority, error) {
	var opt review.Options
	for _, s := range f.focus {
		a, err := finding.ParseArea(s)
		if err != nil {
			return opt, nil, fmt.Errorf("invalid --focus: %w", err)
		}
		opt.Focus = append(opt.Focus, a)
	}
	p, err := finding.ParsePriority(f.minPriority)
	if err != nil {
		return opt, nil, fmt.Errorf("invalid --min-priority: %w", err)
	}
	opt.MinPriority = p
	var failOn *finding.Priority
	if !strings.EqualFold(f.failOn, "none") {
		fp, err := finding.ParsePriority(f.failOn)
		if err != nil {
			return opt, nil, fmt.Errorf("invalid --fail-on: %w", err)
		}
		failOn = &fp
	}
	if f.maxChunks < 0 {
		return opt, nil, fmt.Errorf("invalid --max-chunks %d: must be 0 or more", f.maxChunks)
	}
	opt.MaxChunks = f.maxChunks
	opt.Instructions = f.instructions
	return opt, failOn, nil
}

// loadDiff returns the diff to review and the repository root (empty when
// the diff does not come from a working tree).
func (f reviewFlags) loadDiff(ctx context.Context, stdin io.Reader) ([]byte, string, error) {
	if f.diffFile != "" {
		var r io.Reader = stdin
		if f.diffFile != "-" {
			file, err := os.Open(f.diffFile)
			if err != nil {
				return nil, "", fmt.Errorf("read --diff: %w", err)
			}
			defer file.Close()
			r = file
		}
		b, err := io.ReadAll(io.LimitReader(r, maxDiffBytes+1))
		if err != nil {
			return nil, "", fmt.Errorf("read --diff %s: %w", f.diffFile, err)
		}
		if len(b) > maxDiffBytes {
			return nil, "", fmt.Errorf("the diff in %s is larger than %d MiB", f.diffFile, maxDiffBytes>>20)
		}
		return b, "", nil
	}
	repo, err := gitdiff.Open(ctx, f.dir)
	if err != nil {
		return nil, "", err
	}
	var b []byte
	switch {
	case f.base != "":
		b, err = repo.Base(ctx, f.base)
	case f.commit != "":
		b, err = repo.Commit(ctx, f.commit)
	default:
		b, err = repo.Uncommitted(ctx)
	}
	return b, repo.Dir, err
}

func write(w io.Writer, format string, res *review.Result, tty bool) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "json":
		err = render.JSON(bw, res)
	case "sarif":
		err = render.SARIF(bw, res, render.SARIFOptions{ToolVersion: buildVersion()})
	case "markdown":
		_, err = io.WriteString(bw, render.Document(res))
	default:
		err = render.Text(bw, res, render.TextOptions{Color: tty})
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// withLogger attaches a zerolog logger writing to stderr. The review command
// is quiet by default: warnings (a failed pass) and errors only.
func withLogger(ctx context.Context, w io.Writer, level string) context.Context {
	lvl := zerolog.WarnLevel
	if level != "" {
		if l, err := zerolog.ParseLevel(level); err == nil {
			lvl = l
		}
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: w, NoColor: true}).Level(lvl).With().Timestamp().Logger()
	return log.WithContext(ctx)
}

// isTerminal reports whether w is a character device (colour is only for
// people, never for files or pipes).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
