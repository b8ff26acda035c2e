// Package model is the review engine's client of an OpenAI-compatible
// model: it sends one focus pass (instructions and user messages) through
// the official SDK, over the Responses API or Chat Completions, asks for
// the §4.1 JSON with strict structured output where the endpoint supports
// it, parses the answer tolerantly, repairs invalid answers with a bounded
// follow-up, and reports usage and errors a person can act on.
package model

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/codex-review/codex-review/review/finding"
)

// Request is one model call of a focus pass.
type Request struct {
	// Instructions is the system part.
	Instructions string
	// Input are the user messages, in order. Put the long part shared by
	// every pass first and the per-pass part last, so that providers'
	// prompt caching applies across passes.
	Input []string
	// CacheKey, when set, is sent as prompt_cache_key so that requests
	// sharing a prefix are routed to the same cache.
	CacheKey string
	// Started, when set, makes the call stream its answer and is called
	// once, when the first output event arrives: the provider has then
	// processed the prompt, so its prefix is in the provider's cache and
	// requests sharing it can follow. Started is also called when the
	// call ends without such an event (an error, a server that does not
	// stream), so whoever waits on it never waits for nothing. It must
	// not block.
	Started func()
}

// Response is the parsed answer of a Review.
type Response struct {
	Output finding.Output
	// Usage sums every call the review needed, repairs included;
	// DurationMS is the wall time of the whole Review.
	Usage finding.Usage
	// Text is the raw text of the last answer.
	Text string
	// Dropped counts findings of the answer too broken to use (see
	// ParseAnswer); the others are in Output.
	Dropped int
	// Attempts counts HTTP requests sent, the SDK's retries and format
	// fallbacks included; Usage.Calls counts only answered calls.
	Attempts int
}

// outputFormat is how strictly the endpoint is asked for JSON. Endpoints
// that reject a format move the client one step down, never back up.
type outputFormat int32

const (
	formatJSONSchema outputFormat = iota
	formatJSONObject
	formatText
)

// Client calls one model endpoint. It is safe for concurrent use.
type Client struct {
	cfg     Config
	api     string
	host    string
	retries int
	chat    openai.ChatCompletionService
	resp    responses.ResponseService
	// format is the outputFormat learned from the endpoint's answers.
	format atomic.Int32
	// plainOnly is set once the endpoint answered a streamed request
	// with a plain body: it does not stream, so no later call asks it to.
	plainOnly atomic.Bool
}

// outputSchema is sent with every strict request; it is only read.
var outputSchema = OutputSchema()

// New checks cfg, applies its defaults and returns a client. It does not
// contact the endpoint.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configure model client: %w", err)
	}
	cfg = cfg.withDefaults()
	host, err := baseHost(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("configure model client: %w", err)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		// The SDK would fall back to http.DefaultClient, which any other
		// code in the process may reconfigure.
		hc = &http.Client{}
	}
	retries := max(cfg.MaxRetries, 0)
	// The services are built without openai.NewClient on purpose: it reads
	// OPENAI_* variables from the process environment, and the settings of
	// this client must come from Config alone.
	opts := []option.RequestOption{
		option.WithBaseURL(cfg.BaseURL),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(retries),
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
		if isAzureHost(host) {
			// Azure OpenAI authenticates keys through this header.
			opts = append(opts, option.WithHeader("api-key", cfg.APIKey))
		}
	}
	return &Client{
		cfg:     cfg,
		api:     cfg.ResolvedAPI(),
		host:    host,
		retries: retries,
		chat:    openai.NewChatCompletionService(opts...),
		resp:    responses.NewResponseService(opts...),
	}, nil
}

// API returns the API the client speaks: "responses" or "chat".
func (c *Client) API() string { return c.api }

// message is a turn added after the request's input: a previous answer and
// the request to repair it.
type message struct {
	assistant bool
	content   string
}

// answer is one call's result before parsing.
type answer struct {
	text      string
	truncated bool
	refusal   string
	usage     finding.Usage
}

