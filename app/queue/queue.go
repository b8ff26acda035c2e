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
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/codex-review/codex-review/app/store"
)

// Kind is the River job kind of a review. It is stored with every job, so
// it must never change.
const Kind = "codex_review"

// ReviewArgs is what a review job carries. The fields tagged `river:"unique"`
// are the job's identity: a second job with the same repository, pull
// request, head SHA and request key is a duplicate.
type ReviewArgs struct {
	// Repo is "owner/name".
	Repo         string `json:"repo" river:"unique"`
	Installation int64  `json:"installation"`
	PR           int    `json:"pr" river:"unique"`
	HeadSHA      string `json:"head_sha" river:"unique"`
	BaseSHA      string `json:"base_sha"`
	// RequestKey names the request: the triggering comment's id, the REST
	// API review id, or "auto:<action>" for automatic reviews.
	RequestKey   string   `json:"request_key" river:"unique"`
	Trigger      string   `json:"trigger"`
	Areas        []string `json:"areas,omitempty"`
	Instructions string   `json:"instructions,omitempty"`
	ReviewID     string   `json:"review_id,omitempty"`
	CommentID    int64    `json:"comment_id,omitempty"`
	Requester    string   `json:"requester,omitempty"`
	// BeforeSHA is the previous head of a push.
	BeforeSHA string `json:"before_sha,omitempty"`
	// AuthorAssociation is the commenter's association from the payload,
	// which settles most permission checks without an API call.
	AuthorAssociation string `json:"author_association,omitempty"`
	// Reply is the text to post for help and unknown commands.
	Reply string `json:"reply,omitempty"`
	// Delivery is the webhook delivery id, for logs.
	Delivery string `json:"delivery,omitempty"`
}

// Kind implements river.JobArgs.
func (ReviewArgs) Kind() string { return Kind }

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

