package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
)

// ErrorKind says what went wrong with a model call, in terms of what the
// person running the review can do about it.
type ErrorKind int

// The kinds of Error.
const (
	// KindAuth: the endpoint rejected the key (401) or its permissions (403).
	KindAuth ErrorKind = iota + 1
	// KindQuota: the account has no credit left (429 insufficient_quota).
	KindQuota
	// KindRateLimited: still rate limited after the SDK's retries.
	KindRateLimited
	// KindUnavailable: 5xx, 409 or network failure after the retries.
	KindUnavailable
	// KindNotFound: the endpoint or the model does not exist (404).
	KindNotFound
	// KindBadRequest: the endpoint refused the request itself (other 4xx).
	KindBadRequest
	// KindTimeout: the call's deadline passed (context or Config.Timeout).
	KindTimeout
	// KindCanceled: the caller cancelled the context.
	KindCanceled
	// KindInvalidAnswer: the answer stayed unusable after the repair calls.
	KindInvalidAnswer
	// KindRefused: the model declined to answer.
	KindRefused
)

var kindNames = map[ErrorKind]string{
	KindAuth:          "auth",
	KindQuota:         "quota",
	KindRateLimited:   "rate_limited",
	KindUnavailable:   "unavailable",
	KindNotFound:      "not_found",
	KindBadRequest:    "bad_request",
	KindTimeout:       "timeout",
	KindCanceled:      "canceled",
	KindInvalidAnswer: "invalid_answer",
	KindRefused:       "refused",
}

// String returns a short snake_case name, suitable for metrics labels.
func (k ErrorKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the final error of a model call. Message is one line a person
// can act on and never contains the API key; Err keeps the cause for
// errors.Is / errors.As.
type Error struct {
	Kind ErrorKind
	// Status is the HTTP status of the last answer, 0 when there was none.
	Status  int
	Message string
	Err     error
}

// Error returns Message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether running the same review later may succeed
// without anyone changing anything.
func (e *Error) Temporary() bool {
	switch e.Kind {
	case KindRateLimited, KindUnavailable, KindTimeout, KindInvalidAnswer:
		return true
	default:
		return false
	}
}

// providerMessageLimit keeps an echoed provider message to one readable line.
const providerMessageLimit = 300

// classify turns an error of the SDK into an *Error. It runs after the SDK
// has spent its retries, so 429 and 5xx here are final.
func (c *Client) classify(err error, timeout time.Duration) *Error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		msg := "model call timed out"
		if timeout > 0 {
			msg = fmt.Sprintf("model call timed out after %s", timeout)
		}
		return &Error{Kind: KindTimeout, Err: err,
			Message: msg + ": the model at " + c.host + " answered too slowly; retry, raise the timeout, or review fewer files per pass"}
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindCanceled, Err: err, Message: "model call cancelled"}
	}

	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		return &Error{Kind: KindUnavailable, Err: err,
			Message: fmt.Sprintf("cannot reach the model API at %s after %d retries (%s): check OPENAI_BASE_URL and the network", c.host, c.retries, c.redact(err.Error()))}
	}

	status := apiErr.StatusCode
	detail := c.providerDetail(apiErr)
	e := &Error{Status: status, Err: err}
	switch {
	case status == http.StatusUnauthorized:
		e.Kind = KindAuth
		e.Message = fmt.Sprintf("the model API at %s rejected the API key (HTTP 401%s): check OPENAI_API_KEY", c.host, detail)
	case status == http.StatusForbidden:
		e.Kind = KindAuth
		e.Message = fmt.Sprintf("the model API at %s denied access (HTTP 403%s): check that the key's project may use model %q", c.host, detail, c.cfg.Model)
	case status == http.StatusTooManyRequests && isQuotaError(apiErr):
		e.Kind = KindQuota
		e.Message = fmt.Sprintf("the model API quota is exhausted (HTTP 429 insufficient_quota%s): add credit or raise the usage limit of the key's project, then ask for the review again", detail)
	case status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.Message = fmt.Sprintf("the model API is still rate limiting after %d retries (HTTP 429%s): retry later, or run fewer reviews at once (CODEX_WORKERS)", c.retries, detail)
	case status == http.StatusNotFound:
		e.Kind = KindNotFound
		e.Message = fmt.Sprintf("the model API at %s answered 404 for model %q%s: check CODEX_MODEL and OPENAI_BASE_URL (it usually ends in /v1)", c.host, c.cfg.Model, detail)
	case status == http.StatusRequestTimeout:
		e.Kind = KindTimeout
		e.Message = fmt.Sprintf("the model API at %s timed out the request after %d retries (HTTP 408%s): retry, or review fewer files per pass", c.host, c.retries, detail)
	case status == http.StatusConflict || status >= 500:
		e.Kind = KindUnavailable
		e.Message = fmt.Sprintf("the model API at %s is unavailable (HTTP %d%s) after %d retries: retry later", c.host, status, detail, c.retries)
	case apiErr.Code == "context_length_exceeded":
		e.Kind = KindBadRequest
		e.Message = fmt.Sprintf("the prompt is too long for model %q%s: lower model.max_input_tokens in .codex.yml", c.cfg.Model, detail)
	default:
		e.Kind = KindBadRequest
		e.Message = fmt.Sprintf("the model API at %s rejected the request (HTTP %d%s)", c.host, status, detail)
	}
	return e
}

