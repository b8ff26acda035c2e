package main

// End-to-end tests of the server process: the binary built from this
// package runs against a fake GitHub and a fake model in the test process,
// on a real SQLite file or a real PostgreSQL, and is killed with SIGKILL at
// chosen points. Every pull request must end with one review per request
// and no inline comment twice.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// e2eDeadline bounds every wait of these tests. It is a failure bound, not
// a measure: the times the recovery takes are logged. River's own rescue
// of a killed job took 41 minutes, far beyond it.
const e2eDeadline = 3 * time.Minute

// waitFor polls cond until it holds; the deadline fails the test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, e2eDeadline)
		}
		time.Sleep(50 * time.Millisecond) // polling a condition, bounded by the deadline
	}
}

// world is the fake GitHub and model of one test, with pull request #7
// whose security pass finds an injection on line 14.
func world(t *testing.T) *apptest.World {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	w.SetAnswer(apptest.SecurityFinds(apptest.Injection(14)))
	return w
}

// holdFirstModelCall makes the first model call wait until release is
// closed (or the test ends), and closes called when it arrives.
func holdFirstModelCall(t *testing.T, w *apptest.World) (called <-chan struct{}, release func()) {
	c, r := make(chan struct{}), make(chan struct{})
	var once, releaseOnce sync.Once
	answer := apptest.SecurityFinds(apptest.Injection(14))
	w.SetAnswer(func(area string, req modeltest.Request) finding.Output {
		first := false
		once.Do(func() { first = true; close(c) })
		if first {
			<-r
		}
		return answer(area, req)
	})
	rel := func() { releaseOnce.Do(func() { close(r) }) }
	t.Cleanup(rel)
	return c, rel
}

// comment adds "@codex …" to pull request #7 on the fake and returns its
// delivery.
func comment(t *testing.T, w *apptest.World, text string) *deliveryBody {
	c := w.GitHub.AddIssueComment(apptest.Owner, apptest.Repo, githubtest.IssueComment{Number: 7, User: "alice", Body: text})
	return &deliveryBody{event: "issue_comment", body: newCommentTemplate(t, 7, "OWNER").body(c.ID, text)}
}

// opened is the pull_request opened delivery of pull request #7.
func opened(t *testing.T) *deliveryBody {
	raw, err := os.ReadFile("testdata/pull_request.opened.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["number"] = 7
	pr := m["pull_request"].(map[string]any)
	pr["number"] = 7
	pr["head"].(map[string]any)["sha"] = apptest.HeadSHA
	pr["base"].(map[string]any)["ref"] = "main"
	pr["base"].(map[string]any)["sha"] = apptest.BaseSHA
	pr["user"].(map[string]any)["login"] = "alice"
	repo := m["repository"].(map[string]any)
	repo["full_name"], repo["name"] = apptest.Owner+"/"+apptest.Repo, apptest.Repo
	repo["owner"].(map[string]any)["login"] = apptest.Owner
	m["installation"] = map[string]any{"id": apptest.Installation}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return &deliveryBody{event: "pull_request", body: b}
}

type deliveryBody struct {
	event string
	body  []byte
}

var deliveries struct {
	sync.Mutex
	n int
}

// deliver sends d to the process and requires a 200.
func deliver(t *testing.T, p *proc, d *deliveryBody) {
	t.Helper()
	if status, body, err := send(p, d); err != nil || status != http.StatusOK {
		t.Fatalf("deliver %s: %d %s %v", d.event, status, body, err)
	}
}

// send sends d to the process and returns its answer.
func send(p *proc, d *deliveryBody) (int, string, error) {
	deliveries.Lock()
	deliveries.n++
	id := fmt.Sprint("e2e-", deliveries.n)
	deliveries.Unlock()
	resp, err := http.DefaultClient.Do(signedDelivery(p.URL, d.event, id, d.body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// reviews are pull request #7's reviews on the fake.
func reviews(w *apptest.World) []githubtest.Review {
	return w.GitHub.Reviews(apptest.Owner, apptest.Repo, 7)
}

// checkNoDuplicateComments fails when two inline comments of the pull
// request sit on the same line with the same body.
func checkNoDuplicateComments(t *testing.T, w *apptest.World) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range reviews(w) {
		for _, c := range r.Comments {
			k := fmt.Sprintf("%s:%d:%s", c.Path, c.Line, c.Body)
			if seen[k] {
				t.Errorf("inline comment posted twice: %s line %d", c.Path, c.Line)
			}
			seen[k] = true
		}
	}
}

// failureComments are the conversation comments saying a review failed.
func failureComments(w *apptest.World) []string {
	var out []string
	for _, c := range w.GitHub.Comments(apptest.Owner, apptest.Repo, 7) {
		if strings.Contains(c.Body, "could not review") {
			out = append(out, c.Body)
		}
	}
	return out
}

// TestKillMidModelRunsAgainAfterRestart kills the server with SIGKILL while
// a review waits for the model; a restarted server runs the review again,
// and it is posted once.
func TestKillMidModelRunsAgainAfterRestart(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			databaseURL := be.URL(t)
			w := world(t)
			called, release := holdFirstModelCall(t, w)
			env := serverEnv(w, w.GitHub.URL(), databaseURL)

			first := startProc(t, "first", env)
			deliver(t, first, comment(t, w, "@codex review"))
			wait(t, called, "the model was never called")
			first.Kill()
			killed := time.Now()
			release()

			second := startProc(t, "second", env)
			waitFor(t, "the review after the restart", func() bool { return len(reviews(w)) > 0 })
			t.Logf("%s: review posted %s after the kill (restart included)", be.Name, time.Since(killed).Round(100*time.Millisecond))
			if err := second.Stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
			if rs := reviews(w); len(rs) != 1 || len(rs[0].Comments) != 1 {
				t.Errorf("reviews %+v, want one with one inline comment", rs)
			}
			checkNoDuplicateComments(t, w)
			if fc := failureComments(w); len(fc) != 0 {
				t.Errorf("failure comments: %q", fc)
			}
			rescued := second.logs.Match(func(m map[string]any) bool {
				return m["message"] == "review attempt failed; retrying" && strings.Contains(fmt.Sprint(m["error"]), "stopped renewing its lease")
			})
			if len(rescued) != 1 {
				t.Errorf("%d log lines about the killed attempt, want 1 at warn", len(rescued))
			}
		})
	}
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(e2eDeadline):
		t.Fatal(what)
	}
}

