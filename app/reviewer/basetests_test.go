package reviewer_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/app/tarball"
	"github.com/codex-review/codex-review/review/sandbox"
)

// averageTests is the repository's test runner in these tests: it prints
// what `go test` prints when TestAverage fails, whenever src/calc.js loops
// one element too far, and passes otherwise. failAlways fails the same
// way on any tree.
const (
	averageTests = "if grep -q 'i <= values.length' src/calc.js; then\n" +
		"  echo '--- FAIL: TestAverage (0.00s)'\n  echo '    calc_test.go:7: average([1, 2, 3]) = NaN, want 2'\n  echo FAIL\n  exit 1\nfi\necho ok\n"
	failAlways = "echo '--- FAIL: TestAverage (0.00s)'\necho FAIL\nexit 1\n"
	goodCalc   = "function average(values) {\n  let total = 0;\n  for (let i = 0; i < values.length; i++) {\n    total += values[i];\n  }\n  return total / values.length;\n}\n"
	brokenCalc = "function average(values) {\n  let total = 0;\n  for (let i = 0; i <= values.length; i++) {\n    total += values[i];\n  }\n  return total / values.length;\n}\n"
)

// averagePatch changes src/calc.js from goodCalc to brokenCalc.
const averagePatch = "@@ -1,6 +1,6 @@\n function average(values) {\n   let total = 0;\n-  for (let i = 0; i < values.length; i++) {\n+  for (let i = 0; i <= values.length; i++) {\n     total += values[i];\n   }\n   return total / values.length;"

// tarballWatch wraps the pull request of a job to see, when the base
// commit's tree is fetched, how many sandboxes are in use: two means the
// base runs while the head's run holds its slot.
type tarballWatch struct {
	pulls   reviewer.Pulls
	limiter *sandbox.Limiter
	mu      sync.Mutex
	atBase  []int // sandboxes in use at each fetch of the base tree
}

func (tw *tarballWatch) Open(ctx context.Context, j job.Job) (reviewer.PullRequest, error) {
	pr, err := tw.pulls.Open(ctx, j)
	if err != nil {
		return nil, err
	}
	return watchedPR{pr, tw}, nil
}

// pullRequest names the interface so that embedding it does not hide its
// PullRequest method behind a field of the same name.
type pullRequest = reviewer.PullRequest

type watchedPR struct {
	pullRequest
	tw *tarballWatch
}

func (w watchedPR) Tarball(ctx context.Context, sha string) (*tarball.Tree, error) {
	if sha == apptest.BaseSHA {
		w.tw.mu.Lock()
		w.tw.atBase = append(w.tw.atBase, w.tw.limiter.InUse())
		w.tw.mu.Unlock()
	}
	return w.pullRequest.Tarball(ctx, sha)
}

// TestTestsRunAtTheBase runs the repository's tests with real bubblewrap
// at head and, when they fail, at the base, with one sandbox slot (one
// after the other) and with two (at the same time).
func TestTestsRunAtTheBase(t *testing.T) {
	if err := sandbox.Available(context.Background()); err != nil {
		t.Skipf("the sandbox cannot run here (%v); .ci/run installs bubblewrap", err)
	}
	tests := []struct {
		name       string
		headScript string
		baseScript string
		slots      int
		blame      sandbox.Blame // "" when the base must not be compared
		atBase     []int         // sandboxes in use when the base tree is fetched
	}{
		{"head fails, base passes; one slot", averageTests, averageTests, 1, sandbox.BlameChange, []int{1}},
		{"head fails, base passes; two slots", averageTests, averageTests, 2, sandbox.BlameChange, []int{2}},
		{"both fail; two slots", failAlways, failAlways, 2, sandbox.BlamePreExisting, []int{2}},
		{"head passes; one slot: the base is not run", "echo ok\n", "echo ok\n", 1, "", nil},
		{"head passes; two slots: the early base run is dropped", "echo ok\n", "echo ok\n", 2, "", []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, wk, watch := averageWorld(t, tt.headScript, tt.baseScript, tt.slots)
			if err := wk.Run(context.Background(), comment(w, "alice", "OWNER", "@codex review security")); err != nil {
				t.Fatal(err)
			}
			if !slicesEqual(watch.atBase, tt.atBase) {
				t.Errorf("sandboxes in use at each fetch of the base tree: %v, want %v", watch.atBase, tt.atBase)
			}
			rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
			if len(rv) != 1 {
				t.Fatalf("%d reviews", len(rv))
			}
			body := rv[0].Body
			switch tt.blame {
			case sandbox.BlameChange:
				if !strings.Contains(body, "**this change breaks it.**\n- `TestAverage`") || !strings.Contains(body, "**Verdict: patch is incorrect**") {
					t.Errorf("summary does not blame the change:\n%s", body)
				}
				if len(rv[0].Comments) != 1 || !strings.Contains(rv[0].Comments[0].Body, "**[P1] This change breaks `TestAverage`**") ||
					rv[0].Comments[0].Path != "src/calc.js" || rv[0].Comments[0].Line != 3 {
					t.Errorf("blame comment = %+v", rv[0].Comments)
				}
			case sandbox.BlamePreExisting:
				if !strings.Contains(body, "the failures are **pre-existing**, not caused by this change") ||
					strings.Contains(body, "This change breaks") || !strings.Contains(body, "**Verdict: patch is correct**") {
					t.Errorf("summary does not call the failures pre-existing:\n%s", body)
				}
			default:
				if strings.Contains(body, "base commit") {
					t.Errorf("a passing run was compared with the base:\n%s", body)
				}
			}
		})
	}
}

// averageWorld is the pull request that breaks average, with the given
// test runners at head and base, and a worker with that many sandboxes.
func averageWorld(t testing.TB, headScript, baseScript string, slots int) (*apptest.World, *reviewer.Worker, *tarballWatch) {
	w := apptest.New(t)
	w.AddStandardPR(func(pr *githubtest.PR) {
		pr.Files = []githubtest.File{{Filename: "src/calc.js", Status: "modified", Patch: averagePatch, Additions: 1, Deletions: 1, Changes: 2}}
	})
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nsandbox:\n  enabled: true\n  command: sh run-tests.sh\n  timeout: 1m\n")
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "run-tests.sh", headScript)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "src/calc.js", brokenCalc)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.BaseSHA, "run-tests.sh", baseScript)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.BaseSHA, "src/calc.js", goodCalc)
	wk := worker(w)
	wk.Sandbox = sandbox.NewLimiter(slots)
	watch := &tarballWatch{pulls: reviewer.OnGitHub(&pull.Opener{Clients: w.Clients, BotLogin: w.GitHub.BotLogin(), WebURL: "https://github.com/"}), limiter: wk.Sandbox}
	wk.Pulls = watch
	return w, wk, watch
}

// BenchmarkTestsAtTheBase is a review whose tests fail at head (each
// runner sleeps a second, standing in for a test suite): with one sandbox
// the base runs after head, with two at the same time.
func BenchmarkTestsAtTheBase(b *testing.B) {
	if err := sandbox.Available(context.Background()); err != nil {
		b.Skipf("the sandbox cannot run here (%v)", err)
	}
	slow := "sleep 1\n" + averageTests
	for _, slots := range []int{1, 2} {
		b.Run(fmt.Sprintf("sandboxes=%d", slots), func(b *testing.B) {
			w, wk, _ := averageWorld(b, slow, slow, slots)
			for b.Loop() {
				r := comment(w, "alice", "OWNER", "@codex review again")
				r.Fresh, r.RequestKey = true, fmt.Sprintf("comment:%d", r.CommentID)
				if err := wk.Run(context.Background(), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
