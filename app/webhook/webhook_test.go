package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/codex-review/codex-review/app/command"
)

// fixture loads a real payload and applies edits to its decoded JSON.
func fixture(t *testing.T, name string, edit func(m map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// onPR turns a plain-issue comment payload into a PR conversation comment,
// which GitHub marks with issue.pull_request.
func onPR(body string) func(m map[string]any) {
	return func(m map[string]any) {
		issue := m["issue"].(map[string]any)
		issue["pull_request"] = map[string]any{"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
		m["comment"].(map[string]any)["body"] = body
		m["installation"] = map[string]any{"id": 42}
	}
}

func chain(fs ...func(m map[string]any)) func(m map[string]any) {
	return func(m map[string]any) {
		for _, f := range fs {
			f(m)
		}
	}
}

type recorder struct {
	mu   sync.Mutex
	reqs []Request
	seen map[string]bool
	err  error
}

func (r *recorder) Enqueue(_ context.Context, req Request) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return false, r.err
	}
	key := req.Repo + "|" + req.HeadSHA + "|" + req.RequestKey
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[key] {
		return true, nil
	}
	r.seen[key] = true
	r.reqs = append(r.reqs, req)
	return false, nil
}

func TestIssueComment(t *testing.T) {
	tests := []struct {
		name    string
		payload func(t *testing.T) []byte
		want    *Request
		outcome Outcome
	}{
		{
			name: "review with areas and words",
			payload: func(t *testing.T) []byte {
				return fixture(t, "issue_comment.created.json", onPR("LGTM so far.\n@codex review security for injection"))
			},
			want: &Request{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Trigger: TriggerComment, Requester: "Codertocat",
				AuthorAssociation: "OWNER", Areas: []string{"security"}, Instructions: "security for injection", RequestKey: "comment:492700400", CommentID: 492700400, Delivery: "d1"},
			outcome: Enqueued,
		},
		{
			name:    "help",
			payload: func(t *testing.T) []byte { return fixture(t, "issue_comment.created.json", onPR("@codex help")) },
			want: &Request{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Trigger: TriggerHelp, Requester: "Codertocat",
				AuthorAssociation: "OWNER", RequestKey: "comment:492700400", CommentID: 492700400, Delivery: "d1"},
			outcome: Enqueued,
		},
		{
			name:    "typo gets a reply",
			payload: func(t *testing.T) []byte { return fixture(t, "issue_comment.created.json", onPR("@codex reveiw")) },
			want: &Request{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Trigger: TriggerReply, Requester: "Codertocat",
				AuthorAssociation: "OWNER", RequestKey: "comment:492700400", CommentID: 492700400, Delivery: "d1"},
			outcome: Enqueued,
		},
		{name: "the slug always works", payload: func(t *testing.T) []byte {
			return fixture(t, "issue_comment.created.json", onPR("@codex-review-app review"))
		}, want: &Request{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Trigger: TriggerComment, Requester: "Codertocat",
			AuthorAssociation: "OWNER", RequestKey: "comment:492700400", CommentID: 492700400, Delivery: "d1"}, outcome: Enqueued},
		{name: "plain issue is ignored", payload: func(t *testing.T) []byte {
			return fixture(t, "issue_comment.created.json", func(m map[string]any) {
				m["comment"].(map[string]any)["body"] = "@codex review"
				m["installation"] = map[string]any{"id": 42}
			})
		}, outcome: Ignored},
		{name: "edited is ignored", payload: func(t *testing.T) []byte {
			return fixture(t, "issue_comment.edited.json", onPR("@codex review"))
		}, outcome: Ignored},
		{name: "deleted is ignored", payload: func(t *testing.T) []byte {
			return fixture(t, "issue_comment.deleted.json", onPR("@codex review"))
		}, outcome: Ignored},
		{name: "bot comment is ignored", payload: func(t *testing.T) []byte {
			return fixture(t, "issue_comment.created.json", chain(onPR("@codex review"), func(m map[string]any) {
				u := m["comment"].(map[string]any)["user"].(map[string]any)
				u["type"], u["login"] = "Bot", "dependabot[bot]"
			}))
		}, outcome: Ignored},
		{name: "the app's own comment is ignored", payload: func(t *testing.T) []byte {
			return fixture(t, "issue_comment.created.json", chain(onPR("Usage: @codex review"), func(m map[string]any) {
				m["comment"].(map[string]any)["user"].(map[string]any)["login"] = "codex-review-app[bot]"
			}))
		}, outcome: Ignored},
		{name: "ordinary remark is ignored", payload: func(t *testing.T) []byte {
			return fixture(t, "issue_comment.created.json", onPR("thanks @codex review was useful"))
		}, outcome: Ignored},
		{name: "no installation", payload: func(t *testing.T) []byte {
			return fixture(t, "issue_comment.created.json", chain(onPR("@codex review"), func(m map[string]any) { delete(m, "installation") }))
		}, outcome: Ignored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &recorder{}
			var got []Outcome
			h := &IssueComment{Parser: command.Parser{Trigger: "@codex", Slug: "codex-review-app"}, Queue: q, BotLogin: "codex-review-app[bot]",
				Observe: func(event string, o Outcome) {
					if event != "issue_comment" {
						t.Errorf("event %q", event)
					}
					got = append(got, o)
				}}
			if err := h.Handle(context.Background(), "issue_comment", "d1", tt.payload(t)); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tt.outcome {
				t.Errorf("outcomes = %v, want %v", got, tt.outcome)
			}
			if tt.want == nil {
				if len(q.reqs) != 0 {
					t.Errorf("enqueued %+v", q.reqs)
				}
				return
			}
			if len(q.reqs) != 1 {
				t.Fatalf("enqueued %d requests", len(q.reqs))
			}
			r := q.reqs[0]
			if tt.want.Trigger == TriggerComment && r.Instructions == "" && tt.want.Instructions != "" {
				t.Errorf("instructions lost")
			}
			r.Reply, r.Instructions = "", ""
			want := *tt.want
			want.Instructions = ""
			if !equal(r, want) {
				t.Errorf("request = %+v\nwant      %+v", r, want)
			}
			if (tt.want.Trigger == TriggerHelp || tt.want.Trigger == TriggerReply) && q.reqs[0].Reply == "" {
				t.Error("help/reply without text")
			}
		})
	}
}

