package model_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

func TestReviewRequestsStructuredOutput(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			srv := modeltest.NewServer(t, modeltest.Queue(modeltest.JSON(sampleOutput())))
			c := newClient(t, srv, api, func(c *model.Config) { c.MaxOutputTokens = 4000 })

			res, err := c.Review(context.Background(), reviewRequest())
			if err != nil {
				t.Fatalf("Review: %v", err)
			}
			if !reflect.DeepEqual(res.Output, sampleOutput()) {
				t.Errorf("Output = %+v, want %+v", res.Output, sampleOutput())
			}

			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			got := reqs[0]
			if got.API != modeltest.API(api) {
				t.Errorf("API = %q, want %q", got.API, api)
			}
			if got.Model != "test-model" {
				t.Errorf("model = %q", got.Model)
			}
			if got.Instructions != "You review pull requests." {
				t.Errorf("instructions = %q", got.Instructions)
			}
			if want := reviewRequest().Input; !reflect.DeepEqual(got.UserMessages, want) {
				t.Errorf("user messages = %q, want %q (shared part first)", got.UserMessages, want)
			}
			if got.ResponseFormat != modeltest.FormatJSONSchema || !got.Strict || got.SchemaName == "" {
				t.Errorf("format = %q strict=%v name=%q, want strict json_schema", got.ResponseFormat, got.Strict, got.SchemaName)
			}
			var schema map[string]any
			if err := json.Unmarshal(got.Schema, &schema); err != nil {
				t.Fatalf("schema sent is not JSON: %v", err)
			}
			if !reflect.DeepEqual(schema, roundTrip(t, model.OutputSchema())) {
				t.Errorf("schema sent differs from OutputSchema()")
			}
			if got.CacheKey != "codex-review:o/r#1" {
				t.Errorf("prompt_cache_key = %q", got.CacheKey)
			}
			if got.MaxOutputTokens != 4000 {
				t.Errorf("max output tokens = %d, want 4000", got.MaxOutputTokens)
			}
			if h := got.Header.Get("Authorization"); h != "Bearer sk-test-key" {
				t.Errorf("Authorization = %q", h)
			}
		})
	}
}

// roundTrip returns v as encoding/json would decode it, for comparisons
// with decoded request bodies.
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReviewOmitsUnsetOptions(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			srv := modeltest.NewServer(t, modeltest.Queue(modeltest.JSON(sampleOutput())))
			c := newClient(t, srv, api, func(c *model.Config) { c.APIKey = "" })
			req := reviewRequest()
			req.CacheKey = ""
			if _, err := c.Review(context.Background(), req); err != nil {
				t.Fatalf("Review: %v", err)
			}
			got := srv.Requests()[0]
			if got.CacheKey != "" || strings.Contains(string(got.Body), "prompt_cache_key") {
				t.Errorf("prompt_cache_key sent without a cache key: %s", got.Body)
			}
			if got.MaxOutputTokens != 0 {
				t.Errorf("max tokens sent without a limit: %d", got.MaxOutputTokens)
			}
			if h := got.Header.Get("Authorization"); h != "" {
				t.Errorf("keyless client sent Authorization %q", h)
			}
		})
	}
}

