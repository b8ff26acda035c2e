package reviewer_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/finding"
)

// usersGo is store/users.go at the standard pull request's head: the
// patch's lines 10-21 inside the rest of the file.
const usersGo = `package store

import "context"

type Store struct{ db DB }

func (s *Store) Get(ctx context.Context, id int) (*User, error) {
	u := &User{ID: id}
	s.log("get", id)
	return u, nil
}

func (s *Store) Find(ctx context.Context, name string) (*User, error) {
	q := "SELECT id, name FROM users WHERE name = '" + name + "'"
	row := s.db.QueryRowContext(ctx, q)
	var u User
	err := row.Scan(&u.ID, &u.Name)
	return &u, nil
}

func (s *Store) Delete(ctx context.Context, id int) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM users WHERE id = $1", id)
	return err
}
`

// cachingWorker is a worker whose installation clients are cached, as the
// server's are, so that the installation token is fetched once.
func cachingWorker(t *testing.T, w *apptest.World) *reviewer.Worker {
	t.Helper()
	clients, err := githubapp.NewCachingClientCreator(w.Clients, 8)
	if err != nil {
		t.Fatal(err)
	}
	wk := worker(w)
	wk.Pulls = reviewer.OnGitHub(&pull.Opener{Clients: clients, BotLogin: w.GitHub.BotLogin(), WebURL: "https://github.com/"})
	return wk
}

