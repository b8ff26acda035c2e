package reviewer_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// checkRuns are the codex-review check runs of the standard repository.
func checkRuns(w *apptest.World) []githubtest.CheckRun {
	var out []githubtest.CheckRun
	for _, cr := range w.GitHub.CheckRuns(apptest.Owner, apptest.Repo) {
		if cr.Name == "codex-review" {
			out = append(out, cr)
		}
	}
	return out
}

// minor is a P2 finding on the standard pull request.
func minor() finding.Finding {
	return finding.Finding{Title: "[P2] Scan error ignored", Body: "`err` from Scan is never checked.", Priority: 2, ConfidenceScore: 0.8,
		Category: "security", CodeLocation: finding.CodeLocation{AbsoluteFilePath: "store/users.go", LineRange: finding.LineRange{Start: 17, End: 17}}}
}

func TestCheckRunConclusions(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		findings []finding.Finding
		want     string
	}{
		{"default, findings stand", "", []finding.Finding{apptest.Injection(14)}, "neutral"},
		{"default, no findings", "", nil, "success"},
		{"fail on P1, a P1 stands", "checks: {fail_on: P1}\n", []finding.Finding{apptest.Injection(14)}, "failure"},
		{"fail on P0, a P1 stands", "checks: {fail_on: P0}\n", []finding.Finding{apptest.Injection(14)}, "success"},
		{"fail on P2, a P1 stands", "checks: {fail_on: P2}\n", []finding.Finding{apptest.Injection(14)}, "failure"},
		{"fail on P1, only a P2 stands", "review: {min_priority: P2}\nchecks: {fail_on: P1}\n", []finding.Finding{minor()}, "success"},
		{"fail on P3, no findings", "checks: {fail_on: P3}\n", nil, "success"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := apptest.New(t)
			w.AddStandardPR(nil)
			w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\n"+tt.config)
			// The check must be in progress when the model is first called.
			var (
				mu       sync.Mutex
				atFirst  []githubtest.CheckRun
				answered bool
			)
			answer := apptest.SecurityFinds(tt.findings...)
			w.SetAnswer(func(area string, req modeltest.Request) finding.Output {
				mu.Lock()
				if !answered {
					answered, atFirst = true, checkRuns(w)
				}
				mu.Unlock()
				return answer(area, req)
			})
			if err := worker(w).Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
				t.Fatal(err)
			}
			if len(atFirst) != 1 || atFirst[0].Status != "in_progress" || atFirst[0].HeadSHA != apptest.HeadSHA {
				t.Fatalf("check runs at the first model call: %+v", atFirst)
			}
			runs := checkRuns(w)
			if len(runs) != 1 {
				t.Fatalf("%d check runs, want 1", len(runs))
			}
			cr := runs[0]
			if cr.Status != "completed" || cr.Conclusion != tt.want {
				t.Errorf("check run %s/%s, want completed/%s", cr.Status, cr.Conclusion, tt.want)
			}
			reviews := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
			if len(reviews) != 1 || !strings.HasSuffix(cr.DetailsURL, "#pullrequestreview-"+strconv.FormatInt(reviews[0].ID, 10)) {
				t.Errorf("details_url %q does not link the review %+v", cr.DetailsURL, reviews)
			}
			if len(cr.Annotations) != len(tt.findings) {
				t.Fatalf("annotations %+v, want one per finding", cr.Annotations)
			}
			for i, f := range tt.findings {
				a := cr.Annotations[i]
				level := map[int]string{1: "failure", 2: "warning"}[f.Priority]
				if a.Path != f.CodeLocation.AbsoluteFilePath || a.StartLine != f.CodeLocation.LineRange.Start || a.Level != level ||
					!strings.Contains(a.Title, strings.TrimPrefix(f.Title, "[P"+strconv.Itoa(f.Priority)+"] ")) {
					t.Errorf("annotation %+v for finding %+v", a, f)
				}
			}
			if len(tt.findings) > 0 && (!strings.Contains(cr.Summary, "store/users.go") || !strings.Contains(cr.Title, "1 finding")) {
				t.Errorf("check output %q:\n%s", cr.Title, cr.Summary)
			}
		})
	}
}

