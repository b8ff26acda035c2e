package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// specFile is the OpenAPI description the handlers must match.
const specFile = "../../docs/openapi.yaml"

// spec is docs/openapi.yaml, loaded once, with its schemas compiled on
// demand.
type spec struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
}

var (
	specOnce sync.Once
	theSpec  *spec
	specErr  error
)

func loadSpec(t testing.TB) *spec {
	t.Helper()
	specOnce.Do(func() {
		raw, err := os.ReadFile(specFile)
		if err != nil {
			specErr = err
			return
		}
		var y any
		if err := yaml.Unmarshal(raw, &y); err != nil {
			specErr = err
			return
		}
		// Through JSON, so numbers and maps have the types the schema
		// library expects.
		js, err := json.Marshal(y)
		if err != nil {
			specErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			specErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource("openapi.json", doc); err != nil {
			specErr = err
			return
		}
		theSpec = &spec{doc: doc.(map[string]any), compiler: c, compiled: map[string]*jsonschema.Schema{}}
	})
	if specErr != nil {
		t.Fatalf("load %s: %v", specFile, specErr)
	}
	return theSpec
}

func (s *spec) schema(t testing.TB, pointer string) *jsonschema.Schema {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.compiled[pointer]; ok {
		return sch
	}
	sch, err := s.compiler.Compile("openapi.json#" + pointer)
	if err != nil {
		t.Fatalf("compile %s: %v", pointer, err)
	}
	s.compiled[pointer] = sch
	return sch
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// responsePointer finds the schema the spec gives for an answer: the JSON
// pointer of its application/json schema, following a $ref to a shared
// response. ok is false when the spec does not declare the operation.
func (s *spec) responsePointer(t testing.TB, template, method string, status int) (string, bool) {
	t.Helper()
	paths := s.doc["paths"].(map[string]any)
	item, ok := paths[template].(map[string]any)
	if !ok {
		return "", false
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		return "", false
	}
	code := strconv.Itoa(status)
	resp, ok := op["responses"].(map[string]any)[code].(map[string]any)
	if !ok {
		t.Fatalf("%s %s: status %d is not declared in %s", method, template, status, specFile)
	}
	ptr := "/paths/" + escapePointer(template) + "/" + strings.ToLower(method) + "/responses/" + code
	if ref, ok := resp["$ref"].(string); ok {
		ptr = strings.TrimPrefix(ref, "#")
		name := strings.TrimPrefix(ptr, "/components/responses/")
		resp = s.doc["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
	}
	if _, ok := resp["content"].(map[string]any)["application/json"]; !ok {
		t.Fatalf("%s %s %d: no application/json content in %s", method, template, status, specFile)
	}
	return ptr + "/content/application~1json/schema", true
}

// check validates an answer against the spec: its status must be declared
// for the operation and its body must match the schema. Answers to routes
// or methods the spec does not have must still be error objects.
func (s *spec) check(t testing.TB, method, path string, status int, body []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s answered %d with a body that is not JSON: %v\n%s", method, path, status, err, body)
	}
	ptr, ok := s.responsePointer(t, template(path), method, status)
	if !ok {
		if status < 400 {
			t.Fatalf("%s %s answered %d, but the spec has no such operation", method, path, status)
		}
		ptr = "/components/schemas/ErrorResponse"
	}
	if err := s.schema(t, ptr).Validate(v); err != nil {
		t.Errorf("%s %s answered %d with a body that does not match %s: %v\n%s", method, path, status, ptr, err, body)
	}
}

// template maps a request path to the spec's path template.
func template(path string) string {
	path, _, _ = strings.Cut(path, "?")
	if id, ok := strings.CutPrefix(path, "/v1/codex/learnings/"); ok && id != "" && !strings.Contains(id, "/") {
		return "/v1/codex/learnings/{id}"
	}
	rest, ok := strings.CutPrefix(path, "/v1/codex/reviews/")
	switch {
	case !ok:
		return path
	case strings.HasSuffix(rest, "/cancel") && strings.Count(rest, "/") == 1:
		return "/v1/codex/reviews/{id}/cancel"
	case rest != "" && !strings.Contains(rest, "/"):
		return "/v1/codex/reviews/{id}"
	}
	return path
}

// TestSpecIsValid makes sure the checks below are not vacuous: every
// schema of the spec compiles, and a wrong body is refused.
func TestSpecIsValid(t *testing.T) {
	s := loadSpec(t)
	if v, _ := s.doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("openapi version %q, want 3.1.x", v)
	}
	for name := range s.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		s.schema(t, "/components/schemas/"+name)
	}
	for _, tmpl := range []string{"/v1/codex/reviews", "/v1/codex/reviews/{id}", "/v1/codex/reviews/{id}/cancel",
		"/v1/codex/learnings", "/v1/codex/learnings/{id}"} {
		if _, ok := s.doc["paths"].(map[string]any)[tmpl]; !ok {
			t.Errorf("spec lacks %s", tmpl)
		}
	}
	bad := []string{
		`{"error": {"message": "x", "type": "invalid_request_error"}}`,
		`{"id": "rev_abc", "object": "codex.review", "status": "completed", "created_at": 1, "pull_request_url": "u", "focus_areas": [], "post_review": true}`,
		`{"id": "rev_abc", "object": "codex.review", "status": "failed", "created_at": 1, "pull_request_url": "u", "focus_areas": [], "post_review": true}`,
		`{"id": "rev_abc", "object": "codex.review", "status": "paused", "created_at": 1, "pull_request_url": "u", "focus_areas": [], "post_review": true}`,
		`{"id": "lrn_abc", "object": "codex.learning", "repository": "a/b", "text": "x", "author": "a", "created_at": 1}`,
		`{"id": "rev_abc", "object": "codex.learning", "repository": "a/b", "text": "x", "author": "a", "source_url": null, "created_at": 1}`,
	}
	for i, body := range bad {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(body))
		ptr := "/components/schemas/Review"
		switch {
		case i == 0:
			ptr = "/components/schemas/ErrorResponse"
		case strings.Contains(body, "codex.learning"):
			ptr = "/components/schemas/Learning"
		}
		if err := s.schema(t, ptr).Validate(v); err == nil {
			t.Errorf("schema %s accepted %s", ptr, body)
		}
	}
	if _, ok := s.responsePointer(t, "/v1/codex/reviews", http.MethodPost, http.StatusAccepted); !ok {
		t.Error("POST /v1/codex/reviews 202 not found in the spec")
	}
}