// Review sends req, parses the answer and, when the answer is unusable
// (not JSON, failing validation, or cut off at the output limit), asks the
// model to repair it up to Config.RepairAttempts times. Errors are *Error.
// When at least one call was answered, the returned Response is non-nil
// even with an error, so that the usage of a failed review is still
// counted.
func (c *Client) Review(ctx context.Context, req Request) (*Response, error) {
	if len(req.Input) == 0 {
		return nil, &Error{Kind: KindBadRequest, Message: "model request has no input messages"}
	}
	start := time.Now()
	if req.Started != nil {
		req.Started = sync.OnceFunc(req.Started)
		defer req.Started()
	}
	res := &Response{}
	var followUp []message
	for repairs := 0; ; repairs++ {
		ans, err := c.complete(ctx, req, followUp, res)
		if ans != nil {
			res.Usage.Add(ans.usage)
		}
		if err != nil {
			return c.finish(res, start, err)
		}
		res.Text = ans.text
		if ans.refusal != "" {
			return c.finish(res, start, &Error{Kind: KindRefused,
				Message: "the model declined to review: " + truncate(oneLine(c.redact(ans.refusal)), providerMessageLimit)})
		}
		out, dropped, problem := ans.output()
		if problem == nil {
			res.Output, res.Dropped = out, dropped
			return c.finish(res, start, nil)
		}
		if repairs >= max(c.cfg.RepairAttempts, 0) {
			return c.finish(res, start, &Error{Kind: KindInvalidAnswer, Err: problem,
				Message: fmt.Sprintf("the model's answer is not valid review JSON after %d repair attempt(s): %s", repairs, truncate(problem.Error(), providerMessageLimit))})
		}
		// Only the latest answer goes back: the follow-up stays one
		// exchange long however many repairs are allowed.
		followUp = []message{{assistant: true, content: ans.text}, {content: repairPrompt(problem, ans.truncated)}}
	}
}

// finish stamps the duration and decides whether res goes back with err.
func (c *Client) finish(res *Response, start time.Time, err error) (*Response, error) {
	res.Usage.DurationMS = time.Since(start).Milliseconds()
	if res.Usage.Model == "" {
		res.Usage.Model = c.cfg.Model
	}
	if err != nil && res.Usage.Calls == 0 {
		return nil, err
	}
	return res, err
}

// errNotStreamed is returned by the streaming calls when the server
// answered without a single event: it ignored "stream" and sent a plain
// body, which the event decoder cannot read.
var errNotStreamed = errors.New("the endpoint did not stream")

// streamRefused reports whether err is an endpoint refusing to stream
// (some OpenAI-compatible servers reject "stream" or "stream_options"):
// the call is then made again without streaming.
func streamRefused(err error) bool {
	if errors.Is(err, errNotStreamed) {
		return true
	}
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || (apiErr.StatusCode != http.StatusBadRequest && apiErr.StatusCode != http.StatusUnprocessableEntity) {
		return false
	}
	return strings.Contains(strings.ToLower(apiErr.Param+" "+apiErr.Message+" "+apiErr.Code), "stream")
}

// streams reports whether a call with these turns should stream: only the
// first call of a request that waits for its start, and only on endpoints
// that stream.
func (c *Client) streams(req Request, followUp []message) bool {
	return req.Started != nil && len(followUp) == 0 && !c.plainOnly.Load()
}

// errTruncated marks an answer cut off at the output token limit.
var errTruncated = errors.New("the answer was cut off at the output token limit")

func (a *answer) output() (finding.Output, int, error) {
	if a.truncated {
		return finding.Output{}, 0, errTruncated
	}
	return ParseAnswer(a.text)
}

func repairPrompt(problem error, truncated bool) string {
	if truncated {
		return "Your previous answer was cut off before the end, so it is not valid JSON. " +
			"Answer again with the complete JSON object only, and make it shorter: " +
			"report only the most important findings and keep each body to one short paragraph."
	}
	return "Your previous answer could not be used: " + problem.Error() + ". " +
		"Answer again with only the corrected JSON object described in the instructions: " +
		"no prose and no Markdown code fences."
}

// complete makes one model call, stepping down the output format when the
// endpoint says it does not support the current one. An answer that came
// with an error is returned too, for its usage.
func (c *Client) complete(ctx context.Context, req Request, followUp []message, res *Response) (*answer, error) {
	parent := ctx
	if c.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	count := option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		res.Attempts++
		return next(r)
	})
	for {
		f := outputFormat(c.format.Load())
		var last *http.Response
		opts := []option.RequestOption{count, option.WithResponseInto(&last)}
		var (
			ans *answer
			err error
		)
		if c.api == APIResponses {
			ans, err = c.viaResponses(ctx, req, followUp, f, opts)
		} else {
			ans, err = c.viaChat(ctx, req, followUp, f, opts)
		}
		if err == nil {
			return ans, nil
		}
		var own *Error
		if errors.As(err, &own) {
			return ans, own
		}
		err = normaliseAPIError(err, last)
		if f < formatText && formatUnsupported(err) {
			// Only the first of concurrent callers moves the format; the
			// others see the new value on their next turn.
			c.format.CompareAndSwap(int32(f), int32(f+1))
			continue
		}
		timeout := c.cfg.Timeout
		if parent.Err() != nil {
			timeout = 0 // the caller's deadline, not ours
		}
		return nil, c.classify(err, timeout)
	}
}

// instructions returns the system text for format f: without server-side
// enforcement the schema has to be described to the model.
func instructions(base string, f outputFormat) string {
	if f == formatJSONSchema {
		return base
	}
	if base == "" {
		return formatInstruction
	}
	return base + "\n\n" + formatInstruction
}

func modelName(reported, configured string) string {
	if reported != "" {
		return reported
	}
	return configured
}
