package model

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/codex-review/codex-review/review/finding"
)

// schemaName names the structured-output format in requests; providers
// show it in logs and errors.
const schemaName = "codex_review"

// OutputSchema returns the JSON Schema of the model's answer (design §4.1)
// in the shape strict structured outputs require: every property listed in
// required and no additional properties. It carries no descriptions: the
// schema goes with every request and counts as prompt tokens each time,
// and the system prompt already says what each field holds. Each call
// returns a fresh value, so callers may change it.
func OutputSchema() map[string]any {
	typ := func(t string) map[string]any { return map[string]any{"type": t} }
	categories := make([]any, 0, len(finding.Areas))
	for _, a := range finding.Areas {
		categories = append(categories, string(a))
	}
	lineRange := object(map[string]any{"start": typ("integer"), "end": typ("integer")})
	location := object(map[string]any{"absolute_file_path": typ("string"), "line_range": lineRange})
	item := object(map[string]any{
		"title":            typ("string"),
		"body":             typ("string"),
		"confidence_score": typ("number"),
		"priority":         map[string]any{"type": "integer", "enum": []any{0, 1, 2, 3}},
		"category":         map[string]any{"type": "string", "enum": categories},
		"code_location":    location,
		"suggestion":       typ("string"),
	})
	return object(map[string]any{
		"findings":                 map[string]any{"type": "array", "items": item},
		"overall_correctness":      map[string]any{"type": "string", "enum": []any{finding.CorrectnessOK, finding.CorrectnessBad}},
		"overall_explanation":      typ("string"),
		"overall_confidence_score": typ("number"),
	})
}

// object builds a strict-mode object schema: all properties required, no
// others allowed.
func object(props map[string]any) map[string]any {
	required := make([]any, 0, len(props))
	for _, k := range slices.Sorted(maps.Keys(props)) {
		required = append(required, k)
	}
	return map[string]any{
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}
}

// formatInstruction tells a model that the server cannot hold to the schema
// what to answer. It is the same text for every call, so appending it to the
// instructions keeps the cacheable prefix identical.
var formatInstruction = schemaInstruction()

func schemaInstruction() string {
	b, err := json.Marshal(OutputSchema())
	if err != nil {
		// OutputSchema holds only maps, slices, strings and numbers.
		panic("model: output schema does not marshal: " + err.Error())
	}
	return "Answer with one JSON object and nothing else: no prose, no Markdown code fences. " +
		"It must match this JSON Schema:\n" + string(b)
}
