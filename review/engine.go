package review

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/prompts"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/dismiss"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/merge"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/passes"
	"github.com/codex-review/codex-review/review/pathglob"
	"github.com/codex-review/codex-review/review/sandbox"
)

// Model is what the engine needs from a model endpoint: one structured
// review call. *model.Client implements it; tests use a fake server.
type Model interface {
	Review(ctx context.Context, req model.Request) (*model.Response, error)
}

// Defaults applied when Options leaves a field zero.
const (
	DefaultMaxFindings = 50 // findings kept after merging; the rest are counted, not shown
	DefaultMaxComments = 20 // inline comments per review (design §4.6 max_comments)
	// MaxInlineComments is the most inline comments one review may post
	// (.codex.yml review.max_comments cannot exceed it). GitHub publishes
	// no limit, but every comment is a notification and content creation
	// is what its secondary rate limits count; the rest of the findings
	// are still listed in the summary. The publisher applies the cap.
	MaxInlineComments  = 100
	DefaultConcurrency = 4 // model calls in flight per review
	// outputReserve keeps room in the context window for the answer and
	// the fixed prompt parts around the diff chunk.
	outputReserve = 16_000
	// maxChunkTokens caps a chunk even for very large context windows:
	// reviewers attend worse to the middle of huge prompts, and smaller
	// chunks fail and retry more cheaply.
	maxChunkTokens = 60_000
)

// PathInstruction adds maintainers' instructions for files matching a glob
// (design §4.6 review.path_instructions).
type PathInstruction struct {
	Path         string
	Instructions string
}

// Options tune one review. Zero fields take defaults, except MinPriority:
// its zero value is P0, so callers set it (the CLI and .codex.yml default
// to P1, which posts P0 and P1).
type Options struct {
	Focus       []finding.Area
	MinPriority finding.Priority // findings below it are counted, not shown
	MaxFindings int              // 0 = DefaultMaxFindings
	// Instructions are trusted extra instructions (config, operator).
	Instructions     string
	PathInstructions []PathInstruction
	// Repository, Title and Description describe the change; Title and
	// Description are untrusted and fenced in the prompt.
	Repository, Title, Description string
	// Root is the repository's absolute path, used to turn absolute paths
	// in the model's answer back into repository paths.
	Root string
	// MaxInputTokens is the model's context window; 0 = InputLimit(model).
	MaxInputTokens int
	// MaxChunks caps the number of chunks (cost control); 0 = no cap.
	MaxChunks        int
	Exclude, Include []string
	Concurrency      int // 0 = DefaultConcurrency
	// Material is untrusted supporting text per area. The output of
	// failing Tests is added for every pass.
	Material map[finding.Area]string
	// Tests is the result of running the repository's tests, when the
	// caller ran them: the review reports it (Result.Sandbox) and every
	// pass reads the failures. When they failed and Tests.Base holds the
	// same command's run on the base commit, the tests this change breaks
	// are P1 findings and make the patch incorrect.
	Tests *sandbox.Result
	// NoDiff says why files of the change have no diff text (a host that
	// leaves out the patch of large or binary files); the coverage gives
	// that reason for them.
	NoDiff map[string]string
	// Unlisted are changed files the caller could not list (GitHub lists
	// at most 3,000 files of a pull request); the coverage counts them.
	Unlisted Unlisted
	// OutsideDiff says what happens to findings outside the file or the
	// change: OutsideNote (the default) or OutsideDrop.
	OutsideDiff OutsideDiff
	// MinConfidence keeps findings the model is less sure of out of
	// inline comments; 0 keeps none out.
	MinConfidence float64
	// Dependencies, when set, lets the engine compute the dependency
	// changes of the diff and their known vulnerabilities (review/deps).
	Dependencies *DependencySource
	// AnchorDiff, when set, is the diff comments are placed on, while the
	// model reviews the diff passed to Review. An incremental review shows
	// the model only what changed since the last review but must comment
	// on lines of the whole pull request's diff, the only ones GitHub
	// accepts.
	AnchorDiff *diff.Diff
	// Head, when set, gives the head version of changed files, so that
	// each hunk is shown inside its enclosing function (see context.go).
	Head HeadFiles
	// Passes is .codex.yml's review.passes; "" means passes.Auto.
	Passes passes.Mode
	// ForceFocus runs every area of Focus even when the change gives it
	// nothing to review: the areas were asked for by name.
	ForceFocus bool
	// Dismissed are findings people dismissed on earlier reviews of this
	// change; they are not reported again (Result.Dismissed counts them).
	Dismissed []dismiss.Entry
}

