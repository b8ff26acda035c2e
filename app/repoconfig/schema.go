package repoconfig

import (
	_ "embed"
	"slices"
)

//go:embed codex.schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of .codex.yml, for editors
// and for serving at a stable address. The caller gets its own copy.
//
// The schema checks keys, types and value sets. Parse checks more: that
// path patterns compile, that sandbox.timeout is within bounds and that the
// file holds one YAML document.
func Schema() []byte { return slices.Clone(schema) }
