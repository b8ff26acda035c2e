package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review/finding"
)

// testTimeout bounds each behaviour. Nothing here waits on a clock: it is
// only there so that a broken queue fails instead of hanging. River's
// scheduler and leader election work on second-scale intervals, so a rescue
// can legitimately take several seconds.
const testTimeout = 2 * time.Minute

// fakeHandler records what the queue asks of it; review decides each
// attempt's outcome.
type fakeHandler struct {
	review func(ctx context.Context, job Job) error

	mu         sync.Mutex
	attempts   []Job
	succeeded  []Job
	failures   []failure
	superseded []Job
	cancelled  []Job
}

type failure struct {
	job Job
	err error
	// ctxErr must be nil: Failed needs a live context to post its comment.
	ctxErr error
}

func (h *fakeHandler) Review(ctx context.Context, job Job) error {
	h.mu.Lock()
	h.attempts = append(h.attempts, job)
	h.mu.Unlock()
	var err error
	if h.review != nil {
		err = h.review(ctx, job)
	}
	if err == nil {
		h.mu.Lock()
		h.succeeded = append(h.succeeded, job)
		h.mu.Unlock()
	}
	return err
}

func (h *fakeHandler) Failed(ctx context.Context, job Job, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures = append(h.failures, failure{job: job, err: err, ctxErr: ctx.Err()})
}

func (h *fakeHandler) Superseded(_ context.Context, job Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.superseded = append(h.superseded, job)
}

func (h *fakeHandler) Cancelled(ctx context.Context, job Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ctx.Err() == nil {
		h.cancelled = append(h.cancelled, job)
	}
}

// snapshot returns copies of what was recorded.
func (h *fakeHandler) snapshot() (attempts, succeeded []Job, failures []failure, superseded []Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.attempts), slices.Clone(h.succeeded), slices.Clone(h.failures), slices.Clone(h.superseded)
}

