package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/codex-review/codex-review/app/queue"
	"github.com/codex-review/codex-review/app/reviewer"
)

// Error types: the "type" of an error object, one per kind of problem.
const (
	typeInvalidRequest = "invalid_request_error"
	typeAuthentication = "authentication_error"
	typeNotFound       = "not_found_error"
	typeConflict       = "conflict_error"
	typeRateLimit      = "rate_limit_error"
	typeUpstream       = "upstream_error"
	typeServer         = "api_error"
	// typeReview is the type of a failed review's error.
	typeReview = "review_error"
)

// apiError is the body of every error answer, and the "error" of a failed
// review: {"message", "type", "param", "code"}. Param and Code are null when
// they do not apply.
type apiError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// problem is an error answer: a status and its error object.
type problem struct {
	status int
	body   apiError
	// cause is logged for server errors and never shown.
	cause error
}

func (p *problem) Error() string { return p.body.Message }

func newProblem(status int, typ, code, param, message string) *problem {
	p := &problem{status: status, body: apiError{Message: message, Type: typ}}
	if code != "" {
		p.body.Code = &code
	}
	if param != "" {
		p.body.Param = &param
	}
	return p
}

func invalid(param, code, message string) *problem {
	return newProblem(http.StatusBadRequest, typeInvalidRequest, code, param, message)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Findings quote code full of <, > and &; \u003c escapes would only
	// make answers harder to read.
	enc.SetEscapeHTML(false)
	// The status line is gone already; a client that hung up is all that
	// can make this fail.
	_ = enc.Encode(v)
}

func writeProblem(w http.ResponseWriter, p *problem) {
	writeJSON(w, p.status, struct {
		Error apiError `json:"error"`
	}{p.body})
}

// failure turns the error that ended a review into the "error" of the
// failed review, with the same explanations as the failure comments posted
// on pull requests (reviewer.Explain), worded for an API caller.
func failure(err error) apiError {
	f := reviewer.Explain(err, "request the review again")
	if errors.Is(err, queue.ErrInterrupted) {
		f = reviewer.Failure{What: err.Error(), Todo: "Request the review again.", Code: "interrupted"}
	}
	msg := strings.TrimSpace(f.What)
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return apiError{Message: msg + " " + f.Todo, Type: typeReview, Code: &f.Code}
}
