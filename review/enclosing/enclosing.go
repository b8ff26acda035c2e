// Package enclosing finds the code around each hunk of a change that a
// reviewer needs to judge it: the function, method or block the changed
// lines sit in, and the headers of the declarations around that (the class
// a method belongs to), taken from the head version of the file.
//
// It understands just enough of a language to find blocks cheaply: braces
// (skipping strings and comments) for Go, JavaScript and TypeScript, Java,
// Kotlin, C, C++, C#, Rust, Swift, PHP and Scala; indentation and def/class
// lines for Python. Other files get a fixed window of lines. Large blocks
// are cut to the lines nearest the change, with markers where lines were
// left out, so a long function costs a bounded number of tokens.
package enclosing

import (
	"bytes"
	"path"
	"sort"
	"strings"

	"github.com/codex-review/codex-review/review/diff"
)

// Limits of the context shown around one hunk.
const (
	// MaxBefore and MaxAfter bound the lines of the enclosing block shown
	// above and below a hunk (declaration headers and gap markers aside).
	MaxBefore = 20
	MaxAfter  = 10
	// Window is the lines shown on each side of a change that is not
	// inside a recognised block, or in a language without a scanner.
	Window = 5
	// MaxFileBytes: larger files (generated or minified, usually) get
	// the fixed window only, without a scan.
	MaxFileBytes = 1 << 20
	// maxHeader bounds the lines of a declaration's header (annotations,
	// a signature over several lines) kept when its body is cut.
	maxHeader = 4
)

// Line is one line of the head file shown around a hunk, or a gap marker.
type Line struct {
	N    int    // the line's number in the head file, from 1
	Text string // the line without its line ending
	// Skipped, when not zero, makes this a marker for Skipped lines left
	// out, starting at line N; Text is then empty.
	Skipped int
}

// Hunk is the context of one hunk: lines to show before its first line and
// after its last, in file order, not overlapping the hunk or the context of
// another hunk of the file.
type Hunk struct {
	Before, After []Line
}

// Lines counts the lines of code h shows, markers aside.
func (h Hunk) Lines() int {
	n := 0
	for _, ls := range [][]Line{h.Before, h.After} {
		for _, l := range ls {
			if l.Skipped == 0 {
				n++
			}
		}
	}
	return n
}

// scope is a block of the file.
type scope struct {
	start int // first line of the declaration (annotations included)
	open  int // the line that ends its header (holds "{" or ":")
	end   int // its last line
	kind  kind
}

// kind says what a block declares.
type kind int

const (
	// block: a control block or a literal, which is no declaration.
	block kind = iota
	// function: a function, method, constructor or lambda, whose body
	// is worth reading around a change.
	function
	// container: a class, interface, struct, module and the like, whose
	// header says where a change is but whose body is other declarations.
	container
)

// Extract returns the context of each of hunks (the hunks of one file, in
// order) from head, the file's content at the change's head. The result has
// one entry per hunk.
func Extract(filePath string, head []byte, hunks []diff.Hunk) []Hunk {
	lines := splitLines(head)
	var scopes []scope
	if len(head) <= MaxFileBytes {
		switch languageOf(filePath) {
		case braces:
			scopes = braceScopes(lines, rawStringQuotes(filePath))
		case indentation:
			scopes = pythonScopes(lines)
		}
	}
	out := make([]Hunk, len(hunks))
	shown := 0 // the last line shown so far: by a hunk or its context
	for i := range hunks {
		h := &hunks[i]
		first, last := h.NewStart, h.NewEnd()
		if h.NewLines == 0 {
			// A hunk that only deletes shows no head line; its
			// position is after NewStart.
			first, last = h.NewStart+1, h.NewStart
		}
		want := wanted(h, lines, scopes)
		next := len(lines) + 1
		if i+1 < len(hunks) && hunks[i+1].NewLines > 0 {
			next = hunks[i+1].NewStart
		}
		var before, after []int
		for _, n := range want {
			switch {
			case n > shown && n < first:
				before = append(before, n)
			case n > last && n < next:
				after = append(after, n)
			}
		}
		out[i] = Hunk{Before: render(lines, before, first), After: render(lines, after, 0)}
		if len(after) > 0 {
			last = after[len(after)-1]
		}
		shown = max(shown, last)
	}
	// After-context of a hunk may reach lines the next hunk's
	// before-context also wants; the loop above already skipped them
	// through shown, so nothing is printed twice.
	return out
}