// holdReviewPost fronts w's fake GitHub: the first review posted reaches
// GitHub (it is recorded), but its answer is held until the test ends, so
// that the server can be killed after the post landed and before it heard.
func holdReviewPost(t *testing.T, w *apptest.World) (frontURL string, posted <-chan struct{}) {
	target, err := url.Parse(w.GitHub.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	p, done := make(chan struct{}), make(chan struct{})
	var once sync.Once
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/reviews") {
			proxy.ServeHTTP(rw, r)
			return
		}
		first := false
		once.Do(func() { first = true })
		if !first {
			proxy.ServeHTTP(rw, r)
			return
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r)
		close(p)
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(front.Close)
	t.Cleanup(func() { close(done) })
	return front.URL + "/", p
}

// TestKillAfterPostBeforeAnswer kills the server after its review reached
// GitHub but before GitHub's answer reached it, and has another request
// reviewed before the killed one runs again: the rescued job finds its own
// review among all of the app's reviews, not only the newest, and posts
// nothing.
func TestKillAfterPostBeforeAnswer(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			t.Parallel()
			w := world(t)
			ghURL, posted := holdReviewPost(t, w)
			env := serverEnv(w, ghURL, be.URL(t))

			first := startProc(t, "first", env)
			deliver(t, first, comment(t, w, "@codex review"))
			wait(t, posted, "no review was posted")
			first.Kill()
			killed := time.Now()

			// Someone asks for a fresh review meanwhile: it is posted before
			// the killed job's lease expires, so it is the newest review.
			second := startProc(t, "second", env)
			deliver(t, second, comment(t, w, "@codex review again"))
			waitFor(t, "the second request's review", func() bool { return len(reviews(w)) == 2 })
			if _, ok := second.logs.wait(time.Now().Add(e2eDeadline), second.exited, message("review for this request already posted")); !ok {
				t.Fatal("the rescued job did not recognise its own review")
			}
			t.Logf("%s: the rescued job found its review %s after the kill", be.Name, time.Since(killed).Round(100*time.Millisecond))
			if err := second.Stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
			if rs := reviews(w); len(rs) != 2 {
				t.Errorf("%d reviews, want 2 (one per request)", len(rs))
			}
			checkNoDuplicateComments(t, w)
			if fc := failureComments(w); len(fc) != 0 {
				t.Errorf("failure comments: %q", fc)
			}
		})
	}
}

