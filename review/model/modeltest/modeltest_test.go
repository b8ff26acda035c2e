package modeltest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/codex-review/codex-review/review/model/modeltest"
)

// post sends body to path on srv and decodes the JSON answer.
func post(t *testing.T, srv *modeltest.Server, path, body string, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.BaseURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, raw)
	}
	return res.StatusCode, res.Header, out
}

// get walks a decoded JSON value along keys and indexes.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

func TestDecodesRequests(t *testing.T) {
	tests := []struct {
		name, path, body string
		want             modeltest.Request
	}{
		{"chat with schema", "/chat/completions", `{"model":"m","messages":[
			{"role":"system","content":"sys"},
			{"role":"user","content":"one"},
			{"role":"user","content":[{"type":"text","text":"two"}]},
			{"role":"assistant","content":"prev"}],
			"response_format":{"type":"json_schema","json_schema":{"name":"s","strict":true,"schema":{"type":"object"}}},
			"prompt_cache_key":"k","max_completion_tokens":100}`,
			modeltest.Request{API: modeltest.Chat, Model: "m", Instructions: "sys", Seq: 1,
				Messages:     []modeltest.Message{{Role: "user", Content: "one"}, {Role: "user", Content: "two"}, {Role: "assistant", Content: "prev"}},
				UserMessages: []string{"one", "two"}, ResponseFormat: modeltest.FormatJSONSchema, SchemaName: "s",
				Schema: json.RawMessage(`{"type":"object"}`), Strict: true, CacheKey: "k", MaxOutputTokens: 100}},
		{"chat plain", "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"u"}],"max_tokens":7}`,
			modeltest.Request{API: modeltest.Chat, Model: "m", Seq: 1, Messages: []modeltest.Message{{Role: "user", Content: "u"}},
				UserMessages: []string{"u"}, MaxOutputTokens: 7}},
		{"responses with schema", "/responses", `{"model":"m","instructions":"sys","input":[
			{"role":"user","content":"one"},
			{"type":"message","role":"user","content":[{"type":"input_text","text":"two"}]}],
			"text":{"format":{"type":"json_schema","name":"s","strict":true,"schema":{"type":"object"}}},
			"prompt_cache_key":"k","max_output_tokens":50}`,
			modeltest.Request{API: modeltest.Responses, Model: "m", Instructions: "sys", Seq: 1,
				Messages:     []modeltest.Message{{Role: "user", Content: "one"}, {Role: "user", Content: "two"}},
				UserMessages: []string{"one", "two"}, ResponseFormat: modeltest.FormatJSONSchema, SchemaName: "s",
				Schema: json.RawMessage(`{"type":"object"}`), Strict: true, CacheKey: "k", MaxOutputTokens: 50}},
		{"responses string input", "/responses", `{"model":"m","input":"hello","text":{"format":{"type":"json_object"}}}`,
			modeltest.Request{API: modeltest.Responses, Model: "m", Seq: 1, Messages: []modeltest.Message{{Role: "user", Content: "hello"}},
				UserMessages: []string{"hello"}, ResponseFormat: modeltest.FormatJSONObject}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := modeltest.NewServer(t, modeltest.Always(modeltest.Text("ok")))
			if status, _, _ := post(t, srv, tt.path, tt.body, nil); status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			got := srv.Requests()[0]
			got.Header, got.Body = nil, nil
			if got.Schema != nil {
				var compact json.RawMessage
				if err := json.Unmarshal(got.Schema, &compact); err != nil {
					t.Fatal(err)
				}
				got.Schema = compact
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestWireFormats(t *testing.T) {
	reply := modeltest.Reply{Text: "answer", Usage: modeltest.Usage{PromptTokens: 100, CachedTokens: 64, CompletionTokens: 5}}

	t.Run("chat", func(t *testing.T) {
		srv := modeltest.NewServer(t, modeltest.Queue(reply, modeltest.Reply{Text: "cut", Truncated: true}))
		_, _, out := post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"u"}]}`, nil)
		checks := map[string][2]any{
			"object":        {get(out, "object"), "chat.completion"},
			"model":         {get(out, "model"), "m"},
			"content":       {get(out, "choices", 0, "message", "content"), "answer"},
			"role":          {get(out, "choices", 0, "message", "role"), "assistant"},
			"finish_reason": {get(out, "choices", 0, "finish_reason"), "stop"},
			"prompt_tokens": {get(out, "usage", "prompt_tokens"), 100.0},
			"cached_tokens": {get(out, "usage", "prompt_tokens_details", "cached_tokens"), 64.0},
			"total_tokens":  {get(out, "usage", "total_tokens"), 105.0},
		}
		for name, c := range checks {
			if c[0] != c[1] {
				t.Errorf("%s = %v, want %v", name, c[0], c[1])
			}
		}
		if id, _ := get(out, "id").(string); !strings.HasPrefix(id, "chatcmpl-") {
			t.Errorf("id = %q", id)
		}
		_, _, out = post(t, srv, "/chat/completions", `{"model":"m","messages":[{"role":"user","content":"u"}]}`, nil)
		if fr := get(out, "choices", 0, "finish_reason"); fr != "length" {
			t.Errorf("truncated finish_reason = %v, want length", fr)
		}
	})

	t.Run("responses", func(t *testing.T) {
		srv := modeltest.NewServer(t, modeltest.Queue(reply, modeltest.Reply{Text: "cut", Truncated: true}))
		_, _, out := post(t, srv, "/responses", `{"model":"m","input":"u"}`, nil)
		checks := map[string][2]any{
			"object":        {get(out, "object"), "response"},
			"status":        {get(out, "status"), "completed"},
			"item type":     {get(out, "output", 1, "type"), "message"},
			"part type":     {get(out, "output", 1, "content", 0, "type"), "output_text"},
			"text":          {get(out, "output", 1, "content", 0, "text"), "answer"},
			"input_tokens":  {get(out, "usage", "input_tokens"), 100.0},
			"cached_tokens": {get(out, "usage", "input_tokens_details", "cached_tokens"), 64.0},
			"output_tokens": {get(out, "usage", "output_tokens"), 5.0},
		}
		for name, c := range checks {
			if c[0] != c[1] {
				t.Errorf("%s = %v, want %v", name, c[0], c[1])
			}
		}
		if id, _ := get(out, "id").(string); !strings.HasPrefix(id, "resp_") {
			t.Errorf("id = %q", id)
		}
		_, _, out = post(t, srv, "/responses", `{"model":"m","input":"u"}`, nil)
		if get(out, "status") != "incomplete" || get(out, "incomplete_details", "reason") != "max_output_tokens" {
			t.Errorf("truncated answer: status %v, details %v", get(out, "status"), get(out, "incomplete_details"))
		}
	})
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name       string
		handler    modeltest.Handler
		path, body string
		header     map[string]string
		wantStatus int
		wantCode   any
		wantHeader [2]string
	}{
		{"rate limited", modeltest.Always(modeltest.Fail(modeltest.RateLimited())), "/chat/completions", `{"model":"m"}`, nil,
			429, "rate_limit_exceeded", [2]string{"Retry-After-Ms", "1"}},
		{"quota", modeltest.Always(modeltest.Fail(modeltest.InsufficientQuota())), "/responses", `{"model":"m"}`, nil,
			429, "insufficient_quota", [2]string{}},
		{"wrong key", modeltest.RequireAPIKey("good", modeltest.Always(modeltest.Text("x"))), "/chat/completions", `{"model":"m"}`,
			map[string]string{"Authorization": "Bearer bad"}, 401, "invalid_api_key", [2]string{}},
		{"no key", modeltest.RequireAPIKey("good", modeltest.Always(modeltest.Text("x"))), "/chat/completions", `{"model":"m"}`, nil,
			401, "invalid_api_key", [2]string{}},
		{"unknown path", modeltest.Always(modeltest.Text("x")), "/completions", `{}`, nil, 404, "unknown_url", [2]string{}},
		{"bad JSON", modeltest.Always(modeltest.Text("x")), "/responses", `{`, nil, 400, nil, [2]string{}},
		{"schema rejected", modeltest.RejectJSONSchema(modeltest.Always(modeltest.Text("x"))), "/chat/completions",
			`{"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"s"}}}`, nil, 400, nil, [2]string{}},
		{"queue exhausted", modeltest.Queue(), "/chat/completions", `{"model":"m"}`, nil, 500, nil, [2]string{"X-Should-Retry", "false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := modeltest.NewServer(t, tt.handler)
			status, header, out := post(t, srv, tt.path, tt.body, tt.header)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			e, ok := out["error"].(map[string]any)
			if !ok {
				t.Fatalf("body has no error object: %v", out)
			}
			for _, k := range []string{"message", "type", "param", "code"} {
				if _, ok := e[k]; !ok {
					t.Errorf("error object lacks %q: %v", k, e)
				}
			}
			if msg, _ := e["message"].(string); msg == "" {
				t.Error("empty error message")
			}
			if e["code"] != tt.wantCode {
				t.Errorf("code = %v, want %v", e["code"], tt.wantCode)
			}
			if tt.wantHeader[0] != "" && header.Get(tt.wantHeader[0]) != tt.wantHeader[1] {
				t.Errorf("header %s = %q, want %q", tt.wantHeader[0], header.Get(tt.wantHeader[0]), tt.wantHeader[1])
			}
		})
	}
}

func TestFailThenAndQueueAreConcurrencySafe(t *testing.T) {
	const n = 20
	h := modeltest.FailThen(5, modeltest.ServerError(500), modeltest.Always(modeltest.Text("ok")))
	srv := modeltest.NewServer(t, h)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range n {
		wg.Go(func() {
			// t.Fatal may not be called here, so errors count as status 0.
			status := 0
			res, err := srv.Client().Post(srv.BaseURL()+"/chat/completions", "application/json", strings.NewReader(`{"model":"m"}`))
			if err == nil {
				status = res.StatusCode
				res.Body.Close()
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[500] != 5 || statuses[200] != n-5 {
		t.Errorf("statuses = %v, want 5 failures and %d successes", statuses, n-5)
	}
	if got := len(srv.Requests()); got != n {
		t.Errorf("recorded %d requests, want %d", got, n)
	}
}
