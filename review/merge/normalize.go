// Package merge turns the raw answers of the focus passes into one list of
// findings: it normalises what the model wrote, deduplicates the same issue
// reported by several passes or chunks, ranks, applies the priority
// threshold and the cap, and combines the passes' overall verdicts.
package merge

import (
	"errors"
	"fmt"
	"math"
	"path"
	"strings"

	"github.com/codex-review/codex-review/review/finding"
)

// defaultPriority is used when the model gave neither a usable priority nor
// a "[Pn]" title prefix: the rubric's "normal" level, which the default
// threshold (P1) does not post, so a malformed answer cannot escalate.
const defaultPriority = finding.P2

// ErrEmptyTitle is returned by Normalize for a finding without a title.
var ErrEmptyTitle = errors.New("finding has an empty title")

// Paths is the set of file paths in the diff under review. It lets
// Normalize repair the path mistakes models make: a git "a/" or "b/"
// prefix, or a bare file name or an over-long path that ends in exactly one
// diff path. A nil *Paths knows nothing and repairs nothing.
type Paths struct {
	set map[string]struct{}
	// byBase groups paths by their last element so that suffix lookups
	// only look at files of the same name.
	byBase map[string][]string
}

// NewPaths indexes the given repository-relative paths.
func NewPaths(paths []string) *Paths {
	p := &Paths{set: make(map[string]struct{}, len(paths)), byBase: make(map[string][]string, len(paths))}
	for _, s := range paths {
		if _, dup := p.set[s]; dup || s == "" {
			continue
		}
		p.set[s] = struct{}{}
		b := path.Base(s)
		p.byBase[b] = append(p.byBase[b], s)
	}
	return p
}

// Has reports whether s is a path of the diff.
func (p *Paths) Has(s string) bool {
	if p == nil {
		return false
	}
	_, ok := p.set[s]
	return ok
}

// resolve finds the single diff path that s names: s itself, s without a
// git "a/" or "b/" prefix, or the one diff path that s is a suffix of (or
// that is a suffix of s) at a path-element boundary. It reports false when
// there is no such path or more than one.
func (p *Paths) resolve(s string) (string, bool) {
	if p == nil {
		return "", false
	}
	if p.Has(s) {
		return s, true
	}
	for _, prefix := range []string{"a/", "b/"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && p.Has(rest) {
			return rest, true
		}
	}
	var found string
	n := 0
	for _, c := range p.byBase[path.Base(s)] {
		if strings.HasSuffix(c, "/"+s) || strings.HasSuffix(s, "/"+c) {
			found = c
			n++
		}
	}
	return found, n == 1
}

// Normalize makes one finding of pass area uniform; see NormalizeIn. It
// does not know the diff's paths, so it cannot undo git prefixes or
// resolve bare file names.
func Normalize(f finding.Finding, area finding.Area, root string) (finding.Finding, error) {
	return NormalizeIn(f, area, root, nil)
}

// NormalizeIn makes one finding of pass area uniform, so that merging,
// anchoring and rendering can trust it:
//
//   - the path is relative to the repository: root (the checkout the model
//     saw, if any), leading "/" and "./" and the space around them are
//     stripped, the path is cleaned, and a path that climbs out of the
//     repository with ".." is an error; when known is given, a git
//     "a/"/"b/" prefix is removed and a bare or over-long name matching
//     exactly one diff path is resolved;
//   - the priority is the field when it is 0..3, else the "[Pn]" title
//     prefix, else the field clamped (above 3 means P3; a negative value
//     means nothing and becomes P2);
//   - the title is one trimmed line with exactly one "[Pn] " prefix that
//     matches the priority; an empty title is an error;
//   - the body is trimmed; the category is a known area in lower case,
//     defaulting to the pass's area; the confidence is clamped to 0..1
//     (NaN becomes 0.5);
//   - the line range has 1 <= start <= end (a reversed range is swapped,
//     end 0 means a single line);
//   - a suggestion wrapped in a code fence is unwrapped, because the
//     renderer adds its own.
func NormalizeIn(f finding.Finding, area finding.Area, root string, known *Paths) (finding.Finding, error) {
	p, err := normalizePath(f.CodeLocation.AbsoluteFilePath, root, known)
	if err != nil {
		return finding.Finding{}, fmt.Errorf("normalize finding %q: %w", firstLine(f.Title), err)
	}
	f.CodeLocation.AbsoluteFilePath = p

	title, titlePrio, hasPrio := stripPriorityPrefixes(f.Title)
	title = firstLine(title)
	if title == "" {
		return finding.Finding{}, fmt.Errorf("normalize finding in %s: %w", p, ErrEmptyTitle)
	}
	prio := finding.Priority(f.Priority)
	switch {
	case prio.Valid():
	case hasPrio:
		prio = titlePrio
	case prio > finding.P3:
		prio = finding.P3
	default:
		prio = defaultPriority
	}
	f.Priority = int(prio)
	f.Title = "[" + prio.String() + "] " + title

	f.Body = strings.TrimSpace(f.Body)
	f.Category = string(normalizeArea(f.Category, area))
	f.ConfidenceScore = clampConfidence(f.ConfidenceScore)
	f.CodeLocation.LineRange = normalizeRange(f.CodeLocation.LineRange)
	f.Suggestion = unfence(f.Suggestion)
	return f, nil
}

