package gitdiff_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/codex-review/codex-review/review/gitdiff"
	"github.com/codex-review/codex-review/review/reviewtest"
)

func TestFilesAtACommitAndInTheWorkingTree(t *testing.T) {
	change := reviewtest.TestPR()
	r := change.Repo(t)
	repo, err := gitdiff.Open(context.Background(), r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	// The working tree moves on from the head commit; a symbolic link
	// points out of the repository.
	if err := os.WriteFile(filepath.Join(r.Dir, "src/calc.js"), []byte("changed on disk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("do not read"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(r.Dir, "link.js")); err != nil {
		t.Fatal(err)
	}
	paths := []string{"src/calc.js", "package.json", "missing.js", "link.js", "../outside", "/etc/passwd", "src/../package.json"}

	got, err := repo.At(r.HeadSHA).HeadFiles(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"src/calc.js": []byte(change.Head["src/calc.js"]), "package.json": []byte(change.Head["package.json"])}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("at the head commit: got %d files %v", len(got), keys(got))
	}
	base, err := repo.At(r.BaseSHA).HeadFiles(context.Background(), []string{"src/calc.js"})
	if err != nil || string(base["src/calc.js"]) != change.Base["src/calc.js"] {
		t.Errorf("at the base commit: %q, %v", base["src/calc.js"], err)
	}

	got, err = repo.WorkingTree().HeadFiles(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	want["src/calc.js"] = []byte("changed on disk\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("in the working tree: got %v", keys(got))
	}
	if _, err := repo.At("--output=x").HeadFiles(context.Background(), paths); err == nil {
		t.Error("a revision that looks like an option was accepted")
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
