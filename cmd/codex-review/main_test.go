package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// repo makes a git repository with one commit and an uncommitted change
// that a reviewer would flag.
func repo(t *testing.T) string {
	return gitRepo(t,
		map[string]string{"calc.go": "package calc\n\nfunc Div(a, b int) int {\n\treturn 0\n}\n"},
		map[string]string{"calc.go": "package calc\n\nfunc Div(a, b int) int {\n\treturn a / b\n}\n"})
}

// gitRepo makes a git repository whose one commit holds the files of
// base, then writes the files of change over it, uncommitted. It skips the
// test when git is not installed.
func gitRepo(t *testing.T, base, change map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed; the review command tests need it")
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(files map[string]string) {
		t.Helper()
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	git("init", "-q", "-b", "main")
	write(base)
	git("add", ".")
	git("commit", "-qm", "init")
	write(change)
	return dir
}

// fake is a model whose bugs area finds a division by zero at the given
// priority, and the other areas nothing.
func fake(t *testing.T, priority int) *modeltest.Server {
	return modeltest.NewServer(t, func(req modeltest.Request) modeltest.Reply {
		out := modeltest.AnswerByArea(req, func(a finding.Area, _ modeltest.Request) finding.Output {
			out := finding.Output{Findings: []finding.Finding{}, OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Fine.", OverallConfidenceScore: 0.7}
			if a == finding.Bugs {
				out.Findings = append(out.Findings, finding.Finding{
					Title: "Division by zero", Body: "`return a / b` panics when `b` is 0.", Priority: priority,
					ConfidenceScore: 0.9, Category: "bugs",
					CodeLocation: finding.CodeLocation{AbsoluteFilePath: "calc.go", LineRange: finding.LineRange{Start: 4, End: 4}},
				})
				out.OverallCorrectness = finding.CorrectnessBad
			}
			return out
		})
		b, _ := json.Marshal(out)
		return modeltest.Reply{Text: string(b), Usage: modeltest.Usage{PromptTokens: 500, CachedTokens: 400, CompletionTokens: 30}}
	})
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func runCLI(t *testing.T, getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut, getenv)
	return code, out.String(), errOut.String()
}

func TestReviewExitCodesAndFormats(t *testing.T) {
	dir := repo(t)
	tests := []struct {
		name     string
		priority int
		args     []string
		wantCode int
		check    func(t *testing.T, stdout string)
	}{
		{name: "P1 finding fails the default threshold", priority: 1, args: []string{"--format", "json"}, wantCode: exitFindings,
			check: func(t *testing.T, stdout string) {
				var got struct {
					finding.Output
					Usage    finding.Usage `json:"usage"`
					Coverage struct {
						FilesReviewed int `json:"files_reviewed"`
					} `json:"coverage"`
				}
				if err := json.Unmarshal([]byte(stdout), &got); err != nil {
					t.Fatalf("json output: %v\n%s", err, stdout)
				}
				if len(got.Findings) != 1 || got.Findings[0].CodeLocation.AbsoluteFilePath != "calc.go" || got.Findings[0].Title != "[P1] Division by zero" {
					t.Errorf("findings = %+v", got.Findings)
				}
				// One combined pass: the usage is that call's report.
				if got.Usage.PromptTokens != 500 || got.Usage.CachedPromptTokens != 400 || got.Usage.Calls != 1 || got.Coverage.FilesReviewed != 1 {
					t.Errorf("usage %+v coverage %+v", got.Usage, got.Coverage)
				}
			}},
		{name: "fail-on P0 passes a P1", priority: 1, args: []string{"--fail-on", "P0"}, wantCode: exitOK,
			check: func(t *testing.T, stdout string) {
				if !strings.Contains(stdout, "calc.go:4") || !strings.Contains(stdout, "Division by zero") {
					t.Errorf("text output lacks the finding:\n%s", stdout)
				}
			}},
		{name: "below min-priority is not reported", priority: 2, args: []string{"--format", "sarif"}, wantCode: exitOK,
			check: func(t *testing.T, stdout string) {
				var log struct {
					Version string `json:"version"`
					Runs    []struct {
						Results []json.RawMessage `json:"results"`
					} `json:"runs"`
				}
				if err := json.Unmarshal([]byte(stdout), &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 0 {
					t.Errorf("sarif = %s (%v)", stdout, err)
				}
			}},
		{name: "min-priority P2 reports it, fail-on none", priority: 2, args: []string{"--min-priority", "P2", "--fail-on", "none", "--format", "markdown"}, wantCode: exitOK,
			check: func(t *testing.T, stdout string) {
				if !strings.Contains(stdout, "[P2] Division by zero") {
					t.Errorf("markdown lacks the finding:\n%s", stdout)
				}
			}},
		{name: "focus limits the passes", priority: 1, args: []string{"--focus", "security", "--format", "json"}, wantCode: exitOK,
			check: func(t *testing.T, stdout string) {
				if strings.Contains(stdout, "Division") {
					t.Errorf("bugs pass ran although only security was asked:\n%s", stdout)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fake(t, tt.priority)
			getenv := env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "CODEX_MODEL": "gpt-5-codex"})
			code, stdout, stderr := runCLI(t, getenv, append([]string{"review", "-C", dir}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr)
			}
			tt.check(t, stdout)
		})
	}
}

func TestReviewDiffFromStdinAndFile(t *testing.T) {
	srv := fake(t, 1)
	getenv := env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL()})
	d := "diff --git a/calc.go b/calc.go\n--- a/calc.go\n+++ b/calc.go\n@@ -3,3 +3,3 @@ package calc\n func Div(a, b int) int {\n-\treturn 0\n+\treturn a / b\n }\n"
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"review", "--diff", "-", "--format", "json"}, strings.NewReader(d), &out, &errOut, getenv)
	if code != exitFindings || !strings.Contains(out.String(), `"line_range"`) {
		t.Fatalf("stdin: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	file := filepath.Join(t.TempDir(), "change.diff")
	if err := os.WriteFile(file, []byte(d), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, getenv, "review", "--diff", file, "--fail-on", "none"); code != exitOK {
		t.Fatalf("file: exit %d: %s", code, stderr)
	}
}

func TestReviewErrorsExitTwoWithOneLine(t *testing.T) {
	dir := repo(t)
	srv := fake(t, 1)
	local := env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL()})
	tests := []struct {
		name   string
		getenv func(string) string
		args   []string
		want   string
	}{
		{"no key for OpenAI", env(nil), []string{"review", "-C", dir}, "OPENAI_API_KEY is not set"},
		{"bad focus", local, []string{"review", "-C", dir, "--focus", "style"}, "unknown focus area"},
		{"bad priority", local, []string{"review", "-C", dir, "--min-priority", "P7"}, "invalid --min-priority"},
		{"bad format", local, []string{"review", "-C", dir, "--format", "xml"}, "invalid --format"},
		{"two sources", local, []string{"review", "-C", dir, "--base", "main", "--commit", "HEAD"}, "none of the others can be"},
		{"unknown base", local, []string{"review", "-C", dir, "--base", "nope"}, "merge base"},
		{"not a repository", local, []string{"review", "-C", t.TempDir()}, "not a git working tree"},
		{"missing diff file", local, []string{"review", "--diff", filepath.Join(dir, "none.diff")}, "read --diff"},
		{"not a diff", local, []string{"review", "--diff", filepath.Join(dir, "calc.go")}, "diff"},
		{"bad API mode", env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "CODEX_MODEL_API": "grpc"}), []string{"review", "-C", dir}, "CODEX_MODEL_API"},
		{"bad log level", env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "CODEX_LOG_LEVEL": "loud"}), []string{"review", "-C", dir}, `CODEX_LOG_LEVEL must be one of trace, debug, info, warn, error, got "loud"`},
	}
	t.Setenv("GIT_CEILING_DIRECTORIES", os.TempDir())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.getenv, tt.args...)
			if code != exitError {
				t.Fatalf("exit %d, want 2; stdout %q stderr %q", code, stdout, stderr)
			}
			if !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr = %q, want one line containing %q", stderr, tt.want)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d model calls were made by failing invocations", n)
	}
}