// TestReplicaTakesOverWithoutRestart runs two replicas on one PostgreSQL
// database and kills the one running a review: the other runs it, without
// any restart, and it is posted once.
func TestReplicaTakesOverWithoutRestart(t *testing.T) {
	t.Parallel()
	databaseURL := storetest.PostgresURL(t)
	w := world(t)
	// Each replica has its own model endpoint, so that the test knows
	// which one runs the review. The first call, wherever it comes,
	// waits until that replica is dead.
	other := apptest.New(t)
	var (
		once   sync.Once
		called = make(chan string, 1)
		hold   = make(chan struct{})
	)
	t.Cleanup(func() { close(hold) })
	answer := apptest.SecurityFinds(apptest.Injection(14))
	holding := func(name string) apptest.Answer {
		return func(area string, req modeltest.Request) finding.Output {
			first := false
			once.Do(func() { first = true; called <- name })
			if first {
				<-hold
			}
			return answer(area, req)
		}
	}
	w.SetAnswer(holding("a"))
	other.SetAnswer(holding("b"))
	envA := serverEnv(w, w.GitHub.URL(), databaseURL)
	envB := serverEnv(w, w.GitHub.URL(), databaseURL)
	envB["OPENAI_BASE_URL"] = other.Model.BaseURL()
	procs := map[string]*proc{"a": startProc(t, "replica a", envA), "b": startProc(t, "replica b", envB)}

	deliver(t, procs["a"], comment(t, w, "@codex review"))
	var running string
	select {
	case running = <-called:
	case <-time.After(e2eDeadline):
		t.Fatal("no replica called the model")
	}
	procs[running].Kill()
	killed := time.Now()
	survivor := procs[map[string]string{"a": "b", "b": "a"}[running]]
	waitFor(t, "the review by the surviving replica", func() bool { return len(reviews(w)) > 0 })
	t.Logf("replica %s was killed; the other posted the review %s later, without a restart", running, time.Since(killed).Round(100*time.Millisecond))
	if err := survivor.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if rs := reviews(w); len(rs) != 1 || len(rs[0].Comments) != 1 {
		t.Errorf("reviews %+v, want one with one inline comment", rs)
	}
	checkNoDuplicateComments(t, w)
}

// finished counts the log lines of jobs that ended on the pull request:
// a review posted, a repeat answered with a link, a head already reviewed.
func finished(ps ...*proc) int {
	n := 0
	for _, p := range ps {
		n += len(p.logs.Match(func(m map[string]any) bool {
			switch m["message"] {
			case "review posted", "head already reviewed", "same request already answered for this head; replying with a link", "review for this request already posted":
				return true
			}
			return false
		}))
	}
	return n
}

// TestConcurrentRequestsForOnePullRequest sends requests for one pull
// request at the same moment — pull_request opened and "@codex review" to
// one server; two comments to two replicas — and checks that the second
// job saw what the first posted: one review, no inline comment twice.
func TestConcurrentRequestsForOnePullRequest(t *testing.T) {
	cases := []struct {
		name     string
		replicas int
		url      func(testing.TB) string
		send     func(t *testing.T, w *apptest.World) []*deliveryBody
	}{
		{"opened and a comment, sqlite", 1, storetest.SQLiteURL, func(t *testing.T, w *apptest.World) []*deliveryBody {
			return []*deliveryBody{opened(t), comment(t, w, "@codex review")}
		}},
		{"two comments on two replicas, postgres", 2, storetest.PostgresURL, func(t *testing.T, w *apptest.World) []*deliveryBody {
			return []*deliveryBody{comment(t, w, "@codex review"), comment(t, w, "@codex review")}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			databaseURL := tc.url(t)
			w := world(t)
			env := serverEnv(w, w.GitHub.URL(), databaseURL)
			var ps []*proc
			for i := range tc.replicas {
				ps = append(ps, startProc(t, fmt.Sprint("replica ", i), env))
			}
			ds := tc.send(t, w)
			var wg sync.WaitGroup
			for i, d := range ds {
				wg.Go(func() {
					if status, body, err := send(ps[i%len(ps)], d); err != nil || status != http.StatusOK {
						t.Errorf("deliver %s: %d %s %v", d.event, status, body, err)
					}
				})
			}
			wg.Wait()
			waitFor(t, "both requests answered", func() bool { return finished(ps...) == len(ds) })
			for _, p := range ps {
				if err := p.Stop(); err != nil {
					t.Errorf("stop: %v", err)
				}
			}
			if rs := reviews(w); len(rs) != 1 {
				t.Errorf("%d reviews, want 1: the second request should have found the first's", len(rs))
			}
			checkNoDuplicateComments(t, w)
			if fc := failureComments(w); len(fc) != 0 {
				t.Errorf("failure comments: %q", fc)
			}
		})
	}
}

