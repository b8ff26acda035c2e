package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// checkWatch signals every check run write GitHub accepted, so the test
// waits on those events rather than on time, and keeps the writes that
// never got GitHub's answer: a write cut off by the app's own context
// (the cancellation it reports) may have been carried out on GitHub all
// the same, or not at all, and the app cannot tell which.
type checkWatch struct {
	next  http.RoundTripper
	wrote chan struct{}

	mu  sync.Mutex
	cut []string
}

func (c *checkWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if (r.Method == http.MethodPost || r.Method == http.MethodPatch) && strings.Contains(r.URL.Path, "/check-runs") {
		switch {
		case err != nil:
			c.mu.Lock()
			c.cut = append(c.cut, fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, err))
			c.mu.Unlock()
		case resp.StatusCode < 300:
			select {
			case c.wrote <- struct{}{}:
			default:
			}
		}
	}
	return resp, err
}

// cutWrites are the check run writes that got no answer so far.
func (c *checkWatch) cutWrites() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.cut)
}

// prOf is a pull request of the e2e world: its title tells the fake model
// how to answer, its head is its own, and its base branch carries the
// .codex.yml of the case.
type prOf struct {
	number int
	title  string
	base   string
	config string
	head   string
}

func TestCheckRunsEndToEnd(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		prs := []prOf{
			{7, "Finds a P1; fail_on none", "main", "", ""},
			{8, "Finds a P1; fail_on P1", "strict", "checks: {fail_on: P1}\n", ""},
			{9, "Finds a P1; fail_on P0", "lenient", "checks: {fail_on: P0}\n", ""},
			{10, "Clean change; fail_on P3", "picky", "checks: {fail_on: P3}\n", ""},
			{11, "Broken model", "main", "", ""},
			{12, "Slow review", "main", "", ""},
		}
		w := apptest.New(t)
		for i := range prs {
			p := &prs[i]
			p.head = fmt.Sprintf("%040x", 0xc0de00+p.number)
			// Each base branch is a commit of its own: the rules are read,
			// and cached, per base commit.
			baseSHA := fmt.Sprintf("%040x", 0xba5e00+len(p.base))
			w.AddStandardPR(func(pr *githubtest.PR) {
				pr.Number, pr.Title, pr.BaseRef, pr.HeadSHA, pr.BaseSHA = p.number, p.title, p.base, p.head, baseSHA
			})
			if p.config != "" {
				w.GitHub.SetContent(apptest.Owner, apptest.Repo, p.base, ".codex.yml", "version: 1\n"+p.config)
			}
		}
		// acme/legacy is installed by an installation that has not
		// accepted the checks permission.
		w.GitHub.AddRepo(apptest.Owner, "legacy", githubtest.RepoOptions{InstallationID: 2})
		w.GitHub.AddPR(apptest.Owner, "legacy", githubtest.PR{Number: 1, Title: "Finds a P1 in legacy", User: "alice", HeadSHA: apptest.HeadSHA, BaseSHA: apptest.BaseSHA,
			BaseRef: "main", HeadRef: "x", Files: []githubtest.File{{Filename: "store/users.go", Status: "modified", Patch: apptest.UsersPatch, Additions: 8, Changes: 8}}})
		perms := map[string]string{}
		for k, v := range githubtest.DefaultInstallationPermissions {
			if k != "checks" {
				perms[k] = v
			}
		}
		w.GitHub.SetInstallationPermissions(2, perms)

		// The model: by the pull request's title. It notes, at its first
		// call for a pull request, what check runs that head has.
		var (
			mu      sync.Mutex
			atFirst = map[string][]githubtest.CheckRun{}
		)
		slowArrived := make(chan struct{}, 1)
		release := make(chan struct{})
		answer := apptest.SecurityFinds(apptest.Injection(14))
		w.Model = modeltest.NewServer(t, func(req modeltest.Request) modeltest.Reply {
			prompt := strings.Join(req.UserMessages, "\n")
			var title string
			for _, p := range append(prs, prOf{title: "Finds a P1 in legacy"}) {
				if strings.Contains(prompt, p.title) {
					title = p.title
				}
			}
			mu.Lock()
			if _, seen := atFirst[title]; !seen {
				atFirst[title] = w.GitHub.CheckRuns(apptest.Owner, apptest.Repo)
			}
			mu.Unlock()
			switch {
			case title == "Broken model":
				return modeltest.Reply{Err: &modeltest.ErrorReply{Status: http.StatusUnauthorized, Message: "Incorrect API key", Type: "invalid_request_error", Code: "invalid_api_key"}}
			case title == "Slow review":
				select {
				case slowArrived <- struct{}{}:
				default:
				}
				<-release
			}
			out := modeltest.AnswerByArea(req, func(a finding.Area, req modeltest.Request) finding.Output { return answer(string(a), req) })
			if strings.HasPrefix(title, "Clean") {
				out = finding.Output{OverallCorrectness: finding.CorrectnessOK, OverallExplanation: "Fine."}
			}
			if out.Findings == nil {
				out.Findings = []finding.Finding{}
			}
			b, _ := json.Marshal(out)
			return modeltest.Reply{Text: string(b), Usage: modeltest.Usage{PromptTokens: 100, CompletionTokens: 10}}
		})
		// Registered after the model server, so it runs before the server
		// waits for its handlers: the held call returns.
		var releaseOnce sync.Once
		t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })

		wrote := make(chan struct{}, 64)
		posted := make(chan string, 64)
		watch := &checkWatch{next: http.DefaultTransport, wrote: wrote}
		h := startServer(t, w, testSettings(w, databaseURL), &apptest.ReviewWatch{Next: watch, Posted: posted})
		runs := func(head string) []githubtest.CheckRun {
			var out []githubtest.CheckRun
			for _, cr := range w.GitHub.CheckRuns(apptest.Owner, apptest.Repo) {
				if cr.HeadSHA == head {
					out = append(out, cr)
				}
			}
			return out
		}
		// waitFor waits for the check runs of head to satisfy done: on each
		// check run write, and on a short tick too, so that a write whose
		// answer the app did not get (checkWatch.cut, which the test
		// checks) makes the test fail on that, not on the deadline.
		waitFor := func(what, head string, done func([]githubtest.CheckRun) bool) []githubtest.CheckRun {
			t.Helper()
			deadline := time.After(2 * time.Minute)
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				if rs := runs(head); done(rs) {
					return rs
				}
				select {
				case <-wrote:
				case <-tick.C:
				case <-deadline:
					t.Fatalf("%s: check runs of %s are %+v; check run writes cut off: %q", what, head[:7], runs(head), watch.cutWrites())
				}
			}
		}
		completed := func(n int) func([]githubtest.CheckRun) bool {
			return func(rs []githubtest.CheckRun) bool {
				if len(rs) < n {
					return false
				}
				for _, r := range rs {
					if r.Status != "completed" {
						return false
					}
				}
				return true
			}
		}

		// Comment reviews: one per fail_on case, and one whose model fails.
		for _, p := range prs[:5] {
			c := w.GitHub.AddIssueComment(apptest.Owner, apptest.Repo, githubtest.IssueComment{Number: p.number, User: "alice", Body: "@codex review"})
			body := prPayload(t, p.number, c.ID)
			if code := h.deliver(t, "issue_comment", fmt.Sprint("comment-", p.number), body, sign(body, secret)); code != http.StatusOK {
				t.Fatalf("delivery answered %d", code)
			}
		}
		want := map[int]string{7: "neutral", 8: "failure", 9: "success", 10: "success", 11: "failure"}
		for _, p := range prs[:5] {
			rs := waitFor(p.title, p.head, completed(1))
			if len(rs) != 1 || rs[0].Conclusion != want[p.number] {
				t.Errorf("#%d %s: check runs %+v, want one %s", p.number, p.title, rs, want[p.number])
				continue
			}
			mu.Lock()
			first := atFirst[p.title]
			mu.Unlock()
			inProgress := false
			for _, cr := range first {
				inProgress = inProgress || (cr.HeadSHA == p.head && cr.Status == "in_progress")
			}
			if !inProgress {
				t.Errorf("#%d: no check run in progress at the first model call: %+v", p.number, first)
			}
			switch {
			case p.number == 11:
				if rs[0].Title != "Review failed" || !strings.Contains(rs[0].Summary, "OPENAI_API_KEY") {
					t.Errorf("failed review's check: %q\n%s", rs[0].Title, rs[0].Summary)
				}
			case p.number == 10:
				if len(rs[0].Annotations) != 0 || rs[0].Title != "No findings" {
					t.Errorf("clean review's check: %+v", rs[0])
				}
			default:
				a := rs[0].Annotations
				if len(a) != 1 || a[0].Path != "store/users.go" || a[0].StartLine != 14 || a[0].Level != "failure" {
					t.Errorf("#%d annotations %+v, want the finding's line 14", p.number, a)
				}
				if !strings.Contains(rs[0].DetailsURL, "#pullrequestreview-") {
					t.Errorf("#%d details_url %q", p.number, rs[0].DetailsURL)
				}
			}
		}

		// A REST API review cancelled while it runs completes its check.
		slow := prs[5]
		id := apiCreate(t, h.url, fmt.Sprintf(`{"pull_request_url": "https://github.com/acme/shop/pull/%d", "focus_areas": ["security"]}`, slow.number))
		<-slowArrived
		if rs := runs(slow.head); len(rs) != 1 || rs[0].Status != "in_progress" {
			t.Fatalf("the running API review's check: %+v", rs)
		}
		if code, body := apiDo(t, h.url, http.MethodPost, "/v1/codex/reviews/"+id+"/cancel", ""); code != http.StatusOK {
			t.Fatalf("cancel: %d %s", code, body)
		}
		// On Postgres the queue interrupts the running job; on SQLite it
		// cannot, and the review, once the model answers, is not posted.
		releaseOnce.Do(func() { close(release) })
		rs := waitFor("cancelled API review", slow.head, completed(1))
		if rs[0].Conclusion != "cancelled" || rs[0].Title != "Review cancelled" {
			t.Errorf("cancelled review's check: %+v", rs[0])
		}
		if n := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, slow.number)); n != 0 {
			t.Errorf("the cancelled review was posted (%d reviews)", n)
		}
		// The cancellation ends the job's context at a moment of its own
		// (River's notification on Postgres): the completing write must
		// not be the one it cuts off.
		if cut := watch.cutWrites(); len(cut) != 0 {
			t.Errorf("check run writes cut off by the app: %q", cut)
		}

		// GitHub's Re-run button on #7's check reviews #7 again.
		before := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7))
		w.GitHub.SetPermission(apptest.Owner, apptest.Repo, "carol", "write")
		rerun := rerunPayload(t, prs[0].head, 7, "carol")
		if code := h.deliver(t, "check_run", "rerun-1", rerun, sign(rerun, secret)); code != http.StatusOK {
			t.Fatalf("check_run delivery answered %d", code)
		}
		rs = waitFor("re-run", prs[0].head, completed(2))
		if len(rs) != 2 || rs[1].ExternalID != "rerun:rerun-1" || rs[1].Conclusion != "neutral" {
			t.Errorf("check runs after the re-run: %+v", rs)
		}
		if after := len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)); after != before+1 {
			t.Errorf("%d reviews after the re-run, want %d", after, before+1)
		}

		// An installation without checks: write still gets its review.
		c := w.GitHub.AddIssueComment(apptest.Owner, "legacy", githubtest.IssueComment{Number: 1, User: "alice", Body: "@codex review"})
		legacy := legacyPayload(t, c.ID)
		if code := h.deliver(t, "issue_comment", "legacy-1", legacy, sign(legacy, secret)); code != http.StatusOK {
			t.Fatalf("delivery answered %d", code)
		}
		deadline := time.After(2 * time.Minute)
		for len(w.GitHub.Reviews(apptest.Owner, "legacy", 1)) == 0 {
			select {
			case <-posted:
			case <-deadline:
				t.Fatal("no review on the installation without checks")
			}
		}
		if rs := w.GitHub.CheckRuns(apptest.Owner, "legacy"); len(rs) != 0 {
			t.Errorf("check runs without the permission: %+v", rs)
		}
	})
}