// servedWorker is a cachingWorker with a database, as serve's worker has:
// reviews then also read what people said about the app's comments.
func servedWorker(t *testing.T, w *apptest.World) *reviewer.Worker {
	t.Helper()
	db, err := store.Open(t.Context(), storetest.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	wk := cachingWorker(t, w)
	wk.Memory = db.Memory()
	return wk
}

// apiCalls lists the API requests made since the first n, as "METHOD path"
// (downloads from the archive host are not API calls).
func apiCalls(w *apptest.World, n int) []string {
	var out []string
	for _, r := range w.GitHub.Requests()[n:] {
		if strings.HasPrefix(r.Path, "/codeload/") {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// downloads counts the requests to the archive host since the first n.
func downloads(w *apptest.World, n int) int {
	return len(w.GitHub.Requests()[n:]) - len(apiCalls(w, n))
}

func count(calls []string, suffix string) int {
	n := 0
	for _, c := range calls {
		if strings.HasSuffix(c, suffix) {
			n++
		}
	}
	return n
}

// TestGitHubCallsPerReview counts every request a review makes to GitHub
// with the server's wiring (installation token cached, a database, so the
// feedback on the app's comments is read), review by review, and checks
// that the model saw the code around the hunks, read from one tarball.
// docs/benchmarks.md gives these figures; change both together.
func TestGitHubCallsPerReview(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "store/users.go", usersGo)
	// Check runs cost calls of their own (TestGitHubCallsWithCheckRuns).
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nchecks:\n  enabled: false\n")
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", "AGENTS.md", "## Review guidelines\n\nMoney is integer cents.\n")
	w.GitHub.SetPermission(apptest.Owner, apptest.Repo, "bob", "write")
	wk := servedWorker(t, w)

	const (
		head8  = "3333333333333333333333333333333333333333"
		head9  = "5555555555555555555555555555555555555555"
		head10 = "6666666666666666666666666666666666666666"
	)
	usersFiles := []githubtest.File{{Filename: "store/users.go", Status: "modified", Patch: apptest.UsersPatch, Additions: 8, Changes: 8}}
	w.AddStandardPR(func(pr *githubtest.PR) { pr.Number, pr.HeadSHA = 8, head8 })
	for _, h := range []string{head8, head9, head10} {
		w.GitHub.SetContent(apptest.Owner, apptest.Repo, h, "store/users.go", usersGo)
	}
	on := func(pr int, j job.Job) job.Job {
		j.PR = pr
		return j
	}
	// ask is a comment's job on pull request pr. Comments go to #7 in the
	// fake; the job names the pull request it is about.
	ask := func(pr int, user, association, body string) job.Job {
		j := on(pr, comment(w, user, association, body))
		j.RequestKey = "comment:" + itoa(j.CommentID)
		return j
	}
	pulls := func(pr int, rest ...string) []string {
		var out []string
		for _, r := range rest {
			out = append(out, strings.ReplaceAll(r, "{pr}", "/repos/acme/shop/pulls/"+strconv.Itoa(pr)))
		}
		return out
	}
	react := func(j job.Job) string {
		return "POST /repos/acme/shop/issues/comments/" + itoa(j.CommentID) + "/reactions"
	}
	tarball := func(sha string) string { return "GET /repos/acme/shop/tarball/" + sha }
	const (
		read    = "GET {pr}"
		reviews = "GET {pr}/reviews"
		files   = "GET {pr}/files"
		comms   = "GET {pr}/comments"
		post    = "POST {pr}/reviews"
	)

	first := ask(7, "alice", "OWNER", "@codex review")
	third := ask(8, "alice", "OWNER", "@codex review")
	member := ask(8, "bob", "MEMBER", "@codex review bugs")
	member.Areas = []finding.Area{finding.Bugs}
	findings := ask(8, "alice", "OWNER", "@codex review again")
	findings.Fresh = true
	after := ask(8, "alice", "OWNER", "@codex review again")
	after.Fresh = true
	again := ask(7, "alice", "OWNER", "@codex review security")
	// The helper does not parse comments: name the areas, as the webhook
	// handler would.
	again.Areas = []finding.Area{finding.Security}
	steps := []struct {
		name      string
		before    func()
		j         job.Job
		want      []string
		downloads int
	}{{
		name: "first review after start (comment)", j: first, downloads: 1,
		want: append(pulls(7, read, reviews, files, post), react(first), tarball(apptest.HeadSHA),
			"POST /app/installations/1/access_tokens",
			"GET /repos/acme/shop/contents/.codex.yml", "GET /repos/acme/shop/contents/AGENTS.md"),
	}, {
		name: "comment on a head already read (other areas)", j: again,
		want: append(pulls(7, read, reviews, files, post), react(again)),
	}, {
		name: "automatic, new head", j: on(8, auto(head8, job.Opened)), downloads: 1,
		want: append(pulls(8, read, reviews, files, post), tarball(head8)),
	}, {
		name: "comment, new head",
		before: func() {
			w.GitHub.SetHead(apptest.Owner, apptest.Repo, 8, head9, usersFiles)
		},
		j: third, downloads: 1,
		want: append(pulls(8, read, reviews, files, post), react(third), tarball(head9)),
	}, {
		name: "comment by a MEMBER (permission not cached)", j: member,
		want: append(pulls(8, read, reviews, files, post), react(member), "GET /repos/acme/shop/collaborators/bob/permission"),
	}, {
		name:   "comment whose review posts a finding",
		before: func() { w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14))) },
		j:      findings,
		want:   append(pulls(8, read, reviews, files, post), react(findings)),
	}, {
		name: "comment after a review posted a finding", j: after,
		want: append(pulls(8, read, reviews, comms, files, post), react(after)),
	}, {
		name:   "REST API review, new head",
		before: func() { w.GitHub.SetHead(apptest.Owner, apptest.Repo, 7, head10, usersFiles) },
		j: job.Job{Repo: "acme/shop", Installation: apptest.Installation, PR: 7, HeadSHA: head10,
			Source: job.API, Action: job.Review, Post: true, RequestKey: "api:rev_1"},
		downloads: 1,
		want:      append(pulls(7, read, reviews, files, post), tarball(head10)),
	}}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		n := len(w.GitHub.Requests())
		if err := wk.Run(context.Background(), s.j); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got := apiCalls(w, n)
		if !sameSet(got, s.want) {
			t.Errorf("%s: %d API calls\n%s\nwant %d\n%s", s.name, len(got), strings.Join(got, "\n"), len(s.want), strings.Join(s.want, "\n"))
		}
		if d := downloads(w, n); d != s.downloads {
			t.Errorf("%s: %d downloads from the archive host, want %d", s.name, d, s.downloads)
		}
	}
	if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 8)); n != 5 {
		t.Errorf("%d reviews on #8, want 5", n)
	}
	for i, req := range w.Model.Requests() {
		prompt := req.UserMessages[0]
		if !strings.Contains(prompt, "Money is integer cents.") {
			t.Errorf("prompt %d: the AGENTS.md guidelines are missing", i)
		}
		if !strings.Contains(prompt, " 9 : \ts.log(\"get\", id)") || !strings.Contains(prompt, "24 : }") {
			t.Errorf("prompt %d lacks the code around the hunk:\n%s", i, prompt)
		}
	}
}

