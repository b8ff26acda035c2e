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

	"github.com/codex-review/codex-review/app/repoconfig"
	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/deps/osv"
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
	// baseRules reads .codex.yml and AGENTS.md from --base instead of
	// the working tree, as the GitHub App reads them from a pull
	// request's base.
	baseRules bool
	// changed reports whether a flag was given on the command line.
	changed func(name string) bool
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

The repository's rules apply as they do on a pull request: .codex.yml and the "Review guidelines"
section of AGENTS.md, read from the working tree (or from REF with --base REF --base-rules, as the
GitHub App reads them from a pull request's base). Flags given on the command line win over them.

Exit status: 0 when done with no finding at or above --fail-on, 1 when there is one, 2 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.changed = cmd.Flags().Changed
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
	fl.BoolVar(&f.baseRules, "base-rules", false, "read .codex.yml and AGENTS.md from the --base REF instead of the working tree")
	cmd.MarkFlagsMutuallyExclusive("base", "commit", "diff")
	return cmd
}

func runReview(cmd *cobra.Command, f reviewFlags, getenv func(string) string) error {
	ctx := cmd.Context()
	if err := f.check(); err != nil {
		return err
	}

	// Check the model settings before any work, so a missing key costs the
	// user one clear line and nothing else.
	mcfg := model.ConfigFromEnv(getenv)
	if err := mcfg.Validate(); err != nil {
		return err
	}
	ctx, err := withLogger(ctx, cmd.ErrOrStderr(), getenv("CODEX_LOG_LEVEL"))
	if err != nil {
		return err
	}

	advisories, err := osv.FromEnv(getenv)
	if err != nil {
		return err
	}
	raw, repo, change, err := f.loadDiff(ctx, cmd.InOrStdin())
	if err != nil {
		return err
	}
	d, err := diff.Parse(raw)
	if err != nil {
		return err
	}
	rules, err := f.rules(ctx, repo)
	if err != nil {
		return err
	}
	opt := rules.EngineOptions()
	failOn, err := f.apply(&opt)
	if err != nil {
		return err
	}
	if repo != nil {
		opt.Root = repo.Dir
		if f.diffFile == "" {
			if err := f.describe(ctx, repo, &opt); err != nil {
				return err
			}
		}
	}
	if change != nil {
		// Base and head from git, so the dependency analysis sees what
		// the diff's two sides hold.
		opt.Dependencies = &review.DependencySource{Files: gitFiles{repo: repo, change: change}, Advisories: advisories}
	}

	eng, err := newEngines(mcfg).get(rules.Config.Model.Name)
	if err != nil {
		return err
	}
	res, err := eng.Review(ctx, d, opt)
	if err != nil {
		return err
	}
	if err := write(cmd.OutOrStdout(), f.format, res, isTerminal(cmd.OutOrStdout()) && getenv("NO_COLOR") == ""); err != nil {
		return fmt.Errorf("write the review: %w", err)
	}
	if failOn != nil {
		for _, fd := range res.Findings {
			if finding.Priority(fd.Priority) <= *failOn {
				return exitCode(exitFindings)
			}
		}
	}
	return nil
}

// describe fills in what a pull request would tell the model about the
// change: its repository (from the origin remote), a title and a
// description (the commit message of a single commit, the subjects of
// several), and where the head's files are (the reviewed commit, or the
// working tree) for the code around each hunk.
func (f reviewFlags) describe(ctx context.Context, repo *gitdiff.Repo, opt *review.Options) error {
	opt.Repository = repo.Repository(ctx)
	opt.Head = repo.WorkingTree()
	var (
		d   gitdiff.Description
		err error
	)
	switch {
	case f.commit != "":
		opt.Head = repo.At(f.commit)
		d, err = repo.DescribeCommit(ctx, f.commit)
	case f.base != "":
		d, err = repo.DescribeBase(ctx, f.base)
	}
	opt.Title, opt.Description = d.Title, d.Body
	return err
}

// check validates the flags that need no work to judge.
func (f reviewFlags) check() error {
	switch f.format {
	case "text", "markdown", "json", "sarif":
	default:
		return fmt.Errorf("invalid --format %q: want text, markdown, json or sarif", f.format)
	}
	if f.baseRules && f.base == "" {
		return fmt.Errorf("--base-rules reads the rules from the --base REF: give --base too")
	}
	if f.maxChunks < 0 {
		return fmt.Errorf("invalid --max-chunks %d: must be 0 or more", f.maxChunks)
	}
	return nil
}

