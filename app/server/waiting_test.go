package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/githubtest"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/model/modeltest"
)

// until consumes the app's writes until cond holds, re-checking it after
// each: the test waits on what the app did, never on time.
func (c *convo) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for !cond() {
		select {
		case <-c.writes:
		case <-deadline:
			t.Fatalf("%s: not within a minute", what)
		}
	}
}

// TestWaitingRequestsAcknowledgedAtOnce: one review of a pull request runs
// at a time, and a review takes minutes. While the model holds the review
// alice asked for, a second `@codex review` on the same pull request gets
// its 👀 and a queued check run saying what it waits for, a question in a
// review thread, which does not wait (job.Job.Exclusive), gets its 👀 and
// its answer, and mallory, who may only read, gets her 😕 and nothing
// else — all before the first review is posted. When the model lets go,
// both reviews are posted, and nothing was done twice: one 👀 per request,
// one check run per review.
func TestWaitingRequestsAcknowledgedAtOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		arrived, letGo := holdModel(t, w, func(req modeltest.Request) bool { return !isThread(req) })
		c := startConvo(t, w, databaseURL)
		// After the server's start, so that it runs before its stop, which
		// waits for the held review.
		t.Cleanup(letGo)
		gh := w.GitHub
		bot := gh.BotLogin()
		root := gh.AddReviewComment(apptest.Owner, apptest.Repo, 7, githubtest.ReviewComment{User: bot,
			Path: "store/users.go", Line: 14, Body: "**[P1] x**\n\n<sub>security</sub>\n<!-- codex-review:fingerprint=0123456789abcdef -->"})

		first := c.issueComment(t, "alice", "OWNER", "@codex review")
		select {
		case <-arrived:
		case <-time.After(60 * time.Second):
			t.Fatal("the first review never reached the model")
		}

		second := c.issueComment(t, "alice", "OWNER", "@codex review security")
		question := c.ask(t, bob, root.ID, "@codex why is this a problem?")
		outsider := c.issueComment(t, mallory, "NONE", "@codex review")
		// The app's reviews, not the reviews the thread's comments make
		// on the fake.
		posted := func() []githubtest.Review {
			var out []githubtest.Review
			for _, r := range gh.Reviews(apptest.Owner, apptest.Repo, 7) {
				if r.User == bot && strings.Contains(r.Body, "codex-review:state") {
					out = append(out, r)
				}
			}
			return out
		}
		issueReactions := func(id int64) []string {
			var out []string
			for _, r := range gh.Reactions(apptest.Owner, apptest.Repo, id) {
				out = append(out, r.User+":"+r.Content)
			}
			return out
		}
		runOf := func(commentID int64) []githubtest.CheckRun {
			var out []githubtest.CheckRun
			for _, r := range gh.CheckRuns(apptest.Owner, apptest.Repo) {
				if r.ExternalID == fmt.Sprintf("comment:%d", commentID) {
					out = append(out, r)
				}
			}
			return out
		}
		eyes, confused := []string{bot + ":eyes"}, []string{bot + ":confused"}
		c.until(t, "the waiting requests acknowledged", func() bool {
			return slices.Equal(issueReactions(second.ID), eyes) && len(runOf(second.ID)) == 1 &&
				slices.Equal(reactionsOn(w, question.ID), eyes) && len(replies(w, root.ID)) == 1 &&
				slices.Equal(issueReactions(outsider.ID), confused)
		})
		if n := len(posted()); n != 0 {
			t.Fatalf("%d reviews posted while the model held the first", n)
		}
		queued := runOf(second.ID)[0]
		if queued.Status != "queued" || queued.HeadSHA != apptest.HeadSHA ||
			!strings.Contains(queued.Summary, "as soon as the review alice asked for is done") {
			t.Errorf("the waiting review's check run: %s on %s, %q", queued.Status, queued.HeadSHA, queued.Summary)
		}

		letGo()
		c.until(t, "both reviews posted and the question answered", func() bool {
			return len(posted()) == 2 && len(replies(w, root.ID)) == 1 && runOf(second.ID)[0].Status == "completed"
		})

		reactionPosts := map[string]int{}
		checkRunPosts := 0
		for _, r := range gh.Requests() {
			if r.Method != http.MethodPost {
				continue
			}
			switch {
			case strings.HasSuffix(r.Path, "/reactions"):
				reactionPosts[r.Path]++
			case strings.HasSuffix(r.Path, "/check-runs"):
				checkRunPosts++
			}
		}
		for _, p := range []string{
			fmt.Sprintf("/repos/acme/shop/issues/comments/%d/reactions", first.ID),
			fmt.Sprintf("/repos/acme/shop/issues/comments/%d/reactions", second.ID),
			fmt.Sprintf("/repos/acme/shop/pulls/comments/%d/reactions", question.ID),
			fmt.Sprintf("/repos/acme/shop/issues/comments/%d/reactions", outsider.ID),
		} {
			if reactionPosts[p] != 1 {
				t.Errorf("POST %s was asked %d times, want once", p, reactionPosts[p])
			}
		}
		if checkRunPosts != 2 {
			t.Errorf("%d check runs created, want 2 (one per review)", checkRunPosts)
		}
		for _, id := range []int64{first.ID, second.ID} {
			runs := runOf(id)
			if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "success" {
				t.Errorf("check runs of comment %d: %+v", id, runs)
			}
		}
		if got := issueReactions(first.ID); !slices.Equal(got, eyes) {
			t.Errorf("reactions on the first request: %v", got)
		}
		if got := issueReactions(outsider.ID); !slices.Equal(got, confused) {
			t.Errorf("reactions on the outsider's request: %v", got)
		}
		if runs := runOf(outsider.ID); len(runs) != 0 {
			t.Errorf("the outsider's request has check runs: %+v", runs)
		}
		for _, r := range posted() {
			if r.CommitID != apptest.HeadSHA {
				t.Errorf("a review of %s, want the head %s", r.CommitID, apptest.HeadSHA)
			}
		}
	})
}

