package deps

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
)

// bigLock writes a package-lock.json (v3) of n packages; every tenth
// package's patch version is bumped when bump is set.
func bigLock(n int, bump bool) []byte {
	var b strings.Builder
	b.WriteString(`{
  "name": "big",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "big",
      "version": "1.0.0",
      "dependencies": {
`)
	for i := 0; i < 50; i++ {
		sep := ","
		if i == 49 {
			sep = ""
		}
		fmt.Fprintf(&b, "        \"pkg-%04d\": \"^1.%d.0\"%s\n", i, i%7, sep)
	}
	b.WriteString("      }\n    }")
	for i := 0; i < n; i++ {
		patch := i % 5
		if bump && i%10 == 0 {
			patch++
		}
		fmt.Fprintf(&b, `,
    "node_modules/pkg-%04d": {
      "version": "1.%d.%d",
      "resolved": "https://registry.npmjs.org/pkg-%04d/-/pkg-%04d-1.%d.%d.tgz",
      "integrity": "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
      "dependencies": {
        "pkg-%04d": "^1.0.0"
      }
    }`, i, i%7, patch, i, i, i%7, patch, (i+1)%n)
	}
	b.WriteString("\n  }\n}\n")
	return []byte(b.String())
}

// cachedAdvisories answers at once, as the OSV client does from its cache.
type cachedAdvisories struct{}

func (cachedAdvisories) Lookup(_ context.Context, pkgs []Package) (map[Package][]Vulnerability, error) {
	out := map[Package][]Vulnerability{}
	for _, p := range pkgs[:1] {
		out[p] = []Vulnerability{{ID: "GHSA-xxxx-yyyy-zzzz", Severity: SeverityHigh, Fixed: "9.9.9"}}
	}
	return out, nil
}

// gitDiff is git's diff of two versions of one file, as the review
// command would see it.
func gitDiff(b *testing.B, name string, base, head []byte) *diff.Diff {
	b.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git is not installed")
	}
	dir := b.TempDir()
	for side, data := range map[string][]byte{"a": base, "b": head} {
		if err := os.MkdirAll(filepath.Join(dir, side), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, side, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command("git", "diff", "--no-index", "--no-color", "a/"+name, "b/"+name)
	cmd.Dir = dir
	out, _ := cmd.Output() // exit 1: the files differ
	d, err := diff.Parse([]byte(strings.ReplaceAll(string(out), "a/a/", "a/")))
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range d.Files {
		f.OldPath, f.NewPath = name, name
	}
	return diff.New(d.Files)
}

// BenchmarkAnalyzeLockfile2000 measures what the dependency analysis adds
// to a review of a pull request that changes a 2,000-package
// package-lock.json (200 packages upgraded) and not its package.json, with
// the vulnerability answers cached: reading both versions, comparing them,
// and making the findings and the facts for the dependencies pass.
func BenchmarkAnalyzeLockfile2000(b *testing.B) {
	pkg := []byte(`{"name": "big", "version": "1.0.0", "dependencies": {"pkg-0000": "^1.0.0"}}`)
	base, head := bigLock(2000, false), bigLock(2000, true)
	m := &memFiles{
		base: map[string][]byte{"package.json": pkg, "package-lock.json": base},
		head: map[string][]byte{"package.json": pkg, "package-lock.json": head},
	}
	d := gitDiff(b, "package-lock.json", base, head)
	b.SetBytes(int64(len(base) + len(head)))
	b.ReportAllocs()
	for b.Loop() {
		m.reads = nil
		rep, err := Analyze(context.Background(), []string{"package-lock.json"}, m, Options{Advisories: cachedAdvisories{}})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Changes) != 200 {
			b.Fatalf("%d changes, want 200", len(rep.Changes))
		}
		if len(rep.Findings(d)) != 1 || rep.Facts(d) == "" {
			b.Fatal("no finding or no facts")
		}
	}
}
