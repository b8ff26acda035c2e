package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
)

func TestLeases(t *testing.T) {
	behaviours := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, databaseURL string)
	}{
		{"one pull request is reviewed by one job at a time", testPullRequestSerialised},
		{"a job that waits for its pull request is acknowledged once", testWaitingAcknowledged},
		{"jobs that are not reviews run beside a review", testOthersRunBesideReview},
		{"a live job is not rescued by another process", testLiveJobNotRescued},
		{"a job that loses its lease stops and runs again", testLeaseLostStops},
		{"a job run again after a graceful stop is not taken for an orphan", testRunAgainAfterStop},
		{"each failed attempt is logged once at warn", testFailedAttemptsLogged},
		{"concurrent enqueues commit together and answer each", testConcurrentEnqueue},
	}
	for _, backend := range storetest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			for _, b := range behaviours {
				t.Run(b.name, func(t *testing.T) {
					ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
					defer cancel()
					b.run(t, ctx, backend.URL(t))
				})
			}
		})
	}
}

// subscribeAll is subscribe with snoozes too.
func subscribeAll(t *testing.T, q *Queue) <-chan *river.Event {
	t.Helper()
	events, cancel := q.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled,
		river.EventKindJobFailed, river.EventKindJobSnoozed)
	t.Cleanup(cancel)
	return events
}

// waitEach waits until each job has had its event, in whatever order they
// come.
func waitEach(t *testing.T, ctx context.Context, events <-chan *river.Event, want map[int64]river.EventKind) {
	t.Helper()
	for len(want) > 0 {
		select {
		case ev := <-events:
			if ev.Job != nil && want[ev.Job.ID] == ev.Kind {
				delete(want, ev.Job.ID)
			}
		case <-ctx.Done():
			t.Fatalf("still waiting for %v: %v", want, ctx.Err())
		}
	}
}

func wait(t *testing.T, ctx context.Context, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-ctx.Done():
		t.Fatalf("%s: %v", what, ctx.Err())
	}
}

// testPullRequestSerialised runs two requests for one pull request: the
// second waits, without using an attempt, until the first is done, while a
// request for another pull request runs meanwhile.
func testPullRequestSerialised(t *testing.T, ctx context.Context, databaseURL string) {
	firstStarted, releaseFirst := make(chan struct{}), make(chan struct{})
	var (
		mu    sync.Mutex
		order []string
	)
	note := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	h := &fakeHandler{review: func(ctx context.Context, job Job) error {
		note("start " + job.Args.RequestKey)
		if job.Args.RequestKey == "first" {
			close(firstStarted)
			<-releaseFirst
		}
		note("end " + job.Args.RequestKey)
		return nil
	}}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribeAll(t, q)
	start(t, ctx, q)
	first := enqueue(t, ctx, q, args(7, "c0ffee", "first"))
	wait(t, ctx, firstStarted, "first review never started")
	second := enqueue(t, ctx, q, args(7, "c0ffee", "second"))
	other := enqueue(t, ctx, q, args(8, "c0ffee", "other"))
	// The second request is tried and put back while the first runs; the
	// other pull request's is not held up.
	waitEach(t, ctx, events, map[int64]river.EventKind{second: river.EventKindJobSnoozed, other: river.EventKindJobCompleted})
	close(releaseFirst)
	waitEvent(t, ctx, events, river.EventKindJobCompleted, first, second)
	stop(t, ctx, q)

	mu.Lock()
	defer mu.Unlock()
	iEnd, iSecond := -1, -1
	for i, s := range order {
		switch s {
		case "end first":
			iEnd = i
		case "start second":
			if iSecond >= 0 {
				t.Errorf("the second review started twice: %v", order)
			}
			iSecond = i
		}
	}
	if iEnd < 0 || iSecond < iEnd {
		t.Errorf("the second review of the pull request started before the first ended: %v", order)
	}
	attempts, _, _, _ := h.snapshot()
	for _, a := range attempts {
		if a.Args.RequestKey == "second" && a.Attempt != 1 {
			t.Errorf("waiting used up attempts: the second review ran as attempt %d", a.Attempt)
		}
	}
}

