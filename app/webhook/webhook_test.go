package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/tidwall/gjson"
)

// handleAllErr gives payload to every handler and returns what they
// enqueued, or the first error that is not a MalformedError.
func handleAllErr(payload []byte) ([]job.Job, error) {
	q := &recorder{}
	handlers := []interface {
		Handle(context.Context, string, string, []byte) error
	}{
		&IssueComment{Parser: command.Parser{}, Queue: q},
		&PullRequest{Queue: q},
		&CheckRun{Queue: q, AppID: 4242, Name: "codex-review"},
	}
	for _, h := range handlers {
		err := h.Handle(context.Background(), "event", "d", payload)
		var me *MalformedError
		if err != nil && !errors.As(err, &me) {
			return nil, fmt.Errorf("%T: error %v is neither nil nor malformed", h, err)
		}
	}
	return q.reqs, nil
}

// handleAll is handleAllErr for payloads every handler accepts or calls
// malformed.
func handleAll(payload []byte) []job.Job {
	reqs, _ := handleAllErr(payload)
	return reqs
}

// slim keeps only the given paths of a payload, with their values as
// the payload has them.
func slim(t testing.TB, payload []byte, paths []string) []byte {
	t.Helper()
	out := map[string]any{}
	for _, p := range paths {
		v := gjson.GetBytes(payload, p)
		if !v.Exists() {
			continue
		}
		keys := strings.Split(p, ".")
		m := out
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = json.RawMessage(v.Raw)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixture loads a real payload and applies edits to its decoded JSON.
func fixture(t testing.TB, name string, edit func(m map[string]any)) []byte {
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
	reqs []job.Job
	seen map[string]bool
	err  error
}

func (r *recorder) Enqueue(_ context.Context, req job.Job) (bool, error) {
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
		want    *job.Job
		outcome Outcome
	}{
		{
			name: "review with areas and words",
			payload: func(t *testing.T) []byte {
				return fixture(t, "issue_comment.created.json", onPR("LGTM so far.\n@codex review security for injection"))
			},
			want: &job.Job{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Source: job.Comment, Action: job.Review, Post: true, Requester: "Codertocat",
				AuthorAssociation: "OWNER", Areas: []finding.Area{finding.Security}, Instructions: "security for injection", RequestKey: "comment:492700400", CommentID: 492700400, Delivery: "d1"},
			outcome: Enqueued,
		},
		{
			name:    "help",
			payload: func(t *testing.T) []byte { return fixture(t, "issue_comment.created.json", onPR("@codex help")) },
			want: &job.Job{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Source: job.Comment, Action: job.Help, Post: true, Requester: "Codertocat",
				AuthorAssociation: "OWNER", RequestKey: "comment:492700400", CommentID: 492700400, Delivery: "d1"},
			outcome: Enqueued,
		},
		{
			name:    "typo gets a reply",
			payload: func(t *testing.T) []byte { return fixture(t, "issue_comment.created.json", onPR("@codex reveiw")) },
			want: &job.Job{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Source: job.Comment, Action: job.Reply, Post: true, Requester: "Codertocat",
				AuthorAssociation: "OWNER", RequestKey: "comment:492700400", CommentID: 492700400, Delivery: "d1"},
			outcome: Enqueued,
		},
		{
			name: "remember",
			payload: func(t *testing.T) []byte {
				return fixture(t, "issue_comment.created.json", onPR("@codex remember no ORMs in this repository"))
			},
			want: &job.Job{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Source: job.Comment, Action: job.Remember, Post: true, Requester: "Codertocat",
				AuthorAssociation: "OWNER", RequestKey: "comment:492700400", CommentID: 492700400, Delivery: "d1", Text: "no ORMs in this repository"},
			outcome: Enqueued,
		},
		{
			name:    "learnings",
			payload: func(t *testing.T) []byte { return fixture(t, "issue_comment.created.json", onPR("@codex learnings")) },
			want: &job.Job{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Source: job.Comment, Action: job.Learnings, Post: true, Requester: "Codertocat",
				AuthorAssociation: "OWNER", RequestKey: "comment:492700400", CommentID: 492700400, Delivery: "d1"},
			outcome: Enqueued,
		},
		{name: "the slug always works", payload: func(t *testing.T) []byte {
			return fixture(t, "issue_comment.created.json", onPR("@codex-review-app review"))
		}, want: &job.Job{Repo: "Codertocat/Hello-World", Installation: 42, PR: 1, Source: job.Comment, Action: job.Review, Post: true, Requester: "Codertocat",
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
			if tt.want.Action == job.Review && r.Instructions == "" && tt.want.Instructions != "" {
				t.Errorf("instructions lost")
			}
			if r.CommentURL != "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400" {
				t.Errorf("comment URL %q", r.CommentURL)
			}
			r.Reply, r.Instructions, r.CommentURL = "", "", ""
			want := *tt.want
			want.Instructions = ""
			if !equal(r, want) {
				t.Errorf("request = %+v\nwant      %+v", r, want)
			}
			if (tt.want.Action == job.Help || tt.want.Action == job.Reply) && q.reqs[0].Reply == "" {
				t.Error("help/reply without text")
			}
		})
	}
}

func equal(a, b job.Job) bool {
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
			if r.Source != job.Automatic || r.Action != job.Review || !r.Post || string(r.Event) != tt.trigger || r.HeadSHA == "" || r.PR == 0 || r.Repo == "" || r.Installation == 0 || r.RequestKey != "auto" {
				t.Errorf("request = %+v", r)
			}
			if tt.trigger == "synchronize" && r.BeforeSHA == "" {
				t.Error("synchronize without the previous head")
			}
		})
	}
}

