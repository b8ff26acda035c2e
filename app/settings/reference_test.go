package settings

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/repoconfig"
)

// TestConfigurationReferenceIsComplete keeps docs/configuration.md in step
// with the code: every environment variable the programs read and every
// key of the .codex.yml schema must be listed there.
func TestConfigurationReferenceIsComplete(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := func(name string) bool { return strings.Contains(string(doc), "`"+name+"`") }

	getenv := regexp.MustCompile(`getenv\("([A-Z0-9_]+)"\)`)
	var sources []string
	for _, dir := range []string{".", "../../review/model", "../../review/deps/osv", "../../cmd/codex-review", "../../app/server"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, files...)
	}
	found := 0
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range getenv.FindAllStringSubmatch(string(src), -1) {
			found++
			if !documented(m[1]) {
				t.Errorf("%s reads %s, which docs/configuration.md does not list", f, m[1])
			}
		}
	}
	if found < 15 {
		t.Fatalf("found only %d environment reads: the scan is broken", found)
	}

	var schema map[string]any
	if err := json.Unmarshal(repoconfig.Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(node map[string]any, prefix string)
	walk = func(node map[string]any, prefix string) {
		props, _ := node["properties"].(map[string]any)
		for k, v := range props {
			child, _ := v.(map[string]any)
			keys = append(keys, prefix+k)
			switch child["type"] {
			case "object":
				walk(child, prefix+k+".")
			case "array":
				if items, ok := child["items"].(map[string]any); ok && items["type"] == "object" {
					walk(items, prefix+k+"[].")
				}
			}
		}
	}
	walk(schema, "")
	if len(keys) < 25 {
		t.Fatalf("found only %d schema keys: the walk is broken", len(keys))
	}
	for _, k := range keys {
		if !documented(k) {
			t.Errorf(".codex.yml key %s is not in docs/configuration.md", k)
		}
	}
}
