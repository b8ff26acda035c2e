package reviewer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// reviewed runs a review of the standard pull request with the injection
// finding and returns its inline comment.
func reviewed(t *testing.T, w *apptest.World) githubtest.ReviewComment {
	t.Helper()
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	if err := worker(w).Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	cs := w.GitHub.ReviewComments(apptest.Owner, apptest.Repo, 7)
	if len(cs) != 1 {
		t.Fatalf("review comments: %+v", cs)
	}
	return cs[0]
}

// threadJob asks in the thread of root as a writer.
func threadJob(w *apptest.World, root int64, action job.Action, body, question string) job.Job {
	q := w.GitHub.AddReviewComment(apptest.Owner, apptest.Repo, 7, githubtest.ReviewComment{User: "bob", InReplyTo: root, Body: body})
	return job.Job{Repo: apptest.Owner + "/" + apptest.Repo, Installation: apptest.Installation, PR: 7, Source: job.Thread, Action: action, Post: true,
		RequestKey: "thread", CommentID: q.ID, ThreadID: root, Requester: "bob", AuthorAssociation: "COLLABORATOR", Instructions: question}
}

func lastReply(t *testing.T, w *apptest.World, root int64) string {
	t.Helper()
	var body string
	n := 0
	for _, c := range w.GitHub.ReviewComments(apptest.Owner, apptest.Repo, 7) {
		if c.InReplyTo == root && c.User == w.GitHub.BotLogin() {
			body = c.Body
			n++
		}
	}
	if n == 0 {
		t.Fatal("no reply in the thread")
	}
	return body
}

// answerWith scripts thread answers: the text and, for fixes, one finding.
func answerWith(text string, fix *finding.Finding) apptest.Answer {
	return func(string, modeltest.Request) finding.Output {
		out := finding.Output{OverallCorrectness: finding.CorrectnessBad, OverallExplanation: text, OverallConfidenceScore: 0.8}
		if fix != nil {
			out.Findings = []finding.Finding{*fix}
		}
		return out
	}
}

func fix(start, end int, suggestion string) *finding.Finding {
	return &finding.Finding{Title: "Bind the name", Body: "Use a placeholder.", Priority: 1, ConfidenceScore: 0.9, Category: "security",
		CodeLocation: finding.CodeLocation{AbsoluteFilePath: "store/users.go", LineRange: finding.LineRange{Start: start, End: end}},
		Suggestion:   suggestion}
}

// TestSuggestionsAreChecked: a fix is posted as a suggestion only when it
// replaces exactly the thread's lines on the pull request's current diff.
func TestSuggestionsAreChecked(t *testing.T) {
	const good = "\tq := \"SELECT id, name FROM users WHERE name = $1\""
	tests := []struct {
		name     string
		action   job.Action
		fix      *finding.Finding
		outdated bool
		want     []string
		notWant  []string
	}{
		{name: "fits", action: job.Suggest, fix: fix(14, 14, good), want: []string{"```suggestion\n" + good + "\n```", "Suggestion for line 14 of store/users.go"}},
		{name: "fenced by the model", action: job.Suggest, fix: fix(14, 14, "```go\n"+good+"\n```"), want: []string{"```suggestion\n" + good + "\n```"}},
		{name: "other lines named: still the thread's", action: job.Suggest, fix: fix(30, 31, good), want: []string{"```suggestion\n" + good + "\n```"}},
		{name: "no fix given", action: job.Suggest, want: []string{"not a mechanical change"}, notWant: []string{"```suggestion"}},
		{name: "a question gets no suggestion", action: job.Answer, fix: fix(14, 14, good), notWant: []string{"```suggestion", "<sub>"}},
		{name: "outdated thread", action: job.Suggest, fix: fix(14, 14, good), outdated: true,
			want: []string{"not in the pull request's current version"}, notWant: []string{"```suggestion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := apptest.New(t)
			w.AddStandardPR(nil)
			root := reviewed(t, w)
			if tt.outdated {
				// A push rewrote line 14: the comment is outdated.
				w.GitHub.SetHead(apptest.Owner, apptest.Repo, 7, "3333333333333333333333333333333333333333", []githubtest.File{{
					Filename: "store/users.go", Status: "modified", Additions: 1, Changes: 1,
					Patch: "@@ -10,3 +10,4 @@ func (s *Store) Get(ctx context.Context, id int) (*User, error) {\n \treturn u, nil\n }\n \n+// nothing else",
				}})
			}
			w.SetAnswer(answerWith("Use a placeholder.", tt.fix))
			if err := worker(w).Run(context.Background(), threadJob(w, root.ID, tt.action, "@codex fix it", "fix it")); err != nil {
				t.Fatal(err)
			}
			body := lastReply(t, w, root.ID)
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("reply lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(body, s) {
					t.Errorf("reply has %q:\n%s", s, body)
				}
			}
		})
	}
}

