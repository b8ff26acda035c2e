package job

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

func TestRoundTrip(t *testing.T) {
	jobs := []Job{
		{Repo: "o/r", Installation: 1, PR: 2, RequestKey: "comment:9", Source: Comment, Action: Review, Post: true,
			Areas: []finding.Area{finding.Security, finding.Tests}, Instructions: "the SQL", CommentID: 9, Requester: "alice", AuthorAssociation: "OWNER", Delivery: "d"},
		{Repo: "o/r", Installation: 1, PR: 2, HeadSHA: "abc", BaseSHA: "def", RequestKey: "api:rev_1", Source: API, Action: Review, ReviewID: "rev_1",
			Sandbox: &Sandbox{Tests: true, Network: sandbox.NetworkRestricted, Command: "go test ./...", Timeout: 90 * time.Second}},
		{Repo: "o/r", Installation: 1, PR: 2, HeadSHA: "abc", BeforeSHA: "aaa", RequestKey: "auto", Source: Automatic, Action: Review, Event: Synchronize, Post: true},
		{Repo: "o/r", Installation: 1, PR: 2, RequestKey: "comment:9", Source: Comment, Action: Help, Post: true, Reply: "Usage", CommentID: 9},
		{Repo: "o/r", Installation: 1, PR: 2, RequestKey: "thread:11", Source: Thread, Action: Suggest, Post: true, CommentID: 11, ThreadID: 10,
			Instructions: "can you fix it?", Requester: "bob", AuthorAssociation: "MEMBER"},
		{Repo: "o/r", Installation: 1, PR: 2, RequestKey: "comment:9", Source: Comment, Action: Remember, Post: true, CommentID: 9, Text: "no ORMs"},
	}
	for _, j := range jobs {
		b, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		var got Job
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, j) {
			t.Errorf("round trip of %s:\n got %+v\nwant %+v", b, got, j)
		}
	}
}

// TestStoredForm pins what a replica of the previous version reads from a
// job queued by this one during a rolling upgrade, and the identity the
// queue computes from the stored form.
func TestStoredForm(t *testing.T) {
	tests := []struct {
		job     Job
		trigger string
	}{
		{Job{Source: Comment, Action: Review}, "comment"},
		{Job{Source: Comment, Action: Help}, "help"},
		{Job{Source: Comment, Action: Reply}, "reply"},
		{Job{Source: API, Action: Review}, "api"},
		{Job{Source: Automatic, Action: Review, Event: ReadyForReview}, "ready_for_review"},
		// Actions the previous version does not know look to it like a
		// reply with nothing to post: it does nothing with them.
		{Job{Source: Thread, Action: Answer}, "reply"},
		{Job{Source: Thread, Action: Review}, "reply"},
		{Job{Source: Thread, Action: Help}, "reply"},
		{Job{Source: Comment, Action: Remember}, "reply"},
		{Job{Source: Comment, Action: Learnings}, "reply"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.job)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m["trigger"] != tt.trigger || m["v"] != float64(argsVersion) {
			t.Errorf("%+v stored as %s; want trigger %q", tt.job, b, tt.trigger)
		}
		// The identity's keys are always present, even empty: a missing key
		// would change the unique key of a comment's job (no head SHA).
		for _, k := range []string{"repo", "pr", "head_sha", "request_key"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %q", b, k)
			}
		}
	}
}

