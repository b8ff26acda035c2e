package diff

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// The framer is a first pass over the input that finds where every file
// and hunk starts and ends, by the counts in the hunk headers, and checks
// the input's shape with exact line numbers. go-diff then reads each
// framed piece. The split exists because go-diff ends a hunk where the
// next "@@" or foreign line starts rather than where the header's counts
// say, does not track line numbers across files, and takes a deleted
// "---" line followed by an added "+++" line for the next file's header.

// maxLineNumber bounds the numbers of a hunk header: go-diff reads them
// into int32, and sums of two stay well inside int on every platform.
const maxLineNumber = 1 << 30

// Errors a ParseError may wrap.
var (
	// ErrNoDiff is returned for input that holds text but no file diff.
	ErrNoDiff = errors.New("no file diff found in input")
	// ErrCombined is returned for combined diffs ("diff --cc"), which
	// describe merges and have more than two sides.
	ErrCombined = errors.New("combined diffs (diff --cc) are not supported")
	// errDisagree means go-diff read a framed piece differently from the
	// framer; it is a bug in one of them, never a property of the input.
	errDisagree = errors.New("internal: go-diff read the hunk differently")
)

// fileFrame is where one file's diff lies in the input.
type fileFrame struct {
	line      int  // input line number of the file's first line
	git       bool // starts with "diff --git"
	start     int  // byte offset of the first header line
	headerEnd int  // end of the header lines (binary patch data excluded)
	namesLine int  // input line number of "---", 0 when there is none
	// binaryLine is a standalone "Binary files X and Y differ" line of a
	// non-git diff, which is the whole of that file's entry.
	binaryLine []byte
	gitArgs    []byte // what follows "diff --git ", for error messages
	plusName   []byte // what follows "+++ ", for error messages
	hunks      []hunkFrame
	// oldEnded and newEnded are set once a "\ No newline at end of file"
	// marker closed that side of the file: no line of it may follow.
	oldEnded, newEnded bool
}

// hunksStart is the byte offset of the first hunk.
func (f *fileFrame) hunksStart() int { return f.hunks[0].start }

// hunksEnd is the byte offset just past the last hunk.
func (f *fileFrame) hunksEnd() int { return f.hunks[len(f.hunks)-1].end }

// name is the file's path as far as the raw headers tell, for errors.
func (f *fileFrame) name() string {
	if old, new, ok := splitGitArgs(string(trimCR(f.gitArgs))); ok {
		strip := knownPair(old, new)
		if n := stripPrefix(new, strip); n != "" {
			return n
		}
		return stripPrefix(old, strip)
	}
	if n, _, _ := cutTab(string(bytes.TrimSpace(f.plusName))); n != "" && n != devNull {
		if d, err := decodeName(n); err == nil {
			n = d
		}
		return stripPrefix(n, prefixOf(n) == 'b')
	}
	if len(f.binaryLine) > 0 {
		if _, new, ok := splitBinaryNames(binaryNames(f.binaryLine)); ok {
			return new
		}
	}
	return ""
}

// hunkFrame is where one hunk lies in the input, with its header.
type hunkFrame struct {
	line               int // input line number of the "@@" header
	start, end         int // byte offsets of the header and just past the body
	oldStart, oldLines int
	newStart, newLines int
}

func (h *hunkFrame) oldEnd() int { return h.oldStart + h.oldLines - 1 }
func (h *hunkFrame) newEnd() int { return h.newStart + h.newLines - 1 }

// lines walks the input one line at a time without copying it.
type lines struct {
	data  []byte
	pos   int    // offset of the next line
	num   int    // 1-based number of the current line
	start int    // offset of the current line
	line  []byte // the current line without its "\n" (it may end in "\r")
}

func (s *lines) next() bool {
	if s.pos >= len(s.data) {
		return false
	}
	s.start = s.pos
	s.num++
	if i := bytes.IndexByte(s.data[s.pos:], '\n'); i >= 0 {
		s.line = s.data[s.pos : s.pos+i]
		s.pos += i + 1
	} else {
		s.line = s.data[s.pos:]
		s.pos = len(s.data)
	}
	return true
}

// peek returns the line after the current one, or nil at the end.
func (s *lines) peek() []byte {
	rest := s.data[s.pos:]
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		return rest[:i]
	}
	return rest
}

type frameState uint8

const (
	between    frameState = iota // outside any file: preamble, trailers
	gitHeader                    // after "diff --git", before "---" or a hunk
	binaryData                   // inside a "GIT binary patch"
	afterNames                   // after "---"/"+++": a hunk must follow
	afterHunk                    // a hunk just ended
)

