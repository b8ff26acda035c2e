package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/ghname"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/review/render"
)

const botLogin = "codex-review-app[bot]"

// reviewComment edits a review comment payload: body, and the thread it replies to (0 for the
// first comment of a thread).
func reviewComment(body string, inReplyTo int64) func(m map[string]any) {
	return func(m map[string]any) {
		c := m["comment"].(map[string]any)
		c["body"] = body
		if inReplyTo != 0 {
			c["in_reply_to_id"] = inReplyTo
		}
	}
}

func TestReviewComment(t *testing.T) {
	// The fixture's comment: id 284312630 by Codertocat (OWNER) on pull request #2.
	const id = 284312630
	base := job.Job{Repo: "Codertocat/Hello-World", Installation: 1, PR: 2, Source: job.Thread, Post: true, CommentID: id,
		Requester: "Codertocat", AuthorAssociation: "OWNER", RequestKey: "thread:284312630", Delivery: "d1"}
	with := func(f func(j *job.Job)) *job.Job {
		j := base
		f(&j)
		return &j
	}
	tests := []struct {
		name    string
		file    string
		edit    func(m map[string]any)
		want    *job.Job
		outcome Outcome
	}{
		{name: "question in a reply", file: "pull_request_review_comment.created.2.json", edit: reviewComment("@codex why is this a problem?", 1000),
			want: with(func(j *job.Job) { j.Action, j.ThreadID, j.Instructions = job.Answer, 1000, "why is this a problem?" }), outcome: Enqueued},
		{name: "question starting a thread", file: "pull_request_review_comment.created.2.json", edit: reviewComment("@codex is this safe if x is nil?", 0),
			want: with(func(j *job.Job) { j.Action, j.ThreadID, j.Instructions = job.Answer, id, "is this safe if x is nil?" }), outcome: Enqueued},
		{name: "suggest", file: "pull_request_review_comment.created.2.json", edit: reviewComment("@codex suggest", 1000),
			want: with(func(j *job.Job) { j.Action, j.ThreadID, j.Instructions = job.Suggest, 1000, "suggest" }), outcome: Enqueued},
		{name: "fix request", file: "pull_request_review_comment.created.2.json", edit: reviewComment("Agreed.\n@codex how would you fix it?", 1000),
			want: with(func(j *job.Job) { j.Action, j.ThreadID, j.Instructions = job.Suggest, 1000, "how would you fix it?" }), outcome: Enqueued},
		{name: "ignore", file: "pull_request_review_comment.created.2.json", edit: reviewComment("@codex ignore: validated upstream", 1000),
			want: with(func(j *job.Job) { j.Action, j.ThreadID, j.Text = job.Dismiss, 1000, "validated upstream" }), outcome: Enqueued},
		{name: "remember", file: "pull_request_review_comment.created.2.json", edit: reviewComment("@codex remember inputs are validated by the router", 1000),
			want: with(func(j *job.Job) {
				j.Action, j.ThreadID, j.Text = job.Remember, 1000, "inputs are validated by the router"
			}), outcome: Enqueued},
		{name: "learnings", file: "pull_request_review_comment.created.3.json", edit: reviewComment("@codex learnings", 1000),
			want: with(func(j *job.Job) { j.Action, j.ThreadID = job.Learnings, 1000 }), outcome: Enqueued},
		{name: "review", file: "pull_request_review_comment.created.2.json", edit: reviewComment("@codex review security", 0),
			want: with(func(j *job.Job) { j.Action, j.ThreadID = job.Review, id }), outcome: Enqueued},
		{name: "typo", file: "pull_request_review_comment.created.2.json", edit: reviewComment("@codex sugest", 1000),
			want: with(func(j *job.Job) { j.Action, j.ThreadID = job.Reply, 1000 }), outcome: Enqueued},
		{name: "remark as delivered", file: "pull_request_review_comment.created.2.json", outcome: Ignored},
		{name: "quoted question", file: "pull_request_review_comment.created.2.json", edit: reviewComment("> @codex why?\n\nNo need.", 1000), outcome: Ignored},
		{name: "edited", file: "pull_request_review_comment.edited.json", edit: chain(reviewComment("@codex why?", 1000), func(m map[string]any) {
			m["installation"] = map[string]any{"id": 1}
		}), outcome: Ignored},
		{name: "deleted", file: "pull_request_review_comment.deleted.json", edit: reviewComment("@codex why?", 1000), outcome: Ignored},
		{name: "the app's own reply", file: "pull_request_review_comment.created.2.json", edit: chain(reviewComment("@codex why? is what you asked", 1000), func(m map[string]any) {
			m["comment"].(map[string]any)["user"].(map[string]any)["login"] = botLogin
		}), outcome: Ignored},
		{name: "another bot", file: "pull_request_review_comment.created.2.json", edit: chain(reviewComment("@codex why?", 1000), func(m map[string]any) {
			u := m["comment"].(map[string]any)["user"].(map[string]any)
			u["login"], u["type"] = "renovate[bot]", "Bot"
		}), outcome: Ignored},
		{name: "no installation", file: "pull_request_review_comment.created.json", edit: reviewComment("@codex why?", 1000), outcome: Ignored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &recorder{}
			var got []Outcome
			h := &ReviewComment{Parser: command.Parser{Trigger: "@codex", Slug: "codex-review-app"}, Queue: q, BotLogin: botLogin,
				Observe: func(event string, o Outcome) {
					if event != "pull_request_review_comment" {
						t.Errorf("event %q", event)
					}
					got = append(got, o)
				}}
			if err := h.Handle(context.Background(), "pull_request_review_comment", "d1", fixture(t, tt.file, tt.edit)); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []Outcome{tt.outcome}) {
				t.Errorf("outcomes = %v, want %v", got, tt.outcome)
			}
			if tt.want == nil {
				if len(q.reqs) != 0 {
					t.Errorf("enqueued %+v", q.reqs)
				}
				return
			}
			if len(q.reqs) != 1 {
				t.Fatalf("enqueued %d jobs", len(q.reqs))
			}
			r := q.reqs[0]
			if err := r.Validate(); err != nil {
				t.Errorf("the job does not validate: %v", err)
			}
			if (r.Action == job.Reply || r.Action == job.Help) != (r.Reply != "") {
				t.Errorf("reply text %q for action %s", r.Reply, r.Action)
			}
			if r.CommentURL != "https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312630" {
				t.Errorf("comment URL %q", r.CommentURL)
			}
			r.Reply, r.Areas, r.CommentURL = "", nil, ""
			if !equal(r, *tt.want) {
				t.Errorf("job = %+v\nwant  %+v", r, *tt.want)
			}
		})
	}
}

