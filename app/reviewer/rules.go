package reviewer

import (
	"context"
	"errors"
	"sync"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/repoconfig"
)

// maxCachedRules bounds the rules kept in memory: one entry per base commit
// in use, a few kilobytes each.
const maxCachedRules = 1024

// rulesCache keeps repositories' rules by (repository, base commit). The
// files cannot change for a commit, so the reviews of every pull request
// on one base read .codex.yml and AGENTS.md once; concurrent reviews of a
// base that is not cached yet wait for one read.
type rulesCache struct {
	mu      sync.Mutex
	entries map[rulesKey]*rulesEntry
}

type rulesKey struct{ repo, commit string }

type rulesEntry struct {
	done  chan struct{}
	rules repoconfig.Rules
	err   error
}

// get returns the rules of key, loading them once. Only answers that
// cannot change are kept: the rules, or an invalid .codex.yml; a failed
// read is tried again by the next review.
func (c *rulesCache) get(ctx context.Context, key rulesKey, load func(context.Context) (repoconfig.Rules, error)) (repoconfig.Rules, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[rulesKey]*rulesEntry{}
	}
	e, ok := c.entries[key]
	if !ok {
		if len(c.entries) >= maxCachedRules {
			clear(c.entries) // rare: a thousand bases in use
		}
		e = &rulesEntry{done: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		e.rules, e.err = load(ctx)
		var ce *repoconfig.Error
		if e.err != nil && !errors.As(e.err, &ce) {
			c.mu.Lock()
			delete(c.entries, key)
			c.mu.Unlock()
		}
		close(e.done)
		return e.rules, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.rules, e.err
	case <-ctx.Done():
		return repoconfig.Rules{}, ctx.Err()
	}
}

// rules are the repository's rules for pr: read at its base commit (cached
// per commit). A pull request's base commit is the base branch as of its
// last update, so when .codex.yml there is invalid the branch's current
// file is read too: a maintainer who fixed it on the base branch and asks
// again gets the fix.
func (t *task) rules(ctx context.Context, pr pull.PullRequest) (repoconfig.Rules, error) {
	commit := pr.BaseSHA
	if commit == "" {
		commit = pr.BaseRef
	}
	r, err := t.w.rules.get(ctx, rulesKey{t.j.Repo, commit}, func(ctx context.Context) (repoconfig.Rules, error) {
		return t.readRules(ctx, commit)
	})
	var ce *repoconfig.Error
	if errors.As(err, &ce) && commit != pr.BaseRef {
		return t.readRules(ctx, pr.BaseRef)
	}
	return r, err
}

// readRules reads .codex.yml and AGENTS.md at ref, both at once. AGENTS.md
// only adds guidelines: when it cannot be read the review goes on without
// them. A .codex.yml too large to read is an invalid configuration, with
// the documented limit, like a file just over it.
func (t *task) readRules(ctx context.Context, ref string) (repoconfig.Rules, error) {
	var tooLarge *pull.FileTooLargeError
	rules, err := repoconfig.ReadRules(ctx, func(ctx context.Context, paths []string) (map[string][]byte, error) {
		out := map[string][]byte{}
		errs := make([]error, len(paths))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i, p := range paths {
			wg.Go(func() {
				b, err := t.pr.File(ctx, p, ref)
				if err != nil && p == repoconfig.AgentsFileName {
					zerolog.Ctx(ctx).Warn().Err(err).Msg("could not read AGENTS.md; reviewing without its guidelines")
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if errs[i] = err; b != nil {
					out[p] = b
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, classify(err)
		}
		return out, nil
	})
	if errors.As(err, &tooLarge) && tooLarge.Path == repoconfig.FileName {
		return rules, repoconfig.TooLarge(repoconfig.FileName, tooLarge.Size)
	}
	return rules, err
}
