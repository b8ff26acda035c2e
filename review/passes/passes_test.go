package passes

import (
	"reflect"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

func TestMake(t *testing.T) {
	all := []finding.Area{finding.Security, finding.Bugs, finding.Performance, finding.Dependencies, finding.Tests}
	small := Change{Paths: []string{"src/calc.js"}, Chunks: 1, Tokens: 900}
	tests := []struct {
		name        string
		requested   []finding.Area
		change      Change
		mode        Mode
		force       bool
		wantMode    Mode
		wantGroups  [][]finding.Area
		wantSkipped []Skip
	}{
		{
			name: "small change: one combined pass, dependencies and tests left out", requested: all, change: small, mode: Auto,
			wantMode:    Combined,
			wantGroups:  [][]finding.Area{{finding.Security, finding.Bugs, finding.Performance}},
			wantSkipped: []Skip{{finding.Dependencies, NoDependencyFiles}, {finding.Tests, NoTests}},
		},
		{
			name: "manifest and test changed", requested: all, mode: Auto,
			change:     Change{Paths: []string{"src/calc.js", "package.json", "test/calc.test.js"}, Chunks: 1, Tokens: 900},
			wantMode:   Combined,
			wantGroups: [][]finding.Area{all},
		},
		{
			name: "tests ran in the sandbox", requested: []finding.Area{finding.Bugs, finding.Tests}, mode: Auto,
			change:     Change{Paths: []string{"main.go"}, TestsRan: true, Chunks: 1, Tokens: 10},
			wantMode:   Combined,
			wantGroups: [][]finding.Area{{finding.Bugs, finding.Tests}},
		},
		{
			name: "CI workflow counts as a dependency change", requested: []finding.Area{finding.Dependencies}, mode: Auto,
			change:     Change{Paths: []string{".github/workflows/ci.yml"}, Chunks: 1, Tokens: 10},
			wantMode:   Combined,
			wantGroups: [][]finding.Area{{finding.Dependencies}},
		},
		{
			name: "exactly at the threshold: combined", requested: []finding.Area{finding.Security, finding.Bugs}, mode: Auto,
			change:     Change{Paths: []string{"a.go"}, Chunks: 1, Tokens: CombineUpTo},
			wantMode:   Combined,
			wantGroups: [][]finding.Area{{finding.Security, finding.Bugs}},
		},
		{
			name: "large change: a pass per area", requested: []finding.Area{finding.Security, finding.Bugs}, mode: Auto,
			change:     Change{Paths: []string{"a.go"}, Chunks: 1, Tokens: CombineUpTo + 1},
			wantMode:   Separate,
			wantGroups: [][]finding.Area{{finding.Security}, {finding.Bugs}},
		},
		{
			name: "several chunks: a pass per area", requested: []finding.Area{finding.Security, finding.Bugs}, mode: Auto,
			change:     Change{Paths: []string{"a.go"}, Chunks: 2, Tokens: 3000},
			wantMode:   Separate,
			wantGroups: [][]finding.Area{{finding.Security}, {finding.Bugs}},
		},
		{
			name: "separate forced on a small change", requested: []finding.Area{finding.Security, finding.Bugs}, mode: Separate,
			change:     small,
			wantMode:   Separate,
			wantGroups: [][]finding.Area{{finding.Security}, {finding.Bugs}},
		},
		{
			name: "combined forced on a large change", requested: []finding.Area{finding.Security, finding.Bugs}, mode: Combined,
			change:     Change{Paths: []string{"a.go"}, Chunks: 3, Tokens: 90_000},
			wantMode:   Combined,
			wantGroups: [][]finding.Area{{finding.Security, finding.Bugs}},
		},
		{
			name: "areas asked for by name always run", requested: []finding.Area{finding.Dependencies, finding.Tests}, mode: Auto, force: true,
			change:     small,
			wantMode:   Combined,
			wantGroups: [][]finding.Area{{finding.Dependencies, finding.Tests}},
		},
		{
			name: "nothing applies", requested: []finding.Area{finding.Dependencies}, mode: Auto, change: small,
			wantMode:    Combined,
			wantSkipped: []Skip{{finding.Dependencies, NoDependencyFiles}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Make(tt.requested, tt.change, tt.mode, tt.force)
			if p.Mode != tt.wantMode || !reflect.DeepEqual(p.Groups, tt.wantGroups) || !reflect.DeepEqual(p.Skipped, tt.wantSkipped) {
				t.Errorf("plan = mode %s, groups %v, skipped %v; want %s, %v, %v", p.Mode, p.Groups, p.Skipped, tt.wantMode, tt.wantGroups, tt.wantSkipped)
			}
		})
	}
}

func TestIsDependencyFile(t *testing.T) {
	yes := []string{"go.mod", "sub/go.sum", "package.json", "web/yarn.lock", "requirements-dev.txt", "Pipfile",
		"pyproject.toml", "Cargo.toml", "pom.xml", "app/build.gradle.kts", "gradle/libs.versions.toml", "Dockerfile",
		"deploy/Dockerfile.prod", "api.Dockerfile", "docker-compose.override.yml", ".github/workflows/release.yaml",
		".github/dependabot.yml", "Makefile", "BUILD.bazel", "src/App.csproj", "my.gemspec", "Chart.yaml", ".gitlab-ci.yml"}
	no := []string{"src/calc.js", "README.md", "docs/requirements.md", "go.mod.bak.txt", "test/package_test.go",
		".github/CODEOWNERS", "pkg/build.go", "internal/makefile_parser.go"}
	for _, p := range yes {
		if !IsDependencyFile(p) {
			t.Errorf("IsDependencyFile(%q) = false", p)
		}
	}
	for _, p := range no {
		if IsDependencyFile(p) {
			t.Errorf("IsDependencyFile(%q) = true", p)
		}
	}
}