var (
	prefixGit      = []byte("diff --git ")
	prefixCombined = []byte("diff --cc ")
	prefixMinus    = []byte("--- ")
	prefixPlus     = []byte("+++ ")
	prefixHunk     = []byte("@@ ")
	prefixBinary   = []byte("Binary files ")
	suffixDiffer   = []byte(" differ")
	lineBinPatch   = []byte("GIT binary patch")
)

// framer holds the state of one framing pass.
type framer struct {
	s     lines
	files []fileFrame
	cur   *fileFrame
	state frameState
	// patchOnly is set for GitHub's per-file patches: hunks and nothing else.
	patchOnly bool
	patchName string
}

func (fr *framer) fail(line int, err error) error {
	name := fr.patchName
	if fr.cur != nil && !fr.patchOnly {
		name = fr.cur.name()
	}
	return &ParseError{File: name, Line: line, Err: err}
}

// frameDiff frames a multi-file diff.
func frameDiff(data []byte) ([]fileFrame, error) {
	fr := framer{s: lines{data: data}}
	for fr.s.next() {
		if err := fr.step(); err != nil {
			return nil, err
		}
	}
	if fr.state == afterNames {
		return nil, fr.fail(fr.s.num, errors.New(`file header "---"/"+++" is not followed by a hunk`))
	}
	return fr.files, nil
}

// framePatch frames the hunks of one file's patch.
func framePatch(data []byte, name string) (*fileFrame, error) {
	fr := framer{s: lines{data: data}, patchOnly: true, patchName: name}
	fr.files = []fileFrame{{line: 1}}
	fr.cur = &fr.files[0]
	for fr.s.next() {
		line := fr.s.line
		switch {
		case bytes.HasPrefix(line, prefixHunk):
			if err := fr.hunk(); err != nil {
				return nil, err
			}
		case len(trimCR(line)) == 0:
			// Blank lines around the hunks carry nothing.
		case len(fr.cur.hunks) > 0 && isBodyByte(line[0]):
			return nil, fr.tooLong(line[0])
		default:
			return nil, fr.fail(fr.s.num, fmt.Errorf("expected a hunk header, got %q", clip(line)))
		}
	}
	return fr.cur, nil
}

// step handles the current line.
func (fr *framer) step() error {
	line := fr.s.line
	if fr.state == afterNames && !bytes.HasPrefix(line, prefixHunk) {
		return fr.fail(fr.s.num, fmt.Errorf(`file header "---"/"+++" is not followed by a hunk, got %q`, clip(line)))
	}
	if bytes.HasPrefix(line, prefixGit) {
		fr.startFile(true)
		fr.cur.gitArgs = line[len(prefixGit):]
		fr.state = gitHeader
		return nil
	}
	if bytes.HasPrefix(line, prefixCombined) {
		return fr.fail(fr.s.num, ErrCombined)
	}
	switch fr.state {
	case binaryData:
		// Base85 data runs until the next file.
		return nil
	case gitHeader:
		switch {
		case bytes.HasPrefix(line, prefixMinus):
			return fr.names()
		case bytes.HasPrefix(line, prefixHunk):
			// Git always writes "---"/"+++" before hunks; take the names
			// from the "diff --git" line when someone left them out.
			return fr.hunk()
		case bytes.Equal(trimCR(line), lineBinPatch):
			fr.cur.headerEnd = fr.s.pos
			fr.state = binaryData
		default:
			fr.cur.headerEnd = fr.s.pos
		}
		return nil
	case afterNames, afterHunk:
		if bytes.HasPrefix(line, prefixHunk) {
			return fr.hunk()
		}
		if bytes.HasPrefix(line, prefixMinus) && bytes.HasPrefix(fr.s.peek(), prefixPlus) {
			fr.startFile(false)
			return fr.names()
		}
		if s := string(trimCR(line)); s == "-- " || s == "--" {
			// The signature separator of git format-patch ends the diff.
			fr.state = between
			return nil
		}
		if len(line) > 0 && isBodyByte(line[0]) {
			return fr.tooLong(line[0])
		}
		fr.state = between
		return fr.betweenFiles()
	default:
		return fr.betweenFiles()
	}
}

// betweenFiles handles a line outside any file.
func (fr *framer) betweenFiles() error {
	line := fr.s.line
	switch {
	case bytes.HasPrefix(line, prefixMinus) && bytes.HasPrefix(fr.s.peek(), prefixPlus):
		fr.startFile(false)
		return fr.names()
	case bytes.HasPrefix(line, prefixHunk):
		return &ParseError{Line: fr.s.num, Err: errors.New("hunk header outside of a file diff")}
	case bytes.HasPrefix(line, prefixBinary) && bytes.HasSuffix(trimCR(line), suffixDiffer):
		// GNU diff reports a changed binary file with this line alone.
		fr.startFile(false)
		fr.cur.binaryLine = trimCR(line)
		fr.cur.headerEnd = fr.s.pos
	}
	return nil
}

