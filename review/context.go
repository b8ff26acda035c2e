package review

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/enclosing"
)

// HeadFiles gives the engine the head version of changed files, so that it
// can show the model the code around each hunk: the enclosing function, the
// header of its class. The CLI reads the files with git, the app from the
// pull request's head commit on GitHub.
type HeadFiles interface {
	// HeadFiles returns the contents of paths at the change's head. A
	// path that does not exist there (or is not a regular file) is left
	// out of the map.
	HeadFiles(ctx context.Context, paths []string) (map[string][]byte, error)
}

// hunkContext reads the head version of the files the review will send and
// finds the code around their hunks. New files need none (the diff shows
// them whole), deleted ones have none. Without a source, or when reading
// fails, the review goes on without context: it costs the model some
// sight, never the review.
func hunkContext(ctx context.Context, d *diff.Diff, head HeadFiles, opt budget.Options) map[string][]enclosing.Hunk {
	if head == nil {
		return nil
	}
	kept, err := budget.Kept(d, opt)
	if err != nil {
		return nil // Build reports the bad pattern
	}
	byPath := map[string]*diff.File{}
	var paths []string
	for _, f := range kept {
		if f.Status == diff.StatusAdded || f.NewPath == "" || len(f.Hunks) == 0 {
			continue
		}
		byPath[f.NewPath] = f
		paths = append(paths, f.NewPath)
	}
	if len(paths) == 0 {
		return nil
	}
	contents, err := head.HeadFiles(ctx, paths)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("could not read the changed files at the head; reviewing without the code around the hunks")
		return nil
	}
	out := make(map[string][]enclosing.Hunk, len(contents))
	for p, content := range contents {
		if f, ok := byPath[p]; ok {
			out[f.Path()] = enclosing.Extract(p, content, f.Hunks)
		}
	}
	return out
}