func TestReviewModelFailureExitsTwo(t *testing.T) {
	dir := repo(t)
	srv := modeltest.NewServer(t, modeltest.Always(modeltest.Fail(modeltest.InvalidAPIKey())))
	code, _, stderr := runCLI(t, env(map[string]string{"OPENAI_BASE_URL": srv.BaseURL(), "OPENAI_API_KEY": "sk-wrong"}), "review", "-C", dir)
	if code != exitError || strings.Contains(stderr, "sk-wrong") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCLI(t, env(nil), "version")
	if code != exitOK || !strings.HasPrefix(stdout, "codex-review ") {
		t.Errorf("version: %d %q", code, stdout)
	}
}

func TestServeRefusesToStartWithoutSettings(t *testing.T) {
	code, _, stderr := runCLI(t, env(map[string]string{"GITHUB_APP_ID": "12"}), "serve")
	if code != exitError {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"GITHUB_PRIVATE_KEY_PATH (or GITHUB_PRIVATE_KEY) is not set", "GITHUB_WEBHOOK_SECRET is not set", "OPENAI_API_KEY is not set"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(good, []byte("version: 1\nreview:\n  min_priority: P2\n"), 0o644)
	os.WriteFile(bad, []byte("version: 1\nreview:\n  min_priority: P5\n  focuss: [security]\n"), 0o644)
	if code, out, _ := runCLI(t, env(nil), "config", "validate", good); code != exitOK || out != "" {
		t.Errorf("valid file: exit %d, output %q", code, out)
	}
	code, out, _ := runCLI(t, env(nil), "config", "validate", bad)
	if code != exitFindings || !strings.Contains(out, bad+":3:17:") || !strings.Contains(out, bad+":4:3:") {
		t.Errorf("invalid file: exit %d, output %q", code, out)
	}
	if code, _, stderr := runCLI(t, env(nil), "config", "validate", filepath.Join(dir, "missing.yml")); code != exitError || !strings.Contains(stderr, "missing.yml") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
}