// testConfig makes retries immediate and polling quick.
func testConfig(t *testing.T) Config {
	return Config{
		Workers:      2,
		MaxAttempts:  3,
		Backoff:      func(int) time.Duration { return time.Millisecond },
		PollInterval: 20 * time.Millisecond,
		// Short enough that a rescue comes quickly, long enough that a
		// renewal on a busy machine (and under -race) is in time.
		Lease:    4 * time.Second,
		BusyWait: 50 * time.Millisecond,
		Logger:   slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		testOnly: true,
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func openDB(t *testing.T, ctx context.Context, databaseURL string) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, databaseURL)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newQueue builds a queue whose Stop runs at cleanup (before the database
// closes, cleanups being last in, first out).
func newQueue(t *testing.T, db *store.DB, cfg Config, h Handler) *Queue {
	t.Helper()
	q, err := New(db, cfg, h)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return q
}

func start(t *testing.T, ctx context.Context, q *Queue) {
	t.Helper()
	ctx = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel).WithContext(ctx)
	if err := q.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// stop drains q, so that every handler call has returned before the test
// looks at what was recorded.
func stop(t *testing.T, ctx context.Context, q *Queue) {
	t.Helper()
	if err := q.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func subscribe(t *testing.T, q *Queue) <-chan *river.Event {
	t.Helper()
	events, cancel := q.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled,
		river.EventKindJobFailed, river.EventKindJobInterrupted)
	t.Cleanup(cancel)
	return events
}

// waitEvent waits until each job in ids has had an event of kind. Events of
// other jobs are skipped.
func waitEvent(t *testing.T, ctx context.Context, events <-chan *river.Event, kind river.EventKind, ids ...int64) {
	t.Helper()
	pending := map[int64]bool{}
	for _, id := range ids {
		pending[id] = true
	}
	for len(pending) > 0 {
		select {
		case ev := <-events:
			if ev.Job == nil || !pending[ev.Job.ID] {
				continue
			}
			if ev.Kind == kind {
				delete(pending, ev.Job.ID)
				continue
			}
			t.Logf("job %d: %s (waiting for %s)", ev.Job.ID, ev.Kind, kind)
		case <-ctx.Done():
			t.Fatalf("jobs %v: no %s event: %v", slices.Collect(maps.Keys(pending)), kind, ctx.Err())
		}
	}
}

func enqueue(t *testing.T, ctx context.Context, q *Queue, args job.Job) int64 {
	t.Helper()
	id, dup, err := q.Enqueue(ctx, args)
	if err != nil {
		t.Fatalf("Enqueue(%+v): %v", args, err)
	}
	if dup {
		t.Fatalf("Enqueue(%+v) was a duplicate", args)
	}
	return id
}

func jobState(t *testing.T, ctx context.Context, q *Queue, id int64) rivertype.JobState {
	t.Helper()
	res, err := q.client.JobList(ctx, river.NewJobListParams().IDs(id))
	if err != nil || len(res.Jobs) != 1 {
		t.Fatalf("list job %d: %v (%d rows)", id, err, len(res.Jobs))
	}
	return res.Jobs[0].State
}

func args(pr int, head, key string) job.Job {
	return job.Job{Repo: "octo/widgets", Installation: 42, PR: pr, HeadSHA: head, RequestKey: key, Source: job.Comment, Action: job.Review, Post: true}
}

func TestQueue(t *testing.T) {
	behaviours := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, databaseURL string)
	}{
		{"enqueued job runs once with its args", testRunsOnce},
		{"job queued by the previous version runs with its identity", testLegacyArgs},
		{"duplicate enqueue does not run twice", testDuplicate},
		{"newer head cancels queued older heads", testSupersedeQueued},
		{"newer head leaves a running older head alone", testSupersedeRunning},
		{"transient failure is retried", testRetry},
		{"final failure is reported once", testFinalFailure},
		{"permanent error is not retried", testPermanent},
		{"cancel a queued job", testCancel},
		{"cancel a running job", testCancelRunning},
		{"a cancelled job slow to return keeps its lease and is told", testCancelledSlowHandler},
		{"a cancelled job that never returns lets its pull request go", testCancelledHungHandler},
		{"cancel a job waiting for its retry", testCancelRetryable},
		{"concurrent cancels tell the handler once", testCancelConcurrent},
		{"a cancel whose telling cannot be recorded still tells", testCancelClaimFails},
		{"stop cancels a running job and a restart runs it again", testStopRequeues},
		{"job of a crashed process is rescued and completes once", testRescue},
		{"crash during the last attempt is reported once", testRescueLastAttempt},
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

func testRunsOnce(t *testing.T, ctx context.Context, databaseURL string) {
	h := &fakeHandler{}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribe(t, q)
	start(t, ctx, q)

	want := job.Job{
		Repo: "octo/widgets", Installation: 42, PR: 7, HeadSHA: "c0ffee", BaseSHA: "beef",
		RequestKey: "1001", Source: job.Comment, Action: job.Review, Areas: []finding.Area{finding.Security, finding.Bugs}, Post: true,
		Instructions: "look at the SQL", ReviewID: "rev_x", CommentID: 1001, Requester: "octocat",
	}
	id := enqueue(t, ctx, q, want)
	waitEvent(t, ctx, events, river.EventKindJobCompleted, id)
	stop(t, ctx, q)

	attempts, succeeded, failures, _ := h.snapshot()
	if len(attempts) != 1 || len(succeeded) != 1 || len(failures) != 0 {
		t.Fatalf("attempts %d, successes %d, failures %d; want 1, 1, 0", len(attempts), len(succeeded), len(failures))
	}
	got := attempts[0]
	if got.ID != id || got.Attempt != 1 || got.MaxAttempts != 3 || got.InsertedAt.IsZero() {
		t.Errorf("job = %+v, want id %d, attempt 1 of 3", got, id)
	}
	if !reflect.DeepEqual(got.Args, want) {
		t.Errorf("args = %+v, want %+v", got.Args, want)
	}
}

// legacyArgs are a job's arguments as the previous version stored them
// (queue.ReviewArgs, a copy of webhook.Request), to check that jobs queued
// before an upgrade still run, as what they were, and keep their identity.
type legacyArgs struct {
	Repo              string   `json:"repo" river:"unique"`
	Installation      int64    `json:"installation"`
	PR                int      `json:"pr" river:"unique"`
	HeadSHA           string   `json:"head_sha" river:"unique"`
	BaseSHA           string   `json:"base_sha"`
	RequestKey        string   `json:"request_key" river:"unique"`
	Trigger           string   `json:"trigger"`
	Areas             []string `json:"areas,omitempty"`
	Instructions      string   `json:"instructions,omitempty"`
	ReviewID          string   `json:"review_id,omitempty"`
	CommentID         int64    `json:"comment_id,omitempty"`
	Requester         string   `json:"requester,omitempty"`
	BeforeSHA         string   `json:"before_sha,omitempty"`
	AuthorAssociation string   `json:"author_association,omitempty"`
	Reply             string   `json:"reply,omitempty"`
	Delivery          string   `json:"delivery,omitempty"`
}

func (legacyArgs) Kind() string { return job.Kind }

func testLegacyArgs(t *testing.T, ctx context.Context, databaseURL string) {
	h := &fakeHandler{}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribe(t, q)

	// A comment's review, queued the way the previous version did it (its
	// InsertOpts: tagged, unique by args in the same states).
	old := legacyArgs{Repo: "octo/widgets", Installation: 42, PR: 7, RequestKey: "comment:1001", Trigger: "comment",
		Areas: []string{"security", "style"}, Instructions: "the SQL", CommentID: 1001, Requester: "octocat", AuthorAssociation: "OWNER"}
	res, err := q.client.Insert(ctx, old, &river.InsertOpts{
		Tags:       []string{pullTag(old.Repo, old.PR)},
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A redelivery of the same webhook, enqueued by this version, is the
	// same job: the identity did not change with the format.
	again := job.Job{Repo: old.Repo, Installation: 42, PR: 7, RequestKey: old.RequestKey, Source: job.Comment, Action: job.Review,
		Post: true, CommentID: 1001, Requester: "octocat", AuthorAssociation: "OWNER"}
	id, dup, err := q.Enqueue(ctx, again)
	if err != nil || !dup || id != res.Job.ID {
		t.Fatalf("Enqueue of the same request = %d, %v, %v; want %d, duplicate", id, dup, err, res.Job.ID)
	}

	start(t, ctx, q)
	waitEvent(t, ctx, events, river.EventKindJobCompleted, res.Job.ID)
	stop(t, ctx, q)
	attempts, _, _, _ := h.snapshot()
	if len(attempts) != 1 {
		t.Fatalf("%d attempts, want 1", len(attempts))
	}
	want := again
	want.Areas, want.Instructions = []finding.Area{finding.Security}, "the SQL"
	if got := attempts[0].Args; !reflect.DeepEqual(got, want) {
		t.Errorf("legacy args read as %+v, want %+v", got, want)
	}
}

func testDuplicate(t *testing.T, ctx context.Context, databaseURL string) {
	h := &fakeHandler{}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribe(t, q)

	a := args(7, "c0ffee", "1001")
	first := enqueue(t, ctx, q, a)
	// A redelivery carries the same identity but may differ elsewhere.
	redelivered := a
	redelivered.Requester = "someone-else"
	id, dup, err := q.Enqueue(ctx, redelivered)
	if err != nil || !dup || id != first {
		t.Fatalf("second Enqueue = %d, %v, %v; want %d, duplicate", id, dup, err, first)
	}

	// Concurrent deliveries of another request: exactly one is new.
	b := args(7, "c0ffee", "1002")
	const n = 8
	type result struct {
		id  int64
		dup bool
		err error
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			id, dup, err := q.Enqueue(ctx, b)
			results <- result{id, dup, err}
		})
	}
	wg.Wait()
	close(results)
	var second int64
	fresh := 0
	ids := map[int64]bool{}
	for r := range results {
		if r.err != nil {
			t.Fatalf("concurrent Enqueue: %v", r.err)
		}
		ids[r.id] = true
		if !r.dup {
			fresh++
			second = r.id
		}
	}
	if fresh != 1 || len(ids) != 1 {
		t.Fatalf("%d concurrent enqueues: %d new jobs, %d distinct ids; want 1 and 1", n, fresh, len(ids))
	}

	start(t, ctx, q)
	waitEvent(t, ctx, events, river.EventKindJobCompleted, first, second)

	// Redelivered after the review ran: still a duplicate.
	if id, dup, err := q.Enqueue(ctx, a); err != nil || !dup || id != first {
		t.Fatalf("Enqueue after completion = %d, %v, %v; want %d, duplicate", id, dup, err, first)
	}
	stop(t, ctx, q)

	attempts, _, _, _ := h.snapshot()
	if len(attempts) != 2 {
		t.Fatalf("handler ran %d times, want 2 (one per distinct request)", len(attempts))
	}
}

func testSupersedeQueued(t *testing.T, ctx context.Context, databaseURL string) {
	h := &fakeHandler{}
	// Never started: every job stays queued.
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)

	oldComment := enqueue(t, ctx, q, args(7, "old", "1001"))
	oldAuto := enqueue(t, ctx, q, args(7, "old", "auto:opened"))
	otherPR := enqueue(t, ctx, q, args(8, "old", "1001"))
	otherRepoArgs := args(7, "old", "1001")
	otherRepoArgs.Repo = "octo/gadgets"
	otherRepo := enqueue(t, ctx, q, otherRepoArgs)
	// An "@codex review" comment names no head: a push never drops it.
	headlessArgs := args(7, "", "comment:55")
	headlessArgs.CommentID = 55
	headless := enqueue(t, ctx, q, headlessArgs)

	newer := enqueue(t, ctx, q, args(7, "new", "auto:synchronize"))
	// Another request on the same (newest) head cancels nothing.
	sameHead := enqueue(t, ctx, q, args(7, "new", "1002"))

	wantStates := map[int64]rivertype.JobState{
		oldComment: rivertype.JobStateCancelled,
		oldAuto:    rivertype.JobStateCancelled,
		otherPR:    rivertype.JobStateAvailable,
		otherRepo:  rivertype.JobStateAvailable,
		headless:   rivertype.JobStateAvailable,
		newer:      rivertype.JobStateAvailable,
		sameHead:   rivertype.JobStateAvailable,
	}
	for id, want := range wantStates {
		if got := jobState(t, ctx, q, id); got != want {
			t.Errorf("job %d is %s, want %s", id, got, want)
		}
	}
	_, _, _, superseded := h.snapshot()
	var got []int64
	for _, j := range superseded {
		got = append(got, j.ID)
	}
	slices.Sort(got)
	if want := []int64{oldComment, oldAuto}; !slices.Equal(got, want) {
		t.Errorf("Superseded called for %v, want %v", got, want)
	}
	depth, err := q.Depth(ctx)
	if err != nil {
		t.Fatalf("Depth: %v", err)
	}
	if depth != 5 {
		t.Errorf("Depth = %d, want 5", depth)
	}
	// The superseded request may be made again.
	if _, dup, err := q.Enqueue(ctx, args(7, "old", "1001")); err != nil || dup {
		t.Errorf("re-enqueue of a superseded request: duplicate %v, error %v; want a new job", dup, err)
	}
}

func testSupersedeRunning(t *testing.T, ctx context.Context, databaseURL string) {
	started := make(chan struct{})
	release := make(chan struct{})
	var oldCtxErr error
	h := &fakeHandler{review: func(ctx context.Context, job Job) error {
		if job.Args.HeadSHA != "old" {
			return nil
		}
		close(started)
		<-release
		oldCtxErr = ctx.Err()
		return nil
	}}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribe(t, q)
	start(t, ctx, q)

	old := enqueue(t, ctx, q, args(7, "old", "1001"))
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("the old head's review never started")
	}
	newer := enqueue(t, ctx, q, args(7, "new", "auto:synchronize"))
	if got := jobState(t, ctx, q, old); got != rivertype.JobStateRunning {
		t.Errorf("running job is %s after a newer head arrived, want running", got)
	}
	close(release)
	waitEvent(t, ctx, events, river.EventKindJobCompleted, old, newer)
	stop(t, ctx, q)

	if oldCtxErr != nil {
		t.Errorf("the running review's context was cancelled: %v", oldCtxErr)
	}
	_, succeeded, _, superseded := h.snapshot()
	if len(succeeded) != 2 || len(superseded) != 0 {
		t.Errorf("successes %d, superseded %d; want 2, 0", len(succeeded), len(superseded))
	}
}

