package modeltest

import (
	"sync"

	"github.com/codex-review/codex-review/review/budget"
)

// The prompt cache rules of OpenAI's API, which the fake follows: nothing
// under 1,024 tokens is cached, and hits grow in steps of 128 tokens.
const (
	CacheMinTokens = 1024
	CacheIncrement = 128
)

// Token overheads of the chat format, as OpenAI's own counting guide puts
// them: every message costs a few tokens around its content, and every
// prompt is primed for the reply.
const (
	tokensPerMessage = 3
	tokensPerPrompt  = 3
)

// maxCachedPrompts bounds the fake's cache; tests and benchmarks stay far
// below it.
const maxCachedPrompts = 4096

// segment is one part of a prompt in the order a provider processes it:
// the structured-output schema first (OpenAI puts it before the system
// message), then the instructions, then each turn.
type segment struct {
	text   string
	tokens int // with the per-message overhead
}

// promptSegments lays req out as a provider reads it.
func promptSegments(req Request, count func(string) int) []segment {
	var segs []segment
	add := func(role, text string) {
		segs = append(segs, segment{text: role + "\x00" + text, tokens: count(text) + tokensPerMessage})
	}
	if req.ResponseFormat == FormatJSONSchema && len(req.Schema) > 0 {
		add("schema:"+req.SchemaName, string(req.Schema))
	}
	if req.Instructions != "" {
		add("system", req.Instructions)
	}
	for _, m := range req.Messages {
		add(m.Role, m.Content)
	}
	return segs
}

func promptTokens(segs []segment) int {
	n := tokensPerPrompt
	for _, s := range segs {
		n += s.tokens
	}
	return n
}

// prefixCache remembers the prompts the fake has processed, per prompt
// cache key, and answers how much of a new prompt they cover. A prompt
// enters it only once it has been processed (its first streamed event, or
// its answer), never when it arrives: a provider cannot serve from cache
// what it has not computed yet.
type prefixCache struct {
	count func(string) int

	mu      sync.Mutex
	entries map[string][][]segment // by prompt_cache_key
	size    int
}

func newPrefixCache(count func(string) int) *prefixCache {
	return &prefixCache{count: count, entries: map[string][][]segment{}}
}

// add records a processed prompt.
func (c *prefixCache) add(key string, segs []segment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size >= maxCachedPrompts {
		c.entries = map[string][][]segment{}
		c.size = 0
	}
	c.entries[key] = append(c.entries[key], segs)
	c.size++
}

// cached returns the tokens of segs that an earlier processed prompt with
// the same key covers, in the provider's steps.
func (c *prefixCache) cached(key string, segs []segment) int {
	c.mu.Lock()
	candidates := c.entries[key]
	c.mu.Unlock()
	best := 0
	for _, prev := range candidates {
		best = max(best, c.common(prev, segs))
	}
	if best < CacheMinTokens {
		return 0
	}
	return best / CacheIncrement * CacheIncrement
}

// common counts the tokens of the longest shared prefix of two prompts:
// whole equal segments, then the shared start of the first that differs.
func (c *prefixCache) common(a, b []segment) int {
	n := 0
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].text == b[i].text {
			n += a[i].tokens
			continue
		}
		x, y := a[i].text, b[i].text
		k := 0
		for k < len(x) && k < len(y) && x[k] == y[k] {
			k++
		}
		if role := indexZero(x); k > role {
			n += c.count(x[role+1 : k])
		}
		break
	}
	return n
}

func indexZero(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return len(s)
}

// counter is the tokenizer of the fake: o200k_base, the encoding of
// current OpenAI models. Loading it takes a moment, so it happens on the
// first count.
var counter = sync.OnceValue(func() func(string) int {
	c, err := budget.NewCounter("gpt-5")
	if err != nil {
		// The tables are embedded in the binary; failing to load them
		// is a broken build, not a test outcome.
		panic("modeltest: load the tokenizer: " + err.Error())
	}
	return c.Count
})
