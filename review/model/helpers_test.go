package model_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// sampleOutput is a typical answer of one focus pass.
func sampleOutput() finding.Output {
	return finding.Output{
		Findings: []finding.Finding{{
			Title:           "[P1] Close the response body on the error path",
			Body:            "When Decode fails the function returns without closing resp.Body, leaking a connection per failed call.",
			ConfidenceScore: 0.8,
			Priority:        1,
			Category:        "bugs",
			CodeLocation: finding.CodeLocation{
				AbsoluteFilePath: "internal/fetch/client.go",
				LineRange:        finding.LineRange{Start: 42, End: 44},
			},
			Suggestion: "",
		}},
		OverallCorrectness:     finding.CorrectnessBad,
		OverallExplanation:     "One leak on an error path.",
		OverallConfidenceScore: 0.7,
	}
}

// reviewRequest is the request every test sends unless it needs another.
func reviewRequest() model.Request {
	return model.Request{
		Instructions: "You review pull requests.",
		Input:        []string{"<diff>shared part</diff>", "Focus: bugs."},
		CacheKey:     "codex-review:o/r#1",
	}
}

// newClient returns a client of srv speaking api ("chat" or "responses").
func newClient(t *testing.T, srv *modeltest.Server, api string, edit func(*model.Config)) *model.Client {
	t.Helper()
	cfg := model.Config{
		APIKey:     "sk-test-key",
		BaseURL:    srv.BaseURL(),
		Model:      "test-model",
		API:        api,
		HTTPClient: srv.Client(),
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := model.New(cfg)
	if err != nil {
		t.Fatalf("model.New: %v", err)
	}
	return c
}

// redirectTransport sends every request to target whatever its URL says,
// so that hosts like api.openai.com can be configured without network.
type redirectTransport struct {
	target *url.URL
	next   http.RoundTripper
}

func (r redirectTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme = r.target.Scheme
	out.URL.Host = r.target.Host
	// Keep the API path from its version on: Azure bases have a prefix.
	if i := strings.Index(out.URL.Path, "/v1/"); i > 0 {
		out.URL.Path = out.URL.Path[i:]
	}
	out.Host = ""
	return r.next.RoundTrip(out)
}

// redirectingClient is an HTTP client that lands every request on srv.
func redirectingClient(t *testing.T, srv *modeltest.Server) *http.Client {
	t.Helper()
	u, err := url.Parse(srv.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: redirectTransport{target: u, next: srv.Client().Transport}}
}

var apis = []string{model.APIChat, model.APIResponses}