func TestReviewCommentRedeliveryAndErrors(t *testing.T) {
	q := &recorder{}
	var outcomes []Outcome
	h := &ReviewComment{Parser: command.Parser{}, Queue: q, BotLogin: botLogin, Observe: func(_ string, o Outcome) { outcomes = append(outcomes, o) }}
	p := fixture(t, "pull_request_review_comment.created.2.json", reviewComment("@codex why?", 1000))
	for range 2 {
		if err := h.Handle(context.Background(), "pull_request_review_comment", "same", p); err != nil {
			t.Fatal(err)
		}
	}
	if len(q.reqs) != 1 || !slices.Equal(outcomes, []Outcome{Enqueued, Duplicate}) {
		t.Errorf("redelivery: %d jobs, outcomes %v", len(q.reqs), outcomes)
	}
	q.err = errors.New("database is locked")
	if err := h.Handle(context.Background(), "pull_request_review_comment", "x", fixture(t, "pull_request_review_comment.created.2.json", reviewComment("@codex what?", 5))); err == nil {
		t.Error("an enqueue failure must reach GitHub as an error")
	}
	if err := h.Handle(context.Background(), "pull_request_review_comment", "x", []byte(`{"comment": 5}`)); err == nil {
		t.Error("malformed payload accepted")
	}
}

// dismissals records what the thread handler stores.
type dismissals struct {
	mu      sync.Mutex
	added   []store.Dismissal
	removed []int64
	err     error
}

func (d *dismissals) Add(_ context.Context, x store.Dismissal) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	d.added = append(d.added, x)
	return nil
}

func (d *dismissals) Remove(_ context.Context, _ string, _ int, id int64, reason store.DismissReason) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return false, d.err
	}
	if reason != store.DismissResolved {
		return false, errors.New("unexpected reason")
	}
	d.removed = append(d.removed, id)
	return true, nil
}

// appThread makes the fixture's thread one the app started: its first comment is the app's,
// with a finding's fingerprint.
func appThread(m map[string]any) {
	cs := m["thread"].(map[string]any)["comments"].([]any)
	root := cs[0].(map[string]any)
	root["user"].(map[string]any)["login"] = botLogin
	root["user"].(map[string]any)["type"] = "Bot"
	root["body"] = "**[P1] SQL injection**\n\nBody.\n\n_security · confidence 0.9_\n" + render.FingerprintMarker("0123456789abcdef")
}