func TestCheckRunsOff(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nchecks: {enabled: false}\n")
	if err := worker(w).Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	if runs := w.GitHub.CheckRuns(apptest.Owner, apptest.Repo); len(runs) != 0 {
		t.Errorf("checks.enabled false made check runs: %+v", runs)
	}
	if len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)) != 1 {
		t.Error("no review")
	}
}

func TestFailedReviewCompletesItsCheck(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	wk := worker(w)
	w.Model = modeltest.NewServer(t, modeltest.Always(modeltest.Fail(modeltest.InvalidAPIKey())))
	wk.Model = w.ModelConfig()
	r := comment(w, "alice", "OWNER", "@codex review")
	err := wk.Run(context.Background(), r)
	if err == nil {
		t.Fatal("the review did not fail")
	}
	if runs := checkRuns(w); len(runs) != 1 || runs[0].Status != "in_progress" {
		t.Fatalf("after the failed attempt: %+v", runs)
	}
	// The queue gives up and says so: the check completes.
	if err := wk.Fail(context.Background(), r, err); err != nil {
		t.Fatal(err)
	}
	runs := checkRuns(w)
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" || runs[0].Title != "Review failed" ||
		!strings.Contains(runs[0].Summary, "OPENAI_API_KEY") {
		t.Errorf("check after the failure: %+v", runs)
	}
}

func TestRetriedJobTakesOverItsCheck(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	wk := worker(w)
	good := w.Model
	w.Model = modeltest.NewServer(t, modeltest.Always(modeltest.Fail(modeltest.InvalidAPIKey())))
	wk.Model = w.ModelConfig()
	r := comment(w, "alice", "OWNER", "@codex review")
	if err := wk.Run(context.Background(), r); err == nil {
		t.Fatal("the first attempt did not fail")
	}
	// The second attempt, with the model back, finishes the same run.
	w.Model = good
	wk = worker(w)
	if err := wk.Run(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	runs := checkRuns(w)
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "success" {
		t.Errorf("check runs after the retry: %+v", runs)
	}
}

func TestCancelledAndSupersededJobsCompleteTheirChecks(t *testing.T) {
	for _, tt := range []struct {
		name  string
		end   func(*reviewer.Worker, job.Job) error
		title string
	}{
		{"cancelled", func(wk *reviewer.Worker, j job.Job) error { return wk.Cancelled(context.Background(), j) }, "Review cancelled"},
		{"superseded", func(wk *reviewer.Worker, j job.Job) error { return wk.Superseded(context.Background(), j) }, "Superseded by a newer commit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := apptest.New(t)
			w.AddStandardPR(nil)
			wk := worker(w)
			w.Model = modeltest.NewServer(t, modeltest.Always(modeltest.Fail(modeltest.InvalidAPIKey())))
			wk.Model = w.ModelConfig()
			j := auto(apptest.HeadSHA, job.Opened)
			if err := wk.Run(context.Background(), j); err == nil {
				t.Fatal("the attempt did not fail")
			}
			if err := tt.end(wk, j); err != nil {
				t.Fatal(err)
			}
			runs := checkRuns(w)
			if len(runs) != 1 || runs[0].Conclusion != "cancelled" || runs[0].Title != tt.title {
				t.Errorf("check runs: %+v", runs)
			}
			if cs := w.GitHub.Comments(apptest.Owner, apptest.Repo, 7); len(cs) != 0 {
				t.Errorf("a %s job commented: %+v", tt.name, cs)
			}
		})
	}
}

