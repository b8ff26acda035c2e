package review

import (
	"context"
	"slices"

	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
)

// DependencySource is what the dependency analysis reads: the base and
// head versions of changed files, and the advisory database (nil leaves
// vulnerabilities unchecked, and the review says so).
type DependencySource struct {
	Files      deps.Files
	Advisories deps.Advisories
}

// prepareDependencies computes the change's dependency changes when the
// caller gave a source, and gives them to the dependencies pass as
// material. It returns an error only when ctx ends.
func prepareDependencies(ctx context.Context, d *diff.Diff, opt *Options) (*deps.Report, error) {
	if opt.Dependencies == nil || opt.Dependencies.Files == nil {
		return nil, nil
	}
	paths := deps.ChangedPaths(d)
	if !slices.ContainsFunc(paths, deps.IsDependencyFile) {
		return nil, nil
	}
	rep, err := deps.Analyze(ctx, paths, opt.Dependencies.Files, deps.Options{Advisories: opt.Dependencies.Advisories})
	if err != nil {
		return nil, err
	}
	if facts := rep.Facts(d); facts != "" && slices.Contains(opt.Focus, finding.Dependencies) {
		material := make(map[finding.Area]string, len(opt.Material)+1)
		for a, m := range opt.Material {
			material[a] = m
		}
		if m := material[finding.Dependencies]; m != "" {
			facts = m + "\n\n" + facts
		}
		material[finding.Dependencies] = facts
		opt.Material = material
	}
	return rep, nil
}

// anchorDiff is the diff findings are placed on.
func anchorDiff(d *diff.Diff, opt Options) *diff.Diff {
	if opt.AnchorDiff != nil {
		return opt.AnchorDiff
	}
	return d
}
