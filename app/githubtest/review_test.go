package githubtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/githubtest"
)

func comment(path string, line int, side string) *github.DraftReviewComment {
	c := &github.DraftReviewComment{Path: github.String(path), Line: github.Int(line), Body: github.String("**[P1] x**")}
	if side != "" {
		c.Side = github.String(side)
	}
	return c
}

func rangeComment(path string, start int, startSide string, line int, side string) *github.DraftReviewComment {
	c := comment(path, line, side)
	c.StartLine = github.Int(start)
	if startSide != "" {
		c.StartSide = github.String(startSide)
	}
	return c
}

func TestCreateReviewValidation(t *testing.T) {
	tests := []struct {
		name     string
		event    string
		commit   string
		body     string
		comments []*github.DraftReviewComment
		wantErr  string // the single string in "errors"; empty when the review is accepted
	}{
		{name: "added line on RIGHT", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 3, "RIGHT")}},
		{name: "side defaults to RIGHT", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 12, "")}},
		{name: "context line on RIGHT", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 5, "RIGHT")}},
		{name: "deleted line on LEFT", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 2, "LEFT")}},
		{name: "context line on LEFT by old number", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 12, "LEFT")}},
		{name: "line between hunks", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 8, "RIGHT")}, wantErr: "Line could not be resolved"},
		{name: "line after the last hunk", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 14, "RIGHT")}, wantErr: "Line could not be resolved"},
		{name: "wrong side: new number on LEFT", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 5, "LEFT")}, wantErr: "Line could not be resolved"},
		{name: "wrong side: added line only exists on RIGHT", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 13, "LEFT")}, wantErr: "Line could not be resolved"},
		{name: "bad side value", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 3, "right")}, wantErr: `side "right" is not LEFT or RIGHT`},
		{name: "file without patch", event: "COMMENT", comments: []*github.DraftReviewComment{comment("img.png", 1, "RIGHT")}, wantErr: "Line could not be resolved"},
		{name: "unknown path", event: "COMMENT", comments: []*github.DraftReviewComment{comment("b.go", 3, "RIGHT")}, wantErr: "Path could not be resolved"},
		{name: "range in one hunk", event: "COMMENT", comments: []*github.DraftReviewComment{rangeComment("a.go", 2, "RIGHT", 4, "RIGHT")}},
		{name: "range start_side defaults to side", event: "COMMENT", comments: []*github.DraftReviewComment{rangeComment("a.go", 11, "", 13, "RIGHT")}},
		{name: "range from LEFT to RIGHT", event: "COMMENT", comments: []*github.DraftReviewComment{rangeComment("a.go", 2, "LEFT", 3, "RIGHT")}},
		{name: "range across hunks", event: "COMMENT", comments: []*github.DraftReviewComment{rangeComment("a.go", 4, "RIGHT", 12, "RIGHT")}, wantErr: "start_line must be part of the same hunk as the line"},
		{name: "range start equals line", event: "COMMENT", comments: []*github.DraftReviewComment{rangeComment("a.go", 3, "RIGHT", 3, "RIGHT")}, wantErr: "start_line must precede the end line"},
		{name: "range backwards", event: "COMMENT", comments: []*github.DraftReviewComment{rangeComment("a.go", 4, "RIGHT", 2, "RIGHT")}, wantErr: "start_line must precede the end line"},
		{name: "range start outside the diff", event: "COMMENT", comments: []*github.DraftReviewComment{rangeComment("a.go", 2, "RIGHT", 11, "RIGHT")}, wantErr: "start_line must be part of the same hunk as the line"},
		{name: "range start on the wrong side", event: "COMMENT", comments: []*github.DraftReviewComment{rangeComment("a.go", 5, "LEFT", 5, "RIGHT")}, wantErr: "Line could not be resolved"},
		{name: "position", event: "COMMENT", comments: []*github.DraftReviewComment{{Path: github.String("a.go"), Position: github.Int(10), Body: github.String("x")}}},
		{name: "position of a later hunk header", event: "COMMENT", comments: []*github.DraftReviewComment{{Path: github.String("a.go"), Position: github.Int(7), Body: github.String("x")}}, wantErr: "Line could not be resolved"},
		{name: "position past the patch", event: "COMMENT", comments: []*github.DraftReviewComment{{Path: github.String("a.go"), Position: github.Int(12), Body: github.String("x")}}, wantErr: "Line could not be resolved"},
		{name: "neither line nor position", event: "COMMENT", comments: []*github.DraftReviewComment{{Path: github.String("a.go"), Body: github.String("x")}}, wantErr: "Line could not be resolved"},
		{name: "one bad comment among good ones", event: "COMMENT", comments: []*github.DraftReviewComment{comment("a.go", 3, "RIGHT"), comment("a.go", 9, "RIGHT"), comment("a.go", 12, "RIGHT")}, wantErr: "Line could not be resolved"},
		{name: "unknown commit", event: "COMMENT", commit: strings.Repeat("9", 40), body: "x", wantErr: "No commit found for SHA: " + strings.Repeat("9", 40)},
		{name: "bad event", event: "DISMISS", body: "x", wantErr: `Variable $event of type PullRequestReviewEvent was provided invalid value "DISMISS"`},
		{name: "approve", event: "APPROVE"},
		{name: "request changes needs a body", event: "REQUEST_CHANGES", wantErr: "Review body is required when requesting changes"},
		{name: "comment needs a body or comments", event: "COMMENT", wantErr: "Review body or comments are required when commenting"},
		{name: "body of the maximum length", event: "COMMENT", body: strings.Repeat("ü", githubtest.MaxBodyChars)},
		{name: "body too long", event: "COMMENT", body: strings.Repeat("ü", githubtest.MaxBodyChars+1), wantErr: "Body is too long (maximum is 65536 characters)"},
		{name: "comment body too long", event: "COMMENT", comments: []*github.DraftReviewComment{{Path: github.String("a.go"), Line: github.Int(3), Body: github.String(strings.Repeat("x", githubtest.MaxBodyChars+1))}}, wantErr: "Body is too long (maximum is 65536 characters)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, gh := newServer(t)
			req := &github.PullRequestReviewRequest{Comments: tt.comments}
			if tt.event != "" {
				req.Event = github.String(tt.event)
			}
			if tt.body != "" {
				req.Body = github.String(tt.body)
			}
			if tt.commit != "" {
				req.CommitID = github.String(tt.commit)
			}
			rv, _, err := gh.PullRequests.CreateReview(context.Background(), owner, repo, 7, req)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CreateReview: %v", err)
				}
				got := srv.Reviews(owner, repo, 7)
				if len(got) != 1 || got[0].ID != rv.GetID() || len(got[0].Comments) != len(tt.comments) || got[0].CommitID != head {
					t.Fatalf("recorded %+v", got)
				}
				return
			}
			var er *github.ErrorResponse
			if !errors.As(err, &er) || er.Response.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("err = %v, want 422", err)
			}
			if er.Message != "Unprocessable Entity" || len(er.Errors) != 1 || er.Errors[0].Message != tt.wantErr ||
				er.DocumentationURL != "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request" {
				t.Errorf("error response = %q %+v %q", er.Message, er.Errors, er.DocumentationURL)
			}
			if got := srv.Reviews(owner, repo, 7); len(got) != 0 {
				t.Errorf("a refused review was recorded: %+v", got)
			}
		})
	}
}

