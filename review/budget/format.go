package budget

import (
	"strconv"
	"strings"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/enclosing"
)

// The diff text the model sees. One file, or one part of a file, is:
//
//	File: internal/auth/token.go (modified)
//	@@ -40,6 +40,8 @@ func Verify(tok string) error {
//	 40   	if tok == "" {
//	 41 - 		return nil
//	 41 + 		return ErrEmpty
//	 42 + 	}
//	 43 + 	if len(tok) > maxLen {
//	 44   		return ErrEmpty
//	\ No newline at end of file
//
// Every changed or context line starts with a line number, right-aligned
// to the widest number of the file, then a marker and the code:
//
//	N + code   an added line; N is its line in the new file
//	N - code   a deleted line; N is its line in the old file
//	N   code   an unchanged context line; N is its line in the new file
//
// so each number is the one a review comment must cite for that line (the
// RIGHT side for '+' and context lines, the LEFT side for '-' lines).
// Around a hunk, lines of the head file that the hunk does not show (the
// enclosing function, the header of its class) may follow the hunk header
// and the hunk's last line, marked ':' and numbered in the new file; a
// run of lines left out is one marker line:
//
//	N : code   a line of the file around the hunk, not part of the diff
//	... : 12 lines not shown A
// "\ No newline at end of file" line follows the line it is about, as in
// git. The "File:" header gives the path and what happened to the file:
// (modified), (new file), (deleted), (renamed from OLD, 95% similar),
// (copied from OLD), mode changes such as (mode 100644 -> 100755), and
// "binary, content not shown". When a file does not fit one request its
// header says which part this is, e.g. "[part 2 of 3: hunks 4-6 of 9]" or
// "[part 3 of 5: hunk 2 of 4 cut to fit, its diff lines 41-80 of 210]";
// the hunk header is then repeated in each part.
//
// The format also keeps token counting additive: no line is empty or
// blank, so every line ends a piece of the tokenizer's split, and the
// tokens of a text are the sum of the tokens of its lines. Build relies on
// this to count each line once and cut hunks anywhere.

// FormatFile renders the whole change to f in the format above.
func FormatFile(f *diff.File) string {
	return FormatHunks(f, f.Hunks)
}

// FormatHunks renders the header of f and only the given hunks, numbered as
// FormatFile numbers them.
func FormatHunks(f *diff.File, hunks []diff.Hunk) string {
	width := numberWidth(f, hunks)
	var b []byte
	b = append(b, fileHeader(f, "")...)
	for i := range hunks {
		b = append(b, hunkHeader(&hunks[i])...)
		for _, l := range hunks[i].Lines {
			b = appendLine(b, width, l)
		}
	}
	return string(b)
}

// fileHeader renders the "File:" line; note, when set, says which part of
// the file follows.
func fileHeader(f *diff.File, note string) string {
	var b strings.Builder
	b.WriteString("File: ")
	b.WriteString(displayPath(f.Path()))
	b.WriteString(" (")
	b.WriteString(fileDetails(f))
	b.WriteString(")")
	if note != "" {
		b.WriteString(" [")
		b.WriteString(note)
		b.WriteString("]")
	}
	b.WriteString("\n")
	return b.String()
}

// fileDetails says what happened to the file, for the header.
func fileDetails(f *diff.File) string {
	var details []string
	switch f.Status {
	case diff.StatusAdded:
		details = append(details, "new file")
	case diff.StatusRemoved:
		details = append(details, "deleted")
	case diff.StatusRenamed, diff.StatusCopied:
		verb := "renamed from "
		if f.Status == diff.StatusCopied {
			verb = "copied from "
		}
		d := verb + displayPath(f.OldPath)
		if f.Similarity > 0 {
			d += ", " + strconv.Itoa(f.Similarity) + "% similar"
		}
		details = append(details, d)
	default:
		details = append(details, "modified")
	}
	switch {
	case f.OldMode != "" && f.NewMode != "" && f.OldMode != f.NewMode:
		details = append(details, "mode "+f.OldMode+" -> "+f.NewMode)
	case f.Status == diff.StatusAdded && f.NewMode != "" && f.NewMode != "100644":
		details = append(details, "mode "+f.NewMode)
	}
	if f.Binary {
		details = append(details, "binary, content not shown")
	}
	return strings.Join(details, "; ")
}

