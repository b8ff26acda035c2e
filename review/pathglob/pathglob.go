// Package pathglob matches slash-separated repository paths against the
// gitignore-like globs of a .codex.yml file (paths.exclude, paths.include,
// review.path_instructions).
//
// Syntax:
//
//	a*b      '*' is any run of characters within one path segment (never '/')
//	a?b      '?' is one character other than '/'
//	[abc]    one character of the set; ranges [a-z]; negation [!x] or [^x]
//	a/**/b   '**' as a whole segment is zero or more whole segments
//	         ("**/*.lock", "a/**/b"); at the end it is everything inside
//	         ("vendor/**" matches "vendor/x.go", not "vendor"); within a
//	         segment it acts as '*'
//	{a,b}    alternatives, which may nest and may contain '/'
//	\x       the character x literally ('/' cannot be escaped)
//
// Anchoring follows gitignore: a pattern with a slash at its start or in its
// middle is anchored at the repository root; a pattern without one ("*.lock",
// "testdata", "build/") matches at any depth. A leading "/" only anchors; a
// trailing "/" makes the pattern match directories only.
//
// Because the paths given to Match are files, a pattern that matches one of
// a path's parent directories matches the path too, as a directory ignored
// by gitignore takes its whole content with it: "docs" matches
// "docs/guide.md", and "build/" matches "web/build/app.js" but not a file
// named "build".
//
// Matching is case-sensitive, as git is by default. Patterns are parsed once
// by Compile; Match does no allocation and uses no regular expressions.
package pathglob

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxAlternatives bounds brace expansion, so that a hostile pattern such as
// "{a,b}{a,b}{a,b}..." cannot make Compile use unbounded memory.
const maxAlternatives = 1024

// Error reports an invalid pattern.
type Error struct {
	Pattern string
	Reason  string
}

// Error names the pattern and says what is wrong with it.
func (e *Error) Error() string {
	return fmt.Sprintf("invalid path pattern %q: %s", e.Pattern, e.Reason)
}

// Pattern is a compiled glob. It is immutable and safe for concurrent use.
type Pattern struct {
	src  string
	alts [][]segment // one segment list per brace alternative
}

// Compile parses a pattern.
func Compile(pattern string) (*Pattern, error) {
	if strings.TrimSpace(pattern) == "" {
		return nil, &Error{Pattern: pattern, Reason: "empty pattern"}
	}
	if reason := checkSyntax(pattern); reason != "" {
		return nil, &Error{Pattern: pattern, Reason: reason}
	}
	expanded, err := expandBraces(pattern)
	if err != "" {
		return nil, &Error{Pattern: pattern, Reason: err}
	}
	p := &Pattern{src: pattern, alts: make([][]segment, 0, len(expanded))}
	for _, alt := range expanded {
		segs, reason := parseAlternative(alt)
		if reason != "" {
			return nil, &Error{Pattern: pattern, Reason: reason}
		}
		p.alts = append(p.alts, segs)
	}
	return p, nil
}

// MustCompile is Compile for patterns fixed in the program's source; it
// panics on an invalid pattern, which is a programming error there.
func MustCompile(pattern string) *Pattern {
	p, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return p
}

// Match compiles pattern and matches path against it. Use Compile or a Set
// when the same pattern is matched many times.
func Match(pattern, path string) (bool, error) {
	p, err := Compile(pattern)
	if err != nil {
		return false, err
	}
	return p.Match(path), nil
}

// String returns the pattern as it was written.
func (p *Pattern) String() string { return p.src }

// Match reports whether path, or one of its parent directories, matches the
// pattern. Leading, trailing and repeated slashes in path are ignored.
func (p *Pattern) Match(path string) bool {
	if skipSlashes(path, 0) == len(path) {
		return false
	}
	for _, segs := range p.alts {
		if matchSegments(segs, path) {
			return true
		}
	}
	return false
}

// Set is an ordered list of compiled patterns.
type Set struct {
	patterns []*Pattern
}

// NewSet compiles every pattern; the error names the first invalid one.
func NewSet(patterns []string) (*Set, error) {
	s := &Set{patterns: make([]*Pattern, 0, len(patterns))}
	for _, src := range patterns {
		p, err := Compile(src)
		if err != nil {
			return nil, err
		}
		s.patterns = append(s.patterns, p)
	}
	return s, nil
}

// Len is the number of patterns in the set.
func (s *Set) Len() int { return len(s.patterns) }

// Match returns the first pattern, in the order given to NewSet, that
// matches path. A nil or empty Set matches nothing.
func (s *Set) Match(path string) (pattern string, ok bool) {
	if s == nil {
		return "", false
	}
	for _, p := range s.patterns {
		if p.Match(path) {
			return p.src, true
		}
	}
	return "", false
}

