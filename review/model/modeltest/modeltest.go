// Package modeltest is a fake OpenAI-compatible server for tests of the
// model client and of everything built on it. It speaks the wire formats of
// POST /v1/chat/completions and POST /v1/responses, plain and streamed
// (ids, object types, finish reasons, output items, server-sent events,
// usage with cached tokens, OpenAI-style error bodies), answers from a
// scriptable Handler and records every request.
//
// Usage is what a provider would report: prompt tokens are counted with
// the o200k_base tokenizer, and cached tokens come from a prompt cache that
// behaves like OpenAI's: it holds a prompt only once the prompt has been
// processed (its first streamed event was sent, or its answer), serves the
// longest processed prefix in steps of 128 tokens from 1,024 up, and is
// partitioned by prompt_cache_key. WithLatency makes the server as slow as
// a real model, for benchmarks of wall time.
package modeltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// API names the endpoint a request came to.
type API string

// The two endpoints the server implements.
const (
	Chat      API = "chat"
	Responses API = "responses"
)

// The response formats a request can ask for, as in the wire format's
// "type"; FormatNone means the request did not ask for one.
const (
	FormatNone       = ""
	FormatText       = "text"
	FormatJSONObject = "json_object"
	FormatJSONSchema = "json_schema"
)

// Message is one non-system turn of a request.
type Message struct {
	Role    string
	Content string
}

// Request is a decoded request, as the handler sees it and as recorded.
type Request struct {
	API   API
	Model string
	// Instructions is the Responses "instructions", or the system and
	// developer messages of a chat request joined by blank lines.
	Instructions string
	// Messages are the other turns in order; UserMessages only the user
	// turns' text.
	Messages     []Message
	UserMessages []string
	// ResponseFormat is one of the Format constants.
	ResponseFormat string
	SchemaName     string
	Schema         json.RawMessage
	Strict         bool
	CacheKey       string
	// MaxOutputTokens is max_output_tokens, max_completion_tokens or
	// max_tokens, whichever was sent.
	MaxOutputTokens int64
	// Stream is set when the request asked for server-sent events;
	// IncludeUsage when a chat request asked for the usage chunk
	// (stream_options.include_usage).
	Stream, IncludeUsage bool
	// Seq numbers requests in arrival order, from 1.
	Seq    int
	Header http.Header
	Body   []byte
}

// Usage is the token report of a reply. When PromptTokens is zero the
// server reports what a provider would: the prompt's tokens and what its
// cache served; a zero CompletionTokens is counted from the answer.
type Usage struct {
	PromptTokens     int64
	CachedTokens     int64
	CompletionTokens int64
}

// Reply is what a Handler answers: a model answer, or an error when Err is
// set.
type Reply struct {
	Text  string
	Usage Usage
	// Truncated answers as if the output token limit was hit:
	// finish_reason "length" on chat, status "incomplete" on responses.
	Truncated bool
	// Refusal answers with a refusal instead of text.
	Refusal string
	// Failed makes a Responses answer come back with HTTP 200, status
	// "failed" and this error message, as the API does when generation
	// fails; Chat Completions ignores it.
	Failed string
	// Model overrides the model name in the answer (default: the
	// requested one).
	Model string
	// CutStream ends a streamed answer after its first output event,
	// without completing it, as a dropped connection does.
	CutStream bool
	// NoStream answers a request that asked for a stream with a plain
	// JSON body, as servers without streaming support do.
	NoStream bool
	Err      *ErrorReply
}

// ErrorReply is an HTTP error answer. The body is the OpenAI error object
// {"error": {"message", "type", "param", "code"}} unless RawBody is set.
type ErrorReply struct {
	Status  int
	Message string
	Type    string
	Code    string
	Param   string
	// Header is added to the answer, e.g. Retry-After or retry-after-ms.
	Header  http.Header
	RawBody string
}

// Handler decides the answer to one request. It is called from the
// server's goroutines and must be safe for concurrent use.
type Handler func(Request) Reply

// Server is a running fake endpoint. Close it, or let the test's cleanup
// do it.
type Server struct {
	srv          *httptest.Server
	handler      Handler
	seq          atomic.Int64
	arrivals     atomic.Int64
	cache        *prefixCache
	first, total time.Duration

	mu       sync.Mutex
	requests []Request
	events   []Event
	usage    map[int]Usage
}

// Option configures a Server.
type Option func(*Server)

