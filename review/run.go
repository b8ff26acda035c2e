package review

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"

	"github.com/codex-review/codex-review/prompts"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/passes"
	"github.com/codex-review/codex-review/review/sandbox"
)

// pass is one model call: one chunk, and the focus areas the call covers
// (one, or several in a combined pass).
type pass struct {
	areas []finding.Area
	chunk int
}

// name is the pass's areas for messages: "bugs", or "security+bugs".
func (p pass) name() string {
	names := make([]string, len(p.areas))
	for i, a := range p.areas {
		names[i] = string(a)
	}
	return strings.Join(names, "+")
}

// defaultArea is the category of a finding whose own is missing or
// unknown: the pass's area, or bugs in a combined pass that covers it.
func (p pass) defaultArea() finding.Area {
	for _, a := range p.areas {
		if a == finding.Bugs {
			return a
		}
	}
	return p.areas[0]
}

type passResult struct {
	pass
	resp *model.Response
	err  error
}

// planPasses decides the calls of the review (see package passes) and
// records the decision in res: the areas that run and, in the coverage,
// how they ran and which were left out.
func planPasses(d *diff.Diff, plan *budget.Plan, opt Options, res *Result) []pass {
	paths := make([]string, 0, len(d.Files))
	for _, f := range d.Files {
		paths = append(paths, f.Path())
	}
	tokens := 0
	for _, c := range plan.Chunks {
		tokens += c.Tokens
	}
	ran := opt.Tests != nil && opt.Tests.Status != sandbox.StatusNotRun
	pp := passes.Make(opt.Focus, passes.Change{Paths: paths, TestsRan: ran, Chunks: len(plan.Chunks), Tokens: tokens}, opt.Passes, opt.ForceFocus)
	res.Focus = pp.Areas
	for _, s := range pp.Skipped {
		res.Coverage.AreasSkipped = append(res.Coverage.AreasSkipped, budget.AreaSkip{Area: string(s.Area), Reason: s.Reason})
	}
	if len(pp.Groups) == 0 || len(plan.Chunks) == 0 {
		return nil
	}
	res.Coverage.Passes = string(pp.Mode)
	var calls []pass
	for i := range plan.Chunks {
		for _, g := range pp.Groups {
			calls = append(calls, pass{areas: g, chunk: i})
		}
	}
	return calls
}

// runPasses calls the model for every pass with bounded concurrency and
// returns the results in pass order, so merging is deterministic whatever
// order the calls finish in.
//
// The passes over one chunk share their prompt up to the focus part. A
// provider caches such a prefix only once it has processed it, so passes
// sent together would each pay for all of it. The first pass of each chunk
// therefore goes alone, streamed, and the chunk's other passes start when
// its first output event arrives: the prefix is then in the provider's
// cache. That costs the time to the first event, not a round trip.
func (e *Engine) runPasses(ctx context.Context, calls []pass, contexts, keys []string, opt Options) []passResult {
	results := make([]passResult, len(calls))
	sem := make(chan struct{}, opt.Concurrency)
	started := map[int]chan struct{}{} // per chunk: closed when its first pass has started answering
	var wg sync.WaitGroup
	for i, p := range calls {
		lead, ok := started[p.chunk]
		leader := !ok
		if leader {
			lead = make(chan struct{})
			started[p.chunk] = lead
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = passResult{pass: p}
			var signal func()
			if leader {
				signal = sync.OnceFunc(func() { close(lead) })
				// Whatever happens to this pass, the others of its
				// chunk must not wait forever.
				defer signal()
				if i+1 == len(calls) || calls[i+1].chunk != p.chunk {
					signal() // no pass follows: nothing to stream for
					signal = nil
				}
			} else {
				select {
				case <-lead:
				case <-ctx.Done():
					results[i].err = ctx.Err()
					return
				}
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i].err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			focus, err := prompts.Focus(p.areas, opt.Material)
			if err != nil {
				results[i].err = err
				return
			}
			results[i].resp, results[i].err = e.model.Review(ctx, model.Request{
				Instructions: prompts.System(),
				Input:        []string{contexts[p.chunk], focus},
				CacheKey:     keys[p.chunk],
				Started:      signal,
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
