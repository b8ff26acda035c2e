package githubtest_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/githubtest"
)

const (
	owner = "acme"
	repo  = "widgets"
	head  = "1111111111111111111111111111111111111111"
	base  = "2222222222222222222222222222222222222222"
)

// mainPatch has two hunks. Commentable lines:
//
//	hunk 1: RIGHT 1-5, LEFT 1-4 (positions 1-6)
//	hunk 2: RIGHT 11-13, LEFT 10-12 (header at position 7, lines at 8-11)
const mainPatch = `@@ -1,4 +1,5 @@
 package a
-func old() {}
+func new() {}
+func added() {}
 
 var x = 1
@@ -10,3 +11,3 @@ func f() {
 a
-b
+c
 d`

func newServer(t *testing.T) (*githubtest.Server, *github.Client) {
	t.Helper()
	srv := githubtest.New(t)
	srv.AddRepo(owner, repo, githubtest.RepoOptions{})
	srv.AddPR(owner, repo, githubtest.PR{
		Number: 7, Title: "Add widgets", Body: "Adds them.", User: "alice",
		HeadSHA: head, BaseSHA: base, BaseRef: "main", HeadRef: "feature",
		Files: []githubtest.File{
			{Filename: "a.go", Status: "modified", Patch: mainPatch, Additions: 3, Deletions: 2, Changes: 5},
			{Filename: "img.png", Status: "added"},
		},
	})
	return srv, newClient(t, srv, srv.Client())
}

func newClient(t *testing.T, srv *githubtest.Server, hc *http.Client) *github.Client {
	t.Helper()
	gh, err := github.NewClient(hc).WithEnterpriseURLs(srv.URL(), srv.URL())
	if err != nil {
		t.Fatalf("go-github client: %v", err)
	}
	return gh
}

func statusOf(t *testing.T, err error) int {
	t.Helper()
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("error %v (%T) is not a GitHub error response", err, err)
	}
	return er.Response.StatusCode
}

func TestGetPullRequest(t *testing.T) {
	srv, gh := newServer(t)
	srv.AddPR(owner, repo, githubtest.PR{
		Number: 8, Title: "From a fork", User: "bob", Draft: true,
		HeadSHA: head, BaseSHA: base, BaseRef: "main", HeadRef: "patch-1", HeadRepo: "bob/widgets",
	})
	tests := []struct {
		number                      int
		title, user, headRepo, head string
		draft                       bool
		changed                     int
	}{
		{7, "Add widgets", "alice", "acme/widgets", "acme:feature", false, 2},
		{8, "From a fork", "bob", "bob/widgets", "bob:patch-1", true, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.number), func(t *testing.T) {
			pr, _, err := gh.PullRequests.Get(context.Background(), owner, repo, tt.number)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if pr.GetTitle() != tt.title || pr.GetUser().GetLogin() != tt.user || pr.GetDraft() != tt.draft ||
				pr.GetHead().GetRepo().GetFullName() != tt.headRepo || pr.GetHead().GetLabel() != tt.head ||
				pr.GetChangedFiles() != tt.changed {
				t.Errorf("got title %q user %q draft %v head repo %q label %q changed %d",
					pr.GetTitle(), pr.GetUser().GetLogin(), pr.GetDraft(), pr.GetHead().GetRepo().GetFullName(),
					pr.GetHead().GetLabel(), pr.GetChangedFiles())
			}
			if pr.GetHead().GetSHA() != head || pr.GetBase().GetSHA() != base || pr.GetBase().GetRef() != "main" {
				t.Errorf("head/base = %s/%s %s", pr.GetHead().GetSHA(), pr.GetBase().GetSHA(), pr.GetBase().GetRef())
			}
		})
	}
	if _, _, err := gh.PullRequests.Get(context.Background(), owner, repo, 99); statusOf(t, err) != http.StatusNotFound {
		t.Errorf("unknown PR: %v, want 404", err)
	}
}