func testRetry(t *testing.T, ctx context.Context, databaseURL string) {
	h := &fakeHandler{review: func(_ context.Context, job Job) error {
		if job.Attempt == 1 {
			return errors.New("github: 502 bad gateway")
		}
		return nil
	}}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribe(t, q)
	start(t, ctx, q)

	id := enqueue(t, ctx, q, args(7, "c0ffee", "1001"))
	waitEvent(t, ctx, events, river.EventKindJobCompleted, id)
	stop(t, ctx, q)

	attempts, succeeded, failures, _ := h.snapshot()
	if got := attemptNumbers(attempts); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("attempts %v, want [1 2]", got)
	}
	if len(succeeded) != 1 || len(failures) != 0 {
		t.Errorf("successes %d, failures %d; want 1, 0", len(succeeded), len(failures))
	}
}

func testFinalFailure(t *testing.T, ctx context.Context, databaseURL string) {
	errDown := errors.New("model endpoint: 503")
	h := &fakeHandler{review: func(_ context.Context, job Job) error {
		return fmt.Errorf("attempt %d: %w", job.Attempt, errDown)
	}}
	cfg := testConfig(t)
	cfg.MaxAttempts = 2
	q := newQueue(t, openDB(t, ctx, databaseURL), cfg, h)
	events := subscribe(t, q)
	start(t, ctx, q)

	id := enqueue(t, ctx, q, args(7, "c0ffee", "1001"))
	waitEvent(t, ctx, events, river.EventKindJobCancelled, id)
	stop(t, ctx, q)

	attempts, _, failures, _ := h.snapshot()
	if got := attemptNumbers(attempts); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("attempts %v, want [1 2]", got)
	}
	if len(failures) != 1 {
		t.Fatalf("Failed called %d times, want 1", len(failures))
	}
	f := failures[0]
	if f.job.ID != id || f.job.Attempt != 2 || !errors.Is(f.err, errDown) || IsPermanent(f.err) || f.ctxErr != nil {
		t.Errorf("Failed(job %d attempt %d, %v); want job %d attempt 2 with the last error", f.job.ID, f.job.Attempt, f.err, id)
	}
}