// testLiveJobNotRescued runs a review for several leases in one process
// while another process keeps looking for orphans: the review is never
// taken away from its live process.
func testLiveJobNotRescued(t *testing.T, ctx context.Context, databaseURL string) {
	started, release := make(chan struct{}), make(chan struct{})
	var (
		mu        sync.Mutex
		liveEnded time.Time
		otherRan  []time.Time
	)
	live := &fakeHandler{review: func(ctx context.Context, job Job) error {
		if job.Attempt == 1 {
			close(started)
		}
		defer func() {
			mu.Lock()
			liveEnded = time.Now()
			mu.Unlock()
		}()
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}}
	// Two processes on one SQLite file contend for its write lock (one
	// process, the supported set-up, queues its writes instead), and CI
	// runs this under -race on a busy machine: a longer lease and slower
	// polling keep renewals in time.
	cfg := testConfig(t)
	cfg.Lease, cfg.PollInterval = 6*time.Second, 100*time.Millisecond
	q1 := newQueue(t, openDB(t, ctx, databaseURL), cfg, live)
	events := subscribe(t, q1)
	var liveLog syncBuffer
	if err := q1.Start(zerolog.New(&liveLog).Level(zerolog.WarnLevel).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	id := enqueue(t, ctx, q1, args(7, "c0ffee", "1001"))
	wait(t, ctx, started, "review never started")
	began := time.Now()

	// The other process: it would run the job if it took it for an
	// orphan. Its looks are counted, and the test goes on once it has
	// looked after the first lease had expired (so the lease must have
	// been renewed, or the job would be the other's).
	enough := make(chan struct{})
	var once sync.Once
	cfg2 := cfg
	cfg2.afterRescue = func() {
		if time.Since(began) > cfg.Lease+cfg.Lease/2 {
			once.Do(func() { close(enough) })
		}
	}
	other := &fakeHandler{review: func(context.Context, Job) error {
		mu.Lock()
		otherRan = append(otherRan, time.Now())
		mu.Unlock()
		return nil
	}}
	q2 := newQueue(t, openDB(t, ctx, databaseURL), cfg2, other)
	otherEvents := subscribe(t, q2)
	start(t, ctx, q2)
	wait(t, ctx, enough, "the other process never looked for orphans")
	close(release)
	// The job ends on either process.
	select {
	case <-waitJob(ctx, events, id):
	case <-waitJob(ctx, otherEvents, id):
	case <-ctx.Done():
		t.Fatal("the job never completed")
	}
	stop(t, ctx, q2)
	stop(t, ctx, q1)

	mu.Lock()
	defer mu.Unlock()
	// Safety, always: the other process never ran the job while the live
	// one still did.
	for _, at := range otherRan {
		if at.Before(liveEnded) {
			t.Errorf("the other process ran the job at %s while the live one ran it until %s", at.Format(time.StampMilli), liveEnded.Format(time.StampMilli))
		}
	}
	// Liveness: the live process keeps its job — unless it could not
	// renew in time (the database was unreachable or stalled, which a
	// busy CI machine can cause even with this lease), and stopped itself
	// as it must.
	fenced := false
	for _, m := range liveLog.lines(t) {
		if strings.Contains(fmt.Sprint(m["error"]), "renew") {
			fenced = true
		}
	}
	if fenced {
		t.Logf("the live process could not renew its lease in time and stopped: %d runs elsewhere, none while it ran", len(otherRan))
		return
	}
	if len(otherRan) != 0 {
		t.Errorf("the other process ran the live job %d times", len(otherRan))
	}
	attempts, succeeded, failures, _ := live.snapshot()
	if len(attempts) != 1 || len(succeeded) != 1 || len(failures) != 0 {
		t.Errorf("live process: %d attempts, %d successes, %d failures; want 1, 1, 0", len(attempts), len(succeeded), len(failures))
	}
}

// waitJob closes its channel when job id completes among events.
func waitJob(ctx context.Context, events <-chan *river.Event, id int64) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return
				}
				if ev.Job != nil && ev.Job.ID == id && ev.Kind == river.EventKindJobCompleted {
					close(done)
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return done
}