func TestListFilesPagination(t *testing.T) {
	tests := []struct {
		name      string
		files     int
		perPage   int
		wantPages int
		wantTotal int
	}{
		{"default page size", 65, 0, 3, 65},
		{"exact pages", 200, 100, 2, 200},
		{"per_page above the maximum is 100", 250, 500, 3, 250},
		{"capped at 3000 files", 3105, 100, 30, 3000},
		{"no files", 0, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, gh := newServer(t)
			files := make([]githubtest.File, tt.files)
			for i := range files {
				files[i] = githubtest.File{Filename: fmt.Sprintf("f%04d.go", i), Status: "added", Patch: "@@ -0,0 +1 @@\n+x"}
			}
			srv.AddPR(owner, repo, githubtest.PR{Number: 9, HeadSHA: head, Files: files})
			opts := &github.ListOptions{PerPage: tt.perPage}
			var got []*github.CommitFile
			pages := 0
			for {
				page, resp, err := gh.PullRequests.ListFiles(context.Background(), owner, repo, 9, opts)
				if err != nil {
					t.Fatalf("ListFiles page %d: %v", opts.Page, err)
				}
				pages++
				got = append(got, page...)
				if pages == 1 && tt.wantPages > 1 && resp.LastPage != tt.wantPages {
					t.Errorf("LastPage = %d, want %d", resp.LastPage, tt.wantPages)
				}
				if resp.NextPage == 0 {
					break
				}
				opts.Page = resp.NextPage
			}
			if pages != tt.wantPages || len(got) != tt.wantTotal {
				t.Fatalf("walked %d pages, %d files; want %d pages, %d files", pages, len(got), tt.wantPages, tt.wantTotal)
			}
			for i, f := range got {
				if want := fmt.Sprintf("f%04d.go", i); f.GetFilename() != want {
					t.Fatalf("file %d = %q, want %q (order or duplication broken)", i, f.GetFilename(), want)
				}
			}
		})
	}
}

func TestListFilesFields(t *testing.T) {
	srv, gh := newServer(t)
	srv.AddPR(owner, repo, githubtest.PR{Number: 3, HeadSHA: head, Files: []githubtest.File{
		{Filename: "new.go", PreviousFilename: "old.go", Status: "renamed", Patch: mainPatch, Additions: 3, Deletions: 2, Changes: 5},
	}})
	files, _, err := gh.PullRequests.ListFiles(context.Background(), owner, repo, 3, nil)
	if err != nil {
		t.Fatalf("ListFiles: %v", err)
	}
	f := files[0]
	if f.GetFilename() != "new.go" || f.GetPreviousFilename() != "old.go" || f.GetStatus() != "renamed" ||
		f.GetPatch() != mainPatch || f.GetAdditions() != 3 || f.GetDeletions() != 2 || f.GetChanges() != 5 {
		t.Errorf("file = %+v", f)
	}
}