func testPermanent(t *testing.T, ctx context.Context, databaseURL string) {
	errConfig := errors.New(".codex.yml:3:5: unknown key")
	h := &fakeHandler{review: func(context.Context, Job) error { return Permanent(errConfig) }}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribe(t, q)
	start(t, ctx, q)

	id := enqueue(t, ctx, q, args(7, "c0ffee", "1001"))
	waitEvent(t, ctx, events, river.EventKindJobCancelled, id)
	stop(t, ctx, q)

	attempts, _, failures, _ := h.snapshot()
	if len(attempts) != 1 {
		t.Errorf("handler ran %d times, want 1", len(attempts))
	}
	if len(failures) != 1 || !errors.Is(failures[0].err, errConfig) || !IsPermanent(failures[0].err) || failures[0].ctxErr != nil {
		t.Fatalf("failures %v, want one with the permanent config error", failures)
	}
}

func testCancel(t *testing.T, ctx context.Context, databaseURL string) {
	h := &fakeHandler{}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	id := enqueue(t, ctx, q, args(7, "c0ffee", "rev_abc"))
	if err := q.Cancel(ctx, id); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if got := jobState(t, ctx, q, id); got != rivertype.JobStateCancelled {
		t.Errorf("job is %s, want cancelled", got)
	}
	if err := q.Cancel(ctx, id+1000); !errors.Is(err, river.ErrNotFound) {
		t.Errorf("Cancel of an unknown job: %v, want ErrNotFound", err)
	}
	if depth, err := q.Depth(ctx); err != nil || depth != 0 {
		t.Errorf("Depth = %d, %v; want 0", depth, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.cancelled) != 0 {
		t.Errorf("the handler was told of a job that never ran: %+v", h.cancelled)
	}
}

// testCancelRetryable cancels a job between a failed attempt and its retry:
// River cancels it at once, no worker runs it again, and the handler hears
// of it from Cancel, once, with a live context — the failed attempt may
// have left a check run in progress.
func testCancelRetryable(t *testing.T, ctx context.Context, databaseURL string) {
	h := &fakeHandler{review: func(context.Context, Job) error { return errors.New("model overloaded") }}
	cfg := testConfig(t)
	cfg.Backoff = func(int) time.Duration { return time.Hour }
	q := newQueue(t, openDB(t, ctx, databaseURL), cfg, h)
	events := subscribe(t, q)
	start(t, ctx, q)
	id := enqueue(t, ctx, q, args(7, "c0ffee", "rev_abc"))
	waitEvent(t, ctx, events, river.EventKindJobFailed, id)
	if got := jobState(t, ctx, q, id); got != rivertype.JobStateRetryable {
		t.Fatalf("job is %s after a failed attempt, want retryable", got)
	}
	for range 2 {
		if err := q.Cancel(ctx, id); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
	}
	if got := jobState(t, ctx, q, id); got != rivertype.JobStateCancelled {
		t.Errorf("job is %s, want cancelled", got)
	}
	stop(t, ctx, q)
	h.mu.Lock()
	cancelled := slices.Clone(h.cancelled)
	h.mu.Unlock()
	attempts, _, failures, _ := h.snapshot()
	if len(cancelled) != 1 || cancelled[0].ID != id || cancelled[0].Args.RequestKey != "rev_abc" {
		t.Errorf("cancelled %+v, want the job once", cancelled)
	}
	if len(attempts) != 1 || len(failures) != 0 {
		t.Errorf("%d attempts, failures %+v; want the one attempt, no failure", len(attempts), failures)
	}
}

// gatedClient holds every JobGet until all the callers it waits for have
// read the job, then lets their JobCancels run one after the other: each
// Cancel reads the job before any cancels it, and each cancel sees what
// the one before it did. (Cancels that overlap on Postgres may hide each
// other's change from what they return, and so hide the race.)
type gatedClient struct {
	riverClient
	arrived  sync.WaitGroup
	cancelMu sync.Mutex
}

func (c *gatedClient) JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	row, err := c.riverClient.JobGet(ctx, id)
	c.arrived.Done()
	c.arrived.Wait()
	return row, err
}