// wanted returns the sorted line numbers worth showing around hunk h. For
// each run of changed lines: the innermost function around it that the
// hunk does not already show whole (a lambda inside a method is not enough
// to judge a change), cut to MaxBefore lines before the change and
// MaxAfter after it; the headers of every declaration around the change;
// and, when no function holds the change, a fixed window around it.
func wanted(h *diff.Hunk, lines []string, scopes []scope) []int {
	set := map[int]bool{}
	shownFrom, shownTo := h.NewStart, h.NewEnd()
	for _, run := range changedRuns(h, len(lines)) {
		chain := enclosingScopes(scopes, run[0], run[1])
		var body *scope
		for i := len(chain) - 1; i >= 0; i-- {
			s := &chain[i]
			addHeader(set, *s)
			if body == nil && s.kind == function && (s.start < shownFrom || s.end > shownTo) {
				body = s
			}
		}
		if body == nil {
			for n := run[0] - Window; n <= run[1]+Window; n++ {
				set[n] = true
			}
			continue
		}
		for n := max(body.start, run[0]-MaxBefore); n <= run[1]+MaxAfter && n <= body.end; n++ {
			set[n] = true
		}
	}
	out := make([]int, 0, len(set))
	for n := range set {
		if n >= 1 && n <= len(lines) {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

func addHeader(set map[int]bool, s scope) {
	for n := max(s.start, s.open-maxHeader+1); n <= s.open; n++ {
		set[n] = true
	}
}

// changedRuns returns the head line ranges of the hunk's runs of changed
// lines. A run of deletions sits between the head lines around it.
func changedRuns(h *diff.Hunk, nlines int) [][2]int {
	var runs [][2]int
	prevNew := h.NewStart - 1 // the last head line seen
	open := false
	for _, l := range h.Lines {
		switch l.Kind {
		case diff.Context:
			prevNew = l.NewLine
			open = false
			continue
		case diff.Added:
			prevNew = l.NewLine
		}
		lo, hi := prevNew, prevNew
		if l.Kind == diff.Deleted {
			// Between prevNew and the next head line.
			lo, hi = max(prevNew, 1), min(prevNew+1, max(nlines, 1))
		}
		if open {
			r := &runs[len(runs)-1]
			r[0], r[1] = min(r[0], lo), max(r[1], hi)
		} else {
			runs = append(runs, [2]int{lo, hi})
			open = true
		}
	}
	return runs
}

// enclosingScopes returns the declarations holding lines lo..hi,
// outermost first.
func enclosingScopes(scopes []scope, lo, hi int) []scope {
	var chain []scope
	for _, s := range scopes {
		if s.kind != block && s.start <= lo && s.end >= hi {
			chain = append(chain, s)
		}
	}
	// Outer blocks start earlier (or end later).
	sort.Slice(chain, func(i, j int) bool {
		if chain[i].start != chain[j].start {
			return chain[i].start < chain[j].start
		}
		return chain[i].end > chain[j].end
	})
	return chain
}

// render turns sorted line numbers into lines with gap markers between
// numbers that are not adjacent, and before upTo when the last number
// stops short of the line just before it (upTo 0: no trailing marker).
func render(lines []string, nums []int, upTo int) []Line {
	var out []Line
	for i, n := range nums {
		if i > 0 && n > nums[i-1]+1 {
			out = append(out, Line{N: nums[i-1] + 1, Skipped: n - nums[i-1] - 1})
		}
		out = append(out, Line{N: n, Text: lines[n-1]})
	}
	if upTo > 0 && len(nums) > 0 && nums[len(nums)-1] < upTo-1 {
		last := nums[len(nums)-1]
		out = append(out, Line{N: last + 1, Skipped: upTo - 1 - last})
	}
	return out
}

// splitLines splits content into lines without their endings ("\n" or
// "\r\n"); a final line ending does not start another line.
func splitLines(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	content = bytes.TrimSuffix(content, []byte("\n"))
	parts := strings.Split(string(content), "\n")
	for i, p := range parts {
		parts[i] = strings.TrimSuffix(p, "\r")
	}
	return parts
}

// language is how a file's blocks are found.
type language int

const (
	window language = iota
	braces
	indentation
)

var braceExts = map[string]bool{
	".go": true, ".js": true, ".jsx": true, ".mjs": true, ".cjs": true, ".ts": true, ".tsx": true, ".mts": true, ".cts": true,
	".java": true, ".kt": true, ".kts": true, ".scala": true, ".groovy": true, ".gradle": true,
	".c": true, ".h": true, ".cc": true, ".cpp": true, ".cxx": true, ".hpp": true, ".hh": true, ".m": true, ".mm": true,
	".cs": true, ".rs": true, ".swift": true, ".php": true, ".dart": true,
}

func languageOf(p string) language {
	ext := strings.ToLower(path.Ext(p))
	switch {
	case braceExts[ext]:
		return braces
	case ext == ".py" || ext == ".pyi":
		return indentation
	}
	return window
}

// rawStringQuotes says which quote starts a string that may span lines:
// the backquote in Go, JavaScript and TypeScript; triple double quotes in
// Java, Kotlin, Scala, Swift and C#.
func rawStringQuotes(p string) string {
	switch strings.ToLower(path.Ext(p)) {
	case ".go", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts":
		return "`"
	case ".java", ".kt", ".kts", ".scala", ".swift", ".cs", ".groovy", ".gradle":
		return `"""`
	}
	return ""
}
