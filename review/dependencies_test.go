package review_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/deps/osv"
	"github.com/codex-review/codex-review/review/deps/osv/osvtest"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// files serves the two sides of a change from maps.
type files struct{ base, head map[string]string }

func (f files) Read(_ context.Context, s deps.Side, p string) ([]byte, error) {
	m := f.head
	if s == deps.Base {
		m = f.base
	}
	if v, ok := m[p]; ok {
		return []byte(v), nil
	}
	return nil, fmt.Errorf("%s: %w", p, deps.ErrNotExist)
}

const goModBase = `module example.com/shop

go 1.22

require (
	github.com/gorilla/mux v1.8.0
	github.com/rs/zerolog v1.31.0
)
`

const goModHead = `module example.com/shop

go 1.22

require (
	github.com/gorilla/mux v1.8.0
	golang.org/x/crypto v0.14.0
	github.com/rs/zerolog v1.31.0
)
`

// goModChange is git's diff of goModBase to goModHead, with a source file.
const goModChange = `diff --git a/go.mod b/go.mod
index 1111111..2222222 100644
--- a/go.mod
+++ b/go.mod
@@ -3,6 +3,7 @@ module example.com/shop
 go 1.22
 
 require (
 	github.com/gorilla/mux v1.8.0
+	golang.org/x/crypto v0.14.0
 	github.com/rs/zerolog v1.31.0
 )
diff --git a/ssh.go b/ssh.go
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/ssh.go
@@ -0,0 +1,3 @@
+package shop
+
+import _ "golang.org/x/crypto/ssh"
`

// terrapin is shaped like OSV's GitHub advisory for CVE-2023-48795 in
// golang.org/x/crypto.
var terrapin = osv.Record{
	ID:       "GHSA-45x7-px36-x8w8",
	Aliases:  []string{"CVE-2023-48795", "GO-2023-2402"},
	Summary:  "Prefix Truncation Attack against ChaCha20-Poly1305 and Encrypt-then-MAC aka Terrapin",
	Affected: []osv.Affected{{Package: osv.Pkg{Ecosystem: "Go", Name: "golang.org/x/crypto"}, Ranges: []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "0"}, {Fixed: "0.17.0"}}}}, Versions: []string{"0.14.0", "0.16.0"}}},
	// High, to exercise the P1 mapping (GitHub rates this one moderate).
	DatabaseSpecific: map[string]any{"severity": "HIGH"},
}

// depsModel answers nothing, and records what the dependencies pass saw.
func depsModel(t *testing.T, seen *[]string) *modeltest.Server {
	return fakeModel(t, func(area string, req modeltest.Request) finding.Output {
		if area == "dependencies" {
			*seen = append(*seen, req.UserMessages[len(req.UserMessages)-1])
		}
		return finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Fine.", OverallConfidenceScore: 0.6}
	})
}

func TestReviewReportsAVulnerableDependency(t *testing.T) {
	vulns := osvtest.New(terrapin)
	defer vulns.Close()
	client, err := osv.New(vulns.URL)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	srv := depsModel(t, &seen)
	src := &review.DependencySource{
		Files:      files{base: map[string]string{"go.mod": goModBase}, head: map[string]string{"go.mod": goModHead, "ssh.go": "package shop\n"}},
		Advisories: client,
	}
	res, err := engine(t, srv).Review(context.Background(), parse(t, goModChange), review.Options{MinPriority: finding.P1, Dependencies: src})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("findings %+v, want the vulnerable dependency", res.Findings)
	}
	f := res.Findings[0]
	if f.Category != "dependencies" || f.Priority != 1 || !f.Placement.Inline || f.Placement.Path != "go.mod" || f.Placement.Line != 7 {
		t.Errorf("finding %+v at %+v, want a P1 dependencies comment on go.mod:7", f.Finding, f.Placement)
	}
	for _, want := range []string{"GHSA-45x7-px36-x8w8", "CVE-2023-48795", "first fixed in `v0.17.0`", "golang.org/x/crypto"} {
		if !strings.Contains(f.Title+" "+f.Body, want) {
			t.Errorf("finding %q / %q does not mention %q", f.Title, f.Body, want)
		}
	}
	if f.Suggestion != "\tgolang.org/x/crypto v0.17.0" {
		t.Errorf("suggestion %q, want the bumped require line", f.Suggestion)
	}
	if res.Verdict.Correctness != finding.CorrectnessBad {
		t.Errorf("verdict %q: a P1 finding makes the patch incorrect", res.Verdict.Correctness)
	}
	rep := res.Dependencies
	if rep == nil || len(rep.Changes) != 1 || !rep.Checked || len(rep.Changes[0].Vulnerabilities) != 1 {
		t.Fatalf("dependency report %+v", rep)
	}
	if len(seen) != 1 || !strings.Contains(seen[0], "- Go golang.org/x/crypto: added v0.14.0, direct, go.mod:7, GHSA-45x7-px36-x8w8 (high)") {
		t.Errorf("the dependencies pass saw %q, want the computed change", seen)
	}
}