// TestGitHubCallsWithCheckRuns counts what the codex-review check run
// adds to a warm review: find the run an earlier attempt made, create it in
// progress, complete it.
func TestGitHubCallsWithCheckRuns(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.HeadSHA, "store/users.go", usersGo)
	wk := servedWorker(t, w)
	if err := wk.Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	const head8 = "3333333333333333333333333333333333333333"
	w.AddStandardPR(func(pr *githubtest.PR) { pr.Number, pr.HeadSHA = 8, head8 })
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, head8, "store/users.go", usersGo)
	j := auto(head8, job.Opened)
	j.PR = 8
	n := len(w.GitHub.Requests())
	if err := wk.Run(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	runs := w.GitHub.CheckRuns(apptest.Owner, apptest.Repo)
	if len(runs) != 2 {
		t.Fatalf("%d check runs, want 2", len(runs))
	}
	got := apiCalls(w, n)
	want := []string{
		"GET /repos/acme/shop/pulls/8",
		"GET /repos/acme/shop/pulls/8/reviews",
		"GET /repos/acme/shop/commits/" + head8 + "/check-runs",
		"POST /repos/acme/shop/check-runs",
		"GET /repos/acme/shop/pulls/8/files",
		"GET /repos/acme/shop/tarball/" + head8,
		"POST /repos/acme/shop/pulls/8/reviews",
		"PATCH /repos/acme/shop/check-runs/" + itoa(runs[1].ID),
	}
	if !sameSet(got, want) {
		t.Errorf("warm automatic review with a check run: %d API calls\n%s\nwant %d\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	left := map[string]int{}
	for _, s := range a {
		left[s]++
	}
	for _, s := range b {
		left[s]--
	}
	for _, n := range left {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestRulesAreReadOncePerBaseCommit: many reviews on one base, some at the
// same time, read .codex.yml and AGENTS.md once; a new base commit reads
// them again.
func TestRulesAreReadOncePerBaseCommit(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nchecks:\n  enabled: false\n")
	wk := cachingWorker(t, w)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			j := comment(w, "alice", "OWNER", "@codex review again")
			j.Fresh, j.RequestKey = true, "comment:"+strconv.Itoa(i)
			if err := wk.Run(context.Background(), j); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	calls := apiCalls(w, 0)
	if n, m := count(calls, "/contents/.codex.yml"), count(calls, "/contents/AGENTS.md"); n != 1 || m != 1 {
		t.Errorf("6 reviews on one base read .codex.yml %d times and AGENTS.md %d times, want once each", n, m)
	}
	w.GitHub.SetBase(apptest.Owner, apptest.Repo, 7, "4444444444444444444444444444444444444444")
	j := comment(w, "alice", "OWNER", "@codex review again")
	j.Fresh, j.RequestKey = true, "comment:new-base"
	if err := wk.Run(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if n := count(apiCalls(w, 0), "/contents/.codex.yml"); n != 2 {
		t.Errorf("a new base commit read .codex.yml %d times in all, want 2", n)
	}
}

// TestFixedRulesApplyBeforeThePullRequestMoves: the pull request's base
// commit is stale (GitHub moves it only when the pull request is updated);
// a maintainer who fixes an invalid .codex.yml on the base branch and asks
// again gets a review.
func TestFixedRulesApplyBeforeThePullRequestMoves(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	invalid := "version: 1\nreview:\n  focuss: [bugs]\n"
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, apptest.BaseSHA, ".codex.yml", invalid)
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", invalid)
	wk := cachingWorker(t, w)
	if err := wk.Run(context.Background(), comment(w, "alice", "OWNER", "@codex review")); err != nil {
		t.Fatal(err)
	}
	if rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7); len(rv) != 0 {
		t.Fatalf("reviewed under an invalid .codex.yml: %+v", rv)
	}
	w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nreview:\n  focus: [bugs]\n")
	j := comment(w, "alice", "OWNER", "@codex review")
	j.RequestKey = "comment:2"
	if err := wk.Run(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if rv := w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7); len(rv) != 1 {
		t.Fatalf("the fixed .codex.yml on the base branch was not used: %d reviews", len(rv))
	}
	if got := apptest.Area(w.Model.Requests()[0]); got != "bugs" {
		t.Errorf("areas = %q, want the fixed file's [bugs]", got)
	}
}
