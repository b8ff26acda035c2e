package diff_test

import (
	"fmt"
	"strings"

	"github.com/codex-review/codex-review/review/diff"
)

// dump writes a parsed diff as text that a person can check line by line:
// golden files hold it.
func dump(d *diff.Diff) string {
	var b strings.Builder
	for _, f := range d.Files {
		fmt.Fprintf(&b, "file %q", f.Path())
		if f.OldPath != f.NewPath && f.OldPath != "" && f.NewPath != "" {
			fmt.Fprintf(&b, " from %q", f.OldPath)
		}
		fmt.Fprintf(&b, " %s", f.Status)
		if f.Similarity != 0 {
			fmt.Fprintf(&b, " similarity=%d%%", f.Similarity)
		}
		if f.OldMode != "" || f.NewMode != "" {
			fmt.Fprintf(&b, " mode=%s->%s", orDash(f.OldMode), orDash(f.NewMode))
		}
		if f.Binary {
			b.WriteString(" binary")
		}
		if f.CRLF {
			b.WriteString(" crlf")
		}
		added, deleted := f.Stats()
		fmt.Fprintf(&b, " +%d -%d\n", added, deleted)
		for _, h := range f.Hunks {
			fmt.Fprintf(&b, "  @@ -%d,%d +%d,%d @@ %q\n", h.OldStart, h.OldLines, h.NewStart, h.NewLines, h.Section)
			for _, l := range h.Lines {
				b.WriteString("    ")
				b.WriteString(lineString(l))
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

// lineString is one hunk line: kind, old and new numbers, content, and the
// no-newline flag.
func lineString(l diff.Line) string {
	kind := map[diff.LineKind]string{diff.Context: " ", diff.Added: "+", diff.Deleted: "-"}[l.Kind]
	s := fmt.Sprintf("%s %4s %4s %q", kind, num(l.OldLine), num(l.NewLine), l.Content)
	if l.NoNewline {
		s += ` \no-newline`
	}
	return s
}

func num(n int) string {
	if n == 0 {
		return "."
	}
	return fmt.Sprint(n)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
