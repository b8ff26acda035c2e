package githubtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/githubtest"
)

// postReview posts a review with one comment on a.go line 3 (an added line) and returns the
// comment's id.
func postReview(t *testing.T, gh *github.Client) int64 {
	t.Helper()
	ctx := context.Background()
	rv, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, 7, &github.PullRequestReviewRequest{
		CommitID: github.String(head), Event: github.String("COMMENT"), Body: github.String("summary"),
		Comments: []*github.DraftReviewComment{comment("a.go", 3, "RIGHT")},
	})
	if err != nil {
		t.Fatalf("CreateReview: %v", err)
	}
	cs, _, err := gh.PullRequests.ListReviewComments(ctx, owner, repo, 7, rv.GetID(), nil)
	if err != nil || len(cs) != 1 {
		t.Fatalf("ListReviewComments = %v, %v", cs, err)
	}
	return cs[0].GetID()
}

func TestReplies(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	root := postReview(t, gh)
	srv.SetPermission(owner, repo, "bob", "write")
	human := srv.AddReviewComment(owner, repo, 7, githubtest.ReviewComment{User: "bob", InReplyTo: root, Body: "@codex why?"})
	if human.InReplyTo != root || human.Path != "a.go" || human.Line != 3 || human.User != "bob" {
		t.Fatalf("human reply = %+v", human)
	}

	reply, resp, err := gh.PullRequests.CreateCommentInReplyTo(ctx, owner, repo, 7, "Because of X.", root)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("CreateCommentInReplyTo = %v, %v", resp, err)
	}
	if reply.GetInReplyTo() != root || reply.GetUser().GetLogin() != srv.BotLogin() || reply.GetPath() != "a.go" || reply.GetLine() != 3 {
		t.Errorf("reply = %+v", reply)
	}

	all, _, err := gh.PullRequests.ListComments(ctx, owner, repo, 7, nil)
	if err != nil || len(all) != 3 {
		t.Fatalf("ListComments = %d, %v", len(all), err)
	}
	if all[0].GetID() != root || all[0].InReplyTo != nil || all[1].GetInReplyTo() != root || all[1].GetAuthorAssociation() != "COLLABORATOR" ||
		all[2].GetBody() != "Because of X." || all[0].GetAuthorAssociation() != "NONE" {
		t.Errorf("listed: %+v %+v %+v", all[0], all[1], all[2])
	}
	// Each reply is a review of its own, as on GitHub.
	if reviews := srv.Reviews(owner, repo, 7); len(reviews) != 3 || reviews[2].Body != "" || reviews[2].State != "COMMENTED" {
		t.Errorf("reviews after two replies: %+v", reviews)
	}

	errs := []struct {
		name   string
		call   func() error
		status int
	}{
		{"reply to a reply", func() error {
			_, _, err := gh.PullRequests.CreateCommentInReplyTo(ctx, owner, repo, 7, "x", reply.GetID())
			return err
		}, http.StatusUnprocessableEntity},
		{"reply to nothing", func() error {
			_, _, err := gh.PullRequests.CreateCommentInReplyTo(ctx, owner, repo, 7, "x", 999999)
			return err
		}, http.StatusNotFound},
		{"blank reply", func() error {
			_, _, err := gh.PullRequests.CreateCommentInReplyTo(ctx, owner, repo, 7, "  ", root)
			return err
		}, http.StatusUnprocessableEntity},
		{"reply too long", func() error {
			_, _, err := gh.PullRequests.CreateCommentInReplyTo(ctx, owner, repo, 7, strings.Repeat("x", githubtest.MaxBodyChars+1), root)
			return err
		}, http.StatusUnprocessableEntity},
		{"new thread outside the diff", func() error {
			_, _, err := gh.PullRequests.CreateComment(ctx, owner, repo, 7, &github.PullRequestComment{
				CommitID: github.String(head), Path: github.String("a.go"), Line: github.Int(8), Body: github.String("x")})
			return err
		}, http.StatusUnprocessableEntity},
	}
	for _, tt := range errs {
		if err := tt.call(); err == nil || statusOf(t, err) != tt.status {
			t.Errorf("%s: err %v, want status %d", tt.name, err, tt.status)
		}
	}
	if n := len(srv.ReviewComments(owner, repo, 7)); n != 3 {
		t.Errorf("refused replies were recorded: %d comments", n)
	}

	// The dedicated replies endpoint works the same.
	req, err := gh.NewRequest(http.MethodPost, "repos/acme/widgets/pulls/7/comments/"+itoa(root)+"/replies", map[string]string{"body": "again"})
	if err != nil {
		t.Fatal(err)
	}
	var viaReplies github.PullRequestComment
	if _, err := gh.Do(ctx, req, &viaReplies); err != nil || viaReplies.GetInReplyTo() != root {
		t.Errorf("replies endpoint: %+v, %v", viaReplies, err)
	}
	// A new thread through the comments endpoint.
	top, _, err := gh.PullRequests.CreateComment(ctx, owner, repo, 7, &github.PullRequestComment{
		CommitID: github.String(head), Path: github.String("a.go"), Line: github.Int(12), Body: github.String("here")})
	if err != nil || top.GetLine() != 12 || top.InReplyTo != nil {
		t.Errorf("new thread: %+v, %v", top, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestReviewCommentReactions(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	id := postReview(t, gh)

	r, resp, err := gh.Reactions.CreatePullRequestCommentReaction(ctx, owner, repo, id, "eyes")
	if err != nil || resp.StatusCode != http.StatusCreated || r.GetContent() != "eyes" {
		t.Fatalf("first reaction: %v %v %v", r, resp, err)
	}
	if _, resp, err := gh.Reactions.CreatePullRequestCommentReaction(ctx, owner, repo, id, "eyes"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("same reaction again: %v %v", resp, err)
	}
	if _, _, err := gh.Reactions.CreatePullRequestCommentReaction(ctx, owner, repo, id, "thumbsdown"); err == nil || statusOf(t, err) != 422 {
		t.Errorf("bad content: %v", err)
	}
	if _, _, err := gh.Reactions.CreatePullRequestCommentReaction(ctx, owner, repo, 424242, "+1"); err == nil || statusOf(t, err) != 404 {
		t.Errorf("unknown comment: %v", err)
	}
	srv.ReactToReviewComment(owner, repo, id, "bob", "-1")
	srv.ReactToReviewComment(owner, repo, id, "carol", "-1")
	srv.ReactToReviewComment(owner, repo, id, "carol", "+1")

	c, _, err := gh.PullRequests.GetComment(ctx, owner, repo, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.GetReactions(); got.GetTotalCount() != 4 || got.GetMinusOne() != 2 || got.GetPlusOne() != 1 || got.GetEyes() != 1 {
		t.Errorf("reaction counts on the comment: %+v", got)
	}
	all, _, err := gh.Reactions.ListPullRequestCommentReactions(ctx, owner, repo, id, nil)
	if err != nil || len(all) != 4 {
		t.Fatalf("ListPullRequestCommentReactions = %d, %v", len(all), err)
	}
	// GitHub filters by content when asked.
	req, _ := gh.NewRequest(http.MethodGet, "repos/acme/widgets/pulls/comments/"+itoa(id)+"/reactions?content=-1", nil)
	var down []*github.Reaction
	if _, err := gh.Do(ctx, req, &down); err != nil || len(down) != 2 || down[0].GetUser().GetLogin() != "bob" {
		t.Errorf("content=-1: %+v, %v", down, err)
	}
	if got := srv.ReviewCommentReactions(owner, repo, id); len(got) != 4 || got[0].User != srv.BotLogin() {
		t.Errorf("ReviewCommentReactions = %+v", got)
	}
}

// TestCommentsFollowPushes: a push that shifts a commented line moves the comment; one that
// changes it makes the comment outdated, with null line and position.
func TestCommentsFollowPushes(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	id := postReview(t, gh) // a.go:3 "func added() {}"
	other := srv.AddReviewComment(owner, repo, 7, githubtest.ReviewComment{User: "bob", Path: "a.go", Line: 12, Body: "c?"})

	const shifted = `@@ -1,4 +1,7 @@
 package a
-func old() {}
+// Package a.
+
+func new() {}
+func added() {}
 
 var x = 1
@@ -10,3 +13,3 @@ func f() {
 a
-b
+changed
 d`
	srv.SetHead(owner, repo, 7, "3333333333333333333333333333333333333333", []githubtest.File{{Filename: "a.go", Status: "modified", Patch: shifted}})
	moved, _, err := gh.PullRequests.GetComment(ctx, owner, repo, id)
	if err != nil {
		t.Fatal(err)
	}
	if moved.GetLine() != 5 || moved.GetOriginalLine() != 3 || moved.GetCommitID() != "3333333333333333333333333333333333333333" ||
		moved.GetOriginalCommitID() != head || moved.Position == nil {
		t.Errorf("moved comment: line %d original %d commit %s position %v", moved.GetLine(), moved.GetOriginalLine(), moved.GetCommitID(), moved.Position)
	}
	gone, _, err := gh.PullRequests.GetComment(ctx, owner, repo, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gone.Line != nil || gone.Position != nil || gone.GetOriginalLine() != 12 {
		t.Errorf("outdated comment: line %v position %v original %d", gone.Line, gone.Position, gone.GetOriginalLine())
	}
	if got := srv.ReviewComments(owner, repo, 7); !got[1].Outdated || got[0].Outdated || got[0].Line != 5 {
		t.Errorf("ReviewComments after the push: %+v", got)
	}
}

func TestThreadEvents(t *testing.T) {
	srv, gh := newServer(t)
	root := postReview(t, gh)
	reply := srv.AddReviewComment(owner, repo, 7, githubtest.ReviewComment{User: "alice", InReplyTo: root, Body: "Fixed."})

	var ev github.PullRequestReviewThreadEvent
	if err := json.Unmarshal(srv.ResolveThread(owner, repo, root, "alice", true), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.GetAction() != "resolved" || ev.GetInstallation().GetID() != githubtest.DefaultInstallationID ||
		ev.GetRepo().GetFullName() != "acme/widgets" || ev.GetPullRequest().GetNumber() != 7 || ev.GetSender().GetLogin() != "alice" {
		t.Errorf("event = %+v", ev)
	}
	cs := ev.GetThread().Comments
	if ev.GetThread().GetNodeID() == "" || len(cs) != 2 || cs[0].GetID() != root || cs[1].GetID() != reply.ID ||
		cs[0].GetUser().GetLogin() != srv.BotLogin() || cs[0].GetLine() != 3 {
		t.Errorf("thread = %+v", ev.GetThread())
	}
	if !srv.ThreadResolved(root) {
		t.Error("the thread is not resolved")
	}
	if err := json.Unmarshal(srv.ResolveThread(owner, repo, root, "alice", false), &ev); err != nil || ev.GetAction() != "unresolved" || srv.ThreadResolved(root) {
		t.Errorf("unresolve: %v, %q", err, ev.GetAction())
	}

	var ce github.PullRequestReviewCommentEvent
	if err := json.Unmarshal(srv.ReviewCommentEvent(owner, repo, reply.ID, "created"), &ce); err != nil {
		t.Fatal(err)
	}
	if ce.GetAction() != "created" || ce.GetComment().GetInReplyTo() != root || ce.GetComment().GetBody() != "Fixed." ||
		ce.GetComment().GetAuthorAssociation() != "CONTRIBUTOR" || ce.GetPullRequest().GetHead().GetSHA() != head || ce.GetInstallation().GetID() == 0 {
		t.Errorf("comment event = %+v", ce)
	}
}

// TestReviewCommentRoutes: the catch-all that serves /pulls/comments/{id} answers 404 for
// anything else under a pull request.
func TestReviewCommentRoutes(t *testing.T) {
	srv, _ := newServer(t)
	for _, path := range []string{"repos/acme/widgets/pulls/7/nothing", "repos/acme/widgets/pulls/comments/1/reactions/x", "repos/acme/widgets/pulls/comments/x"} {
		resp, err := srv.Client().Get(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s answered %d", path, resp.StatusCode)
		}
	}
}
