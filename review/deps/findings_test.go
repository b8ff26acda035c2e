package deps

import (
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/markdown"
)

// Names and versions come from the pull request's manifests and
// lockfiles, so a vulnerability finding shows them as code: a version
// "[Approve](https://evil.example/x)" must not become a link, nor a name
// with "@team" a mention, once the finding is posted.
func TestFindingsQuoteNamesAndVersions(t *testing.T) {
	hostile := []string{"[Approve](https://evil.example/x)", "@acme/team", "x*y*z"}
	rep := &Report{Changes: []Change{{
		Ecosystem: NPM, Name: hostile[0], From: hostile[1], To: hostile[2], Change: Downgraded, Direct: true, Path: "package.json", Line: 3,
		Vulnerabilities: []Vulnerability{{ID: "GHSA-1", Severity: SeverityHigh}},
	}}}
	fs := rep.Findings(nil)
	if len(fs) != 1 {
		t.Fatalf("findings: %+v", fs)
	}
	for _, text := range []string{fs[0].Title, fs[0].Body} {
		rest := text
		for _, h := range hostile {
			rest = strings.ReplaceAll(rest, markdown.CodeSpan(h), "")
		}
		for _, h := range hostile {
			if strings.Contains(rest, h) {
				t.Errorf("%q is not shown as code in %q", h, text)
			}
		}
	}
}