// startFile opens a new file at the current line.
func (fr *framer) startFile(git bool) {
	fr.files = append(fr.files, fileFrame{line: fr.s.num, git: git, start: fr.s.start, headerEnd: fr.s.pos})
	fr.cur = &fr.files[len(fr.files)-1]
	fr.state = between
}

// names consumes a "---" line and the "+++" line that must follow it.
func (fr *framer) names() error {
	if !bytes.HasPrefix(fr.s.peek(), prefixPlus) {
		line := fr.s.num
		if fr.s.pos < len(fr.s.data) {
			line++ // the line that should have been "+++"
		}
		return fr.fail(line, errors.New(`file header "---" is not followed by "+++"`))
	}
	fr.cur.namesLine = fr.s.num
	fr.s.next()
	fr.cur.plusName = fr.s.line[len(prefixPlus):]
	fr.cur.headerEnd = fr.s.pos
	fr.state = afterNames
	return nil
}

// hunk consumes a hunk whose header is the current line: exactly as many
// body lines as the header counts, then an optional no-newline marker.
func (fr *framer) hunk() error {
	s, f := &fr.s, fr.cur
	h := hunkFrame{line: s.num, start: s.start}
	var err error
	if h.oldStart, h.oldLines, h.newStart, h.newLines, err = parseHunkHeader(s.line); err != nil {
		return fr.fail(s.num, err)
	}
	if n := len(f.hunks); n > 0 {
		// Hunks must be in order and apart: HunkAt's binary search and
		// every line number below depend on it.
		if p := &f.hunks[n-1]; h.oldStart <= p.oldEnd() || h.newStart <= p.newEnd() {
			return fr.fail(s.num, fmt.Errorf("hunk -%d,%d +%d,%d overlaps or precedes the previous hunk -%d,%d +%d,%d",
				h.oldStart, h.oldLines, h.newStart, h.newLines, p.oldStart, p.oldLines, p.newStart, p.newLines))
		}
	}
	oldLeft, newLeft := h.oldLines, h.newLines
	var prev byte     // the kind of the last body line, 0 after a marker
	var prevBare bool // the last body line was empty, without its ' '
	for oldLeft > 0 || newLeft > 0 {
		if !s.next() {
			return fr.tooShort(s.num, &h, oldLeft, newLeft, errors.New("input ends"))
		}
		c := byte(' ') // an empty line is an empty context line (GNU diff --suppress-blank-empty)
		if len(s.line) > 0 {
			c = s.line[0]
		}
		switch {
		case c == '\\':
			if err := fr.marker(prev, prevBare); err != nil {
				return err
			}
			prev, prevBare = 0, false
			continue
		case !isBodyByte(c):
			return fr.tooShort(s.num, &h, oldLeft, newLeft, fmt.Errorf("got %q", clip(s.line)))
		case f.newEnded || (f.oldEnded && c != '+'):
			return fr.fail(s.num, errors.New(`line after the "\ No newline at end of file" marker of its side`))
		}
		if c != '+' {
			if oldLeft == 0 {
				return fr.fail(s.num, fmt.Errorf("hunk has %d old lines, header says %d", h.oldLines+1, h.oldLines))
			}
			oldLeft--
		}
		if c != '-' {
			if newLeft == 0 {
				return fr.fail(s.num, fmt.Errorf("hunk has %d new lines, header says %d", h.newLines+1, h.newLines))
			}
			newLeft--
		}
		prev, prevBare = c, len(s.line) == 0
	}
	if next := s.peek(); len(next) > 0 && next[0] == '\\' && s.pos < len(s.data) {
		s.next()
		if err := fr.marker(prev, prevBare); err != nil {
			return err
		}
	}
	h.end = s.pos
	f.hunks = append(f.hunks, h)
	fr.state = afterHunk
	return nil
}

// marker records a "\ No newline at end of file" line after a line of
// kind prev. Any text after the backslash is accepted because GNU diff
// translates the message. A marker after a bare empty line is refused: a
// last line without its newline holds at least one byte, so no diff tool
// writes one, and go-diff would silently drop that line.
func (fr *framer) marker(prev byte, bare bool) error {
	f := fr.cur
	if bare {
		return fr.fail(fr.s.num, errors.New(`"\ No newline at end of file" marker after an empty line without its ' ' prefix`))
	}
	switch prev {
	case '-':
		f.oldEnded = true
	case '+':
		f.newEnded = true
	case ' ':
		f.oldEnded, f.newEnded = true, true
	default:
		return fr.fail(fr.s.num, errors.New(`"\ No newline at end of file" marker does not follow a line`))
	}
	return nil
}

