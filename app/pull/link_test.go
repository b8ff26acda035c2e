package pull_test

import (
	"testing"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/pull"
)

type plainClients struct{}

func (plainClients) NewInstallationClient(int64) (*github.Client, error) {
	return github.NewClient(nil), nil
}

// A file path comes from the pull request and git allows any byte but NUL
// in it: the link to it must name that file and nothing else, whatever the
// name says ("#" and "?" do not end the path, "%2e%2e" is not "..", which
// a browser would resolve to another repository).
func TestFileLinkEscapesThePath(t *testing.T) {
	pr, err := (&pull.Opener{Clients: plainClients{}, WebURL: "https://github.com/"}).Open(1, "acme/shop", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		line int
		want string
	}{
		{"src/a.go", 3, "https://github.com/acme/shop/blob/abc/src/a.go#L3"},
		{"dir with space/a b.go", 0, "https://github.com/acme/shop/blob/abc/dir%20with%20space/a%20b.go"},
		{"a#b?c.go", 1, "https://github.com/acme/shop/blob/abc/a%23b%3Fc.go#L1"},
		{"%2e%2e/%2e%2e/%2e%2e/%2e%2e/evil/repo/pull/1", 0, "https://github.com/acme/shop/blob/abc/%252e%252e/%252e%252e/%252e%252e/%252e%252e/evil/repo/pull/1"},
		{"x\x1b\u202e.go", 2, "https://github.com/acme/shop/blob/abc/x%1B%E2%80%AE.go#L2"},
	} {
		if got := pr.FileLink("abc", tt.path, tt.line); got != tt.want {
			t.Errorf("FileLink(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
