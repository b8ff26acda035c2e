package server

import (
	"bytes"
	"testing"
)

// TestResponseCacheBounds keeps small responses, never a large one, and
// stays within its byte bound however many responses it is given.
func TestResponseCacheBounds(t *testing.T) {
	c := newResponseCache()
	small := bytes.Repeat([]byte("a"), 1<<20)
	c.Set("small", small)
	if got, ok := c.Get("small"); !ok || !bytes.Equal(got, small) {
		t.Fatalf("small response not kept")
	}
	c.Set("small", make([]byte, maxCachedResponse+1))
	if _, ok := c.Get("small"); ok {
		t.Errorf("a response over maxCachedResponse replacing an entry was kept")
	}
	c.Set("large", make([]byte, maxCachedResponse+1))
	if _, ok := c.Get("large"); ok {
		t.Errorf("a response over maxCachedResponse was kept")
	}
	for i := range 100 {
		c.Set(string(rune('A'+i)), small)
		total := 0
		for _, b := range c.items {
			total += len(b)
		}
		if total != c.bytes || total > maxResponseCacheBytes {
			t.Fatalf("after %d sets: %d bytes held, %d counted, bound %d", i+1, total, c.bytes, maxResponseCacheBytes)
		}
	}
	c.Delete(string(rune('A' + 99)))
	if _, ok := c.Get(string(rune('A' + 99))); ok {
		t.Errorf("deleted entry still there")
	}
}
