package githubtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/githubtest"
)

func annotations(n int) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, n)
	for i := range out {
		out[i] = &github.CheckRunAnnotation{Path: github.String("a.go"), StartLine: github.Int(i + 1), EndLine: github.Int(i + 1),
			AnnotationLevel: github.String("warning"), Message: github.String(fmt.Sprintf("finding %d", i))}
	}
	return out
}

// status422 returns the message of a 422 answer, failing the test for anything else.
func status422(t *testing.T, err error) string {
	t.Helper()
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || ge.Response.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("err = %v, want 422", err)
	}
	msg := ge.Message
	for _, e := range ge.Errors {
		msg += " " + e.Message
	}
	return msg
}

func TestCheckRunLifecycle(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	cr, _, err := gh.Checks.CreateCheckRun(ctx, owner, repo, github.CreateCheckRunOptions{
		Name: "codex-review", HeadSHA: head, ExternalID: github.String("comment:1"), Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("Reviewing"), Summary: github.String("The review is running.")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cr.GetStatus() != "in_progress" || cr.GetHeadSHA() != head || cr.GetApp().GetSlug() == "" {
		t.Errorf("created %+v", cr)
	}
	// Annotations beyond the first 50 come with further updates and accumulate.
	all := annotations(120)
	if _, _, err := gh.Checks.UpdateCheckRun(ctx, owner, repo, cr.GetID(), github.UpdateCheckRunOptions{
		Name: "codex-review", Conclusion: github.String("failure"), DetailsURL: github.String("https://github.com/acme/widgets/pull/7#pullrequestreview-1"),
		Output: &github.CheckRunOutput{Title: github.String("3 findings"), Summary: github.String("sum"), Annotations: all[:50]},
	}); err != nil {
		t.Fatal(err)
	}
	for _, batch := range [][]*github.CheckRunAnnotation{all[50:100], all[100:]} {
		if _, _, err := gh.Checks.UpdateCheckRun(ctx, owner, repo, cr.GetID(), github.UpdateCheckRunOptions{
			Name:   "codex-review",
			Output: &github.CheckRunOutput{Title: github.String("3 findings"), Summary: github.String("sum"), Annotations: batch},
		}); err != nil {
			t.Fatal(err)
		}
	}
	runs := srv.CheckRuns(owner, repo)
	if len(runs) != 1 {
		t.Fatalf("%d check runs", len(runs))
	}
	got := runs[0]
	if got.Status != "completed" || got.Conclusion != "failure" || got.CompletedAt.IsZero() || len(got.Annotations) != 120 ||
		got.Annotations[119].Message != "finding 119" || got.ExternalID != "comment:1" || got.Updates != 3 {
		t.Errorf("check run %+v", got)
	}

	// The list finds it by commit and name.
	list, _, err := gh.Checks.ListCheckRunsForRef(ctx, owner, repo, head, &github.ListCheckRunsOptions{CheckName: github.String("codex-review"), Filter: github.String("all")})
	if err != nil || list.GetTotal() != 1 || list.CheckRuns[0].GetID() != cr.GetID() || list.CheckRuns[0].GetConclusion() != "failure" {
		t.Errorf("list = %+v, %v", list, err)
	}
	other, _, err := gh.Checks.ListCheckRunsForRef(ctx, owner, repo, base, nil)
	if err != nil || other.GetTotal() != 0 {
		t.Errorf("list of another commit = %+v, %v", other, err)
	}
}

func TestCheckRunValidation(t *testing.T) {
	_, gh := newServer(t)
	ctx := context.Background()
	out := func(summary string, ann []*github.CheckRunAnnotation) *github.CheckRunOutput {
		return &github.CheckRunOutput{Title: github.String("t"), Summary: github.String(summary), Annotations: ann}
	}
	line := func(a *github.CheckRunAnnotation) []*github.CheckRunAnnotation {
		return []*github.CheckRunAnnotation{a}
	}
	ann := func() *github.CheckRunAnnotation { return annotations(1)[0] }
	tests := []struct {
		name string
		opt  github.CreateCheckRunOptions
		want string
	}{
		{"51 annotations", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Output: out("s", annotations(51))}, "No more than 50 items are allowed; 51 were supplied."},
		{"summary over 65535 characters", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Output: out(strings.Repeat("x", 65536), nil)}, "Only 65535 characters are allowed; 65536 were supplied."},
		{"summary over 65535 bytes", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Output: out(strings.Repeat("é", 40000), nil)}, "summary exceeds a maximum bytesize of 65535"},
		{"unknown commit", github.CreateCheckRunOptions{Name: "c", HeadSHA: strings.Repeat("9", 40)}, "No commit found for SHA"},
		{"completed without conclusion", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Status: github.String("completed")}, "conclusion can't be blank"},
		{"stale is GitHub's", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Conclusion: github.String("stale")}, `"stale" is not a member of enum`},
		{"output without summary", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Output: &github.CheckRunOutput{Title: github.String("t")}}, `"summary" wasn't supplied.`},
		{"bad level", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Output: out("s", line(func() *github.CheckRunAnnotation {
			a := ann()
			a.AnnotationLevel = github.String("error")
			return a
		}()))}, `"error" is not a member of enum`},
		{"columns across lines", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Output: out("s", line(func() *github.CheckRunAnnotation {
			a := ann()
			a.EndLine, a.StartColumn = github.Int(3), github.Int(1)
			return a
		}()))}, "only allowed when start_line equals end_line"},
		{"long annotation title", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Output: out("s", line(func() *github.CheckRunAnnotation {
			a := ann()
			a.Title = github.String(strings.Repeat("t", 256))
			return a
		}()))}, "maximum is 255 characters"},
		{"huge annotation message", github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Output: out("s", line(func() *github.CheckRunAnnotation {
			a := ann()
			a.Message = github.String(strings.Repeat("m", 64<<10+1))
			return a
		}()))}, "message exceeds a maximum bytesize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := gh.Checks.CreateCheckRun(ctx, owner, repo, tt.opt)
			if msg := status422(t, err); !strings.Contains(msg, tt.want) {
				t.Errorf("422 says %q, want %q", msg, tt.want)
			}
		})
	}
	// Within the limits, the same shapes are accepted.
	if _, _, err := gh.Checks.CreateCheckRun(ctx, owner, repo, github.CreateCheckRunOptions{Name: "c", HeadSHA: head, Conclusion: github.String("neutral"),
		Output: out(strings.Repeat("x", 65535), annotations(50))}); err != nil {
		t.Errorf("a run at the limits was refused: %v", err)
	}
}

func TestCheckRunsNeedThePermission(t *testing.T) {
	srv, gh := newServer(t)
	perms := map[string]string{}
	for k, v := range githubtest.DefaultInstallationPermissions {
		if k != "checks" {
			perms[k] = v
		}
	}
	srv.SetInstallationPermissions(githubtest.DefaultInstallationID, perms)
	_, _, err := gh.Checks.CreateCheckRun(context.Background(), owner, repo, github.CreateCheckRunOptions{Name: "c", HeadSHA: head})
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || ge.Response.StatusCode != http.StatusForbidden || ge.Message != "Resource not accessible by integration" {
		t.Fatalf("err = %v, want 403 Resource not accessible by integration", err)
	}
	if runs := srv.CheckRuns(owner, repo); len(runs) != 0 {
		t.Errorf("a refused check run was recorded: %+v", runs)
	}
	// Reviews still work for the same installation.
	if _, _, err := gh.PullRequests.CreateReview(context.Background(), owner, repo, 7, &github.PullRequestReviewRequest{
		CommitID: github.String(head), Body: github.String("ok"), Event: github.String("COMMENT")}); err != nil {
		t.Errorf("review: %v", err)
	}
}
