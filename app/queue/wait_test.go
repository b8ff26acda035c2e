package queue

import (
	"context"
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
	acked := job.Waited{Reacted: true, CheckRunID: 5, CheckHead: "c0ffee"}
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
