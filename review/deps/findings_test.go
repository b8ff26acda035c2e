package deps

import (
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/markdown"
)

// Names and versions come from the pull request's manifests and
// lockfiles, so a vulnerability finding shows them as code: a version
// "[Approve](https://evil.example/x)" must not become a link, nor a name
// with "@team" a mention, once the finding is posted. They must still be
// shown: the title names the package and the version it moves to, the
// body both versions as well.
func TestFindingsQuoteNamesAndVersions(t *testing.T) {
	name, from, to := "[Approve](https://evil.example/x)", "@acme/team", "x*y*z"
	hostile := []string{name, from, to}
	rep := &Report{Changes: []Change{{
		Ecosystem: NPM, Name: name, From: from, To: to, Change: Downgraded, Direct: true, Path: "package.json", Line: 3,
		Vulnerabilities: []Vulnerability{{ID: "GHSA-1", Severity: SeverityHigh}},
	}}}
	fs := rep.Findings(nil)
	if len(fs) != 1 {
		t.Fatalf("findings: %+v", fs)
	}
	for _, c := range []struct {
		what, text string
		shown      []string
	}{
		{"title", fs[0].Title, []string{name, to}},
		{"body", fs[0].Body, []string{name, from, to}},
	} {
		for _, s := range c.shown {
			if !strings.Contains(c.text, markdown.CodeSpan(s)) {
				t.Errorf("the %s does not show %q as code (%s): %q", c.what, s, markdown.CodeSpan(s), c.text)
			}
		}
		rest := c.text
		for _, h := range hostile {
			rest = strings.ReplaceAll(rest, markdown.CodeSpan(h), "")
		}
		for _, h := range hostile {
			if strings.Contains(rest, h) {
				t.Errorf("the %s shows %q outside code: %q", c.what, h, c.text)
			}
		}
	}
}
