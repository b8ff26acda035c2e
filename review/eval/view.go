package eval

import (
	"fmt"
	"strings"

	"github.com/codex-review/codex-review/review/humanize"
)

// The text and markdown reports are built from one layout of blocks, so
// the two always say the same thing; each format only decides how a piece
// looks and how untrusted text is made safe.

// span is a piece of text, of one of three kinds: our own words and
// figures; names the corpus chose (case names, paths), which formats show
// as code; and prose from the model or an error (titles, messages), which
// formats neutralise. Only our own words are written as they are.
type span struct {
	s    string
	kind spanKind
}

type spanKind uint8

const (
	ours spanKind = iota
	name
	prose
)

func txt(s string) span   { return span{s: s} }
func code(s string) span  { return span{s: s, kind: name} }
func model(s string) span { return span{s: s, kind: prose} }

// row is a table row or a list item, as cells (for a list item, pieces of
// one line).
type row []span

type table struct {
	head []string
	rows []row
	// text is the number of leading columns that hold words, aligned to
	// the left; the others hold figures, aligned to the right.
	text int
}

// block is a titled part of the report.
type block struct {
	title string
	lines []row // paragraphs, one line each
	table *table
	items []row // a bulleted list
	// chart marks where the markdown report shows the chart.
	chart bool
}

