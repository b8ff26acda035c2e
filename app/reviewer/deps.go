package reviewer

import (
	"context"
	"fmt"
	"sync"

	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/deps"
)

// dependencyReader is what the dependency analysis reads from the pull
// request's host: files of any size a lockfile reaches, and the commit the
// pull request's diff starts from.
type dependencyReader interface {
	FileUpTo(ctx context.Context, path, ref string, max int64) ([]byte, error)
	MergeBase(ctx context.Context, base, head string) (string, error)
}

// dependencies gives the engine the two sides of the reviewed change for
// its dependency analysis: from the merge base of the pull request (what
// GitHub's diff starts from, not the base branch's tip, which may have
// moved on) or, for an incremental review, from the last reviewed head,
// to head. Nothing is read unless the change touches a dependency file.
func (t *task) dependencies(pr pull.PullRequest, head, since string) *review.DependencySource {
	r, ok := t.pr.(dependencyReader)
	if !ok {
		return nil
	}
	return &review.DependencySource{
		Files:      &prFiles{r: r, baseBranch: pr.BaseSHA, since: since, head: head},
		Advisories: t.w.Advisories,
	}
}

// prFiles reads both sides of a pull request's change.
type prFiles struct {
	r                       dependencyReader
	baseBranch, since, head string

	once sync.Once
	base string
	err  error
}

func (f *prFiles) Read(ctx context.Context, s deps.Side, path string) ([]byte, error) {
	ref := f.head
	if s == deps.Base {
		f.once.Do(func() {
			if f.since != "" {
				f.base = f.since
				return
			}
			f.base, f.err = f.r.MergeBase(ctx, f.baseBranch, f.head)
		})
		if f.err != nil {
			return nil, f.err
		}
		ref = f.base
	}
	data, err := f.r.FileUpTo(ctx, path, ref, deps.DefaultMaxFileBytes)
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, fmt.Errorf("%s at %s: %w", path, short(ref), deps.ErrNotExist)
	}
	return data, nil
}