func TestAutoAPIAndAzureKeyHeader(t *testing.T) {
	tests := []struct {
		name, baseURL string
		wantAPI       modeltest.API
		wantAPIKeyHdr bool
	}{
		{"openai uses responses", "https://api.openai.com/v1", modeltest.Responses, false},
		{"azure uses chat with api-key", "https://acme.openai.azure.com/openai/v1", modeltest.Chat, true},
		{"local server uses chat", "http://localhost:11434/v1", modeltest.Chat, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := modeltest.NewServer(t, modeltest.Queue(modeltest.JSON(sampleOutput())))
			c, err := model.New(model.Config{APIKey: "sk-test-key", BaseURL: tt.baseURL, HTTPClient: redirectingClient(t, srv)})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.API() != string(tt.wantAPI) {
				t.Errorf("API() = %q, want %q", c.API(), tt.wantAPI)
			}
			if _, err := c.Review(context.Background(), reviewRequest()); err != nil {
				t.Fatalf("Review: %v", err)
			}
			got := srv.Requests()[0]
			if got.API != tt.wantAPI {
				t.Errorf("request went to %q, want %q", got.API, tt.wantAPI)
			}
			if got.Model != model.DefaultModel {
				t.Errorf("model = %q, want the default %q", got.Model, model.DefaultModel)
			}
			if hdr := got.Header.Get("Api-Key") == "sk-test-key"; hdr != tt.wantAPIKeyHdr {
				t.Errorf("api-key header present = %v, want %v", hdr, tt.wantAPIKeyHdr)
			}
		})
	}
}

func TestFormatFallback(t *testing.T) {
	tests := []struct {
		name     string
		rejected []string
		// want is the format of each request of the first review.
		want []string
	}{
		{"json_schema rejected", []string{modeltest.FormatJSONSchema},
			[]string{modeltest.FormatJSONSchema, modeltest.FormatJSONObject}},
		{"json_schema and json_object rejected", []string{modeltest.FormatJSONSchema, modeltest.FormatJSONObject},
			[]string{modeltest.FormatJSONSchema, modeltest.FormatJSONObject, modeltest.FormatNone}},
	}
	for _, api := range apis {
		for _, tt := range tests {
			t.Run(api+"/"+tt.name, func(t *testing.T) {
				srv := modeltest.NewServer(t, modeltest.RejectFormats(modeltest.Always(modeltest.JSON(sampleOutput())), tt.rejected...))
				c := newClient(t, srv, api, nil)

				res, err := c.Review(context.Background(), reviewRequest())
				if err != nil {
					t.Fatalf("Review: %v", err)
				}
				if res.Attempts != len(tt.want) || res.Usage.Calls != 1 {
					t.Errorf("attempts = %d, calls = %d; want %d attempts, 1 call", res.Attempts, res.Usage.Calls, len(tt.want))
				}
				reqs := srv.Requests()
				if len(reqs) != len(tt.want) {
					t.Fatalf("server saw %d requests, want %d", len(reqs), len(tt.want))
				}
				for i, r := range reqs {
					if r.ResponseFormat != tt.want[i] {
						t.Errorf("request %d format = %q, want %q", i, r.ResponseFormat, tt.want[i])
					}
					described := strings.Contains(r.Instructions, `"overall_correctness"`)
					if wantDescribed := i > 0; described != wantDescribed {
						t.Errorf("request %d describes the schema in the instructions = %v, want %v", i, described, wantDescribed)
					}
					if !strings.HasPrefix(r.Instructions, "You review pull requests.") {
						t.Errorf("request %d lost the caller's instructions: %q", i, r.Instructions)
					}
				}

				// The client remembers: the next review starts at the format that worked.
				if _, err := c.Review(context.Background(), reviewRequest()); err != nil {
					t.Fatalf("second Review: %v", err)
				}
				reqs = srv.Requests()
				if last := reqs[len(reqs)-1]; len(reqs) != len(tt.want)+1 || last.ResponseFormat != tt.want[len(tt.want)-1] {
					t.Errorf("second review sent %d more requests, last format %q; want 1 with %q",
						len(reqs)-len(tt.want), last.ResponseFormat, tt.want[len(tt.want)-1])
				}
			})
		}
	}
}

func TestFormatFallbackConcurrent(t *testing.T) {
	srv := modeltest.NewServer(t, modeltest.RejectJSONSchema(modeltest.Always(modeltest.JSON(sampleOutput()))))
	c := newClient(t, srv, model.APIChat, nil)

	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := c.Review(context.Background(), reviewRequest()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Review: %v", err)
	}
	for i, r := range srv.Requests() {
		if r.ResponseFormat == modeltest.FormatNone {
			t.Errorf("request %d stepped past json_object, which the server supports", i)
		}
	}
}