// TestStartWaitsOutGitHub: GitHub answers 503 to GET /app twice at start;
// the server listens meanwhile (alive, not ready), waits GitHub out, and
// serves. With a key GitHub refuses (401) it stops at once, blaming the
// credentials.
func TestStartWaitsOutGitHub(t *testing.T) {
	t.Parallel()
	w := world(t)
	w.GitHub.FailNext(http.MethodGet, "/app", 2, http.StatusServiceUnavailable, nil)
	p := listeningProc(t, "server", serverEnv(w, w.GitHub.URL(), storetest.SQLiteURL(t)))
	sawStarting := false
	waitFor(t, "ready after GitHub recovered", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		status, _, err := p.get(ctx, "/readyz")
		if err == nil && status == http.StatusServiceUnavailable {
			sawStarting = true
			if h, _, err := p.get(ctx, "/healthz"); err != nil || h != http.StatusOK {
				t.Errorf("healthz while starting: %d %v", h, err)
			}
		}
		return err == nil && status == http.StatusOK
	})
	if !sawStarting {
		t.Error("/readyz never answered 503 while the server waited for GitHub")
	}
	retries := p.logs.Match(func(m map[string]any) bool {
		return m["level"] == "warn" && m["message"] == "GitHub read failed; retrying" && m["status"] == float64(503) && strings.HasSuffix(fmt.Sprint(m["path"]), "/app")
	})
	if len(retries) != 2 {
		t.Errorf("%d warn lines about GET /app, want 2 (one per 503)", len(retries))
	}
	if err := p.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}

	env := serverEnv(w, w.GitHub.URL(), storetest.SQLiteURL(t))
	env["GITHUB_PRIVATE_KEY"] = string(otherKey(t))
	bad := launchProc(t, "wrong key", env)
	if !bad.Wait(e2eDeadline) {
		t.Fatal("the server with a wrong key did not stop")
	}
	if code := bad.cmd.ProcessState.ExitCode(); code != exitError {
		t.Errorf("exit status %d, want %d", code, exitError)
	}
	if !strings.Contains(bad.logs.String(), "did not accept the App's credentials") || !strings.Contains(bad.logs.String(), "401") {
		t.Errorf("the wrong key's error does not blame the credentials with GitHub's 401:\n%s", bad.logs)
	}
}

