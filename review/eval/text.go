package eval

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits on untrusted text in reports, in characters: enough to tell
// findings apart, short enough to keep tables readable.
const (
	maxNameChars  = 60
	maxTitleChars = 120
	maxErrorChars = 300
)

// WriteText writes the report for a terminal or a log, compared with a
// baseline when cmp is set.
func WriteText(w io.Writer, r *Report, cmp *Comparison) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("codex-review eval\n")
	for i, b := range layout(r, cmp, "") {
		if b.chart {
			continue
		}
		if i > 0 {
			bw.WriteString("\n")
		}
		if b.title != "" {
			bw.WriteString(b.title + "\n")
		}
		for _, l := range b.lines {
			bw.WriteString(plainRow(l) + "\n")
		}
		if b.table != nil {
			writeTextTable(bw, b.table)
		}
		for _, it := range b.items {
			bw.WriteString("  - " + plainRow(it) + "\n")
		}
	}
	return bw.Flush()
}

// plainRow joins the pieces of a line, with untrusted pieces made safe.
func plainRow(r row) string {
	var b strings.Builder
	for _, s := range r {
		b.WriteString(plainSpan(s))
	}
	return b.String()
}

func plainSpan(s span) string {
	if s.kind == ours {
		return s.s
	}
	return clip(oneLine(s.s), maxTitleChars)
}

// writeTextTable aligns a table: the first column to the left, figures to
// the right.
func writeTextTable(w *bufio.Writer, t *table) {
	cells := make([][]string, 0, len(t.rows)+1)
	cells = append(cells, t.head)
	for _, r := range t.rows {
		c := make([]string, len(r))
		for i, s := range r {
			c[i] = plainSpan(s)
			if s.kind != ours && i == 0 {
				c[i] = clip(c[i], maxNameChars)
			}
		}
		cells = append(cells, c)
	}
	width := make([]int, len(t.head))
	for _, r := range cells {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for n, r := range cells {
		w.WriteString("  ")
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i == 0:
				w.WriteString(c + pad)
			case i < t.text:
				w.WriteString("  " + c + pad)
			default:
				w.WriteString("  " + pad + c)
			}
		}
		w.WriteString("\n")
		if n == 0 {
			total := 0
			for _, x := range width {
				total += x + 2
			}
			w.WriteString("  " + strings.Repeat("-", total-2) + "\n")
		}
	}
}
