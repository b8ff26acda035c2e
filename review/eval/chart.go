package eval

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
)

// ChartFile is the name of the chart written beside a markdown report.
const ChartFile = "eval-chart.svg"

// Chart geometry, in SVG user units (pixels at 100 %).
const (
	chartHeight    = 352
	chartTop       = 66  // title and legend
	chartBottom    = 54  // group labels and counts
	chartLeft      = 48  // axis labels
	chartRight     = 16  // breathing room
	chartBarWidth  = 24  // one bar, wide enough for its "0.83" label
	chartBarGap    = 4   // between the bars of a group
	chartGroupGap  = 30  // between groups
	chartMinSlot   = 120 // a group's share of the width, so labels never collide
	chartMinWidth  = 520 // so the title and legend always fit
	chartCharWidth = 6.4 // average width of a 12px character, for the legend
)

// The palette: blue for precision, orange for recall (told apart by people
// with the common colour-vision deficiencies too), baseline bars in a
// lighter tint of the same hue, with a dashed outline so they differ in
// more than colour.
const (
	colorPrecision     = "#1f5fa8"
	colorPrecisionBase = "#a9c6e8"
	colorRecall        = "#d1650f"
	colorRecallBase    = "#f5c79d"
	colorAxis          = "#444444"
	colorGrid          = "#dddddd"
	colorText          = "#222222"
	colorMuted         = "#777777"
)

// bar is one bar of the chart.
type bar struct {
	label string // for the tooltip
	value *float64
	fill  string
	base  bool
}

