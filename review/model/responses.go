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

	r, err := c.resp.New(ctx, params, opts...)
	if err != nil {
		return nil, err
	}
	a := &answer{usage: finding.Usage{
		Model:              modelName(r.Model, c.cfg.Model),
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
