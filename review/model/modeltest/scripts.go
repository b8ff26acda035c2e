package modeltest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/codex-review/codex-review/prompts"
	"github.com/codex-review/codex-review/review/finding"
)

// Text is a reply with the given answer text.
func Text(s string) Reply { return Reply{Text: s} }

// JSON is a reply whose text is v marshalled; it panics if v cannot be
// marshalled, which is a mistake in the test itself.
func JSON(v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("modeltest.JSON: %v", err))
	}
	return Reply{Text: string(b)}
}

// Fail is a reply carrying the error e.
func Fail(e ErrorReply) Reply { return Reply{Err: &e} }

// RetryAfterMS is the header that tells OpenAI SDKs how long to wait before
// retrying, in milliseconds. Tests send 1 so that retries are immediate.
const RetryAfterMS = "retry-after-ms"

// fastRetry makes the SDK retry after one millisecond instead of its
// exponential backoff.
func fastRetry() http.Header { return http.Header{http.CanonicalHeaderKey(RetryAfterMS): {"1"}} }

// RateLimited is OpenAI's 429 for too many requests, with a 1 ms retry hint.
func RateLimited() ErrorReply {
	return ErrorReply{Status: http.StatusTooManyRequests, Type: "requests", Code: "rate_limit_exceeded",
		Message: "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1.", Header: fastRetry()}
}

// InsufficientQuota is OpenAI's 429 for an account without credit.
func InsufficientQuota() ErrorReply {
	return ErrorReply{Status: http.StatusTooManyRequests, Type: "insufficient_quota", Code: "insufficient_quota",
		Message: "You exceeded your current quota, please check your plan and billing details.", Header: fastRetry()}
}

// ServerError is a 5xx answer with a 1 ms retry hint.
func ServerError(status int) ErrorReply {
	return ErrorReply{Status: status, Type: "server_error",
		Message: "The server had an error while processing your request.", Header: fastRetry()}
}

// InvalidAPIKey is OpenAI's 401 for a wrong key.
func InvalidAPIKey() ErrorReply {
	return ErrorReply{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
		Message: "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."}
}

// Queue answers with replies in order, one per request. Requests past the
// end get a 500 that names the mistake, without a retry hint (so the SDK
// backs off and the test fails visibly rather than looping).
func Queue(replies ...Reply) Handler {
	var mu sync.Mutex
	next := 0
	return func(Request) Reply {
		mu.Lock()
		defer mu.Unlock()
		if next >= len(replies) {
			return Fail(ErrorReply{Status: http.StatusInternalServerError, Type: "server_error",
				Message: fmt.Sprintf("modeltest: request %d is past the %d scripted replies", next+1, len(replies)),
				Header:  http.Header{"X-Should-Retry": {"false"}}})
		}
		r := replies[next]
		next++
		return r
	}
}

// Always answers every request with r.
func Always(r Reply) Handler { return func(Request) Reply { return r } }

// FailThen answers the first n requests with e, and the rest with then.
func FailThen(n int, e ErrorReply, then Handler) Handler {
	var mu sync.Mutex
	seen := 0
	return func(req Request) Reply {
		mu.Lock()
		seen++
		fail := seen <= n
		mu.Unlock()
		if fail {
			return Fail(e)
		}
		return then(req)
	}
}

// RejectFormats answers 400 to requests asking for one of the given
// response formats (FormatJSONSchema, FormatJSONObject), the way local
// servers without structured-output support do, and passes the rest to
// next.
func RejectFormats(next Handler, formats ...string) Handler {
	return func(req Request) Reply {
		for _, f := range formats {
			if req.ResponseFormat == f {
				param := "response_format"
				if req.API == Responses {
					param = "text.format"
				}
				return Fail(ErrorReply{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: param,
					Message: fmt.Sprintf("%s.type %q is not supported by this server", param, f)})
			}
		}
		return next(req)
	}
}

// RejectJSONSchema answers 400 to json_schema requests, like a local
// server that lacks structured outputs.
func RejectJSONSchema(next Handler) Handler { return RejectFormats(next, FormatJSONSchema) }

// RequireAPIKey answers 401 unless the request carries "Bearer key".
func RequireAPIKey(key string, next Handler) Handler {
	return func(req Request) Reply {
		got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		if !ok || got != key {
			return Fail(InvalidAPIKey())
		}
		return next(req)
	}
}

// PassAreas returns the focus areas a review request asks for, read from
// its last message: one for a separate pass, several for a combined one,
// none for a request that is not a review pass (a repair follow-up is
// answered for the pass it repairs).
func PassAreas(req Request) []finding.Area {
	for i := len(req.UserMessages) - 1; i >= 0; i-- {
		if areas := prompts.PassAreas(req.UserMessages[i]); areas != nil {
			return areas
		}
	}
	return nil
}

// AnswerByArea answers a review request the way a model asked for its
// areas would: answer is called once per area of the pass, and a combined
// pass gets every area's findings in one answer, with the worst verdict.
// Scripts written per area thus hold whether the engine combines passes or
// not.
func AnswerByArea(req Request, answer func(area finding.Area, req Request) finding.Output) finding.Output {
	out := finding.Output{Findings: []finding.Finding{}, OverallCorrectness: finding.CorrectnessOK}
	var why []string
	for i, a := range PassAreas(req) {
		o := answer(a, req)
		out.Findings = append(out.Findings, o.Findings...)
		if o.OverallCorrectness == finding.CorrectnessBad {
			out.OverallCorrectness = finding.CorrectnessBad
		}
		if o.OverallExplanation != "" {
			why = append(why, o.OverallExplanation)
		}
		if i == 0 || o.OverallConfidenceScore < out.OverallConfidenceScore {
			out.OverallConfidenceScore = o.OverallConfidenceScore
		}
	}
	out.OverallExplanation = strings.Join(why, " ")
	return out
}
