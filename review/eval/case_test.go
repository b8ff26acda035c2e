package eval

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/codex-review/codex-review/review/deps"
)

const smallDiff = "diff --git a/calc.go b/calc.go\n--- a/calc.go\n+++ b/calc.go\n@@ -3,3 +3,3 @@\n func Div(a, b int) int {\n-\treturn 0\n+\treturn a / b\n }\n"

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestLoadDiffCases(t *testing.T) {
	fsys := fstest.MapFS{
		"corpus/b-case/change.diff":       file(smallDiff),
		"corpus/b-case/expect.yaml":       file("description: Divides\nfindings:\n  - path: calc.go\n    lines: [4, 4]\n"),
		"corpus/b-case/.codex.yml":        file("version: 1\n"),
		"corpus/b-case/AGENTS.md":         file("## Review guidelines\nBe brief.\n"),
		"corpus/group/a-case/change.diff": file(smallDiff),
		"corpus/group/a-case/expect.yaml": file("description: Same, clean\nfindings: []\n"),
		"corpus/notes/README.md":          file("not a case"),
		"corpus/.hidden/change.diff":      file(smallDiff),
		"corpus/.hidden/expect.yaml":      file("broken: ["),
	}
	cases, err := Load(context.Background(), fsys, "corpus", "my-corpus")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 || cases[0].Name != "b-case" || cases[1].Name != "group/a-case" {
		t.Fatalf("cases: %v", names(cases))
	}
	b := cases[0]
	if b.Dir != "my-corpus/b-case" || string(b.Config) != "version: 1\n" || !strings.Contains(string(b.Agents), "Be brief") || b.FromTrees || len(b.Diff.Files) != 1 || len(b.Expected) != 1 {
		t.Errorf("b-case: %+v", b)
	}
	if a := cases[1]; a.Config != nil || a.Agents != nil || len(a.Expected) != 0 {
		t.Errorf("group/a-case: %+v", a)
	}

	// A corpus that is itself one case.
	one, err := Load(context.Background(), fsys, "corpus/b-case", "corpus/b-case")
	if err != nil || len(one) != 1 || one[0].Name != "b-case" {
		t.Errorf("single case: %v %v", names(one), err)
	}
}

func names(cs []*Case) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func TestLoadReportsEveryProblem(t *testing.T) {
	fsys := fstest.MapFS{
		"both/change.diff":       file(smallDiff),
		"both/base/x.go":         file("x"),
		"both/head/x.go":         file("y"),
		"both/expect.yaml":       file("description: x\nfindings: []\n"),
		"none/expect.yaml":       file("description: x\nfindings: []\n"),
		"elsewhere/change.diff":  file(smallDiff),
		"elsewhere/expect.yaml":  file("description: x\nfindings:\n  - path: other.go\n    lines: [1, 1]\n  - path: calc.go\n    lines: [30, 31]\n"),
		"notadiff/change.diff":   file("hello\n"),
		"notadiff/expect.yaml":   file("description: x\nfindings: []\n"),
		"empty/change.diff":      file(""),
		"empty/expect.yaml":      file("description: x\nfindings: []\n"),
		"badyaml/change.diff":    file(smallDiff),
		"badyaml/expect.yaml":    file("description: x\nfindings: []\nextra: 1\n"),
		"huge/change.diff":       &fstest.MapFile{Data: make([]byte, MaxDiffSize+1)},
		"huge/expect.yaml":       file("description: x\nfindings: []\n"),
		"diffosv/change.diff":    file(smallDiff),
		"diffosv/expect.yaml":    file("description: x\nfindings: []\n"),
		"diffosv/osv/npm/x.json": file(`{"id": "x", "affected": [{"package": {"ecosystem": "npm", "name": "x"}}]}`),
	}
	_, err := Load(context.Background(), fsys, ".", "c")
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LoadError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"c/both/change.diff: a case has either change.diff or base/ and head/, not both",
		"c/none: no change: add change.diff, or base/ and head/ trees",
		"c/elsewhere/expect.yaml:3:5: other.go is not in the change (it changes calc.go)",
		"c/elsewhere/expect.yaml:5:5: lines 30-31 of calc.go are not in the change (its hunks cover 3-5)",
		"c/notadiff/change.diff: diff: parse at line 1",
		"c/empty/change.diff: the change is empty",
		"c/badyaml/expect.yaml:3:1: unknown field \"extra\"",
		"c/huge/change.diff: larger than the limit of 16384 KiB",
		"c/diffosv/osv: only a case with base/ and head/ trees has a dependency analysis to give advisories to",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems lack %q:\n%s", want, msg)
		}
	}

	if _, err := Load(context.Background(), fstest.MapFS{"x/readme": file("")}, ".", "c"); err == nil || !strings.Contains(err.Error(), "no cases in c") {
		t.Errorf("empty corpus: %v", err)
	}
}

