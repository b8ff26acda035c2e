package merge

import (
	"strings"
	"unicode"
)

// subjects returns the code a finding names, lower-cased: the identifiers
// inside its `code spans` and fenced blocks, and words of its prose that
// can only be code (snake_case, camelCase, a call such as "average()", a
// selector such as "s.db"). Two passes that describe one defect in their
// own words still name the same variables and functions; two findings that
// name only different ones are about different things.
//
// Language keywords are left out: "`if (b = 0)`" names b, not "if".
func subjects(texts ...string) map[string]bool {
	out := map[string]bool{}
	for _, t := range texts {
		code, prose := splitCode(t)
		for _, c := range code {
			for _, id := range identifiers(c) {
				if !keywords[id] {
					out[id] = true
				}
			}
		}
		for _, w := range strings.FieldsFunc(prose, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' || r == '"' || r == '\'' }) {
			if !codeShaped(w) {
				continue
			}
			for _, id := range identifiers(w) {
				if !keywords[id] {
					out[id] = true
				}
			}
		}
	}
	return out
}

// splitCode separates the backtick-quoted parts of s (spans and fenced
// blocks) from the rest. An unpaired backtick quotes nothing.
func splitCode(s string) (code []string, prose string) {
	var p strings.Builder
	for {
		i := strings.IndexByte(s, '`')
		if i < 0 {
			p.WriteString(s)
			return code, p.String()
		}
		p.WriteString(s[:i])
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		fence := s[i : i+n]
		rest := s[i+n:]
		j := strings.Index(rest, fence)
		if j < 0 {
			p.WriteString(rest)
			return code, p.String()
		}
		c := rest[:j]
		if n >= 3 {
			// A fenced block's first line is its info string ("js").
			_, c, _ = strings.Cut(c, "\n")
		}
		code = append(code, c)
		p.WriteByte(' ')
		s = rest[j+n:]
	}
}

// identifiers splits code into lower-cased identifiers: runs of letters,
// digits, '_' and '$' that do not start with a digit.
func identifiers(code string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(code, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '$')
	}) {
		if r := []rune(w)[0]; unicode.IsDigit(r) {
			continue
		}
		out = append(out, strings.ToLower(w))
	}
	return out
}

// codeShaped reports whether a word of prose can only be code: it has an
// underscore, a call's parenthesis after a name, a dot between letters, or an upper-case
// letter after a lower-case one. "Off-by-one" and "Infinity." are prose.
func codeShaped(w string) bool {
	w = strings.TrimRight(w, ".:!?")
	if w == "" {
		return false
	}
	if strings.Contains(w, "_") || strings.IndexByte(w, '(') > 0 {
		return true
	}
	rs := []rune(w)
	for i := 1; i < len(rs); i++ {
		prev, r := rs[i-1], rs[i]
		if unicode.IsLower(prev) && unicode.IsUpper(r) {
			return true
		}
		if r == '.' && unicode.IsLetter(prev) && i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
			return true
		}
	}
	return false
}

// shareAny reports whether two sets have an element in common.
func shareAny(a, b map[string]bool) bool {
	if len(b) < len(a) {
		a, b = b, a
	}
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

// keywords are words of common languages that say nothing about which
// variable or function a finding is about.
var keywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		if else for while do switch case default break continue return goto
		func function def fn lambda class struct interface type enum
		var let const static final public private protected
		new delete this self super nil null none undefined true false
		and or not in is of as from import package use go defer range select
		try catch except finally throw throws raise async await yield with
		int string bool boolean float double char byte void any error
		typeof instanceof`) {
		m[w] = true
	}
	return m
}()