// TestAnswerIsPostedOnce: a job retried after its answer was posted (a
// crash between posting and finishing) does not answer twice.
func TestAnswerIsPostedOnce(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	root := reviewed(t, w)
	w.SetAnswer(answerWith("Because.", nil))
	j := threadJob(w, root.ID, job.Answer, "@codex why?", "why?")
	for range 2 {
		if err := worker(w).Run(context.Background(), j); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, c := range w.GitHub.ReviewComments(apptest.Owner, apptest.Repo, 7) {
		if c.InReplyTo == root.ID && c.User == w.GitHub.BotLogin() {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d answers, want 1", n)
	}
}

// TestConversationFailures: a question the model cannot answer ends with a
// reply saying so, and "ignore" outside the app's threads says why nothing
// was dismissed.
func TestConversationFailures(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	root := reviewed(t, w)
	j := threadJob(w, root.ID, job.Answer, "@codex why?", "why?")
	if err := worker(w).Fail(context.Background(), j, errors.New("the model endpoint timed out")); err != nil {
		t.Fatal(err)
	}
	if body := lastReply(t, w, root.ID); !strings.Contains(body, "could not answer") || !strings.Contains(body, "timed out") {
		t.Errorf("failure reply:\n%s", body)
	}

	storetest.Run(t, func(t *testing.T, databaseURL string) {
		db, err := store.Open(t.Context(), databaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wk := worker(w)
		wk.Memory = db.Memory()
		// A thread someone else started.
		other := w.GitHub.AddReviewComment(apptest.Owner, apptest.Repo, 7, githubtest.ReviewComment{User: "bob", Path: "store/users.go", Line: 15, Body: "Hm."})
		d := threadJob(w, other.ID, job.Dismiss, "@codex ignore", "")
		if err := wk.Run(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		if body := lastReply(t, w, other.ID); !strings.Contains(body, "nothing to dismiss") {
			t.Errorf("ignore outside the app's thread:\n%s", body)
		}
		if ds, _ := db.Dismissals().List(t.Context(), "acme/shop", 7); len(ds) != 0 {
			t.Errorf("dismissed %+v", ds)
		}
		// The app's thread: recorded, 👍.
		d = threadJob(w, root.ID, job.Dismiss, "@codex ignore", "")
		if err := wk.Run(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		ds, err := db.Dismissals().List(t.Context(), "acme/shop", 7)
		if err != nil || len(ds) != 1 || ds[0].CommentID != root.ID || ds[0].Reason != store.DismissIgnored || ds[0].Actor != "bob" || ds[0].Fingerprint == "" {
			t.Errorf("dismissals %+v, %v", ds, err)
		}
		var got []string
		for _, r := range w.GitHub.ReviewCommentReactions(apptest.Owner, apptest.Repo, d.CommentID) {
			got = append(got, r.Content)
		}
		if len(got) != 1 || got[0] != "+1" {
			t.Errorf("reactions on ignore: %v", got)
		}
	})
}

// BenchmarkThreadAnswer: answering a question in the app's thread on the
// standard pull request, everything but model latency (the fake GitHub
// and model answer over loopback HTTP; each round adds a question to the
// thread). It reports the o200k tokens of what the model is sent for the
// first question (the finding and the question): instructions and
// messages, not the schema.
func BenchmarkThreadAnswer(b *testing.B) {
	w := apptest.New(b)
	w.AddStandardPR(nil)
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	wk := worker(w)
	c := w.GitHub.AddIssueComment(apptest.Owner, apptest.Repo, githubtest.IssueComment{Number: 7, User: "alice", Body: "@codex review"})
	if err := wk.Run(context.Background(), job.Job{Repo: apptest.Owner + "/" + apptest.Repo, Installation: apptest.Installation, PR: 7,
		Source: job.Comment, Action: job.Review, Post: true, RequestKey: "comment", CommentID: c.ID, Requester: "alice", AuthorAssociation: "OWNER"}); err != nil {
		b.Fatal(err)
	}
	root := w.GitHub.ReviewComments(apptest.Owner, apptest.Repo, 7)[0].ID
	first := len(w.Model.Requests()) // the first answer's request, in a thread of the finding and one question
	w.SetAnswer(answerWith("`name` reaches the query unescaped.", nil))
	b.ReportAllocs()
	for b.Loop() {
		if err := wk.Run(context.Background(), threadJob(w, root, job.Answer, "@codex why is this a problem?", "why is this a problem?")); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	counter, err := budget.NewCounter(apptest.ModelName)
	if err != nil {
		b.Fatal(err)
	}
	req := w.Model.Requests()[first]
	b.ReportMetric(float64(counter.Count(req.Instructions+strings.Join(req.UserMessages, "\n"))), "prompt-tokens")
}

// TestNoSuggestionAcrossSides: a thread on a range that starts on the
// base side (start_side LEFT) and ends on the head side covers different
// head lines from what its numbers say: start_line 13 is the base's line
// 13, which is the head's line 21 in the standard diff. A suggestion
// written for head lines 13-22 would replace 21-22 when committed, so none
// is offered.
func TestNoSuggestionAcrossSides(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	root := w.GitHub.AddReviewComment(apptest.Owner, apptest.Repo, 7, githubtest.ReviewComment{
		User: "bob", Path: "store/users.go", Body: "can this be simpler?", CommitID: apptest.HeadSHA,
		StartLine: 13, StartSide: "LEFT", Line: 22, Side: "RIGHT",
		OriginalCommitID: apptest.HeadSHA, OriginalStartLine: 13, OriginalLine: 22,
	})
	lines := strings.Repeat("\t// x\n", 9) + "\t// y"
	w.SetAnswer(answerWith("Here is a simpler version.", fix(13, 22, lines)))
	if err := worker(w).Run(context.Background(), threadJob(w, root.ID, job.Suggest, "@codex suggest", "")); err != nil {
		t.Fatal(err)
	}
	if body := lastReply(t, w, root.ID); strings.Contains(body, "```suggestion") {
		t.Errorf("a suggestion was offered for a range across both sides:\n%s", body)
	}
}