// TestReadyzMeansWritable makes the database refuse writes while it still
// answers a SELECT — on SQLite a write lock held from outside (a backup, a
// stray second process), on PostgreSQL a session that turned read-only (a
// failover to a replica) — and checks that /readyz says a webhook cannot be
// recorded, and says ready again once one can.
func TestReadyzMeansWritable(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		databaseURL := storetest.SQLiteURL(t)
		w := world(t)
		p := startProc(t, "server", serverEnv(w, w.GitHub.URL(), databaseURL))
		lock, err := sql.Open("sqlite", databaseURL+"?_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Close()
		tx, err := lock.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatalf("take the write lock: %v", err)
		}
		if _, err := tx.Exec(`INSERT INTO codex_write_probes (at) VALUES ('held by the test')`); err != nil {
			t.Fatal(err)
		}
		checkReadiness(t, p, w, "database is locked", func() {
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		base := storetest.PostgresURL(t)
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Close() })
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		role := u.Query().Get("search_path") + "_role"
		for _, q := range []string{`CREATE ROLE ` + role + ` LOGIN`, `GRANT ALL ON SCHEMA ` + u.Query().Get("search_path") + ` TO ` + role} {
			if _, err := admin.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		t.Cleanup(func() {
			for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role} {
				if _, err := admin.Exec(q); err != nil {
					t.Errorf("%s: %v", q, err)
				}
			}
		})
		u.User = url.User(role)
		w := world(t)
		p := startProc(t, "server", serverEnv(w, w.GitHub.URL(), u.String()))
		// The server's sessions turn read-only, as after a failover to a
		// replica: new sessions get the setting, the old ones are ended.
		reconnect := func(setting string) {
			for _, q := range []string{`ALTER ROLE ` + role + ` ` + setting, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '` + role + `'`} {
				if _, err := admin.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
		}
		reconnect(`SET default_transaction_read_only = on`)
		checkReadiness(t, p, w, "read-only transaction", func() { reconnect(`RESET default_transaction_read_only`) })
	})
}

// checkReadiness expects p unable to record webhooks, for the reason named
// in its errors, until recover runs.
func checkReadiness(t *testing.T, p *proc, w *apptest.World, reason string, recover func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), e2eDeadline)
	defer cancel()
	// Connections the database ended fail once each before the pool
	// replaces them: wait for the reason itself.
	waitFor(t, "readyz naming "+reason, func() bool {
		status, body, err := p.get(ctx, "/readyz")
		return err == nil && status == http.StatusServiceUnavailable && strings.Contains(body, reason)
	})
	if status, _, err := p.get(ctx, "/healthz"); err != nil || status != http.StatusOK {
		t.Errorf("healthz while writes fail: %d %v", status, err)
	}
	if status, body, err := send(p, comment(t, w, "@codex review")); err != nil || status != http.StatusInternalServerError {
		t.Errorf("a webhook while writes fail: %d %s %v, want 500 (GitHub shows it as failed)", status, body, err)
	}
	recover()
	// The failed enqueue keeps it unready until a webhook is recorded.
	if status, _, _ := p.get(ctx, "/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("readyz right after a failed enqueue: %d, want 503", status)
	}
	waitFor(t, "a webhook recorded once writes work again", func() bool {
		status, _, err := send(p, comment(t, w, "@codex review"))
		return err == nil && status == http.StatusOK
	})
	if status, body, err := p.get(ctx, "/readyz"); err != nil || status != http.StatusOK {
		t.Errorf("readyz once writes work again: %d %s %v", status, body, err)
	}
}

// TestConnectTimeout points the server at an address that accepts TCP and
// never answers: the start fails after the connect timeout, saying what it
// waited for.
func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	w := world(t)
	addr := storetest.SilentListener(t)
	p := launchProc(t, "server", serverEnv(w, w.GitHub.URL(), "postgres://codex@"+addr+"/codex?sslmode=disable"))
	if !p.Wait(e2eDeadline) {
		t.Fatal("the server still waits for the silent database")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != exitError {
		t.Errorf("exit status %d, want %d", code, exitError)
	}
	for _, want := range []string{"connect to postgres at " + addr, "no PostgreSQL session within 10s"} {
		if !strings.Contains(p.logs.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, p.logs)
		}
	}
}

// TestReadsRetriedAndAttemptsLogged: one 502 on the files list does not
// fail the review; a files list that keeps failing fails the attempt, which
// is logged once at warn with its cause, and the retried job succeeds.
func TestReadsRetriedAndAttemptsLogged(t *testing.T) {
	t.Parallel()
	w := world(t)
	w.AddStandardPR(func(pr *githubtest.PR) { pr.Number = 8 })
	p := startProc(t, "server", serverEnv(w, w.GitHub.URL(), storetest.SQLiteURL(t)))

	w.GitHub.FailNext(http.MethodGet, "/repos/acme/shop/pulls/7/files", 1, http.StatusBadGateway, nil)
	deliver(t, p, comment(t, w, "@codex review"))
	waitFor(t, "the review despite one 502", func() bool { return len(reviews(w)) == 1 })

	w.GitHub.FailNext(http.MethodGet, "/repos/acme/shop/pulls/8/files", 4, http.StatusBadGateway, nil)
	c := w.GitHub.AddIssueComment(apptest.Owner, apptest.Repo, githubtest.IssueComment{Number: 8, User: "alice", Body: "@codex review"})
	deliver(t, p, &deliveryBody{event: "issue_comment", body: newCommentTemplate(t, 8, "OWNER").body(c.ID, "@codex review")})
	waitFor(t, "the review of #8 on the job's second attempt", func() bool {
		return len(w.GitHub.Reviews(apptest.Owner, apptest.Repo, 8)) == 1
	})
	if err := p.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if fc := failureComments(w); len(fc) != 0 {
		t.Errorf("failure comments: %q", fc)
	}
	reads := p.logs.Match(func(m map[string]any) bool {
		return m["level"] == "warn" && m["message"] == "GitHub read failed; retrying" && m["status"] == float64(502)
	})
	if len(reads) != 1+3 {
		t.Errorf("%d warn lines about retried reads, want 4 (one on #7, three on #8)", len(reads))
	}
	attempts := p.logs.Match(func(m map[string]any) bool {
		return m["level"] == "warn" && strings.HasPrefix(fmt.Sprint(m["message"]), "review attempt failed")
	})
	if len(attempts) != 1 {
		t.Fatalf("%d warn lines about failed attempts, want 1: %v", len(attempts), attempts)
	}
	a := attempts[0]
	if a["pr"] != float64(8) || a["attempt"] != float64(1) || a["message"] != "review attempt failed; retrying" ||
		!strings.Contains(fmt.Sprint(a["error"]), "502") || !strings.Contains(fmt.Sprint(a["error"]), "/pulls/8/files") {
		t.Errorf("the failed attempt's line does not name the pull request, the attempt and the cause: %v", a)
	}
}

// otherKey is an RSA key GitHub does not know.
func otherKey(t *testing.T) []byte {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}
