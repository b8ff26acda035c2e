package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/codex-review/codex-review/app/repoconfig"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/deps/osv"
	"github.com/codex-review/codex-review/review/eval"
	"github.com/codex-review/codex-review/review/eval/corpus"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
)

// Files written by eval --out.
const (
	evalJSONFile     = "eval.json"
	evalMarkdownFile = "eval.md"
)

type evalFlags struct {
	format       string
	baseline     string
	minPriority  string
	focus        []string
	jobs         int
	failBelow    float64
	price        eval.Prices
	out          string
	hasFailBelow bool
	hasCached    bool
}

func newEvalCmd(getenv func(string) string) *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval [DIR]",
		Short: "Score the reviewer on a corpus of cases with known problems",
		Long: `Review every case of a corpus with the same engine, model settings and .codex.yml rules as
'codex-review review', and score what was reported against what each case expects: precision,
recall and F1 overall, per focus area and per priority, with tokens, cost and time.

Without DIR the built-in corpus is used. A case is a directory with expect.yaml and either
change.diff (a git-style unified diff) or base/ and head/ trees (diffed with git); an optional
.codex.yml and AGENTS.md in it are that case's repository rules, and a tree case's optional
osv/ (laid out as CODEX_OSV_DIR) the only advisories its dependency analysis looks up.

Exit status: 0 when every case ran, 1 when F1 is under --fail-below, 2 on errors (a case that
failed, an interrupted run, bad flags or corpus).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.hasFailBelow = cmd.Flags().Changed("fail-below")
			f.hasCached = cmd.Flags().Changed("price-cached")
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			}
			return runEval(cmd, dir, f, getenv)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "text", "output format: text, markdown or json (json is what --baseline reads)")
	fl.StringVar(&f.baseline, "baseline", "", "compare with an earlier `FILE` written by --format json")
	fl.StringVar(&f.minPriority, "min-priority", "P1", "score findings at this priority or more urgent (P0..P3), in every case whatever its .codex.yml says")
	fl.StringSliceVar(&f.focus, "focus", nil, "focus areas for every case, comma-separated (default: each case's .codex.yml, else the first four)")
	fl.IntVar(&f.jobs, "jobs", eval.DefaultJobs, "cases reviewed at once")
	fl.Float64Var(&f.failBelow, "fail-below", 0, "exit 1 when the overall F1 is under `F1` (0..1)")
	fl.Float64Var(&f.price.In, "price-in", 0, "price of a million prompt tokens, to report the cost")
	fl.Float64Var(&f.price.Cached, "price-cached", 0, "price of a million cached prompt tokens (default: --price-in)")
	fl.Float64Var(&f.price.Out, "price-out", 0, "price of a million completion tokens")
	fl.StringVar(&f.out, "out", "", "also write "+evalJSONFile+", "+evalMarkdownFile+" and the chart "+eval.ChartFile+" into `DIR`")
	return cmd
}

func (f *evalFlags) check() (finding.Priority, []finding.Area, error) {
	switch f.format {
	case "text", "markdown", "json":
	default:
		return 0, nil, fmt.Errorf("invalid --format %q: want text, markdown or json", f.format)
	}
	p, err := finding.ParsePriority(f.minPriority)
	if err != nil {
		return 0, nil, fmt.Errorf("invalid --min-priority: %w", err)
	}
	focus, err := parseFocus(f.focus)
	if err != nil {
		return 0, nil, err
	}
	if f.jobs < 1 {
		return 0, nil, fmt.Errorf("invalid --jobs %d: must be 1 or more", f.jobs)
	}
	if f.hasFailBelow && (f.failBelow < 0 || f.failBelow > 1) {
		return 0, nil, fmt.Errorf("invalid --fail-below %g: an F1 is between 0 and 1", f.failBelow)
	}
	if !f.hasCached {
		f.price.Cached = f.price.In
	}
	for name, v := range map[string]float64{"--price-in": f.price.In, "--price-cached": f.price.Cached, "--price-out": f.price.Out} {
		if v < 0 {
			return 0, nil, fmt.Errorf("invalid %s %g: a price is 0 or more", name, v)
		}
	}
	return p, focus, nil
}

// caseRules is what a case's repository rules make of a review.
type caseRules struct {
	opt   review.Options
	model string
}

func runEval(cmd *cobra.Command, dir string, f evalFlags, getenv func(string) string) error {
	ctx := cmd.Context()
	threshold, focus, err := f.check()
	if err != nil {
		return err
	}
	mcfg := model.ConfigFromEnv(getenv)
	if err := mcfg.Validate(); err != nil {
		return err
	}
	advisories, err := osv.FromEnv(getenv)
	if err != nil {
		return err
	}
	ctx, err = withLogger(ctx, cmd.ErrOrStderr(), getenv("CODEX_LOG_LEVEL"))
	if err != nil {
		return err
	}

	var base *eval.Report
	if f.baseline != "" {
		file, err := os.Open(f.baseline)
		if err != nil {
			return fmt.Errorf("read --baseline: %w", err)
		}
		base, err = eval.ReadReport(file)
		file.Close()
		if err != nil {
			return fmt.Errorf("read --baseline %s: %w", f.baseline, err)
		}
	}

	name := corpus.Name
	var cases []*eval.Case
	if dir == "" {
		cases, err = eval.Load(ctx, corpus.FS, corpus.Root, corpus.Name)
	} else {
		name = dir
		cases, err = eval.Load(ctx, os.DirFS(dir), ".", filepath.ToSlash(filepath.Clean(dir)))
	}
	if err != nil {
		return corpusError(err)
	}
	rules := make(map[string]caseRules, len(cases))
	var problems corpusProblems
	for _, c := range cases {
		r, err := repoconfig.ParseRules(c.Dir+"/"+eval.ConfigFile, c.Config, c.Agents)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		rules[c.Name] = caseRules{opt: r.EngineOptions(), model: r.Config.Model.Name}
	}
	if len(problems) > 0 {
		return problems
	}

	engs := newEngines(mcfg)
	reviewCase := func(ctx context.Context, c *eval.Case) (*review.Result, error) {
		r := rules[c.Name]
		eng, err := engs.get(r.model)
		if err != nil {
			return nil, err
		}
		opt := r.opt
		// The threshold is the measurement's, the same for every case, so
		// that the figures of different cases add up; a case's
		// review.min_priority does not move it.
		opt.MinPriority = threshold
		if len(focus) > 0 {
			// As in 'review': areas named on the command line run even
			// when the change gives them little to review.
			opt.Focus, opt.ForceFocus = focus, true
		}
		opt.Head = c.Head()
		if files := c.Sides(); files != nil {
			// Both sides of a tree case, as 'review' reads both sides of
			// a git change for the dependency analysis; a case that
			// bundles its advisories (osv/) is looked up there only.
			adv := advisories
			if own := c.Advisories(); own != nil {
				adv = own
			}
			opt.Dependencies = &review.DependencySource{Files: files, Advisories: adv}
		}
		// What the author wrote about the change, as a pull request's
		// title and description; never the case's description, which
		// names the problem.
		opt.Title, opt.Description = c.Title, c.Body
		return eng.Review(ctx, c.Diff, opt)
	}

	bar := newProgress(cmd.ErrOrStderr(), len(cases), isTerminal(cmd.ErrOrStderr()))
	rep := eval.Run(ctx, cases, reviewCase, eval.Options{MinPriority: threshold, Jobs: f.jobs, Progress: bar.update})
	bar.finish()
	rep.Corpus, rep.Model = name, mcfg.Model
	for _, a := range focus {
		rep.Focus = append(rep.Focus, string(a))
	}
	if f.price != (eval.Prices{}) {
		rep.SetPrices(f.price)
	}
	var cmp *eval.Comparison
	if base != nil {
		cmp = eval.Compare(rep, base)
	}

	chart := ""
	if f.out != "" {
		chart = eval.ChartFile
		if err := writeEvalFiles(f.out, rep, cmp); err != nil {
			return err
		}
	}
	if err := writeEval(cmd.OutOrStdout(), f.format, rep, cmp, chart); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}

	switch {
	case rep.Interrupted:
		fmt.Fprintf(cmd.ErrOrStderr(), "codex-review: interrupted: %d of %d cases finished\n", rep.Totals.Scored+rep.Totals.Errors, rep.Totals.Cases)
		return exitCode(exitError)
	case rep.Totals.Errors > 0:
		fmt.Fprintf(cmd.ErrOrStderr(), "codex-review: %d of %d cases failed (see Errors in the report)\n", rep.Totals.Errors, rep.Totals.Cases)
		return exitCode(exitError)
	case f.hasFailBelow && rep.Totals.F1 != nil && *rep.Totals.F1 < f.failBelow:
		fmt.Fprintf(cmd.ErrOrStderr(), "codex-review: F1 %.2f is under --fail-below %.2f\n", *rep.Totals.F1, f.failBelow)
		return exitCode(exitFindings)
	}
	return nil
}

// corpusProblems lists what is wrong with a corpus, one problem per line.
type corpusProblems []string

func (e corpusProblems) Error() string {
	return "the corpus has problems:\n" + strings.Join(e, "\n")
}

func corpusError(err error) error {
	var le *eval.LoadError
	if errors.As(err, &le) {
		ps := make(corpusProblems, len(le.Problems))
		for i, p := range le.Problems {
			ps[i] = p.String()
		}
		return ps
	}
	return err
}

func writeEval(w io.Writer, format string, rep *eval.Report, cmp *eval.Comparison, chart string) error {
	switch format {
	case "json":
		return eval.WriteJSON(w, rep)
	case "markdown":
		return eval.WriteMarkdown(w, rep, cmp, chart)
	default:
		return eval.WriteText(w, rep, cmp)
	}
}

// writeEvalFiles writes the JSON report (a baseline for the next run), the
// markdown report and its chart into dir.
func writeEvalFiles(dir string, rep *eval.Report, cmp *eval.Comparison) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	write := func(name string, fill func(io.Writer) error) error {
		p := filepath.Join(dir, name)
		file, err := os.Create(p)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		bw := bufio.NewWriter(file)
		err = fill(bw)
		if err == nil {
			err = bw.Flush()
		}
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		return nil
	}
	if err := write(evalJSONFile, func(w io.Writer) error { return eval.WriteJSON(w, rep) }); err != nil {
		return err
	}
	if err := write(evalMarkdownFile, func(w io.Writer) error { return eval.WriteMarkdown(w, rep, cmp, eval.ChartFile) }); err != nil {
		return err
	}
	return write(eval.ChartFile, func(w io.Writer) error {
		_, err := w.Write(eval.Chart(rep, cmp))
		return err
	})
}

// progress draws a one-line progress bar on a terminal, and nothing
// elsewhere (logs and CI output get the report only).
type progress struct {
	w      io.Writer
	total  int
	on     bool
	start  time.Time
	mu     sync.Mutex
	failed int
	drawn  bool
}

func newProgress(w io.Writer, total int, on bool) *progress {
	p := &progress{w: w, total: total, on: on, start: time.Now()}
	if on {
		p.draw(0)
	}
	return p
}

func (p *progress) update(done int, c eval.CaseReport) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.Status == eval.StatusError {
		p.failed++
	}
	p.draw(done)
}

func (p *progress) draw(done int) {
	fmt.Fprint(p.w, "\r"+progressLine(done, p.total, p.failed, time.Since(p.start)))
	p.drawn = true
}

// finish clears the bar so the report starts on a clean line.
func (p *progress) finish() {
	if p.on && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// progressWidth is the number of cells of the bar.
const progressWidth = 30

// progressLine renders "[#########.....]  12/31 cases  1 failed  42s".
func progressLine(done, total, failed int, elapsed time.Duration) string {
	filled := 0
	if total > 0 {
		filled = done * progressWidth / total
	}
	s := fmt.Sprintf("[%s%s] %3d/%d cases", strings.Repeat("#", filled), strings.Repeat(".", progressWidth-filled), done, total)
	if failed > 0 {
		s += fmt.Sprintf("  %d failed", failed)
	}
	return s + "  " + elapsed.Round(time.Second).String()
}
