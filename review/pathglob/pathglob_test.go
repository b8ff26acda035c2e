package pathglob

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		// No slash: base name (or a directory name) at any depth.
		{"*.lock", "yarn.lock", true},
		{"*.lock", "web/app/yarn.lock", true},
		{"*.lock", "yarn.lock.bak", false},
		{"go.sum", "go.sum", true},
		{"go.sum", "tools/go.sum", true},
		{"go.sum", "go.sum.txt", false},
		{"docs", "docs/guide.md", true},
		{"docs", "a/docs/b/c.md", true},
		{"docs", "documentation/x.md", false},
		// Anchored patterns.
		{"vendor/**", "vendor/github.com/x/y.go", true},
		{"vendor/**", "vendor", false},
		{"vendor/**", "pkg/vendor/x.go", false},
		{"/vendor", "vendor/x.go", true},
		{"/vendor", "pkg/vendor/x.go", false},
		{"src/*.go", "src/main.go", true},
		{"src/*.go", "src/sub/main.go", false},
		{"src/*.go", "lib/src/main.go", false},
		{"src/*", "src/sub/main.go", true}, // the parent directory src/sub matches
		// Double star.
		{"**/*.lock", "Cargo.lock", true},
		{"**/*.lock", "a/b/c/Cargo.lock", true},
		{"**/*.min.js", "static/js/app.min.js", true},
		{"**/*.min.js", "static/js/app.js", false},
		{"a/**/b", "a/b", true},
		{"a/**/b", "a/x/b", true},
		{"a/**/b", "a/x/y/z/b", true},
		{"a/**/b", "a/x/y/z/c", false},
		{"a/**/b", "x/a/b", false},
		{"a/**/b/*.go", "a/b/c/b/d.go", true},
		{"a/**/b/*.go", "a/b/c/d.go", false},
		{"**", "anything/at/all", true},
		{"**/test/**", "pkg/test/x_test.go", true},
		{"a/**", "a/b", true},
		{"x**y", "xaay", true}, // not a whole segment: acts as '*'
		{"x**y", "xa/ay", false},
		// '*' stays within a segment.
		{"a*/b", "abc/b", true},
		{"a*/b", "a/x/b", false},
		{"*", "x", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"*.go", ".go", true},
		// '?'.
		{"?.go", "a.go", true},
		{"?.go", "ab.go", false},
		{"?.go", "é.go", true},
		{"a?b", "a/b", false},
		// Classes.
		{"[abc].go", "b.go", true},
		{"[abc].go", "d.go", false},
		{"[a-c].go", "b.go", true},
		{"[!a-c].go", "b.go", false},
		{"[!a-c].go", "d.go", true},
		{"[^a-c].go", "d.go", true},
		{"[]a].go", "].go", true},
		{"[a-].go", "-.go", true},
		{"[\\]].go", "].go", true},
		{"[é-ë]", "ê", true},
		{"file[0-9][0-9]", "file42", true},
		{"file[0-9][0-9]", "file4x", false},
		// Braces.
		{"*.{js,ts}", "src/a.ts", true},
		{"*.{js,ts}", "src/a.go", false},
		{"{cmd,internal}/**", "internal/x/y.go", true},
		{"{cmd,internal}/**", "pkg/x.go", false},
		{"{a/b,c}.txt", "a/b.txt", true},
		{"{a/b,c}.txt", "x/c.txt", true}, // "c.txt" has no slash: any depth
		{"{a/b,c}.txt", "x/a/b.txt", false},
		{"x{a,{b,c}}y", "xcy", true},
		{"x{,a}y", "xy", true},
		{"[{]", "{", true},
		// Escapes.
		{"\\*.go", "*.go", true},
		{"\\*.go", "a.go", false},
		{"a\\{b\\}", "a{b}", true},
		// Directory-only patterns.
		{"build/", "build/app.js", true},
		{"build/", "web/build/app.js", true},
		{"build/", "build", false},
		{"a/build/", "a/build/x", true},
		// Path normalisation.
		{"a/b", "/a//b/", true},
		{"a//b", "a/b", true},
		{"a/b", "", false},
		{"**", "", false},
		{"**", "/", false},
		// Case-sensitive.
		{"*.GO", "a.go", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"|"+tt.path, func(t *testing.T) {
			got, err := Match(tt.pattern, tt.path)
			if err != nil {
				t.Fatalf("Match(%q, %q): %v", tt.pattern, tt.path, err)
			}
			if got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
			}
			p := MustCompile(tt.pattern)
			if oracle := oracleMatch(p, tt.path); oracle != got {
				t.Errorf("oracle disagrees on (%q, %q): oracle %v, Match %v", tt.pattern, tt.path, oracle, got)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		pattern string
		reason  string
	}{
		{"", "empty pattern"},
		{"   ", "empty pattern"},
		{"/", "pattern names no path"},
		{"a[", "unclosed '['"},
		{"a[]", "unclosed '['"},
		{"[z-a]", "out of order"},
		{"a/[b/c]", "'/' inside a character class"},
		{"{a,b", "unclosed '{'"},
		{"a}", "unmatched '}'"},
		{"a\\", "trailing backslash"},
		{"a\\/b", "'/' cannot be escaped"},
		{"{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", "more than 1024 alternatives"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Compile(tt.pattern)
			if err == nil {
				t.Fatalf("Compile(%q) = %v, want an error", tt.pattern, p)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Pattern != tt.pattern {
				t.Fatalf("error %v does not name the pattern %q", err, tt.pattern)
			}
			if !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.pattern)) {
				t.Errorf("error %q, want the pattern and %q", err, tt.reason)
			}
		})
	}
}

