package publish_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/review/render"
)

func manyAnnotations(n int) []render.Annotation {
	out := make([]render.Annotation, n)
	for i := range out {
		out[i] = render.Annotation{Path: "c.go", StartLine: i + 1, EndLine: i + 1, Level: render.LevelWarning, Title: fmt.Sprintf("[P2] %d", i), Message: fmt.Sprintf("finding %d", i)}
	}
	return out
}

// checkWrites are the creates and updates of check runs the fake got, with
// the number of annotations in each.
func checkWrites(srv *githubtest.Server) []int {
	var out []int
	for _, r := range srv.Requests() {
		if (r.Method == http.MethodPost || r.Method == http.MethodPatch) && strings.Contains(r.Path, "/check-runs") {
			n := 0
			if body, ok := r.Body.(map[string]any); ok {
				if o, ok := body["output"].(map[string]any); ok {
					if as, ok := o["annotations"].([]any); ok {
						n = len(as)
					}
				}
			}
			out = append(out, n)
		}
	}
	return out
}

func TestCheckRunAnnotationsInBatches(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, err := publish.CreateCheckRun(ctx, e.gh, owner, repo, head, "comment:1", publish.CheckRun{
		Status: publish.CheckInProgress, Output: render.CheckOutput{Title: "Review in progress", Summary: "running"},
	})
	if err != nil {
		t.Fatal(err)
	}
	found, err := publish.FindCheckRun(ctx, e.gh, owner, repo, head, "comment:1")
	if err != nil || found.ID != id || found.Completed {
		t.Fatalf("FindCheckRun = %+v, %v; want %d in progress", found, err, id)
	}
	if other, err := publish.FindCheckRun(ctx, e.gh, owner, repo, head, "comment:2"); err != nil || other.ID != 0 {
		t.Errorf("FindCheckRun of another request = %+v, %v", other, err)
	}
	out := render.CheckOutput{Title: "120 findings", Summary: "many", Annotations: manyAnnotations(120)}
	if err := publish.UpdateCheckRun(ctx, e.gh, owner, repo, id, publish.CheckRun{Status: publish.CheckCompleted, Conclusion: publish.ConclusionNeutral, Output: out}); err != nil {
		t.Fatal(err)
	}
	if got := checkWrites(e.srv); fmt.Sprint(got) != "[0 50 50 20]" {
		t.Errorf("annotations per request = %v, want [0 50 50 20]", got)
	}
	runs := e.srv.CheckRuns(owner, repo)
	if len(runs) != 1 || runs[0].Conclusion != "neutral" || len(runs[0].Annotations) != 120 || runs[0].Annotations[119].Message != "finding 119" {
		t.Fatalf("check runs %+v", runs)
	}
	if found, err := publish.FindCheckRun(ctx, e.gh, owner, repo, head, "comment:1"); err != nil || !found.Completed {
		t.Errorf("FindCheckRun after completion = %+v, %v", found, err)
	}

	// Created completed in one go, with more than one batch.
	e2 := newEnv(t)
	if _, err := publish.CreateCheckRun(ctx, e2.gh, owner, repo, head, "auto", publish.CheckRun{Status: publish.CheckCompleted, Conclusion: publish.ConclusionFailure,
		Output: render.CheckOutput{Title: "t", Summary: "s", Annotations: manyAnnotations(51)}}); err != nil {
		t.Fatal(err)
	}
	if got := checkWrites(e2.srv); fmt.Sprint(got) != "[50 1]" {
		t.Errorf("annotations per request = %v, want [50 1]", got)
	}
}

// GitHub refusing some annotations (422) must not leave the run in
// progress: it is completed all the same, with the others, and says how
// many were left out.
func TestCheckRunRefusedAnnotations(t *testing.T) {
	ctx := context.Background()
	as := manyAnnotations(120)
	for _, i := range []int{3, 70, 71} {
		as[i].Path = "gone.go"
	}
	for _, create := range []bool{false, true} {
		e := newEnv(t)
		e.srv.RefuseAnnotations(owner, repo, "gone.go")
		run := publish.CheckRun{Status: publish.CheckCompleted, Conclusion: publish.ConclusionFailure,
			Output: render.CheckOutput{Title: "120 findings", Summary: "many", Annotations: as}}
		var err error
		if create {
			_, err = publish.CreateCheckRun(ctx, e.gh, owner, repo, head, "auto", run)
		} else {
			var id int64
			id, err = publish.CreateCheckRun(ctx, e.gh, owner, repo, head, "auto", publish.CheckRun{Status: publish.CheckInProgress,
				Output: render.CheckOutput{Title: "Review in progress", Summary: "running"}})
			if err != nil {
				t.Fatal(err)
			}
			err = publish.UpdateCheckRun(ctx, e.gh, owner, repo, id, run)
		}
		if err != nil {
			t.Fatalf("create %v: %v", create, err)
		}
		runs := e.srv.CheckRuns(owner, repo)
		if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" || runs[0].Summary != "many" {
			t.Fatalf("create %v: check runs %+v", create, runs)
		}
		got := runs[0].Annotations
		if len(got) != 117 {
			t.Errorf("create %v: %d annotations, want 117", create, len(got))
		}
		for _, a := range got {
			if a.Path != "c.go" {
				t.Errorf("create %v: refused annotation %+v attached", create, a)
			}
		}
		if want := "3 of 120 annotations could not be attached: GitHub refused them."; runs[0].Text != want {
			t.Errorf("create %v: text %q, want %q", create, runs[0].Text, want)
		}
	}

	// Refused only after the first batch, which went with the run: the
	// note still counts all of the run's annotations.
	as = manyAnnotations(120)
	as[70].Path, as[71].Path = "gone.go", "gone.go"
	e := newEnv(t)
	e.srv.RefuseAnnotations(owner, repo, "gone.go")
	if _, err := publish.CreateCheckRun(ctx, e.gh, owner, repo, head, "auto", publish.CheckRun{Status: publish.CheckCompleted, Conclusion: publish.ConclusionFailure,
		Output: render.CheckOutput{Title: "120 findings", Summary: "many", Annotations: as}}); err != nil {
		t.Fatal(err)
	}
	runs := e.srv.CheckRuns(owner, repo)
	if len(runs) != 1 || len(runs[0].Annotations) != 118 {
		t.Fatalf("check runs %+v", runs)
	}
	if want := "2 of 120 annotations could not be attached: GitHub refused them."; runs[0].Text != want {
		t.Errorf("text %q, want %q", runs[0].Text, want)
	}
}
