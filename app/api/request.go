package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/codex-review/codex-review/review/finding"
)

// Limits of a review request.
const (
	// maxInstructions bounds the caller's instructions, which go into
	// every focus pass's prompt and so are paid for several times.
	maxInstructions = 8000
	// maxSandboxCommand bounds sandbox_config.command.
	maxSandboxCommand = 4096
	// maxSandboxTimeout is the longest sandbox run a caller may ask for.
	maxSandboxTimeout = 3600
	// defaultSandboxTimeout matches .codex.yml's sandbox.timeout default.
	defaultSandboxTimeout = 600
)

// createRequest is the body of POST /v1/codex/reviews as sent.
type createRequest struct {
	PullRequestURL string          `json:"pull_request_url"`
	FocusAreas     []string        `json:"focus_areas"`
	SandboxConfig  *sandboxRequest `json:"sandbox_config"`
	Instructions   string          `json:"instructions"`
	PostReview     *bool           `json:"post_review"`
}

type sandboxRequest struct {
	Tests          bool   `json:"tests"`
	Network        string `json:"network"`
	Command        string `json:"command"`
	TimeoutSeconds *int   `json:"timeout_seconds"`
}

// storedRequest is a validated request, with defaults filled in, as kept in
// the review's row; the worker reads post_review and sandbox_config back
// from it.
type storedRequest struct {
	PullRequestURL string         `json:"pull_request_url"`
	FocusAreas     []string       `json:"focus_areas"`
	SandboxConfig  *storedSandbox `json:"sandbox_config"`
	Instructions   string         `json:"instructions"`
	PostReview     bool           `json:"post_review"`
}

type storedSandbox struct {
	Tests          bool   `json:"tests"`
	Network        string `json:"network"`
	Command        string `json:"command"`
	TimeoutSeconds int    `json:"timeout_seconds"`
}

// decodeCreate reads and validates a review request. Unknown fields are
// errors: a misspelt "post_reveiw" must not silently post.
func decodeCreate(w http.ResponseWriter, r *http.Request, web webBase) (storedRequest, pullRef, *problem) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return storedRequest{}, pullRef{}, newProblem(http.StatusUnsupportedMediaType, typeInvalidRequest, "unsupported_media_type", "",
			fmt.Sprintf("The body must be JSON (Content-Type: application/json), not %s.", ct))
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	var req createRequest
	err := dec.Decode(&req)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the JSON object")
		}
	}
	if err != nil {
		return storedRequest{}, pullRef{}, decodeProblem(err)
	}

	out := storedRequest{Instructions: strings.TrimSpace(req.Instructions), PostReview: true}
	if req.PostReview != nil {
		out.PostReview = *req.PostReview
	}
	if strings.TrimSpace(req.PullRequestURL) == "" {
		return out, pullRef{}, invalid("pull_request_url", "missing_required_parameter",
			"pull_request_url is required: the web URL of a pull request, like "+web.String()+"owner/repo/pull/123.")
	}
	pr, p := web.parsePull(req.PullRequestURL)
	if p != nil {
		return out, pullRef{}, p
	}
	out.PullRequestURL = pr.url
	out.FocusAreas, p = focusAreas(req.FocusAreas)
	if p != nil {
		return out, pullRef{}, p
	}
	if n := len([]rune(out.Instructions)); n > maxInstructions {
		return out, pullRef{}, invalid("instructions", "instructions_too_long",
			fmt.Sprintf("instructions are %d characters long; the limit is %d.", n, maxInstructions))
	}
	out.SandboxConfig, p = sandbox(req.SandboxConfig)
	if p != nil {
		return out, pullRef{}, p
	}
	return out, pr, nil
}

// decodeProblem explains a body that did not decode.
func decodeProblem(err error) *problem {
	var (
		tooBig *http.MaxBytesError
		syn    *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return newProblem(http.StatusRequestEntityTooLarge, typeInvalidRequest, "request_too_large", "",
			fmt.Sprintf("The request body is larger than %d bytes.", MaxBody))
	case errors.Is(err, io.EOF):
		return invalid("", "invalid_json", "The request body is empty: send a JSON object with at least pull_request_url.")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "invalid_json", "The request body is not valid JSON: "+err.Error()+".")
	case errors.As(err, &typ):
		param := typ.Field
		return invalid(param, "invalid_type", fmt.Sprintf("%s must be of JSON type %s, got %s.", orBody(param), jsonType(typ.Type.Kind().String()), typ.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return invalid(name, "unknown_parameter", fmt.Sprintf("Unknown parameter %q: the request accepts pull_request_url, focus_areas, sandbox_config (tests, network, command, timeout_seconds), instructions and post_review.", name))
	}
	return invalid("", "invalid_json", "The request body is not a valid review request: "+err.Error()+".")
}

func orBody(param string) string {
	if param == "" {
		return "The body"
	}
	return param
}

// jsonType names a Go kind as the JSON type a caller should send.
func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "struct", "ptr", "map":
		return "object"
	default:
		return "number"
	}
}

