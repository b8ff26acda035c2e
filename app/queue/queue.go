// Package queue is the durable job queue of the GitHub App: a webhook is
// answered as soon as its review is recorded here, and workers run the
// review later, surviving restarts (design §5 "Durable jobs").
//
// It is built on River and runs unchanged on the embedded SQLite database
// and on Postgres (see app/store). Jobs are unique per repository, pull
// request, head SHA and request, so a redelivered webhook reviews once; a
// newer head supersedes queued reviews of older heads; transient failures
// retry with backoff; a job that finally fails is reported once through
// Handler.Failed so the app can say why on the pull request.
package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
)

// uniqueStates are the job states in which a job blocks a duplicate. They
// include completed, so a webhook redelivered after its review ran does not
// review again (for as long as completed jobs are kept, Config.Retention),
// and leave out cancelled and discarded, so a superseded, cancelled or
// failed request can be made again.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStateCompleted,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// queuedStates are the states of a job that waits to run.
var queuedStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStateScheduled,
	rivertype.JobStateRetryable,
}

// insertOpts makes every insert of a job unique by its identity (the
// fields of job.Job tagged `river:"unique"`) and tags it with its pull
// request.
func insertOpts(j job.Job) *river.InsertOpts {
	return &river.InsertOpts{
		Tags:       []string{pullTag(j.Repo, j.PR)},
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates},
	}
}

// pullTag identifies a pull request among River's job tags, which allow only
// letters, digits, '_' and '-': a hash of the repository and number. It is
// only an index; jobs found by it are checked against their args.
func pullTag(repo string, pr int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s#%d", strings.ToLower(repo), pr))
	return "pr_" + hex.EncodeToString(sum[:12])
}

// Job is a review job as the handler sees it.
type Job struct {
	ID int64
	// Attempt counts from 1. Attempts cut short by a graceful stop do not
	// count.
	Attempt int
	// MaxAttempts is Config.MaxAttempts: the attempt that fails with
	// Attempt == MaxAttempts is the last.
	MaxAttempts int
	Args        job.Job
	InsertedAt  time.Time
}

// Handler runs reviews for the queue.
type Handler interface {
	// Review runs one attempt. An error retries the job with backoff unless
	// it is marked with Permanent or it was the last attempt. Review must
	// return promptly when ctx is cancelled: the queue is stopping or the job
	// was cancelled.
	Review(ctx context.Context, job Job) error
	// Failed is called once when a job finally fails — after its last
	// attempt, or on a permanent error — with the error that ended it, so the
	// app can tell the user why. Its ctx is not the attempt's and has its own
	// timeout, so a review that timed out can still be reported.
	Failed(ctx context.Context, job Job, err error)
}

// Superseder is an optional interface of a Handler: Superseded is called for
// each queued job that Enqueue cancelled because a newer head of the same
// pull request arrived, so the app can mark its review cancelled.
type Superseder interface {
	Superseded(ctx context.Context, job Job)
}

// Canceller is an optional interface of a Handler: Cancelled is called once
// for a job cancelled while it ran (Cancel), after Review returned, with a
// context of its own, so the app can say the review was cancelled. Cancel
// also calls it, once, for a queued job that a worker had taken before (to
// be retried, or waiting its turn): what that worker began, such as a
// check run in progress, is ended nowhere else.
type Canceller interface {
	Cancelled(ctx context.Context, job Job)
}

// Waiter is an optional interface of a Handler: Waiting is called once for
// a job that has to wait because another job holds what its lease locks
// (another review of its pull request: job.Job.Exclusive, lockKey), before
// it waits, so that the app can acknowledge the request at once rather
// than when the job's turn comes. What it returns is kept with
// the job and handed back in Job.Args.Waited every time the job is handled
// again, and Waiting is not called again for it. finished means the job
// needs no turn at all (its requester may not ask for it): it is complete.
// Waiting's context ends after a third of a lease (Config.Lease), so that
// the job, which holds no lease yet, is never taken for an orphan; an error
// is logged, and the job waits as if Waiting had done what it returned.
type Waiter interface {
	Waiting(ctx context.Context, job Job, busy Busy) (waited job.Waited, finished bool, err error)
}