// tooShort reports a hunk whose body ended (at line) before the header's
// counts were reached.
func (fr *framer) tooShort(line int, h *hunkFrame, oldLeft, newLeft int, why error) error {
	if oldLeft > 0 {
		return fr.fail(line, fmt.Errorf("hunk has %d old lines, header says %d (%w)", h.oldLines-oldLeft, h.oldLines, why))
	}
	return fr.fail(line, fmt.Errorf("hunk has %d new lines, header says %d (%w)", h.newLines-newLeft, h.newLines, why))
}

// tooLong reports a body line found after the last hunk was complete.
func (fr *framer) tooLong(c byte) error {
	h := &fr.cur.hunks[len(fr.cur.hunks)-1]
	if c == '+' {
		return fr.fail(fr.s.num, fmt.Errorf("hunk has more than %d new lines, header says %d", h.newLines, h.newLines))
	}
	return fr.fail(fr.s.num, fmt.Errorf("hunk has more than %d old lines, header says %d", h.oldLines, h.oldLines))
}

func isBodyByte(c byte) bool { return c == ' ' || c == '+' || c == '-' }

// parseHunkHeader reads "@@ -a[,b] +c[,d] @@[ section]". It is stricter
// than go-diff (digits only, single spaces) so that whatever it accepts,
// go-diff reads the same way.
func parseHunkHeader(line []byte) (oldStart, oldLines, newStart, newLines int, err error) {
	bad := func(why string) error {
		return fmt.Errorf("bad hunk header %q: %s", clip(line), why)
	}
	rest := trimCR(line)
	if !bytes.HasPrefix(rest, []byte("@@ -")) {
		return 0, 0, 0, 0, bad(`want "@@ -"`)
	}
	rest = rest[len("@@ -"):]
	var ok bool
	if oldStart, oldLines, rest, ok = parseRange(rest); !ok {
		return 0, 0, 0, 0, bad("bad old range")
	}
	if !bytes.HasPrefix(rest, []byte(" +")) {
		return 0, 0, 0, 0, bad(`want " +"`)
	}
	if newStart, newLines, rest, ok = parseRange(rest[2:]); !ok {
		return 0, 0, 0, 0, bad("bad new range")
	}
	if !bytes.HasPrefix(rest, []byte(" @@")) || (len(rest) > 3 && rest[3] != ' ') {
		return 0, 0, 0, 0, bad(`want " @@"`)
	}
	// Line 0 is "before the first line": only an empty range starts there.
	switch {
	case oldLines == 0 && newLines == 0:
		return 0, 0, 0, 0, bad("no lines on either side")
	case oldStart == 0 && oldLines > 0:
		return 0, 0, 0, 0, bad("old range starts at line 0")
	case newStart == 0 && newLines > 0:
		return 0, 0, 0, 0, bad("new range starts at line 0")
	}
	return oldStart, oldLines, newStart, newLines, nil
}

// parseRange reads "start[,count]"; count defaults to 1.
func parseRange(b []byte) (start, count int, rest []byte, ok bool) {
	if start, b, ok = parseNumber(b); !ok {
		return 0, 0, nil, false
	}
	count = 1
	if len(b) > 0 && b[0] == ',' {
		if count, b, ok = parseNumber(b[1:]); !ok {
			return 0, 0, nil, false
		}
	}
	return start, count, b, true
}

func parseNumber(b []byte) (n int, rest []byte, ok bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int(b[i]-'0')
		if n > maxLineNumber {
			return 0, nil, false
		}
		i++
	}
	return n, b[i:], i > 0
}

func trimCR(b []byte) []byte { return bytes.TrimSuffix(b, []byte("\r")) }

// clip shortens a line quoted in an error message.
func clip(b []byte) string {
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// binaryNames returns the names part of a "Binary files X and Y differ" line.
func binaryNames(line []byte) string {
	return string(bytes.TrimSuffix(bytes.TrimPrefix(line, prefixBinary), suffixDiffer))
}

// cutTab splits a "---"/"+++" value into the name and a timestamp.
func cutTab(s string) (name, rest string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\t' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// atoiPercent reads "87%" as 87.
func atoiPercent(s string) (int, error) {
	if len(s) < 2 || s[len(s)-1] != '%' {
		return 0, fmt.Errorf("want a percentage, got %q", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("want a percentage, got %q", s)
	}
	return n, nil
}