func apiDo(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func apiCreate(t *testing.T, base, body string) string {
	t.Helper()
	code, out := apiDo(t, base, http.MethodPost, "/v1/codex/reviews", body)
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != http.StatusAccepted || r.ID == "" {
		t.Fatalf("create: %d %s", code, out)
	}
	return r.ID
}

// rerunPayload is a check_run rerequested delivery for the app's run on
// head, pressed by user, from the real fixture.
func rerunPayload(t *testing.T, head string, number int, user string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/check_run.rerequested.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	cr := m["check_run"].(map[string]any)
	cr["name"], cr["head_sha"] = "codex-review", head
	cr["app"].(map[string]any)["id"] = apptest.AppID
	cr["pull_requests"] = []any{map[string]any{"number": number, "base": map[string]any{"repo": map[string]any{"id": 1}}}}
	repo := m["repository"].(map[string]any)
	repo["id"], repo["full_name"], repo["name"] = 1, "acme/shop", "shop"
	m["sender"].(map[string]any)["login"] = user
	m["installation"] = map[string]any{"id": apptest.Installation}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func legacyPayload(t *testing.T, commentID int64) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"action":       "created",
		"issue":        map[string]any{"number": 1, "pull_request": map[string]any{"url": "x"}},
		"comment":      map[string]any{"id": commentID, "body": "@codex review", "user": map[string]any{"login": "alice", "type": "User"}, "author_association": "OWNER"},
		"repository":   map[string]any{"full_name": "acme/legacy", "name": "legacy", "owner": map[string]any{"login": "acme"}},
		"installation": map[string]any{"id": 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
