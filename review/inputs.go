package review

import (
	"fmt"

	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

// Unlisted are changed files the caller could not hand to the engine at
// all: the coverage counts them as skipped and says why.
type Unlisted struct {
	Files  int
	Reason string
}

// noteCoverage adds what the caller knows about the change to the plan's
// coverage: why files have no diff (opt.NoDiff) and files it could not
// list (opt.Unlisted).
func noteCoverage(c *budget.Coverage, opt Options) {
	for i, s := range c.Skipped {
		if why, ok := opt.NoDiff[s.Path]; ok {
			c.Skipped[i].Reason = why
		}
	}
	if n := opt.Unlisted.Files; n > 0 {
		c.FilesChanged += n
		c.Skipped = append(c.Skipped, budget.Skip{Path: fmt.Sprintf("(%d more files)", n), Reason: opt.Unlisted.Reason})
	}
}

// testMaterial gives every pass the output of failing tests (opt.Tests),
// whatever areas were asked for: each pass judges the patch's correctness,
// and a security-only review must not call a change correct that breaks
// the tests. Material the caller set for an area comes first.
func testMaterial(opt Options) Options {
	if opt.Tests == nil {
		return opt
	}
	m := sandbox.Material(*opt.Tests)
	if m == "" {
		return opt
	}
	m = "Output of the repository's tests on this pull request's head:\n" + m
	material := make(map[finding.Area]string, len(opt.Focus))
	for a, text := range opt.Material {
		material[a] = text
	}
	for _, a := range opt.Focus {
		if material[a] != "" {
			material[a] += "\n\n" + m
		} else {
			material[a] = m
		}
	}
	opt.Material = material
	return opt
}