func (c *gatedClient) JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	c.cancelMu.Lock()
	defer c.cancelMu.Unlock()
	return c.riverClient.JobCancel(ctx, id)
}

// failedOnce runs a job whose one attempt fails and whose retry is an
// hour away, then stops the queue: the job is retryable, and a worker took
// it before.
func failedOnce(t *testing.T, ctx context.Context, databaseURL string) (*Queue, *fakeHandler, *store.DB, int64) {
	t.Helper()
	h := &fakeHandler{review: func(context.Context, Job) error { return errors.New("model overloaded") }}
	cfg := testConfig(t)
	cfg.Backoff = func(int) time.Duration { return time.Hour }
	db := openDB(t, ctx, databaseURL)
	q := newQueue(t, db, cfg, h)
	events := subscribe(t, q)
	start(t, ctx, q)
	id := enqueue(t, ctx, q, args(7, "c0ffee", "rev_abc"))
	waitEvent(t, ctx, events, river.EventKindJobFailed, id)
	stop(t, ctx, q)
	return q, h, db, id
}

// cancelledOnce fails the test unless job id is cancelled and h was told
// of it once.
func cancelledOnce(t *testing.T, ctx context.Context, q *Queue, h *fakeHandler, id int64) {
	t.Helper()
	if got := jobState(t, ctx, q, id); got != rivertype.JobStateCancelled {
		t.Errorf("job is %s, want cancelled", got)
	}
	h.mu.Lock()
	cancelled := slices.Clone(h.cancelled)
	h.mu.Unlock()
	if len(cancelled) != 1 || cancelled[0].ID != id {
		t.Errorf("the handler was told %d times (%+v), want once", len(cancelled), cancelled)
	}
}

