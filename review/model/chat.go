package model

import (
	"context"
	"fmt"
	"strings"

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

	if c.streams(req, followUp) {
		a, err := c.streamChat(ctx, params, req.Started, opts)
		if !streamRefused(err) {
			return a, err
		}
		c.plainOnly.Store(true)
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
	return chatAnswer(a, choice.Message.Content, choice.Message.Refusal, choice.FinishReason), nil
}

// chatAnswer completes a with the text, refusal and finish reason of a
// chat answer.
func chatAnswer(a *answer, text, refusal, finish string) *answer {
	a.text, a.refusal = text, refusal
	switch finish {
	case "length":
		a.truncated = true
	case "content_filter":
		if a.refusal == "" {
			a.refusal = "the provider's content filter stopped the answer"
		}
	}
	return a
}

// streamChat makes the call as a stream, calls started at the first chunk
// that carries a choice (the model has begun to answer, so the prompt has
// been processed) and assembles the answer from the deltas. Usage comes in
// a last chunk of its own, which the request asks for.
func (c *Client) streamChat(ctx context.Context, params openai.ChatCompletionNewParams, started func(), opts []option.RequestOption) (*answer, error) {
	params.StreamOptions.IncludeUsage = openai.Bool(true)
	stream := c.chat.NewStreaming(ctx, params, opts...)
	defer stream.Close()
	var (
		text, refusal strings.Builder
		finish, name  string
		usage         openai.CompletionUsage
		gotUsage      bool
	)
	events := 0
	for stream.Next() {
		events++
		chunk := stream.Current()
		if chunk.Model != "" {
			name = chunk.Model
		}
		if chunk.JSON.Usage.Valid() && chunk.Usage.JSON.PromptTokens.Valid() {
			usage, gotUsage = chunk.Usage, true
		}
		if len(chunk.Choices) == 0 {
			continue
		}
		started()
		choice := chunk.Choices[0]
		text.WriteString(choice.Delta.Content)
		refusal.WriteString(choice.Delta.Refusal)
		if choice.FinishReason != "" {
			finish = choice.FinishReason
		}
	}
	if err := stream.Err(); err != nil {
		return nil, err
	}
	if events == 0 {
		return nil, errNotStreamed
	}
	a := &answer{usage: finding.Usage{Model: modelName(name, c.cfg.Model), Calls: 1}}
	if gotUsage {
		a.usage.PromptTokens = usage.PromptTokens
		a.usage.CachedPromptTokens = usage.PromptTokensDetails.CachedTokens
		a.usage.CompletionTokens = usage.CompletionTokens
	}
	if finish == "" {
		// The stream ended without saying why: the connection dropped
		// before the model finished.
		return a, &Error{Kind: KindUnavailable,
			Message: fmt.Sprintf("the model at %s stopped streaming before the answer was complete: retry later", c.host)}
	}
	return chatAnswer(a, text.String(), refusal.String(), finish), nil
}