// Busy is what a waiting job waits for.
type Busy struct {
	// Holder is the job running on the pull request; nil when it could not
	// be read (it may have just finished).
	Holder *job.Job
}

// ErrInterrupted is the error passed to Handler.Failed when a job's last
// attempt never finished because the process died while running it.
var ErrInterrupted = errors.New("the review was interrupted (the server stopped or crashed) during its last attempt")

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent: a review that fails with it is not
// retried (an invalid .codex.yml, a PR too large, a missing model). It
// returns nil for nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Defaults for Config's zero fields.
const (
	// DefaultWorkers matches CODEX_WORKERS's default.
	DefaultWorkers = 4
	// DefaultMaxAttempts gives a transient failure (model or GitHub
	// outage) three more tries, over about ten minutes with DefaultBackoff.
	DefaultMaxAttempts = 4
	// DefaultJobTimeout bounds one attempt; a large PR's focus passes take
	// minutes, not hours.
	DefaultJobTimeout = 30 * time.Minute
	// DefaultPollInterval is how often workers look for jobs that other
	// processes queued (jobs queued by this process start at once).
	DefaultPollInterval = time.Second
	// DefaultRetention is how long finished jobs are kept, and so how long
	// a redelivered webhook is recognised: GitHub lets deliveries of the past
	// three days be redelivered.
	DefaultRetention = 7 * 24 * time.Hour

	// DefaultLease is how long a running review's lease lasts unless
	// renewed (see Config.Lease): a review whose process died runs again
	// about this long after its last renewal.
	DefaultLease = 30 * time.Second
	// DefaultBusyWait is how long a review waits before trying again when
	// another review of the same pull request is running.
	DefaultBusyWait = 3 * time.Second

	// failedTimeout bounds Handler.Failed.
	failedTimeout = time.Minute
	// cancelGrace is how long Stop waits, after cancelling running jobs, for
	// them to return so that their interruption is recorded.
	cancelGrace = 10 * time.Second
)

// DefaultBackoff waits 30s after the first failed attempt, then 2m, 8m,
// and at most 30m. It has no jitter: reviews are few and come from separate
// pull requests, so there is no herd to spread.
func DefaultBackoff(attempt int) time.Duration {
	const base, ceiling = 30 * time.Second, 30 * time.Minute
	if attempt < 1 {
		attempt = 1
	}
	d := base
	for range attempt - 1 {
		d *= 4
		if d >= ceiling {
			return ceiling
		}
	}
	return d
}

// Config tunes a Queue; zero fields take the defaults above.
type Config struct {
	// Workers is how many reviews run at once (CODEX_WORKERS).
	Workers int
	// MaxAttempts is how many times a review is tried.
	MaxAttempts int
	// Backoff returns the wait after failed attempt n (from 1).
	Backoff func(attempt int) time.Duration
	// JobTimeout bounds one attempt.
	JobTimeout time.Duration
	// Lease is how long a running review holds its job without renewing:
	// it renews every Lease/3, stops itself when it could not renew for
	// 5/6 of a lease (so that it never runs on once another process may
	// have taken the job over), and every process looks for expired leases
	// every Lease/6, putting those jobs back to run again. The lease is also
	// the lock of the job's pull request, so one pull request is reviewed
	// by one job at a time across workers and replicas.
	Lease time.Duration
	// BusyWait is how long a job waits before trying again when another
	// job holds its pull request.
	BusyWait time.Duration
	// Owner names this process in leases and logs; the default is the host
	// name, the process id and a random suffix.
	Owner string
	// PollInterval is how often workers check for jobs queued elsewhere.
	PollInterval time.Duration
	// Retention is how long finished jobs are kept.
	Retention time.Duration
	// Logger receives River's own logs; nil means River's default (warnings
	// and errors on standard output).
	Logger *slog.Logger

	// testOnly turns off River's staggered start of its maintenance
	// services, which only slows tests down.
	testOnly bool
	// afterRescue, when set, is called after each look for orphaned jobs
	// (tests wait on it).
	afterRescue func()
}

