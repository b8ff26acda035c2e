package model

import (
	"context"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/codex-review/codex-review/review/finding"
)

// viaChat makes one Chat Completions call: a system message, the input as
// user messages, then the follow-up turns.
func (c *Client) viaChat(ctx context.Context, req Request, followUp []message, f outputFormat, opts []option.RequestOption) (*answer, error) {
	msgs := make([]openai.ChatCompletionMessageParamUnion, 0, 1+len(req.Input)+len(followUp))
	if sys := instructions(req.Instructions, f); sys != "" {
		msgs = append(msgs, openai.SystemMessage(sys))
	}
	for _, in := range req.Input {
		msgs = append(msgs, openai.UserMessage(in))
	}
	for _, m := range followUp {
		if m.assistant {
			msgs = append(msgs, openai.AssistantMessage(m.content))
		} else {
			msgs = append(msgs, openai.UserMessage(m.content))
		}
	}
	params := openai.ChatCompletionNewParams{Model: c.cfg.Model, Messages: msgs}
	switch f {
	case formatJSONSchema:
		params.ResponseFormat.OfJSONSchema = &openai.ResponseFormatJSONSchemaParam{
			JSONSchema: openai.ResponseFormatJSONSchemaJSONSchemaParam{
				Name:   schemaName,
				Strict: openai.Bool(true),
				Schema: outputSchema,
			},
		}
	case formatJSONObject:
		params.ResponseFormat.OfJSONObject = &openai.ResponseFormatJSONObjectParam{}
	}
	if req.CacheKey != "" {
		params.PromptCacheKey = openai.String(req.CacheKey)
	}
	if c.cfg.MaxOutputTokens > 0 {
		params.MaxCompletionTokens = openai.Int(c.cfg.MaxOutputTokens)
	}

	cc, err := c.chat.New(ctx, params, opts...)
	if err != nil {
		return nil, err
	}
	a := &answer{usage: finding.Usage{
		Model:              modelName(cc.Model, c.cfg.Model),
		PromptTokens:       cc.Usage.PromptTokens,
		CachedPromptTokens: cc.Usage.PromptTokensDetails.CachedTokens,
		CompletionTokens:   cc.Usage.CompletionTokens,
		Calls:              1,
	}}
	if len(cc.Choices) == 0 {
		// Parsed as an empty text, which fails and gets a repair.
		return a, nil
	}
	choice := cc.Choices[0]
	a.text = choice.Message.Content
	a.refusal = choice.Message.Refusal
	switch choice.FinishReason {
	case "length":
		a.truncated = true
	case "content_filter":
		if a.refusal == "" {
			a.refusal = "the provider's content filter stopped the answer"
		}
	}
	return a, nil
}