// displayPath quotes a path holding control characters, so that a crafted
// file name cannot start a line of its own in the prompt.
func displayPath(p string) string {
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return strconv.Quote(p)
		}
	}
	return p
}

func hunkHeader(h *diff.Hunk) string {
	var b []byte
	b = append(b, "@@ -"...)
	b = appendRange(b, h.OldStart, h.OldLines)
	b = append(b, " +"...)
	b = appendRange(b, h.NewStart, h.NewLines)
	b = append(b, " @@"...)
	if s := strings.TrimSpace(h.Section); s != "" {
		b = append(b, ' ')
		b = appendOneLine(b, s)
	}
	b = append(b, '\n')
	return string(b)
}

// appendRange writes "start,count" the way git does, omitting a count of 1.
func appendRange(b []byte, start, count int) []byte {
	b = strconv.AppendInt(b, int64(start), 10)
	if count != 1 {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(count), 10)
	}
	return b
}

// appendLine writes one numbered diff line (and its no-newline marker).
func appendLine(b []byte, width int, l diff.Line) []byte {
	n, marker := l.NewLine, byte(' ')
	switch l.Kind {
	case diff.Added:
		marker = '+'
	case diff.Deleted:
		n, marker = l.OldLine, '-'
	}
	var num [20]byte
	digits := strconv.AppendInt(num[:0], int64(n), 10)
	for pad := width - len(digits); pad > 0; pad-- {
		b = append(b, ' ')
	}
	b = append(b, digits...)
	b = append(b, ' ', marker)
	if l.Content != "" {
		b = append(b, ' ')
		b = appendOneLine(b, l.Content)
	}
	b = append(b, '\n')
	if l.NoNewline {
		b = append(b, "\\ No newline at end of file\n"...)
	}
	return b
}

// appendOneLine writes s with any line feed spelled out: a parsed line has
// none, but a stray one would break the numbering the model relies on.
func appendOneLine(b []byte, s string) []byte {
	if strings.IndexByte(s, '\n') < 0 {
		return append(b, s...)
	}
	return append(b, strings.ReplaceAll(s, "\n", `\n`)...)
}

// numberWidth is the number of digits of the largest line number shown for
// f, so that parts of one file align alike.
func numberWidth(f *diff.File, extra []diff.Hunk) int {
	maxLine := 1
	for _, hs := range [][]diff.Hunk{f.Hunks, extra} {
		for i := range hs {
			maxLine = max(maxLine, hs[i].OldEnd(), hs[i].NewEnd())
			for _, l := range hs[i].Lines {
				maxLine = max(maxLine, l.OldLine, l.NewLine)
			}
		}
	}
	return len(strconv.Itoa(maxLine))
}

// appendContextLine writes one line of the code around a hunk, or the
// marker of a run of lines left out.
func appendContextLine(b []byte, width int, l enclosing.Line) []byte {
	if l.Skipped > 0 {
		for pad := width - 3; pad > 0; pad-- {
			b = append(b, ' ')
		}
		b = append(b, "... : "...)
		b = strconv.AppendInt(b, int64(l.Skipped), 10)
		if l.Skipped == 1 {
			return append(b, " line not shown\n"...)
		}
		return append(b, " lines not shown\n"...)
	}
	var num [20]byte
	digits := strconv.AppendInt(num[:0], int64(l.N), 10)
	for pad := width - len(digits); pad > 0; pad-- {
		b = append(b, ' ')
	}
	b = append(b, digits...)
	b = append(b, " :"...)
	if l.Text != "" {
		b = append(b, ' ')
		b = appendOneLine(b, l.Text)
	}
	return append(b, '\n')
}

// contextWidth is the number of digits of the largest line number in ctx.
func contextWidth(ctx []enclosing.Hunk) int {
	maxLine := 0
	for _, h := range ctx {
		for _, ls := range [][]enclosing.Line{h.Before, h.After} {
			for _, l := range ls {
				maxLine = max(maxLine, l.N+l.Skipped)
			}
		}
	}
	return len(strconv.Itoa(maxLine))
}