func (c Config) withDefaults() (Config, error) {
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.BusyWait == 0 {
		c.BusyWait = DefaultBusyWait
	}
	if c.Owner == "" {
		c.Owner = defaultOwner()
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	switch {
	case c.Workers < 1:
		return c, fmt.Errorf("queue workers %d: must be at least 1", c.Workers)
	case c.MaxAttempts < 1:
		return c, fmt.Errorf("queue max attempts %d: must be at least 1", c.MaxAttempts)
	case c.JobTimeout < 0:
		return c, fmt.Errorf("queue job timeout %s: must be positive", c.JobTimeout)
	case c.Lease < 60*time.Millisecond:
		return c, fmt.Errorf("queue lease %s: must be at least 60ms", c.Lease)
	case c.BusyWait < 0:
		return c, fmt.Errorf("queue busy wait %s: must be positive", c.BusyWait)
	case c.PollInterval < time.Millisecond:
		return c, fmt.Errorf("queue poll interval %s: must be at least 1ms", c.PollInterval)
	case c.Retention < 0:
		return c, fmt.Errorf("queue retention %s: must be positive", c.Retention)
	}
	return c, nil
}

// riverClient is the part of *river.Client the queue uses. It hides the
// client's transaction type, which differs between the two drivers.
type riverClient interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobCancel(ctx context.Context, jobID int64) (*rivertype.JobRow, error)
	JobGet(ctx context.Context, jobID int64) (*rivertype.JobRow, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Stopped() <-chan struct{}
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Queue is the review queue.
type Queue struct {
	client  riverClient
	exec    riverdriver.Executor
	schema  string
	handler Handler
	cfg     Config
	leases  *store.Leases
	intake  intake
	db      *store.DB
	// sqlite inserts jobs on SQLite (sqliteinsert.go); nil on Postgres.
	sqlite *sqliteInserter
	// pg inserts jobs on Postgres (pginsert.go); nil on SQLite.
	pg *pgInserter

	// failMu guards the last failed enqueue, which Ready reports.
	failMu     sync.Mutex
	lastFail   error
	lastFailAt time.Time

	// rescuer runs while the queue works (Start to Stop).
	rescuerMu   sync.Mutex
	stopRescuer context.CancelFunc
	rescuerDone chan struct{}
}

// New builds a queue on db. It does not start working: call Start. Enqueue
// works before Start, and on a queue that is never started.
func New(db *store.DB, cfg Config, handler Handler) (*Queue, error) {
	if handler == nil {
		return nil, errors.New("new queue: handler is nil")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new queue: %w", err)
	}
	q := &Queue{schema: db.Schema(), handler: handler, cfg: cfg, leases: db.Leases(), db: db}
	q.intake.prepare, q.intake.commit = q.prepareCall, q.insertBatch

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{q: q}); err != nil {
		return nil, fmt.Errorf("new queue: register worker: %w", err)
	}
	rcfg := &river.Config{
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers: workers,
		// One attempt more than configured: River only runs it when the
		// last attempt was cut short by a crash and rescued, and the worker
		// then reports the failure instead of River discarding the job
		// without a word.
		MaxAttempts: cfg.MaxAttempts + 1,
		RetryPolicy: retryPolicy{backoff: cfg.Backoff},
		// The queue bounds attempts and rescues orphaned jobs itself, with
		// leases (lease.go): River's rescue waits for the job timeout, so a
		// job of a killed process would sit for half an hour.
		JobTimeout:                  -1,
		FetchPollInterval:           cfg.PollInterval,
		FetchCooldown:               min(river.FetchCooldownDefault, cfg.PollInterval),
		CompletedJobRetentionPeriod: cfg.Retention,
		CancelledJobRetentionPeriod: cfg.Retention,
		DiscardedJobRetentionPeriod: cfg.Retention,
		Schema:                      db.Schema(),
		Logger:                      cfg.Logger,
		TestOnly:                    cfg.testOnly,
	}
	switch db.Dialect() {
	case store.Postgres:
		q.client, q.exec, err = newClient(riverpgxv5.New(db.Pool()), rcfg)
		q.pg = &pgInserter{pool: db.Pool(), schema: db.Schema(), maxAttempts: rcfg.MaxAttempts}
	case store.SQLite:
		q.client, q.exec, err = newClient(riversqlite.New(db.SQL()), rcfg)
		q.sqlite = &sqliteInserter{db: db.SQL(), maxAttempts: rcfg.MaxAttempts}
	default:
		err = fmt.Errorf("unsupported database %s", db.Dialect())
	}
	if err != nil {
		return nil, fmt.Errorf("new queue: %w", err)
	}
	return q, nil
}

func newClient[TTx any](driver riverdriver.Driver[TTx], cfg *river.Config) (riverClient, riverdriver.Executor, error) {
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("river client: %w", err)
	}
	return client, driver.GetExecutor(), nil
}