func TestLoadTreeCase(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	write := func(p, s string, mode os.FileMode) {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("case/base/calc.go", "package calc\n\nfunc Div(a, b int) int {\n\treturn 0\n}\n\n", 0o644)
	write("case/base/old.txt", "gone\n", 0o644)
	write("case/base/moved/long.txt", strings.Repeat("the same line\n", 20), 0o644)
	write("case/head/calc.go", "package calc\n\nfunc Div(a, b int) int {\n\treturn a / b\n}\n\n", 0o644)
	write("case/head/run.sh", "#!/bin/sh\n", 0o755)
	write("case/head/renamed/long.txt", strings.Repeat("the same line\n", 20), 0o644)
	write("case/head/.gitignore", "*.log\n", 0o644)
	write("case/head/debug.log", "ignored, as the review command ignores it\n", 0o644)
	if err := os.Symlink("calc.go", filepath.Join(root, "case/head/link.go")); err != nil {
		t.Fatal(err)
	}
	write("case/expect.yaml", "description: Divides\nfindings:\n  - path: calc.go\n    lines: [4, 4]\n  - path: old.txt\n    lines: [1, 1]\n", 0o644)

	cases, err := Load(context.Background(), os.DirFS(root), ".", root)
	if err != nil {
		t.Fatal(err)
	}
	c := cases[0]
	if !c.FromTrees {
		t.Error("FromTrees not set")
	}
	got := map[string]string{}
	for _, f := range c.Diff.Files {
		got[f.Path()] = string(f.Status) + " " + f.NewMode
	}
	want := map[string]string{
		"calc.go": "modified 100644", "old.txt": "removed ", "run.sh": "added 100755",
		"renamed/long.txt": "renamed ", ".gitignore": "added 100644", "link.go": "added 120000",
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: %q, want %q (all: %v)", p, got[p], w, got)
		}
	}
	if _, ok := got["debug.log"]; ok {
		t.Error("an ignored file was diffed")
	}
	// The diff is git's, with the review command's prefixes and flags.
	if !strings.Contains(string(c.Patch), "diff --git a/calc.go b/calc.go\n") || !strings.Contains(string(c.Patch), "rename from moved/long.txt") {
		t.Errorf("patch:\n%s", c.Patch)
	}
}

func TestHeadFilesOfATreeCase(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("not part of the case\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for p, s := range map[string]string{
		"case/base/calc.go":   "package calc\n",
		"case/head/calc.go":   "package calc\n\nfunc Div(a, b int) int { return a / b }\n",
		"case/head/big.txt":   strings.Repeat("x", 5<<20),
		"case/expect.yaml":    "description: Divides\nfindings: []\n",
		"case/head/sub/ok.go": "package sub\n",
	} {
		full := filepath.Join(root, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "case/head/leak.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "case/head/linked")); err != nil {
		t.Fatal(err)
	}
	cases, err := Load(context.Background(), os.DirFS(root), ".", root)
	if err != nil {
		t.Fatal(err)
	}
	head := cases[0].Head()
	if head == nil {
		t.Fatal("a tree case has no head files")
	}
	got, err := head.HeadFiles(context.Background(), []string{"calc.go", "sub/ok.go", "leak.txt", "linked/secret", "big.txt", "../case/head/calc.go", "/etc/passwd", "missing.go"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !strings.Contains(string(got["calc.go"]), "func Div") || string(got["sub/ok.go"]) != "package sub\n" {
		t.Errorf("head files: %v", keys(got))
	}

	// The dependency analysis reads both sides the same way.
	sides := cases[0].Sides()
	if b, err := sides.Read(context.Background(), deps.Base, "calc.go"); err != nil || string(b) != "package calc\n" {
		t.Errorf("base calc.go: %q %v", b, err)
	}
	for _, p := range []string{"leak.txt", "linked/secret", "missing.go", "../case/head/calc.go"} {
		if _, err := sides.Read(context.Background(), deps.Head, p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("head %s: %v, want fs.ErrNotExist", p, err)
		}
	}

	diffCase, err := Load(context.Background(), fstest.MapFS{"c/change.diff": file(smallDiff), "c/expect.yaml": file("description: x\nfindings: []\n")}, "c", "c")
	if err != nil || diffCase[0].Head() != nil || diffCase[0].Sides() != nil {
		t.Errorf("a diff case has files (%v)", err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestLoadTreeCaseAdvisories(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	const record = `{"schema_version": "1.6.0", "id": "GHSA-fake-aaaa-bbbb", "modified": "2025-01-01T00:00:00Z",
		"affected": [{"package": {"ecosystem": "npm", "name": "leftpad-fake"},
			"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]}],
		"database_specific": {"severity": "HIGH"}}`
	tree := func(dir string) fstest.MapFS {
		return fstest.MapFS{
			dir + "/base/package.json": file(`{"dependencies": {"leftpad-fake": "0.9.0"}}` + "\n"),
			dir + "/head/package.json": file(`{"dependencies": {"leftpad-fake": "1.0.0"}}` + "\n"),
			dir + "/expect.yaml":       file("description: x\nfindings: []\n"),
		}
	}
	fsys := tree("own")
	fsys["own/osv/npm/GHSA-fake-aaaa-bbbb.json"] = file(record)
	for p, f := range tree("plain") {
		fsys[p] = f
	}
	cases, err := Load(context.Background(), fsys, ".", "c")
	if err != nil {
		t.Fatal(err)
	}
	own, plain := cases[0], cases[1]
	if plain.Advisories() != nil {
		t.Error("a case without osv/ has advisories of its own")
	}
	adv := own.Advisories()
	if adv == nil {
		t.Fatal("the case's osv/ was not picked up")
	}
	pkg := deps.Package{Ecosystem: deps.NPM, Name: "leftpad-fake", Version: "1.0.0"}
	got, err := adv.Lookup(context.Background(), []deps.Package{pkg})
	if err != nil || len(got[pkg]) != 1 || got[pkg][0].ID != "GHSA-fake-aaaa-bbbb" || got[pkg][0].Severity != deps.SeverityHigh {
		t.Errorf("Lookup = %+v, %v", got, err)
	}

	bad := tree("bad")
	bad["bad/osv/npm/BROKEN.json"] = file("{")
	bad["bad/osv/GHSA-loose.json"] = file(record)
	_, err = Load(context.Background(), bad, ".", "c")
	for _, want := range []string{
		"c/bad/osv: GHSA-loose.json: a record belongs in the directory of its ecosystem",
		"c/bad/osv: npm/BROKEN.json: unexpected end of JSON input",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q: %v", want, err)
		}
	}
}
