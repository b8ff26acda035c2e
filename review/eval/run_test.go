package eval

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
)

// fakeCases makes n cases named c00.. with one expectation each.
func fakeCases(n int) []*Case {
	cs := make([]*Case, n)
	for i := range cs {
		cs[i] = &Case{Name: fmt.Sprintf("c%02d", i), Description: "case", Expected: []Expected{exp("a.go", 10, 10, finding.Bugs, "P1")}}
	}
	return cs
}

func found(fs ...finding.Finding) *review.Result {
	r := &review.Result{Usage: finding.Usage{PromptTokens: 100, CachedPromptTokens: 40, CompletionTokens: 10, Calls: 2}}
	for _, f := range fs {
		r.Findings = append(r.Findings, review.Reviewed{Finding: f, Area: finding.Area(f.Category)})
	}
	return r
}

func TestRunScoresEveryCaseConcurrently(t *testing.T) {
	cases := fakeCases(10)
	var inFlight, peak atomic.Int32
	gate := make(chan struct{})
	var once sync.Once
	rev := func(ctx context.Context, c *Case) (*review.Result, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n == 3 {
			once.Do(func() { close(gate) })
		}
		<-gate // the first cases wait until three run at once
		switch c.Name {
		case "c03":
			return nil, errors.New("model unavailable")
		case "c04":
			return found(), nil
		case "c05":
			return found(rep("a.go", 10, 10, finding.Bugs, 1), rep("b.go", 1, 1, finding.Security, 0)), nil
		}
		return found(rep("a.go", 11, 11, finding.Bugs, 1)), nil
	}
	var progress []int
	r := Run(context.Background(), cases, rev, Options{MinPriority: finding.P1, Jobs: 3, Progress: func(done int, c CaseReport) {
		progress = append(progress, done)
	}})
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want 3", p)
	}
	if len(progress) != 10 || progress[0] != 1 || progress[9] != 10 {
		t.Errorf("progress calls %v", progress)
	}
	tot := r.Totals
	if tot.Cases != 10 || tot.Scored != 9 || tot.Errors != 1 || tot.Expected != 9 || tot.Found != 9 || tot.MatchedFound != 8 || tot.FalsePositives != 1 || tot.Misses != 1 {
		t.Errorf("totals %+v", tot)
	}
	if r.Cases[3].Status != StatusError || r.Cases[3].Error != "model unavailable" {
		t.Errorf("c03: %+v", r.Cases[3])
	}
	if r.Usage.Calls != 18 || r.Usage.PromptTokens != 900 {
		t.Errorf("usage %+v: the failed case reported none", r.Usage)
	}
	if r.Interrupted || r.Jobs != 3 || r.MinPriority != "P1" || r.Kind != ReportKind || r.Version != ReportVersion {
		t.Errorf("header %+v", r)
	}
}

func TestRunInterrupted(t *testing.T) {
	cases := fakeCases(6)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rev := func(ctx context.Context, c *Case) (*review.Result, error) {
		if c.Name == "c02" {
			cancel()
			<-ctx.Done()
			return found(), errors.Join(ctx.Err())
		}
		return found(rep("a.go", 10, 10, finding.Bugs, 1)), nil
	}
	r := Run(ctx, cases, rev, Options{MinPriority: finding.P1, Jobs: 1})
	if !r.Interrupted || r.Totals.Scored != 2 || r.Totals.NotRun != 4 || r.Totals.Errors != 0 {
		t.Errorf("interrupted %v totals %+v", r.Interrupted, r.Totals)
	}
	if !near(r.Totals.Precision, 1) || !near(r.Totals.Recall, 1) {
		t.Errorf("figures of the finished cases: %+v", r.Totals.Counts)
	}
	for i, c := range r.Cases {
		if want := i < 2; c.Scored() != want {
			t.Errorf("%s: status %s", c.Name, c.Status)
		}
	}
}

func near(v *float64, want float64) bool { return v != nil && *v > want-1e-9 && *v < want+1e-9 }

func TestGroupsSplitByAreaAndPriority(t *testing.T) {
	c := &Case{Name: "x", Expected: []Expected{
		exp("a.go", 10, 10, finding.Security, "P0"),
		exp("a.go", 30, 30, finding.Bugs, "P1"),
		exp("b.go", 5, 5, "", ""),
	}}
	rev := func(context.Context, *Case) (*review.Result, error) {
		return found(
			rep("a.go", 10, 10, finding.Security, 0),
			rep("b.go", 5, 5, finding.Performance, 1),
			rep("c.go", 1, 1, finding.Bugs, 1),
		), nil
	}
	r := Run(context.Background(), []*Case{c}, rev, Options{MinPriority: finding.P1})
	got := map[string]Counts{}
	for _, g := range r.Areas {
		got["area "+g.Name] = g.Counts
	}
	for _, g := range r.Priorities {
		got["priority "+g.Name] = g.Counts
	}
	want := map[string][4]int{ // expected, found, matched expected, matched found
		"area security":    {1, 1, 1, 1},
		"area bugs":        {1, 1, 0, 0},
		"area performance": {0, 1, 0, 1},
		"area any":         {1, 0, 1, 0},
		"priority P0":      {1, 1, 1, 1},
		"priority P1":      {1, 2, 0, 1},
		"priority any":     {1, 0, 1, 0},
	}
	for k, w := range want {
		g := got[k]
		if [4]int{g.Expected, g.Found, g.MatchedExpected, g.MatchedFound} != w {
			t.Errorf("%s: %+v, want %v", k, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("groups %v", got)
	}
	var order []string
	for _, g := range r.Areas {
		order = append(order, g.Name)
	}
	if fmt.Sprint(order) != "[security bugs performance any]" {
		t.Errorf("area order %v", order)
	}
}