// TestConversationBesideRunningReview: only reviews wait for the review
// running on their pull request. While the model holds a review, alice's
// `@codex remember` gets its 👍, her `@codex learnings` its list and her
// `@codex ignore` on a finding its 👍 — none of them waits minutes for the
// review to finish — and the review, let go, is posted.
func TestConversationBesideRunningReview(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		w := apptest.New(t)
		w.AddStandardPR(nil)
		arrived, letGo := holdModel(t, w, nil)
		c := startConvo(t, w, databaseURL)
		t.Cleanup(letGo)
		gh := w.GitHub
		bot := gh.BotLogin()
		root := gh.AddReviewComment(apptest.Owner, apptest.Repo, 7, githubtest.ReviewComment{User: bot,
			Path: "store/users.go", Line: 14, Body: "**[P1] x**\n\n<sub>security</sub>\n<!-- codex-review:fingerprint=0123456789abcdef -->"})

		c.issueComment(t, "alice", "OWNER", "@codex review")
		select {
		case <-arrived:
		case <-time.After(60 * time.Second):
			t.Fatal("the review never reached the model")
		}
		remember := c.issueComment(t, "alice", "OWNER", "@codex remember queries go through sqlb")
		c.issueComment(t, "alice", "OWNER", "@codex learnings")
		ignore := c.ask(t, "alice", root.ID, "@codex ignore")
		thumbs := func(id int64) bool {
			for _, r := range gh.Reactions(apptest.Owner, apptest.Repo, id) {
				if r.User == bot && r.Content == "+1" {
					return true
				}
			}
			return false
		}
		listed := func() bool {
			for _, ic := range gh.Comments(apptest.Owner, apptest.Repo, 7) {
				if ic.User == bot && strings.Contains(ic.Body, "queries go through sqlb") {
					return true
				}
			}
			return false
		}
		posted := func() int {
			n := 0
			for _, r := range gh.Reviews(apptest.Owner, apptest.Repo, 7) {
				if r.User == bot && strings.Contains(r.Body, "codex-review:state") {
					n++
				}
			}
			return n
		}
		c.until(t, "remember, learnings and ignore answered while the review runs", func() bool {
			return thumbs(remember.ID) && listed() && slices.Equal(reactionsOn(w, ignore.ID), []string{bot + ":+1"})
		})
		if n := posted(); n != 0 {
			t.Fatalf("%d reviews posted while the model held the review", n)
		}
		letGo()
		c.until(t, "the review posted", func() bool { return posted() == 1 })
	})
}

// checkRunStatuses follows the app's writes to its check runs: for each
// run, by external id, the statuses it was created and updated with, in
// order, repeats of a status folded.
func checkRunStatuses(t *testing.T, gh *githubtest.Server) map[string][]string {
	t.Helper()
	ids := map[string]string{}
	out := map[string][]string{}
	add := func(ext, status string) {
		if s := out[ext]; status != "" && (len(s) == 0 || s[len(s)-1] != status) {
			out[ext] = append(s, status)
		}
	}
	for _, r := range gh.Requests() {
		body, _ := r.Body.(map[string]any)
		status, _ := body["status"].(string)
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/check-runs") && r.Status == http.StatusCreated:
			ext, _ := body["external_id"].(string)
			for _, run := range gh.CheckRuns(apptest.Owner, apptest.Repo) {
				if run.ExternalID == ext {
					ids[fmt.Sprint(run.ID)] = ext
				}
			}
			add(ext, status)
		case r.Method == http.MethodPatch && strings.Contains(r.Path, "/check-runs/"):
			id := r.Path[strings.LastIndex(r.Path, "/")+1:]
			ext := ids[id]
			if ext == "" {
				t.Errorf("PATCH %s: a check run the app did not create", r.Path)
				continue
			}
			if status == "" {
				if _, ok := body["conclusion"]; ok {
					status = "completed"
				}
			}
			add(ext, status)
		}
	}
	return out
}

