package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/codex-review/codex-review/app/job"
)

// Group commit. Each webhook is answered only once its job is committed,
// and a transaction costs far more than the row it adds (a round trip to
// PostgreSQL, a WAL write on SQLite, parsing the statement). So enqueues
// that arrive while a transaction is in flight wait and are committed
// together in the next one, one insert statement for all of them, and each
// caller gets its own answer after that commit. Under light load a batch is
// one job and nothing waits; under heavy load batches grow to what arrives
// during one commit, typically a millisecond or two.
//
// No goroutine runs in the background: the first caller to find no batch in
// flight commits one, then hands the turn to the first caller still waiting.
//
// Left to themselves, batches alternate between one call and many: the
// callers of a large batch come back at once, and the first of them would
// commit alone while the others queue behind it. So when the last batch had
// several calls, the caller whose turn it is waits up to batchLinger for as
// many to arrive before committing. A lone sender never waits.

const (
	// maxBatch bounds the jobs of one transaction.
	maxBatch = 256
	// batchTimeout bounds one batch's transaction. It is not the caller's
	// context: a caller that gives up must not fail the others' batch.
	batchTimeout = 10 * time.Second
	// batchLinger is the longest a turn waits for the batch to fill.
	batchLinger = time.Millisecond
)

// enqueueCall is one Enqueue waiting for its batch.
type enqueueCall struct {
	args job.Job
	// row is what the insert writes. Each caller encodes its job before
	// it joins a batch, in parallel with the others, so that the commit,
	// which every caller of the batch waits for, does only the database's
	// work.
	row *encodedJob
	// turn receives true when the result is set, false when this call must
	// commit the next batch itself.
	turn chan bool
	id   int64
	dup  bool
	err  error
}

// intake queues enqueues into batches.
type intake struct {
	// prepare sets a call's row, or fails the call; commit
	// inserts a batch in one transaction and sets each call's result.
	prepare func(c *enqueueCall) error
	commit  func(ctx context.Context, calls []*enqueueCall)

	mu      sync.Mutex
	pending []*enqueueCall
	// busy is true while a caller commits; pending is empty when it is
	// false.
	busy bool
	// last is the size of the last batch, which the next one waits for.
	last int
	// arrived wakes a turn that waits for its batch to fill.
	arrived chan struct{}
}

// enqueue adds args to the next batch and returns its result once the
// batch is committed.
func (in *intake) enqueue(ctx context.Context, args job.Job) (int64, bool, error) {
	c := &enqueueCall{args: args, turn: make(chan bool, 1)}
	if in.prepare != nil {
		if err := in.prepare(c); err != nil {
			return 0, false, err
		}
	}
	in.mu.Lock()
	if in.arrived == nil {
		in.arrived = make(chan struct{}, 1)
	}
	in.pending = append(in.pending, c)
	lead := !in.busy
	in.busy = true
	in.mu.Unlock()
	select {
	case in.arrived <- struct{}{}:
	default:
	}
	// A waiting caller does not give up when its context ends: it may be
	// handed the turn, and the batch is bounded by batchTimeout anyway.
	if !lead && <-c.turn {
		return c.id, c.dup, c.err
	}
	// This caller's turn: it is first in pending, so in the batch it takes.
	in.fill()
	in.mu.Lock()
	n := min(len(in.pending), maxBatch)
	batch := in.pending[:n:n]
	in.pending = in.pending[n:]
	in.last = n
	in.mu.Unlock()

	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTimeout)
	in.commit(bctx, batch)
	cancel()
	for _, other := range batch {
		if other != c {
			other.turn <- true
		}
	}

	in.mu.Lock()
	if len(in.pending) == 0 {
		in.busy = false
		in.mu.Unlock()
	} else {
		next := in.pending[0]
		in.mu.Unlock()
		next.turn <- false
	}
	return c.id, c.dup, c.err
}

// fill waits, up to batchLinger, until as many calls are pending as the last
// batch had.
func (in *intake) fill() {
	var timer *time.Timer
	for {
		in.mu.Lock()
		enough := len(in.pending) >= min(in.last, maxBatch)
		in.mu.Unlock()
		if enough {
			break
		}
		if timer == nil {
			timer = time.NewTimer(batchLinger)
			defer timer.Stop()
		}
		select {
		case <-in.arrived:
		case <-timer.C:
			return
		}
	}
}

