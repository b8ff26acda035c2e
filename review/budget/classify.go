package budget

import (
	"path"
	"strings"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/pathglob"
)

// fileClass ranks kinds of files by how much a review of them is worth.
type fileClass int

const (
	classSource fileClass = iota
	classTest
	classDocsConfig
)

// testDirs are directory names that hold tests in common layouts.
var testDirs = map[string]bool{
	"test": true, "tests": true, "__tests__": true, "testdata": true,
	"spec": true, "__snapshots__": true, "__mocks__": true,
}

// testSuffixes end the lower-cased base names of test files.
var testSuffixes = []string{
	"_test.go", "_test.py", "_test.rb", "_spec.rb", "_test.rs", "_test.c", "_test.cc", "_test.cpp",
	".test.js", ".test.jsx", ".test.ts", ".test.tsx", ".test.mjs", ".test.cjs",
	".spec.js", ".spec.jsx", ".spec.ts", ".spec.tsx", ".spec.mjs", ".spec.cjs",
}

// camelTestSuffixes end test class files, case-sensitively, so that
// "FooTest.java" is a test and "Latest.java" is not.
var camelTestSuffixes = []string{
	"Test.java", "Tests.java", "Test.kt", "Tests.kt", "Test.cs", "Tests.cs",
	"Test.php", "Test.swift", "Tests.swift",
}

// docsConfigExts are extensions of prose and configuration files.
var docsConfigExts = map[string]bool{
	".md": true, ".markdown": true, ".rst": true, ".txt": true, ".adoc": true, ".org": true,
	".json": true, ".yaml": true, ".yml": true, ".toml": true, ".ini": true, ".cfg": true,
	".conf": true, ".properties": true, ".xml": true, ".csv": true, ".mod": true, ".svg": true,
}

// docsConfigNames are base names (lower case, without extension) of prose
// and repository configuration files.
var docsConfigNames = map[string]bool{
	"license": true, "copying": true, "notice": true, "readme": true, "changelog": true,
	"authors": true, "contributing": true, "codeowners": true, ".gitignore": true,
	".gitattributes": true, ".editorconfig": true, ".dockerignore": true,
}

// classify puts a path in a review class by its name alone.
func classify(p string) fileClass {
	lower := strings.ToLower(p)
	base := path.Base(lower)
	dirs := strings.Split(path.Dir(lower), "/")
	for _, d := range dirs {
		if testDirs[d] {
			return classTest
		}
	}
	if strings.HasPrefix(base, "test_") {
		return classTest
	}
	for _, s := range testSuffixes {
		if strings.HasSuffix(base, s) && len(base) > len(s) {
			return classTest
		}
	}
	origBase := path.Base(p)
	for _, s := range camelTestSuffixes {
		if strings.HasSuffix(origBase, s) && len(origBase) > len(s) {
			return classTest
		}
	}
	ext := path.Ext(base)
	if docsConfigExts[ext] || docsConfigNames[strings.TrimSuffix(base, ext)] || docsConfigNames[base] {
		return classDocsConfig
	}
	for _, d := range dirs {
		if d == "docs" || d == "doc" {
			return classDocsConfig
		}
	}
	return classSource
}

// generatedRule is a default rule for files a review should not read:
// produced by tools or copied from elsewhere, so a finding in them would
// be fixed somewhere else, if anywhere.
type generatedRule struct {
	pattern *pathglob.Pattern
	reason  string
}

var generatedRules = func() []generatedRule {
	rules := []struct{ patterns, reason string }{
		{"{go.sum,package-lock.json,npm-shrinkwrap.json,yarn.lock,pnpm-lock.yaml,Cargo.lock," +
			"poetry.lock,Pipfile.lock,uv.lock,Gemfile.lock,composer.lock,bun.lock}", "lock file (generated)"},
		// Only the unmistakable vendoring directories: Go's and PHP's
		// top-level vendor/ and the JavaScript package directories.
		// third_party/ often holds patched code people do review.
		{"/vendor/", "vendored dependency"},
		{"{node_modules,bower_components}/", "vendored dependency"},
		{"*.min.{js,css}", "minified file"},
		{"*.map", "source map"},
		{"{*.pb.go,*_pb2.py,*_pb2_grpc.py,*.generated.*}", "generated code"},
	}
	out := make([]generatedRule, len(rules))
	for i, r := range rules {
		out[i] = generatedRule{pattern: pathglob.MustCompile(r.patterns), reason: r.reason}
	}
	return out
}()

// generatedMarkerWindow is how far into a file the generated-code marker is
// looked for; Go requires it before the package clause, and other tools
// put it in the first comment.
const generatedMarkerWindow = 10

// generatedReason says why f is generated or vendored, or "".
func generatedReason(f *diff.File) string {
	p := f.Path()
	for _, r := range generatedRules {
		if r.pattern.Match(p) {
			return r.reason + ", matched by " + r.pattern.String()
		}
	}
	for i := range f.Hunks {
		h := &f.Hunks[i]
		if h.NewStart > generatedMarkerWindow {
			break
		}
		for _, l := range h.Lines {
			if l.Kind == diff.Deleted || l.NewLine > generatedMarkerWindow {
				continue
			}
			if isGeneratedMarker(l.Content) {
				return `generated code, marked "Code generated ... DO NOT EDIT."`
			}
		}
	}
	return ""
}

// isGeneratedMarker recognises the "Code generated ... DO NOT EDIT." line
// (golang.org/s/generatedcode) behind any common comment leader.
func isGeneratedMarker(line string) bool {
	s := strings.TrimSpace(line)
	for _, leader := range []string{"//", "#", "/*", "--", ";", "<!--", "*"} {
		if strings.HasPrefix(s, leader) {
			s = strings.TrimSpace(s[len(leader):])
			break
		}
	}
	return strings.HasPrefix(s, "Code generated ") && strings.Contains(s, "DO NOT EDIT")
}

// IsTest reports whether p names a test file, or a file in a directory
// that holds tests, by the naming rules of common languages.
func IsTest(p string) bool { return classify(p) == classTest }
