package eval

import (
	"bufio"
	"io"
	"strings"

	"github.com/codex-review/codex-review/review/markdown"
)

// WriteMarkdown writes the report as GitHub-flavoured markdown, compared
// with a baseline when cmp is set. chartFile, when set, is the chart
// written next to the report (see Chart); the report links to it.
//
// Case names and paths come from the corpus and are shown as code spans;
// finding titles and errors come from the model or its endpoint and go
// through markdown.NeutralizeInline. Mentions, references, HTML, images
// and escape sequences in either stay inert wherever the report is pasted
// (a pull request, a job summary).
func WriteMarkdown(w io.Writer, r *Report, cmp *Comparison, chartFile string) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("## codex-review eval\n")
	for _, b := range layout(r, cmp, chartFile) {
		bw.WriteString("\n")
		if b.chart {
			bw.WriteString("![Precision and recall by area" + chartAlt(cmp) + "](" + markdown.LinkTarget(chartFile) + ")\n")
			continue
		}
		if b.title != "" {
			bw.WriteString("### " + b.title + "\n\n")
		}
		for i, l := range b.lines {
			if i > 0 {
				bw.WriteString("\n")
			}
			bw.WriteString(mdRow(l, false) + "\n")
		}
		if b.table != nil {
			writeMarkdownTable(bw, b.table)
		}
		for _, it := range b.items {
			bw.WriteString("- " + mdRow(it, false) + "\n")
		}
	}
	return bw.Flush()
}

func chartAlt(cmp *Comparison) string {
	if cmp != nil {
		return ", this run against the baseline"
	}
	return ""
}

func mdRow(r row, inTable bool) string {
	var b strings.Builder
	for _, s := range r {
		var t string
		switch s.kind {
		case name:
			t = mdCode(s.s, inTable)
		case prose:
			t = markdown.NeutralizeInline(clip(s.s, maxErrorChars))
		default:
			t = s.s
		}
		if inTable && s.kind != name {
			// Code spans escape their own pipes.
			t = strings.ReplaceAll(t, "|", `\|`)
		}
		b.WriteString(t)
	}
	return b.String()
}

// mdCode shows untrusted text as a code span: one line, clipped, with a
// delimiter longer than any backtick run inside. In a table cell a pipe is
// escaped, which GitHub undoes inside code spans there.
func mdCode(s string, inTable bool) string {
	s = clip(oneLine(s), maxErrorChars)
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	return markdown.CodeSpan(s)
}

func writeMarkdownTable(w *bufio.Writer, t *table) {
	w.WriteString("|")
	for _, h := range t.head {
		w.WriteString(" " + h + " |")
	}
	w.WriteString("\n|")
	for i := range t.head {
		if i < t.text {
			w.WriteString("---|")
		} else {
			w.WriteString("---:|")
		}
	}
	w.WriteString("\n")
	for _, r := range t.rows {
		w.WriteString("|")
		for _, c := range r {
			w.WriteString(" " + mdRow(row{c}, true) + " |")
		}
		w.WriteString("\n")
	}
}
