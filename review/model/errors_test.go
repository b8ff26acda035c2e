package model_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/codex-review/codex-review/review/model"
)

func TestErrorKind(t *testing.T) {
	tests := []struct {
		kind      model.ErrorKind
		name      string
		temporary bool
	}{
		{model.KindAuth, "auth", false},
		{model.KindQuota, "quota", false},
		{model.KindRateLimited, "rate_limited", true},
		{model.KindUnavailable, "unavailable", true},
		{model.KindNotFound, "not_found", false},
		{model.KindBadRequest, "bad_request", false},
		{model.KindTimeout, "timeout", true},
		{model.KindCanceled, "canceled", false},
		{model.KindInvalidAnswer, "invalid_answer", true},
		{model.KindRefused, "refused", false},
		{model.ErrorKind(99), "kind(99)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.kind.String(); got != tt.name {
				t.Errorf("String = %q, want %q", got, tt.name)
			}
			e := &model.Error{Kind: tt.kind, Message: "m"}
			if got := e.Temporary(); got != tt.temporary {
				t.Errorf("Temporary = %v, want %v", got, tt.temporary)
			}
		})
	}
}

func TestErrorWrapping(t *testing.T) {
	e := &model.Error{Kind: model.KindTimeout, Message: "model call timed out", Err: context.DeadlineExceeded}
	wrapped := fmt.Errorf("review pass security: %w", e)
	var got *model.Error
	if !errors.As(wrapped, &got) || got.Kind != model.KindTimeout {
		t.Fatalf("errors.As through a wrap failed: %v", wrapped)
	}
	if !errors.Is(wrapped, context.DeadlineExceeded) {
		t.Error("errors.Is does not reach the cause")
	}
	if e.Error() != "model call timed out" {
		t.Errorf("Error() = %q, want the message", e.Error())
	}
}