func TestBadRequestUnrelatedToFormatIsNotAFallback(t *testing.T) {
	srv := modeltest.NewServer(t, modeltest.Always(modeltest.Fail(modeltest.ErrorReply{
		Status: 400, Type: "invalid_request_error", Param: "messages", Message: "messages must not be empty"})))
	c := newClient(t, srv, model.APIChat, nil)
	_, err := c.Review(context.Background(), reviewRequest())
	if kind(err) != model.KindBadRequest {
		t.Fatalf("err = %v, want bad_request", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1 (no fallback, no retry)", n)
	}
}

func TestTolerantAnswers(t *testing.T) {
	body, err := json.Marshal(sampleOutput())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, text string }{
		{"fenced", "```json\n" + string(body) + "\n```"},
		{"prose around", "Here is my review:\n" + string(body) + "\nLet me know if you need more."},
	}
	for _, api := range apis {
		for _, tt := range tests {
			t.Run(api+"/"+tt.name, func(t *testing.T) {
				srv := modeltest.NewServer(t, modeltest.Queue(modeltest.Text(tt.text)))
				c := newClient(t, srv, api, nil)
				res, err := c.Review(context.Background(), reviewRequest())
				if err != nil {
					t.Fatalf("Review: %v", err)
				}
				if !reflect.DeepEqual(res.Output, sampleOutput()) {
					t.Errorf("Output = %+v", res.Output)
				}
				if res.Text != tt.text {
					t.Errorf("Text = %q, want the raw answer", res.Text)
				}
			})
		}
	}
}

func TestRepair(t *testing.T) {
	good := modeltest.JSON(sampleOutput())
	tests := []struct {
		name    string
		first   modeltest.Reply
		wantErr string // expected in the repair message
	}{
		{"unclosed", modeltest.Text(`{"findings": [`), "never closed"},
		{"malformed", modeltest.Text(`{"findings": [], "overall_correctness": "patch is correct",}`), "invalid JSON"},
		{"findings not a list", modeltest.Text(`{"findings":{"title":"[P1] x","body":"y","priority":1}}`), "must be a list"},
		{"truncated", modeltest.Reply{Text: `{"findings": [{"title": "[P1] Clo`, Truncated: true}, "cut off"},
	}
	for _, api := range apis {
		for _, tt := range tests {
			t.Run(api+"/"+tt.name, func(t *testing.T) {
				first := tt.first
				first.Usage = modeltest.Usage{PromptTokens: 1000, CachedTokens: 0, CompletionTokens: 50}
				second := good
				second.Usage = modeltest.Usage{PromptTokens: 1100, CachedTokens: 1000, CompletionTokens: 200}
				srv := modeltest.NewServer(t, modeltest.Queue(first, second))
				c := newClient(t, srv, api, nil)

				res, err := c.Review(context.Background(), reviewRequest())
				if err != nil {
					t.Fatalf("Review: %v", err)
				}
				if !reflect.DeepEqual(res.Output, sampleOutput()) {
					t.Errorf("Output = %+v", res.Output)
				}
				want := finding.Usage{Model: "test-model", PromptTokens: 2100, CachedPromptTokens: 1000, CompletionTokens: 250, Calls: 2}
				got := res.Usage
				got.DurationMS = 0
				if got != want {
					t.Errorf("Usage = %+v, want %+v", got, want)
				}

				reqs := srv.Requests()
				if len(reqs) != 2 {
					t.Fatalf("server saw %d requests, want 2", len(reqs))
				}
				msgs := reqs[1].Messages
				if len(msgs) != 4 {
					t.Fatalf("repair request has %d turns, want input (2), previous answer, repair prompt: %+v", len(msgs), msgs)
				}
				if msgs[2].Role != "assistant" || msgs[2].Content != tt.first.Text {
					t.Errorf("turn 3 = %+v, want the previous answer as assistant", msgs[2])
				}
				if msgs[3].Role != "user" || !strings.Contains(msgs[3].Content, tt.wantErr) {
					t.Errorf("repair prompt = %q, want it to mention %q", msgs[3].Content, tt.wantErr)
				}
				if reqs[1].ResponseFormat != modeltest.FormatJSONSchema || reqs[1].CacheKey != reqs[0].CacheKey {
					t.Errorf("repair request changed format or cache key: %q %q", reqs[1].ResponseFormat, reqs[1].CacheKey)
				}
			})
		}
	}
}

