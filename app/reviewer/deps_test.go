package reviewer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/review/deps/osv"
	"github.com/codex-review/codex-review/review/deps/osv/osvtest"
)

// bigLock is a package-lock.json of n packages (over GitHub's 1 MB limit of
// the contents API for n = 2,500) with lodash at the given version; it
// returns the lockfile and the line of lodash's "version".
func bigLock(n int, lodash string) (string, int) {
	var b strings.Builder
	b.WriteString("{\n  \"name\": \"shop\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"shop\",\n      \"dependencies\": {\n        \"lodash\": \"^4.17.0\"\n      }\n    },\n")
	line := 12
	versionLine := 0
	for i := range n {
		name, version := fmt.Sprintf("pkg-%04d", i), "1.0.0"
		if i == n/2 {
			name, version = "lodash", lodash
		}
		fmt.Fprintf(&b, "    \"node_modules/%s\": {\n      \"version\": %q,\n      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-%s.tgz\",\n      \"integrity\": \"sha512-%s\"\n    },\n",
			name, version, name, name, version, strings.Repeat("A", 300))
		if name == "lodash" {
			versionLine = line + 1
		}
		line += 5
	}
	b.WriteString("    \"node_modules/zz-last\": {\n      \"version\": \"1.0.0\"\n    }\n  }\n}\n")
	return b.String(), versionLine
}

var lodashAdvisory = osv.Record{
	ID:               "GHSA-p6mc-m468-83gw",
	Aliases:          []string{"CVE-2020-8203"},
	Summary:          "Prototype Pollution in lodash",
	Affected:         []osv.Affected{{Package: osv.Pkg{Ecosystem: "npm", Name: "lodash"}, Ranges: []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "3.7.0"}, {Fixed: "4.17.20"}}}}, Versions: []string{"4.17.19"}}},
	DatabaseSpecific: map[string]any{"severity": "HIGH"},
}

// lockPR adds pull request #7 downgrading lodash in a large
// package-lock.json, next to the standard change of store/users.go.
func lockPR(t *testing.T, w *apptest.World) int {
	t.Helper()
	base, line := bigLock(2500, "4.17.21")
	head, _ := bigLock(2500, "4.17.19")
	if len(head) <= 1<<20 {
		t.Fatalf("the lockfile is %d bytes; it must exceed the contents API's 1 MB", len(head))
	}
	patch := fmt.Sprintf("@@ -%d,3 +%d,3 @@\n     \"node_modules/lodash\": {\n-      \"version\": \"4.17.21\",\n+      \"version\": \"4.17.19\",\n       \"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz\",", line-1, line-1)
	patch = strings.Replace(patch, "lodash-4.17.21.tgz\",", "lodash-4.17.19.tgz\",", 1)
	// The resolved URL changes too in a real lockfile; keep the fixture
	// consistent with its patch.
	base = strings.Replace(base, "lodash-4.17.21.tgz", "lodash-4.17.19.tgz", 1)
	pr := w.AddStandardPR(func(pr *githubtest.PR) {
		pr.Files = append(pr.Files, githubtest.File{Filename: "package-lock.json", Status: "modified", Patch: patch, Additions: 1, Deletions: 1, Changes: 2})
	})
	pkg := `{"name": "shop", "dependencies": {"lodash": "^4.17.0"}}`
	for _, ref := range []string{apptest.BaseSHA, apptest.HeadSHA} {
		w.GitHub.SetContent(apptest.Owner, apptest.Repo, ref, "package.json", pkg)
	}
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.BaseSHA, "package-lock.json", base)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "package-lock.json", head)
	// The merge base: GitHub answers the PR's base...head compare with it.
	w.GitHub.SetCompare(apptest.Owner, apptest.Repo, pr.BaseSHA, pr.HeadSHA, pr.Files)
	return line - 1
}

func TestReviewPostsVulnerableDependency(t *testing.T) {
	w := apptest.New(t)
	keyLine := lockPR(t, w)
	vulns := osvtest.New(lodashAdvisory)
	defer vulns.Close()
	client, err := osv.New(vulns.URL)
	if err != nil {
		t.Fatal(err)
	}
	wk := worker(w)
	wk.Advisories = client
	if err := wk.Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	if len(reviews) != 1 {
		t.Fatalf("%d reviews, want 1", len(reviews))
	}
	rv := reviews[0]
	var dep *githubtest.ReviewComment
	for i, c := range rv.Comments {
		if c.Path == "package-lock.json" {
			dep = &rv.Comments[i]
		}
	}
	// lodash is direct, but its package.json line is not in the diff: the
	// comment goes on the lockfile's entry.
	if dep == nil || dep.Line != keyLine || !strings.Contains(dep.Body, "GHSA-p6mc-m468-83gw") || !strings.Contains(dep.Body, "first fixed in `4.17.20`") || !strings.Contains(dep.Body, "[P1]") {
		t.Fatalf("comments %+v, want the advisory on package-lock.json:%d", rv.Comments, keyLine)
	}
	for _, want := range []string{"**Dependency changes**: 1 downgraded; 1 version with known vulnerabilities (OSV).", "`lodash`", "**GHSA-p6mc-m468-83gw** high"} {
		if !strings.Contains(rv.Body, want) {
			t.Errorf("summary lacks %q:\n%s", want, rv.Body)
		}
	}
	if n := vulns.Count("/v1/querybatch"); n != 1 {
		t.Errorf("%d querybatch requests, want 1", n)
	}
}

func TestReviewWithOSVUnreachableStillPosts(t *testing.T) {
	w := apptest.New(t)
	lockPR(t, w)
	vulns := osvtest.New()
	url := vulns.URL
	vulns.Close()
	client, err := osv.New(url)
	if err != nil {
		t.Fatal(err)
	}
	wk := worker(w)
	wk.Advisories = client
	if err := wk.Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	if len(reviews) != 1 || !strings.Contains(reviews[0].Body, "⚠️ Vulnerabilities not checked: OSV API POST /v1/querybatch") ||
		!strings.Contains(reviews[0].Body, "1 downgraded") {
		t.Fatalf("reviews %+v, want one that lists the change and says why vulnerabilities were not checked", reviews)
	}
}