// retryPolicy schedules the next attempt with Config.Backoff.
type retryPolicy struct{ backoff func(int) time.Duration }

func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().UTC().Add(max(p.backoff(job.Attempt), 0))
}

// Enqueue records a review job and returns its id. When an equal job (same
// repository, pull request, head SHA and request key) is queued, running or
// completed, nothing is added and duplicate is true, with that job's id.
//
// A new job also cancels the queued jobs of the same pull request for other
// head SHAs (a newer push supersedes them); running ones are left to finish.
// If that step fails the job is still enqueued: id is valid and err says
// what went wrong.
func (q *Queue) Enqueue(ctx context.Context, args job.Job) (id int64, duplicate bool, err error) {
	if err := args.Validate(); err != nil {
		return 0, false, fmt.Errorf("enqueue review: %w", err)
	}
	id, duplicate, err = q.intake.enqueue(ctx, args)
	q.failMu.Lock()
	if err != nil {
		q.lastFail, q.lastFailAt = err, time.Now()
	} else {
		q.lastFail = nil
	}
	q.failMu.Unlock()
	return id, duplicate, err
}

// readyFailureWindow is how long a failed enqueue keeps Ready failing when
// no enqueue has succeeded since.
const readyFailureWindow = 30 * time.Second

// Ready returns nil when an enqueue would succeed now, or why not: the
// database must commit a write now, and the latest enqueue must not have
// failed in the last 30 seconds (a write of the size of a job can fail
// where the small write check passes, on a nearly full disk).
func (q *Queue) Ready(ctx context.Context) error {
	q.failMu.Lock()
	lastFail, at := q.lastFail, q.lastFailAt
	q.failMu.Unlock()
	if lastFail != nil && time.Since(at) < readyFailureWindow {
		return fmt.Errorf("the last enqueue, %s ago, failed: %w", time.Since(at).Round(time.Millisecond), lastFail)
	}
	return q.db.CheckWritable(ctx)
}

// Cancel cancels a job: a queued one at once, a running one by cancelling
// its context. Cancelling a finished job does nothing. It returns
// river.ErrNotFound (wrapped) for an unknown id.
//
// A running job's handler hears of the cancellation when Review returns
// (Canceller). A queued job that a worker took before (an attempt that
// failed or was cut short, or one that waited its turn) never runs again
// to end what it began, so Cancel tells the Canceller itself, with a
// context of its own.
func (q *Queue) Cancel(ctx context.Context, id int64) error {
	c, tell := q.handler.(Canceller)
	var before *rivertype.JobRow
	if tell {
		row, err := q.client.JobGet(ctx, id)
		if err != nil {
			return fmt.Errorf("cancel job %d: %w", id, err)
		}
		before = row
	}
	row, err := q.client.JobCancel(ctx, id)
	if err != nil {
		return fmt.Errorf("cancel job %d: %w", id, err)
	}
	// Only a job this call moved from waiting to cancelled: a running one
	// is told by its worker, a finished one was told already.
	if !tell || before.State == rivertype.JobStateRunning || before.FinalizedAt != nil || row.State != rivertype.JobStateCancelled {
		return nil
	}
	if before.AttemptedAt == nil {
		// Never fetched, so nothing was begun. (Attempt does not tell: an
		// attempt cut short by a shutdown, or one that waited its turn,
		// is not counted.)
		return nil
	}
	var args job.Job
	if err := json.Unmarshal(row.EncodedArgs, &args); err != nil {
		return fmt.Errorf("cancel job %d: decode its args: %w", id, err)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failedTimeout)
	defer cancel()
	// Concurrent Cancels (two replicas, a double click) may all have read
	// the job before any cancelled it, and all get it back cancelled: the
	// one that records the telling in the job's row tells.
	// The job is cancelled whatever the claim gives: should the claim
	// fail, the handler is told all the same, as telling twice only
	// completes a check run twice, and never telling would leave it
	// queued for good (a Cancel asked again finds the job finished).
	first, err := q.leases.ClaimCancelled(cctx, id)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Int64("job", id).Msg("could not record that the cancelled job's handler is told; telling it anyway")
	}
	if first || err != nil {
		c.Cancelled(cctx, q.jobFrom(row, args))
	}
	return nil
}