// testRunAgainAfterStop stops a queue while its review runs (the attempt
// is given back, so the next run has the same attempt number) and runs the
// job again in another process for more than a lease: the lease the first
// run left behind, expiring meanwhile, must not make the second run look
// like an orphan.
func testRunAgainAfterStop(t *testing.T, ctx context.Context, databaseURL string) {
	started := make(chan struct{})
	first := &fakeHandler{review: func(ctx context.Context, job Job) error {
		close(started)
		<-ctx.Done()
		return fmt.Errorf("call model: %w", ctx.Err())
	}}
	cfg := testConfig(t)
	q1 := newQueue(t, openDB(t, ctx, databaseURL), cfg, first)
	start(t, ctx, q1)
	id := enqueue(t, ctx, q1, args(7, "c0ffee", "1001"))
	wait(t, ctx, started, "review never started")
	expired, cancel := context.WithCancel(ctx)
	cancel()
	stop(t, expired, q1)

	again, release := make(chan struct{}), make(chan struct{})
	var (
		lost      error
		againOnce sync.Once
	)
	second := &fakeHandler{review: func(ctx context.Context, job Job) error {
		againOnce.Do(func() { close(again) })
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			if lost == nil {
				lost = context.Cause(ctx)
			}
			return context.Cause(ctx)
		}
	}}
	var (
		began time.Time
		once  sync.Once
		mu    sync.Mutex
	)
	enough := make(chan struct{})
	cfg2 := testConfig(t)
	cfg2.afterRescue = func() {
		mu.Lock()
		defer mu.Unlock()
		if !began.IsZero() && time.Since(began) > cfg.Lease+cfg.Lease/2 {
			once.Do(func() { close(enough) })
		}
	}
	q2 := newQueue(t, openDB(t, ctx, databaseURL), cfg2, second)
	events := subscribe(t, q2)
	start(t, ctx, q2)
	wait(t, ctx, again, "the review did not run again")
	mu.Lock()
	began = time.Now()
	mu.Unlock()
	wait(t, ctx, enough, "no look for orphans after the old lease expired")
	close(release)
	waitEvent(t, ctx, events, river.EventKindJobCompleted, id)
	stop(t, ctx, q2)
	if lost != nil {
		t.Errorf("the run after the restart lost its job: %v", lost)
	}
	if attempts, succeeded, _, _ := second.snapshot(); len(attempts) != 1 || len(succeeded) != 1 {
		t.Errorf("after the restart: attempts %v, %d successes; want one attempt that succeeds", attemptNumbers(attempts), len(succeeded))
	}
}