// Engine reviews diffs with a model.
type Engine struct {
	model     Model
	counter   budget.Counter
	modelName string
}

// New returns an engine that calls m, counting tokens with counter for the
// named model (used to size chunks).
func New(m Model, counter budget.Counter, modelName string) *Engine {
	return &Engine{model: m, counter: counter, modelName: modelName}
}

// InputLimit is the context window of well-known models in tokens, and a
// conservative default for others (local servers often run small windows;
// set .codex.yml model.max_input_tokens to use more).
func InputLimit(modelName string) int {
	m := strings.ToLower(modelName)
	switch {
	case strings.HasPrefix(m, "gpt-5"):
		return 272_000
	case strings.HasPrefix(m, "gpt-4.1"):
		return 1_000_000
	case strings.HasPrefix(m, "o1"), strings.HasPrefix(m, "o3"), strings.HasPrefix(m, "o4"):
		return 200_000
	case strings.HasPrefix(m, "gpt-4o"), strings.HasPrefix(m, "gpt-4-turbo"):
		return 128_000
	default:
		return 32_000
	}
}

// ChunkTokens is the diff budget of one request for a context window.
func ChunkTokens(maxInput int) int {
	n := maxInput - outputReserve - 4_000 // the system and focus parts
	if n > maxChunkTokens {
		n = maxChunkTokens
	}
	if n < 2_000 {
		n = 2_000
	}
	return n
}

// Review runs every focus pass over every chunk of d and returns the merged,
// ranked and anchored findings. It returns an error only when nothing could
// be reviewed (every pass failed, or the options are invalid); partial
// failures are listed in Result.Failures.
func (e *Engine) Review(ctx context.Context, d *diff.Diff, opt Options) (*Result, error) {
	start := time.Now()
	opt = withDefaults(opt)
	log := zerolog.Ctx(ctx)
	depReport, err := prepareDependencies(ctx, d, &opt)
	if err != nil {
		return nil, err
	}

	maxInput := opt.MaxInputTokens
	if maxInput <= 0 {
		maxInput = InputLimit(e.modelName)
	}
	bopt := budget.Options{
		MaxChunkTokens: ChunkTokens(maxInput),
		MaxChunks:      opt.MaxChunks,
		Exclude:        opt.Exclude,
		Include:        opt.Include,
	}
	bopt.Context = hunkContext(ctx, d, opt.Head, bopt)
	plan, err := budget.Build(d, e.counter, bopt)
	if err != nil {
		return nil, fmt.Errorf("plan the review: %w", err)
	}
	pathRules, err := compilePathInstructions(opt.PathInstructions)
	if err != nil {
		return nil, err
	}

	noteCoverage(&plan.Coverage, opt)
	opt = testMaterial(opt)
	res := &Result{Coverage: plan.Coverage, Focus: opt.Focus, Sandbox: opt.Tests, Dependencies: depReport}
	res.Usage.Model = e.modelName
	calls := planPasses(d, plan, opt, res)
	depFindings := depReport.Findings(anchorDiff(d, opt))
	if (len(plan.Chunks) == 0 || len(calls) == 0) && len(depFindings) == 0 {
		why := "Nothing in this change could be reviewed: every changed file was skipped (see coverage)."
		if len(plan.Chunks) > 0 {
			why = "None of the requested focus areas applies to this change (see coverage)."
		}
		res.Verdict = Verdict{Correctness: finding.CorrectnessOK, Explanation: why}
		res.Usage.DurationMS = time.Since(start).Milliseconds()
		return res, nil
	}

	// The context part and its cache key are made once per chunk and shared
	// by its passes.
	contexts := make([]string, len(plan.Chunks))
	keys := make([]string, len(plan.Chunks))
	for i, c := range plan.Chunks {
		ctxText, err := prompts.Context(prompts.Input{
			Repository:   opt.Repository,
			Instructions: joinInstructions(opt.Instructions, pathRules, c.Files),
			Title:        opt.Title,
			Description:  opt.Description,
			Diff:         c.Text,
			ChunkIndex:   i + 1,
			ChunkCount:   len(plan.Chunks),
		})
		if err != nil {
			return nil, err
		}
		contexts[i], keys[i] = ctxText, cacheKey(ctxText)
	}

	results := e.runPasses(ctx, calls, contexts, keys, opt)

	ad := d
	if opt.AnchorDiff != nil {
		ad = opt.AnchorDiff
	}
	paths := make([]string, 0, 2*len(ad.Files))
	for _, f := range ad.Files {
		if f.NewPath != "" {
			paths = append(paths, f.NewPath)
		}
		if f.OldPath != "" && f.OldPath != f.NewPath {
			paths = append(paths, f.OldPath)
		}
	}
	known := merge.NewPaths(paths)
	var (
		outputs []finding.Output
		all     []finding.Finding
		failed  []error
	)
	for _, r := range results {
		if r.err != nil {
			failed = append(failed, r.err)
			res.Failures = append(res.Failures, fmt.Sprintf("%s pass on part %d of %d: %v", r.name(), r.chunk+1, len(plan.Chunks), r.err))
			log.Warn().Err(r.err).Str("area", r.name()).Int("chunk", r.chunk+1).Msg("review pass failed")
			continue
		}
		res.Usage.Add(r.resp.Usage)
		res.Invalid += r.resp.Dropped // findings the parser could not use
		outputs = append(outputs, r.resp.Output)
		for _, f := range r.resp.Output.Findings {
			nf, err := merge.NormalizeIn(f, r.defaultArea(), opt.Root, known)
			if err != nil {
				res.Invalid++
				log.Debug().Err(err).Str("area", r.name()).Msg("discarding malformed finding")
				continue
			}
			all = append(all, nf)
		}
	}
	if len(calls) > 0 && len(failed) == len(calls) {
		return nil, fmt.Errorf("every review pass failed: %w", errors.Join(uniqueErrors(failed)...))
	}

	// Tests this change breaks are findings too, merged with what the
	// passes said about the same lines.
	all = append(all, testBlame(ad, opt.Tests)...)
	all = append(all, depFindings...)
	merged := merge.Merge(all, merge.Options{MinPriority: opt.MinPriority, MaxFindings: opt.MaxFindings})
	merged.Findings, res.Dismissed = dismiss.Filter(merged.Findings, opt.Dismissed)
	res.BelowThreshold = merged.BelowThreshold
	res.Omitted = merged.Omitted
	present(ctx, res, ad, outputs, merged, opt)
	res.Usage.DurationMS = time.Since(start).Milliseconds()
	return res, nil
}