func installed(m map[string]any) { m["installation"] = map[string]any{"id": 42} }

// ownRun makes the fixture a re-run of the app's own check run on pull
// request #7 of the repository.
func ownRun(m map[string]any) {
	cr := m["check_run"].(map[string]any)
	cr["name"] = "codex-review"
	cr["app"].(map[string]any)["id"] = 4242
	repoID := m["repository"].(map[string]any)["id"]
	cr["pull_requests"] = []any{map[string]any{"number": 7, "base": map[string]any{"repo": map[string]any{"id": repoID}}}}
	m["installation"] = map[string]any{"id": 42}
}

func TestCheckRunRerequested(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m map[string]any)
		outcome Outcome
	}{
		{"own check run", ownRun, Enqueued},
		{"another app's check run", chain(ownRun, func(m map[string]any) { m["check_run"].(map[string]any)["app"].(map[string]any)["id"] = 1 }), Ignored},
		{"another check name", chain(ownRun, func(m map[string]any) { m["check_run"].(map[string]any)["name"] = "lint" }), Ignored},
		{"not a re-run", chain(ownRun, func(m map[string]any) { m["action"] = "completed" }), Ignored},
		{"head of no pull request", chain(ownRun, func(m map[string]any) { m["check_run"].(map[string]any)["pull_requests"] = []any{} }), Ignored},
		{"pressed by a bot", chain(ownRun, func(m map[string]any) {
			m["sender"].(map[string]any)["type"], m["sender"].(map[string]any)["login"] = "Bot", "ci[bot]"
		}), Ignored},
		{"no installation", chain(ownRun, func(m map[string]any) { delete(m, "installation") }), Ignored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &recorder{}
			var got []Outcome
			h := &CheckRun{Queue: q, AppID: 4242, Name: "codex-review", Observe: func(event string, o Outcome) {
				if event != "check_run" {
					t.Errorf("event %q", event)
				}
				got = append(got, o)
			}}
			payload := fixture(t, "check_run.rerequested.json", tt.edit)
			if err := h.Handle(context.Background(), "check_run", "d1", payload); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tt.outcome {
				t.Fatalf("outcomes %v, want %v", got, tt.outcome)
			}
			if tt.outcome != Enqueued {
				if len(q.reqs) != 0 {
					t.Errorf("enqueued %+v", q.reqs)
				}
				return
			}
			want := job.Job{Repo: "github/hello-world", Installation: 42, PR: 7, HeadSHA: "d6fde92930d4715a2b49857d24b940956b26d2d3",
				Source: job.CheckRun, Action: job.Review, Fresh: true, Post: true, Requester: "octocat", Delivery: "d1", RequestKey: "rerun:d1"}
			if len(q.reqs) != 1 || !equal(q.reqs[0], want) {
				t.Errorf("job = %+v\nwant  %+v", q.reqs, want)
			}
			if err := q.reqs[0].Validate(); err != nil {
				t.Errorf("the job is not valid: %v", err)
			}
			// A redelivery of the same press is the same request.
			if err := h.Handle(context.Background(), "check_run", "d1", payload); err != nil || got[1] != Duplicate {
				t.Errorf("redelivery: %v, outcomes %v", err, got)
			}
		})
	}
}

