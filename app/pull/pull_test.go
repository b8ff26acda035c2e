package pull_test

import (
	"context"
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
