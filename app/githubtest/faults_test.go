package githubtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/githubtest"
)

func TestFailNextServerErrors(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	srv.FailNext(http.MethodGet, "/repos/*/*/pulls/*", 2, http.StatusBadGateway, nil)

	// Other paths and methods are untouched by the fault.
	if _, _, err := gh.PullRequests.ListFiles(ctx, owner, repo, 7, nil); err != nil {
		t.Fatalf("ListFiles is not covered by the pattern: %v", err)
	}
	for i := range 2 {
		if _, _, err := gh.PullRequests.Get(ctx, owner, repo, 7); statusOf(t, err) != http.StatusBadGateway {
			t.Fatalf("attempt %d: %v, want 502", i+1, err)
		}
	}
	if _, _, err := gh.PullRequests.Get(ctx, owner, repo, 7); err != nil {
		t.Fatalf("third attempt after two faults: %v", err)
	}
}

func TestFailNextMethodFilter(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	srv.FailNext(http.MethodPost, "/repos/acme/widgets/pulls/7/reviews", 1, http.StatusInternalServerError, nil)
	if _, _, err := gh.PullRequests.ListReviews(ctx, owner, repo, 7, nil); err != nil {
		t.Fatalf("GET is not covered by a POST fault: %v", err)
	}
	req := &github.PullRequestReviewRequest{Event: github.String("COMMENT"), Body: github.String("x")}
	if _, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, 7, req); statusOf(t, err) != 500 {
		t.Fatalf("POST: %v, want 500", err)
	}
	if _, _, err := gh.PullRequests.CreateReview(ctx, owner, repo, 7, req); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := len(srv.Reviews(owner, repo, 7)); n != 1 {
		t.Errorf("%d reviews recorded, want 1 (a failed POST must not create one)", n)
	}
}