// checkSyntax validates brackets, braces and escapes on the pattern as
// written, so that errors are reported once and before expansion.
func checkSyntax(pattern string) string {
	depth := 0
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			if i+1 == len(pattern) {
				return "trailing backslash"
			}
			if pattern[i+1] == '/' {
				return "'/' cannot be escaped: it always separates segments"
			}
			i++
		case '[':
			end, reason := classEnd(pattern, i)
			if reason != "" {
				return reason
			}
			i = end
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return "unmatched '}'"
			}
			depth--
		}
	}
	if depth > 0 {
		return "unclosed '{'"
	}
	return ""
}

// classEnd returns the index of the ']' closing the class that opens at
// start, checking its ranges on the way.
func classEnd(s string, start int) (int, string) {
	i := start + 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		i++
	}
	first := true
	for i < len(s) {
		if s[i] == ']' && !first {
			return i, ""
		}
		first = false
		lo, n, reason := classChar(s, i)
		if reason != "" {
			return 0, reason
		}
		i += n
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' {
			hi, m, reason := classChar(s, i+1)
			if reason != "" {
				return 0, reason
			}
			if hi < lo {
				return 0, fmt.Sprintf("range %q is out of order", s[i-n:i+1+m])
			}
			i += 1 + m
		}
	}
	return 0, "unclosed '['"
}

// classChar decodes one possibly escaped character inside a class.
func classChar(s string, i int) (rune, int, string) {
	if s[i] == '\\' {
		if i+1 == len(s) {
			return 0, 0, "trailing backslash"
		}
		r, n := utf8.DecodeRuneInString(s[i+1:])
		return r, n + 1, ""
	}
	if s[i] == '/' {
		return 0, 0, "'/' inside a character class"
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return r, n, ""
}

// expandBraces rewrites a pattern into the list of brace-free patterns it
// stands for. Escapes and classes are kept verbatim for the parser; braces
// inside a class are literal.
func expandBraces(pattern string) ([]string, string) {
	open := -1
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			i++
		case '[':
			end, _ := classEnd(pattern, i)
			i = end
		case '{':
			open = i
		}
		if open >= 0 {
			break
		}
	}
	if open < 0 {
		return []string{pattern}, ""
	}
	// Find the matching '}' and the top-level commas between.
	depth := 0
	commas := []int{}
	closeAt := -1
	for i := open; i < len(pattern) && closeAt < 0; i++ {
		switch pattern[i] {
		case '\\':
			i++
		case '[':
			end, _ := classEnd(pattern, i)
			i = end
		case '{':
			depth++
		case ',':
			if depth == 1 {
				commas = append(commas, i)
			}
		case '}':
			depth--
			if depth == 0 {
				closeAt = i
			}
		}
	}
	prefix, suffix := pattern[:open], pattern[closeAt+1:]
	bounds := append(append([]int{open}, commas...), closeAt)
	var out []string
	for k := 0; k+1 < len(bounds); k++ {
		middle := pattern[bounds[k]+1 : bounds[k+1]]
		rest, reason := expandBraces(prefix + middle + suffix)
		if reason != "" {
			return nil, reason
		}
		if len(out)+len(rest) > maxAlternatives {
			return nil, fmt.Sprintf("braces expand to more than %d alternatives", maxAlternatives)
		}
		out = append(out, rest...)
	}
	return out, ""
}

// segment is one slash-separated part of a pattern.
type segment struct {
	doubleStar bool    // "**": zero or more whole path segments
	literal    string  // set when the segment has no wildcard: compared as is
	hasLiteral bool    // distinguishes the literal "" (never) from "no literal"
	toks       []token // the wildcard form, when hasLiteral is false
}

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokAnyOne
	tokStar
	tokClass
)

type token struct {
	kind   tokenKind
	lit    string
	negate bool
	ranges []runeRange
}

type runeRange struct{ lo, hi rune }

// parseAlternative turns one brace-free pattern into its segment list,
// applying the anchoring and directory rules described in the package doc.
func parseAlternative(alt string) ([]segment, string) {
	anchored := strings.HasPrefix(alt, "/")
	dirOnly := endsWithSlash(alt)
	parts := splitUnescaped(alt)
	if len(parts) == 0 {
		return nil, "pattern names no path"
	}
	if len(parts) > 1 {
		anchored = true
	}
	if len(parts) > 1 && parts[len(parts)-1] == "**" {
		// As in gitignore, a trailing "/**" means everything inside.
		parts = parts[:len(parts)-1]
		dirOnly = true
	}
	segs := make([]segment, 0, len(parts)+3)
	if !anchored {
		segs = append(segs, segment{doubleStar: true})
	}
	for _, part := range parts {
		if part == "**" {
			// Consecutive "**" are one "**"; keeping both would only cost time.
			if len(segs) > 0 && segs[len(segs)-1].doubleStar {
				continue
			}
			segs = append(segs, segment{doubleStar: true})
			continue
		}
		seg, reason := parseSegment(part)
		if reason != "" {
			return nil, reason
		}
		segs = append(segs, seg)
	}
	if dirOnly {
		// The directory must have something in it: one more segment.
		segs = append(segs, segment{toks: []token{{kind: tokStar}}})
	}
	if !segs[len(segs)-1].doubleStar {
		// A match on a parent directory is a match on the path.
		segs = append(segs, segment{doubleStar: true})
	}
	return segs, ""
}

