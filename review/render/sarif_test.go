package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
)

func sarifDoc(t *testing.T, r *review.Result) (map[string]any, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := SARIF(&b, r, SARIFOptions{ToolVersion: "0.1.0", InformationURI: "https://example.com/codex-review"}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	return doc, b.Bytes()
}

// get walks a decoded JSON document along keys and indexes.
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: %v is not an object", k, v)
			}
			if v, ok = m[k]; !ok {
				t.Fatalf("missing property %q in %v", k, m)
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at [%d]: %v is not an array that long", k, v)
			}
			v = a[k]
		}
	}
	return v
}

// checkNoEmpty fails on null values and on empty arrays other than
// "results", which SARIF uses to say "ran and found nothing".
func checkNoEmpty(t *testing.T, v any, where string) {
	t.Helper()
	switch x := v.(type) {
	case nil:
		t.Errorf("%s is null", where)
	case map[string]any:
		for k, e := range x {
			checkNoEmpty(t, e, where+"."+k)
		}
	case []any:
		if len(x) == 0 && !strings.HasSuffix(where, ".results") {
			t.Errorf("%s is an empty array", where)
		}
		for i, e := range x {
			checkNoEmpty(t, e, fmt.Sprintf("%s[%d]", where, i))
		}
	}
}

func TestSARIFStructure(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			doc, raw := sarifDoc(t, tc.r)
			if got := get(t, doc, "$schema"); got != "https://json.schemastore.org/sarif-2.1.0.json" {
				t.Errorf("$schema = %v", got)
			}
			if got := get(t, doc, "version"); got != "2.1.0" {
				t.Errorf("version = %v", got)
			}
			if runs := get(t, doc, "runs").([]any); len(runs) != 1 {
				t.Fatalf("%d runs, want 1", len(runs))
			}
			run := get(t, doc, "runs", 0)
			if got := get(t, run, "tool", "driver", "name"); got != "codex-review" {
				t.Errorf("driver name = %v", got)
			}
			checkNoEmpty(t, doc, "log")

			var ruleIDs []string
			if rules, ok := get(t, run, "tool", "driver").(map[string]any)["rules"]; ok {
				for i := range rules.([]any) {
					id := get(t, rules, i, "id").(string)
					if slices.Contains(ruleIDs, id) {
						t.Errorf("rule %q listed twice", id)
					}
					ruleIDs = append(ruleIDs, id)
					if get(t, rules, i, "shortDescription", "text") == "" {
						t.Errorf("rule %q has no description", id)
					}
				}
			}

			results, ok := get(t, run, "results").([]any)
			if !ok {
				t.Fatalf("results is not an array")
			}
			if len(results) != len(tc.r.Findings) {
				t.Fatalf("%d results for %d findings", len(results), len(tc.r.Findings))
			}
			for i, f := range tc.r.Findings {
				res := results[i]
				id := get(t, res, "ruleId").(string)
				idx := int(get(t, res, "ruleIndex").(float64))
				if idx < 0 || idx >= len(ruleIDs) || ruleIDs[idx] != id {
					t.Errorf("result %d: ruleIndex %d does not point at rule %q (%q)", i, idx, id, ruleIDs)
				}
				if got, want := get(t, res, "level"), sarifLevel(f.Priority); got != want {
					t.Errorf("result %d: level %v, want %v", i, got, want)
				}
				if msg := get(t, res, "message", "text").(string); !strings.HasPrefix(msg, plainTitle(f.Title)) {
					t.Errorf("result %d: message %q does not start with the title", i, msg)
				}
				art := get(t, res, "locations", 0, "physicalLocation", "artifactLocation")
				if uri := get(t, art, "uri").(string); uri == "" || strings.HasPrefix(uri, "/") {
					t.Errorf("result %d: uri %q is not repository-relative", i, uri)
				}
				if get(t, art, "uriBaseId") != "%SRCROOT%" {
					t.Errorf("result %d: uriBaseId %v", i, get(t, art, "uriBaseId"))
				}
				region := get(t, res, "locations", 0, "physicalLocation", "region").(map[string]any)
				start := region["startLine"].(float64)
				if end, ok := region["endLine"].(float64); start < 1 || (ok && end < start) {
					t.Errorf("result %d: bad region %v", i, region)
				}
				if got := get(t, res, "partialFingerprints", "codexReview/v1"); got != f.Fingerprint {
					t.Errorf("result %d: fingerprint %v, want %s", i, got, f.Fingerprint)
				}
				props := get(t, res, "properties")
				if get(t, props, "priority") != finding.Priority(f.Priority).String() ||
					get(t, props, "confidence") != f.ConfidenceScore || get(t, props, "area") != areaOf(f) {
					t.Errorf("result %d: properties %v", i, props)
				}
			}

			_, again := sarifDoc(t, tc.r)
			if !bytes.Equal(raw, again) {
				t.Errorf("two renderings of the same result differ")
			}
		})
	}
}

