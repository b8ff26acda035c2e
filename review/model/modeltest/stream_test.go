package modeltest_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/model/modeltest"
)

// sseEvent is one server-sent event: its "event:" name (empty for chat)
// and its decoded data, or done for chat's "[DONE]".
type sseEvent struct {
	name string
	data map[string]any
	done bool
}

// openStream posts body and returns the status and a function reading the
// next event (nil at the end of the stream).
func openStream(t *testing.T, srv *modeltest.Server, path, body string) (*http.Response, func() *sseEvent) {
	t.Helper()
	res, err := srv.Client().Post(srv.BaseURL()+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	next := func() *sseEvent {
		ev := &sseEvent{}
		seen := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && seen:
				return ev
			case strings.HasPrefix(line, "event: "):
				ev.name, seen = strings.TrimPrefix(line, "event: "), true
			case line == "data: [DONE]":
				ev.done, seen = true, true
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data); err != nil {
					t.Errorf("event data is not JSON: %v: %s", err, line)
				}
				seen = true
			}
		}
		return nil
	}
	return res, next
}

func readAll(next func() *sseEvent) []*sseEvent {
	var out []*sseEvent
	for ev := next(); ev != nil; ev = next() {
		out = append(out, ev)
	}
	return out
}

func TestStreamsChatCompletions(t *testing.T) {
	reply := modeltest.Reply{Text: `{"findings":[],"überall":"ok"}`, Usage: modeltest.Usage{PromptTokens: 100, CachedTokens: 64, CompletionTokens: 9}}
	for _, includeUsage := range []bool{true, false} {
		name := "without usage"
		body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"u"}]}`
		if includeUsage {
			name = "with usage"
			body = `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"u"}]}`
		}
		t.Run(name, func(t *testing.T) {
			srv := modeltest.NewServer(t, modeltest.Always(reply))
			res, next := openStream(t, srv, "/chat/completions", body)
			if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Errorf("Content-Type = %q", ct)
			}
			evs := readAll(next)
			if len(evs) < 4 || !evs[len(evs)-1].done {
				t.Fatalf("stream does not end with [DONE]: %d events", len(evs))
			}
			var text strings.Builder
			finish := ""
			var usage any
			for i, ev := range evs[:len(evs)-1] {
				if get(ev.data, "object") != "chat.completion.chunk" {
					t.Errorf("event %d object = %v", i, get(ev.data, "object"))
				}
				u, has := ev.data["usage"]
				if has != includeUsage {
					t.Errorf("event %d has usage key: %v, want %v", i, has, includeUsage)
				}
				if u != nil {
					usage = u
					if n := len(ev.data["choices"].([]any)); n != 0 {
						t.Errorf("usage chunk has %d choices, want none", n)
					}
					continue
				}
				if i == 0 && get(ev.data, "choices", 0, "delta", "role") != "assistant" {
					t.Errorf("first chunk does not open the assistant turn: %v", ev.data)
				}
				s, _ := get(ev.data, "choices", 0, "delta", "content").(string)
				text.WriteString(s)
				if f, ok := get(ev.data, "choices", 0, "finish_reason").(string); ok {
					finish = f
				}
			}
			if text.String() != reply.Text {
				t.Errorf("streamed text = %q, want %q", text.String(), reply.Text)
			}
			if finish != "stop" {
				t.Errorf("finish_reason = %q", finish)
			}
			if includeUsage && (get(usage, "prompt_tokens") != 100.0 || get(usage, "prompt_tokens_details", "cached_tokens") != 64.0) {
				t.Errorf("usage = %v", usage)
			}
			if !includeUsage && usage != nil {
				t.Errorf("usage sent without include_usage: %v", usage)
			}
		})
	}
}

func TestStreamsResponses(t *testing.T) {
	reply := modeltest.Reply{Text: `{"findings":[]}`, Usage: modeltest.Usage{PromptTokens: 100, CachedTokens: 64, CompletionTokens: 9}}
	srv := modeltest.NewServer(t, modeltest.Queue(reply, modeltest.Reply{Text: "cut", Truncated: true}, modeltest.Reply{Failed: "boom"}))
	_, next := openStream(t, srv, "/responses", `{"model":"m","stream":true,"input":"u"}`)
	evs := readAll(next)
	var names []string
	var text strings.Builder
	for i, ev := range evs {
		names = append(names, ev.name)
		if ev.data["type"] != ev.name {
			t.Errorf("event %q has type %v", ev.name, ev.data["type"])
		}
		if get(ev.data, "sequence_number") != float64(i) {
			t.Errorf("event %d sequence_number = %v", i, get(ev.data, "sequence_number"))
		}
		if ev.name == "response.output_text.delta" {
			text.WriteString(ev.data["delta"].(string))
		}
	}
	want := "response.created response.in_progress response.output_item.added response.output_item.done response.output_item.added response.content_part.added"
	if got := strings.Join(names, " "); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "response.output_text.done response.content_part.done response.output_item.done response.completed") {
		t.Errorf("events = %s", got)
	}
	if text.String() != reply.Text {
		t.Errorf("streamed text = %q", text.String())
	}
	last := evs[len(evs)-1].data
	if get(last, "response", "status") != "completed" || get(last, "response", "usage", "input_tokens_details", "cached_tokens") != 64.0 ||
		get(last, "response", "output", 1, "content", 0, "text") != reply.Text {
		t.Errorf("response.completed carries %v", last["response"])
	}
	if get(evs[0].data, "response", "status") != "in_progress" || get(evs[0].data, "response", "usage") != nil {
		t.Errorf("response.created carries %v", evs[0].data["response"])
	}

	for _, tc := range []struct{ terminal, status string }{{"response.incomplete", "incomplete"}, {"response.failed", "failed"}} {
		_, next := openStream(t, srv, "/responses", `{"model":"m","stream":true,"input":"u"}`)
		evs := readAll(next)
		last := evs[len(evs)-1]
		if last.name != tc.terminal || get(last.data, "response", "status") != tc.status {
			t.Errorf("terminal event %s with status %v, want %s", last.name, get(last.data, "response", "status"), tc.terminal)
		}
	}
}

func TestCutStreamStopsAfterTheFirstOutputEvent(t *testing.T) {
	srv := modeltest.NewServer(t, modeltest.Always(modeltest.Reply{Text: "never sent", CutStream: true}))
	for _, path := range []string{"/chat/completions", "/responses"} {
		_, next := openStream(t, srv, path, `{"model":"m","stream":true,"stream_options":{"include_usage":true},"input":"u","messages":[{"role":"user","content":"u"}]}`)
		evs := readAll(next)
		for _, ev := range evs {
			if ev.done || strings.Contains(ev.name, "completed") || strings.Contains(ev.name, "delta") {
				t.Errorf("%s: a cut stream sent %q", path, ev.name)
			}
		}
		if len(evs) == 0 {
			t.Errorf("%s: no event before the cut", path)
		}
	}
}