// testCancelConcurrent cancels a job waiting for its retry from two callers
// at once (the API of two replicas, a double click): both see a job that a
// worker took before and that they are about to cancel, and the handler is
// still told once.
func testCancelConcurrent(t *testing.T, ctx context.Context, databaseURL string) {
	q, h, _, id := failedOnce(t, ctx, databaseURL)

	const callers = 2
	gated := &gatedClient{riverClient: q.client}
	gated.arrived.Add(callers)
	q.client = gated
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if err := q.Cancel(ctx, id); err != nil {
				t.Errorf("Cancel: %v", err)
			}
		})
	}
	wg.Wait()
	cancelledOnce(t, ctx, q, h, id)
}

// closingClient closes the app's database handle once a job is cancelled,
// so that what Cancel writes after the cancellation fails.
type closingClient struct {
	riverClient
	db *store.DB
}

func (c *closingClient) JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	row, err := c.riverClient.JobCancel(ctx, id)
	c.db.SQL().Close()
	return row, err
}

// testCancelClaimFails cancels a job waiting for its retry when the record
// that its handler is being told cannot be written: the job is cancelled
// all the same, so the handler is told and Cancel does not fail (a Cancel
// asked again would find the job finished and tell nobody).
func testCancelClaimFails(t *testing.T, ctx context.Context, databaseURL string) {
	if !strings.HasPrefix(databaseURL, "postgres") {
		t.Skip("River has a handle of its own on Postgres only")
	}
	q, h, db, id := failedOnce(t, ctx, databaseURL)

	q.client = &closingClient{riverClient: q.client, db: db}
	if err := q.Cancel(ctx, id); err != nil {
		t.Errorf("Cancel: %v", err)
	}
	cancelledOnce(t, ctx, q, h, id)
}

// testCancelRunning cancels a job while it runs: its context ends, and the
// handler hears of it once, with a live context, and not as a failure.
func testCancelRunning(t *testing.T, ctx context.Context, databaseURL string) {
	if !strings.HasPrefix(databaseURL, "postgres") {
		// River learns of a running job's cancellation through Postgres
		// notifications; its SQLite driver has none and notices it only
		// much later, so the app re-checks the API's record before
		// posting instead (app/server's TestCheckRunsEndToEnd).
		t.Skip("running jobs are cancelled promptly on Postgres only")
	}
	started := make(chan struct{})
	h := &fakeHandler{review: func(ctx context.Context, job Job) error {
		close(started)
		<-ctx.Done()
		return fmt.Errorf("call model: %w", ctx.Err())
	}}
	q := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), h)
	events := subscribe(t, q)
	start(t, ctx, q)
	id := enqueue(t, ctx, q, args(7, "c0ffee", "rev_abc"))
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("the job did not start")
	}
	if err := q.Cancel(ctx, id); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	waitEvent(t, ctx, events, river.EventKindJobCancelled, id)
	stop(t, ctx, q)
	h.mu.Lock()
	cancelled := slices.Clone(h.cancelled)
	h.mu.Unlock()
	_, _, failures, _ := h.snapshot()
	if len(cancelled) != 1 || cancelled[0].ID != id || len(failures) != 0 {
		t.Errorf("cancelled %+v, failures %+v; want the job once, no failure", cancelled, failures)
	}
}

// testCancelledSlowHandler: a handler that takes leases to return after
// its job was cancelled (it completes its check run on a context of its
// own) keeps its lease meanwhile, and is told of the cancellation once,
// not taken for a job that lost its lease.
func testCancelledSlowHandler(t *testing.T, ctx context.Context, databaseURL string) {
	if !strings.HasPrefix(databaseURL, "postgres") {
		t.Skip("running jobs are cancelled promptly on Postgres only")
	}
	cfg := testConfig(t)
	cfg.Lease = 1200 * time.Millisecond
	started := make(chan struct{})
	h := &fakeHandler{review: func(ctx context.Context, job Job) error {
		close(started)
		<-ctx.Done()
		// Three leases: the fence would have fired twice over.
		time.Sleep(3 * cfg.Lease)
		return fmt.Errorf("call model: %w", ctx.Err())
	}}
	q := newQueue(t, openDB(t, ctx, databaseURL), cfg, h)
	events := subscribe(t, q)
	start(t, ctx, q)
	id := enqueue(t, ctx, q, args(7, "c0ffee", "rev_slow"))
	wait(t, ctx, started, "the job did not start")
	if err := q.Cancel(ctx, id); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	waitEvent(t, ctx, events, river.EventKindJobCancelled, id)
	stop(t, ctx, q)
	h.mu.Lock()
	cancelled := slices.Clone(h.cancelled)
	h.mu.Unlock()
	attempts, _, failures, _ := h.snapshot()
	if len(cancelled) != 1 || cancelled[0].ID != id || len(failures) != 0 || len(attempts) != 1 {
		t.Errorf("cancelled %+v, failures %+v, %d attempts; want the job told once, no failure, one attempt", cancelled, failures, len(attempts))
	}
}

