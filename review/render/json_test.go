package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
)

func TestJSONDecodesIntoOutput(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := JSON(&b, tc.r); err != nil {
				t.Fatal(err)
			}
			var out finding.Output
			dec := json.NewDecoder(bytes.NewReader(b.Bytes()))
			if err := dec.Decode(&out); err != nil {
				t.Fatalf("decode into finding.Output: %v", err)
			}
			if !slices.EqualFunc(out.Findings, tc.r.Output().Findings, func(a, b finding.Finding) bool { return a == b }) {
				t.Errorf("findings do not round-trip:\n got %+v\nwant %+v", out.Findings, tc.r.Output().Findings)
			}
			if out.OverallCorrectness != tc.r.Output().OverallCorrectness ||
				out.OverallExplanation != tc.r.Output().OverallExplanation ||
				out.OverallConfidenceScore != tc.r.Output().OverallConfidenceScore {
				t.Errorf("verdict does not round-trip: %+v", out)
			}
		})
	}
}

// TestJSONFieldNames pins the contract's field names, independently of the
// struct tags in the finding package.
func TestJSONFieldNames(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, mixedResult()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v is not an object", v)
		}
		return slices.Sorted(maps.Keys(m))
	}
	checks := []struct {
		what string
		v    any
		want []string
	}{
		{"top level", doc, []string{"coverage", "findings", "overall_confidence_score", "overall_correctness", "overall_explanation", "usage"}},
		{"finding", doc["findings"].([]any)[0], []string{"body", "category", "code_location", "confidence_score", "priority", "suggestion", "title"}},
		{"code_location", doc["findings"].([]any)[0].(map[string]any)["code_location"], []string{"absolute_file_path", "line_range"}},
		{"line_range", doc["findings"].([]any)[0].(map[string]any)["code_location"].(map[string]any)["line_range"], []string{"end", "start"}},
		{"usage", doc["usage"], []string{"cached_prompt_tokens", "calls", "completion_tokens", "duration_ms", "model", "prompt_tokens"}},
		{"coverage", doc["coverage"], []string{"chunks", "files_changed", "files_reviewed", "lines_changed", "lines_reviewed", "skipped"}},
	}
	for _, c := range checks {
		if got := keys(c.v); !slices.Equal(got, c.want) {
			t.Errorf("%s keys = %q, want %q", c.what, got, c.want)
		}
	}
}

func TestJSONEmptyArrays(t *testing.T) {
	tests := []struct {
		name string
		r    *review.Result
	}{
		{"nil result", nil},
		{"zero result", &review.Result{}},
		{"clean", cleanResult()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := JSON(&b, tc.r); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Findings json.RawMessage `json:"findings"`
				Coverage struct {
					Skipped json.RawMessage `json:"skipped"`
				} `json:"coverage"`
				Failures json.RawMessage `json:"failures"`
			}
			if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if string(doc.Findings) != "[]" {
				t.Errorf("findings = %s, want []", doc.Findings)
			}
			if s := string(doc.Coverage.Skipped); s != "[]" && tc.r != nil && len(tc.r.Coverage.Skipped) == 0 {
				t.Errorf("coverage.skipped = %s, want []", s)
			}
			if doc.Failures != nil {
				t.Errorf("failures present without failures: %s", doc.Failures)
			}
		})
	}
}

func TestJSONFailures(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, failedPassResult()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Failures []string `json:"failures"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Failures) != 2 {
		t.Errorf("failures = %q, want the two failed passes", doc.Failures)
	}
}

type failingWriter struct{}

var errWrite = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteErrors(t *testing.T) {
	r := mixedResult()
	writers := map[string]func() error{
		"json":  func() error { return JSON(failingWriter{}, r) },
		"sarif": func() error { return SARIF(failingWriter{}, r, SARIFOptions{}) },
		"text":  func() error { return Text(failingWriter{}, r, TextOptions{}) },
	}
	for name, write := range writers {
		if err := write(); !errors.Is(err, errWrite) {
			t.Errorf("%s: error = %v, want it to wrap the write error", name, err)
		}
	}
}
