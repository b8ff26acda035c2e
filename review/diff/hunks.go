package diff

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	godiff "github.com/sourcegraph/go-diff/diff"
)

// source hands byte ranges of the input to go-diff through one reused
// buffered reader. go-diff wraps every reader it is given in
// bufio.NewReader, which returns a *bufio.Reader of sufficient size as it
// is, so the files of a diff share one buffer instead of allocating 4 KiB
// each (a third of all allocation on a 1,000-file diff).
type source struct {
	data []byte
	r    bytes.Reader
	br   *bufio.Reader
}

func newSource(data []byte) *source {
	s := &source{data: data}
	s.br = bufio.NewReader(&s.r)
	return s
}

// at returns a reader of data[start:end]; it is valid until the next call.
func (s *source) at(start, end int) *bufio.Reader {
	s.r.Reset(s.data[start:end])
	s.br.Reset(&s.r)
	return s.br
}

// readHunks reads the framed hunks of one file with go-diff and converts
// them into f.Hunks, setting f.CRLF. name is the file's path for errors.
func readHunks(src *source, fr *fileFrame, f *File, name string) error {
	hunks, err := godiff.NewHunksReaderOptions(src.at(fr.hunksStart(), fr.hunksEnd()), keepCR).ReadAllHunks()
	if err == nil && len(hunks) == len(fr.hunks) && convertHunks(hunks, fr, f, name) == nil {
		return nil
	}
	// go-diff takes a deleted "---" line, an added "+++" line and a
	// following "@@" for the start of another file and stops the hunk
	// there, and it counts blank lines between hunks (which GitHub's
	// patches may have) as body lines. Read hunk by hunk: alone, a hunk
	// has neither an "@@" after it nor anything between.
	hunks = make([]*godiff.Hunk, len(fr.hunks))
	for i := range fr.hunks {
		h := &fr.hunks[i]
		one, err := godiff.NewHunksReaderOptions(src.at(h.start, h.end), keepCR).ReadAllHunks()
		if err != nil || len(one) != 1 {
			return &ParseError{File: name, Line: h.line, Err: fmt.Errorf("%w: %d hunks, error %v", errDisagree, len(one), err)}
		}
		hunks[i] = one[0]
	}
	return convertHunks(hunks, fr, f, name)
}

// convertHunks converts the hunks go-diff read into f.Hunks and sets f.CRLF.
func convertHunks(hunks []*godiff.Hunk, fr *fileFrame, f *File, name string) error {
	var endings lineEndings
	f.Hunks = make([]Hunk, len(hunks))
	for i, gh := range hunks {
		if err := convertHunk(&f.Hunks[i], gh, &fr.hunks[i], &endings); err != nil {
			f.Hunks = nil
			return &ParseError{File: name, Line: fr.hunks[i].line, Err: err}
		}
	}
	f.CRLF = endings.crlf()
	return nil
}

// lineEndings counts the line endings of each side of a file.
type lineEndings struct {
	newCRLF, newLF int // added and context lines
	oldCRLF, oldLF int // deleted lines
}

// crlf judges by the head version when it has lines, else by the base.
func (e *lineEndings) crlf() bool {
	if e.newCRLF+e.newLF > 0 {
		return e.newCRLF > e.newLF
	}
	return e.oldCRLF > e.oldLF
}

// add counts n (1, or -1 to take a count back) lines of kind.
func (e *lineEndings) add(kind LineKind, crlf bool, n int) {
	switch {
	case kind == Deleted && crlf:
		e.oldCRLF += n
	case kind == Deleted:
		e.oldLF += n
	case crlf:
		e.newCRLF += n
	default:
		e.newLF += n
	}
}

// convertHunk turns a hunk read by go-diff into ours. go-diff keeps the
// body as text: a "\ No newline at end of file" marker after a deleted
// line is recorded as OrigNoNewlineAt, one after an added or context
// line removes that line's "\n", and a marker in another wording (GNU
// diff translates it) stays in the body as a line starting with '\'.
func convertHunk(h *Hunk, gh *godiff.Hunk, fr *hunkFrame, endings *lineEndings) error {
	*h = Hunk{
		OldStart: int(gh.OrigStartLine), OldLines: int(gh.OrigLines),
		NewStart: int(gh.NewStartLine), NewLines: int(gh.NewLines),
		Section: gh.Section,
	}
	if h.OldStart != fr.oldStart || h.OldLines != fr.oldLines || h.NewStart != fr.newStart || h.NewLines != fr.newLines {
		return fmt.Errorf("%w: header -%d,%d +%d,%d read as -%d,%d +%d,%d", errDisagree,
			fr.oldStart, fr.oldLines, fr.newStart, fr.newLines, h.OldStart, h.OldLines, h.NewStart, h.NewLines)
	}
	// One string for the body; every Content is a slice of it.
	body := string(gh.Body)
	h.Lines = make([]Line, 0, h.OldLines+h.NewLines)
	oldNo, newNo := h.OldStart, h.NewStart
	lastCRLF := false // whether the last line ended in "\r\n", to undo its count
	for pos := 0; pos < len(body); {
		text := body[pos:]
		hasNL := false
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text, hasNL = text[:i], true
		}
		pos += len(text) + 1
		if strings.HasPrefix(text, `\`) {
			if n := len(h.Lines); n > 0 && !h.Lines[n-1].NoNewline {
				h.Lines[n-1].NoNewline = true
				endings.add(h.Lines[n-1].Kind, lastCRLF, -1)
			}
			continue
		}
		l := Line{Kind: Context}
		if text != "" {
			switch text[0] {
			case '+':
				l.Kind = Added
			case '-':
				l.Kind = Deleted
			}
			text = text[1:]
		}
		crlf := strings.HasSuffix(text, "\r")
		l.Content = strings.TrimSuffix(text, "\r")
		l.NoNewline = !hasNL || (l.Kind == Deleted && gh.OrigNoNewlineAt > 0 && pos == int(gh.OrigNoNewlineAt))
		if !l.NoNewline {
			endings.add(l.Kind, crlf, 1)
		}
		lastCRLF = crlf
		if l.Kind != Added {
			l.OldLine = oldNo
			oldNo++
		}
		if l.Kind != Deleted {
			l.NewLine = newNo
			newNo++
		}
		h.Lines = append(h.Lines, l)
	}
	if oldNo-h.OldStart != h.OldLines || newNo-h.NewStart != h.NewLines {
		return fmt.Errorf("%w: body has %d old and %d new lines, header says %d and %d",
			errDisagree, oldNo-h.OldStart, newNo-h.NewStart, h.OldLines, h.NewLines)
	}
	return nil
}