func isQuotaError(e *openai.Error) bool {
	return e.Code == "insufficient_quota" || e.Type == "insufficient_quota"
}

// providerDetail renders the provider's own message as ": message", on one
// line, shortened and with the key removed: some servers echo it.
func (c *Client) providerDetail(e *openai.Error) string {
	msg := oneLine(e.Message)
	if msg == "" {
		return ""
	}
	return ": " + truncate(c.redact(msg), providerMessageLimit)
}

// redact removes the API key from s.
func (c *Client) redact(s string) string {
	if c.cfg.APIKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.APIKey, "[redacted]")
}

// formatUnsupported reports whether err is an endpoint saying it cannot do
// the requested response format, as local servers without structured
// output support do. 422 is included because FastAPI-based servers use it
// for request validation errors.
func formatUnsupported(err error) bool {
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		return false
	}
	if apiErr.StatusCode != http.StatusBadRequest && apiErr.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	text := strings.ToLower(apiErr.Param + " " + apiErr.Message + " " + apiErr.Code)
	for _, hint := range []string{"response_format", "json_schema", "json_object", "text.format", "structured output", "guided_json", "grammar"} {
		if strings.Contains(text, hint) {
			return true
		}
	}
	return false
}

// errorBodyLimit bounds how much of a non-JSON error body is kept.
const errorBodyLimit = 2048

// normaliseAPIError makes sure an error answer of the server is an
// *openai.Error with a message. The SDK returns a bare decoding error when
// the body's "error" is not an object (some servers send a string), and an
// empty message when the body is not JSON at all; res is the last answer,
// which the SDK hands out through option.WithResponseInto with its body
// refilled.
func normaliseAPIError(err error, res *http.Response) error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		if apiErr.Message == "" {
			apiErr.Message = bodyText(apiErr.Response)
		}
		return err
	}
	if res == nil || res.StatusCode < 400 || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &openai.Error{StatusCode: res.StatusCode, Response: res, Message: bodyText(res)}
}

// bodyText returns the start of an error body as plain text. The SDK
// refills the body after reading it, so it can still be read here.
func bodyText(res *http.Response) string {
	if res == nil || res.Body == nil {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, errorBodyLimit))
	if err != nil {
		return ""
	}
	var detail struct {
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(b, &detail) == nil {
		if detail.Error != "" {
			return detail.Error
		}
		if detail.Detail != "" {
			return detail.Detail
		}
	}
	return string(b)
}

// oneLine collapses runs of white space, newlines included.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