// testCancelledHungHandler: a handler that does not return after its job
// was cancelled holds its pull request's lease only for cancelledLeases
// leases; then the next review of that pull request runs, and the
// cancelled job does not run again.
func testCancelledHungHandler(t *testing.T, ctx context.Context, databaseURL string) {
	if !strings.HasPrefix(databaseURL, "postgres") {
		t.Skip("running jobs are cancelled promptly on Postgres only")
	}
	cfg := testConfig(t)
	cfg.Lease = 600 * time.Millisecond
	started, next, hang := make(chan struct{}), make(chan struct{}), make(chan struct{})
	h := &fakeHandler{review: func(ctx context.Context, job Job) error {
		if job.Args.RequestKey == "rev_next" {
			close(next)
			return nil
		}
		close(started)
		<-ctx.Done()
		<-hang
		return ctx.Err()
	}}
	q := newQueue(t, openDB(t, ctx, databaseURL), cfg, h)
	start(t, ctx, q)
	id := enqueue(t, ctx, q, args(7, "c0ffee", "rev_hung"))
	wait(t, ctx, started, "the job did not start")
	if err := q.Cancel(ctx, id); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	began := time.Now()
	enqueue(t, ctx, q, args(7, "beef", "rev_next"))
	wait(t, ctx, next, "the next review of the pull request never ran")
	if held := time.Since(began); held < (cancelledLeases-1)*cfg.Lease {
		t.Errorf("the next review ran %s after the cancel, before the cancelled job's grace of %s", held, cancelledLeases*cfg.Lease)
	}
	close(hang)
	stop(t, ctx, q)
	for _, a := range func() []Job { h.mu.Lock(); defer h.mu.Unlock(); return slices.Clone(h.attempts) }() {
		if a.Args.RequestKey == "rev_hung" && a.Attempt > 1 {
			t.Errorf("the cancelled job ran again: %+v", a)
		}
	}
}

// testStopRequeues stops a queue whose review outlives the stop deadline:
// the review is cancelled, goes back to the queue without using an attempt,
// and runs after a restart.
func testStopRequeues(t *testing.T, ctx context.Context, databaseURL string) {
	started := make(chan struct{})
	first := &fakeHandler{review: func(ctx context.Context, job Job) error {
		close(started)
		<-ctx.Done()
		return fmt.Errorf("call model: %w", ctx.Err())
	}}
	q1 := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), first)
	start(t, ctx, q1)
	id := enqueue(t, ctx, q1, args(7, "c0ffee", "1001"))
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("review never started")
	}
	expired, cancel := context.WithCancel(ctx)
	cancel()
	stop(t, expired, q1)
	if got := jobState(t, ctx, q1, id); got != rivertype.JobStateAvailable {
		t.Fatalf("after Stop the job is %s, want available", got)
	}

	second := &fakeHandler{}
	q2 := newQueue(t, openDB(t, ctx, databaseURL), testConfig(t), second)
	events := subscribe(t, q2)
	start(t, ctx, q2)
	waitEvent(t, ctx, events, river.EventKindJobCompleted, id)
	stop(t, ctx, q2)

	_, _, failures, _ := first.snapshot()
	attempts, succeeded, failures2, _ := second.snapshot()
	if len(failures)+len(failures2) != 0 {
		t.Errorf("Failed was called for an interrupted job")
	}
	if len(succeeded) != 1 || attempts[0].Attempt != 1 {
		t.Errorf("after restart: %d successes, attempts %v; want 1 success at attempt 1 (the interrupted one is not counted)",
			len(succeeded), attemptNumbers(attempts))
	}
}

// crashAndRescue simulates a crash: the first process's review never
// returns and its client is stopped hard, leaving the job "running" in the
// database. A second process with a short rescue interval takes it over; it
// is waited for until the job ends in state end, and its handler returned.
func crashAndRescue(t *testing.T, ctx context.Context, databaseURL string, maxAttempts int, end river.EventKind) (id int64, survivor *fakeHandler) {
	started := make(chan struct{})
	release := make(chan struct{})
	returned := make(chan struct{})
	crashed := &fakeHandler{review: func(context.Context, Job) error {
		close(started)
		<-release // ignores cancellation, like a process that is gone
		close(returned)
		return errors.New("the process was gone")
	}}
	cfg := testConfig(t)
	cfg.MaxAttempts = maxAttempts
	q1, err := New(openDB(t, ctx, databaseURL), cfg, crashed)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	start(t, ctx, q1)
	id = enqueue(t, ctx, q1, args(7, "c0ffee", "1001"))
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("review never started")
	}
	// Hard stop without waiting: River gives up leadership and stops
	// fetching, but the stuck review keeps the job running.
	expired, cancel := context.WithCancel(ctx)
	cancel()
	if err := q1.client.StopAndCancel(expired); !errors.Is(err, context.Canceled) {
		t.Fatalf("StopAndCancel = %v, want it to give up at once", err)
	}
	// Its look for orphans dies with it.
	q1.stopRescue()
	t.Cleanup(func() {
		close(release)
		<-returned
		<-q1.client.Stopped()
		if _, done, _, _ := crashed.snapshot(); len(done) != 0 {
			t.Errorf("the crashed process completed the review")
		}
	})

	survivor = &fakeHandler{}
	q2 := newQueue(t, openDB(t, ctx, databaseURL), cfg, survivor)
	events := subscribe(t, q2)
	start(t, ctx, q2)
	waitEvent(t, ctx, events, end, id)
	stop(t, ctx, q2)
	return id, survivor
}