func TestRepairGivesUp(t *testing.T) {
	tests := []struct {
		name      string
		repairs   int
		wantCalls int
	}{
		{"default one repair", 0, 2},
		{"two repairs", 2, 3},
		{"repair disabled", -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := modeltest.NewServer(t, modeltest.Always(modeltest.Text("I could not find any problems.")))
			c := newClient(t, srv, model.APIChat, func(c *model.Config) { c.RepairAttempts = tt.repairs })
			res, err := c.Review(context.Background(), reviewRequest())
			if kind(err) != model.KindInvalidAnswer {
				t.Fatalf("err = %v, want invalid_answer", err)
			}
			if res == nil || res.Usage.Calls != tt.wantCalls {
				t.Fatalf("response = %+v, want usage of %d calls alongside the error", res, tt.wantCalls)
			}
			if n := len(srv.Requests()); n != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", n, tt.wantCalls)
			}
			for i, r := range srv.Requests() {
				if len(r.Messages) > 4 {
					t.Errorf("request %d has %d turns: the follow-up must stay one exchange", i, len(r.Messages))
				}
			}
		})
	}
}

func TestRefusal(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			srv := modeltest.NewServer(t, modeltest.Queue(modeltest.Reply{Refusal: "I can't help with that."}))
			c := newClient(t, srv, api, nil)
			res, err := c.Review(context.Background(), reviewRequest())
			if kind(err) != model.KindRefused || !strings.Contains(err.Error(), "I can't help with that.") {
				t.Fatalf("err = %v, want refused with the model's words", err)
			}
			if res == nil || res.Usage.Calls != 1 {
				t.Errorf("response = %+v, want the usage of the one call", res)
			}
		})
	}
}

func TestResponsesFailedStatus(t *testing.T) {
	srv := modeltest.NewServer(t, modeltest.Queue(modeltest.Reply{Failed: "The model ran out of capacity.",
		Usage: modeltest.Usage{PromptTokens: 900, CompletionTokens: 3}}))
	c := newClient(t, srv, model.APIResponses, nil)
	res, err := c.Review(context.Background(), reviewRequest())
	if kind(err) != model.KindUnavailable || !strings.Contains(err.Error(), "ran out of capacity") {
		t.Fatalf("err = %v, want unavailable with the server's reason", err)
	}
	if res == nil || res.Usage.PromptTokens != 900 || res.Usage.Calls != 1 {
		t.Errorf("response = %+v, want the failed call's usage", res)
	}
}

