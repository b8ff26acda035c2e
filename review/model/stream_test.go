package model_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// streamed returns the standard request with a Started callback that
// records, when it is called, what the server had done by then.
func streamed(srv *modeltest.Server, calls *atomic.Int32, seen *[]modeltest.Event) model.Request {
	req := reviewRequest()
	req.Started = func() {
		calls.Add(1)
		*seen = srv.Events()
	}
	return req
}

func TestStreamedCallStartsAfterThePromptIsProcessed(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			reply := modeltest.JSON(sampleOutput())
			reply.Usage = modeltest.Usage{PromptTokens: 12000, CachedTokens: 11520, CompletionTokens: 640}
			// The fake takes a while to process the prompt, as a model
			// does: a client that took the service's acknowledgement
			// (response.created) for the start would call Started before
			// the prompt is processed.
			srv := modeltest.NewServer(t, modeltest.Always(reply), modeltest.WithLatency(30*time.Millisecond, 40*time.Millisecond))
			c := newClient(t, srv, api, nil)
			var calls atomic.Int32
			var seen []modeltest.Event
			res, err := c.Review(context.Background(), streamed(srv, &calls, &seen))
			if err != nil {
				t.Fatalf("Review: %v", err)
			}
			if !srv.Requests()[0].Stream {
				t.Error("the call did not ask for a stream")
			}
			if api == model.APIChat && !srv.Requests()[0].IncludeUsage {
				t.Error("the chat stream did not ask for usage")
			}
			if calls.Load() != 1 {
				t.Errorf("Started called %d times, want once", calls.Load())
			}
			if !slices.Contains(seen, modeltest.Event{Kind: modeltest.Processed, Request: 1}) {
				t.Errorf("Started was called before the prompt was processed; server events then: %v", seen)
			}
			if !reflect.DeepEqual(res.Output, sampleOutput()) {
				t.Errorf("Output = %+v", res.Output)
			}
			got := res.Usage
			got.DurationMS = 0
			if want := (finding.Usage{Model: "test-model", PromptTokens: 12000, CachedPromptTokens: 11520, CompletionTokens: 640, Calls: 1}); got != want {
				t.Errorf("Usage = %+v, want the provider's report %+v", got, want)
			}
		})
	}
}

// TestStreamedAnswers runs the answer shapes through the streaming path.
func TestStreamedAnswers(t *testing.T) {
	tests := []struct {
		name     string
		replies  []modeltest.Reply
		wantKind model.ErrorKind
		wantMsg  string
		wantReqs int
	}{
		{"repair after a truncated answer", []modeltest.Reply{{Text: `{"findings": [`, Truncated: true}, modeltest.JSON(sampleOutput())}, 0, "", 2},
		{"refusal", []modeltest.Reply{{Refusal: "I can't help with that."}}, model.KindRefused, "I can't help with that.", 1},
		{"connection cut mid-answer", []modeltest.Reply{{Text: "x", CutStream: true}}, model.KindUnavailable, "stopped streaming", 1},
		{"rate limited, then streamed", []modeltest.Reply{modeltest.Fail(modeltest.RateLimited()), modeltest.JSON(sampleOutput())}, 0, "", 2},
		{"rejected key", []modeltest.Reply{modeltest.Fail(modeltest.InvalidAPIKey())}, model.KindAuth, "OPENAI_API_KEY", 1},
	}
	for _, api := range apis {
		for _, tt := range tests {
			t.Run(api+"/"+tt.name, func(t *testing.T) {
				srv := modeltest.NewServer(t, modeltest.Queue(tt.replies...))
				c := newClient(t, srv, api, nil)
				var calls atomic.Int32
				var seen []modeltest.Event
				res, err := c.Review(context.Background(), streamed(srv, &calls, &seen))
				if tt.wantKind == 0 {
					if err != nil {
						t.Fatalf("Review: %v", err)
					}
					if !reflect.DeepEqual(res.Output, sampleOutput()) {
						t.Errorf("Output = %+v", res.Output)
					}
				} else if kind(err) != tt.wantKind || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("err = %v, want %v mentioning %q", err, tt.wantKind, tt.wantMsg)
				}
				if calls.Load() != 1 {
					t.Errorf("Started called %d times, want exactly once whatever happened", calls.Load())
				}
				reqs := srv.Requests()
				if len(reqs) != tt.wantReqs {
					t.Fatalf("server saw %d requests, want %d", len(reqs), tt.wantReqs)
				}
				if tt.name == "repair after a truncated answer" && reqs[1].Stream {
					t.Error("the repair call streamed; only the first call needs to")
				}
			})
		}
	}
}

func TestStreamingFallsBackForServersThatDoNotStream(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			plain := modeltest.JSON(sampleOutput())
			plain.NoStream = true
			srv := modeltest.NewServer(t, modeltest.Always(plain))
			c := newClient(t, srv, api, nil)
			var calls atomic.Int32
			var seen []modeltest.Event
			for i := range 2 {
				res, err := c.Review(context.Background(), streamed(srv, &calls, &seen))
				if err != nil {
					t.Fatalf("review %d: %v", i+1, err)
				}
				if !reflect.DeepEqual(res.Output, sampleOutput()) {
					t.Errorf("review %d: Output = %+v", i+1, res.Output)
				}
			}
			var streams []bool
			for _, r := range srv.Requests() {
				streams = append(streams, r.Stream)
			}
			// The first review learns that the server does not stream
			// and asks again plainly; the second does not try.
			if want := []bool{true, false, false}; !reflect.DeepEqual(streams, want) {
				t.Errorf("requests streamed: %v, want %v", streams, want)
			}
			if calls.Load() != 2 {
				t.Errorf("Started called %d times, want once per review", calls.Load())
			}
		})
	}
}