func testRescue(t *testing.T, ctx context.Context, databaseURL string) {
	_, survivor := crashAndRescue(t, ctx, databaseURL, 3, river.EventKindJobCompleted)
	attempts, succeeded, failures, _ := survivor.snapshot()
	if len(succeeded) != 1 || len(failures) != 0 {
		t.Fatalf("after the rescue: %d successes, %d failures; want 1, 0", len(succeeded), len(failures))
	}
	if attempts[0].Attempt != 2 {
		t.Errorf("rescued job ran as attempt %d, want 2", attempts[0].Attempt)
	}
}

// testRescueLastAttempt crashes during the only attempt: the job must not
// vanish silently, Failed reports the interruption once.
func testRescueLastAttempt(t *testing.T, ctx context.Context, databaseURL string) {
	id, survivor := crashAndRescue(t, ctx, databaseURL, 1, river.EventKindJobCancelled)
	attempts, _, failures, _ := survivor.snapshot()
	if len(attempts) != 0 {
		t.Errorf("the review ran again after its last attempt: attempts %v", attemptNumbers(attempts))
	}
	if len(failures) != 1 || failures[0].job.ID != id || !errors.Is(failures[0].err, ErrInterrupted) {
		t.Fatalf("failures %+v, want one ErrInterrupted for job %d", failures, id)
	}
}

func attemptNumbers(jobs []Job) []int {
	out := make([]int, len(jobs))
	for i, j := range jobs {
		out[i] = j.Attempt
	}
	return out
}

func TestPermanent(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"marked", Permanent(base), true},
		{"wrapped after marking", fmt.Errorf("load config: %w", Permanent(base)), true},
		{"context", context.Canceled, false},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.want {
			t.Errorf("%s: IsPermanent = %v, want %v", tt.name, got, tt.want)
		}
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
	if !errors.Is(Permanent(base), base) || Permanent(base).Error() != "boom" {
		t.Error("Permanent hides the error it marks")
	}
}

func TestDefaultBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, 30 * time.Second},
		{1, 30 * time.Second},
		{2, 2 * time.Minute},
		{3, 8 * time.Minute},
		{4, 30 * time.Minute},
		{40, 30 * time.Minute},
	}
	for _, tt := range tests {
		if got := DefaultBackoff(tt.attempt); got != tt.want {
			t.Errorf("DefaultBackoff(%d) = %s, want %s", tt.attempt, got, tt.want)
		}
	}
}

func TestEnqueueRejectsInvalidArgs(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	q := newQueue(t, openDB(t, ctx, storetest.SQLiteURL(t)), testConfig(t), &fakeHandler{})
	tests := []struct {
		name   string
		mutate func(*job.Job)
	}{
		{"no owner", func(a *job.Job) { a.Repo = "widgets" }},
		{"too many slashes", func(a *job.Job) { a.Repo = "a/b/c" }},
		{"zero PR", func(a *job.Job) { a.PR = 0 }},
		{"no head", func(a *job.Job) { a.HeadSHA = "" }},
		{"no request key", func(a *job.Job) { a.RequestKey = "" }},
	}
	for _, tt := range tests {
		a := args(7, "c0ffee", "1001")
		tt.mutate(&a)
		if _, _, err := q.Enqueue(ctx, a); err == nil {
			t.Errorf("%s: Enqueue accepted %+v", tt.name, a)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	db := openDB(t, ctx, storetest.SQLiteURL(t))
	tests := []struct {
		name string
		cfg  Config
	}{
		{"negative workers", Config{Workers: -1}},
		{"negative attempts", Config{MaxAttempts: -2}},
		{"lease too short to renew", Config{Lease: time.Millisecond}},
		{"negative busy wait", Config{BusyWait: -time.Second}},
		{"poll too fast", Config{PollInterval: time.Microsecond}},
	}
	for _, tt := range tests {
		if _, err := New(db, tt.cfg, &fakeHandler{}); err == nil {
			t.Errorf("%s: New accepted %+v", tt.name, tt.cfg)
		}
	}
	if _, err := New(db, Config{}, nil); err == nil {
		t.Error("New accepted a nil handler")
	}
}
