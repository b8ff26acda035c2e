// Package passes decides which model calls a review makes: which of the
// requested focus areas this change gives something to review, and
// whether they share one combined call per chunk or get one call each.
//
// Fewer, fuller calls are cheaper: every call repeats the fixed part of
// the prompt (rubric, schema) and the diff. A small change is reviewed in
// one combined pass; a large one gets a pass per area, which keeps each
// pass's attention on one kind of problem, and whose shared prefix the
// provider caches (the engine sends the other passes only once the first
// has started answering).
package passes

import (
	"path"
	"strings"

	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/finding"
)

// Mode is the review.passes setting of .codex.yml.
type Mode string

// The values of Mode.
const (
	Auto     Mode = "auto"     // combined up to CombineUpTo tokens, separate above
	Combined Mode = "combined" // one call per chunk covers every area
	Separate Mode = "separate" // one call per area and chunk
)

// Modes lists the valid modes, for validating configuration.
var Modes = []Mode{Auto, Combined, Separate}

// CombineUpTo is where Auto stops combining: a change whose reviewed diff,
// with the code around its hunks, fits one request of at most this many
// tokens is reviewed in one combined pass. Up to this size one careful
// read covers every area; above it, a pass per area keeps the model's
// attention on one kind of problem, and the provider's cache makes the
// repeated diff cheap (a cached prefix must be 1,024 tokens or more to
// count at all).
const CombineUpTo = 6000

// Change is what the plan depends on.
type Change struct {
	// Paths are every changed file, reviewed or skipped (a lockfile is
	// skipped from the prompt but still means dependencies changed).
	Paths []string
	// TestsRan is set when the repository's tests ran on the change, so
	// that a tests pass has their result to judge.
	TestsRan bool
	// Chunks and Tokens describe the diff as sent: the number of
	// requests it needs and its tokens in all of them.
	Chunks, Tokens int
}

// Plan is the calls to make for each chunk.
type Plan struct {
	// Mode is Combined or Separate, never Auto.
	Mode Mode
	// Areas are the requested areas that run, in the order requested.
	Areas []finding.Area
	// Groups are the calls per chunk: each group is one call, with one
	// area when separate or every area when combined.
	Groups [][]finding.Area
	// Skipped are requested areas that do not run, and why.
	Skipped []Skip
}

// Skip is a requested area that does not run.
type Skip struct {
	Area   finding.Area
	Reason string
}

// Reasons an area is left out.
const (
	NoDependencyFiles = "the change touches no manifest, lockfile, build or CI file"
	NoTests           = "the change touches no test, and no test run was reported"
)

// Make plans the calls for the requested areas. Unless force is set
// (the areas were asked for by name for this review), an area the change
// gives nothing to review is left out: dependencies unless a manifest,
// lockfile, build or CI file changed; tests unless a test changed or the
// tests ran.
func Make(requested []finding.Area, c Change, mode Mode, force bool) Plan {
	var p Plan
	deps, tests := false, c.TestsRan
	for _, f := range c.Paths {
		deps = deps || IsDependencyFile(f)
		tests = tests || budget.IsTest(f)
	}
	for _, a := range requested {
		switch {
		case force:
		case a == finding.Dependencies && !deps:
			p.Skipped = append(p.Skipped, Skip{Area: a, Reason: NoDependencyFiles})
			continue
		case a == finding.Tests && !tests:
			p.Skipped = append(p.Skipped, Skip{Area: a, Reason: NoTests})
			continue
		}
		p.Areas = append(p.Areas, a)
	}
	p.Mode = mode
	if mode != Combined && mode != Separate {
		p.Mode = Separate
		if c.Chunks <= 1 && c.Tokens <= CombineUpTo {
			p.Mode = Combined
		}
	}
	if len(p.Areas) == 0 {
		return p
	}
	if p.Mode == Combined || len(p.Areas) == 1 {
		p.Groups = [][]finding.Area{p.Areas}
		return p
	}
	for _, a := range p.Areas {
		p.Groups = append(p.Groups, []finding.Area{a})
	}
	return p
}

