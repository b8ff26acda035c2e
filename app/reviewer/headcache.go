package reviewer

import (
	"context"
	"maps"
	"sync"
)

// Limits of the head files cache.
const (
	// maxCachedHeadBytes bounds the file contents kept in memory: the
	// changed files of a few dozen typical heads.
	maxCachedHeadBytes = 32 << 20
	// maxCachedHeads bounds the commits kept.
	maxCachedHeads = 256
)

// headCache keeps the changed files the engine read at head commits, by
// (repository, commit). A commit's files cannot change, so a second review
// of one head (an automatic review, then "@codex review security"; a
// re-run of the check) reads none of them from GitHub again: one API call
// less. It is emptied when full, like the rules cache.
type headCache struct {
	mu    sync.Mutex
	heads map[headKey]map[string][]byte
	bytes int
}

type headKey struct{ repo, sha string }

// files returns the contents of paths at key, reading through read only
// the paths not cached. Only files that exist are cached, so a path read
// could not answer is asked for again; that costs a call, never a wrong
// answer.
func (c *headCache) files(ctx context.Context, key headKey, paths []string, read func(context.Context, []string) (map[string][]byte, error)) (map[string][]byte, error) {
	out := make(map[string][]byte, len(paths))
	var missing []string
	c.mu.Lock()
	cached := c.heads[key]
	for _, p := range paths {
		if b, ok := cached[p]; ok {
			out[p] = b
		} else {
			missing = append(missing, p)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	got, err := read(ctx, missing)
	if err != nil {
		return nil, err
	}
	maps.Copy(out, got)
	c.put(key, got)
	return out, nil
}

func (c *headCache) put(key headKey, files map[string][]byte) {
	size := 0
	for _, b := range files {
		size += len(b)
	}
	if size == 0 || size > maxCachedHeadBytes/4 {
		return // nothing to keep, or one head would crowd out the others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.heads == nil {
		c.heads = map[headKey]map[string][]byte{}
	}
	entry, ok := c.heads[key]
	if !ok && len(c.heads) >= maxCachedHeads || c.bytes+size > maxCachedHeadBytes {
		clear(c.heads)
		c.bytes, entry, ok = 0, nil, false
	}
	if !ok {
		entry = map[string][]byte{}
		c.heads[key] = entry
	}
	for p, b := range files {
		if old, had := entry[p]; had {
			c.bytes -= len(old)
		}
		entry[p] = b
		c.bytes += len(b)
	}
}