// endsWithSlash reports whether s ends in a '/' that is not escaped.
func endsWithSlash(s string) bool {
	if !strings.HasSuffix(s, "/") {
		return false
	}
	backslashes := 0
	for i := len(s) - 2; i >= 0 && s[i] == '\\'; i-- {
		backslashes++
	}
	return backslashes%2 == 0
}

// splitUnescaped splits on '/' outside escapes and drops empty parts.
func splitUnescaped(s string) []string {
	var parts []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '\\' {
			i++
			continue
		}
		if i == len(s) || s[i] == '/' {
			if i > start {
				parts = append(parts, s[start:i])
			}
			start = i + 1
		}
	}
	return parts
}

func parseSegment(s string) (segment, string) {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tokLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '\\':
			_, n := utf8.DecodeRuneInString(s[i+1:])
			lit.WriteString(s[i+1 : i+1+n])
			i += 1 + n
		case '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, token{kind: tokStar})
			}
			i++
		case '?':
			flush()
			toks = append(toks, token{kind: tokAnyOne})
			i++
		case '[':
			flush()
			end, reason := classEnd(s, i)
			if reason != "" {
				return segment{}, reason
			}
			toks = append(toks, parseClass(s[i+1:end]))
			i = end + 1
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	if len(toks) == 1 && toks[0].kind == tokLiteral {
		return segment{literal: toks[0].lit, hasLiteral: true}, ""
	}
	return segment{toks: toks}, ""
}

// parseClass parses the body of a class already checked by classEnd.
func parseClass(body string) token {
	t := token{kind: tokClass}
	i := 0
	if i < len(body) && (body[i] == '!' || body[i] == '^') {
		t.negate = true
		i++
	}
	for i < len(body) {
		lo, n, _ := classChar(body, i)
		i += n
		hi := lo
		// A '-' just before ']' is literal; the loop takes it next.
		if i+1 < len(body) && body[i] == '-' {
			var m int
			hi, m, _ = classChar(body, i+1)
			i += 1 + m
		}
		t.ranges = append(t.ranges, runeRange{lo, hi})
	}
	return t
}

// matchSegments matches the whole path against segs. "**" works like '*'
// in a wildcard match, one level up: it absorbs whole path segments, and
// on a mismatch the last "**" absorbs one more and matching resumes. This
// is the classic linear-backtracking wildcard algorithm, which is correct
// because "**" can absorb any sequence of segments.
func matchSegments(segs []segment, path string) bool {
	pos := skipSlashes(path, 0)
	si := 0
	starSeg, starPos := -1, 0
	for {
		if pos >= len(path) {
			// Path consumed: the rest of the pattern must be "**" only.
			for si < len(segs) && segs[si].doubleStar {
				si++
			}
			if si == len(segs) {
				return true
			}
		} else if si < len(segs) {
			if segs[si].doubleStar {
				starSeg, starPos = si, pos
				si++
				continue
			}
			name, next := nextSegment(path, pos)
			if segs[si].match(name) {
				si++
				pos = next
				continue
			}
		}
		if starSeg < 0 || starPos >= len(path) {
			return false
		}
		_, starPos = nextSegment(path, starPos)
		si, pos = starSeg+1, starPos
	}
}

func skipSlashes(path string, i int) int {
	for i < len(path) && path[i] == '/' {
		i++
	}
	return i
}

// nextSegment returns the segment starting at i and the start of the one
// after it.
func nextSegment(path string, i int) (string, int) {
	j := strings.IndexByte(path[i:], '/')
	if j < 0 {
		return path[i:], len(path)
	}
	return path[i : i+j], skipSlashes(path, i+j)
}

func (s *segment) match(name string) bool {
	if s.hasLiteral {
		return name == s.literal
	}
	return matchTokens(s.toks, name)
}

// matchTokens matches one segment name with the same last-star
// backtracking as matchSegments, one character at a time.
func matchTokens(toks []token, name string) bool {
	ti, ni := 0, 0
	starTok, starNi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				starTok, starNi = ti, ni
				ti++
				continue
			case tokLiteral:
				if strings.HasPrefix(name[ni:], t.lit) {
					ti++
					ni += len(t.lit)
					continue
				}
			case tokAnyOne:
				if ni < len(name) {
					_, n := utf8.DecodeRuneInString(name[ni:])
					ti++
					ni += n
					continue
				}
			case tokClass:
				if ni < len(name) {
					r, n := utf8.DecodeRuneInString(name[ni:])
					if t.classHas(r) {
						ti++
						ni += n
						continue
					}
				}
			}
		} else if ni == len(name) {
			return true
		}
		if starTok < 0 || starNi >= len(name) {
			return false
		}
		_, n := utf8.DecodeRuneInString(name[starNi:])
		starNi += n
		ti, ni = starTok+1, starNi
	}
}

func (t *token) classHas(r rune) bool {
	in := false
	for _, rg := range t.ranges {
		if r >= rg.lo && r <= rg.hi {
			in = true
			break
		}
	}
	return in != t.negate
}