// InsertOpts implements river.JobArgsWithInsertOpts, so every insert of a
// review, whatever the caller, is unique and tagged with its pull request.
func (a ReviewArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Tags:       []string{pullTag(a.Repo, a.PR)},
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

func (a ReviewArgs) validate() error {
	owner, name, ok := strings.Cut(a.Repo, "/")
	switch {
	case !ok || owner == "" || name == "" || strings.Contains(name, "/"):
		return fmt.Errorf("repo %q is not owner/name", a.Repo)
	case a.PR <= 0:
		return fmt.Errorf("pull request number %d is not positive", a.PR)
	case a.HeadSHA == "" && a.CommentID == 0:
		// A comment does not carry the head it was written on; its review
		// takes the pull request's head when it runs. Every other request
		// names its head.
		return errors.New("head SHA is empty")
	case a.RequestKey == "":
		return errors.New("request key is empty")
	}
	return nil
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
	Args        ReviewArgs
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

	// rescueMargin is added to the job timeout to decide when a running job
	// is stuck: its worker must have died, since a live one would have hit
	// the timeout.
	rescueMargin = 10 * time.Minute
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
	// RescueAfter is how long a job may be running before it is taken for
	// the leftover of a dead process and run again. It must be at least
	// JobTimeout; the default is JobTimeout plus ten minutes.
	RescueAfter time.Duration
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
	if c.RescueAfter == 0 {
		c.RescueAfter = c.JobTimeout + rescueMargin
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
	case c.RescueAfter < c.JobTimeout:
		return c, fmt.Errorf("queue rescue interval %s: must be at least the job timeout %s", c.RescueAfter, c.JobTimeout)
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
	q := &Queue{schema: db.Schema(), handler: handler, cfg: cfg}

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
		MaxAttempts:                 cfg.MaxAttempts + 1,
		RetryPolicy:                 retryPolicy{backoff: cfg.Backoff},
		JobTimeout:                  cfg.JobTimeout,
		RescueStuckJobsAfter:        cfg.RescueAfter,
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
	case store.SQLite:
		q.client, q.exec, err = newClient(riversqlite.New(db.SQL()), rcfg)
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
func (q *Queue) Enqueue(ctx context.Context, args ReviewArgs) (id int64, duplicate bool, err error) {
	if err := args.validate(); err != nil {
		return 0, false, fmt.Errorf("enqueue review: %w", err)
	}
	res, err := q.client.Insert(ctx, args, nil)
	if err != nil {
		return 0, false, fmt.Errorf("enqueue review of %s#%d at %s: %w", args.Repo, args.PR, args.HeadSHA, err)
	}
	if res.UniqueSkippedAsDuplicate {
		return res.Job.ID, true, nil
	}
	if args.HeadSHA == "" {
		// A request without a head (a comment) is about whatever the
		// head is when it runs: it supersedes nothing.
		return res.Job.ID, false, nil
	}
	if err := q.supersede(ctx, res.Job.ID, args); err != nil {
		return res.Job.ID, false, fmt.Errorf("enqueue review of %s#%d at %s: supersede older heads: %w", args.Repo, args.PR, args.HeadSHA, err)
	}
	return res.Job.ID, false, nil
}

// listPage is how many jobs supersede reads at a time; a pull request
// rarely has more than a few queued.
const listPage = 100

// supersede cancels the queued jobs of args' pull request that were
// enqueued before newID for another head SHA.
//
// A job that a worker fetches between the listing and its cancellation is
// cancelled as it starts (River cancels its context): it was still queued
// when the newer head arrived, which is what superseding means.
func (q *Queue) supersede(ctx context.Context, newID int64, args ReviewArgs) error {
	params := river.NewJobListParams().
		Kinds(Kind).
		States(queuedStates...).
		TagsAll(pullTag(args.Repo, args.PR)).
		First(listPage)
	superseder, _ := q.handler.(Superseder)
	for {
		res, err := q.client.JobList(ctx, params)
		if err != nil {
			return fmt.Errorf("list queued jobs: %w", err)
		}
		for _, row := range res.Jobs {
			if row.ID >= newID {
				continue
			}
			var old ReviewArgs
			if err := json.Unmarshal(row.EncodedArgs, &old); err != nil {
				return fmt.Errorf("decode job %d: %w", row.ID, err)
			}
			// Someone's explicit "@codex review" is never dropped because
			// of a push: it reviews the head it finds when it runs.
			if old.Repo != args.Repo || old.PR != args.PR || old.HeadSHA == args.HeadSHA || old.HeadSHA == "" {
				continue
			}
			cancelled, err := q.client.JobCancel(ctx, row.ID)
			if errors.Is(err, river.ErrNotFound) {
				continue // removed meanwhile
			}
			if err != nil {
				return fmt.Errorf("cancel job %d: %w", row.ID, err)
			}
			if superseder != nil && cancelled.State == rivertype.JobStateCancelled {
				superseder.Superseded(ctx, q.jobFrom(cancelled, old))
			}
		}
		if len(res.Jobs) < listPage {
			return nil
		}
		params = params.After(res.LastCursor)
	}
}

// Cancel cancels a job: a queued one at once, a running one by cancelling
// its context. Cancelling a finished job does nothing. It returns
// river.ErrNotFound (wrapped) for an unknown id.
func (q *Queue) Cancel(ctx context.Context, id int64) error {
	if _, err := q.client.JobCancel(ctx, id); err != nil {
		return fmt.Errorf("cancel job %d: %w", id, err)
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

// Start starts the workers. They run until Stop; ctx carries values only,
// because a cancelled context would stop River abruptly, charging the
// interrupted jobs an attempt.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	return nil
}

// Stop drains the queue: it stops fetching jobs and waits for running ones
// until ctx is done. Jobs still running then are cancelled; they go back to
// the queue without using up an attempt and run again after the restart.
// A job whose handler ignores the cancellation is left running in the
// database and is rescued after Config.RescueAfter.
func (q *Queue) Stop(ctx context.Context) error {
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
		return fmt.Errorf("stop queue: running reviews ignored cancellation; they will be rescued after %s: %w", q.cfg.RescueAfter, err)
	}
	return nil
}

func (q *Queue) jobFrom(row *rivertype.JobRow, args ReviewArgs) Job {
	return Job{ID: row.ID, Attempt: row.Attempt, MaxAttempts: q.cfg.MaxAttempts, Args: args, InsertedAt: row.CreatedAt}
}

// worker adapts the Handler to River.
type worker struct {
	river.WorkerDefaults[ReviewArgs]
	q *Queue
}

// Work runs one attempt and decides what River does next: nothing (done),
// retry (a transient error with attempts left), cancel (final or permanent
// failure, reported through Handler.Failed), or put the job back (the queue
// is stopping).
func (w *worker) Work(ctx context.Context, rj *river.Job[ReviewArgs]) error {
	q := w.q
	job := q.jobFrom(rj.JobRow, rj.Args)
	if rj.Attempt > q.cfg.MaxAttempts {
		// The spare attempt (see New): the last real one died with its
		// process.
		q.failed(ctx, job, ErrInterrupted)
		return river.JobCancel(ErrInterrupted)
	}
	err := q.handler.Review(ctx, job)
	switch {
	case err == nil:
		return nil
	case errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely):
		// Cancelled on purpose (Cancel, or superseded as it started).
		return err
	case errors.Is(ctx.Err(), context.Canceled):
		// The queue is stopping (Start's context cannot be cancelled, and
		// timeouts end in DeadlineExceeded). River puts a job back without
		// charging the attempt when the error says it was cancelled.
		return fmt.Errorf("%w: %w", context.Canceled, err)
	case IsPermanent(err) || rj.Attempt >= q.cfg.MaxAttempts:
		q.failed(ctx, job, err)
		// Cancel rather than let River discard: with the spare attempt River
		// would otherwise retry once more.
		return river.JobCancel(err)
	default:
		return err
	}
}

func (q *Queue) failed(ctx context.Context, job Job, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failedTimeout)
	defer cancel()
	q.handler.Failed(ctx, job, err)
}