// WithLatency makes the server behave like a real model in time: a request
// is processed (its prompt cached, its first streamed output event sent)
// first after it arrives, and its answer is complete total after it
// arrives. Only benchmarks need it; tests wait on Events instead.
func WithLatency(first, total time.Duration) Option {
	return func(s *Server) { s.first, s.total = first, max(first, total) }
}

// EventKind names what happened to a request.
type EventKind string

// The events of a request, in the order they happen.
const (
	// Arrived: the request was read and its cached share decided.
	Arrived EventKind = "arrived"
	// Processed: the prompt was processed and entered the cache; for a
	// streamed answer this is when its first output event is sent.
	Processed EventKind = "processed"
	// Answered: the answer (or error) was sent completely.
	Answered EventKind = "answered"
)

// Event is one step of one request, as recorded in order by the server.
type Event struct {
	Kind    EventKind
	Request int // the request's Seq
}

// NewServer starts a server answering with h and closes it when t ends.
func NewServer(t testing.TB, h Handler, opts ...Option) *Server {
	t.Helper()
	s := &Server{handler: h}
	for _, o := range opts {
		o(s)
	}
	s.cache = newPrefixCache(func(text string) int { return counter()(text) })
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// UsageOf returns the usage the server reported (or is reporting) for the
// request numbered seq; zero for a request answered with an error.
func (s *Server) UsageOf(seq int) Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage[seq]
}

// Events returns what happened so far, in order.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

func (s *Server) event(kind EventKind, req int) {
	s.mu.Lock()
	s.events = append(s.events, Event{Kind: kind, Request: req})
	s.mu.Unlock()
}

// BaseURL is the API base to configure clients with: the server's URL
// plus "/v1".
func (s *Server) BaseURL() string { return s.srv.URL + "/v1" }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down; it is safe to call more than once.
func (s *Server) Close() { s.srv.Close() }

// Requests returns a copy of every request received so far, in arrival
// order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// maxBody bounds a request body; review prompts are large but not this
// large.
const maxBody = 32 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var api API
	switch r.URL.Path {
	case "/v1/chat/completions":
		api = Chat
	case "/v1/responses":
		api = Responses
	default:
		writeError(w, ErrorReply{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "unknown_url",
			Message: fmt.Sprintf("Unrecognized request URL (%s %s).", r.Method, r.URL.Path)})
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, ErrorReply{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error",
			Message: fmt.Sprintf("Method %s not allowed on %s.", r.Method, r.URL.Path)})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeError(w, ErrorReply{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: "could not read body: " + err.Error()})
		return
	}
	req, err := decode(api, body)
	if err != nil {
		writeError(w, ErrorReply{Status: http.StatusBadRequest, Type: "invalid_request_error",
			Message: "We could not parse the JSON body of your request: " + err.Error()})
		return
	}
	req.Header = r.Header.Clone()
	segs := promptSegments(req, s.cache.count)
	s.mu.Lock()
	req.Seq = int(s.arrivals.Add(1))
	s.requests = append(s.requests, req)
	s.events = append(s.events, Event{Kind: Arrived, Request: req.Seq})
	s.mu.Unlock()
	// What the cache holds is decided when the request arrives: prompts
	// still being processed cannot serve it.
	computed := Usage{PromptTokens: int64(promptTokens(segs)), CachedTokens: int64(s.cache.cached(req.CacheKey, segs))}
	// The model's time starts now: counting is the fake's own work.
	arrived := time.Now()
	defer s.event(Answered, req.Seq)

	reply := s.handler(req)
	if reply.Err != nil {
		writeError(w, *reply.Err)
		return
	}
	if reply.Usage.PromptTokens == 0 {
		reply.Usage.PromptTokens, reply.Usage.CachedTokens = computed.PromptTokens, computed.CachedTokens
	}
	s.mu.Lock()
	if s.usage == nil {
		s.usage = map[int]Usage{}
	}
	s.usage[req.Seq] = usage(reply)
	s.mu.Unlock()
	processed := func() {
		s.cache.add(req.CacheKey, segs)
		s.event(Processed, req.Seq)
	}
	n := s.seq.Add(1)
	w.Header().Set("x-request-id", "req_modeltest_"+strconv.FormatInt(n, 10))
	if req.Stream && !reply.NoStream {
		s.stream(w, r, n, req, reply, arrived, processed)
		return
	}
	if !s.wait(r, arrived.Add(s.total)) {
		return
	}
	var out any
	if api == Chat {
		out = chatAnswer(n, req, reply)
	} else {
		out = responsesAnswer(n, req, reply)
	}
	processed()
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		// The client went away; nothing useful can be sent.
		return
	}
}

