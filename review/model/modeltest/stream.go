package modeltest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"time"
)

// deltas is how many pieces a streamed answer's text is sent in.
const deltas = 4

// stream answers req with server-sent events in the wire format of its
// API. processed is called just before the first output event: from then
// on the prompt is in the cache.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, n int64, req Request, reply Reply, arrived time.Time, processed func()) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, ErrorReply{Status: http.StatusInternalServerError, Message: "modeltest: the response writer cannot stream"})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	sse := &sseWriter{w: w, flush: flusher.Flush}
	if req.API == Chat {
		s.streamChat(sse, r, n, req, reply, arrived, processed)
	} else {
		s.streamResponses(sse, r, n, req, reply, arrived, processed)
	}
}

// sseWriter writes events and remembers the first write error (the client
// went away), after which it writes nothing.
type sseWriter struct {
	w     http.ResponseWriter
	flush func()
	err   error
	seq   int
}

func (e *sseWriter) send(event string, data any) {
	if e.err != nil {
		return
	}
	b, err := json.Marshal(data)
	if err != nil {
		e.err = err
		return
	}
	if event != "" {
		_, e.err = fmt.Fprintf(e.w, "event: %s\n", event)
	}
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, "data: %s\n\n", b)
	}
	e.flush()
}

func (e *sseWriter) done() {
	if e.err == nil {
		_, e.err = fmt.Fprint(e.w, "data: [DONE]\n\n")
		e.flush()
	}
}

// pieces cuts text into up to deltas parts, on byte boundaries that keep
// UTF-8 sequences whole.
func pieces(text string) []string {
	if text == "" {
		return nil
	}
	size := max(1, (len(text)+deltas-1)/deltas)
	var out []string
	for len(text) > 0 {
		k := min(size, len(text))
		for k < len(text) && text[k]&0xC0 == 0x80 {
			k++
		}
		out = append(out, text[:k])
		text = text[k:]
	}
	return out
}

// pace returns when each of n deltas is due, spread between the first
// event and the end of the answer.
func (s *Server) pace(arrived time.Time, n int) []time.Time {
	due := make([]time.Time, n)
	for i := range due {
		due[i] = arrived.Add(s.first + (s.total-s.first)*time.Duration(i+1)/time.Duration(n+1))
	}
	return due
}

func (s *Server) streamChat(sse *sseWriter, r *http.Request, n int64, req Request, reply Reply, arrived time.Time, processed func()) {
	id := fmt.Sprintf("chatcmpl-modeltest%06d", n)
	created := time.Now().Unix()
	chunk := func(delta map[string]any, finish any) map[string]any {
		c := map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": modelOf(req, reply),
			"system_fingerprint": "fp_modeltest", "service_tier": "default",
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
		}
		if req.IncludeUsage {
			c["usage"] = nil
		}
		return c
	}
	if !s.wait(r, arrived.Add(s.first)) {
		return
	}
	processed()
	sse.send("", chunk(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil))
	if reply.CutStream {
		return
	}
	key, text := "content", reply.Text
	if reply.Refusal != "" {
		key, text = "refusal", reply.Refusal
	}
	parts := pieces(text)
	for i, due := range s.pace(arrived, len(parts)) {
		if !s.wait(r, due) {
			return
		}
		sse.send("", chunk(map[string]any{key: parts[i]}, nil))
	}
	if !s.wait(r, arrived.Add(s.total)) {
		return
	}
	finish := "stop"
	if reply.Truncated {
		finish = "length"
	}
	sse.send("", chunk(map[string]any{}, finish))
	if req.IncludeUsage {
		last := chunk(nil, nil)
		last["choices"] = []any{}
		last["usage"] = chatUsage(usage(reply))
		sse.send("", last)
	}
	sse.done()
}

func (s *Server) streamResponses(sse *sseWriter, r *http.Request, n int64, req Request, reply Reply, arrived time.Time, processed func()) {
	final := responsesAnswer(n, req, reply)
	send := func(typ string, fields map[string]any) {
		ev := map[string]any{"type": typ, "sequence_number": sse.seq}
		maps.Copy(ev, fields)
		sse.seq++
		sse.send(typ, ev)
	}
	// The service acknowledges a request at once: these two events say
	// nothing about the prompt having been processed.
	pending := maps.Clone(final)
	pending["status"], pending["output"], pending["usage"] = "in_progress", []any{}, nil
	pending["completed_at"], pending["error"], pending["incomplete_details"] = nil, nil, nil
	send("response.created", map[string]any{"response": pending})
	send("response.in_progress", map[string]any{"response": pending})
	if !s.wait(r, arrived.Add(s.first)) {
		return
	}
	processed()
	output := final["output"].([]any)
	reasoning := output[0]
	send("response.output_item.added", map[string]any{"output_index": 0, "item": reasoning})
	if reply.CutStream {
		return
	}
	send("response.output_item.done", map[string]any{"output_index": 0, "item": reasoning})
	msg := output[1].(map[string]any)
	itemID := msg["id"]
	opened := maps.Clone(msg)
	opened["status"], opened["content"] = "in_progress", []any{}
	send("response.output_item.added", map[string]any{"output_index": 1, "item": opened})
	at := map[string]any{"item_id": itemID, "output_index": 1, "content_index": 0}
	with := func(extra map[string]any) map[string]any {
		m := maps.Clone(at)
		maps.Copy(m, extra)
		return m
	}
	part := msg["content"].([]any)[0].(map[string]any)
	emptyPart := map[string]any{"type": "output_text", "text": "", "annotations": []any{}, "logprobs": []any{}}
	deltaType, doneType, doneField, text := "response.output_text.delta", "response.output_text.done", "text", reply.Text
	if reply.Refusal != "" {
		emptyPart = map[string]any{"type": "refusal", "refusal": ""}
		deltaType, doneType, doneField, text = "response.refusal.delta", "response.refusal.done", "refusal", reply.Refusal
	}
	send("response.content_part.added", with(map[string]any{"part": emptyPart}))
	parts := pieces(text)
	for i, due := range s.pace(arrived, len(parts)) {
		if !s.wait(r, due) {
			return
		}
		fields := map[string]any{"delta": parts[i]}
		if reply.Refusal == "" {
			fields["logprobs"] = []any{}
		}
		send(deltaType, with(fields))
	}
	if !s.wait(r, arrived.Add(s.total)) {
		return
	}
	doneFields := map[string]any{doneField: text}
	if reply.Refusal == "" {
		doneFields["logprobs"] = []any{}
	}
	send(doneType, with(doneFields))
	send("response.content_part.done", with(map[string]any{"part": part}))
	send("response.output_item.done", map[string]any{"output_index": 1, "item": msg})
	terminal := "response.completed"
	switch final["status"] {
	case "failed":
		terminal = "response.failed"
	case "incomplete":
		terminal = "response.incomplete"
	}
	send(terminal, map[string]any{"response": final})
}