func TestGetContents(t *testing.T) {
	srv, gh := newServer(t)
	srv.SetContent(owner, repo, "main", ".codex.yml", "review:\n  max_comments: 5\n")
	srv.SetContent(owner, repo, head, "dir/ünïcode file.go", "package x\n")
	tests := []struct {
		name, ref, path, want string
		status                int
	}{
		{"default branch", "", ".codex.yml", "review:\n  max_comments: 5\n", 200},
		{"branch", "main", ".codex.yml", "review:\n  max_comments: 5\n", 200},
		{"sha and escaped path", head, "dir/ünïcode file.go", "package x\n", 200},
		{"missing at ref", head, ".codex.yml", "", 404},
		{"missing file", "main", "AGENTS.md", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc, _, _, err := gh.Repositories.GetContents(context.Background(), owner, repo, tt.path,
				&github.RepositoryContentGetOptions{Ref: tt.ref})
			if tt.status != 200 {
				if statusOf(t, err) != tt.status {
					t.Fatalf("err = %v, want %d", err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetContents: %v", err)
			}
			got, err := fc.GetContent()
			if err != nil || got != tt.want {
				t.Errorf("content = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	srv, gh := newServer(t)
	srv.SetCompare(owner, repo, base, head, []githubtest.File{{Filename: "a.go", Status: "modified", Patch: mainPatch}})
	cmp, _, err := gh.Repositories.CompareCommits(context.Background(), owner, repo, base, head, nil)
	if err != nil {
		t.Fatalf("CompareCommits: %v", err)
	}
	if len(cmp.Files) != 1 || cmp.Files[0].GetPatch() != mainPatch || cmp.GetStatus() != "ahead" {
		t.Errorf("comparison = %+v", cmp)
	}
	if _, _, err := gh.Repositories.CompareCommits(context.Background(), owner, repo, head, base, nil); statusOf(t, err) != 404 {
		t.Errorf("unknown comparison: %v, want 404", err)
	}
}

// TestComparePages: like GitHub, a comparison is paged by its commits, only
// the first page lists the changed files, and every page, even one past the
// last commit, has the merge base and the base commit.
func TestComparePages(t *testing.T) {
	srv, gh := newServer(t)
	srv.SetCompare(owner, repo, base, head, []githubtest.File{{Filename: "a.go", Status: "modified", Patch: mainPatch}})
	for _, tt := range []struct {
		page, files, commits int
	}{{1, 1, 1}, {2, 0, 0}} {
		cmp, _, err := gh.Repositories.CompareCommits(context.Background(), owner, repo, base, head, &github.ListOptions{Page: tt.page, PerPage: 1})
		if err != nil {
			t.Fatalf("page %d: %v", tt.page, err)
		}
		if len(cmp.Files) != tt.files || len(cmp.Commits) != tt.commits {
			t.Errorf("page %d: %d files and %d commits, want %d and %d", tt.page, len(cmp.Files), len(cmp.Commits), tt.files, tt.commits)
		}
		if cmp.GetMergeBaseCommit().GetSHA() != base || cmp.GetBaseCommit().GetSHA() != base {
			t.Errorf("page %d: merge base %q, base commit %q; want %s", tt.page, cmp.GetMergeBaseCommit().GetSHA(), cmp.GetBaseCommit().GetSHA(), base)
		}
	}
	reqs := srv.Requests()
	if first, second := reqs[len(reqs)-2], reqs[len(reqs)-1]; first.ResponseBytes <= second.ResponseBytes || second.ResponseBytes == 0 {
		t.Errorf("response bytes: page 1 %d, page 2 %d; want page 2 smaller and not empty", first.ResponseBytes, second.ResponseBytes)
	}
}

func TestPermission(t *testing.T) {
	srv, gh := newServer(t)
	srv.AddRepo(owner, "secret", githubtest.RepoOptions{Private: true})
	srv.SetPermission(owner, repo, "alice", "admin")
	srv.SetPermission(owner, repo, "carol", "maintain")
	srv.SetPermission(owner, repo, "dave", "none")
	tests := []struct {
		repo, user, perm, role string
	}{
		{repo, "alice", "admin", "admin"},
		{repo, "carol", "write", "maintain"},
		{repo, "dave", "none", "none"},
		{repo, "stranger", "read", "read"},
		{"secret", "stranger", "none", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.repo+"/"+tt.user, func(t *testing.T) {
			p, _, err := gh.Repositories.GetPermissionLevel(context.Background(), owner, tt.repo, tt.user)
			if err != nil {
				t.Fatalf("GetPermissionLevel: %v", err)
			}
			if p.GetPermission() != tt.perm || p.GetRoleName() != tt.role || p.GetUser().GetLogin() != tt.user {
				t.Errorf("got %q/%q for %q, want %q/%q", p.GetPermission(), p.GetRoleName(), p.GetUser().GetLogin(), tt.perm, tt.role)
			}
		})
	}
}

func TestReactions(t *testing.T) {
	srv, gh := newServer(t)
	trigger := srv.AddIssueComment(owner, repo, githubtest.IssueComment{ID: 4242, Number: 7, User: "alice", Body: "@codex review"})
	ctx := context.Background()
	steps := []struct {
		id      int64
		content string
		status  int
	}{
		{trigger.ID, "eyes", http.StatusCreated},
		{trigger.ID, "eyes", http.StatusOK},
		{trigger.ID, "confused", http.StatusCreated},
		{trigger.ID, "thumbs", http.StatusUnprocessableEntity},
		{999999, "eyes", http.StatusNotFound},
	}
	for _, st := range steps {
		_, resp, err := gh.Reactions.CreateIssueCommentReaction(ctx, owner, repo, st.id, st.content)
		got := 0
		if resp != nil {
			got = resp.StatusCode
		}
		if got != st.status {
			t.Errorf("reaction %q on %d: status %d (%v), want %d", st.content, st.id, got, err, st.status)
		}
	}
	rs := srv.Reactions(owner, repo, trigger.ID)
	if len(rs) != 2 || rs[0].Content != "eyes" || rs[1].Content != "confused" || rs[0].User != srv.BotLogin() {
		t.Errorf("reactions = %+v", rs)
	}
}

func TestIssueComments(t *testing.T) {
	srv, gh := newServer(t)
	ctx := context.Background()
	srv.AddIssueComment(owner, repo, githubtest.IssueComment{Number: 7, User: "alice", Body: "@codex review"})
	for i := range 34 {
		c, resp, err := gh.Issues.CreateComment(ctx, owner, repo, 7, &github.IssueComment{Body: github.String(fmt.Sprint("comment ", i))})
		if err != nil || resp.StatusCode != http.StatusCreated || c.GetUser().GetLogin() != srv.BotLogin() {
			t.Fatalf("CreateComment %d: %v, %v, %+v", i, err, resp, c)
		}
	}
	var all []*github.IssueComment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 10}}
	for {
		page, resp, err := gh.Issues.ListComments(ctx, owner, repo, 7, opts)
		if err != nil {
			t.Fatalf("ListComments: %v", err)
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if len(all) != 35 || all[0].GetBody() != "@codex review" || all[34].GetBody() != "comment 33" {
		t.Fatalf("listed %d comments", len(all))
	}
	if got := srv.Comments(owner, repo, 7); len(got) != 35 {
		t.Errorf("recorded %d comments, want 35", len(got))
	}

	tooLong := strings.Repeat("é", githubtest.MaxBodyChars+1)
	_, _, err := gh.Issues.CreateComment(ctx, owner, repo, 7, &github.IssueComment{Body: &tooLong})
	if statusOf(t, err) != http.StatusUnprocessableEntity {
		t.Errorf("too long comment: %v, want 422", err)
	}
	longest := strings.Repeat("é", githubtest.MaxBodyChars)
	if _, _, err := gh.Issues.CreateComment(ctx, owner, repo, 7, &github.IssueComment{Body: &longest}); err != nil {
		t.Errorf("comment of exactly %d characters: %v", githubtest.MaxBodyChars, err)
	}
}

func TestTarball(t *testing.T) {
	srv, gh := newServer(t)
	srv.SetContent(owner, repo, "abc1234def", "go.mod", "module x\n")
	srv.SetContent(owner, repo, "abc1234def", "pkg/x.go", "package pkg\n")
	ctx := context.Background()
	u, _, err := gh.Repositories.GetArchiveLink(ctx, owner, repo, github.Tarball, &github.RepositoryContentGetOptions{Ref: "abc1234def"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u.String()) // no token: the link is pre-signed
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	want := []string{"acme-widgets-abc1234/", "acme-widgets-abc1234/go.mod", "acme-widgets-abc1234/pkg/", "acme-widgets-abc1234/pkg/x.go"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("archive entries = %v, want %v", names, want)
	}
	if _, _, err := gh.Repositories.GetArchiveLink(ctx, owner, repo, github.Tarball, &github.RepositoryContentGetOptions{Ref: "unknown"}, 0); err == nil {
		t.Error("a ref without contents has no archive")
	}
}