func TestReviewThread(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		edit    func(m map[string]any)
		added   []store.Dismissal
		removed []int64
		outcome Outcome
	}{
		{name: "app's thread resolved", file: "pull_request_review_thread.resolved.2.json", edit: appThread,
			added: []store.Dismissal{{Repo: "Codertocat/Hello-World", PR: 2, CommentID: 284312630, Reason: store.DismissResolved,
				Actor: "Codertocat", Fingerprint: "0123456789abcdef"}}, outcome: Recorded},
		{name: "app's thread resolved after its lines changed", file: "pull_request_review_thread.resolved.2.json", edit: chain(appThread, func(m map[string]any) {
			m["thread"].(map[string]any)["comments"].([]any)[0].(map[string]any)["line"] = nil
		}), outcome: Ignored},
		{name: "app's thread unresolved", file: "pull_request_review_thread.unresolved.json", edit: appThread, removed: []int64{284312630}, outcome: Recorded},
		{name: "someone else's thread", file: "pull_request_review_thread.resolved.2.json", outcome: Ignored},
		{name: "the app's comment without a finding", file: "pull_request_review_thread.resolved.2.json", edit: chain(appThread, func(m map[string]any) {
			m["thread"].(map[string]any)["comments"].([]any)[0].(map[string]any)["body"] = "Thanks for asking."
		}), outcome: Ignored},
		{name: "a fingerprint in someone else's comment", file: "pull_request_review_thread.resolved.json", edit: func(m map[string]any) {
			m["thread"].(map[string]any)["comments"].([]any)[0].(map[string]any)["body"] = render.FingerprintMarker("0123456789abcdef")
		}, outcome: Ignored},
		{name: "a reply by the app is not the thread", file: "pull_request_review_thread.resolved.2.json", edit: chain(appThread, func(m map[string]any) {
			m["thread"].(map[string]any)["comments"].([]any)[0].(map[string]any)["in_reply_to_id"] = 1
		}), outcome: Ignored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &dismissals{}
			var got []Outcome
			h := &ReviewThread{Dismissals: d, BotLogin: botLogin, Observe: func(event string, o Outcome) {
				if event != "pull_request_review_thread" {
					t.Errorf("event %q", event)
				}
				got = append(got, o)
			}}
			if err := h.Handle(context.Background(), "pull_request_review_thread", "d1", fixture(t, tt.file, tt.edit)); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []Outcome{tt.outcome}) {
				t.Errorf("outcomes = %v, want %v", got, tt.outcome)
			}
			if !slices.Equal(d.added, tt.added) || !slices.Equal(d.removed, tt.removed) {
				t.Errorf("added %+v removed %v; want %+v and %v", d.added, d.removed, tt.added, tt.removed)
			}
		})
	}

	d := &dismissals{err: errors.New("database is locked")}
	h := &ReviewThread{Dismissals: d, BotLogin: botLogin}
	if err := h.Handle(context.Background(), "pull_request_review_thread", "x", fixture(t, "pull_request_review_thread.resolved.2.json", appThread)); err == nil {
		t.Error("a store failure must reach GitHub as an error (it redelivers)")
	}
	if err := h.Handle(context.Background(), "pull_request_review_thread", "x", []byte("[")); err == nil {
		t.Error("malformed payload accepted")
	}
}

// FuzzThreadEvents feeds arbitrary payloads to the two review-thread
// handlers: they never panic, every job they enqueue is valid, and every
// dismissal they record is complete. The seeds keep only the fields the
// handlers read, so that the fuzzer spends its time on them rather than
// on minimising ten kilobytes of fixture.
func FuzzThreadEvents(f *testing.F) {
	user := func(login string) map[string]any { return map[string]any{"login": login, "type": "User"} }
	comment := map[string]any{"id": 11, "in_reply_to_id": 10, "body": "@codex why?", "user": user("bob"),
		"author_association": "COLLABORATOR", "html_url": "https://github.com/o/r/pull/2#discussion_r11", "line": 3}
	root := map[string]any{"id": 10, "body": "**[P1] X**\n" + render.FingerprintMarker("0123456789abcdef"),
		"user": map[string]any{"login": botLogin, "type": "Bot"}, "line": 3}
	base := map[string]any{"pull_request": map[string]any{"number": 2}, "repository": map[string]any{"full_name": "o/r"},
		"installation": map[string]any{"id": 1}, "sender": user("bob")}
	seed := func(extra map[string]any) {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		b, err := json.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(map[string]any{"action": "created", "comment": comment})
	seed(map[string]any{"action": "resolved", "thread": map[string]any{"node_id": "T", "comments": []any{root, comment}}})
	seed(map[string]any{"action": "unresolved", "thread": map[string]any{"node_id": "T", "comments": []any{root}}})
	f.Fuzz(func(t *testing.T, payload []byte) {
		q := &recorder{}
		rc := &ReviewComment{Parser: command.Parser{Slug: "codex-review-app"}, Queue: q, BotLogin: botLogin}
		_ = rc.Handle(context.Background(), "pull_request_review_comment", "d", payload)
		for _, j := range q.reqs {
			if err := j.Validate(); err != nil {
				t.Fatalf("enqueued an invalid job %+v: %v", j, err)
			}
			// The repository becomes a path of GitHub API calls.
			if !ghname.FullName(j.Repo) {
				t.Fatalf("enqueued a job for repository %q", j.Repo)
			}
		}
		d := &dismissals{}
		rt := &ReviewThread{Dismissals: d, BotLogin: botLogin}
		_ = rt.Handle(context.Background(), "pull_request_review_thread", "d", payload)
		for _, x := range d.added {
			if !ghname.FullName(x.Repo) || x.PR <= 0 || x.CommentID == 0 || x.Actor == "" || x.Fingerprint == "" || !x.Reason.Valid() {
				t.Fatalf("recorded an incomplete dismissal %+v", x)
			}
		}
	})
}