// TestCreateReviewErrorBody checks the exact bytes of a 422: GitHub's shape, and no hint of
// which comment is bad.
func TestCreateReviewErrorBody(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddRepo(owner, repo, githubtest.RepoOptions{})
	srv.AddPR(owner, repo, githubtest.PR{Number: 7, HeadSHA: head, Files: []githubtest.File{{Filename: "a.go", Patch: mainPatch}}})
	body := `{"commit_id":"` + head + `","event":"COMMENT","comments":[{"path":"a.go","line":9,"side":"RIGHT","body":"secret-marker"}]}`
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"repos/acme/widgets/pulls/7/reviews", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	want := map[string]any{
		"message":           "Unprocessable Entity",
		"errors":            []any{"Line could not be resolved"},
		"documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
		"status":            "422",
	}
	if resp.StatusCode != 422 || !jsonEqual(got, want) {
		t.Errorf("status %d body %s", resp.StatusCode, raw)
	}
	if strings.Contains(string(raw), "a.go") || strings.Contains(string(raw), "secret-marker") {
		t.Errorf("error names the offending comment: %s", raw)
	}
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

func TestReviewCommentsAreRecordedAndListed(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	rv, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, 7, &github.PullRequestReviewRequest{
		CommitID: github.String(head), Event: github.String("COMMENT"), Body: github.String("summary"),
		Comments: []*github.DraftReviewComment{
			rangeComment("a.go", 2, "RIGHT", 4, "RIGHT"),
			comment("a.go", 11, "LEFT"),
		},
	})
	if err != nil {
		t.Fatalf("CreateReview: %v", err)
	}
	if rv.GetState() != "COMMENTED" || rv.GetCommitID() != head || rv.GetUser().GetLogin() != srv.BotLogin() || rv.SubmittedAt == nil {
		t.Errorf("review = %+v", rv)
	}
	got := srv.Reviews(owner, repo, 7)
	if len(got) != 1 {
		t.Fatalf("reviews = %+v", got)
	}
	want := []githubtest.ReviewComment{
		{Path: "a.go", Line: 4, Side: "RIGHT", StartLine: 2, StartSide: "RIGHT", Position: 5},
		{Path: "a.go", Line: 11, Side: "LEFT", Position: 9},
	}
	for i, c := range got[0].Comments {
		if c.Path != want[i].Path || c.Line != want[i].Line || c.Side != want[i].Side || c.StartLine != want[i].StartLine ||
			c.StartSide != want[i].StartSide || c.Position != want[i].Position || c.ReviewID != rv.GetID() {
			t.Errorf("comment %d = %+v, want %+v", i, c, want[i])
		}
	}

	listed, _, err := gh.PullRequests.ListReviewComments(ctx, owner, repo, 7, rv.GetID(), nil)
	if err != nil {
		t.Fatalf("ListReviewComments: %v", err)
	}
	if len(listed) != 2 || listed[0].GetStartLine() != 2 || listed[0].GetLine() != 4 || listed[1].GetSide() != "LEFT" ||
		listed[0].GetDiffHunk() != "@@ -1,4 +1,5 @@\n package a\n-func old() {}\n+func new() {}\n+func added() {}\n " ||
		listed[1].GetDiffHunk() != "@@ -10,3 +11,3 @@ func f() {\n a\n-b" {
		t.Errorf("listed comments: %+v", listed)
	}
	all, _, err := gh.PullRequests.ListComments(ctx, owner, repo, 7, nil)
	if err != nil || len(all) != 2 {
		t.Errorf("ListComments = %d comments, %v", len(all), err)
	}
	reviews, _, err := gh.PullRequests.ListReviews(ctx, owner, repo, 7, nil)
	if err != nil || len(reviews) != 1 || reviews[0].GetBody() != "summary" {
		t.Errorf("ListReviews = %+v, %v", reviews, err)
	}
}

