package diff

import "testing"

func TestUnquoteC(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`"a/caf\303\251 x.txt"`, "a/café x.txt", true},
		{`"tab\there"`, "tab\there", true},
		{`"q\"uote\\d"`, `q"uote\d`, true},
		{`"\a\b\f\n\r\v"`, "\a\b\f\n\r\v", true},
		{`"\377raw"`, "\xffraw", true}, // not UTF-8: kept byte for byte
		{`"plain"`, "plain", true},
		{`"bad\q"`, "", false},
		{`"short\30"`, "", false},
		{`"octal\8xx"`, "", false},
		{`"ends\"`, "", false},
		{`"in"side"`, "", false},
		{`unquoted`, "", false},
		{`"`, "", false},
	}
	for _, tc := range tests {
		got, err := unquoteC(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("unquoteC(%s) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestSplitGitArgs(t *testing.T) {
	tests := []struct {
		in, old, new string
		ok           bool
	}{
		{"a/x.go b/x.go", "a/x.go", "b/x.go", true},
		{"a/x y.go b/x y.go", "a/x y.go", "b/x y.go", true},
		{"x y.go x y.go", "x y.go", "x y.go", true},
		{"a/old name b/new name", "", "", false}, // a rename: its headers carry the names
		{`"a/caf\303\251" "b/caf\303\251"`, "a/café", "b/café", true},
		{`"a/tab\t" b/plain name`, "a/tab\t", "b/plain name", true},
		{`a/plain name "b/tab\t"`, "a/plain name", "b/tab\t", true},
		{`a/x "b/broken`, "", "", false},
		{`"a/broken b/x`, "", "", false},
		{`"a/x"b/x`, "", "", false},
		{"single", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		old, new, ok := splitGitArgs(tc.in)
		if ok != tc.ok || old != tc.old || new != tc.new {
			t.Errorf("splitGitArgs(%q) = %q, %q, %v; want %q, %q, %v", tc.in, old, new, ok, tc.old, tc.new, tc.ok)
		}
	}
}

func TestSplitBinaryNames(t *testing.T) {
	tests := []struct {
		in, old, new string
		ok           bool
	}{
		{"a/x.png and b/x.png", "a/x.png", "b/x.png", true},
		{"a/salt and pepper.png and b/salt and pepper.png", "a/salt and pepper.png", "b/salt and pepper.png", true},
		{"/dev/null and b/new and old.png", "/dev/null", "b/new and old.png", true},
		{"one and two", "one", "two", true},
		{"nothing", "", "", false},
	}
	for _, tc := range tests {
		old, new, ok := splitBinaryNames(tc.in)
		if ok != tc.ok || old != tc.old || new != tc.new {
			t.Errorf("splitBinaryNames(%q) = %q, %q, %v; want %q, %q, %v", tc.in, old, new, ok, tc.old, tc.new, tc.ok)
		}
	}
}

func TestStripPrefix(t *testing.T) {
	tests := []struct {
		old, new         string
		wantOld, wantNew string
	}{
		{"a/x", "b/x", "x", "x"},
		{"c/x", "w/x", "x", "x"},
		{"i/x", "w/x", "x", "x"},
		{"c/x", "i/x", "x", "x"},
		{"o/x", "w/x", "x", "x"},
		{"a/x", "a/x", "a/x", "a/x"}, // --no-prefix, a directory named a
		{"b/x", "a/x", "b/x", "a/x"}, // not a pair git writes
		{"x", "x", "x", "x"},
	}
	for _, tc := range tests {
		strip := knownPair(tc.old, tc.new)
		if o, n := stripPrefix(tc.old, strip), stripPrefix(tc.new, strip); o != tc.wantOld || n != tc.wantNew {
			t.Errorf("strip(%q, %q) = %q, %q; want %q, %q", tc.old, tc.new, o, n, tc.wantOld, tc.wantNew)
		}
	}
}
