package ghname

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	for _, s := range []string{"acme", "a", "octo-cat", "octocat_acme", "A1", strings.Repeat("a", 39)} {
		if !Owner(s) {
			t.Errorf("Owner(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-acme", "..", "app?", "a%3Fb", "a#b", "a\r\nb", "a/b", "a b", "ä", strings.Repeat("a", 40), "_x"} {
		if Owner(s) {
			t.Errorf("Owner(%q) = true", s)
		}
	}
	for _, s := range []string{"widgets", "sheetsee.js", ".github", "a_b-c.d", strings.Repeat("r", 100)} {
		if !Repo(s) {
			t.Errorf("Repo(%q) = false", s)
		}
	}
	for _, s := range []string{"", ".", "..", "a?x=1", "a#1", "a/b", "a\nb", "%2e%2e", strings.Repeat("r", 101)} {
		if Repo(s) {
			t.Errorf("Repo(%q) = true", s)
		}
	}
	if !FullName("acme/widgets") || FullName("acme") || FullName("acme/../x") || FullName("/x") {
		t.Error("FullName")
	}
	if !SHA(strings.Repeat("a", 40)) || !SHA(strings.Repeat("0", 64)) || SHA("abc") || SHA(strings.Repeat("g", 40)) {
		t.Error("SHA")
	}
}
