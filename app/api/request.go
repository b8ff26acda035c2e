package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/codex-review/codex-review/app/ghname"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
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
	SandboxConfig  json.RawMessage `json:"sandbox_config"`
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
// the review's row for GET to show back. The worker reads the job built
// from it (app/job); only jobs queued by an earlier version read it back
// (Tracker.Upgrade).
type storedRequest struct {
	PullRequestURL string         `json:"pull_request_url"`
	FocusAreas     []finding.Area `json:"focus_areas"`
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

// job is the sandbox settings of the review's job; nil for none.
func (s *storedSandbox) job() *job.Sandbox {
	if s == nil {
		return nil
	}
	return &job.Sandbox{Tests: s.Tests, Network: sandbox.Network(s.Network), Command: s.Command, Timeout: time.Duration(s.TimeoutSeconds) * time.Second}
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
		return storedRequest{}, pullRef{}, decodeProblem(err, "")
	}
	// sandbox_config is decoded on its own, so that an unknown key or a
	// wrong type inside it is reported with its full name.
	var sandbox *sandboxRequest
	if len(req.SandboxConfig) > 0 && string(req.SandboxConfig) != "null" {
		sd := json.NewDecoder(bytes.NewReader(req.SandboxConfig))
		sd.DisallowUnknownFields()
		if err := sd.Decode(&sandbox); err != nil {
			return storedRequest{}, pullRef{}, decodeProblem(err, "sandbox_config")
		}
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
	out.SandboxConfig, p = sandboxConfig(sandbox)
	if p != nil {
		return out, pullRef{}, p
	}
	return out, pr, nil
}

// decodeProblem explains a body, or the object named prefix inside it,
// that did not decode; param names the field at fault in full
// ("sandbox_config.image").
func decodeProblem(err error, prefix string) *problem {
	var (
		tooBig *http.MaxBytesError
		syn    *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	full := func(field string) string {
		switch {
		case prefix == "":
			return field
		case field == "":
			return prefix
		}
		return prefix + "." + field
	}
	switch {
	case errors.As(err, &tooBig):
		return newProblem(http.StatusRequestEntityTooLarge, typeInvalidRequest, "request_too_large", "",
			fmt.Sprintf("The request body is larger than %d bytes.", MaxBody))
	case errors.Is(err, io.EOF) && prefix == "":
		return invalid("", "invalid_json", "The request body is empty: send a JSON object with at least pull_request_url.")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "invalid_json", "The request body is not valid JSON: "+err.Error()+".")
	case errors.As(err, &typ):
		param := full(strings.TrimPrefix(typ.Field, prefix+"."))
		return invalid(param, "invalid_type", fmt.Sprintf("%s must be %s, got %s.", orBody(param), jsonType(typ.Type.Kind().String()), typ.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = full(strings.Trim(name, `"`))
		return invalid(name, "unknown_parameter", fmt.Sprintf("Unknown parameter %q: the request accepts pull_request_url, focus_areas, sandbox_config (tests, network, command, timeout_seconds), instructions and post_review.", name))
	}
	return invalid(full(""), "invalid_json", "The request body is not a valid review request: "+err.Error()+".")
}

func orBody(param string) string {
	if param == "" {
		return "The body"
	}
	return param
}

// jsonType names the JSON value a caller should send for a Go kind.
func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice":
		return "an array"
	case "struct", "ptr", "map":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	default:
		return "a number"
	}
}

// focusAreas checks and normalises the requested areas: known names, lower
// case, each once, in the order given.
func focusAreas(in []string) ([]finding.Area, *problem) {
	out := []finding.Area{}
	for _, s := range in {
		a, err := finding.ParseArea(s)
		if err != nil {
			return nil, invalid("focus_areas", "unknown_focus_area", fmt.Sprintf("Unknown focus area %q: use security, bugs, performance, dependencies or tests.", s))
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// sandboxConfig checks sandbox_config and fills in its defaults.
func sandboxConfig(in *sandboxRequest) (*storedSandbox, *problem) {
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
	// The names become path segments of GitHub calls made with the app's
	// token: only what GitHub itself allows as a name gets that far.
	if !ghname.Owner(parts[0]) {
		return bad("the owner must be a GitHub account name (letters, digits and hyphens)")
	}
	if !ghname.Repo(parts[1]) {
		return bad("the repository must be a GitHub repository name (letters, digits, '.', '-' and '_')")
	}
	n, err := strconv.Atoi(parts[3])
	if err != nil || n <= 0 || strconv.Itoa(n) != parts[3] {
		return bad("the pull request number must be a positive integer")
	}
	// GitHub's names are case-insensitive; one spelling per pull request
	// lets the list filter find every review of it.
	owner, repo := strings.ToLower(parts[0]), strings.ToLower(parts[1])
	return pullRef{owner: owner, repo: repo, number: n, url: fmt.Sprintf("%s%s/%s/pull/%d", b, owner, repo, n)}, nil
}