func TestString(t *testing.T) {
	for _, src := range []string{"*.lock", "vendor/**", "{a,b}/[!x]?"} {
		if got := MustCompile(src).String(); got != src {
			t.Errorf("String() = %q, want %q", got, src)
		}
	}
}

func TestSet(t *testing.T) {
	s, err := NewSet([]string{"vendor/**", "**/*.lock", "*.lock"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, pattern string
		ok            bool
	}{
		{"vendor/a.go", "vendor/**", true},
		{"a/yarn.lock", "**/*.lock", true}, // first match wins
		{"main.go", "", false},
	}
	for _, tt := range tests {
		pattern, ok := s.Match(tt.path)
		if pattern != tt.pattern || ok != tt.ok {
			t.Errorf("Match(%q) = %q, %v; want %q, %v", tt.path, pattern, ok, tt.pattern, tt.ok)
		}
	}
	if s.Len() != 3 {
		t.Errorf("Len() = %d, want 3", s.Len())
	}
	var empty *Set
	if _, ok := empty.Match("x"); ok {
		t.Error("a nil Set matched")
	}
	if _, err := NewSet([]string{"ok/**", "bad["}); err == nil || !strings.Contains(err.Error(), `"bad["`) {
		t.Errorf("NewSet error = %v, want one naming \"bad[\"", err)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	p := MustCompile("{src,lib}/**/[a-z]*_test.{go,py}")
	allocs := testing.AllocsPerRun(100, func() {
		p.Match("src/deep/er/path/thing_test.go")
	})
	if allocs != 0 {
		t.Errorf("Match allocates %v times per call, want 0", allocs)
	}
}

// FuzzMatch checks that Compile and Match never panic, and that Match agrees
// with an independent regular-expression translation of the parsed pattern.
func FuzzMatch(f *testing.F) {
	seeds := [][2]string{
		{"*.lock", "a/b/yarn.lock"},
		{"a/**/b", "a/x/y/b"},
		{"{a,b/{c,d}}*", "b/d/e"},
		{"[!a-c]?/**", "d/e/f"},
		{"\\*[]x]", "*]"},
		{"**/x/", "a/x/y"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		p, err := Compile(pattern)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		got := p.Match(path)
		if p.String() != pattern {
			t.Fatalf("String() = %q, want %q", p.String(), pattern)
		}
		// The oracle works on runes, so compare only on valid UTF-8.
		if !utf8.ValidString(pattern) || !utf8.ValidString(path) {
			return
		}
		if want := oracleMatch(p, path); got != want {
			t.Fatalf("Match(%q, %q) = %v, oracle says %v", pattern, path, got, want)
		}
	})
}

// oracleMatch is what Match should say: a path without segments matches
// nothing, any other path is matched by the regular expression.
func oracleMatch(p *Pattern, path string) bool {
	n := normalise(path)
	return n != "" && oracleRegexp(p).MatchString(n)
}

// normalise writes a path the way the oracle expects: "/seg/seg", no empty
// segments; "" for a path without segments.
func normalise(path string) string {
	var b strings.Builder
	for _, s := range strings.Split(path, "/") {
		if s != "" {
			b.WriteString("/")
			b.WriteString(s)
		}
	}
	return b.String()
}

// oracleRegexp translates the compiled alternatives into one regular
// expression over a normalised path, independently of the matcher.
func oracleRegexp(p *Pattern) *regexp.Regexp {
	var alts []string
	for _, segs := range p.alts {
		var b strings.Builder
		for _, s := range segs {
			switch {
			case s.doubleStar:
				b.WriteString(`(?:/[^/]+)*`)
			case s.hasLiteral:
				b.WriteString("/" + regexp.QuoteMeta(s.literal))
			default:
				b.WriteString("/")
				for _, t := range s.toks {
					switch t.kind {
					case tokLiteral:
						b.WriteString(regexp.QuoteMeta(t.lit))
					case tokAnyOne:
						b.WriteString(`[^/]`)
					case tokStar:
						b.WriteString(`[^/]*`)
					case tokClass:
						b.WriteString(oracleClass(t))
					}
				}
			}
		}
		alts = append(alts, b.String())
	}
	return regexp.MustCompile(`^(?:` + strings.Join(alts, "|") + `)$`)
}

func oracleClass(t token) string {
	var parts []string
	for _, r := range t.ranges {
		parts = append(parts, fmt.Sprintf(`\x{%x}-\x{%x}`, r.lo, r.hi))
	}
	set := strings.Join(parts, "")
	if t.negate {
		return `[^/` + set + `]`
	}
	// A class never matches '/', and Go's regexp rejects an empty class.
	return `(?:[` + set + `])`
}

func BenchmarkSetMatch(b *testing.B) {
	s, err := NewSet([]string{"**/*.lock", "vendor/**", "**/*.min.js", "**/*.pb.go", "docs", "{cmd,internal}/**/testdata/**"})
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{"internal/review/budget/build.go", "web/static/js/app.min.js", "vendor/a/b/c.go", "README.md"}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range paths {
			s.Match(p)
		}
	}
}
