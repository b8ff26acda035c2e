package model_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
)

func TestOutputSchemaIsStrict(t *testing.T) {
	b, err := json.Marshal(model.OutputSchema())
	if err != nil {
		t.Fatalf("schema does not marshal: %v", err)
	}
	var schema map[string]any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	checkStrict(t, "$", schema)
}

// checkStrict walks a schema and checks the rules of strict structured
// outputs: every object lists all its properties as required and allows no
// others.
func checkStrict(t *testing.T, path string, s map[string]any) {
	t.Helper()
	switch s["type"] {
	case "object":
		props, _ := s["properties"].(map[string]any)
		if len(props) == 0 {
			t.Errorf("%s: object without properties", path)
		}
		if s["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties = %v, want false", path, s["additionalProperties"])
		}
		var required []string
		for _, r := range s["required"].([]any) {
			required = append(required, r.(string))
		}
		var names []string
		for name, p := range props {
			names = append(names, name)
			checkStrict(t, path+"."+name, p.(map[string]any))
		}
		slices.Sort(names)
		slices.Sort(required)
		if !slices.Equal(names, required) {
			t.Errorf("%s: required = %v, want every property %v", path, required, names)
		}
	case "array":
		checkStrict(t, path+"[]", s["items"].(map[string]any))
	case "string", "number", "integer", "boolean":
	default:
		t.Errorf("%s: unexpected type %v", path, s["type"])
	}
}

func TestOutputSchemaMatchesOutputType(t *testing.T) {
	schema := model.OutputSchema()
	compareFields(t, "$", reflect.TypeFor[finding.Output](), schema)

	props := schema["properties"].(map[string]any)
	item := props["findings"].(map[string]any)["items"].(map[string]any)
	category := item["properties"].(map[string]any)["category"].(map[string]any)
	var want []any
	for _, a := range finding.Areas {
		want = append(want, string(a))
	}
	if !reflect.DeepEqual(category["enum"], want) {
		t.Errorf("category enum = %v, want %v", category["enum"], want)
	}
	verdict := props["overall_correctness"].(map[string]any)
	if !reflect.DeepEqual(verdict["enum"], []any{finding.CorrectnessOK, finding.CorrectnessBad}) {
		t.Errorf("overall_correctness enum = %v", verdict["enum"])
	}
}

// compareFields checks that the schema's properties are exactly the JSON
// names of typ's fields, recursing into structs and slices of structs.
func compareFields(t *testing.T, path string, typ reflect.Type, schema map[string]any) {
	t.Helper()
	props, _ := schema["properties"].(map[string]any)
	var fields []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields = append(fields, name)
		sub, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("%s: schema lacks %q", path, name)
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
			sub, _ = sub["items"].(map[string]any)
		}
		if ft.Kind() == reflect.Struct {
			compareFields(t, path+"."+name, ft, sub)
		}
	}
	if len(props) != len(fields) {
		t.Errorf("%s: schema has %d properties, the type %d fields (%v)", path, len(props), len(fields), fields)
	}
}

func TestOutputSchemaIsFresh(t *testing.T) {
	a := model.OutputSchema()
	a["type"] = "changed"
	if model.OutputSchema()["type"] != "object" {
		t.Error("changing one OutputSchema result changed the next")
	}
}
