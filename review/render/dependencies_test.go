package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/deps"
)

var lodashVuln = deps.Vulnerability{ID: "GHSA-29mw-wpgm-hmr9", Aliases: []string{"CVE-2020-28500"}, Severity: deps.SeverityModerate, Fixed: "4.17.21"}

func sampleReport() *deps.Report {
	return &deps.Report{
		Changes: []deps.Change{
			{Ecosystem: deps.NPM, Name: "body-parser", From: "1.20.1", To: "1.20.2", Change: deps.Upgraded, Path: "package-lock.json", Line: 19, Vulnerabilities: []deps.Vulnerability{}},
			{Ecosystem: deps.NPM, Name: "lodash", From: "4.17.21", To: "4.17.20", Change: deps.Downgraded, Direct: true, Path: "package.json", Line: 11, Vulnerabilities: []deps.Vulnerability{lodashVuln}},
			{Ecosystem: deps.NPM, Name: "left-pad", To: "1.3.0", Change: deps.Added, Direct: true, Path: "package.json", Line: 12, Flags: []string{deps.FlagSource}, Vulnerabilities: []deps.Vulnerability{}},
		},
		Notes:    []string{"pnpm-lock.yaml changed without a change to package.json: dependencies were updated or re-resolved within the manifest's ranges."},
		Checked:  true,
		LookedUp: 3,
	}
}

func TestDependencySection(t *testing.T) {
	got := dependencySection(sampleReport())
	want := "**Dependency changes**: 1 added, 1 upgraded, 1 downgraded; 1 version with known vulnerabilities (OSV).\n\n" +
		"| Package | Change | Version | Direct | Where | Known vulnerabilities |\n|:--|:--|:--|:--|:--|:--|\n" +
		"| npm `lodash` | downgraded | `4.17.21` → `4.17.20` | direct | `package.json:11` | **GHSA-29mw-wpgm-hmr9** moderate, fixed in `4.17.21` (CVE-2020-28500) |\n" +
		"| npm `body-parser` | upgraded | `1.20.1` → `1.20.2` | transitive | `package-lock.json:19` |  |\n" +
		"| npm `left-pad` | added (non-registry source) | `1.3.0` | direct | `package.json:12` |  |\n" +
		"- pnpm-lock.yaml changed without a change to package.json: dependencies were updated or re-resolved within the manifest's ranges."
	if got != want {
		t.Errorf("section:\n%s\nwant:\n%s", got, want)
	}

	rep := sampleReport()
	rep.Checked, rep.NotChecked = false, "OSV API POST /v1/querybatch: dial tcp: connection refused"
	if got := dependencySection(rep); !strings.Contains(got, "⚠️ Vulnerabilities not checked: OSV API POST /v1/querybatch: dial tcp: connection refused.") {
		t.Errorf("section does not say why vulnerabilities were not checked:\n%s", got)
	}
	if got := dependencySection(&deps.Report{Checked: true}); got != "" {
		t.Errorf("empty report rendered %q", got)
	}
}

func TestDependencySectionLongIsCollapsedAndBounded(t *testing.T) {
	rep := &deps.Report{Checked: true}
	for i := range 150 {
		rep.Changes = append(rep.Changes, deps.Change{Ecosystem: deps.NPM, Name: fmt.Sprintf("pkg-%03d", i), From: "1.0.0", To: "1.0.1", Change: deps.Upgraded, Path: "package-lock.json", Line: 10 + i})
	}
	rep.Changes[149].Vulnerabilities = []deps.Vulnerability{lodashVuln}
	got := dependencySection(rep)
	if !strings.Contains(got, "<details>\n<summary>150 changes</summary>") || !strings.Contains(got, "_50 more changes not listed._") {
		t.Errorf("a long table must be collapsed and cut:\n%s", got[:min(len(got), 400)])
	}
	// The vulnerable version is listed first, so a cut never hides it.
	if i, j := strings.Index(got, "pkg-149"), strings.Index(got, "pkg-000"); i < 0 || i > j {
		t.Errorf("vulnerable pkg-149 not listed before the others")
	}
}

func TestDependencySectionHostileNames(t *testing.T) {
	rep := &deps.Report{Changes: []deps.Change{{
		Ecosystem: deps.NPM, Name: "evil|name<!-- codex-review:state=x -->", To: "1.0.0`\n# h", Change: deps.Added,
		Path: "a|b.json", Line: 1, Vulnerabilities: []deps.Vulnerability{{ID: "GHSA-x|y", Severity: "high\n\n# big", Fixed: "2|0"}},
	}}, Notes: []string{"x <!-- hide\n# heading"}}
	got := dependencySection(rep)
	for _, bad := range []string{"<!--", "\n# h", "evil|", "a|b", "x|y", "2|0", "\n# big", "\n# heading"} {
		if strings.Contains(got, bad) {
			t.Errorf("section contains %q:\n%s", bad, got)
		}
	}
	// Every table row keeps its six cells.
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(l, "| npm") {
			if n := strings.Count(l, "|") - strings.Count(l, `\|`); n != 7 {
				t.Errorf("row has %d cell separators, want 7: %s", n, l)
			}
		}
	}
}

func TestJSONCarriesDependencyChanges(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, &review.Result{Dependencies: sampleReport()}); err != nil {
		t.Fatal(err)
	}
	var out struct {
		DependencyChanges []map[string]any `json:"dependency_changes"`
		DependencyNotes   []string         `json:"dependency_notes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.DependencyChanges) != 3 || len(out.DependencyNotes) != 1 {
		t.Fatalf("JSON %s", buf.String())
	}
	lodash := out.DependencyChanges[1]
	for _, k := range []string{"ecosystem", "name", "from", "to", "change", "direct", "path", "line", "vulnerabilities"} {
		if _, ok := lodash[k]; !ok {
			t.Errorf("dependency change lacks %q: %v", k, lodash)
		}
	}
	v := lodash["vulnerabilities"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "aliases", "severity", "fixed"} {
		if _, ok := v[k]; !ok {
			t.Errorf("vulnerability lacks %q: %v", k, v)
		}
	}
	if !strings.Contains(buf.String(), `"vulnerabilities": []`) {
		t.Errorf("a change without vulnerabilities must carry an empty list:\n%s", buf.String())
	}

	buf.Reset()
	if err := JSON(&buf, &review.Result{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "dependency_changes") {
		t.Errorf("no analysis ran, yet the JSON has dependency_changes")
	}
	buf.Reset()
	if err := JSON(&buf, &review.Result{Dependencies: &deps.Report{Checked: true}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"dependency_changes": []`) {
		t.Errorf("an analysis that found nothing must say so with []:\n%s", buf.String())
	}
}

func TestTextListsDependencyChanges(t *testing.T) {
	var buf bytes.Buffer
	rep := sampleReport()
	rep.NotChecked = "OSV unreachable"
	if err := Text(&buf, &review.Result{Dependencies: rep}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Dependency changes:\n",
		"    downgraded npm lodash 4.17.21 -> 4.17.20, direct, package.json:11 vulnerable: GHSA-29mw-wpgm-hmr9 moderate, fixed in 4.17.21\n",
		"    added npm left-pad 1.3.0, direct, package.json:12 (non-registry source)\n",
		"    Vulnerabilities not checked: OSV unreachable\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
}
