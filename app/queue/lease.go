package queue

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
)

// Leases: how a job of a dead process runs again within seconds, and how
// one pull request is reviewed by one job at a time.
//
// A running job holds a lease in the database, keyed by what it locks
// (lockKey: a review's pull request), and renews it every Lease/3. Every process looks for running jobs whose
// lease expired (or that took none within a lease of starting) every
// Lease/6 and puts them back in the queue; River's own rescue, which waits
// for the job timeout, never sees these jobs (worker.Timeout).
//
// A live job is never run twice: renewals and rescues are serialised per
// job in the database (store.Leases), and a job that could not renew for
// 5/6 of its lease cancels itself before the lease can expire. A second
// review of the same pull request finds the lease taken and waits (River's
// snooze, which uses no attempt) until the first is done; the jobs that
// are not reviews lock only themselves and run beside it (lockKey).

// errBusy means another job holds the pull request.
var errBusy = errors.New("another review of this pull request is running")

// errLeaseExpiring cancels a review that could not renew its lease in time.
var errLeaseExpiring = errors.New("the review's lease could not be renewed in time; another process may take the job over")

// rescueReason is recorded as the error of an attempt whose process died.
const rescueReason = "the process running this attempt stopped renewing its lease (killed, crashed or lost): the job runs again"

// defaultOwner names this process: host, process id and a random suffix
// (a restarted container may reuse the pid).
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), strings.ToLower(rand.Text()[:6]))
}

// lockKey is what a job's lease locks: its pull request for a job that
// holds it (job.Job.Exclusive, a review), the job alone otherwise. Every
// job takes a lease, whatever it locks: the lease is also how the job of a
// dead process is found.
func lockKey(j Job) string {
	if !j.Args.Exclusive() {
		return fmt.Sprintf("job:%d", j.ID)
	}
	return fmt.Sprintf("pr:%s#%d", strings.ToLower(j.Args.Repo), j.Args.PR)
}

// lease is a job attempt's hold on its pull request.
type lease struct {
	q      *Queue
	holder store.LeaseHolder
	// taken is when the lease was asked for: the database's expiry is at
	// least a lease after it.
	taken time.Time
}

// acquire takes the lease of job's pull request: errBusy while another job
// holds it, store.ErrLeaseLost when a rescue overtook this attempt.
func (q *Queue) acquire(ctx context.Context, j Job) (*lease, error) {
	// The owner names this process and this run (see store.LeaseHolder).
	owner := q.cfg.Owner + "/" + strings.ToLower(rand.Text()[:6])
	l := &lease{q: q, holder: store.LeaseHolder{Key: lockKey(j), JobID: j.ID, Attempt: j.Attempt, Owner: owner}, taken: time.Now()}
	callCtx, cancel := context.WithTimeout(ctx, q.cfg.Lease/3)
	defer cancel()
	ok, err := q.leases.Acquire(callCtx, l.holder, q.cfg.Lease)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBusy
	}
	return l, nil
}

// cancelledLeases is how many leases long a cancelled job's lease is still
// renewed while its handler finishes (completing its check run takes up
// to a minute): five minutes with the default lease. After it the lease
// expires, and the pull request's next review may run.
const cancelledLeases = 10

