package repoconfig

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration file, at a 1-based line
// and column (columns count characters, as editors do).
type Problem struct {
	File    string
	Line    int
	Column  int
	Message string
}

// String renders the problem as "file:line:col: message", the form
// compilers use and editors link to.
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
}

// Error lists every problem found in a configuration file, in the order
// they appear in the file.
type Error struct {
	Problems []Problem
}

// Error renders one problem per line, without a trailing newline; this is
// exactly what `codex-review config validate` prints.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// TooLarge is the problem of a configuration file over MaxFileSize: size
// bytes, or -1 when only known to be larger (a stream that did not end).
func TooLarge(name string, size int64) *Error {
	what := fmt.Sprintf("the file is %d bytes", size)
	if size < 0 {
		what = fmt.Sprintf("the file is larger than %d bytes", MaxFileSize)
	}
	return &Error{Problems: []Problem{{File: name, Line: 1, Column: 1, Message: what +
		"; the limit is 65536 bytes (64 KiB): keep only the settings that differ from the defaults"}}}
}
