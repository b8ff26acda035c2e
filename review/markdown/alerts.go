package markdown

import (
	"github.com/yuin/goldmark/ast"
)

// GitHub draws a block quote whose first line is an alert marker
// ("> [!WARNING]", "[!NOTE]", "[!TIP]", "[!IMPORTANT]", "[!CAUTION]", in
// any case, with some blanks allowed) as a coloured alert box: model text
// could dress its words up as the app's own warning. The marker is taken
// from the source, so "\[!WARNING]" is an ordinary quote that shows the
// same text. To be safe, every line of a paragraph inside a block quote
// (nested, or in a list item of one) that starts with "[" and "!" counts,
// whatever the word and whether the line is the quote's first.

// liveAlert reports whether line, from the start of a paragraph line's
// text, opens with an alert marker: "[", maybe blanks, "!".
func liveAlert(line []byte) bool {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i >= len(line) || line[i] != '[' {
		return false
	}
	for i++; i < len(line) && (line[i] == ' ' || line[i] == '\t'); i++ {
	}
	return i < len(line) && line[i] == '!'
}

// alertMarkers returns the offsets in b of the "[" of every alert marker
// that starts a line of a paragraph inside a block quote of doc, or of a
// link reference definition there (Neutralize shows it as a paragraph),
// sorted.
func alertMarkers(doc ast.Node, b []byte) []int {
	var out []int
	quotes := 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n.Kind() {
		case ast.KindBlockquote:
			if entering {
				quotes++
			} else {
				quotes--
			}
		case ast.KindParagraph, ast.KindTextBlock, ast.KindLinkReferenceDefinition:
			// A link reference definition is shown as text, a paragraph.
			if !entering || quotes == 0 {
				return ast.WalkSkipChildren, nil
			}
			l := n.Lines()
			for i := 0; i < l.Len(); i++ {
				s := l.At(i)
				if liveAlert(b[s.Start:s.Stop]) {
					j := s.Start
					for b[j] != '[' {
						j++
					}
					out = append(out, j)
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return out
}

// alertInserts escapes the alert markers of doc (alertMarkers) with a
// backslash, but for those the rewrite writes otherwise: inside code it
// keeps (kept), or where it shows a link as text (edits), whose "[" it
// replaces with a zero-width space. kept and edits are sorted.
func alertInserts(doc ast.Node, b []byte, kept []span, edits []edit) []insert {
	var out []insert
	k, e := 0, 0
	for _, at := range alertMarkers(doc, b) {
		for k < len(kept) && kept[k].stop <= at {
			k++
		}
		for e < len(edits) && edits[e].stop <= at {
			e++
		}
		if k < len(kept) && kept[k].start <= at || e < len(edits) && edits[e].start <= at {
			continue
		}
		out = append(out, insert{at, `\`})
	}
	return out
}