// insertBatch is intake.commit: one insert of the batch's distinct jobs,
// then the superseding of older heads.
func (q *Queue) insertBatch(ctx context.Context, calls []*enqueueCall) {
	// The inserts answer a job that comes twice in a batch as its first's
	// duplicate, the way they answer one already in the database.
	ids := make([]int64, len(calls))
	skipped := make([]bool, len(calls))
	errs := make([]error, len(calls))
	err := q.insertJobs(ctx, calls, ids, skipped)
	switch {
	case err == nil:
	case len(calls) == 1:
		errs[0] = err
	default:
		// One at a time, so that whatever failed the batch fails only its
		// own job.
		for i := range calls {
			errs[i] = q.insertJobs(ctx, calls[i:i+1], ids[i:i+1], skipped[i:i+1])
		}
	}
	for i, c := range calls {
		if errs[i] != nil {
			c.err = fmt.Errorf("enqueue review of %s#%d at %s: %w", c.args.Repo, c.args.PR, c.args.HeadSHA, errs[i])
			continue
		}
		c.id, c.dup = ids[i], skipped[i]
	}

	// A request without a head (a comment) is about whatever the head is
	// when it runs: it supersedes nothing.
	var fresh []*enqueueCall
	for _, c := range calls {
		if c.err == nil && !c.dup && c.args.HeadSHA != "" {
			fresh = append(fresh, c)
		}
	}
	if len(fresh) == 0 {
		return
	}
	if err := q.supersede(ctx, fresh); err != nil {
		for _, c := range fresh {
			c.err = fmt.Errorf("enqueue review of %s#%d at %s: supersede older heads: %w", c.args.Repo, c.args.PR, c.args.HeadSHA, err)
		}
	}
}

// insertJobs inserts jobs in one transaction and sets each one's id and
// whether an equal job was there already (then nothing was inserted for
// it). On error nothing was inserted.
func (q *Queue) insertJobs(ctx context.Context, jobs []*enqueueCall, ids []int64, skipped []bool) error {
	rows := make([]encodedJob, len(jobs))
	for i, c := range jobs {
		rows[i] = *c.row
	}
	insert := q.pg.insertRows
	if q.sqlite != nil {
		insert = q.sqlite.insertRows
	}
	got, dups, err := insert(ctx, rows)
	if err != nil {
		return err
	}
	copy(ids, got)
	copy(skipped, dups)
	return nil
}

// listPage is how many jobs supersede reads at a time; a pull request
// rarely has more than a few queued.
const listPage = 100

// supersede cancels the queued jobs of the fresh jobs' pull requests that
// were enqueued before one of them for another head SHA: one listing for
// the whole batch.
//
// A job that a worker fetches between the listing and its cancellation is
// cancelled as it starts (River cancels its context): it was still queued
// when the newer head arrived, which is what superseding means.
func (q *Queue) supersede(ctx context.Context, fresh []*enqueueCall) error {
	tags := make([]string, 0, len(fresh))
	seen := map[string]bool{}
	for _, c := range fresh {
		if t := pullTag(c.args.Repo, c.args.PR); !seen[t] {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	params := river.NewJobListParams().
		Kinds(job.Kind).
		States(queuedStates...).
		TagsAny(tags...).
		First(listPage)
	superseder, _ := q.handler.(Superseder)
	for {
		res, err := q.client.JobList(ctx, params)
		if err != nil {
			return fmt.Errorf("list queued jobs: %w", err)
		}
		for _, row := range res.Jobs {
			var old job.Job
			if err := json.Unmarshal(row.EncodedArgs, &old); err != nil {
				return fmt.Errorf("decode job %d: %w", row.ID, err)
			}
			// Someone's explicit "@codex review" is never dropped because
			// of a push: it reviews the head it finds when it runs.
			if old.HeadSHA == "" || !supersededBy(row.ID, old, fresh) {
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

// supersededBy reports whether a fresh job newer than job id is for the
// same pull request at another head.
func supersededBy(id int64, old job.Job, fresh []*enqueueCall) bool {
	for _, c := range fresh {
		if c.id > id && c.args.Repo == old.Repo && c.args.PR == old.PR && c.args.HeadSHA != old.HeadSHA {
			return true
		}
	}
	return false
}
