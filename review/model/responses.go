package model

import (
	"context"
	"fmt"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/codex-review/codex-review/review/finding"
)

// viaResponses makes one Responses API call: instructions, the input as
// user messages, then the follow-up turns.
func (c *Client) viaResponses(ctx context.Context, req Request, followUp []message, f outputFormat, opts []option.RequestOption) (*answer, error) {
	items := make(responses.ResponseInputParam, 0, len(req.Input)+len(followUp))
	for _, in := range req.Input {
		items = append(items, responses.ResponseInputItemParamOfMessage(in, responses.EasyInputMessageRoleUser))
	}
	for _, m := range followUp {
		role := responses.EasyInputMessageRoleUser
		if m.assistant {
			role = responses.EasyInputMessageRoleAssistant
		}
		items = append(items, responses.ResponseInputItemParamOfMessage(m.content, role))
	}
	params := responses.ResponseNewParams{
		Model: c.cfg.Model,
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: items},
		// Review prompts hold private code: do not keep them server-side.
		Store: openai.Bool(false),
	}
	if sys := instructions(req.Instructions, f); sys != "" {
		params.Instructions = openai.String(sys)
	}
	switch f {
	case formatJSONSchema:
		params.Text.Format.OfJSONSchema = &responses.ResponseFormatTextJSONSchemaConfigParam{
			Name:   schemaName,
			Strict: openai.Bool(true),
			Schema: outputSchema,
		}
	case formatJSONObject:
		params.Text.Format.OfJSONObject = &openai.ResponseFormatJSONObjectParam{}
	}
	if req.CacheKey != "" {
		params.PromptCacheKey = openai.String(req.CacheKey)
	}
	if c.cfg.MaxOutputTokens > 0 {
		params.MaxOutputTokens = openai.Int(c.cfg.MaxOutputTokens)
	}

	if c.streams(req, followUp) {
		a, err := c.streamResponses(ctx, params, req.Started, opts)
		if !streamRefused(err) {
			return a, err
		}
		c.plainOnly.Store(true)
	}
	r, err := c.resp.New(ctx, params, opts...)
	if err != nil {
		return nil, err
	}
	return c.responsesAnswer(r)
}

// responsesAnswer reads a finished response.
func (c *Client) responsesAnswer(r *responses.Response) (*answer, error) {
	a := &answer{usage: finding.Usage{Model: modelName(r.Model, c.cfg.Model),
		PromptTokens:       r.Usage.InputTokens,
		CachedPromptTokens: r.Usage.InputTokensDetails.CachedTokens,
		CompletionTokens:   r.Usage.OutputTokens,
		Calls:              1,
	}}
	switch r.Status {
	case responses.ResponseStatusFailed:
		msg := r.Error.Message
		if msg == "" {
			msg = "no reason given"
		}
		// The failed call may still have used tokens: a is returned too.
		return a, &Error{Kind: KindUnavailable,
			Message: fmt.Sprintf("the model at %s failed to answer (%s): %s", c.host, r.Error.Code, truncate(oneLine(c.redact(msg)), providerMessageLimit))}
	case responses.ResponseStatusIncomplete:
		if r.IncompleteDetails.Reason == "content_filter" {
			a.refusal = "the provider's content filter stopped the answer"
		} else {
			a.truncated = true
		}
	}
	a.text = r.OutputText()
	for _, item := range r.Output {
		for _, part := range item.Content {
			if part.Type == "refusal" && part.Refusal != "" {
				a.refusal = part.Refusal
			}
		}
	}
	return a, nil
}

// streamResponses makes the call as a stream and calls started at the
// first event about the output. The service acknowledges a request with
// response.created and response.in_progress (or response.queued) before it
// has looked at the prompt, so those do not count. The final event carries
// the whole response, usage included.
func (c *Client) streamResponses(ctx context.Context, params responses.ResponseNewParams, started func(), opts []option.RequestOption) (*answer, error) {
	stream := c.resp.NewStreaming(ctx, params, opts...)
	defer stream.Close()
	events := 0
	for stream.Next() {
		events++
		ev := stream.Current()
		switch ev.Type {
		case "response.created", "response.in_progress", "response.queued":
			continue
		case "response.completed", "response.incomplete", "response.failed":
			started()
			r := ev.Response
			return c.responsesAnswer(&r)
		case "error":
			msg := ev.Message
			if msg == "" {
				msg = "no reason given"
			}
			return nil, &Error{Kind: KindUnavailable,
				Message: fmt.Sprintf("the model at %s failed while answering (%s): %s", c.host, ev.Code, truncate(oneLine(c.redact(msg)), providerMessageLimit))}
		}
		started()
	}
	if err := stream.Err(); err != nil {
		return nil, err
	}
	if events == 0 {
		return nil, errNotStreamed
	}
	return nil, &Error{Kind: KindUnavailable,
		Message: fmt.Sprintf("the model at %s stopped streaming before the answer was complete: retry later", c.host)}
}