// A signed payload that cannot be used is the sender's fault: the error is
// a MalformedError (the server answers 400, not "GitHub may redeliver
// it") and the outcome is counted as malformed, never as enqueued.
func TestMalformedPayloads(t *testing.T) {
	comment := func(edit func(m map[string]any)) []byte {
		return fixture(t, "issue_comment.created.json", chain(onPR("@codex review"), edit))
	}
	pull := func(edit func(m map[string]any)) []byte {
		return fixture(t, "pull_request.opened.json", chain(installed, edit))
	}
	tests := []struct {
		name, event string
		payload     []byte
	}{
		{"bad JSON", "issue_comment", []byte("{")},
		{"number as a word", "pull_request", pull(func(m map[string]any) { m["number"] = "seven" })},
		{"missing head.sha", "pull_request", pull(func(m map[string]any) {
			delete(m["pull_request"].(map[string]any)["head"].(map[string]any), "sha")
		})},
		{"head.sha not a commit", "pull_request", pull(func(m map[string]any) {
			m["pull_request"].(map[string]any)["head"].(map[string]any)["sha"] = "../../x"
		})},
		{"repository name with a query", "pull_request", pull(func(m map[string]any) {
			m["repository"].(map[string]any)["full_name"] = "acme/widgets?x=1"
		})},
		{"comment without an id", "issue_comment", comment(func(m map[string]any) { delete(m["comment"].(map[string]any), "id") })},
		{"issue number as a word", "issue_comment", comment(func(m map[string]any) { m["issue"].(map[string]any)["number"] = "seven" })},
		{"repository without owner", "issue_comment", comment(func(m map[string]any) { m["repository"].(map[string]any)["full_name"] = "widgets" })},
		{"not an object", "issue_comment", []byte(` [{"action": "created"}]`)},
		{"comment id with a fraction", "issue_comment", comment(func(m map[string]any) { m["comment"].(map[string]any)["id"] = 1.5 })},
		{"comment body as a number", "issue_comment", comment(func(m map[string]any) { m["comment"].(map[string]any)["body"] = 7 })},
		{"installation id past int64", "pull_request", pull(func(m map[string]any) {
			m["installation"] = map[string]any{"id": json.Number("99999999999999999999")}
		})},
		{"negative number beside pull_request.number", "pull_request", pull(func(m map[string]any) { m["number"] = -5 })},
		{"head.sha as an object", "pull_request", pull(func(m map[string]any) {
			m["pull_request"].(map[string]any)["head"].(map[string]any)["sha"] = map[string]any{}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &recorder{}
			var got Outcome
			obs := func(_ string, o Outcome) { got = o }
			var err error
			if tt.event == "pull_request" {
				err = (&PullRequest{Queue: q, Observe: obs}).Handle(context.Background(), tt.event, "d", tt.payload)
			} else {
				err = (&IssueComment{Parser: command.Parser{}, Queue: q, Observe: obs}).Handle(context.Background(), tt.event, "d", tt.payload)
			}
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("error = %v, want a MalformedError", err)
			}
			if got != Malformed || len(q.reqs) != 0 {
				t.Errorf("outcome %v, %d enqueued", got, len(q.reqs))
			}
		})
	}
}

// FuzzHandlers feeds arbitrary signed payloads to every handler: none may
// panic, and each either accepts the delivery or calls it malformed.
//
// The seeds are the real deliveries cut down to the fields the handlers
// read (the whole ones are the unit tests' fixtures): every new input the
// fuzzer finds is minimised first, and from a 15-30 KB payload that takes
// the whole of CI's few seconds, so the fuzzer would hardly run at all.
func FuzzHandlers(f *testing.F) {
	for _, seed := range []struct {
		name  string
		edit  func(map[string]any)
		paths []string
	}{
		{"issue_comment.created.json", onPR("@codex review security"), commentPaths},
		{"pull_request.opened.json", installed, pullRequestPaths},
		{"pull_request.synchronize.json", nil, pullRequestPaths},
	} {
		b := fixture(f, seed.name, seed.edit)
		small := slim(f, b, seed.paths)
		// The cut-down delivery is the same delivery to the handlers.
		if whole, cut := handleAll(b), handleAll(small); len(whole) != 1 || !reflect.DeepEqual(whole, cut) {
			f.Fatalf("%s: the whole delivery enqueues %+v, the cut-down one %+v", seed.name, whole, cut)
		}
		f.Add(small)
	}
	f.Add([]byte(`{"action":"created","issue":{"number":"seven","pull_request":{}},"comment":{"id":1,"body":"@codex review"}}`))
	f.Add([]byte(`{"action":"rerequested","check_run":{"name":"codex-review","head_sha":"x","pull_requests":[{"number":1}]}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		reqs, err := handleAllErr(payload)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range reqs {
			if err := j.Validate(); err != nil {
				t.Fatalf("enqueued an invalid job %+v: %v", j, err)
			}
		}
	})
}

// TestPayloadInvalidUTF8 reads strings that are not UTF-8 as encoding/json
// does: each invalid byte becomes U+FFFD.
func TestPayloadInvalidUTF8(t *testing.T) {
	p := []byte("{\"comment\":{\"body\":\"a\xff\xfeb\\u00e9\",\"user\":{\"login\":\"x\xc3y\"}}}")
	var want struct {
		Comment struct {
			Body string
			User struct{ Login string }
		}
	}
	if err := json.Unmarshal(p, &want); err != nil {
		t.Fatal(err)
	}
	got, err := decodeComment(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Comment.Body != want.Comment.Body || got.Comment.User.Login != want.Comment.User.Login {
		t.Errorf("body %q, login %q; encoding/json reads %q, %q", got.Comment.Body, got.Comment.User.Login, want.Comment.Body, want.Comment.User.Login)
	}
}