func TestLegacyArgs(t *testing.T) {
	const base = `"repo": "o/r", "installation": 1, "pr": 2, "head_sha": "abc", "base_sha": "", `
	tests := []struct {
		name string
		raw  string
		want Job
	}{
		{"comment review", base + `"request_key": "comment:9", "trigger": "comment", "areas": ["security", "style", "BUGS"], "comment_id": 9, "requester": "alice", "author_association": "OWNER"`,
			Job{Repo: "o/r", Installation: 1, PR: 2, HeadSHA: "abc", RequestKey: "comment:9", Source: Comment, Action: Review, Post: true,
				Areas: []finding.Area{finding.Security, finding.Bugs}, CommentID: 9, Requester: "alice", AuthorAssociation: "OWNER"}},
		{"help", base + `"request_key": "comment:9", "trigger": "help", "reply": "Usage", "comment_id": 9`,
			Job{Repo: "o/r", Installation: 1, PR: 2, HeadSHA: "abc", RequestKey: "comment:9", Source: Comment, Action: Help, Post: true, Reply: "Usage", CommentID: 9}},
		{"reply", base + `"request_key": "comment:9", "trigger": "reply", "reply": "Did you mean", "comment_id": 9`,
			Job{Repo: "o/r", Installation: 1, PR: 2, HeadSHA: "abc", RequestKey: "comment:9", Source: Comment, Action: Reply, Post: true, Reply: "Did you mean", CommentID: 9}},
		{"push", base + `"request_key": "auto", "trigger": "synchronize", "before_sha": "aaa", "delivery": "d"`,
			Job{Repo: "o/r", Installation: 1, PR: 2, HeadSHA: "abc", RequestKey: "auto", Source: Automatic, Action: Review, Event: Synchronize, Post: true, BeforeSHA: "aaa", Delivery: "d"}},
		{"REST API", base + `"request_key": "api:rev_1", "trigger": "api", "review_id": "rev_1", "instructions": "x"`,
			Job{Repo: "o/r", Installation: 1, PR: 2, HeadSHA: "abc", RequestKey: "api:rev_1", Source: API, Action: Review, Post: true, ReviewID: "rev_1", Instructions: "x", LegacyAPI: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Job
			if err := json.Unmarshal([]byte("{"+tt.raw+"}"), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := Job{Repo: "o/r", PR: 1, HeadSHA: "abc", RequestKey: "auto", Source: Automatic, Action: Review, Event: Opened}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*Job)
		want   string
	}{
		{"no owner", func(j *Job) { j.Repo = "r" }, "owner/name"},
		{"nested", func(j *Job) { j.Repo = "a/b/c" }, "owner/name"},
		{"no PR", func(j *Job) { j.PR = 0 }, "not positive"},
		{"no head, no comment", func(j *Job) { j.HeadSHA = "" }, "head SHA"},
		{"no request key", func(j *Job) { j.RequestKey = "" }, "request key"},
		{"unknown source", func(j *Job) { j.Source = "email" }, "source"},
		{"no action", func(j *Job) { j.Action = "" }, "action"},
	}
	for _, tt := range tests {
		j := good
		tt.mutate(&j)
		if err := j.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want an error about %s", tt.name, err, tt.want)
		}
	}
	comment := Job{Repo: "o/r", PR: 1, RequestKey: "comment:5", CommentID: 5, Source: Comment, Action: Review}
	if err := comment.Validate(); err != nil {
		t.Errorf("a comment's job needs no head: %v", err)
	}
	thread := Job{Repo: "o/r", PR: 1, RequestKey: "thread:6", CommentID: 6, ThreadID: 5, Source: Thread, Action: Answer}
	if err := thread.Validate(); err != nil {
		t.Errorf("a thread's job: %v", err)
	}
	for _, tt := range []struct {
		name string
		j    Job
		want string
	}{
		{"thread without its first comment", Job{Repo: "o/r", PR: 1, RequestKey: "thread:6", CommentID: 6, Source: Thread, Action: Answer}, "thread"},
		{"answer outside a thread", Job{Repo: "o/r", PR: 1, RequestKey: "comment:6", CommentID: 6, Source: Comment, Action: Answer}, "review thread"},
		{"dismiss outside a thread", Job{Repo: "o/r", PR: 1, RequestKey: "comment:6", CommentID: 6, Source: Comment, Action: Dismiss}, "review thread"},
		{"remember without a comment", Job{Repo: "o/r", PR: 1, HeadSHA: "a", RequestKey: "auto", Source: Automatic, Action: Remember}, "comment"},
	} {
		if err := tt.j.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want an error about %s", tt.name, err, tt.want)
		}
	}
	for _, tt := range []struct {
		j    Job
		want string
	}{
		{Job{Source: Thread, Action: Answer}, "thread_answer"},
		{Job{Source: Thread, Action: Review}, "thread"},
		{Job{Source: Comment, Action: Remember}, "remember"},
	} {
		if got := tt.j.Trigger(); got != tt.want {
			t.Errorf("Trigger of %+v = %q, want %q", tt.j, got, tt.want)
		}
	}
}
