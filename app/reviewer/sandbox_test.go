package reviewer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/review/sandbox"
)

// sandboxConfig asks for separate passes, so that the tests below can see
// which pass gets the tests' output.
const sandboxConfig = "version: 1\nreview:\n  passes: separate\nsandbox:\n  enabled: true\n  command: sh run-tests.sh\n  timeout: 1m\n"

// failingTests is a stand-in test runner: it prints what `go test` prints
// for a failure and exits 1.
const failingTests = "echo '--- FAIL: TestFindEscapesName (0.00s)'\necho '    users_test.go:12: got 3 rows'\necho FAIL\nexit 1\n"

func TestSandboxFailuresReachTheSummaryAndEveryPass(t *testing.T) {
	if err := sandbox.Available(context.Background()); err != nil {
		t.Skipf("the sandbox cannot run here (%v); .ci/run installs bubblewrap", err)
	}
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", sandboxConfig)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "run-tests.sh", failingTests)
	wk := worker(w)
	wk.Sandbox = sandbox.NewLimiter(1)
	if err := wk.Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
	if len(rv) != 1 || !strings.Contains(rv[0].Body, "TestFindEscapesName") || !strings.Contains(rv[0].Body, "sh run-tests.sh") {
		t.Fatalf("the summary lacks the test run:\n%v", rv)
	}
	// Every pass judges the patch's correctness: every pass gets them,
	// however the engine planned the passes.
	reqs := w.Model.Requests()
	if len(reqs) == 0 {
		t.Fatal("no model calls")
	}
	for _, r := range reqs {
		if !strings.Contains(r.UserMessages[len(r.UserMessages)-1], "--- FAIL: TestFindEscapesName") {
			t.Errorf("the pass for %v did not get the failing tests", apptest.Area(r))
		}
	}
}

func TestSandboxNotRunSaysWhy(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(w *apptest.World)
		config string
		want   string
	}{
		{"fork without allow_forks", func(w *apptest.World) {
			w.AddStandardPR(func(pr *githubtest.PR) { pr.HeadRepo = "mallory/shop" })
		}, sandboxConfig, "comes from a fork"},
		{"host cannot run sandboxes", func(w *apptest.World) { w.AddStandardPR(nil) }, sandboxConfig, "bwrap: executable file not found"},
		{"no command", func(w *apptest.World) { w.AddStandardPR(nil) }, "version: 1\nsandbox:\n  enabled: false\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := apptest.New(t)
			tt.setup(w)
			w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", tt.config)
			wk := worker(w)
			wk.Sandbox = sandbox.NewLimiter(1)
			wk.SandboxUnavailable = errors.New("bwrap: executable file not found in $PATH")
			if tt.name == "fork without allow_forks" {
				wk.SandboxUnavailable = nil
			}
			if err := wk.Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
				t.Fatal(err)
			}
			rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
			if len(rv) != 1 {
				t.Fatalf("%d reviews", len(rv))
			}
			if tt.want == "" {
				if strings.Contains(rv[0].Body, "tests were not run") {
					t.Errorf("a repository without a sandbox gets a note about it:\n%s", rv[0].Body)
				}
				return
			}
			if !strings.Contains(rv[0].Body, "tests were not run") || !strings.Contains(rv[0].Body, tt.want) {
				t.Errorf("summary does not say why the tests did not run (%q):\n%s", tt.want, rv[0].Body)
			}
		})
	}
}