func TestSARIFLocations(t *testing.T) {
	tests := []struct {
		name       string
		f          review.Reviewed
		wantURI    string // "" = no locations
		wantRegion string // JSON of the region with sorted keys, "" = none
	}{
		{
			name:       "inline range from the placement",
			f:          rev(finding.Bugs, 1, "t", "b", "a.go", 5, 9, 0.5, "x", inlineAt("a.go", 6, 8)),
			wantURI:    "a.go",
			wantRegion: `{"endLine":8,"startLine":6}`,
		},
		{
			name:       "single inline line has no endLine",
			f:          rev(finding.Bugs, 1, "t", "b", "a.go", 5, 5, 0.5, "x", inlineAt("a.go", 5, 5)),
			wantURI:    "a.go",
			wantRegion: `{"startLine":5}`,
		},
		{
			name:       "summary finding uses the model's range",
			f:          rev(finding.Bugs, 1, "t", "b", "a.go", 40, 42, 0.5, "x", inSummary("a.go", "outside")),
			wantURI:    "a.go",
			wantRegion: `{"endLine":42,"startLine":40}`,
		},
		{
			name:    "no line known",
			f:       rev(finding.Bugs, 1, "t", "b", "a.go", 0, 0, 0.5, "x", inSummary("a.go", "no line")),
			wantURI: "a.go",
		},
		{
			name: "base side lines do not exist in the head",
			f: func() review.Reviewed {
				f := rev(finding.Bugs, 1, "t", "b", "a.go", 3, 3, 0.5, "x", inlineAt("a.go", 3, 3))
				f.Placement.Side = diff.Left
				return f
			}(),
			wantURI: "a.go",
		},
		{
			name:    "spaces escaped, leading slash dropped",
			f:       rev(finding.Bugs, 1, "t", "b", "/docs/read me.md", 1, 1, 0.5, "x", inSummary("", "")),
			wantURI: "docs/read%20me.md", wantRegion: `{"startLine":1}`,
		},
		{
			name:    "colon in the first segment is not a scheme",
			f:       rev(finding.Bugs, 1, "t", "b", "c:d/e.go", 1, 1, 0.5, "x", inSummary("", "")),
			wantURI: "./c:d/e.go", wantRegion: `{"startLine":1}`,
		},
		{
			name: "no path, no location",
			f:    rev(finding.Bugs, 1, "t", "b", "", 1, 1, 0.5, "x", inSummary("", "")),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, _ := sarifDoc(t, result(finding.CorrectnessBad, "", 0.5, tc.f))
			res := get(t, doc, "runs", 0, "results", 0).(map[string]any)
			locs, ok := res["locations"]
			if tc.wantURI == "" {
				if ok {
					t.Errorf("locations = %v, want none", locs)
				}
				return
			}
			if got := get(t, locs, 0, "physicalLocation", "artifactLocation", "uri"); got != tc.wantURI {
				t.Errorf("uri = %v, want %s", got, tc.wantURI)
			}
			region, ok := get(t, locs, 0, "physicalLocation").(map[string]any)["region"]
			got := ""
			if ok {
				b, _ := json.Marshal(region)
				got = string(b)
			}
			if got != tc.wantRegion {
				t.Errorf("region = %s, want %s", got, tc.wantRegion)
			}
		})
	}
}

func TestSARIFRulesAndLevels(t *testing.T) {
	fs := []review.Reviewed{
		rev("style", 3, "t3", "b", "a.go", 1, 1, 0.5, "a", inSummary("a.go", "")),
		rev(finding.Performance, 2, "t2", "b", "a.go", 1, 1, 0.5, "b", inSummary("a.go", "")),
		rev(finding.Security, 0, "t0", "b", "a.go", 1, 1, 0.5, "c", inSummary("a.go", "")),
		rev(finding.Security, 1, "t1", "b", "a.go", 1, 1, 0.5, "d", inSummary("a.go", "")),
	}
	doc, _ := sarifDoc(t, result(finding.CorrectnessBad, "", 0.5, fs...))
	run := get(t, doc, "runs", 0)
	var ids []string
	for _, r := range get(t, run, "tool", "driver", "rules").([]any) {
		ids = append(ids, get(t, r, "id").(string))
	}
	if want := []string{"security", "performance", "style"}; !slices.Equal(ids, want) {
		t.Errorf("rules = %q, want %q (known areas in order, then others)", ids, want)
	}
	var levels []string
	for _, r := range get(t, run, "results").([]any) {
		levels = append(levels, get(t, r, "level").(string))
	}
	if want := []string{"note", "warning", "error", "error"}; !slices.Equal(levels, want) {
		t.Errorf("levels = %q, want %q", levels, want)
	}
}

func TestSARIFFailures(t *testing.T) {
	doc, _ := sarifDoc(t, failedPassResult())
	inv := get(t, doc, "runs", 0, "invocations", 0)
	if get(t, inv, "executionSuccessful") != false {
		t.Errorf("executionSuccessful should be false when passes failed")
	}
	if n := len(get(t, inv, "toolExecutionNotifications").([]any)); n != 2 {
		t.Errorf("%d notifications, want 2", n)
	}
	doc, _ = sarifDoc(t, nil)
	if got := get(t, doc, "runs", 0, "results").([]any); len(got) != 0 {
		t.Errorf("results = %v, want []", got)
	}
}