// testLeaseLostStops takes a running review's lease away behind its back
// (as another process would after the lease expired): the review's context
// is cancelled at its next renewal, and the job runs again.
func testLeaseLostStops(t *testing.T, ctx context.Context, databaseURL string) {
	started := make(chan struct{})
	var cause error
	h := &fakeHandler{review: func(ctx context.Context, job Job) error {
		if job.Attempt > 1 {
			return nil
		}
		close(started)
		<-ctx.Done()
		cause = context.Cause(ctx)
		return cause
	}}
	db := openDB(t, ctx, databaseURL)
	q := newQueue(t, db, testConfig(t), h)
	events := subscribe(t, q)
	start(t, ctx, q)
	id := enqueue(t, ctx, q, args(7, "c0ffee", "1001"))
	wait(t, ctx, started, "review never started")
	res, err := db.SQL().ExecContext(ctx, `UPDATE codex_job_leases SET job_id = -1`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%d leases taken over, want the review's one", n)
	}
	waitEvent(t, ctx, events, river.EventKindJobCompleted, id)
	stop(t, ctx, q)
	if !errors.Is(cause, store.ErrLeaseLost) {
		t.Errorf("the first attempt was cancelled with %v, want a lost lease", cause)
	}
	attempts, succeeded, _, _ := h.snapshot()
	if len(attempts) != 2 || len(succeeded) != 1 || succeeded[0].Attempt != 2 {
		t.Errorf("attempts %v, %d successes; want attempt 1 stopped and attempt 2 done", attemptNumbers(attempts), len(succeeded))
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// testFailedAttemptsLogged fails a review twice before it succeeds and
// another on every attempt: each failed attempt is one warn line naming the
// job, the attempt and the cause.
func testFailedAttemptsLogged(t *testing.T, ctx context.Context, databaseURL string) {
	h := &fakeHandler{review: func(ctx context.Context, job Job) error {
		if job.Args.RequestKey == "flaky" && job.Attempt < 3 {
			return fmt.Errorf("list pull request files: GitHub answered 502 (attempt %d)", job.Attempt)
		}
		if job.Args.RequestKey == "broken" {
			return fmt.Errorf("model endpoint: 503 (attempt %d)", job.Attempt)
		}
		return nil
	}}
	var logs syncBuffer
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribe(t, q)
	if err := q.Start(zerolog.New(&logs).Level(zerolog.WarnLevel).WithContext(ctx)); err != nil {
		t.Fatal(err)
	}
	flaky := enqueue(t, ctx, q, args(7, "c0ffee", "flaky"))
	broken := enqueue(t, ctx, q, args(8, "c0ffee", "broken"))
	waitEach(t, ctx, events, map[int64]river.EventKind{flaky: river.EventKindJobCompleted, broken: river.EventKindJobCancelled})
	stop(t, ctx, q)

	type line struct {
		job     int64
		attempt int
		msg     string
	}
	var got []line
	for _, m := range logs.lines(t) {
		if m["level"] != "warn" {
			continue
		}
		l := line{job: int64(m["job"].(float64)), attempt: int(m["attempt"].(float64)), msg: m["message"].(string)}
		want := fmt.Sprintf("(attempt %d)", l.attempt)
		if errText, _ := m["error"].(string); !strings.Contains(errText, want) {
			t.Errorf("warn line %v does not carry the cause %q", m, want)
		}
		got = append(got, l)
	}
	want := map[line]bool{
		{flaky, 1, "review attempt failed; retrying"}:   true,
		{flaky, 2, "review attempt failed; retrying"}:   true,
		{broken, 1, "review attempt failed; retrying"}:  true,
		{broken, 2, "review attempt failed; retrying"}:  true,
		{broken, 3, "review attempt failed; giving up"}: true,
	}
	for _, l := range got {
		if !want[l] {
			t.Errorf("unexpected or repeated warn line %+v", l)
		}
		delete(want, l)
	}
	for l := range want {
		t.Errorf("missing warn line %+v", l)
	}
}

// testConcurrentEnqueue sends each of 20 requests twice, all at once: the
// batches insert 20 jobs, and each pair gets one job id, once new and once
// duplicate.
func testConcurrentEnqueue(t *testing.T, ctx context.Context, databaseURL string) {
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), &fakeHandler{})
	type result struct {
		id  int64
		dup bool
	}
	const n = 20
	results := make([][2]result, n)
	var wg sync.WaitGroup
	for i := range n {
		for k := range 2 {
			wg.Go(func() {
				id, dup, err := q.Enqueue(ctx, args(100+i, "c0ffee", fmt.Sprint("key-", i)))
				if err != nil {
					t.Errorf("Enqueue %d: %v", i, err)
				}
				results[i][k] = result{id, dup}
			})
		}
	}
	wg.Wait()
	ids := map[int64]bool{}
	for i, r := range results {
		if r[0].id != r[1].id || r[0].id == 0 || r[0].dup == r[1].dup {
			t.Errorf("request %d: answers %+v, want one id, once new and once duplicate", i, r)
		}
		ids[r[0].id] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct jobs, want %d", len(ids), n)
	}
	depth, err := q.Depth(ctx)
	if err != nil || depth != n {
		t.Errorf("queue depth %d (%v), want %d", depth, err, n)
	}
}
