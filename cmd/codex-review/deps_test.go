package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/deps/osv"
	"github.com/codex-review/codex-review/review/deps/osv/osvtest"
	"github.com/codex-review/codex-review/review/finding"
)

// depsRepo makes a repository whose uncommitted change adds a vulnerable
// module to go.mod.
func depsRepo(t *testing.T) string {
	return gitRepo(t,
		map[string]string{
			"go.mod":  "module example.com/shop\n\ngo 1.22\n\nrequire github.com/gorilla/mux v1.8.0\n",
			"main.go": "package main\n\nfunc main() {}\n",
		},
		map[string]string{"go.mod": "module example.com/shop\n\ngo 1.22\n\nrequire (\n\tgithub.com/gorilla/mux v1.8.0\n\tgolang.org/x/crypto v0.14.0\n)\n"})
}

var terrapin = osv.Record{
	ID:               "GHSA-45x7-px36-x8w8",
	Aliases:          []string{"CVE-2023-48795"},
	Summary:          "Prefix Truncation Attack against ChaCha20-Poly1305 and Encrypt-then-MAC aka Terrapin",
	Affected:         []osv.Affected{{Package: osv.Pkg{Ecosystem: "Go", Name: "golang.org/x/crypto"}, Ranges: []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "0"}, {Fixed: "0.17.0"}}}}, Versions: []string{"0.14.0"}}},
	DatabaseSpecific: map[string]any{"severity": "MODERATE"},
}

type depsJSON struct {
	Findings                  []finding.Finding `json:"findings"`
	DependencyChanges         []deps.Change     `json:"dependency_changes"`
	VulnerabilitiesNotChecked string            `json:"vulnerabilities_not_checked"`
}

func TestReviewReportsVulnerableDependencies(t *testing.T) {
	dir := depsRepo(t)
	srv := fake(t, 3)
	vulns := osvtest.New(terrapin)
	defer vulns.Close()
	offline := t.TempDir()
	if err := os.MkdirAll(filepath.Join(offline, "Go"), 0o755); err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(terrapin)
	if err := os.WriteFile(filepath.Join(offline, "Go", terrapin.ID+".json"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, vars := range map[string]map[string]string{
		"OSV API":     {"OSV_API_URL": vulns.URL},
		"offline dir": {"CODEX_OSV_DIR": offline, "OSV_API_URL": "http://127.0.0.1:1"},
	} {
		t.Run(name, func(t *testing.T) {
			vars["OPENAI_BASE_URL"] = srv.BaseURL()
			code, stdout, stderr := runCLI(t, env(vars), "review", "-C", dir, "--format", "json", "--min-priority", "P2", "--fail-on", "P2")
			if code != exitFindings {
				t.Fatalf("exit %d, want %d for the P2 advisory: stderr %s", code, exitFindings, stderr)
			}
			var got depsJSON
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("json: %v\n%s", err, stdout)
			}
			if len(got.DependencyChanges) != 1 || got.DependencyChanges[0].Name != "golang.org/x/crypto" || got.DependencyChanges[0].Line != 7 ||
				len(got.DependencyChanges[0].Vulnerabilities) != 1 || got.DependencyChanges[0].Vulnerabilities[0].Fixed != "v0.17.0" {
				t.Errorf("dependency_changes %+v", got.DependencyChanges)
			}
			if len(got.Findings) != 1 || got.Findings[0].Category != "dependencies" || got.Findings[0].Priority != 2 ||
				got.Findings[0].CodeLocation.AbsoluteFilePath != "go.mod" || got.Findings[0].CodeLocation.LineRange.Start != 7 ||
				!strings.Contains(got.Findings[0].Body, "GHSA-45x7-px36-x8w8") {
				t.Errorf("findings %+v", got.Findings)
			}
		})
	}
}

func TestReviewWithOSVUnreachable(t *testing.T) {
	dir := depsRepo(t)
	srv := fake(t, 3)
	vulns := osvtest.New()
	url := vulns.URL
	vulns.Close()
	code, stdout, stderr := runCLI(t, env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "OSV_API_URL": url}), "review", "-C", dir, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d, want 0: the review runs without OSV; stderr %s", code, stderr)
	}
	var got depsJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.DependencyChanges) != 1 || !strings.Contains(got.VulnerabilitiesNotChecked, "OSV API POST /v1/querybatch") {
		t.Errorf("changes %+v, not checked %q", got.DependencyChanges, got.VulnerabilitiesNotChecked)
	}
	code, stdout, _ = runCLI(t, env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "OSV_API_URL": url}), "review", "-C", dir, "--format", "markdown")
	if code != exitOK || !strings.Contains(stdout, "⚠️ Vulnerabilities not checked: OSV API POST /v1/querybatch") {
		t.Errorf("markdown (exit %d) does not say why vulnerabilities were not checked:\n%s", code, stdout)
	}
}

func TestReviewRejectsBadOSVSettings(t *testing.T) {
	dir := depsRepo(t)
	srv := fake(t, 3)
	for _, vars := range []map[string]string{
		{"OSV_API_URL": "osv.example"},
		{"CODEX_OSV_DIR": filepath.Join(dir, "no-such-dir")},
	} {
		vars["OPENAI_BASE_URL"] = srv.BaseURL()
		code, _, stderr := runCLI(t, env(vars), "review", "-C", dir)
		if code != exitError || !strings.Contains(stderr, "OSV") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming the setting", vars, code, stderr)
		}
	}
}

func TestReviewOfADiffFileHasNoDependencyAnalysis(t *testing.T) {
	dir := depsRepo(t)
	srv := fake(t, 3)
	patch := filepath.Join(t.TempDir(), "change.diff")
	cmd := exec.Command("git", "diff")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(patch, out, 0o644); err != nil {
		t.Fatal(err)
	}
	// No sides to read: the diff came from a file, even inside a repository.
	code, stdout, stderr := runCLI(t, env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "OSV_API_URL": "http://127.0.0.1:1"}), "review", "-C", dir, "--diff", patch, "--format", "json")
	if code != exitOK || strings.Contains(stdout, "dependency_changes") {
		t.Errorf("exit %d (stderr %s), output:\n%s", code, stderr, stdout)
	}
}
