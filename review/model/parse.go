package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/codex-review/codex-review/review/finding"
)

// errNoJSON means the answer holds no JSON object at all.
var errNoJSON = errors.New("the answer contains no JSON object")

// ParseOutput reads a model answer into the §4.1 shape; see ParseAnswer.
// The findings it had to drop are not counted.
func ParseOutput(text string) (finding.Output, error) {
	out, _, err := ParseAnswer(text)
	return out, err
}

// ParseAnswer reads a model answer into the §4.1 shape. It is tolerant of
// what models do when the server cannot enforce the schema: Markdown code
// fences, prose around the object, priorities written as 1, "1" or "P1",
// numbers written as strings, confidences given in percent, null lists and
// unknown fields. A missing priority is -1, for merge.Normalize to take from
// a "[Pn]" title prefix or default; a priority or confidence out of range
// is kept as given, for merge.Normalize to clamp as it documents; an unknown
// category is left empty for the caller to fill with the area of the pass.
//
// One bad finding does not spoil the answer: a finding that cannot be used
// (not an object, no title and no body, no file path, a negative line, a
// field of the wrong type) is dropped and counted in dropped. Only an
// answer without a findings list is an error, which asks for a repair.
func ParseAnswer(text string) (out finding.Output, dropped int, err error) {
	var candidates []string
	if inner, ok := fenced(text); ok {
		candidates = append(candidates, inner)
	}
	candidates = append(candidates, text)

	var decodeErr error
	for _, c := range candidates {
		raw, err := decodeCandidate(c)
		if err != nil {
			if decodeErr == nil || errors.Is(decodeErr, errNoJSON) {
				decodeErr = err
			}
			continue
		}
		// The JSON was found: a content problem is the answer's fault, and
		// trying a wider span of text would not fix it.
		return raw.toOutput()
	}
	return finding.Output{}, 0, fmt.Errorf("parse model answer: %w", decodeErr)
}

// fenced returns the body of the first Markdown code fence in s, if any.
// An unterminated fence (a truncated answer) yields the rest of the text.
func fenced(s string) (string, bool) {
	i := strings.Index(s, "```")
	if i < 0 {
		return "", false
	}
	rest := s[i+3:]
	// Skip the info string ("json") up to the end of the fence line.
	if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[nl+1:]
	} else {
		return "", false
	}
	if j := strings.Index(rest, "```"); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}

// decodeCandidate tries s as a whole, then the span from its first '{' to
// its last '}'.
func decodeCandidate(s string) (*rawOutput, error) {
	s = strings.TrimSpace(s)
	var out rawOutput
	err := json.Unmarshal([]byte(s), &out)
	if err == nil {
		return &out, nil
	}
	first, last := strings.IndexByte(s, '{'), strings.LastIndexByte(s, '}')
	if first < 0 {
		return nil, errNoJSON
	}
	if last <= first {
		return nil, fmt.Errorf("invalid JSON: the object starting at byte %d is never closed", first)
	}
	if first == 0 && last == len(s)-1 {
		return nil, describeJSONError(err)
	}
	out = rawOutput{}
	if err := json.Unmarshal([]byte(s[first:last+1]), &out); err != nil {
		return nil, describeJSONError(err)
	}
	return &out, nil
}

