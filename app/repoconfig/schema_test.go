package repoconfig

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles the embedded schema; the draft 2020-12
// meta-schema ships with the library, so nothing is fetched.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("codex.schema.json", doc); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	sch, err := c.Compile("codex.schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

// schemaMap decodes the schema into plain maps for walking.
func schemaMap(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(Schema(), &m); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	return m
}

// instance turns a YAML file into the JSON value an editor would validate.
func instance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("to JSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("read JSON: %v", err)
	}
	return inst
}

func TestSchemaCompiles(t *testing.T) {
	compileSchema(t)
	if s := schemaMap(t)["$schema"]; s != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("$schema = %v, want draft 2020-12", s)
	}
}

func TestSchemaReturnsACopy(t *testing.T) {
	a := Schema()
	a[0] = 'x'
	if Schema()[0] != '{' {
		t.Fatal("Schema hands out the embedded bytes")
	}
}

// TestSchemaAgreesWithParse runs every example file through both the schema
// and Parse: an editor must not call a file valid that the app rejects, nor
// the other way round.
func TestSchemaAgreesWithParse(t *testing.T) {
	sch := compileSchema(t)
	for _, dir := range []struct {
		name  string
		valid bool
	}{{"valid", true}, {"invalid", false}} {
		files, err := filepath.Glob(filepath.Join("testdata", dir.name, "*.yml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no examples in testdata/%s: %v", dir.name, err)
		}
		for _, file := range files {
			t.Run(filepath.Base(file), func(t *testing.T) {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				_, parseErr := Parse(filepath.Base(file), data)
				schemaErr := sch.Validate(instance(t, data))
				if (parseErr == nil) != dir.valid {
					t.Errorf("Parse: valid = %v, want %v (%v)", parseErr == nil, dir.valid, parseErr)
				}
				if (schemaErr == nil) != dir.valid {
					t.Errorf("schema: valid = %v, want %v (%v)", schemaErr == nil, dir.valid, schemaErr)
				}
			})
		}
	}
}

// TestSchemaGaps lists the rules only Parse can check (pattern syntax,
// timeout bounds, one document). If the schema learns one, move the file to
// testdata/invalid.
func TestSchemaGaps(t *testing.T) {
	sch := compileSchema(t)
	files, err := filepath.Glob(filepath.Join("testdata", "parse-only", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in testdata/parse-only: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(filepath.Base(file), data); err == nil {
				t.Error("Parse accepts the file")
			}
			if err := sch.Validate(instance(t, data)); err != nil {
				t.Errorf("the schema now rejects the file (%v): move it to testdata/invalid", err)
			}
		})
	}
}

// structKeys lists the key paths Parse accepts, from the yaml tags of
// Config: the same walk the decoder does. List entries are written "[]".
func structKeys(t reflect.Type, at string, out map[string]reflect.Type) {
	for _, f := range fieldsOf(t) {
		key := join(at, f.key)
		ft := t.Field(f.index).Type
		out[key] = ft
		switch {
		case ft.Kind() == reflect.Struct && ft != durationType:
			structKeys(ft, key, out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			structKeys(ft.Elem(), key+"[]", out)
		}
	}
}

// schemaKeys lists the key paths of the schema's properties, with every
// property's node.
func schemaKeys(node map[string]any, at string, out map[string]map[string]any) {
	props, _ := node["properties"].(map[string]any)
	for name, p := range props {
		prop := p.(map[string]any)
		key := join(at, name)
		out[key] = prop
		schemaKeys(prop, key, out)
		if items, ok := prop["items"].(map[string]any); ok {
			schemaKeys(items, key+"[]", out)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestSchemaKeysMatchConfig keeps the schema and the decoder from drifting
// apart: both must know exactly the same keys.
func TestSchemaKeysMatchConfig(t *testing.T) {
	fromStruct := map[string]reflect.Type{}
	structKeys(reflect.TypeFor[Config](), "", fromStruct)
	fromSchema := map[string]map[string]any{}
	schemaKeys(schemaMap(t), "", fromSchema)
	if a, b := sortedKeys(fromStruct), sortedKeys(fromSchema); !slices.Equal(a, b) {
		t.Fatalf("keys differ:\nConfig: %v\nschema: %v", a, b)
	}
}

// TestSchemaDocumentsEveryKey checks that each key has a description and a
// default, that objects forbid unknown keys, and that each default is the
// value Default() gives.
func TestSchemaDocumentsEveryKey(t *testing.T) {
	root := schemaMap(t)
	if root["additionalProperties"] != false {
		t.Error("the top level allows unknown keys")
	}
	keys := map[string]map[string]any{}
	schemaKeys(root, "", keys)
	defaults := map[string]any{}
	flatten(t, Default(), "", defaults)
	for key, prop := range keys {
		if d, _ := prop["description"].(string); d == "" {
			t.Errorf("%s has no description", key)
		}
		def, ok := prop["default"]
		if !ok {
			t.Errorf("%s has no default", key)
			continue
		}
		if prop["type"] == "object" {
			if prop["additionalProperties"] != false {
				t.Errorf("%s allows unknown keys", key)
			}
			continue
		}
		if want, ok := defaults[key]; ok && !reflect.DeepEqual(def, want) {
			t.Errorf("%s: schema default %#v, Default() gives %#v", key, def, want)
		}
	}
	items := keys["review.path_instructions"]["items"].(map[string]any)
	if items["additionalProperties"] != false {
		t.Error("path_instructions entries allow unknown keys")
	}
}

// flatten writes the leaf values of a Config as they are written in the
// file and decoded from JSON (numbers as float64, lists as []any), keyed by
// path.
func flatten(t *testing.T, c Config, at string, out map[string]any) {
	t.Helper()
	var walk func(v reflect.Value, at string)
	walk = func(v reflect.Value, at string) {
		for _, f := range fieldsOf(v.Type()) {
			key := join(at, f.key)
			fv := v.Field(f.index)
			switch {
			case fv.Type() == durationType:
				out[key] = shortDuration(time.Duration(fv.Int()))
			case fv.Type() == priorityType:
				out[key] = fv.Interface().(interface{ String() string }).String()
			case fv.Kind() == reflect.Struct:
				walk(fv, key)
			default:
				js, err := json.Marshal(fv.Interface())
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				var plain any
				if err := json.Unmarshal(js, &plain); err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if plain == nil && fv.Kind() == reflect.Slice {
					plain = []any{}
				}
				out[key] = plain
			}
		}
	}
	walk(reflect.ValueOf(c), at)
}