func equal(a, b Request) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestIssueCommentRedeliveryAndErrors(t *testing.T) {
	q := &recorder{}
	var outcomes []Outcome
	h := &IssueComment{Parser: command.Parser{Trigger: "@codex"}, Queue: q, Observe: func(_ string, o Outcome) { outcomes = append(outcomes, o) }}
	p := fixture(t, "issue_comment.created.json", onPR("@codex review"))
	for i := 0; i < 2; i++ {
		if err := h.Handle(context.Background(), "issue_comment", "same", p); err != nil {
			t.Fatal(err)
		}
	}
	if len(q.reqs) != 1 || outcomes[1] != Duplicate {
		t.Errorf("redelivery: %d requests, outcomes %v", len(q.reqs), outcomes)
	}
	q.err = errors.New("database is locked")
	if err := h.Handle(context.Background(), "issue_comment", "x", fixture(t, "issue_comment.created.json", chain(onPR("@codex review"), func(m map[string]any) {
		m["comment"].(map[string]any)["id"] = 7
	}))); err == nil {
		t.Error("an enqueue failure must reach GitHub as an error (it redelivers)")
	}
	if err := h.Handle(context.Background(), "issue_comment", "x", []byte("{")); err == nil {
		t.Error("malformed payload accepted")
	}
}

func TestPullRequest(t *testing.T) {
	tests := []struct {
		file    string
		edit    func(m map[string]any)
		trigger string
		outcome Outcome
	}{
		{"pull_request.opened.json", installed, "opened", Enqueued},
		{"pull_request.reopened.json", installed, "reopened", Enqueued},
		{"pull_request.ready_for_review.json", installed, "ready_for_review", Enqueued},
		{"pull_request.synchronize.json", nil, "synchronize", Enqueued},
		{"pull_request.closed.json", installed, "", Ignored},
		{"pull_request.labeled.json", installed, "", Ignored},
		{"pull_request.opened.json", nil, "", Ignored}, // no installation
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			q := &recorder{}
			var got Outcome
			h := &PullRequest{Queue: q, Observe: func(_ string, o Outcome) { got = o }}
			if err := h.Handle(context.Background(), "pull_request", "d", fixture(t, tt.file, tt.edit)); err != nil {
				t.Fatal(err)
			}
			if got != tt.outcome {
				t.Fatalf("outcome %v, want %v", got, tt.outcome)
			}
			if tt.outcome != Enqueued {
				return
			}
			r := q.reqs[0]
			if r.Trigger != tt.trigger || r.HeadSHA == "" || r.PR == 0 || r.Repo == "" || r.Installation == 0 || r.RequestKey != "auto" {
				t.Errorf("request = %+v", r)
			}
			if tt.trigger == "synchronize" && r.BeforeSHA == "" {
				t.Error("synchronize without the previous head")
			}
		})
	}
}

func installed(m map[string]any) { m["installation"] = map[string]any{"id": 42} }
