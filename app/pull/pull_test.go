package pull_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/pull"
)

// TestFilesAt reads files at a commit: from one tarball for a repository of
// ordinary size, one contents call per file (at most 20) for a huge one.
func TestFilesAt(t *testing.T) {
	for _, tt := range []struct {
		name     string
		sizeKB   int
		wantCall string
	}{
		{"ordinary repository: one tarball", 0, "/tarball/"},
		{"huge repository: the contents API", 500 << 10, "/contents/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := apptest.New(t)
			w.GitHub.AddRepo(apptest.Owner, "big", githubtest.RepoOptions{InstallationID: apptest.Installation, SizeKB: tt.sizeKB})
			w.GitHub.AddPR(apptest.Owner, "big", githubtest.PR{Number: 1, Title: "t", User: "alice", HeadSHA: apptest.HeadSHA, BaseSHA: apptest.BaseSHA,
				BaseRef: "main", HeadRef: "x", Files: []githubtest.File{{Filename: "a.go", Status: "modified", Patch: "@@ -1 +1 @@\n-a\n+b", Additions: 1, Deletions: 1, Changes: 2}}})
			w.GitHub.SetContent(apptest.Owner, "big", apptest.HeadSHA, "a.go", "package a\n")
			w.GitHub.SetContent(apptest.Owner, "big", apptest.HeadSHA, "dir/b.go", "package b\n")
			gh, err := (&pull.Opener{Clients: w.Clients, BotLogin: w.GitHub.BotLogin()}).Open(apptest.Installation, apptest.Owner+"/big", 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := gh.PullRequest(context.Background()); err != nil {
				t.Fatal(err)
			}
			n := len(w.GitHub.Requests())
			got, err := gh.FilesAt(context.Background(), apptest.HeadSHA, []string{"a.go", "dir/b.go", "missing.go"})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]byte{"a.go": []byte("package a\n"), "dir/b.go": []byte("package b\n")}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("files = %q", got)
			}
			for _, r := range w.GitHub.Requests()[n:] {
				if r.Path == "/app/installations/1/access_tokens" || strings.HasPrefix(r.Path, "/codeload/") {
					continue
				}
				if !strings.Contains(r.Path, tt.wantCall) {
					t.Errorf("unexpected call %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

// TestMergeBaseSkipsTheFiles: the merge base is read from a page of the
// comparison past the first, which GitHub sends without the changed files
// and their patches, for a pull request of a single commit too.
func TestMergeBaseSkipsTheFiles(t *testing.T) {
	w := apptest.New(t)
	pr := w.AddStandardPR(nil)
	files := make([]githubtest.File, 100)
	patch := "@@ -1 +1 @@\n-a\n+" + strings.Repeat("b", 4<<10)
	for i := range files {
		files[i] = githubtest.File{Filename: fmt.Sprintf("f%03d.go", i), Status: "modified", Patch: patch, Additions: 1, Deletions: 1, Changes: 2}
	}
	w.GitHub.SetCompare(apptest.Owner, apptest.Repo, "main", pr.HeadSHA, files)
	gh, err := (&pull.Opener{Clients: w.Clients, BotLogin: w.GitHub.BotLogin()}).Open(apptest.Installation, apptest.Owner+"/"+apptest.Repo, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	n := len(w.GitHub.Requests())
	got, err := gh.MergeBase(context.Background(), "main", pr.HeadSHA)
	// The fake answers every compare with base as the merge base.
	if err != nil || got != "main" {
		t.Fatalf("MergeBase = %q, %v; want main", got, err)
	}
	var compares int
	for _, r := range w.GitHub.Requests()[n:] {
		if !strings.Contains(r.Path, "/compare/") {
			continue
		}
		compares++
		if r.Query.Get("page") != "2" || r.ResponseBytes > 4<<10 {
			t.Errorf("compare asked for page %q and got %d bytes; want page 2 without the files (%d bytes of patches)", r.Query.Get("page"), r.ResponseBytes, len(files)*len(patch))
		}
	}
	if compares != 1 {
		t.Errorf("%d compare calls, want 1", compares)
	}
}

// TestCompareIsOneCall: an incremental review's comparison of 250 commits
// is read in one call, whose first page carries every changed file.
func TestCompareIsOneCall(t *testing.T) {
	w := apptest.New(t)
	pr := w.AddStandardPR(nil)
	newHead := strings.Repeat("e", 40)
	w.GitHub.SetCompare(apptest.Owner, apptest.Repo, pr.HeadSHA, newHead, pr.Files)
	w.GitHub.SetCompareCommits(apptest.Owner, apptest.Repo, pr.HeadSHA, newHead, 250)
	gh, err := (&pull.Opener{Clients: w.Clients, BotLogin: w.GitHub.BotLogin()}).Open(apptest.Installation, apptest.Owner+"/"+apptest.Repo, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	n := len(w.GitHub.Requests())
	d, err := gh.Compare(context.Background(), pr.HeadSHA, newHead)
	if err != nil || d == nil || len(d.Files) != len(pr.Files) {
		t.Fatalf("Compare = %v, %v; want the %d files", d, err, len(pr.Files))
	}
	var compares int
	for _, r := range w.GitHub.Requests()[n:] {
		if strings.Contains(r.Path, "/compare/") {
			compares++
		}
	}
	if compares != 1 {
		t.Errorf("%d compare calls for 250 commits, want 1", compares)
	}
}

// TestMergeBaseFallsBackToTheFirstPage: a later page without the merge base
// (an answer GitHub is not documented to give; a 200 with a body that is not
// a comparison stands in for it) sends MergeBase to the first page, and a
// first page without it too is unusable.
func TestMergeBaseFallsBackToTheFirstPage(t *testing.T) {
	w := apptest.New(t)
	pr := w.AddStandardPR(nil)
	w.GitHub.SetCompare(apptest.Owner, apptest.Repo, "main", pr.HeadSHA, pr.Files)
	gh, err := (&pull.Opener{Clients: w.Clients, BotLogin: w.GitHub.BotLogin()}).Open(apptest.Installation, apptest.Owner+"/"+apptest.Repo, pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	w.GitHub.FailNext(http.MethodGet, "/repos/*/*/compare/*", 1, http.StatusOK, nil)
	if got, err := gh.MergeBase(context.Background(), "main", pr.HeadSHA); err != nil || got != "main" {
		t.Errorf("MergeBase = %q, %v; want main from the first page", got, err)
	}
	w.GitHub.FailNext(http.MethodGet, "/repos/*/*/compare/*", 2, http.StatusOK, nil)
	if got, err := gh.MergeBase(context.Background(), "main", pr.HeadSHA); !errors.Is(err, pull.ErrUnusable) {
		t.Errorf("MergeBase = %q, %v; want ErrUnusable", got, err)
	}
	// A refusal of page 2 (how GitHub answers a page past the last commit
	// is not documented) falls back to page 1 too; a failure that is not
	// a refusal of the request itself (403 here: permission or rate limit)
	// does not.
	for _, status := range []int{http.StatusNotFound, http.StatusUnprocessableEntity} {
		w.GitHub.FailNext(http.MethodGet, "/repos/*/*/compare/*", 1, status, nil)
		if got, err := gh.MergeBase(context.Background(), "main", pr.HeadSHA); err != nil || got != "main" {
			t.Errorf("page 2 answered %d: MergeBase = %q, %v; want main from the first page", status, got, err)
		}
	}
	w.GitHub.FailNext(http.MethodGet, "/repos/*/*/compare/*", 1, http.StatusForbidden, nil)
	if got, err := gh.MergeBase(context.Background(), "main", pr.HeadSHA); err == nil {
		t.Errorf("page 2 answered 403: MergeBase = %q, want the error", got)
	}
}