func TestRetriesAndErrors(t *testing.T) {
	const key = "sk-secret-0123456789"
	echoKey := modeltest.ErrorReply{Status: 401, Type: "invalid_request_error", Code: "invalid_api_key",
		Message: "Incorrect API key provided: " + key + "."}
	tests := []struct {
		name         string
		handler      modeltest.Handler
		maxRetries   int
		wantKind     model.ErrorKind // 0: success
		wantStatus   int
		wantRequests int
		wantInMsg    string
	}{
		{"429 twice then success", modeltest.FailThen(2, modeltest.RateLimited(), modeltest.Always(modeltest.JSON(sampleOutput()))),
			0, 0, 0, 3, ""},
		{"500 until retries run out", modeltest.Always(modeltest.Fail(modeltest.ServerError(500))),
			0, model.KindUnavailable, 500, 4, "HTTP 500"},
		{"503 with one retry", modeltest.Always(modeltest.Fail(modeltest.ServerError(503))),
			1, model.KindUnavailable, 503, 2, "after 1 retries"},
		{"no retries", modeltest.Always(modeltest.Fail(modeltest.ServerError(502))),
			-1, model.KindUnavailable, 502, 1, "HTTP 502"},
		{"rate limit never lifts", modeltest.Always(modeltest.Fail(modeltest.RateLimited())),
			2, model.KindRateLimited, 429, 3, "CODEX_WORKERS"},
		{"insufficient quota", modeltest.Always(modeltest.Fail(modeltest.InsufficientQuota())),
			-1, model.KindQuota, 429, 1, "add credit"},
		{"401", modeltest.RequireAPIKey("another-key", modeltest.Always(modeltest.JSON(sampleOutput()))),
			0, model.KindAuth, 401, 1, "OPENAI_API_KEY"},
		{"401 echoing the key", modeltest.Always(modeltest.Fail(echoKey)),
			0, model.KindAuth, 401, 1, "[redacted]"},
		{"403", modeltest.Always(modeltest.Fail(modeltest.ErrorReply{Status: 403, Type: "invalid_request_error", Message: "Project does not have access to model"})),
			0, model.KindAuth, 403, 1, "does not have access"},
		{"404 model", modeltest.Always(modeltest.Fail(modeltest.ErrorReply{Status: 404, Type: "invalid_request_error", Code: "model_not_found", Message: "The model `test-model` does not exist"})),
			0, model.KindNotFound, 404, 1, "CODEX_MODEL"},
		{"context too long", modeltest.Always(modeltest.Fail(modeltest.ErrorReply{Status: 400, Type: "invalid_request_error", Code: "context_length_exceeded", Message: "This model's maximum context length is 8192 tokens."})),
			0, model.KindBadRequest, 400, 1, "max_input_tokens"},
		{"plain text 502 from a proxy", modeltest.Always(modeltest.Fail(modeltest.ErrorReply{Status: 502, RawBody: "upstream connect error", Header: modeltest.ServerError(502).Header})),
			0, model.KindUnavailable, 502, 4, "upstream connect error"},
		{"error as a string", modeltest.Always(modeltest.Fail(modeltest.ErrorReply{Status: 400, RawBody: `{"error":"model is required"}`})),
			0, model.KindBadRequest, 400, 1, "model is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := modeltest.NewServer(t, tt.handler)
			c := newClient(t, srv, model.APIChat, func(c *model.Config) {
				c.APIKey = key
				c.MaxRetries = tt.maxRetries
			})
			res, err := c.Review(context.Background(), reviewRequest())
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("server saw %d requests, want %d", n, tt.wantRequests)
			}
			if tt.wantKind == 0 {
				if err != nil {
					t.Fatalf("Review: %v", err)
				}
				if res.Attempts != tt.wantRequests || res.Usage.Calls != 1 {
					t.Errorf("attempts = %d, calls = %d; want %d attempts and 1 answered call", res.Attempts, res.Usage.Calls, tt.wantRequests)
				}
				return
			}
			var me *model.Error
			if !errors.As(err, &me) {
				t.Fatalf("err = %v (%T), want *model.Error", err, err)
			}
			if me.Kind != tt.wantKind || me.Status != tt.wantStatus {
				t.Errorf("kind, status = %v, %d; want %v, %d", me.Kind, me.Status, tt.wantKind, tt.wantStatus)
			}
			if !strings.Contains(me.Message, tt.wantInMsg) {
				t.Errorf("message %q does not mention %q", me.Message, tt.wantInMsg)
			}
			if strings.Contains(me.Error(), key) {
				t.Errorf("message leaks the API key: %q", me.Error())
			}
			if strings.Contains(me.Message, "\n") {
				t.Errorf("message is not one line: %q", me.Message)
			}
			if res != nil {
				t.Errorf("response = %+v, want nil when no call was answered", res)
			}
		})
	}
}

