package deps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzManifestParsers feeds arbitrary bytes to the parsers written here
// (not osv-scalibr's, which are fuzzed upstream): none may panic, and
// every line they report must exist in the input.
func FuzzManifestParsers(f *testing.F) {
	for _, dir := range []string{"npm-lock-v1", "npm-lock-v2", "npm-lock-v3", "composer", "cargo", "requirements", "uv", "pipfile", "gemfile", "go", "maven"} {
		matches, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
		for _, m := range matches {
			if b, err := os.ReadFile(m); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"dependencies": null, "devDependencies": [1, {"a": []}], "x": {"dependencies": {}}}`))
	f.Add([]byte("[dependencies.'a.b']\nversion = \"1\"\n[target.\"cfg(x)\".dev-dependencies]\nz = { git = \"g\" }\n"))
	f.Add([]byte("-e ./local\nname @ https://x/y.whl\n--index-url https://x\n"))
	parsers := map[string]func(context.Context, string, []byte) ([]entry, error){
		"package.json":   parsePackageJSON,
		"package-lock":   parsePackageLock,
		"composer.json":  parseComposerJSON,
		"Cargo.toml":     parseCargoToml,
		"pyproject.toml": parsePyproject,
		"Pipfile":        parsePipfile,
		"go.mod":         parseGoMod,
		"requirements":   parseRequirements,
		"Gemfile.lock":   parseGemfileLock,
		"pom.xml":        parsePomXML,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := strings.Count(string(data), "\n") + 1
		for name, parse := range parsers {
			entries, err := parse(context.Background(), name, data)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if e.line < 0 || e.line > n {
					t.Fatalf("%s: line %d of a %d-line input", name, e.line, n)
				}
			}
		}
		gemfileSections(string(data))
		sourceRequirement(string(data))
		cargoLines(data)
	})
}
