package sandbox

import (
	"bytes"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxLine bounds the part of one output line kept for failure matching;
// test names sit at the start of their lines.
const maxLine = 4 << 10

// output keeps the last limit bytes of the command's output and collects
// failing test names from every line as it passes, so names that scrolled
// out of the tail are still reported.
type output struct {
	mu      sync.Mutex
	limit   int
	buf     []byte
	total   int64
	line    []byte
	failing failureSet
}

func newOutput(limit int) *output {
	return &output{limit: limit}
}

// Write never fails: the command must not block on a full buffer.
func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.total += int64(len(p))
	o.scan(p)
	o.buf = append(o.buf, p...)
	// Compact only when twice the limit is buffered, so each byte is
	// copied a bounded number of times.
	if len(o.buf) > 2*o.limit {
		n := copy(o.buf, o.buf[len(o.buf)-o.limit:])
		o.buf = o.buf[:n]
	}
	return len(p), nil
}

func (o *output) scan(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := maxLine - len(o.line); room > 0 {
			o.line = append(o.line, chunk[:min(room, len(chunk))]...)
		}
		if i < 0 {
			return
		}
		o.failing.add(string(o.line))
		o.line = o.line[:0]
		p = p[i+1:]
	}
}

// tail returns the kept output, starting at a line boundary when it was
// cut (unless that would drop most of it), as valid UTF-8.
func (o *output) tail() (string, int64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.buf
	truncated := int64(len(b)) < o.total
	if len(b) > o.limit {
		b = b[len(b)-o.limit:]
		truncated = true
	}
	if truncated {
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)/4 {
			b = b[i+1:]
		}
		for len(b) > 0 && !utf8.RuneStart(b[0]) {
			b = b[1:]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), o.total, truncated
}

// failures returns the failing tests seen, including a last line that
// had no newline.
func (o *output) failures() ([]string, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.line) > 0 {
		o.failing.add(string(o.line))
		o.line = o.line[:0]
	}
	return o.failing.result()
}