func TestPendingReviews(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	pending := &github.PullRequestReviewRequest{Comments: []*github.DraftReviewComment{comment("a.go", 3, "RIGHT")}}
	first, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, 7, pending)
	if err != nil {
		t.Fatalf("first pending review: %v", err)
	}
	if first.GetState() != "PENDING" || first.SubmittedAt != nil {
		t.Errorf("pending review = %+v", first)
	}
	_, _, err = gh.PullRequests.CreateReview(ctx, owner, repo, 7, pending)
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 422 || er.Errors[0].Message != "User can only have one pending review per pull request" {
		t.Fatalf("second pending review: %v", err)
	}
	// A submitted review is allowed next to a pending one.
	submitted, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, 7, &github.PullRequestReviewRequest{Event: github.String("COMMENT"), Body: github.String("x")})
	if err != nil {
		t.Fatalf("submitted review beside a pending one: %v", err)
	}
	if _, _, err := gh.PullRequests.DeletePendingReview(ctx, owner, repo, 7, submitted.GetID()); statusOf(t, err) != 422 {
		t.Errorf("deleting a submitted review: %v, want 422", err)
	}
	if _, _, err := gh.PullRequests.DeletePendingReview(ctx, owner, repo, 7, first.GetID()); err != nil {
		t.Fatalf("DeletePendingReview: %v", err)
	}
	if _, _, err := gh.PullRequests.DeletePendingReview(ctx, owner, repo, 7, first.GetID()); statusOf(t, err) != 404 {
		t.Errorf("deleting twice: %v, want 404", err)
	}
	if _, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, 7, pending); err != nil {
		t.Errorf("pending review after deleting the first: %v", err)
	}
	if got := srv.Reviews(owner, repo, 7); len(got) != 2 || got[0].State != "COMMENTED" || got[1].State != "PENDING" {
		t.Errorf("reviews = %+v", got)
	}
}

func TestReviewOnEarlierHead(t *testing.T) {
	srv, gh := newServer(t)
	newHead := strings.Repeat("3", 40)
	srv.SetHead(owner, repo, 7, newHead, []githubtest.File{{Filename: "c.go", Status: "added", Patch: "@@ -0,0 +1,2 @@\n+a\n+b"}})
	ctx := context.Background()
	tests := []struct {
		name    string
		commit  string
		c       *github.DraftReviewComment
		wantErr bool
	}{
		{"old head, old diff", head, comment("a.go", 3, "RIGHT"), false},
		{"old head, new file", head, comment("c.go", 1, "RIGHT"), true},
		{"new head, new file", newHead, comment("c.go", 2, "RIGHT"), false},
		{"new head, old file", newHead, comment("a.go", 3, "RIGHT"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, 7, &github.PullRequestReviewRequest{
				CommitID: github.String(tt.commit), Event: github.String("COMMENT"),
				Comments: []*github.DraftReviewComment{tt.c},
			})
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestReviewCommentCap(t *testing.T) {
	srv, gh := newServer(t)
	srv.SetMaxReviewComments(2)
	ctx := context.Background()
	for n, wantErr := range map[int]bool{2: false, 3: true} {
		var cs []*github.DraftReviewComment
		for range n {
			cs = append(cs, comment("a.go", 3, "RIGHT"))
		}
		_, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, 7, &github.PullRequestReviewRequest{Event: github.String("COMMENT"), Comments: cs})
		if (err != nil) != wantErr {
			t.Errorf("%d comments: err = %v, want error %v", n, err, wantErr)
		}
	}
}