// Depth is how many review jobs wait to run (for the queue depth metric).
func (q *Queue) Depth(ctx context.Context) (int, error) {
	counts, err := q.exec.JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{Schema: q.schema})
	if err != nil {
		return 0, fmt.Errorf("queue depth: %w", err)
	}
	n := counts[rivertype.JobStatePending]
	for _, s := range queuedStates {
		n += counts[s]
	}
	return n, nil
}

// Start starts the workers and the rescue of orphaned jobs. They run until
// Stop; ctx carries values only (the logger), because a cancelled context
// would stop River abruptly, charging the interrupted jobs an attempt.
func (q *Queue) Start(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	q.startRescuer(ctx)
	return nil
}

// Stop drains the queue: it stops fetching jobs and waits for running ones
// until ctx is done. Jobs still running then are cancelled; they go back to
// the queue without using up an attempt and run again after the restart.
// A job whose handler ignores the cancellation is left running in the
// database; its lease is no longer renewed once the process exits, and
// another process (or this one, restarted) runs it again.
func (q *Queue) Stop(ctx context.Context) error {
	q.stopRescue()
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("stop queue: %w", err)
	}
	graceCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer cancel()
	if err := q.client.StopAndCancel(graceCtx); err != nil {
		return fmt.Errorf("stop queue: running reviews ignored cancellation; they run again after their lease of %s expires: %w", q.cfg.Lease, err)
	}
	return nil
}

func (q *Queue) jobFrom(row *rivertype.JobRow, args job.Job) Job {
	args.Waited = waitedOf(row.Metadata)
	return Job{ID: row.ID, Attempt: row.Attempt, MaxAttempts: q.cfg.MaxAttempts, Args: args, InsertedAt: row.CreatedAt}
}

// waitedKey is the key of River's job metadata under which the queue keeps
// what Waiter.Waiting did for the job.
const waitedKey = "codex_waited"

// waitedOf reads what Waiter.Waiting did for a job from its metadata; nil
// when it was not called, or when what is stored cannot be read or is not
// something Waiting returns: a check run's id that is not positive, or its
// head that is not a full lowercase commit id, both of which the review
// would send to GitHub. The metadata comes back from the database, where
// an older or newer version, or a hand, may have written anything, so a
// bad record is not trusted, and never fails the job: with nil, Waiting is
// called again (each of its steps is safe to repeat) or the job
// acknowledges itself when it runs, as it would have.
func waitedOf(metadata []byte) *job.Waited {
	if len(metadata) == 0 {
		return nil
	}
	var m struct {
		Waited *job.Waited `json:"codex_waited"`
	}
	if json.Unmarshal(metadata, &m) != nil || m.Waited == nil {
		return nil
	}
	w := m.Waited
	switch {
	case w.CheckRunID == 0 && w.CheckHead == "":
	case w.CheckRunID > 0 && lowerHexSHA1(w.CheckHead):
	default:
		return nil
	}
	return w
}

// lowerHexSHA1 reports whether s is a commit id as GitHub writes it: 40
// lowercase hexadecimal digits.
func lowerHexSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// wait acknowledges a job that has to wait (Waiter), once: what Waiting
// did is recorded in the job's metadata, which River writes with the
// snooze (or the completion, when the job is finished). It reports whether
// the job is finished.
func (q *Queue) wait(ctx context.Context, log zerolog.Logger, j Job) (finished bool) {
	waiter, ok := q.handler.(Waiter)
	if !ok || j.Args.Waited != nil {
		return false
	}
	wctx, cancel := context.WithTimeout(ctx, q.cfg.Lease/3)
	defer cancel()
	var busy Busy
	if raw, ok, err := q.leases.Holder(wctx, lockKey(j)); err != nil {
		log.Debug().Err(err).Msg("could not read which review of the pull request is running")
	} else if ok {
		var h job.Job
		if json.Unmarshal(raw, &h) == nil {
			busy.Holder = &h
		}
	}
	waited, finished, err := waiter.Waiting(wctx, j, busy)
	if err != nil {
		log.Warn().Err(err).Msg("could not acknowledge the request while it waits; it is acknowledged when it runs")
	}
	if err := river.MetadataSet(ctx, waitedKey, waited); err != nil {
		log.Warn().Err(err).Msg("could not record the acknowledgement of the waiting request")
	}
	return finished && err == nil
}

