package eval

import (
	"context"
	"sync"
	"time"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
)

// DefaultJobs is how many cases run at once by default. Each case's review
// runs its own passes concurrently too, so this keeps a few reviews'
// worth of model calls in flight without tripping rate limits.
const DefaultJobs = 4

// Reviewer reviews one case as the product would: with the case's
// repository rules applied. The evaluation calls it from several
// goroutines at once.
type Reviewer func(ctx context.Context, c *Case) (*review.Result, error)

// Options tune a run.
type Options struct {
	// MinPriority is the threshold reports are scored at (P1 scores P0
	// and P1). Its zero value is P0.
	MinPriority finding.Priority
	// Jobs is the number of cases reviewed at once; 0 = DefaultJobs.
	Jobs int
	// Progress, when set, is called after each case finishes with the
	// number finished so far and that case's report. Calls never overlap.
	Progress func(done int, c CaseReport)
}

// Run reviews every case and scores the reports. It always returns a
// report: a case whose review fails is listed with its error, and when ctx
// is cancelled the cases not finished are marked not run and the report
// is marked interrupted, with the figures of what did finish.
func Run(ctx context.Context, cases []*Case, rev Reviewer, opt Options) *Report {
	start := time.Now()
	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs
	}
	rep := &Report{
		Kind:        ReportKind,
		Version:     ReportVersion,
		MinPriority: opt.MinPriority.String(),
		Jobs:        jobs,
		Cases:       make([]CaseReport, len(cases)),
	}
	for i, c := range cases {
		rep.Cases[i] = notRun(c)
	}

	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
	)
	next := make(chan int)
	for range min(jobs, len(cases)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cr := runCase(ctx, cases[i], rev, opt.MinPriority)
				mu.Lock()
				rep.Cases[i] = cr
				if cr.Status != StatusNotRun {
					done++
					if opt.Progress != nil {
						opt.Progress(done, cr)
					}
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range cases {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	rep.Interrupted = ctx.Err() != nil
	rep.summarize()
	rep.WallMS = time.Since(start).Milliseconds()
	return rep
}

// runCase reviews and scores one case.
func runCase(ctx context.Context, c *Case, rev Reviewer, threshold finding.Priority) CaseReport {
	cr := notRun(c)
	if ctx.Err() != nil {
		return cr
	}
	t := time.Now()
	res, err := rev(ctx, c)
	cr.DurationMS = time.Since(t).Milliseconds()
	if res != nil {
		u := res.Usage
		cr.Usage = Usage{PromptTokens: u.PromptTokens, CachedPromptTokens: u.CachedPromptTokens, CompletionTokens: u.CompletionTokens, Calls: u.Calls}
	}
	switch {
	case ctx.Err() != nil:
		// Interrupted: whatever came back (errors, or a review with
		// cancelled passes) says nothing about the case.
		return notRun(c)
	case err != nil:
		cr.Status, cr.Error = StatusError, err.Error()
		return cr
	}
	cr.Failures = res.Failures
	cr.JSONFields = res.Dependencies.JSON()
	cr.Status = StatusOK
	scoreCase(&cr, c, res.Output().Findings, threshold)
	return cr
}

// notRun is the report of a case that has not been scored; its lists are
// empty rather than null in JSON.
func notRun(c *Case) CaseReport {
	return CaseReport{Name: c.Name, Description: c.Description, Status: StatusNotRun,
		Matches: []MatchReport{}, FalsePositives: []Reported{}, Misses: []Wanted{}}
}
