package modeltest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/model/modeltest"
)

// longText is about n tokens of varied prose.
func longText(n int, seed string) string {
	var b strings.Builder
	for i := 0; b.Len() < n*5; i++ {
		fmt.Fprintf(&b, "%s line %d checks the value %d against its limit.\n", seed, i, i*7)
	}
	return b.String()
}

func chatBody(key, shared, last string, stream bool) string {
	b, _ := json.Marshal(map[string]any{
		"model": "m", "stream": stream, "prompt_cache_key": key,
		"stream_options": map[string]any{"include_usage": true},
		"messages": []any{
			map[string]any{"role": "system", "content": "You review code."},
			map[string]any{"role": "user", "content": shared},
			map[string]any{"role": "user", "content": last},
		},
	})
	if !stream {
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		delete(m, "stream_options")
		b, _ = json.Marshal(m)
	}
	return string(b)
}

func cachedOf(out map[string]any) (prompt, cached float64) {
	p, _ := get(out, "usage", "prompt_tokens").(float64)
	c, _ := get(out, "usage", "prompt_tokens_details", "cached_tokens").(float64)
	return p, c
}

// TestCacheHoldsOnlyProcessedPrompts checks the property the engine's pass
// scheduling relies on: a prompt still being processed serves no one, a
// processed one serves every later request with the same prefix.
func TestCacheHoldsOnlyProcessedPrompts(t *testing.T) {
	entered := make(chan int, 8)
	release := make(chan struct{})
	srv := modeltest.NewServer(t, func(req modeltest.Request) modeltest.Reply {
		entered <- req.Seq
		if req.Seq == 1 {
			<-release
		}
		return modeltest.Text("{}")
	})
	shared := longText(3000, "shared")

	first := make(chan map[string]any, 1)
	go func() {
		res, err := srv.Client().Post(srv.BaseURL()+"/chat/completions", "application/json", strings.NewReader(chatBody("k", shared, "pass one", false)))
		if err != nil {
			first <- nil
			return
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		first <- out
	}()
	<-entered // the first request is being processed

	_, _, out := post(t, srv, "/chat/completions", chatBody("k", shared, "pass two", false), nil)
	<-entered
	if prompt, cached := cachedOf(out); cached != 0 || prompt < 3000 {
		t.Errorf("while the first prompt is in progress: prompt %v, cached %v; want nothing cached", prompt, cached)
	}

	close(release)
	out1 := <-first
	if _, cached := cachedOf(out1); cached != 0 {
		t.Errorf("first request cached %v, want 0", cached)
	}
	_, _, out = post(t, srv, "/chat/completions", chatBody("k", shared, "pass three", false), nil)
	prompt, cached := cachedOf(out)
	if cached < modeltest.CacheMinTokens || int(cached)%modeltest.CacheIncrement != 0 || cached > prompt-2 {
		t.Errorf("after the first answer: prompt %v, cached %v; want the shared prefix in steps of %d", prompt, cached, modeltest.CacheIncrement)
	}
	if prompt-cached > 200 {
		t.Errorf("cached %v of %v: most of the prompt is the shared prefix", cached, prompt)
	}

	// Another cache key is another cache.
	_, _, out = post(t, srv, "/chat/completions", chatBody("other", shared, "pass four", false), nil)
	if _, cached := cachedOf(out); cached != 0 {
		t.Errorf("other prompt_cache_key: cached %v, want 0", cached)
	}
	// A short prompt is never cached.
	short := chatBody("s", "short", "x", false)
	post(t, srv, "/chat/completions", short, nil)
	_, _, out = post(t, srv, "/chat/completions", short, nil)
	if _, cached := cachedOf(out); cached != 0 {
		t.Errorf("prompt under %d tokens: cached %v", modeltest.CacheMinTokens, cached)
	}
}

// TestStreamedPromptIsCachedAtItsFirstEvent: once the first output event
// of a streamed answer is out, the prompt serves others, before the answer
// has finished.
func TestStreamedPromptIsCachedAtItsFirstEvent(t *testing.T) {
	for _, api := range []string{"/chat/completions", "/responses"} {
		t.Run(api, func(t *testing.T) {
			srv := modeltest.NewServer(t, modeltest.Always(modeltest.Text(`{"findings":[]}`)))
			shared := longText(2000, "shared")
			body := chatBody("k", shared, "first", true)
			if api == "/responses" {
				b, _ := json.Marshal(map[string]any{"model": "m", "stream": true, "prompt_cache_key": "k", "instructions": "You review code.",
					"input": []any{map[string]any{"role": "user", "content": shared}, map[string]any{"role": "user", "content": "first"}}})
				body = string(b)
			}
			_, next := openStream(t, srv, api, body)
			for ev := next(); ev != nil; ev = next() {
				if ev.name == "response.created" || ev.name == "response.in_progress" {
					continue // acknowledgements, sent before processing
				}
				break
			}
			var evs []modeltest.Event
			for _, e := range srv.Events() {
				if e.Request == 1 {
					evs = append(evs, e)
				}
			}
			if len(evs) < 2 || evs[0].Kind != modeltest.Arrived || evs[1].Kind != modeltest.Processed {
				t.Fatalf("events of the streamed request: %v", evs)
			}
			// The second request is a chat one: a responses prompt with
			// instructions lays out like a chat prompt with a system
			// message, so the two share the cache.
			_, _, out := post(t, srv, "/chat/completions", chatBody("k", shared, "second", false), nil)
			if _, cached := cachedOf(out); cached < modeltest.CacheMinTokens {
				t.Errorf("cached %v after the first output event", cached)
			}
		})
	}
}

func TestComputedUsageCountsTokens(t *testing.T) {
	srv := modeltest.NewServer(t, modeltest.Always(modeltest.Text("hello world")))
	_, _, out := post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"one two three"}]}`, nil)
	// "one two three" is 3 tokens, plus 3 for the message and 3 for the
	// reply priming; "hello world" is 2.
	if get(out, "usage", "prompt_tokens") != 9.0 || get(out, "usage", "completion_tokens") != 2.0 {
		t.Errorf("usage = %v", out["usage"])
	}
	if seq := srv.Requests()[0].Seq; seq != 1 {
		t.Errorf("first request Seq = %d, want 1", seq)
	}
}
