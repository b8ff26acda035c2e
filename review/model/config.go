package model

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults applied to zero fields of a Config (design §4.3).
const (
	DefaultBaseURL        = "https://api.openai.com/v1"
	DefaultModel          = "gpt-5-codex"
	DefaultMaxRetries     = 3
	DefaultRepairAttempts = 1
)

// The values of Config.API.
const (
	APIAuto      = "auto"
	APIResponses = "responses"
	APIChat      = "chat"
)

// openAIHost is the only host where "auto" picks the Responses API: other
// OpenAI-compatible servers implement Chat Completions far more often.
const openAIHost = "api.openai.com"

// Azure OpenAI resource hosts end in one of these; they need a key.
var azureHostSuffixes = []string{".openai.azure.com", ".cognitiveservices.azure.com"}

// ErrNoAPIKey is returned by Validate when the endpoint needs a key and none
// is configured. The message is meant to be shown to the user as it is.
var ErrNoAPIKey = errors.New("OPENAI_API_KEY is not set: export it, or set OPENAI_BASE_URL to a keyless OpenAI-compatible server (e.g. http://localhost:11434/v1 for Ollama)")

// Config says which model endpoint to call and how patiently.
type Config struct {
	// APIKey is sent as a bearer token; it may be empty for keyless local
	// servers (vLLM, Ollama, llama.cpp).
	APIKey string
	// BaseURL of the OpenAI-compatible API, including the version path
	// (default https://api.openai.com/v1).
	BaseURL string
	// Model name (default gpt-5-codex).
	Model string
	// API is "responses", "chat" or "auto" (default): auto uses the
	// Responses API on api.openai.com and Chat Completions elsewhere.
	API string
	// MaxRetries bounds the SDK's retries of 408/409/429/5xx and network
	// errors per call. 0 means the default (3); a negative value disables
	// retries.
	MaxRetries int
	// Timeout bounds each model call, retries included. 0 leaves only the
	// caller's context deadline.
	Timeout time.Duration
	// RepairAttempts bounds the follow-up calls that ask the model to fix
	// an answer that is not valid review JSON. 0 means the default (1); a
	// negative value disables repair.
	RepairAttempts int
	// MaxOutputTokens caps the answer length; 0 leaves it to the server.
	MaxOutputTokens int64
	// HTTPClient carries the requests; nil uses a client of this package's
	// own, so that the process-wide http.DefaultClient is never touched.
	HTTPClient *http.Client
}

// ConfigFromEnv reads the model settings of design §4.3 through getenv
// (os.Getenv in production) and fills in the defaults.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		APIKey:  strings.TrimSpace(getenv("OPENAI_API_KEY")),
		BaseURL: strings.TrimSpace(getenv("OPENAI_BASE_URL")),
		Model:   strings.TrimSpace(getenv("CODEX_MODEL")),
		API:     strings.TrimSpace(getenv("CODEX_MODEL_API")),
	}.withDefaults()
}

// withDefaults returns c with every zero field set to its default and the
// API name normalised.
func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.Model == "" {
		c.Model = DefaultModel
	}
	c.API = strings.ToLower(strings.TrimSpace(c.API))
	if c.API == "" {
		c.API = APIAuto
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.RepairAttempts == 0 {
		c.RepairAttempts = DefaultRepairAttempts
	}
	return c
}

// Validate reports the first setting that cannot work, with defaults
// applied first. A missing key on an endpoint that needs one wraps
// ErrNoAPIKey.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch c.API {
	case APIAuto, APIResponses, APIChat:
	default:
		return fmt.Errorf("CODEX_MODEL_API %q is not supported: want responses, chat or auto", c.API)
	}
	host, err := baseHost(c.BaseURL)
	if err != nil {
		return err
	}
	if c.Timeout < 0 {
		return fmt.Errorf("model timeout %s is negative", c.Timeout)
	}
	if c.MaxOutputTokens < 0 {
		return fmt.Errorf("model max output tokens %d is negative", c.MaxOutputTokens)
	}
	if c.APIKey == "" {
		if host == openAIHost {
			return ErrNoAPIKey
		}
		if isAzureHost(host) {
			return fmt.Errorf("Azure OpenAI endpoint %s needs a key: %w", host, ErrNoAPIKey)
		}
	}
	return nil
}

// ResolvedAPI is the API the client will speak: "responses" or "chat".
func (c Config) ResolvedAPI() string {
	c = c.withDefaults()
	if c.API != APIAuto {
		return c.API
	}
	if host, err := baseHost(c.BaseURL); err == nil && host == openAIHost {
		return APIResponses
	}
	return APIChat
}

// baseHost checks that raw is an absolute http(s) URL and returns its
// lower-cased host name without port.
func baseHost(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("OPENAI_BASE_URL %q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("OPENAI_BASE_URL %q must start with http:// or https://", raw)
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("OPENAI_BASE_URL %q has no host", raw)
	}
	return strings.ToLower(u.Hostname()), nil
}

func isAzureHost(host string) bool {
	for _, s := range azureHostSuffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}