func TestInstallationWithoutChecksStillGetsReviews(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	perms := map[string]string{}
	for k, v := range githubtest.DefaultInstallationPermissions {
		if k != "checks" {
			perms[k] = v
		}
	}
	w.GitHub.SetInstallationPermissions(apptest.Installation, perms)
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	// The worker logs from the goroutines that read GitHub at once: the
	// buffer takes one write at a time.
	var logs bytes.Buffer
	ctx := zerolog.New(zerolog.SyncWriter(&logs)).WithContext(context.Background())
	wk := worker(w)
	for i := range 2 {
		// "again": the same request for the same head is otherwise
		// answered with a link, not a second review (repeat_test.go).
		r := comment(w, "alice", "OWNER", "@codex review again")
		r.RequestKey, r.Fresh = "comment:"+strconv.Itoa(i), true
		if err := wk.Run(ctx, r); err != nil {
			t.Fatalf("a missing checks permission failed the job: %v", err)
		}
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 2 {
		t.Errorf("%d reviews, want 2", n)
	}
	if runs := w.GitHub.CheckRuns(apptest.Owner, apptest.Repo); len(runs) != 0 {
		t.Errorf("check runs: %+v", runs)
	}
	if n := strings.Count(logs.String(), "checks: write"); n != 1 {
		t.Errorf("%d warnings about the permission, want one per installation:\n%s", n, logs.String())
	}
}

func TestRerunFromTheCheck(t *testing.T) {
	rerun := func(user string) job.Job {
		return job.Job{Repo: apptest.Owner + "/" + apptest.Repo, Installation: apptest.Installation, PR: 7, HeadSHA: apptest.HeadSHA,
			Source: job.CheckRun, Action: job.Review, Post: true, Requester: user, RequestKey: "rerun:" + user}
	}
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	w.GitHub.SetPermission(apptest.Owner, apptest.Repo, "carol", "write")
	w.GitHub.SetPermission(apptest.Owner, apptest.Repo, "dave", "read")
	wk := worker(w)
	if err := wk.Run(context.Background(), auto(apptest.HeadSHA, job.Opened)); err != nil {
		t.Fatal(err)
	}
	// Re-run by someone who may write: a fresh review of the same head,
	// whatever the earlier one found, with a check run of its own.
	if err := wk.Run(context.Background(), rerun("carol")); err != nil {
		t.Fatal(err)
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 2 {
		t.Fatalf("%d reviews after the re-run, want 2", n)
	}
	runs := checkRuns(w)
	if len(runs) != 2 || runs[1].ExternalID != "rerun:carol" || runs[1].Status != "completed" {
		t.Errorf("check runs: %+v", runs)
	}
	// By someone who may only read: nothing.
	calls := len(w.Model.Requests())
	if err := wk.Run(context.Background(), rerun("dave")); err != nil {
		t.Fatal(err)
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 2 || len(w.Model.Requests()) != calls {
		t.Errorf("a reader's re-run reviewed: %d reviews", n)
	}
}

func TestRepeatedRequestLeavesNoCheckInProgress(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	wk := worker(w)
	for i := range 2 {
		r := comment(w, "alice", "OWNER", "@codex review")
		r.RequestKey = "comment:" + strconv.Itoa(i)
		if err := wk.Run(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); n != 1 {
		t.Fatalf("%d reviews; the repeat should be answered with a link", n)
	}
	for _, cr := range checkRuns(w) {
		if cr.Status != "completed" {
			t.Errorf("a check run left %s: %+v", cr.Status, cr)
		}
	}
}

// A finding whose annotation GitHub refuses (422) still ends in a
// completed check with the review's conclusion; the run says the
// annotation is missing.
func TestCheckRunWithRefusedAnnotation(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nreview: {min_priority: P2}\nchecks: {fail_on: P1}\n")
	f := apptest.Injection(14)
	w.GitHub.RefuseAnnotations(apptest.Owner, apptest.Repo, f.CodeLocation.AbsoluteFilePath)
	w.SetAnswer(apptest.SecurityFinds(f, minor()))
	if err := worker(w).Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	runs := checkRuns(w)
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" {
		t.Fatalf("check runs %+v, want one completed/failure", runs)
	}
	if as := runs[0].Annotations; len(as) != 0 {
		t.Errorf("annotations %+v attached", as)
	}
	if want := "2 of 2 annotations could not be attached: GitHub refused them."; runs[0].Text != want {
		t.Errorf("text %q, want %q", runs[0].Text, want)
	}
}
