package review

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/prompts"
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/merge"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/pathglob"
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
	DefaultConcurrency = 4  // model calls in flight per review
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
	MaxComments int              // 0 = DefaultMaxComments; beyond it findings go to the summary
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
	// Material is untrusted supporting text per area, such as the output
	// of failing tests for the bugs pass.
	Material map[finding.Area]string
	// AnchorDiff, when set, is the diff comments are placed on, while the
	// model reviews the diff passed to Review. An incremental review shows
	// the model only what changed since the last review but must comment
	// on lines of the whole pull request's diff, the only ones GitHub
	// accepts.
	AnchorDiff *diff.Diff
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

// pass is one model call: one focus area over one chunk.
type pass struct {
	area  finding.Area
	chunk int
}

type passResult struct {
	pass
	resp *model.Response
	err  error
}

// Review runs every focus pass over every chunk of d and returns the merged,
// ranked and anchored findings. It returns an error only when nothing could
// be reviewed (every pass failed, or the options are invalid); partial
// failures are listed in Result.Failures.
func (e *Engine) Review(ctx context.Context, d *diff.Diff, opt Options) (*Result, error) {
	start := time.Now()
	opt = withDefaults(opt)
	log := zerolog.Ctx(ctx)

	maxInput := opt.MaxInputTokens
	if maxInput <= 0 {
		maxInput = InputLimit(e.modelName)
	}
	plan, err := budget.Build(d, e.counter, budget.Options{
		MaxChunkTokens: ChunkTokens(maxInput),
		MaxChunks:      opt.MaxChunks,
		Exclude:        opt.Exclude,
		Include:        opt.Include,
	})
	if err != nil {
		return nil, fmt.Errorf("plan the review: %w", err)
	}
	pathRules, err := compilePathInstructions(opt.PathInstructions)
	if err != nil {
		return nil, err
	}

	res := &Result{Coverage: plan.Coverage, Focus: opt.Focus}
	res.Usage.Model = e.modelName
	if len(plan.Chunks) == 0 {
		res.Output = finding.Output{
			Findings:               []finding.Finding{},
			OverallCorrectness:     finding.CorrectnessOK,
			OverallExplanation:     "Nothing in this change could be reviewed: every changed file was skipped (see coverage).",
			OverallConfidenceScore: 0,
		}
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

	var passes []pass
	for i := range plan.Chunks {
		for _, a := range opt.Focus {
			passes = append(passes, pass{area: a, chunk: i})
		}
	}
	results := e.runPasses(ctx, passes, contexts, keys, opt)

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
			res.Failures = append(res.Failures, fmt.Sprintf("%s pass on part %d of %d: %v", r.area, r.chunk+1, len(plan.Chunks), r.err))
			log.Warn().Err(r.err).Str("area", string(r.area)).Int("chunk", r.chunk+1).Msg("review pass failed")
			continue
		}
		res.Usage.Add(r.resp.Usage)
		outputs = append(outputs, r.resp.Output)
		for _, f := range r.resp.Output.Findings {
			nf, err := merge.NormalizeIn(f, r.area, opt.Root, known)
			if err != nil {
				res.Invalid++
				log.Debug().Err(err).Str("area", string(r.area)).Msg("discarding malformed finding")
				continue
			}
			all = append(all, nf)
		}
	}
	if len(failed) == len(passes) {
		return nil, fmt.Errorf("every review pass failed: %w", errors.Join(uniqueErrors(failed)...))
	}

	merged := merge.Merge(all, merge.Options{MinPriority: opt.MinPriority, MaxFindings: opt.MaxFindings})
	res.BelowThreshold = merged.BelowThreshold
	res.Omitted = merged.Omitted
	correctness, explanation, confidence := merge.Verdict(outputs, merged.Findings)
	res.Output = finding.Output{
		Findings:               make([]finding.Finding, 0, len(merged.Findings)),
		OverallCorrectness:     correctness,
		OverallExplanation:     explanation,
		OverallConfidenceScore: confidence,
	}

	inline := 0
	for _, f := range merged.Findings {
		fp := merge.Fingerprint(f)
		p, keep := anchor.Place(ad, f, anchor.Options{})
		if p.Inline && inline >= opt.MaxComments {
			p = anchor.Placement{
				Path:   p.Path,
				Method: anchor.Summary,
				Reason: fmt.Sprintf("over the limit of %d inline comments", opt.MaxComments),
			}
			keep = false
		}
		if p.Inline {
			inline++
			// Report where the comment really is, so JSON and SARIF
			// consumers see the same lines as the posted review.
			f.CodeLocation.AbsoluteFilePath = p.Path
			f.CodeLocation.LineRange = finding.LineRange{Start: p.Line, End: p.Line}
			if p.StartLine > 0 {
				f.CodeLocation.LineRange.Start = p.StartLine
			}
		}
		if !keep {
			f.Suggestion = ""
		}
		res.Output.Findings = append(res.Output.Findings, f)
		// Normalize leaves Category one of finding.Areas.
		res.Findings = append(res.Findings, Reviewed{Finding: f, Area: finding.Area(f.Category), Fingerprint: fp, Placement: p})
	}
	res.Usage.DurationMS = time.Since(start).Milliseconds()
	return res, nil
}

// runPasses calls the model for every pass with bounded concurrency and
// returns the results in pass order, so merging is deterministic whatever
// order the calls finish in.
func (e *Engine) runPasses(ctx context.Context, passes []pass, contexts, keys []string, opt Options) []passResult {
	results := make([]passResult, len(passes))
	sem := make(chan struct{}, opt.Concurrency)
	var wg sync.WaitGroup
	for i, p := range passes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = passResult{pass: p, err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			results[i] = passResult{pass: p}
			focus, err := prompts.Focus(p.area, opt.Material[p.area])
			if err != nil {
				results[i].err = err
				return
			}
			results[i].resp, results[i].err = e.model.Review(ctx, model.Request{
				Instructions: prompts.System(),
				Input:        []string{contexts[p.chunk], focus},
				CacheKey:     keys[p.chunk],
			})
		}()
	}
	wg.Wait()
	return results
}

// cacheKey routes all passes over one chunk to the same prompt cache.
func cacheKey(context string) string {
	sum := sha256.Sum256([]byte(prompts.System() + context))
	return "codex-review-" + hex.EncodeToString(sum[:12])
}

func withDefaults(opt Options) Options {
	if len(opt.Focus) == 0 {
		opt.Focus = finding.DefaultFocus
	}
	opt.Focus = dedupeAreas(opt.Focus)
	if opt.MaxFindings <= 0 {
		opt.MaxFindings = DefaultMaxFindings
	}
	if opt.MaxComments <= 0 {
		opt.MaxComments = DefaultMaxComments
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