// Chart draws precision and recall per area, and over all areas, as an SVG
// grouped bar chart; with a baseline, each of this run's bars stands beside
// the baseline's. Figures that are undefined (nothing found, nothing
// expected) are drawn as "n/a" instead of a bar. The output is
// deterministic, so it can be compared with a golden file.
func Chart(r *Report, cmp *Comparison) []byte {
	var base *Report
	if cmp != nil {
		base = cmp.Base
	}
	type group struct {
		name string
		now  Counts
		bars []bar
	}
	mk := func(name string, now, then Counts) group {
		g := group{name: name, now: now}
		if base != nil {
			g.bars = append(g.bars, bar{"precision, baseline", then.Precision, colorPrecisionBase, true})
		}
		g.bars = append(g.bars, bar{"precision", now.Precision, colorPrecision, false})
		if base != nil {
			g.bars = append(g.bars, bar{"recall, baseline", then.Recall, colorRecallBase, true})
		}
		g.bars = append(g.bars, bar{"recall", now.Recall, colorRecall, false})
		return g
	}
	var baseTotals Counts
	var baseAreas map[string]Counts
	if base != nil {
		baseTotals = base.Totals.Counts
		baseAreas = groupsOf(base, true)
	}
	groups := []group{mk("all", r.Totals.Counts, baseTotals)}
	nowAreas := groupsOf(r, true)
	names := make([]string, 0, len(r.Areas))
	for _, g := range r.Areas {
		names = append(names, g.Name)
	}
	for _, n := range sortedGroups(baseAreas, true) {
		if _, ok := nowAreas[n]; !ok {
			names = append(names, n)
		}
	}
	for _, n := range names {
		groups = append(groups, mk(n, nowAreas[n], baseAreas[n]))
	}

	perGroup := len(groups[0].bars)
	groupWidth := perGroup*chartBarWidth + (perGroup-1)*chartBarGap
	slot := max(groupWidth+chartGroupGap, chartMinSlot)
	width := max(chartLeft+len(groups)*slot+chartRight, chartMinWidth)
	plotHeight := chartHeight - chartTop - chartBottom
	y := func(v float64) float64 { return chartTop + float64(plotHeight)*(1-v) }
	axisY := y(0)

	var b bytes.Buffer
	title := "Precision and recall by area"
	if base != nil {
		title += ": this run against the baseline"
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="title desc" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif">`+"\n", width, chartHeight, width, chartHeight)
	fmt.Fprintf(&b, `<title id="title">%s</title>`+"\n", esc(title))
	fmt.Fprintf(&b, `<desc id="desc">%s</desc>`+"\n", esc(describe(r, base)))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, chartHeight)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="600" fill="%s">%s</text>`+"\n", chartLeft, colorText, esc(title))

	// Legend, one entry per series, on one line under the title.
	lx := float64(chartLeft)
	legend := []bar{{"precision", nil, colorPrecision, false}, {"recall", nil, colorRecall, false}}
	if base != nil {
		legend = []bar{{"precision (baseline)", nil, colorPrecisionBase, true}, {"precision", nil, colorPrecision, false},
			{"recall (baseline)", nil, colorRecallBase, true}, {"recall", nil, colorRecall, false}}
	}
	for _, l := range legend {
		fmt.Fprintf(&b, `<rect x="%s" y="34" width="12" height="12" fill="%s"%s/>`+"\n", num(lx), l.fill, outline(l))
		fmt.Fprintf(&b, `<text x="%s" y="44" font-size="12" fill="%s">%s</text>`+"\n", num(lx+17), colorText, esc(l.label))
		lx += 17 + chartCharWidth*float64(len(l.label)) + 20
	}

	// Grid and axis labels every quarter.
	for i := 0; i <= 4; i++ {
		v := float64(i) / 4
		gy := y(v)
		color := colorGrid
		if i == 0 {
			color = colorAxis
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s" stroke-width="1"/>`+"\n", chartLeft, num(gy), width-chartRight, num(gy), color)
		fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="11" fill="%s" text-anchor="end">%s</text>`+"\n", chartLeft-6, num(gy+4), colorMuted, strconv.FormatFloat(v, 'f', 2, 64))
	}

	for gi, g := range groups {
		gx := chartLeft + gi*slot + (slot-groupWidth)/2
		for bi, br := range g.bars {
			x := gx + bi*(chartBarWidth+chartBarGap)
			cx := float64(x) + chartBarWidth/2.0
			tip := g.name + " " + br.label + ": " + fig(br.value)
			if br.value == nil {
				fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="10" fill="%s" text-anchor="middle"><title>%s</title>n/a</text>`+"\n", num(cx), num(axisY-4), colorMuted, esc(tip))
				continue
			}
			top := y(*br.value)
			h := axisY - top
			fmt.Fprintf(&b, `<rect x="%d" y="%s" width="%d" height="%s" fill="%s"%s><title>%s</title></rect>`+"\n", x, num(top), chartBarWidth, num(h), br.fill, outline(br), esc(tip))
			fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="10" fill="%s" text-anchor="middle">%s</text>`+"\n", num(cx), num(top-4), colorText, fig(br.value))
		}
		mid := num(float64(gx) + float64(groupWidth)/2)
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="12" fill="%s" text-anchor="middle"%s>%s</text>`+"\n",
			mid, num(axisY+19), colorText, boldIf(gi == 0), esc(g.name))
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="10" fill="%s" text-anchor="middle">%d expected, %d found</text>`+"\n",
			mid, num(axisY+34), colorMuted, g.now.Expected, g.now.Found)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// describe is the chart's text alternative: the overall figures.
func describe(r, base *Report) string {
	s := fmt.Sprintf("Over all areas, precision %s and recall %s", fig(r.Totals.Precision), fig(r.Totals.Recall))
	if base != nil {
		s += fmt.Sprintf(" (baseline: %s and %s)", fig(base.Totals.Precision), fig(base.Totals.Recall))
	}
	return s + "."
}

func outline(b bar) string {
	if !b.base {
		return ""
	}
	return ` stroke="` + colorAxis + `" stroke-width="1" stroke-dasharray="3 2"`
}

func boldIf(b bool) string {
	if b {
		return ` font-weight="600"`
	}
	return ""
}

// num formats a coordinate with at most one decimal.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// esc escapes text for SVG (XML) content and attributes.
func esc(s string) string { return html.EscapeString(oneLine(s)) }
