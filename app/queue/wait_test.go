package queue

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"

	"github.com/codex-review/codex-review/app/job"
)

// waitingHandler is a fakeHandler that is also a Waiter.
type waitingHandler struct {
	*fakeHandler
	waiting func(job Job, busy Busy) (job.Waited, bool, error)

	mu    sync.Mutex
	calls []waitCall
}

type waitCall struct {
	key, holder string
}

func (h *waitingHandler) Waiting(ctx context.Context, j Job, busy Busy) (job.Waited, bool, error) {
	c := waitCall{key: j.Args.RequestKey}
	if busy.Holder != nil {
		c.holder = busy.Holder.RequestKey
	}
	h.mu.Lock()
	h.calls = append(h.calls, c)
	h.mu.Unlock()
	if ctx.Err() != nil {
		return job.Waited{}, false, ctx.Err()
	}
	return h.waiting(j, busy)
}

// testWaitingAcknowledged: a job that finds its pull request busy is
// acknowledged once, however many times it is tried while it waits, with
// the running job named; what was done reaches its review when its turn
// comes; a job that Waiting finishes never runs, and does not wait.
func testWaitingAcknowledged(t *testing.T, ctx context.Context, databaseURL string) {
	firstStarted, releaseFirst := make(chan struct{}), make(chan struct{})
	h := &waitingHandler{fakeHandler: &fakeHandler{review: func(ctx context.Context, j Job) error {
		if j.Args.RequestKey == "first" {
			close(firstStarted)
			<-releaseFirst
		}
		return nil
	}}}
	acked := job.Waited{Reacted: true, CheckRunID: 5, CheckHead: strings.Repeat("c0ffee", 7)[:40]}
	h.waiting = func(j Job, _ Busy) (job.Waited, bool, error) {
		if j.Args.RequestKey == "refused" {
			return job.Waited{}, true, nil
		}
		return acked, false, nil
	}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribeAll(t, q)
	start(t, ctx, q)
	first := enqueue(t, ctx, q, args(7, "c0ffee", "first"))
	wait(t, ctx, firstStarted, "first review never started")
	second := enqueue(t, ctx, q, args(7, "c0ffee", "second"))
	refused := enqueue(t, ctx, q, args(7, "c0ffee", "refused"))
	// The second job is put back several times while the first runs; the
	// refused one is done without waiting.
	snoozes := 0
	done := false
	for snoozes < 3 || !done {
		select {
		case ev := <-events:
			switch {
			case ev.Job == nil:
			case ev.Job.ID == second && ev.Kind == river.EventKindJobSnoozed:
				snoozes++
			case ev.Job.ID == refused && ev.Kind == river.EventKindJobCompleted:
				done = true
			case ev.Job.ID == second || ev.Job.ID == refused:
				t.Fatalf("job %d: %s while the first ran", ev.Job.ID, ev.Kind)
			}
		case <-ctx.Done():
			t.Fatalf("%d snoozes of the second job, refused done: %v: %v", snoozes, done, ctx.Err())
		}
	}
	close(releaseFirst)
	waitEvent(t, ctx, events, river.EventKindJobCompleted, first, second)
	stop(t, ctx, q)

	h.mu.Lock()
	calls := append([]waitCall(nil), h.calls...)
	h.mu.Unlock()
	want := map[string]bool{"second": true, "refused": true}
	for _, c := range calls {
		if !want[c.key] {
			t.Errorf("Waiting called for %q again, or for a job that did not wait: %+v", c.key, calls)
		}
		delete(want, c.key)
		if c.holder != "first" {
			t.Errorf("Waiting for %q named the running job %q, want first", c.key, c.holder)
		}
	}
	if len(want) != 0 {
		t.Errorf("Waiting never called for %v", want)
	}
	attempts, _, _, _ := h.snapshot()
	for _, a := range attempts {
		switch a.Args.RequestKey {
		case "first":
			if a.Args.Waited != nil {
				t.Errorf("the first job, which never waited, has %+v", *a.Args.Waited)
			}
		case "second":
			if a.Args.Waited == nil || *a.Args.Waited != acked {
				t.Errorf("the second job's review got %+v, want %+v", a.Args.Waited, acked)
			}
		case "refused":
			t.Errorf("the refused job ran")
		}
	}
	if len(attempts) != 2 {
		t.Errorf("%d reviews ran, want 2", len(attempts))
	}
}