func withDefaults(opt Options) Options {
	if len(opt.Focus) == 0 {
		opt.Focus = finding.DefaultFocus
	}
	opt.Focus = dedupeAreas(opt.Focus)
	if opt.MaxFindings <= 0 {
		opt.MaxFindings = DefaultMaxFindings
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultConcurrency
	}
	return opt
}

func dedupeAreas(in []finding.Area) []finding.Area {
	seen := map[finding.Area]bool{}
	out := make([]finding.Area, 0, len(in))
	for _, a := range in {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

type pathRule struct {
	pattern      *pathglob.Pattern
	instructions string
}

func compilePathInstructions(in []PathInstruction) ([]pathRule, error) {
	rules := make([]pathRule, 0, len(in))
	for _, pi := range in {
		p, err := pathglob.Compile(pi.Path)
		if err != nil {
			return nil, fmt.Errorf("path instructions: %w", err)
		}
		rules = append(rules, pathRule{pattern: p, instructions: pi.Instructions})
	}
	return rules, nil
}

// joinInstructions adds the path instructions whose pattern matches a file
// of the chunk to the general instructions.
func joinInstructions(general string, rules []pathRule, files []string) string {
	parts := []string{}
	if s := strings.TrimSpace(general); s != "" {
		parts = append(parts, s)
	}
	for _, r := range rules {
		var matched []string
		for _, f := range files {
			if r.pattern.Match(f) {
				matched = append(matched, f)
			}
		}
		if len(matched) > 0 {
			sort.Strings(matched)
			parts = append(parts, fmt.Sprintf("For files matching %s (%s): %s", r.pattern.String(), strings.Join(matched, ", "), strings.TrimSpace(r.instructions)))
		}
	}
	return strings.Join(parts, "\n\n")
}

// uniqueErrors keeps one error per distinct message: when every pass fails
// for the same reason (a wrong key), the user should read it once.
func uniqueErrors(errs []error) []error {
	seen := map[string]bool{}
	var out []error
	for _, err := range errs {
		if !seen[err.Error()] {
			seen[err.Error()] = true
			out = append(out, err)
		}
	}
	return out
}
