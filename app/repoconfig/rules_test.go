package repoconfig

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRulesEngineOptions(t *testing.T) {
	r, err := ParseRules(FileName, []byte("version: 1\nreview:\n  instructions: Prefer errors to panics.\n  passes: separate\n"),
		[]byte("# Agents\n\n## Review guidelines\n\nMoney is int64 cents.\n\n## Other\n\nNot this.\n"))
	if err != nil {
		t.Fatal(err)
	}
	opt := r.EngineOptions()
	want := "Prefer errors to panics.\n\nReview guidelines from the repository's AGENTS.md:\nMoney is int64 cents."
	if opt.Instructions != want || opt.Passes != "separate" {
		t.Errorf("instructions %q, passes %q; want %q, separate", opt.Instructions, opt.Passes, want)
	}

	// No files: the defaults, no instructions.
	r, err = ParseRules(FileName, nil, nil)
	if err != nil || !reflect.DeepEqual(r.Config, Default()) || r.EngineOptions().Instructions != "" {
		t.Errorf("no files: %+v, %v", r, err)
	}
	// Only guidelines.
	r, _ = ParseRules(FileName, nil, []byte("## Review guidelines\nBe brief.\n"))
	if got := r.EngineOptions().Instructions; got != "Review guidelines from the repository's AGENTS.md:\nBe brief." {
		t.Errorf("instructions = %q", got)
	}
	// An invalid file is an *Error with its position.
	var e *Error
	r, err = ParseRules("x/.codex.yml", []byte("version: 1\nreview:\n  focuss: []\n"), []byte("## Review guidelines\nBe brief.\n"))
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "x/.codex.yml:3:3") {
		t.Errorf("invalid file: %v", err)
	}
	if r.Guidelines != "Be brief." || !reflect.DeepEqual(r.Config, Default()) {
		t.Errorf("with an invalid file: %+v, want the guidelines and the defaults", r)
	}
}

func TestReadRulesAsksForBothFilesAtOnce(t *testing.T) {
	var asked [][]string
	read := func(_ context.Context, paths []string) (map[string][]byte, error) {
		asked = append(asked, paths)
		return map[string][]byte{FileName: []byte("version: 1\nreview:\n  min_priority: P3\n")}, nil
	}
	r, err := ReadRules(context.Background(), read)
	if err != nil || r.Config.Review.MinPriority != 3 || r.Guidelines != "" {
		t.Fatalf("rules %+v, %v", r, err)
	}
	if len(asked) != 1 || !reflect.DeepEqual(asked[0], []string{FileName, AgentsFileName}) {
		t.Errorf("reads = %v, want one for both files", asked)
	}
	boom := errors.New("boom")
	if _, err := ReadRules(context.Background(), func(context.Context, []string) (map[string][]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("read error = %v", err)
	}
}