// rules reads the repository's .codex.yml and AGENTS.md: from the working
// tree, or from --base with --base-rules. Outside a git working tree (a
// --diff from elsewhere) the defaults apply.
func (f reviewFlags) rules(ctx context.Context, repo *gitdiff.Repo) (repoconfig.Rules, error) {
	if repo == nil {
		return repoconfig.ParseRules(repoconfig.FileName, nil, nil)
	}
	read := repo.WorkingTree().HeadFiles
	if f.baseRules {
		read = repo.At(f.base).HeadFiles
	}
	return repoconfig.ReadRules(ctx, read)
}

// apply lays the flags given on the command line over the options the
// repository's rules give, and returns the --fail-on threshold (nil for
// none). Areas named with --focus run even when the change gives them
// little to review.
func (f reviewFlags) apply(opt *review.Options) (*finding.Priority, error) {
	changed := f.changed
	if changed == nil {
		changed = func(string) bool { return true }
	}
	focus, err := parseFocus(f.focus)
	if err != nil {
		return nil, err
	}
	if len(focus) > 0 {
		opt.Focus, opt.ForceFocus = focus, true
	}
	if changed("min-priority") {
		if opt.MinPriority, err = finding.ParsePriority(f.minPriority); err != nil {
			return nil, fmt.Errorf("invalid --min-priority: %w", err)
		}
	}
	var failOn *finding.Priority
	if !strings.EqualFold(f.failOn, "none") {
		fp, err := finding.ParsePriority(f.failOn)
		if err != nil {
			return nil, fmt.Errorf("invalid --fail-on: %w", err)
		}
		failOn = &fp
	}
	opt.MaxChunks = f.maxChunks
	if s := strings.TrimSpace(f.instructions); s != "" {
		opt.Instructions = strings.TrimSpace(opt.Instructions + "\n\n" + s)
	}
	return failOn, nil
}

// parseFocus reads the --focus list; nil leaves the choice to the
// repository's settings or the defaults.
func parseFocus(names []string) ([]finding.Area, error) {
	var out []finding.Area
	for _, s := range names {
		a, err := finding.ParseArea(s)
		if err != nil {
			return nil, fmt.Errorf("invalid --focus: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// loadDiff returns the diff to review, the repository (the one it comes
// from, or for --diff the working tree of -C DIR when there is one: its
// rules still apply; nil otherwise) and, when the diff comes from git, the
// revisions of its two sides (nil for --diff).
func (f reviewFlags) loadDiff(ctx context.Context, stdin io.Reader) ([]byte, *gitdiff.Repo, *gitdiff.Change, error) {
	if f.diffFile != "" {
		var r io.Reader = stdin
		if f.diffFile != "-" {
			file, err := os.Open(f.diffFile)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("read --diff: %w", err)
			}
			defer file.Close()
			r = file
		}
		b, err := io.ReadAll(io.LimitReader(r, maxDiffBytes+1))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read --diff %s: %w", f.diffFile, err)
		}
		if len(b) > maxDiffBytes {
			return nil, nil, nil, fmt.Errorf("the diff in %s is larger than %d MiB", f.diffFile, maxDiffBytes>>20)
		}
		if repo, err := gitdiff.Open(ctx, f.dir); err == nil {
			return b, repo, nil, nil
		}
		return b, nil, nil, nil
	}
	repo, err := gitdiff.Open(ctx, f.dir)
	if err != nil {
		return nil, nil, nil, err
	}
	var c *gitdiff.Change
	switch {
	case f.base != "":
		c, err = repo.Base(ctx, f.base)
	case f.commit != "":
		c, err = repo.Commit(ctx, f.commit)
	default:
		c, err = repo.Uncommitted(ctx)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return c.Diff, repo, c, nil
}

// gitFiles reads the two sides of a local change for the dependency
// analysis.
type gitFiles struct {
	repo   *gitdiff.Repo
	change *gitdiff.Change
}

func (g gitFiles) Read(ctx context.Context, s deps.Side, p string) ([]byte, error) {
	rev := g.change.Head
	if s == deps.Base {
		rev = g.change.Base
	}
	return g.repo.ReadFile(ctx, rev, p, deps.DefaultMaxFileBytes)
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

// withLogger attaches a zerolog logger writing to stderr. The review and
// eval commands are quiet by default: warnings (a failed pass) and errors
// only. A level zerolog does not know is an error, as it is for serve.
func withLogger(ctx context.Context, w io.Writer, level string) (context.Context, error) {
	lvl, err := settings.LogLevel(level, zerolog.WarnLevel)
	if err != nil {
		return ctx, err
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: w, NoColor: true}).Level(lvl).With().Timestamp().Logger()
	return log.WithContext(ctx), nil
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