// normalizePath makes a model-given path relative to the repository.
func normalizePath(raw, root string, known *Paths) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		// No location: the finding is still kept and ends up in the
		// review summary, since no diff file has an empty path.
		return "", nil
	}
	if strings.HasPrefix(s, "/") {
		s = path.Clean(s)
		if r := strings.TrimRight(path.Clean("/"+strings.TrimSpace(root)), "/"); r != "" {
			if rest, ok := strings.CutPrefix(s, r+"/"); ok {
				s = rest
			}
		}
	}
	// Space the model put after a leading "/" or "./", or before a
	// trailing "/" ("/ db/q.go", "db/q.go /"), is trimmed too: what comes
	// out is a fixed point, so a finding normalised again stays the same
	// (a merge normalises what it already normalised).
	for {
		t := path.Clean(strings.TrimSpace(strings.TrimPrefix(strings.TrimLeft(s, "/"), "./")))
		if t == s {
			break
		}
		s = t
	}
	if s == ".." || strings.HasPrefix(s, "../") {
		return "", fmt.Errorf("path %q leaves the repository", raw)
	}
	if s == "." {
		return "", nil
	}
	if r, ok := known.resolve(s); ok {
		s = r
	}
	return s, nil
}

// stripPriorityPrefixes removes every leading "[Pn]" tag (models sometimes
// repeat it) and returns the rest with the first tag's priority, clamped
// to P3.
func stripPriorityPrefixes(title string) (rest string, prio finding.Priority, ok bool) {
	rest = strings.TrimSpace(title)
	for {
		p, n := priorityTag(rest)
		if n == 0 {
			return rest, prio, ok
		}
		if !ok {
			prio, ok = p, true
		}
		rest = strings.TrimSpace(rest[n:])
	}
}

// priorityTag parses a "[Pn]" tag (any case, any number of digits) at the
// start of s, returning the clamped priority and the tag's length, or 0.
func priorityTag(s string) (finding.Priority, int) {
	if len(s) < 4 || s[0] != '[' || (s[1] != 'P' && s[1] != 'p') {
		return 0, 0
	}
	i := 2
	n := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if n <= int(finding.P3) {
			n = n*10 + int(s[i]-'0')
		}
		i++
	}
	if i == 2 || i >= len(s) || s[i] != ']' {
		return 0, 0
	}
	return finding.Priority(min(n, int(finding.P3))), i + 1
}

// firstLine returns the first non-blank line of s, trimmed, with inner
// whitespace runs squeezed to one space.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if t := strings.Join(strings.Fields(line), " "); t != "" {
			return t
		}
	}
	return ""
}

// normalizeArea returns the known area named by category, else the pass's
// area, else Bugs (a pass always has a valid area; the last fallback only
// keeps the invariant "category is one of finding.Areas").
func normalizeArea(category string, pass finding.Area) finding.Area {
	if a, err := finding.ParseArea(category); err == nil {
		return a
	}
	if a, err := finding.ParseArea(string(pass)); err == nil {
		return a
	}
	return finding.Bugs
}

// clampConfidence keeps a confidence score in 0..1; NaN says nothing and
// becomes the neutral 0.5.
func clampConfidence(c float64) float64 {
	if math.IsNaN(c) {
		return 0.5
	}
	return math.Min(1, math.Max(0, c))
}

// normalizeRange returns a range with 1 <= Start <= End.
func normalizeRange(r finding.LineRange) finding.LineRange {
	if r.End == 0 {
		r.End = r.Start
	}
	if r.End < r.Start {
		r.Start, r.End = r.End, r.Start
	}
	r.Start = max(r.Start, 1)
	r.End = max(r.End, r.Start)
	return r
}

// unfence returns the code inside a suggestion the model wrapped in a
// ``` fence; anything else is returned as is, because leading whitespace
// of replacement code is significant.
func unfence(s string) string {
	t := strings.TrimSpace(s)
	if t == "" {
		return ""
	}
	if !strings.HasPrefix(t, "```") || !strings.HasSuffix(t, "```") || len(t) < 6 {
		return s
	}
	open, body, ok := strings.Cut(t, "\n")
	if !ok || strings.Contains(open[3:], "`") {
		return s
	}
	body = strings.TrimSuffix(body, "```")
	return strings.TrimSuffix(body, "\n")
}