func TestSecondaryRateLimit(t *testing.T) {
	srv, gh := newServer(t)
	srv.FailSecondaryRateLimit("", "/repos/*/*/pulls/*/reviews", 1, "7")
	_, _, err := gh.PullRequests.CreateReview(context.Background(), owner, repo, 7,
		&github.PullRequestReviewRequest{Event: github.String("COMMENT"), Body: github.String("x")})
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) {
		t.Fatalf("err = %v (%T), want *github.AbuseRateLimitError", err, err)
	}
	if abuse.RetryAfter == nil || *abuse.RetryAfter != 7*time.Second || !strings.Contains(abuse.Message, "You have exceeded a secondary rate limit") {
		t.Errorf("RetryAfter %v message %q", abuse.RetryAfter, abuse.Message)
	}
	if abuse.Response.StatusCode != http.StatusForbidden || abuse.Response.Header.Get("X-RateLimit-Remaining") == "0" {
		t.Errorf("status %d remaining %q", abuse.Response.StatusCode, abuse.Response.Header.Get("X-RateLimit-Remaining"))
	}
	// go-github now refuses requests until Retry-After passes, so a fresh client checks that the
	// fault was consumed.
	if _, _, err := newClient(t, srv, srv.Client()).PullRequests.CreateReview(context.Background(), owner, repo, 7,
		&github.PullRequestReviewRequest{Event: github.String("COMMENT"), Body: github.String("x")}); err != nil {
		t.Errorf("after the fault: %v", err)
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	srv, gh := newServer(t)
	srv.FailNext("", "/repos/*/*/pulls/*", 1, http.StatusForbidden, http.Header{"X-Ratelimit-Remaining": {"0"}})
	_, _, err := gh.PullRequests.Get(context.Background(), owner, repo, 7)
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Remaining != 0 || rl.Rate.Limit != githubtest.RateLimit {
		t.Fatalf("err = %v (%T), want *github.RateLimitError with 0 remaining", err, err)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	_, first, err := gh.PullRequests.Get(ctx, owner, repo, 7)
	if err != nil {
		t.Fatal(err)
	}
	_, second, err := gh.PullRequests.Get(ctx, owner, repo, 404)
	if second == nil || err == nil {
		t.Fatalf("404 answer: %v", err)
	}
	if first.Rate.Limit != githubtest.RateLimit || second.Rate.Remaining != first.Rate.Remaining-1 || first.Rate.Reset.IsZero() {
		t.Errorf("rates %+v then %+v", first.Rate, second.Rate)
	}
	if second.Header.Get("X-RateLimit-Resource") != "core" || second.Header.Get("X-RateLimit-Used") == "" {
		t.Errorf("headers %v", second.Header)
	}
	if srv.Requests()[1].Status != http.StatusNotFound {
		t.Errorf("recorded status %d", srv.Requests()[1].Status)
	}
}

func TestRequestsRecorded(t *testing.T) {
	srv, _ := newServer(t)
	// A client at the root, like api.github.com, beside the enterprise-style one.
	root := github.NewClient(srv.Client())
	var err error
	if root.BaseURL, err = root.BaseURL.Parse(srv.URL()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := root.PullRequests.ListFiles(ctx, owner, repo, 7, &github.ListOptions{Page: 2, PerPage: 5}); err != nil {
		t.Fatal(err)
	}
	_, _, err = root.PullRequests.CreateReview(ctx, owner, repo, 7, &github.PullRequestReviewRequest{
		CommitID: github.String(head), Event: github.String("COMMENT"),
		Comments: []*github.DraftReviewComment{comment("a.go", 3, "RIGHT")},
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests recorded", len(reqs))
	}
	if r := reqs[0]; r.Method != "GET" || r.Path != "/repos/acme/widgets/pulls/7/files" || r.Query.Get("page") != "2" ||
		r.Query.Get("per_page") != "5" || r.Body != nil || !strings.HasPrefix(r.Header.Get("Authorization"), "token ") {
		t.Errorf("first request %+v", r)
	}
	body, ok := reqs[1].Body.(map[string]any)
	if !ok || body["commit_id"] != head || body["event"] != "COMMENT" {
		t.Fatalf("review body %#v", reqs[1].Body)
	}
	cs, _ := body["comments"].([]any)
	if c, _ := cs[0].(map[string]any); len(cs) != 1 || c["path"] != "a.go" || c["line"] != float64(3) {
		t.Errorf("comments %#v", body["comments"])
	}
}

// TestConcurrentUse runs clients and the recording helpers at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	srv, gh := newServer(t)
	trigger := srv.AddIssueComment(owner, repo, githubtest.IssueComment{Number: 7, User: "alice", Body: "@codex review"})
	ctx := context.Background()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := gh.Reactions.CreateIssueCommentReaction(ctx, owner, repo, trigger.ID, "eyes"); err != nil {
				errs <- err
				return
			}
			body := "comment " + strconv.Itoa(i)
			if _, _, err := gh.Issues.CreateComment(ctx, owner, repo, 7, &github.IssueComment{Body: &body}); err != nil {
				errs <- err
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = srv.Requests()
			_ = srv.Comments(owner, repo, 7)
			_ = srv.Reactions(owner, repo, trigger.ID)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(srv.Reactions(owner, repo, trigger.ID)); n != 1 {
		t.Errorf("%d reactions, want 1: the same reaction twice is one reaction", n)
	}
	if n := len(srv.Comments(owner, repo, 7)); n != workers+1 {
		t.Errorf("%d comments, want %d", n, workers+1)
	}
	if n := len(srv.Requests()); n != 2*workers {
		t.Errorf("%d requests recorded, want %d", n, 2*workers)
	}
}

func TestLinkHeader(t *testing.T) {
	srv, gh := newServer(t)
	files := make([]githubtest.File, 45)
	for i := range files {
		files[i] = githubtest.File{Filename: fmt.Sprint(i)}
	}
	srv.AddPR(owner, repo, githubtest.PR{Number: 2, HeadSHA: head, Files: files})
	_, resp, err := gh.PullRequests.ListFiles(context.Background(), owner, repo, 2, &github.ListOptions{Page: 2, PerPage: 20})
	if err != nil {
		t.Fatal(err)
	}
	link := resp.Header.Get("Link")
	for _, want := range []string{
		srv.URL() + `api/v3/repos/acme/widgets/pulls/2/files?page=3&per_page=20>; rel="next"`,
		`page=3&per_page=20>; rel="last"`,
		`page=1&per_page=20>; rel="prev"`,
		`page=1&per_page=20>; rel="first"`,
	} {
		if !strings.Contains(link, want) {
			t.Errorf("Link %q lacks %q", link, want)
		}
	}
	if resp.NextPage != 3 || resp.PrevPage != 1 || resp.FirstPage != 1 || resp.LastPage != 3 {
		t.Errorf("pages next %d prev %d first %d last %d", resp.NextPage, resp.PrevPage, resp.FirstPage, resp.LastPage)
	}
}

// recordingTB captures the fake's complaints about a broken test setup.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestBrokenSetupIsReported(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*githubtest.Server)
		want  string
	}{
		{"malformed patch", func(s *githubtest.Server) {
			s.AddRepo(owner, repo, githubtest.RepoOptions{})
			s.AddPR(owner, repo, githubtest.PR{Number: 1, Files: []githubtest.File{{Filename: "x.go", Patch: "+no header"}}})
		}, "githubtest: patch of x.go: patch does not start with a hunk header"},
		{"repository not added", func(s *githubtest.Server) {
			s.SetContent("ghost", "repo", "main", "a", "b")
		}, "githubtest: repository ghost/repo not added; call AddRepo first"},
		{"pull request not added", func(s *githubtest.Server) {
			s.AddRepo(owner, repo, githubtest.RepoOptions{})
			s.AddIssueComment(owner, repo, githubtest.IssueComment{Number: 5, Body: "x"})
		}, "githubtest: pull request acme/widgets#5 not added; call AddPR first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			tt.setup(githubtest.New(rec))
			if len(rec.errors) != 1 || !strings.HasPrefix(rec.errors[0], tt.want) {
				t.Errorf("reported %q, want %q", rec.errors, tt.want)
			}
		})
	}
}
