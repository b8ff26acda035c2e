package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/queue"
	"github.com/codex-review/codex-review/app/repoconfig"
	"github.com/codex-review/codex-review/review/model"
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
// failed review: what happened, what to do, and a stable code a script can
// branch on. The wording follows the failure comments posted on pull
// requests (reviewer.FailureMessage), with advice for an API caller.
func failure(err error) apiError {
	var (
		what, todo, code string
		me               *model.Error
		ge               *github.ErrorResponse
		ce               *repoconfig.Error
	)
	switch {
	case errors.As(err, &me):
		what, code = "The model endpoint failed: "+me.Message, "model_"+me.Kind.String()
		switch me.Kind {
		case model.KindAuth:
			todo = "The server's administrator must check OPENAI_API_KEY and OPENAI_BASE_URL."
		case model.KindQuota:
			todo = "The model provider's quota is used up; the server's administrator must raise it, then request the review again."
		case model.KindNotFound:
			todo = "The configured model does not exist on this endpoint: check CODEX_MODEL (or model.name in .codex.yml)."
		case model.KindRateLimited, model.KindUnavailable, model.KindTimeout:
			todo = "This is usually temporary: request the review again in a few minutes."
		default:
			todo = "Request the review again; if it keeps failing, the server log has details."
		}
	case errors.As(err, &ce):
		what, code = err.Error(), "invalid_config"
		todo = "Fix .codex.yml on the base branch (check it with `codex-review config validate`), then request the review again."
	case errors.As(err, &ge) && ge.Response != nil:
		what, code = "GitHub answered "+http.StatusText(ge.Response.StatusCode)+": "+ge.Message, "github_error"
		todo = "Check that the app is installed on this repository with the permissions it asks for (pull requests: write, issues: write, contents: read), then request the review again."
	case errors.Is(err, queue.ErrInterrupted):
		what, code = err.Error(), "interrupted"
		todo = "Request the review again."
	default:
		what, code = err.Error(), "review_failed"
		todo = "Request the review again; if it keeps failing, the server log has details."
	}
	msg := strings.TrimSpace(what)
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return apiError{Message: msg + " " + todo, Type: typeReview, Code: &code}
}