// wait blocks until t, as a model busy with the request would; it reports
// false when the client gave up first.
func (s *Server) wait(r *http.Request, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return r.Context().Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func writeError(w http.ResponseWriter, e ErrorReply) {
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if e.RawBody != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, e.RawBody)
		return
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": e.Message,
		"type":    nullable(e.Type),
		"param":   nullable(e.Param),
		"code":    nullable(e.Code),
	}})
}

// wireFormat is the response format object of both APIs; chat nests the
// schema under "json_schema", responses puts it beside "type".
type wireFormat struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Strict     *bool           `json:"strict"`
	Schema     json.RawMessage `json:"schema"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Strict *bool           `json:"strict"`
		Schema json.RawMessage `json:"schema"`
	} `json:"json_schema"`
}

type wireRequest struct {
	Model        string          `json:"model"`
	Messages     []wireMessage   `json:"messages"`
	Instructions string          `json:"instructions"`
	Input        json.RawMessage `json:"input"`
	// Chat puts the format in response_format, responses in text.format.
	ResponseFormat *wireFormat `json:"response_format"`
	Text           *struct {
		Format *wireFormat `json:"format"`
	} `json:"text"`
	PromptCacheKey string `json:"prompt_cache_key"`
	Stream         bool   `json:"stream"`
	StreamOptions  *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxCompletionTokens int64 `json:"max_completion_tokens"`
	MaxTokens           int64 `json:"max_tokens"`
	MaxOutputTokens     int64 `json:"max_output_tokens"`
}

type wireMessage struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

func decode(api API, body []byte) (Request, error) {
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return Request{}, err
	}
	req := Request{API: api, Model: w.Model, CacheKey: w.PromptCacheKey, Stream: w.Stream, Body: body}
	req.IncludeUsage = w.StreamOptions != nil && w.StreamOptions.IncludeUsage
	req.MaxOutputTokens = max(w.MaxCompletionTokens, w.MaxTokens, w.MaxOutputTokens)

	format := w.ResponseFormat
	msgs := w.Messages
	if api == Responses {
		req.Instructions = w.Instructions
		if w.Text != nil {
			format = w.Text.Format
		}
		var err error
		if msgs, err = responsesInput(w.Input); err != nil {
			return Request{}, err
		}
	}
	var system []string
	for _, m := range msgs {
		text, err := contentText(m.Content)
		if err != nil {
			return Request{}, fmt.Errorf("message content: %w", err)
		}
		switch m.Role {
		case "system", "developer":
			system = append(system, text)
		default:
			req.Messages = append(req.Messages, Message{Role: m.Role, Content: text})
			if m.Role == "user" {
				req.UserMessages = append(req.UserMessages, text)
			}
		}
	}
	if api == Chat {
		req.Instructions = strings.Join(system, "\n\n")
	} else if len(system) > 0 {
		req.Instructions = strings.Join(append([]string{req.Instructions}, system...), "\n\n")
	}
	if format != nil {
		req.ResponseFormat = format.Type
		req.SchemaName, req.Schema = format.Name, format.Schema
		req.Strict = format.Strict != nil && *format.Strict
		if format.JSONSchema != nil {
			req.SchemaName, req.Schema = format.JSONSchema.Name, format.JSONSchema.Schema
			req.Strict = format.JSONSchema.Strict != nil && *format.JSONSchema.Strict
		}
	}
	return req, nil
}

// responsesInput reads "input": a string, or a list of message items.
func responsesInput(raw json.RawMessage) ([]wireMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		c, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		return []wireMessage{{Role: "user", Content: c}}, nil
	}
	var items []wireMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	for _, it := range items {
		if it.Type != "" && it.Type != "message" {
			return nil, fmt.Errorf("input item type %q is not supported by modeltest", it.Type)
		}
	}
	return items, nil
}

// contentText reads message content: a string or a list of text parts
// ("text", "input_text", "output_text").
func contentText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// usage fills a zero completion count with the answer's tokens; the prompt
// side was filled in when the request arrived.
func usage(reply Reply) Usage {
	u := reply.Usage
	if u.CompletionTokens == 0 {
		u.CompletionTokens = int64(counter()(reply.Text + reply.Refusal))
	}
	return u
}

func modelOf(req Request, reply Reply) string {
	if reply.Model != "" {
		return reply.Model
	}
	return req.Model
}

func chatAnswer(n int64, req Request, reply Reply) map[string]any {
	u := usage(reply)
	finish := "stop"
	if reply.Truncated {
		finish = "length"
	}
	msg := map[string]any{"role": "assistant", "content": reply.Text, "refusal": nil, "annotations": []any{}}
	if reply.Refusal != "" {
		msg["content"] = nil
		msg["refusal"] = reply.Refusal
	}
	return map[string]any{
		"id":      fmt.Sprintf("chatcmpl-modeltest%06d", n),
		"object":  "chat.completion",
		"created": time.Now().Unix(),
		"model":   modelOf(req, reply),
		"choices": []any{map[string]any{
			"index":         0,
			"message":       msg,
			"logprobs":      nil,
			"finish_reason": finish,
		}},
		"usage":              chatUsage(u),
		"service_tier":       "default",
		"system_fingerprint": "fp_modeltest",
	}
}

func chatUsage(u Usage) map[string]any {
	return map[string]any{
		"prompt_tokens":     u.PromptTokens,
		"completion_tokens": u.CompletionTokens,
		"total_tokens":      u.PromptTokens + u.CompletionTokens,
		"prompt_tokens_details": map[string]any{
			"cached_tokens": u.CachedTokens,
			"audio_tokens":  0,
		},
		"completion_tokens_details": map[string]any{
			"reasoning_tokens":           0,
			"audio_tokens":               0,
			"accepted_prediction_tokens": 0,
			"rejected_prediction_tokens": 0,
		},
	}
}

func responsesAnswer(n int64, req Request, reply Reply) map[string]any {
	u := usage(reply)
	status, itemStatus := "completed", "completed"
	var incomplete, failure any
	switch {
	case reply.Failed != "":
		status, itemStatus = "failed", "incomplete"
		failure = map[string]any{"code": "server_error", "message": reply.Failed}
	case reply.Truncated:
		status, itemStatus = "incomplete", "incomplete"
		incomplete = map[string]any{"reason": "max_output_tokens"}
	}
	part := map[string]any{"type": "output_text", "text": reply.Text, "annotations": []any{}, "logprobs": []any{}}
	if reply.Refusal != "" {
		part = map[string]any{"type": "refusal", "refusal": reply.Refusal}
	}
	var format any = map[string]any{"type": "text"}
	if req.ResponseFormat != FormatNone {
		format = map[string]any{"type": req.ResponseFormat}
	}
	var instructions any
	if req.Instructions != "" {
		instructions = req.Instructions
	}
	var maxOut any
	if req.MaxOutputTokens > 0 {
		maxOut = req.MaxOutputTokens
	}
	var cacheKey any
	if req.CacheKey != "" {
		cacheKey = req.CacheKey
	}
	now := time.Now().Unix()
	return map[string]any{
		"id":                 fmt.Sprintf("resp_modeltest%06d", n),
		"object":             "response",
		"created_at":         now,
		"completed_at":       now,
		"status":             status,
		"error":              failure,
		"incomplete_details": incomplete,
		"instructions":       instructions,
		"max_output_tokens":  maxOut,
		"model":              modelOf(req, reply),
		// Reasoning models emit a reasoning item before the message; the
		// client must pick the message out.
		"output": []any{
			map[string]any{"type": "reasoning", "id": fmt.Sprintf("rs_modeltest%06d", n), "summary": []any{}},
			map[string]any{
				"type":    "message",
				"id":      fmt.Sprintf("msg_modeltest%06d", n),
				"status":  itemStatus,
				"role":    "assistant",
				"content": []any{part},
			},
		},
		"parallel_tool_calls":  true,
		"previous_response_id": nil,
		"prompt_cache_key":     cacheKey,
		"reasoning":            map[string]any{"effort": "medium", "summary": nil},
		"store":                false,
		"temperature":          1.0,
		"text":                 map[string]any{"format": format, "verbosity": "medium"},
		"tool_choice":          "auto",
		"tools":                []any{},
		"top_p":                1.0,
		"truncation":           "disabled",
		"usage": map[string]any{
			"input_tokens":          u.PromptTokens,
			"input_tokens_details":  map[string]any{"cached_tokens": u.CachedTokens},
			"output_tokens":         u.CompletionTokens,
			"output_tokens_details": map[string]any{"reasoning_tokens": 0},
			"total_tokens":          u.PromptTokens + u.CompletionTokens,
		},
		"user":     nil,
		"metadata": map[string]any{},
	}
}
