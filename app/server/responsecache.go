package server

import "sync"

// Bounds of one installation client's ETag cache.
const (
	// maxCachedResponse is the largest response kept: the API's lists and
	// files up to the contents API's 1 MB (base64 in JSON), not the blobs
	// of up to 32 MiB that the dependency analysis reads once per review.
	maxCachedResponse = 2 << 20
	// maxResponseCacheBytes bounds one client's cache; up to
	// clientCacheSize clients are kept.
	maxResponseCacheBytes = 8 << 20
)

// responseCache is httpcache's memory cache with bounds: httpcache keeps
// every response that has an ETag, whole, for as long as the client lives,
// so without them a large file read once stays in memory. It empties when
// full, like the reviewer's caches; a dropped entry costs one request that
// counts against the rate limit, never a wrong answer.
type responseCache struct {
	mu    sync.Mutex
	items map[string][]byte
	bytes int
}

func newResponseCache() *responseCache { return &responseCache{items: map[string][]byte{}} }

// Get implements httpcache.Cache.
func (c *responseCache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.items[key]
	return b, ok
}

// Set implements httpcache.Cache.
func (c *responseCache) Set(key string, resp []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop(key)
	if len(resp) > maxCachedResponse {
		return
	}
	if c.bytes+len(resp) > maxResponseCacheBytes {
		clear(c.items)
		c.bytes = 0
	}
	c.items[key] = resp
	c.bytes += len(resp)
}

// Delete implements httpcache.Cache.
func (c *responseCache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop(key)
}

func (c *responseCache) drop(key string) {
	if old, ok := c.items[key]; ok {
		c.bytes -= len(old)
		delete(c.items, key)
	}
}