// dependencyNames are base names of manifests, lockfiles and build files.
var dependencyNames = map[string]bool{
	"go.mod": true, "go.sum": true, "go.work": true, "go.work.sum": true,
	"package.json": true, "package-lock.json": true, "npm-shrinkwrap.json": true, "yarn.lock": true,
	"pnpm-lock.yaml": true, "pnpm-workspace.yaml": true, "bun.lock": true, "bun.lockb": true, "deno.json": true, "deno.lock": true,
	".npmrc": true, ".yarnrc": true, ".yarnrc.yml": true, ".nvmrc": true, ".node-version": true, ".tool-versions": true,
	"pipfile": true, "pipfile.lock": true, "pyproject.toml": true, "poetry.lock": true, "uv.lock": true,
	"setup.py": true, "setup.cfg": true, "pdm.lock": true, "environment.yml": true, ".python-version": true,
	"gemfile": true, "gemfile.lock": true, "cargo.toml": true, "cargo.lock": true, "rust-toolchain.toml": true,
	"pom.xml": true, "build.gradle": true, "build.gradle.kts": true, "settings.gradle": true, "settings.gradle.kts": true,
	"gradle.properties": true, "gradle-wrapper.properties": true, "libs.versions.toml": true,
	"composer.json": true, "composer.lock": true, "packages.config": true, "directory.packages.props": true,
	"directory.build.props": true, "global.json": true, "nuget.config": true, "packages.lock.json": true,
	"mix.exs": true, "mix.lock": true, "package.swift": true, "package.resolved": true, "podfile": true, "podfile.lock": true,
	"cartfile": true, "pubspec.yaml": true, "pubspec.lock": true, "vcpkg.json": true, "conanfile.txt": true, "conanfile.py": true,
	"cmakelists.txt": true, "makefile": true, "gnumakefile": true, "build": true, "build.bazel": true, "workspace": true,
	"workspace.bazel": true, "module.bazel": true, "module.bazel.lock": true, "flake.nix": true, "flake.lock": true,
	"dockerfile": true, "containerfile": true, "docker-compose.yml": true, "docker-compose.yaml": true,
	"compose.yml": true, "compose.yaml": true, "jenkinsfile": true, ".gitlab-ci.yml": true, ".travis.yml": true,
	"azure-pipelines.yml": true, "bitbucket-pipelines.yml": true, "cloudbuild.yaml": true, "renovate.json": true,
	"chart.yaml": true, "chart.lock": true, "requirements.yaml": true,
}

// dependencyExts are extensions of project and build files.
var dependencyExts = map[string]bool{
	".csproj": true, ".fsproj": true, ".vbproj": true, ".gemspec": true, ".cabal": true, ".nimble": true,
	".dockerfile": true, ".bzl": true,
}

// IsDependencyFile reports whether p is a manifest, lockfile, build or CI
// file: a change that can alter what the project depends on or how it is
// built and released.
func IsDependencyFile(p string) bool {
	lower := strings.ToLower(p)
	base := path.Base(lower)
	switch {
	case dependencyNames[base], dependencyExts[path.Ext(base)]:
		return true
	case strings.HasPrefix(base, "requirements") && (strings.HasSuffix(base, ".txt") || strings.HasSuffix(base, ".in")),
		strings.HasPrefix(base, "constraints") && strings.HasSuffix(base, ".txt"),
		strings.HasPrefix(base, "dockerfile."), strings.HasPrefix(base, "docker-compose."):
		return true
	case strings.HasPrefix(lower, ".github/workflows/"), strings.HasPrefix(lower, ".github/actions/"),
		lower == ".github/dependabot.yml", lower == ".github/dependabot.yaml",
		strings.HasPrefix(lower, ".circleci/"), strings.HasPrefix(lower, ".buildkite/"):
		return true
	}
	return false
}