// keep renews the lease while the review runs, in a goroutine that stop
// ends and waits for. The review's context is cancelled when the lease is
// lost, or when it could not be renewed for 5/6 of a lease; stop then
// returns why. stop also releases the lease, so that the next job of the
// pull request can start.
//
// Renewals go on until stop also once the job was cancelled (Cancel,
// river.ErrJobCancelledRemotely): the handler is still running, finishing
// what it does on a cancellation (completing its check run, on a context
// of its own), and its process is alive. Were the renewals to stop with
// ctx, the fence would fire a lease later and take a handler that was only
// slow to return for one whose lease was lost, and the cancellation would
// never be told (Canceller). They stop when the queue is stopping, as the
// process is about to: a handler that outlives the stop is left to expire
// and be rescued (Queue.Stop).
func (l *lease) keep(ctx context.Context, log zerolog.Logger) (runCtx context.Context, stop func() (lost error)) {
	cfg := l.q.cfg
	runCtx, cancel := context.WithCancelCause(ctx)
	// renewCtx outlives a cancelled ctx; lost ends the renewals instead.
	renewCtx := context.WithoutCancel(ctx)
	var (
		mu      sync.Mutex
		lostErr error
		lost    = make(chan struct{})
	)
	lose := func(err error) {
		mu.Lock()
		if lostErr == nil {
			lostErr = err
			close(lost)
		}
		mu.Unlock()
		cancel(err)
	}
	// The fence fires if no renewal succeeds in time: the review stops
	// while the lease is still valid, before anyone may rescue the job.
	fenceAfter := cfg.Lease * 5 / 6
	fence := time.AfterFunc(fenceAfter-time.Since(l.taken), func() { lose(errLeaseExpiring) })
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		// Renewals come every third of a lease; after a failed one, the
		// next comes sooner, so that a slow moment does not use up the
		// lease.
		next := time.NewTimer(cfg.Lease / 3)
		defer next.Stop()
		ctxDone := ctx.Done()
		var graceOver <-chan time.Time
		for {
			select {
			case <-done:
				return
			case <-lost:
				return
			case <-ctxDone:
				if !errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely) {
					return
				}
				// Cancelled: renew until the handler returns, but not
				// for ever — a handler that hangs must not hold its
				// pull request from every later review.
				ctxDone = nil
				grace := time.NewTimer(cancelledLeases * cfg.Lease)
				defer grace.Stop()
				graceOver = grace.C
				continue
			case <-graceOver:
				log.Warn().Dur("after", cancelledLeases*cfg.Lease).Msg("a cancelled review has not returned; its lease is let go")
				return
			case <-next.C:
			}
			began := time.Now()
			callCtx, callCancel := context.WithTimeout(renewCtx, cfg.Lease/6)
			err := l.q.leases.Renew(callCtx, l.holder, cfg.Lease)
			callCancel()
			switch {
			case err == nil:
				fence.Reset(fenceAfter - time.Since(began))
				next.Reset(cfg.Lease / 3)
			case errors.Is(err, store.ErrLeaseLost):
				lose(fmt.Errorf("renew: %w", err))
				return
			case ctx.Err() != nil && !errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely):
				return
			default:
				log.Warn().Err(err).Msg("could not renew the review's lease; trying again")
				next.Reset(cfg.Lease / 12)
			}
		}
	})
	return runCtx, func() error {
		close(done)
		wg.Wait()
		fence.Stop()
		mu.Lock()
		lost := lostErr
		mu.Unlock()
		cancel(nil)
		if lost != nil {
			return lost
		}
		// Released with a context of its own: the attempt's may be done
		// (shutdown), and the next job of the pull request should not wait
		// for the lease to expire. The attempt keeps its lease until River
		// has recorded how it ended (store.Leases.Release).
		relCtx, relCancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Lease/3)
		defer relCancel()
		if err := l.q.leases.Release(relCtx, l.holder); err != nil {
			log.Warn().Err(err).Msg("could not release the review's lease; the pull request's next review waits for it to expire")
		}
		return nil
	}
}

// abandon ends an attempt that lost its lease (or could not take it). The
// job may already run elsewhere: River would mark whatever attempt is
// running with this attempt's outcome, so abandon first waits until the job
// is no longer running under another attempt, then returns an error, which
// changes nothing when the job is no longer running and retries it
// otherwise.
func (q *Queue) abandon(ctx context.Context, log zerolog.Logger, j Job, cause error) error {
	err := fmt.Errorf("review attempt abandoned: %w", cause)
	log.Warn().Err(cause).Msg("review attempt failed: it lost its lease, and the job may run elsewhere")
	wait := q.cfg.Lease / 30
	for {
		state, attempt, ok, rerr := q.leases.JobAttempt(ctx, j.ID)
		if rerr == nil && (!ok || state != "running" || attempt == j.Attempt) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", context.Canceled, err)
		case <-t.C:
		}
		wait = min(wait*2, q.cfg.Lease/3)
	}
}

// startRescuer starts looking for orphaned jobs every Lease/6, at once
// first.
func (q *Queue) startRescuer(ctx context.Context) {
	q.rescuerMu.Lock()
	defer q.rescuerMu.Unlock()
	if q.stopRescuer != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	q.stopRescuer, q.rescuerDone = cancel, done
	go func() {
		defer close(done)
		tick := time.NewTicker(q.cfg.Lease / 6)
		defer tick.Stop()
		for {
			q.rescue(ctx)
			if q.cfg.afterRescue != nil {
				q.cfg.afterRescue()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// stopRescue stops the rescuer and waits for it.
func (q *Queue) stopRescue() {
	q.rescuerMu.Lock()
	cancel, done := q.stopRescuer, q.rescuerDone
	q.stopRescuer, q.rescuerDone = nil, nil
	q.rescuerMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// rescue puts the running jobs whose process died back in the queue; a
// cut-short attempt is logged at warn like any other failed attempt.
func (q *Queue) rescue(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	ids, err := q.leases.Orphans(ctx, job.Kind, q.cfg.Lease)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn().Err(err).Msg("could not look for reviews of stopped processes")
		}
		return
	}
	defer func() {
		if _, err := q.leases.Prune(ctx); err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("could not prune old job leases")
		}
	}()
	for _, id := range ids {
		r, ok, err := q.leases.Rescue(ctx, id, q.cfg.Lease, rescueReason)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn().Err(err).Int64("job", id).Msg("could not rescue the review of a stopped process")
			}
			continue
		}
		if !ok {
			continue
		}
		var a job.Job
		_ = json.Unmarshal(r.Args, &a)
		ev := log.Warn().Err(errors.New(rescueReason)).Int64("job", r.JobID).Int("attempt", r.Attempt).
			Str("repo", a.Repo).Int("pr", a.PR).Str("lease_owner", r.Owner).Str("state", r.State)
		switch r.State {
		case "available":
			ev.Msg("review attempt failed; retrying")
		case "cancelled":
			ev.Msg("review attempt failed; it was cancelled meanwhile")
		default:
			ev.Msg("review attempt failed; giving up")
		}
	}
}
