package model_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/merge"
	"github.com/codex-review/codex-review/review/model"
)

// answer builds an answer text with one finding whose fields are given as
// raw JSON fragments, so tests can vary the types.
func answer(findingFields string) string {
	return `{"findings":[{` + findingFields + `}],"overall_correctness":"patch is incorrect","overall_explanation":"e","overall_confidence_score":0.5}`
}

const loc = `"code_location":{"absolute_file_path":"a/b.go","line_range":{"start":3,"end":4}}`

func oneFinding(f finding.Finding) finding.Output {
	return finding.Output{Findings: []finding.Finding{f}, OverallCorrectness: finding.CorrectnessBad, OverallExplanation: "e", OverallConfidenceScore: 0.5}
}

func baseFinding() finding.Finding {
	return finding.Finding{Title: "[P1] t", Body: "b", ConfidenceScore: 0.8, Priority: 1, Category: "bugs",
		CodeLocation: finding.CodeLocation{AbsoluteFilePath: "a/b.go", LineRange: finding.LineRange{Start: 3, End: 4}}}
}

func TestParseOutputAccepts(t *testing.T) {
	canonical, err := json.Marshal(sampleOutput())
	if err != nil {
		t.Fatal(err)
	}
	with := func(edit func(*finding.Finding)) finding.Output {
		f := baseFinding()
		edit(&f)
		return oneFinding(f)
	}
	same := func(*finding.Finding) {}
	tests := []struct {
		name string
		text string
		want finding.Output
	}{
		{"canonical", string(canonical), sampleOutput()},
		{"fenced json", "```json\n" + string(canonical) + "\n```", sampleOutput()},
		{"fenced without language", "```\n" + string(canonical) + "\n```\n", sampleOutput()},
		{"prose around", "Sure! Here is the review.\n\n" + string(canonical) + "\n\nHope this helps.", sampleOutput()},
		{"prose and fence", "Review:\n```json\n" + string(canonical) + "\n```\nDone.", sampleOutput()},
		{"priority as string", answer(`"title":"[P1] t","body":"b","confidence_score":0.8,"priority":"1","category":"bugs",` + loc), with(same)},
		{"priority as P-tag", answer(`"title":"[P1] t","body":"b","confidence_score":0.8,"priority":"P1","category":"bugs",` + loc), with(same)},
		{"priority as float", answer(`"title":"[P1] t","body":"b","confidence_score":0.8,"priority":1.0,"category":"bugs",` + loc), with(same)},
		{"priority from title", answer(`"title":"[P1] t","body":"b","confidence_score":0.8,"category":"bugs",` + loc), with(same)},
		{"confidence as string", answer(`"title":"[P1] t","body":"b","confidence_score":"0.8","priority":1,"category":"bugs",` + loc), with(same)},
		{"confidence in percent", answer(`"title":"[P1] t","body":"b","confidence_score":80,"priority":1,"category":"bugs",` + loc), with(same)},
		{"confidence null", answer(`"title":"[P1] t","body":"b","confidence_score":null,"priority":1,"category":"bugs",` + loc),
			with(func(f *finding.Finding) { f.ConfidenceScore = 0 })},
		{"unknown fields", answer(`"title":"[P1] t","body":"b","confidence_score":0.8,"priority":1,"category":"bugs","severity":"high",` + loc), with(same)},
		{"category in capitals", answer(`"title":"[P1] t","body":"b","confidence_score":0.8,"priority":1,"category":"Bugs",` + loc), with(same)},
		{"unknown category dropped", answer(`"title":"[P1] t","body":"b","confidence_score":0.8,"priority":1,"category":"style",` + loc),
			with(func(f *finding.Finding) { f.Category = "" })},
		{"single line range", answer(`"title":"[P1] t","body":"b","confidence_score":0.8,"priority":1,"category":"bugs","code_location":{"absolute_file_path":"a/b.go","line_range":{"start":3}}`),
			with(func(f *finding.Finding) { f.CodeLocation.LineRange.End = 3 })},
		{"reversed range", answer(`"title":"[P1] t","body":"b","confidence_score":0.8,"priority":1,"category":"bugs","code_location":{"absolute_file_path":"a/b.go","line_range":{"start":4,"end":"3"}}`), with(same)},
		{"null findings", `{"findings":null,"overall_correctness":"patch is correct","overall_explanation":"fine","overall_confidence_score":0.9}`,
			finding.Output{Findings: []finding.Finding{}, OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "fine", OverallConfidenceScore: 0.9}},
		{"verdict variant", `{"findings":[],"overall_correctness":"The patch is correct.","overall_explanation":"","overall_confidence_score":1}`,
			finding.Output{Findings: []finding.Finding{}, OverallCorrectness: finding.CorrectnessOK, OverallConfidenceScore: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := model.ParseOutput(tt.text)
			if err != nil {
				t.Fatalf("ParseOutput: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseOutput =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseOutputRejects(t *testing.T) {
	tests := []struct {
		name, text, wantErr string
	}{
		{"empty", "", "no JSON object"},
		{"prose only", "The patch looks good to me.", "no JSON object"},
		{"unclosed", `{"findings": [{"title": "[P1] x"`, "never closed"},
		{"syntax error", `{"findings": [], "overall_correctness": "patch is correct",}`, "invalid JSON"},
		{"no findings field", `{"overall_correctness": "patch is correct"}`, `no "findings" field`},
		{"findings not a list", `{"findings": {"title": "x"}}`, "must be a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := model.ParseOutput(tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseOutput = %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// One bad finding is not a bad answer: what has a documented clamp is
// kept for merge.Normalize to clamp (priority, confidence), what cannot be
// used is dropped and counted, and the other findings are kept.
func TestParseAnswerKeepsGoodFindings(t *testing.T) {
	good := `{"title":"[P1] fine","body":"b","priority":1,` + loc + `}`
	tests := []struct {
		name, bad string
		keep      bool
		priority  int
		conf      float64
	}{
		{"priority 9 kept for the clamp", `{"title":"x","body":"b","priority":9,` + loc + `}`, true, 9, 0},
		{"negative priority kept for the default", `{"title":"x","body":"b","priority":-1,` + loc + `}`, true, -1, 0},
		{"priority missing", `{"title":"Close it","body":"b",` + loc + `}`, true, -1, 0},
		{"priority from the title", `{"title":"[P2] Close it","body":"b",` + loc + `}`, true, 2, 0},
		{"confidence 250 kept for the clamp", `{"title":"[P1] x","body":"b","priority":1,"confidence_score":250,` + loc + `}`, true, 1, 250},
		{"confidence in percent", `{"title":"[P1] x","body":"b","priority":1,"confidence_score":"80",` + loc + `}`, true, 1, 0.8},
		{"priority word", `{"title":"x","body":"b","priority":"high",` + loc + `}`, false, 0, 0},
		{"path missing", `{"title":"[P1] x","body":"b","priority":1,"code_location":{"line_range":{"start":1,"end":1}}}`, false, 0, 0},
		{"location missing", `{"title":"[P1] x","body":"b","priority":1}`, false, 0, 0},
		{"empty finding", `{}`, false, 0, 0},
		{"not an object", `"finding"`, false, 0, 0},
		{"negative line", `{"title":"[P1] x","body":"b","priority":1,"code_location":{"absolute_file_path":"a","line_range":{"start":-2,"end":1}}}`, false, 0, 0},
		{"fractional line", `{"title":"[P1] x","body":"b","priority":1,"code_location":{"absolute_file_path":"a","line_range":{"start":1.5,"end":2}}}`, false, 0, 0},
		{"confidence not a number", `{"title":"[P1] x","body":"b","priority":1,"confidence_score":"high",` + loc + `}`, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, dropped, err := model.ParseAnswer(`{"findings":[` + good + `,` + tt.bad + `,` + good + `],"overall_confidence_score":"very"}`)
			if err != nil {
				t.Fatalf("ParseAnswer: %v", err)
			}
			want, wantDropped := 3, 0
			if !tt.keep {
				want, wantDropped = 2, 1
			}
			if len(out.Findings) != want || dropped != wantDropped {
				t.Fatalf("%d findings, %d dropped; want %d, %d", len(out.Findings), dropped, want, wantDropped)
			}
			if tt.keep {
				if f := out.Findings[1]; f.Priority != tt.priority || f.ConfidenceScore != tt.conf {
					t.Errorf("finding = %+v", f)
				}
			}
		})
	}
}

func FuzzParseOutput(f *testing.F) {
	canonical, err := json.Marshal(sampleOutput())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(canonical),
		"```json\n" + string(canonical) + "\n```",
		"Here you go: " + string(canonical) + " bye",
		answer(`"title":"[P1] t","body":"b","confidence_score":"0.8","priority":"P1","category":"bugs",` + loc),
		`{"findings":null}`,
		`{"findings":[{"title":"[P9]","code_location":{"absolute_file_path":"x","line_range":{"start":"1e9"}}}]}`,
		"```\n{\"findings\": [",
		"{}{}}{",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		out, dropped, err := model.ParseAnswer(text)
		if err != nil {
			return
		}
		if dropped < 0 {
			t.Fatalf("dropped %d", dropped)
		}
		for i, fd := range out.Findings {
			if fd.CodeLocation.AbsoluteFilePath == "" {
				t.Errorf("finding %d: empty path accepted", i)
			}
			if lr := fd.CodeLocation.LineRange; lr.Start < 0 || lr.End < lr.Start {
				t.Errorf("finding %d: line range %+v accepted", i, lr)
			}
			// What is kept out of range has a documented clamp.
			n, err := merge.Normalize(fd, finding.Bugs, "")
			if err != nil {
				continue // a path outside the repository: the engine counts it
			}
			if !finding.Priority(n.Priority).Valid() || n.ConfidenceScore < 0 || n.ConfidenceScore > 1 || n.CodeLocation.LineRange.Start < 1 {
				t.Errorf("finding %d normalises to %+v", i, n)
			}
		}
		// What the parser accepts, it must read back the same from its own
		// canonical form.
		b, err := json.Marshal(out)
		if err != nil {
			t.Fatalf("marshal accepted output: %v", err)
		}
		again, _, err := model.ParseAnswer(string(b))
		if err != nil {
			t.Fatalf("re-parse of %s: %v", b, err)
		}
		if !reflect.DeepEqual(again, out) {
			t.Errorf("round trip changed the output:\n%+v\n%+v", out, again)
		}
	})
}
