package diff

import (
	"errors"
	"fmt"
	"strings"
)

// devNull is the name diff tools give the missing side of an added or
// deleted file.
const devNull = "/dev/null"

// prefixPairs are the (old, new) path prefixes git writes: the default
// "a/" and "b/", and the mnemonic ones of diff.mnemonicPrefix (commit,
// index, work tree, object), in either order. A pair of different letters
// cannot come from --no-prefix on an unrenamed file, whose two names are
// equal, so recognising only these pairs keeps real directories named
// "a" or "w" intact.
var prefixPairs = [...][2]byte{
	{'a', 'b'},
	{'c', 'w'}, {'c', 'i'}, {'i', 'w'}, {'o', 'w'},
	{'w', 'c'}, {'i', 'c'}, {'w', 'i'}, {'w', 'o'},
}

// prefixOf returns the one-letter prefix letter of name ("a" for "a/x"),
// or 0 when name does not start with a letter and a slash.
func prefixOf(name string) byte {
	if len(name) > 2 && name[1] == '/' {
		return name[0]
	}
	return 0
}

// knownPair reports whether old and new start with a pair of git's prefixes.
func knownPair(old, new string) bool {
	po, pn := prefixOf(old), prefixOf(new)
	if po == 0 || pn == 0 {
		return false
	}
	for _, p := range prefixPairs {
		if p[0] == po && p[1] == pn {
			return true
		}
	}
	return false
}

// stripPrefix removes the two-byte prefix ("a/") from name when strip is
// set, and maps /dev/null to "".
func stripPrefix(name string, strip bool) string {
	if name == devNull {
		return ""
	}
	if strip && prefixOf(name) != 0 {
		return name[2:]
	}
	return name
}

var errBadQuoting = errors.New("bad C-style quoting")

// unquoteC decodes a name git wrote between double quotes, with C escapes
// and octal bytes ("a/caf\303\251.txt"). Unlike strconv.Unquote it keeps
// bytes that are not valid UTF-8 exactly as git wrote them.
func unquoteC(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", fmt.Errorf("%w: %q is not quoted", errBadQuoting, s)
	}
	body := s[1 : len(s)-1]
	if !strings.ContainsAny(body, `\"`) {
		return body, nil
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch c {
		case '"':
			return "", fmt.Errorf("%w: unescaped quote in %q", errBadQuoting, s)
		case '\\':
		default:
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(body) {
			return "", fmt.Errorf("%w: %q ends in a backslash", errBadQuoting, s)
		}
		switch e := body[i]; e {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '"', '\\':
			b.WriteByte(e)
		case '0', '1', '2', '3':
			if i+2 >= len(body) || !isOctal(body[i+1]) || !isOctal(body[i+2]) {
				return "", fmt.Errorf("%w: short octal escape in %q", errBadQuoting, s)
			}
			b.WriteByte((e-'0')<<6 | (body[i+1]-'0')<<3 | (body[i+2] - '0'))
			i += 2
		default:
			return "", fmt.Errorf("%w: unknown escape \\%c in %q", errBadQuoting, e, s)
		}
	}
	return b.String(), nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// decodeName decodes a path from a git header value: quoted names are
// C-unquoted, others are taken as they are.
func decodeName(s string) (string, error) {
	if strings.HasPrefix(s, `"`) {
		return unquoteC(s)
	}
	return s, nil
}

// cutQuoted splits a leading quoted name off s, returning the decoded name
// and what follows the closing quote.
func cutQuoted(s string) (name, rest string, err error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			name, err = unquoteC(s[:i+1])
			return name, s[i+1:], err
		}
	}
	return "", "", fmt.Errorf("%w: no closing quote in %q", errBadQuoting, s)
}

// splitGitArgs splits the two names of a "diff --git <old> <new>" line,
// prefixes included. Git quotes a name only when it holds special bytes,
// so two unquoted names with spaces are ambiguous; they are split only
// when the line reads as one name twice (the file was not renamed), and
// ok is false otherwise. Renamed and copied files carry their names in
// their own headers.
func splitGitArgs(args string) (old, new string, ok bool) {
	if args == "" {
		return "", "", false
	}
	if args[0] == '"' {
		old, rest, err := cutQuoted(args)
		if err != nil || len(rest) < 2 || rest[0] != ' ' {
			return "", "", false
		}
		new, err := decodeName(rest[1:])
		return old, new, err == nil && new != ""
	}
	if args[len(args)-1] == '"' {
		// Only the new name is quoted. The old one holds no quote (git
		// would have quoted it), so the first quote opens the new name.
		i := strings.IndexByte(args, '"')
		if i < 2 || args[i-1] != ' ' {
			return "", "", false
		}
		name, rest, err := cutQuoted(args[i:])
		if err != nil || rest != "" {
			return "", "", false
		}
		return args[:i-1], name, true
	}
	if n := strings.Count(args, " "); n == 1 {
		old, new, _ = strings.Cut(args, " ")
		// Git quotes any name holding a quote, so a bare one is broken.
		if old == "" || new == "" || new[0] == '"' {
			return "", "", false
		}
		return old, new, true
	}
	if len(args)%2 == 1 {
		mid := len(args) / 2
		old, new = args[:mid], args[mid+1:]
		if args[mid] == ' ' && (old == new || (knownPair(old, new) && old[1:] == new[1:])) {
			return old, new, true
		}
	}
	return "", "", false
}

// splitBinaryNames splits the names of a "Binary files <old> and <new>
// differ" line. With " and " inside a name the line is ambiguous; a
// /dev/null side, or a split that reads as one name twice, wins over the
// first " and ".
func splitBinaryNames(names string) (old, new string, ok bool) {
	const and = " and "
	switch {
	case strings.HasPrefix(names, devNull+and):
		return devNull, names[len(devNull+and):], true
	case strings.HasSuffix(names, and+devNull):
		return names[:len(names)-len(and+devNull)], devNull, true
	}
	if mid := (len(names) - len(and)) / 2; mid > 0 && (len(names)-len(and))%2 == 0 && names[mid:mid+len(and)] == and {
		o, n := names[:mid], names[mid+len(and):]
		if o == n || (knownPair(o, n) && o[1:] == n[1:]) {
			return o, n, true
		}
	}
	if old, new, ok = strings.Cut(names, and); !ok {
		return "", "", false
	}
	return old, new, true
}