// TestAutomaticAndAPIReviewsQueuedWhileWaiting: while the model holds the
// review alice asked for, a push's automatic review and a REST API review
// of the pull request wait for it, and each shows its check run at once,
// queued; when their turn comes the same run goes in progress and
// completes: one run each, queued → in_progress → completed.
func TestAutomaticAndAPIReviewsQueuedWhileWaiting(t *testing.T) {
	for _, which := range []string{"automatic", "api"} {
		t.Run(which, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, databaseURL string) {
				w := apptest.New(t)
				w.AddStandardPR(nil)
				w.GitHub.SetContent(apptest.Owner, apptest.Repo, "main", ".codex.yml", "version: 1\nreview:\n  auto: {on_push: true}\n")
				arrived, letGo := holdModel(t, w, nil)
				c := startConvo(t, w, databaseURL)
				t.Cleanup(letGo)
				gh := w.GitHub

				first := c.issueComment(t, "alice", "OWNER", "@codex review")
				select {
				case <-arrived:
				case <-time.After(60 * time.Second):
					t.Fatal("the first review never reached the model")
				}
				key, head := "", apptest.HeadSHA
				switch which {
				case "automatic":
					head = "2222222222222222222222222222222222222222"
					files := []githubtest.File{{Filename: "store/users.go", Status: "modified", Patch: apptest.UsersPatch, Additions: 8, Changes: 8}}
					gh.SetHead(apptest.Owner, apptest.Repo, 7, head, files)
					gh.SetCompare(apptest.Owner, apptest.Repo, apptest.HeadSHA, head, files)
					c.send(t, "pull_request", synchronize(t, apptest.HeadSHA, head))
					key = "auto"
				case "api":
					var created struct {
						ID string `json:"id"`
					}
					if code := c.api(t, http.MethodPost, "/v1/codex/reviews", `{"pull_request_url": "https://github.com/acme/shop/pull/7"}`, &created); code != http.StatusAccepted {
						t.Fatalf("POST /v1/codex/reviews answered %d", code)
					}
					key = "api:" + created.ID
				}
				runOf := func() []githubtest.CheckRun {
					var out []githubtest.CheckRun
					for _, r := range gh.CheckRuns(apptest.Owner, apptest.Repo) {
						if r.ExternalID == key {
							out = append(out, r)
						}
					}
					return out
				}
				c.until(t, "the waiting review's check run queued", func() bool { return len(runOf()) == 1 })
				if r := runOf()[0]; r.Status != "queued" || r.HeadSHA != head || !strings.Contains(r.Summary, "as soon as the review alice asked for is done") {
					t.Errorf("the waiting review's check run: %s on %s, %q", r.Status, r.HeadSHA, r.Summary)
				}
				letGo()
				c.until(t, "the waiting review's check run completed", func() bool {
					runs := runOf()
					return len(runs) == 1 && runs[0].Status == "completed"
				})
				if runs := runOf(); len(runs) != 1 || runs[0].Conclusion != "success" || runs[0].HeadSHA != head {
					t.Errorf("the waiting review's check runs: %+v", runs)
				}
				statuses := checkRunStatuses(t, gh)
				if got, want := statuses[key], []string{"queued", "in_progress", "completed"}; !slices.Equal(got, want) {
					t.Errorf("the waiting review's check run went %v, want %v", got, want)
				}
				if got, want := statuses[fmt.Sprintf("comment:%d", first.ID)], []string{"in_progress", "completed"}; !slices.Equal(got, want) {
					t.Errorf("the first review's check run went %v, want %v", got, want)
				}
			})
		})
	}
}

// holdModel makes w's model hold each request that hold accepts (every
// request when hold is nil) until letGo is called, then answer with no
// findings; arrived receives once a held request has come. Callers
// register letGo with t.Cleanup after starting the server, so that it
// runs before the server's stop, which waits for the held review.
func holdModel(t *testing.T, w *apptest.World, hold func(modeltest.Request) bool) (arrived <-chan struct{}, letGo func()) {
	t.Helper()
	came := make(chan struct{}, 1)
	release := make(chan struct{})
	var once sync.Once
	w.Model = modeltest.NewServer(t, func(req modeltest.Request) modeltest.Reply {
		if hold == nil || hold(req) {
			select {
			case came <- struct{}{}:
			default:
			}
			<-release
		}
		return modeltest.Reply{Text: `{"findings":[],"overall_correctness":"patch is correct","overall_explanation":"Looks right.","overall_confidence_score":0.5}`}
	})
	return came, func() { once.Do(func() { close(release) }) }
}