func TestReviewWithOSVUnreachable(t *testing.T) {
	vulns := osvtest.New(terrapin)
	url := vulns.URL
	vulns.Close()
	client, err := osv.New(url)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	srv := depsModel(t, &seen)
	src := &review.DependencySource{
		Files:      files{base: map[string]string{"go.mod": goModBase}, head: map[string]string{"go.mod": goModHead}},
		Advisories: client,
	}
	res, err := engine(t, srv).Review(context.Background(), parse(t, goModChange), review.Options{MinPriority: finding.P1, Dependencies: src})
	if err != nil {
		t.Fatalf("the review must run without OSV: %v", err)
	}
	rep := res.Dependencies
	if rep == nil || rep.Checked || !strings.Contains(rep.NotChecked, "OSV API POST /v1/querybatch") || len(rep.Changes) != 1 {
		t.Fatalf("report %+v, want the change and why vulnerabilities were not checked", rep)
	}
	if len(res.Findings) != 0 {
		t.Errorf("findings %+v, want none without advisories", res.Findings)
	}
	if len(seen) != 1 || !strings.Contains(seen[0], "Known vulnerabilities were not checked: OSV API POST /v1/querybatch") {
		t.Errorf("the dependencies pass saw %q, want it told vulnerabilities were not checked", seen)
	}
}

func TestLockfileOnlyChangeStillReportsVulnerabilities(t *testing.T) {
	lock := func(version string) string {
		return `{
  "name": "web",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "web",
      "dependencies": {
        "express": "^4.18.0"
      }
    },
    "node_modules/express": {
      "version": "4.18.2"
    },
    "node_modules/body-parser": {
      "version": "` + version + `"
    }
  }
}
`
	}
	change := `diff --git a/package-lock.json b/package-lock.json
index 1111111..2222222 100644
--- a/package-lock.json
+++ b/package-lock.json
@@ -13,7 +13,7 @@
       "version": "4.18.2"
     },
     "node_modules/body-parser": {
-      "version": "1.20.2"
+      "version": "1.20.1"
     }
   }
 }
`
	bodyParser := osv.Record{
		ID:               "GHSA-qwcr-r2fm-qrc7",
		Aliases:          []string{"CVE-2024-45590"},
		Summary:          "body-parser vulnerable to denial of service when url encoding is enabled",
		Affected:         []osv.Affected{{Package: osv.Pkg{Ecosystem: "npm", Name: "body-parser"}, Ranges: []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "0"}, {Fixed: "1.20.3"}}}}, Versions: []string{"1.20.1", "1.20.2"}}},
		DatabaseSpecific: map[string]any{"severity": "HIGH"},
	}
	vulns := osvtest.New(bodyParser)
	defer vulns.Close()
	client, err := osv.New(vulns.URL)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	srv := depsModel(t, &seen)
	pkg := `{"name": "web", "dependencies": {"express": "^4.18.0"}}`
	src := &review.DependencySource{
		Files:      files{base: map[string]string{"package-lock.json": lock("1.20.2"), "package.json": pkg}, head: map[string]string{"package-lock.json": lock("1.20.1"), "package.json": pkg}},
		Advisories: client,
	}
	res, err := engine(t, srv).Review(context.Background(), parse(t, change), review.Options{MinPriority: finding.P1, Dependencies: src})
	if err != nil {
		t.Fatal(err)
	}
	// The lockfile is skipped as generated, so no chunk reaches the model;
	// the computed finding is still made, on the lockfile's line.
	if len(srv.Requests()) != 0 {
		t.Errorf("%d model calls, want none", len(srv.Requests()))
	}
	if len(res.Findings) != 1 || res.Findings[0].Placement.Path != "package-lock.json" || res.Findings[0].Placement.Line != 15 || !res.Findings[0].Placement.Inline {
		t.Fatalf("findings %+v, want one on package-lock.json:15", res.Findings)
	}
	if res.Findings[0].Suggestion != "" {
		t.Errorf("suggestion %q on a lockfile key line, want none", res.Findings[0].Suggestion)
	}
	if c := res.Dependencies.Changes[0]; c.Change != deps.Downgraded || c.Direct {
		t.Errorf("change %+v, want a transitive downgrade", c)
	}
}
