package model_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review/model"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want model.Config
	}{
		{"defaults", nil, model.Config{BaseURL: "https://api.openai.com/v1", Model: "gpt-5-codex", API: "auto", MaxRetries: 3, RepairAttempts: 1}},
		{"all set", map[string]string{
			"OPENAI_API_KEY":  "sk-abc",
			"OPENAI_BASE_URL": "http://localhost:8000/v1",
			"CODEX_MODEL":     "qwen2.5-coder",
			"CODEX_MODEL_API": "chat",
		}, model.Config{APIKey: "sk-abc", BaseURL: "http://localhost:8000/v1", Model: "qwen2.5-coder", API: "chat", MaxRetries: 3, RepairAttempts: 1}},
		{"stray white space and case", map[string]string{
			"OPENAI_API_KEY":  "sk-abc\n",
			"CODEX_MODEL_API": " Responses ",
		}, model.Config{APIKey: "sk-abc", BaseURL: "https://api.openai.com/v1", Model: "gpt-5-codex", API: "responses", MaxRetries: 3, RepairAttempts: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := model.ConfigFromEnv(func(k string) string { return tt.env[k] })
			if got != tt.want {
				t.Errorf("ConfigFromEnv = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		cfg       model.Config
		wantErr   string // "" means valid
		wantNoKey bool
	}{
		{"openai with key", model.Config{APIKey: "sk-x"}, "", false},
		{"openai without key", model.Config{}, "OPENAI_API_KEY is not set", true},
		{"azure without key", model.Config{BaseURL: "https://acme.openai.azure.com/openai/v1"}, "acme.openai.azure.com", true},
		{"azure cognitive services without key", model.Config{BaseURL: "https://acme.cognitiveservices.azure.com/openai/v1"}, "OPENAI_API_KEY", true},
		{"openai host in upper case", model.Config{BaseURL: "https://API.OpenAI.com/v1"}, "OPENAI_API_KEY", true},
		{"ollama keyless", model.Config{BaseURL: "http://localhost:11434/v1"}, "", false},
		{"vllm keyless with port", model.Config{BaseURL: "http://10.0.0.5:8000/v1", API: "responses"}, "", false},
		{"unknown api", model.Config{APIKey: "k", API: "completions"}, "responses, chat or auto", false},
		{"relative base url", model.Config{APIKey: "k", BaseURL: "localhost:11434/v1"}, "http:// or https://", false},
		{"ftp base url", model.Config{APIKey: "k", BaseURL: "ftp://example.com/v1"}, "http:// or https://", false},
		{"base url without host", model.Config{APIKey: "k", BaseURL: "http:///v1"}, "no host", false},
		{"unparsable base url", model.Config{APIKey: "k", BaseURL: "http://[::1"}, "not a URL", false},
		{"negative timeout", model.Config{APIKey: "k", Timeout: -time.Second}, "negative", false},
		{"negative max tokens", model.Config{APIKey: "k", MaxOutputTokens: -1}, "negative", false},
		{"negative retries disable", model.Config{APIKey: "k", MaxRetries: -1, RepairAttempts: -1}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if _, err := model.New(tt.cfg); err != nil {
					t.Errorf("New rejects a valid config: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want an error mentioning %q", err, tt.wantErr)
			}
			if errors.Is(err, model.ErrNoAPIKey) != tt.wantNoKey {
				t.Errorf("errors.Is(err, ErrNoAPIKey) = %v, want %v", !tt.wantNoKey, tt.wantNoKey)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if _, nerr := model.New(tt.cfg); nerr == nil || errors.Is(nerr, model.ErrNoAPIKey) != tt.wantNoKey {
				t.Errorf("New = %v, want the Validate error wrapped", nerr)
			}
		})
	}
}

func TestResolvedAPI(t *testing.T) {
	tests := []struct {
		api, baseURL, want string
	}{
		{"", "", "responses"},
		{"auto", "https://api.openai.com/v1", "responses"},
		{"AUTO", "https://api.openai.com:443/v1", "responses"},
		{"auto", "https://acme.openai.azure.com/openai/v1", "chat"},
		{"auto", "http://localhost:11434/v1", "chat"},
		{"auto", "https://api.openai.com.evil.example/v1", "chat"},
		{"chat", "https://api.openai.com/v1", "chat"},
		{"responses", "http://localhost:8000/v1", "responses"},
	}
	for _, tt := range tests {
		t.Run(tt.api+" "+tt.baseURL, func(t *testing.T) {
			if got := (model.Config{API: tt.api, BaseURL: tt.baseURL}).ResolvedAPI(); got != tt.want {
				t.Errorf("ResolvedAPI = %q, want %q", got, tt.want)
			}
		})
	}
}