// focusAreas checks and normalises the requested areas: known names, lower
// case, each once, in the order given.
func focusAreas(in []string) ([]string, *problem) {
	out := []string{}
	for _, s := range in {
		a, err := finding.ParseArea(s)
		if err != nil {
			return nil, invalid("focus_areas", "unknown_focus_area", fmt.Sprintf("Unknown focus area %q: use security, bugs, performance, dependencies or tests.", s))
		}
		if !slices.Contains(out, string(a)) {
			out = append(out, string(a))
		}
	}
	return out, nil
}

// sandbox checks sandbox_config and fills in its defaults.
func sandbox(in *sandboxRequest) (*storedSandbox, *problem) {
	if in == nil {
		return nil, nil
	}
	out := &storedSandbox{Tests: in.Tests, Network: in.Network, Command: strings.TrimSpace(in.Command), TimeoutSeconds: defaultSandboxTimeout}
	switch out.Network {
	case "":
		out.Network = "none"
	case "none", "restricted":
	default:
		return nil, invalid("sandbox_config.network", "invalid_value", fmt.Sprintf("sandbox_config.network must be \"none\" or \"restricted\", got %q.", in.Network))
	}
	if in.TimeoutSeconds != nil {
		if t := *in.TimeoutSeconds; t < 1 || t > maxSandboxTimeout {
			return nil, invalid("sandbox_config.timeout_seconds", "invalid_value", fmt.Sprintf("sandbox_config.timeout_seconds must be from 1 to %d, got %d.", maxSandboxTimeout, t))
		}
		out.TimeoutSeconds = *in.TimeoutSeconds
	}
	if len(out.Command) > maxSandboxCommand {
		return nil, invalid("sandbox_config.command", "invalid_value", fmt.Sprintf("sandbox_config.command is longer than %d bytes.", maxSandboxCommand))
	}
	return out, nil
}

// webBase is GitHub's web address (github.com, or a GHES host, possibly
// under a path).
type webBase struct{ u *url.URL }

func parseWebBase(raw string) (webBase, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return webBase{}, fmt.Errorf("GitHub web URL %q is not an absolute http(s) URL", raw)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return webBase{u: u}, nil
}

func (b webBase) String() string { return b.u.String() }

// pullRef names a pull request.
type pullRef struct {
	owner, repo string
	number      int
	// url is the canonical web URL, the one stored and listed by.
	url string
}

// parsePull accepts the web URL of a pull request on this GitHub:
// <base>owner/repo/pull/N, with or without a trailing slash, query or
// fragment, and returns it in canonical form: owner and repository in
// lower case.
func (b webBase) parsePull(raw string) (pullRef, *problem) {
	bad := func(why string) (pullRef, *problem) {
		return pullRef{}, invalid("pull_request_url", "invalid_pull_request_url",
			fmt.Sprintf("pull_request_url %q is not a pull request URL: %s. Use the pull request's web address, like %sowner/repo/pull/123.", raw, why, b))
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return bad("it does not parse as a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || !strings.EqualFold(u.Host, b.u.Host) {
		return bad("this server reviews pull requests on " + b.u.Host + " only")
	}
	rest, ok := strings.CutPrefix(u.Path, b.u.Path)
	if !ok {
		return bad("it is not under " + b.String())
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" || parts[2] != "pull" {
		return bad("the path must be owner/repo/pull/<number>")
	}
	n, err := strconv.Atoi(parts[3])
	if err != nil || n <= 0 {
		return bad("the pull request number must be a positive integer")
	}
	// GitHub's names are case-insensitive; one spelling per pull request
	// lets the list filter find every review of it.
	owner, repo := strings.ToLower(parts[0]), strings.ToLower(parts[1])
	return pullRef{owner: owner, repo: repo, number: n, url: fmt.Sprintf("%s%s/%s/pull/%d", b, owner, repo, n)}, nil
}
