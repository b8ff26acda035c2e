package eval

import (
	"cmp"
	"slices"

	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/finding"
)

// ReportKind and ReportVersion identify the JSON form of a Report, which is
// also what --baseline reads back.
const (
	ReportKind    = "codex-review.eval"
	ReportVersion = 1
)

// Case statuses.
const (
	StatusOK     = "ok"      // reviewed and scored
	StatusError  = "error"   // the review failed; not scored
	StatusNotRun = "not run" // interrupted before it finished; not scored
)

// AnyGroup is the group of expectations that name no area or no
// min_priority.
const AnyGroup = "any"

// Report is the outcome of an evaluation. Its JSON form is stable (see
// ReportKind and ReportVersion): it is what --baseline compares against.
type Report struct {
	Kind    string `json:"kind"`
	Version int    `json:"version"`
	// Corpus names the corpus: "built-in" or the directory given.
	Corpus string `json:"corpus"`
	Model  string `json:"model"`
	// MinPriority is the threshold reports were scored at.
	MinPriority string   `json:"min_priority"`
	Focus       []string `json:"focus,omitempty"`
	Jobs        int      `json:"jobs"`
	// Interrupted is set when the run was stopped before every case ran.
	Interrupted bool   `json:"interrupted"`
	Totals      Totals `json:"totals"`
	// Areas and Priorities break the figures down: reports by their own
	// area and priority, expectations by theirs (AnyGroup when unset).
	Areas      []Group `json:"areas"`
	Priorities []Group `json:"priorities"`
	Usage      Usage   `json:"usage"`
	// Cost is set when prices were given.
	Cost   *Cost        `json:"cost,omitempty"`
	WallMS int64        `json:"wall_ms"`
	Cases  []CaseReport `json:"cases"`
}

// Totals are the figures over every scored case.
type Totals struct {
	Cases  int `json:"cases"`
	Scored int `json:"scored"`
	Errors int `json:"errors"`
	NotRun int `json:"not_run"`
	Counts
}

// Counts are the matching figures of a set of expectations and reports.
// MatchedExpected and MatchedFound differ only within a group, when an
// expectation of one group is met by a report of another.
type Counts struct {
	Expected        int `json:"expected"`
	Found           int `json:"found"`
	MatchedExpected int `json:"matched_expected"`
	MatchedFound    int `json:"matched_found"`
	FalsePositives  int `json:"false_positives"`
	Misses          int `json:"misses"`
	// Precision is MatchedFound/Found, Recall MatchedExpected/Expected,
	// F1 their harmonic mean; null when undefined (nothing found, nothing
	// expected). F1 is 0 when one of them is 0 and the other undefined.
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	F1        *float64 `json:"f1"`
}

// Group is the figures of one area or priority.
type Group struct {
	Name string `json:"name"`
	Counts
}

// Usage is what the model calls of the evaluation consumed.
type Usage struct {
	PromptTokens       int64 `json:"prompt_tokens"`
	CachedPromptTokens int64 `json:"cached_prompt_tokens"`
	CompletionTokens   int64 `json:"completion_tokens"`
	Calls              int   `json:"calls"`
}

func (u *Usage) add(o Usage) {
	u.PromptTokens += o.PromptTokens
	u.CachedPromptTokens += o.CachedPromptTokens
	u.CompletionTokens += o.CompletionTokens
	u.Calls += o.Calls
}

// Prices are per million tokens, in whatever currency the user priced
// them. Cached prompt tokens are billed at Cached; prompt tokens that were
// not cached at In.
type Prices struct {
	In     float64 `json:"in"`
	Cached float64 `json:"cached"`
	Out    float64 `json:"out"`
}

// Cost is the price of an evaluation's tokens.
type Cost struct {
	Prices Prices  `json:"per_million_tokens"`
	Total  float64 `json:"total"`
}

// Of prices the usage.
func (p Prices) Of(u Usage) float64 {
	uncached := max(u.PromptTokens-u.CachedPromptTokens, 0)
	return (float64(uncached)*p.In + float64(u.CachedPromptTokens)*p.Cached + float64(u.CompletionTokens)*p.Out) / 1e6
}

// SetPrices records the prices and the cost they give.
func (r *Report) SetPrices(p Prices) {
	r.Cost = &Cost{Prices: p, Total: p.Of(r.Usage)}
}

// CaseReport is the outcome of one case.
type CaseReport struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	Error       string `json:"error,omitempty"`
	// Expected counts in-scope expectations, Found scored reports.
	Expected       int           `json:"expected"`
	Found          int           `json:"found"`
	Matches        []MatchReport `json:"matches"`
	FalsePositives []Reported    `json:"false_positives"`
	Misses         []Wanted      `json:"misses"`
	// Failures lists passes that failed while others succeeded: the case
	// is scored on what the review returned, which may miss findings.
	Failures []string `json:"failures,omitempty"`
	// The dependency analysis of the case, as the review command's JSON
	// carries it, when it ran (tree cases that change a manifest or
	// lockfile).
	deps.JSONFields
	Usage      Usage `json:"usage"`
	DurationMS int64 `json:"duration_ms"`
}

// Scored reports whether the case counts in the figures.
func (c CaseReport) Scored() bool { return c.Status == StatusOK }

// Wanted is an expectation as reports show it.
type Wanted struct {
	Path        string `json:"path"`
	Lines       [2]int `json:"lines"`
	Area        string `json:"area,omitempty"`
	MinPriority string `json:"min_priority,omitempty"`
}

// Label names the expectation: "path:line" or "path:first-last".
func (w Wanted) Label() string {
	return Expected{Path: w.Path, Start: w.Lines[0], End: w.Lines[1]}.Label()
}