// worker adapts the Handler to River.
type worker struct {
	river.WorkerDefaults[job.Job]
	q *Queue
}

// Timeout implements river.Worker: River applies no deadline and never
// rescues these jobs itself. Work bounds each attempt with
// Config.JobTimeout, and leases find the jobs of dead processes (lease.go).
func (w *worker) Timeout(*river.Job[job.Job]) time.Duration { return -1 }

// Work runs one attempt and decides what River does next: nothing (done),
// retry (a transient error with attempts left), cancel (final or permanent
// failure, reported through Handler.Failed), put the job back (the queue
// is stopping), or try again shortly without using an attempt (another job
// holds the pull request). Every attempt that fails is logged once, at
// warn, with its cause.
func (w *worker) Work(ctx context.Context, rj *river.Job[job.Job]) error {
	q := w.q
	job := q.jobFrom(rj.JobRow, rj.Args)
	log := zerolog.Ctx(ctx).With().Int64("job", job.ID).Int("attempt", job.Attempt).Int("max_attempts", q.cfg.MaxAttempts).
		Str("repo", job.Args.Repo).Int("pr", job.Args.PR).Logger()
	lease, err := q.acquire(ctx, job)
	switch {
	case errors.Is(err, errBusy):
		if q.wait(ctx, log, job) {
			log.Info().Msg("request finished while another review of the pull request ran")
			return nil
		}
		log.Debug().Dur("retry_in", q.cfg.BusyWait).Msg("another review of this pull request is running; waiting for it")
		return river.JobSnooze(q.cfg.BusyWait)
	case err != nil:
		return q.abandon(ctx, log, job, err)
	}
	runCtx, stopLease := lease.keep(ctx, log)
	if rj.Attempt > q.cfg.MaxAttempts {
		// The spare attempt (see New): the last real one died with its
		// process.
		log.Warn().Err(ErrInterrupted).Msg("review attempt failed; giving up")
		q.failed(runCtx, job, ErrInterrupted)
		if lost := stopLease(); lost != nil {
			return q.abandon(ctx, log, job, lost)
		}
		return river.JobCancel(ErrInterrupted)
	}
	if q.cfg.JobTimeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(runCtx, q.cfg.JobTimeout, fmt.Errorf("the review took longer than %s", q.cfg.JobTimeout))
		defer cancel()
	}
	err = q.handler.Review(runCtx, job)
	if lost := stopLease(); lost != nil {
		return q.abandon(ctx, log, job, lost)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely):
		// Cancelled on purpose (Cancel, or superseded as it started).
		log.Info().Err(err).Msg("review cancelled")
		if c, ok := q.handler.(Canceller); ok {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failedTimeout)
			c.Cancelled(cctx, job)
			cancel()
		}
		return err
	case errors.Is(ctx.Err(), context.Canceled):
		// The queue is stopping (Start's context cannot be cancelled, and
		// timeouts end in DeadlineExceeded). River puts a job back without
		// charging the attempt when the error says it was cancelled.
		log.Info().Err(err).Msg("review interrupted by shutdown; it runs again after the restart")
		return fmt.Errorf("%w: %w", context.Canceled, err)
	case IsPermanent(err) || rj.Attempt >= q.cfg.MaxAttempts:
		log.Warn().Err(err).Bool("permanent", IsPermanent(err)).Msg("review attempt failed; giving up")
		q.failed(ctx, job, err)
		// Cancel rather than let River discard: with the spare attempt River
		// would otherwise retry once more.
		return river.JobCancel(err)
	default:
		log.Warn().Err(err).Dur("retry_in", q.cfg.Backoff(rj.Attempt)).Msg("review attempt failed; retrying")
		return err
	}
}

func (q *Queue) failed(ctx context.Context, job Job, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failedTimeout)
	defer cancel()
	q.handler.Failed(ctx, job, err)
}