// blockingServer answers nothing until the test ends; arrived receives a
// value when a request reaches the handler.
func blockingServer(t *testing.T) (srv *modeltest.Server, arrived <-chan struct{}) {
	t.Helper()
	release := make(chan struct{})
	in := make(chan struct{}, 16)
	srv = modeltest.NewServer(t, func(modeltest.Request) modeltest.Reply {
		in <- struct{}{}
		<-release
		return modeltest.JSON(sampleOutput())
	})
	// Registered after the server, so it runs first and unblocks handlers
	// before the server waits for them.
	t.Cleanup(func() { close(release) })
	return srv, in
}

func TestTimeoutAndCancel(t *testing.T) {
	t.Run("config timeout", func(t *testing.T) {
		srv, _ := blockingServer(t)
		c := newClient(t, srv, model.APIChat, func(c *model.Config) { c.Timeout = 10 * time.Millisecond })
		_, err := c.Review(context.Background(), reviewRequest())
		if kind(err) != model.KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want timeout wrapping context.DeadlineExceeded", err)
		}
		if !strings.Contains(err.Error(), "10ms") {
			t.Errorf("message %q does not say which timeout passed", err)
		}
	})
	t.Run("caller deadline", func(t *testing.T) {
		srv, _ := blockingServer(t)
		c := newClient(t, srv, model.APIResponses, func(c *model.Config) { c.Timeout = time.Hour })
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
		defer cancel()
		_, err := c.Review(ctx, reviewRequest())
		if kind(err) != model.KindTimeout {
			t.Fatalf("err = %v, want timeout", err)
		}
		if strings.Contains(err.Error(), "1h0m0s") {
			t.Errorf("message %q blames the client timeout for the caller's deadline", err)
		}
	})
	t.Run("cancelled mid-call", func(t *testing.T) {
		srv, arrived := blockingServer(t)
		c := newClient(t, srv, model.APIChat, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-arrived
			cancel()
		}()
		_, err := c.Review(ctx, reviewRequest())
		if kind(err) != model.KindCanceled || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want canceled", err)
		}
	})
}

func TestCachedUsage(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			reply := modeltest.JSON(sampleOutput())
			reply.Usage = modeltest.Usage{PromptTokens: 12000, CachedTokens: 11520, CompletionTokens: 640}
			reply.Model = "test-model-2025-09-15"
			srv := modeltest.NewServer(t, modeltest.Queue(reply))
			c := newClient(t, srv, api, nil)
			res, err := c.Review(context.Background(), reviewRequest())
			if err != nil {
				t.Fatalf("Review: %v", err)
			}
			want := finding.Usage{Model: "test-model-2025-09-15", PromptTokens: 12000, CachedPromptTokens: 11520, CompletionTokens: 640, Calls: 1}
			got := res.Usage
			got.DurationMS = 0
			if got != want {
				t.Errorf("Usage = %+v, want %+v", got, want)
			}
		})
	}
}

func TestReviewWithoutInput(t *testing.T) {
	srv := modeltest.NewServer(t, modeltest.Queue())
	c := newClient(t, srv, model.APIChat, nil)
	if _, err := c.Review(context.Background(), model.Request{Instructions: "x"}); kind(err) != model.KindBadRequest {
		t.Fatalf("err = %v, want bad_request", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("server saw %d requests, want none", n)
	}
}

// kind returns the ErrorKind of err, 0 when err is not a *model.Error.
func kind(err error) model.ErrorKind {
	var me *model.Error
	if errors.As(err, &me) {
		return me.Kind
	}
	return 0
}