// layout arranges a report, compared with a baseline when cmp is set.
// chartFile, when set, is the chart image the markdown report links to.
func layout(r *Report, cmp *Comparison, chartFile string) []block {
	var base *Report
	if cmp != nil {
		base = cmp.Base
	}
	var bs []block

	head := block{}
	head.lines = append(head.lines, row{
		txt("Corpus "), code(r.Corpus), txt(fmt.Sprintf(" (%s), model ", plural(r.Totals.Cases, "case", "cases"))), code(r.Model),
		txt(fmt.Sprintf("; findings scored at %s and above; %d cases at a time; %s.", r.MinPriority, r.Jobs, humanize.Millis(r.WallMS))),
	})
	if base != nil {
		head.lines = append(head.lines, row{
			txt("Baseline: corpus "), code(base.Corpus), txt(fmt.Sprintf(" (%s), model ", plural(base.Totals.Cases, "case", "cases"))), code(base.Model),
			txt(fmt.Sprintf("; scored at %s and above.", base.MinPriority)),
		})
		if base.MinPriority != r.MinPriority {
			head.lines = append(head.lines, row{txt("The two runs were scored at different thresholds: their figures are not comparable.")})
		}
	}
	if r.Interrupted {
		head.lines = append(head.lines, row{txt(fmt.Sprintf("Interrupted: %d of %d cases finished; the figures cover those only.", r.Totals.Scored+r.Totals.Errors, r.Totals.Cases))})
	}
	if r.Totals.Errors > 0 {
		head.lines = append(head.lines, row{txt(fmt.Sprintf("%s failed and %s not scored (see Errors).", plural(r.Totals.Errors, "case", "cases"), isAre(r.Totals.Errors)))})
	}
	bs = append(bs, head)

	bs = append(bs, block{title: "Totals", table: totalsTable(r, base)})
	bs = append(bs, block{title: "By area", table: groupTable("area", r.Areas, groupsOf(base, true))})
	if chartFile != "" {
		bs = append(bs, block{chart: true, lines: []row{{txt(chartFile)}}})
	}
	bs = append(bs, block{title: "By priority", table: groupTable("priority", r.Priorities, groupsOf(base, false))})
	bs = append(bs, block{title: "Cases", table: casesTable(r)})

	var misses, fps, errs, partial []row
	for _, c := range r.Cases {
		for _, w := range c.Misses {
			it := row{code(c.Name), txt(": "), code(w.Path + ":" + lines(w.Lines))}
			if q := qualifiers(w.Area, w.MinPriority); q != "" {
				it = append(it, txt(" ("+q+")"))
			}
			misses = append(misses, it)
		}
		for _, f := range c.FalsePositives {
			fps = append(fps, row{code(c.Name), txt(": "), model(f.Title), txt(" at "), code(f.Path + ":" + lines(f.Lines)), txt(" (" + f.Area + ")")})
		}
		if c.Status == StatusError {
			errs = append(errs, row{code(c.Name), txt(": "), model(c.Error)})
		}
		if len(c.Failures) > 0 {
			partial = append(partial, row{code(c.Name), txt(": "), model(strings.Join(c.Failures, "; "))})
		}
	}
	if len(misses) > 0 {
		bs = append(bs, block{title: "Missed", items: misses})
	}
	if len(fps) > 0 {
		bs = append(bs, block{title: "False positives", items: fps})
	}
	if len(errs) > 0 {
		bs = append(bs, block{title: "Errors", items: errs})
	}
	if len(partial) > 0 {
		bs = append(bs, block{title: "Passes that failed (cases scored on the rest)", items: partial})
	}
	if cmp != nil {
		bs = append(bs, changesBlock(cmp))
	}
	return bs
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func qualifiers(area, prio string) string {
	var q []string
	if area != "" {
		q = append(q, area)
	}
	if prio != "" {
		q = append(q, "at least "+prio)
	}
	return strings.Join(q, ", ")
}

// figureRow is a totals row: its name, this run's value and, with a
// baseline, the baseline's and the difference.
func figureRow(name, now, then, diff string, withBase bool) row {
	r := row{txt(name), txt(now)}
	if withBase {
		r = append(r, txt(then), txt(diff))
	}
	return r
}

func totalsTable(r *Report, base *Report) *table {
	t := &table{head: []string{"figure", "this run"}, text: 1}
	wb := base != nil
	if wb {
		t.head = append(t.head, "baseline", "change")
	}
	var b Totals
	var bu Usage
	var bw int64
	if wb {
		b, bu, bw = base.Totals, base.Usage, base.WallMS
	}
	n := r.Totals
	ratio := func(name string, now, then *float64, detail string) {
		v := fig(now)
		if detail != "" && now != nil {
			v += " (" + detail + ")"
		}
		t.rows = append(t.rows, figureRow(name, v, fig(then), delta(now, then), wb))
	}
	num := func(name string, now, then int64) {
		t.rows = append(t.rows, figureRow(name, humanize.Count(now), humanize.Count(then), countDelta(now, then), wb))
	}
	ratio("precision", n.Precision, b.Precision, fmt.Sprintf("%d of %d", n.MatchedFound, n.Found))
	ratio("recall", n.Recall, b.Recall, fmt.Sprintf("%d of %d", n.MatchedExpected, n.Expected))
	ratio("F1", n.F1, b.F1, "")
	num("expected findings", int64(n.Expected), int64(b.Expected))
	num("reported findings", int64(n.Found), int64(b.Found))
	num("false positives", int64(n.FalsePositives), int64(b.FalsePositives))
	num("misses", int64(n.Misses), int64(b.Misses))
	num("cases scored", int64(n.Scored), int64(b.Scored))
	num("cases failed", int64(n.Errors), int64(b.Errors))
	num("prompt tokens", r.Usage.PromptTokens, bu.PromptTokens)
	num("cached prompt tokens", r.Usage.CachedPromptTokens, bu.CachedPromptTokens)
	num("completion tokens", r.Usage.CompletionTokens, bu.CompletionTokens)
	num("model calls", int64(r.Usage.Calls), int64(bu.Calls))
	if r.Cost != nil {
		var then, diff string
		if wb {
			// The baseline's tokens at this run's prices, so that the
			// difference is the models' and prompts', not the prices'.
			bc := r.Cost.Prices.Of(bu)
			then, diff = money(bc), moneyDelta(r.Cost.Total, bc)
		}
		t.rows = append(t.rows, figureRow(fmt.Sprintf("cost (per Mtok: in %g, cached %g, out %g)", r.Cost.Prices.In, r.Cost.Prices.Cached, r.Cost.Prices.Out), money(r.Cost.Total), then, diff, wb))
	}
	t.rows = append(t.rows, figureRow("wall time", humanize.Millis(r.WallMS), humanize.Millis(bw), durationDelta(r.WallMS, bw), wb))
	return t
}

func groupsOf(r *Report, areas bool) map[string]Counts {
	if r == nil {
		return nil
	}
	gs := r.Priorities
	if areas {
		gs = r.Areas
	}
	m := make(map[string]Counts, len(gs))
	for _, g := range gs {
		m[g.Name] = g.Counts
	}
	return m
}

func groupTable(kind string, gs []Group, base map[string]Counts) *table {
	wb := base != nil
	t := &table{head: []string{kind}, text: 1}
	for _, f := range []string{"precision", "recall", "F1"} {
		t.head = append(t.head, f)
		if wb {
			t.head = append(t.head, "baseline", "change")
		}
	}
	t.head = append(t.head, "expected", "found", "matched")
	names := make([]string, 0, len(gs))
	now := map[string]Counts{}
	for _, g := range gs {
		names = append(names, g.Name)
		now[g.Name] = g.Counts
	}
	// Groups only the baseline has still get a row: a whole area going
	// silent is a change worth seeing.
	for _, g := range sortedGroups(base, kind == "area") {
		if _, ok := now[g]; !ok {
			names = append(names, g)
		}
	}
	for _, name := range names {
		c, b := now[name], base[name]
		r := row{txt(name)}
		for _, v := range [][2]*float64{{c.Precision, b.Precision}, {c.Recall, b.Recall}, {c.F1, b.F1}} {
			r = append(r, txt(fig(v[0])))
			if wb {
				r = append(r, txt(fig(v[1])), txt(delta(v[0], v[1])))
			}
		}
		matched := fmt.Sprintf("%d/%d", c.MatchedExpected, c.MatchedFound)
		if c.MatchedExpected == c.MatchedFound {
			matched = humanize.Count(c.MatchedExpected)
		}
		r = append(r, txt(humanize.Count(c.Expected)), txt(humanize.Count(c.Found)), txt(matched))
		t.rows = append(t.rows, r)
	}
	return t
}

// sortedGroups lists the names of m in report order.
func sortedGroups(m map[string]Counts, areas bool) []string {
	gs := make(map[string]*Counts, len(m))
	for k, c := range m {
		gs[k] = &c
	}
	order := priorityOrder
	if areas {
		order = areaOrder
	}
	var out []string
	for _, g := range groups(gs, order) {
		out = append(out, g.Name)
	}
	return out
}

func casesTable(r *Report) *table {
	t := &table{head: []string{"case", "outcome", "expected", "found", "matched", "false+", "missed", "tokens", "time"}, text: 2}
	for _, c := range r.Cases {
		if !c.Scored() {
			t.rows = append(t.rows, row{code(c.Name), txt(Outcome(c)), txt(""), txt(""), txt(""), txt(""), txt(""), txt(humanize.Count(c.Usage.PromptTokens + c.Usage.CompletionTokens)), txt(humanize.Millis(c.DurationMS))})
			continue
		}
		t.rows = append(t.rows, row{
			code(c.Name), txt(Outcome(c)),
			txt(humanize.Count(c.Expected)), txt(humanize.Count(c.Found)), txt(humanize.Count(len(c.Matches))),
			txt(humanize.Count(len(c.FalsePositives))), txt(humanize.Count(len(c.Misses))),
			txt(humanize.Count(c.Usage.PromptTokens + c.Usage.CompletionTokens)), txt(humanize.Millis(c.DurationMS)),
		})
	}
	return t
}

func changesBlock(cmp *Comparison) block {
	b := block{title: "Changed since the baseline"}
	for _, ch := range cmp.Changed {
		it := row{code(ch.Name), txt(": " + ch.Before + " → " + ch.After)}
		if len(ch.NowMissed) > 0 {
			it = append(it, txt("; now misses "))
			it = appendList(it, ch.NowMissed)
		}
		if len(ch.NowFound) > 0 {
			it = append(it, txt("; now finds "))
			it = appendList(it, ch.NowFound)
		}
		b.items = append(b.items, it)
	}
	if len(cmp.Added) > 0 {
		it := row{txt("new cases: ")}
		b.items = append(b.items, appendList(it, cmp.Added))
	}
	if len(cmp.Removed) > 0 {
		it := row{txt("cases not in this run: ")}
		b.items = append(b.items, appendList(it, cmp.Removed))
	}
	if len(b.items) == 0 {
		b.lines = []row{{txt("No case changed outcome.")}}
	}
	return b
}

func appendList(r row, names []string) row {
	for i, n := range names {
		if i > 0 {
			r = append(r, txt(", "))
		}
		r = append(r, code(n))
	}
	return r
}