// Reported is a report as the evaluation shows it.
type Reported struct {
	Path     string `json:"path"`
	Lines    [2]int `json:"lines"`
	Area     string `json:"area"`
	Priority string `json:"priority"`
	Title    string `json:"title"`
}

// MatchReport is an expectation and the report that met it.
type MatchReport struct {
	Expected Wanted   `json:"expected"`
	Found    Reported `json:"found"`
}

func wanted(e Expected) Wanted {
	w := Wanted{Path: e.Path, Lines: [2]int{e.Start, e.End}, Area: string(e.Area)}
	if e.HasMinPriority {
		w.MinPriority = e.MinPriority.String()
	}
	return w
}

func reported(f finding.Finding) Reported {
	return Reported{
		Path:     f.CodeLocation.AbsoluteFilePath,
		Lines:    [2]int{f.CodeLocation.LineRange.Start, f.CodeLocation.LineRange.End},
		Area:     f.Category,
		Priority: finding.Priority(f.Priority).String(),
		Title:    f.Title,
	}
}

// scoreCase fills the matching part of a case's report.
func scoreCase(cr *CaseReport, c *Case, found []finding.Finding, threshold finding.Priority) {
	sc := Match(c.Expected, found, threshold)
	cr.Expected = len(c.Expected) - len(sc.OutOfScope)
	cr.Found = len(found) - len(sc.Below) - len(sc.Excused)
	cr.Matches = make([]MatchReport, 0, len(sc.Matched))
	for _, p := range sc.Matched {
		cr.Matches = append(cr.Matches, MatchReport{Expected: wanted(c.Expected[p.Expected]), Found: reported(found[p.Found])})
	}
	cr.FalsePositives = make([]Reported, 0, len(sc.FalsePositives))
	for _, j := range sc.FalsePositives {
		cr.FalsePositives = append(cr.FalsePositives, reported(found[j]))
	}
	cr.Misses = make([]Wanted, 0, len(sc.Misses))
	for _, i := range sc.Misses {
		cr.Misses = append(cr.Misses, wanted(c.Expected[i]))
	}
}

// summarize computes the totals and groups of r from its cases.
func (r *Report) summarize() {
	var tot Counts
	areas := map[string]*Counts{}
	prios := map[string]*Counts{}
	group := func(m map[string]*Counts, k string) *Counts {
		if k == "" {
			k = AnyGroup
		}
		if m[k] == nil {
			m[k] = &Counts{}
		}
		return m[k]
	}
	r.Totals = Totals{Cases: len(r.Cases)}
	r.Usage = Usage{}
	for _, c := range r.Cases {
		r.Usage.add(c.Usage)
		switch c.Status {
		case StatusError:
			r.Totals.Errors++
			continue
		case StatusNotRun:
			r.Totals.NotRun++
			continue
		}
		r.Totals.Scored++
		tot.Expected += c.Expected
		tot.Found += c.Found
		tot.MatchedExpected += len(c.Matches)
		tot.MatchedFound += len(c.Matches)
		for _, m := range c.Matches {
			for _, g := range []*Counts{group(areas, m.Expected.Area), group(prios, m.Expected.MinPriority)} {
				g.Expected++
				g.MatchedExpected++
			}
			for _, g := range []*Counts{group(areas, m.Found.Area), group(prios, m.Found.Priority)} {
				g.Found++
				g.MatchedFound++
			}
		}
		for _, f := range c.FalsePositives {
			group(areas, f.Area).Found++
			group(prios, f.Priority).Found++
		}
		for _, w := range c.Misses {
			group(areas, w.Area).Expected++
			group(prios, w.MinPriority).Expected++
		}
	}
	tot.finish()
	r.Totals.Counts = tot
	r.Areas = groups(areas, areaOrder)
	r.Priorities = groups(prios, priorityOrder)
}

// finish derives the false positives, misses and ratios from the counts.
func (c *Counts) finish() {
	c.FalsePositives = c.Found - c.MatchedFound
	c.Misses = c.Expected - c.MatchedExpected
	c.Precision, c.Recall, c.F1 = nil, nil, nil
	if c.Found > 0 {
		c.Precision = ratio(float64(c.MatchedFound) / float64(c.Found))
	}
	if c.Expected > 0 {
		c.Recall = ratio(float64(c.MatchedExpected) / float64(c.Expected))
	}
	switch p, r := c.Precision, c.Recall; {
	case p != nil && r != nil && *p+*r > 0:
		c.F1 = ratio(2 * *p * *r / (*p + *r))
	case p != nil && r != nil, p != nil && *p == 0, r != nil && *r == 0:
		c.F1 = ratio(0)
	}
}

func ratio(f float64) *float64 { return &f }

// areaOrder ranks group names: the focus areas in their usual order, then
// anything else by name, AnyGroup last.
func areaOrder(name string) int {
	for i, a := range finding.Areas {
		if string(a) == name {
			return i
		}
	}
	return len(finding.Areas)
}

func priorityOrder(name string) int {
	if p, err := finding.ParsePriority(name); err == nil && name != AnyGroup {
		return int(p)
	}
	return 4
}

func groups(m map[string]*Counts, order func(string) int) []Group {
	out := make([]Group, 0, len(m))
	for k, c := range m {
		c.finish()
		out = append(out, Group{Name: k, Counts: *c})
	}
	slices.SortFunc(out, func(a, b Group) int {
		if a.Name == AnyGroup || b.Name == AnyGroup {
			return cmp.Compare(boolInt(a.Name == AnyGroup), boolInt(b.Name == AnyGroup))
		}
		if c := cmp.Compare(order(a.Name), order(b.Name)); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