// describeJSONError turns decoder errors into a line that helps a model
// repair its answer.
func describeJSONError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("invalid JSON at byte %d: %w", syn.Offset, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("field %q has the wrong type: got JSON %s, want %s: %w", typ.Field, typ.Value, typ.Type, err)
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// rawOutput mirrors finding.Output with lenient field types.
type rawOutput struct {
	Findings               json.RawMessage `json:"findings"`
	OverallCorrectness     string          `json:"overall_correctness"`
	OverallExplanation     string          `json:"overall_explanation"`
	OverallConfidenceScore json.RawMessage `json:"overall_confidence_score"`
}

type rawFinding struct {
	Title           string       `json:"title"`
	Body            string       `json:"body"`
	ConfidenceScore flexFloat    `json:"confidence_score"`
	Priority        flexPriority `json:"priority"`
	Category        string       `json:"category"`
	CodeLocation    struct {
		AbsoluteFilePath string `json:"absolute_file_path"`
		LineRange        struct {
			Start flexInt `json:"start"`
			End   flexInt `json:"end"`
		} `json:"line_range"`
	} `json:"code_location"`
	Suggestion string `json:"suggestion"`
}

func (r *rawOutput) toOutput() (finding.Output, int, error) {
	if len(r.Findings) == 0 {
		return finding.Output{}, 0, errors.New(`the answer has no "findings" field: want {"findings": [...], "overall_correctness": ...}`)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(r.Findings, &items); err != nil {
		return finding.Output{}, 0, fmt.Errorf(`"findings" must be a list of finding objects: %w`, describeJSONError(err))
	}
	out := finding.Output{
		Findings:           make([]finding.Finding, 0, len(items)),
		OverallCorrectness: normaliseVerdict(r.OverallCorrectness),
		OverallExplanation: strings.TrimSpace(r.OverallExplanation),
	}
	// An unreadable overall confidence says nothing; it is not worth a
	// repair round.
	var conf flexFloat
	if len(r.OverallConfidenceScore) > 0 && json.Unmarshal(r.OverallConfidenceScore, &conf) == nil {
		out.OverallConfidenceScore = conf.confidence()
	}
	dropped := 0
	for _, item := range items {
		var rf rawFinding
		if err := json.Unmarshal(item, &rf); err != nil {
			dropped++
			continue
		}
		f, err := rf.toFinding()
		if err != nil {
			dropped++
			continue
		}
		out.Findings = append(out.Findings, f)
	}
	return out, dropped, nil
}

func (rf *rawFinding) toFinding() (finding.Finding, error) {
	f := finding.Finding{
		Title:      strings.TrimSpace(rf.Title),
		Body:       strings.TrimSpace(rf.Body),
		Category:   normaliseCategory(rf.Category),
		Suggestion: rf.Suggestion,
	}
	if f.Title == "" && f.Body == "" {
		return f, errors.New("title and body are both empty")
	}
	f.Priority = -1
	if rf.Priority.set {
		f.Priority = rf.Priority.value
	} else if p, ok := titlePriority(f.Title); ok {
		f.Priority = p
	}
	f.ConfidenceScore = rf.ConfidenceScore.confidence()

	loc := rf.CodeLocation
	f.CodeLocation.AbsoluteFilePath = strings.TrimSpace(loc.AbsoluteFilePath)
	if f.CodeLocation.AbsoluteFilePath == "" {
		return f, errors.New("code_location.absolute_file_path is empty")
	}
	start, end := loc.LineRange.Start.value, loc.LineRange.End.value
	if start < 0 || end < 0 {
		return f, fmt.Errorf("line_range %d-%d has a negative line", start, end)
	}
	if end == 0 || end < start {
		// A single line written as {"start": 12} or a reversed range: the
		// intent is clear enough to keep the finding.
		if end != 0 {
			start, end = end, start
		} else {
			end = start
		}
	}
	f.CodeLocation.LineRange = finding.LineRange{Start: start, End: end}
	return f, nil
}

// titlePriority reads the "[P1]" tag that titles start with.
func titlePriority(title string) (int, bool) {
	t := strings.TrimSpace(title)
	if len(t) < 4 || t[0] != '[' || t[3] != ']' {
		return 0, false
	}
	p, err := finding.ParsePriority(t[1:3])
	if err != nil {
		return 0, false
	}
	return int(p), true
}

func normaliseCategory(s string) string {
	a, err := finding.ParseArea(s)
	if err != nil {
		return ""
	}
	return string(a)
}

// normaliseVerdict maps the usual variants ("Patch is incorrect.",
// "incorrect") onto the two contract strings; anything else is dropped.
func normaliseVerdict(s string) string {
	v := strings.ToLower(s)
	switch {
	case strings.Contains(v, "incorrect"):
		return finding.CorrectnessBad
	case strings.Contains(v, "correct"):
		return finding.CorrectnessOK
	default:
		return ""
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// flexFloat accepts a JSON number, a numeric string or null.
type flexFloat struct {
	value float64
	set   bool
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	v, set, err := number(b)
	if err != nil {
		return err
	}
	f.value, f.set = v, set
	return nil
}

// confidence returns the value as a score: values above 1 up to 100 are
// read as percentages, which models produce now and then; anything else
// is returned as given, for merge.Normalize to clamp to 0..1. Unset is 0.
func (f flexFloat) confidence() float64 {
	if f.set && f.value > 1 && f.value <= 100 {
		return f.value / 100
	}
	return f.value
}

// flexInt accepts an integral JSON number, a numeric string or null.
type flexInt struct {
	value int
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	v, _, err := number(b)
	if err != nil {
		return err
	}
	if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
		return fmt.Errorf("%s is not a line number", b)
	}
	f.value = int(v)
	return nil
}

// flexPriority accepts 1, 1.0, "1", "P1" and "p1".
type flexPriority struct {
	value int
	set   bool
}

func (f *flexPriority) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		p, err := finding.ParsePriority(s)
		if err != nil {
			return err
		}
		f.value, f.set = int(p), true
		return nil
	}
	v, _, err := number(b)
	if err != nil {
		return err
	}
	if v != math.Trunc(v) || math.Abs(v) > 1000 {
		return fmt.Errorf("priority %s is not an integer 0..3", b)
	}
	f.value, f.set = int(v), true
	return nil
}

// number decodes a JSON number, a string holding one, or null (set=false).
func number(b []byte) (v float64, set bool, err error) {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return 0, false, nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, false, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, false, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false, fmt.Errorf("%q is not a number", s)
		}
		return v, true, nil
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return 0, false, fmt.Errorf("%s is not a number", b)
	}
	return v, true, nil
}