// TestWaitedOfDistrustsMetadata: what Waiting stored is read back from the
// job's metadata only when it is something Waiting returns; anything else
// reads as nothing stored (the job acknowledges itself again), never as an
// error, and never hands the review a check run id or head to send to
// GitHub that Waiting did not make.
func TestWaitedOfDistrustsMetadata(t *testing.T) {
	head := strings.Repeat("0123456789abcdef", 3)[:40]
	for _, c := range []struct {
		name, metadata string
		want           *job.Waited
	}{
		{"no metadata", ``, nil},
		{"not waited", `{"other":1}`, nil},
		{"null", `{"codex_waited":null}`, nil},
		{"reacted only", `{"codex_waited":{"reacted":true}}`, &job.Waited{Reacted: true}},
		{"nothing done", `{"codex_waited":{}}`, &job.Waited{}},
		{"check run", `{"codex_waited":{"reacted":true,"check_run_id":42,"check_head":"` + head + `"}}`,
			&job.Waited{Reacted: true, CheckRunID: 42, CheckHead: head}},
		{"unknown field ignored", `{"codex_waited":{"check_run_id":42,"check_head":"` + head + `","later":[1]}}`,
			&job.Waited{CheckRunID: 42, CheckHead: head}},

		{"not JSON", `{"codex_waited":`, nil},
		{"not an object", `{"codex_waited":"yes"}`, nil},
		{"array", `{"codex_waited":[{"check_run_id":42}]}`, nil},
		{"id a string", `{"codex_waited":{"check_run_id":"42","check_head":"` + head + `"}}`, nil},
		{"id a fraction", `{"codex_waited":{"check_run_id":4.2,"check_head":"` + head + `"}}`, nil},
		{"id too large", `{"codex_waited":{"check_run_id":1e30,"check_head":"` + head + `"}}`, nil},
		{"zero id with a head", `{"codex_waited":{"reacted":true,"check_head":"` + head + `"}}`, nil},
		{"negative id", `{"codex_waited":{"reacted":true,"check_run_id":-1,"check_head":"` + head + `"}}`, nil},
		{"id without a head", `{"codex_waited":{"check_run_id":42}}`, nil},
		{"short head", `{"codex_waited":{"check_run_id":42,"check_head":"c0ffee"}}`, nil},
		{"uppercase head", `{"codex_waited":{"check_run_id":42,"check_head":"` + strings.ToUpper(head) + `"}}`, nil},
		{"long head", `{"codex_waited":{"check_run_id":42,"check_head":"` + head + head[:24] + `"}}`, nil},
		{"head with a path", `{"codex_waited":{"check_run_id":42,"check_head":"../../../../repos/o/r/pulls/1/merge"}}`, nil},
		{"head not hex", `{"codex_waited":{"check_run_id":42,"check_head":"` + head[:39] + `g"}}`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := waitedOf([]byte(c.metadata))
			if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
				t.Errorf("waitedOf(%s) = %+v, want %+v", c.metadata, got, c.want)
			}
		})
	}
}

// testOthersRunBesideReview: only reviews hold their pull request
// (job.Job.Exclusive). While a review runs, a `remember` and a `help` of
// the same pull request run at once, without waiting or being
// acknowledged as waiting, and each still holds a lease of its own, which
// keeps it from being taken for the job of a dead process.
func testOthersRunBesideReview(t *testing.T, ctx context.Context, databaseURL string) {
	reviewStarted, releaseReview := make(chan struct{}), make(chan struct{})
	var leased sync.Map
	var q *Queue
	h := &waitingHandler{fakeHandler: &fakeHandler{review: func(ctx context.Context, j Job) error {
		if j.Args.Action == job.Review {
			close(reviewStarted)
			<-releaseReview
			return nil
		}
		raw, ok, err := q.leases.Holder(ctx, lockKey(j))
		leased.Store(j.Args.RequestKey, ok && err == nil && strings.Contains(string(raw), j.Args.RequestKey))
		return nil
	}}}
	h.waiting = func(Job, Busy) (job.Waited, bool, error) { return job.Waited{}, false, nil }
	q = newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribeAll(t, q)
	start(t, ctx, q)
	t.Cleanup(func() {
		select {
		case <-releaseReview:
		default:
			close(releaseReview)
		}
	})
	review := enqueue(t, ctx, q, args(7, "c0ffee", "review"))
	wait(t, ctx, reviewStarted, "the review never started")
	remember := args(7, "", "remember")
	remember.Action, remember.CommentID, remember.Text = job.Remember, 11, "use tabs"
	help := args(7, "", "help")
	help.Action, help.CommentID, help.Reply = job.Help, 12, "usage"
	ids := []int64{enqueue(t, ctx, q, remember), enqueue(t, ctx, q, help)}
	for done := 0; done < len(ids); {
		select {
		case ev := <-events:
			switch {
			case ev.Job == nil || (ev.Job.ID != ids[0] && ev.Job.ID != ids[1]):
			case ev.Kind == river.EventKindJobCompleted:
				done++
			default:
				t.Fatalf("job %d (%s): %s while the review ran", ev.Job.ID, ev.Job.Kind, ev.Kind)
			}
		case <-ctx.Done():
			t.Fatalf("the jobs beside the review did not complete: %v", ctx.Err())
		}
	}
	if s := jobState(t, ctx, q, review); s != "running" {
		t.Fatalf("the review is %s, want still running", s)
	}
	close(releaseReview)
	waitEvent(t, ctx, events, river.EventKindJobCompleted, review)
	stop(t, ctx, q)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.calls) != 0 {
		t.Errorf("Waiting called for jobs that need not wait: %+v", h.calls)
	}
	for _, k := range []string{"remember", "help"} {
		if ok, _ := leased.Load(k); ok != true {
			t.Errorf("the %s job ran without a lease of its own", k)
		}
	}
}
