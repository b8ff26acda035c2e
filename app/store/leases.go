package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Job leases. A running job holds a lease, one row of codex_job_leases
// keyed by a lock key (its pull request for a review, the job itself for
// the other actions: app/queue's lockKey), that it renews while it runs. A running job whose lease expired — or that never took one
// within the grace period after River handed it out — belongs to a process
// that died, and Rescue puts it back in the queue.
//
// Taking, renewing and rescuing are serialised per job: SQLite has a single
// writer and its transactions begin immediately; on Postgres each
// transaction first takes an advisory lock on the job, and its statements
// then read what the others committed. So a rescue never overtakes a renewal
// that happened first, and a renewal after a rescue fails.
//
// These statements read and update River's river_job table, whose columns
// are those of River v0.47 (pinned in go.mod); the queue's tests cover them
// on both databases.

// ErrLeaseLost is returned when the job attempt does not hold its lease (any
// more): River no longer runs that attempt, or another job took the lock
// after the lease expired.
var ErrLeaseLost = errors.New("the job's lease was lost")

// Leases reads and writes job leases.
type Leases struct{ db *DB }

// Leases returns the accessors of the job leases.
func (db *DB) Leases() *Leases { return &Leases{db: db} }

// LeaseHolder is the job attempt holding or asking for a lease.
type LeaseHolder struct {
	// Key is the lock key: one holder at a time per key.
	Key     string
	JobID   int64
	Attempt int
	// Owner names the process and this run of the job: renewals and the
	// release match it, so a run that lingers cannot renew the lease of a
	// later run of the same attempt number.
	Owner string
}

// sqliteNow is the database clock on SQLite in River's time format, so that
// it compares with River's timestamps as text. modifier shifts it ("+30.000
// seconds"), or is empty.
func sqliteNow(modifier string) string {
	if modifier == "" {
		return `strftime('%Y-%m-%d %H:%M:%f', 'now')`
	}
	return `strftime('%Y-%m-%d %H:%M:%f', 'now', ` + modifier + `)`
}

// sqliteShift is a SQLite date modifier moving a time by d.
func sqliteShift(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + " seconds"
}

// pgSeconds is d in seconds, for make_interval.
func pgSeconds(d time.Duration) float64 { return d.Seconds() }

// lockJob serialises lease changes of one job on Postgres (see above). It
// holds until the transaction ends. The job id is folded into the advisory
// lock's second key; two jobs that share it only wait for each other.
func (l *Leases) lockJob(ctx context.Context, tx *sql.Tx, jobID int64) error {
	if l.db.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('codex-review job lease'), ($1::bigint % 2147483647)::int)`, jobID)
	if err != nil {
		return fmt.Errorf("lock job %d: %w", jobID, err)
	}
	return nil
}

// inTx runs fn in a transaction and commits it.
func (l *Leases) inTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := l.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// running reports whether River runs attempt of job.
func (l *Leases) running(ctx context.Context, tx *sql.Tx, jobID int64, attempt int) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, l.db.rebind(`SELECT 1 FROM river_job WHERE id = ? AND state = 'running' AND attempt = ?`), jobID, attempt).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read job %d: %w", jobID, err)
	}
	return true, nil
}

// Acquire takes the lease of h.Key for ttl. It succeeds when nobody holds
// the key, when its holder's lease has expired, or when an earlier run of
// the same job holds it (River runs a job again only once the earlier run
// ended). acquired is false, with a nil error, while
// another job holds a live lease; the error is ErrLeaseLost when River no
// longer runs h's attempt (a rescue overtook it).
func (l *Leases) Acquire(ctx context.Context, h LeaseHolder, ttl time.Duration) (acquired bool, err error) {
	err = l.inTx(ctx, func(tx *sql.Tx) error {
		if err := l.lockJob(ctx, tx, h.JobID); err != nil {
			return err
		}
		ok, err := l.running(ctx, tx, h.JobID, h.Attempt)
		if err != nil {
			return err
		}
		if !ok {
			return ErrLeaseLost
		}
		// The leases earlier runs of this job released are done with: River
		// runs the job again only once it recorded how they ended.
		if _, err := tx.ExecContext(ctx, l.db.rebind(`DELETE FROM codex_job_leases WHERE job_id = ? AND lock_key LIKE 'done:%'`), h.JobID); err != nil {
			return fmt.Errorf("drop released leases: %w", err)
		}
		var res sql.Result
		switch l.db.dialect {
		case Postgres:
			res, err = tx.ExecContext(ctx, `INSERT INTO codex_job_leases (lock_key, job_id, attempt, owner, expires_at)
				VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
				ON CONFLICT (lock_key) DO UPDATE SET job_id = excluded.job_id, attempt = excluded.attempt,
					owner = excluded.owner, expires_at = excluded.expires_at
				WHERE codex_job_leases.expires_at < now()
					OR (codex_job_leases.job_id = excluded.job_id AND codex_job_leases.attempt <= excluded.attempt)`,
				h.Key, h.JobID, h.Attempt, h.Owner, pgSeconds(ttl))
		default:
			res, err = tx.ExecContext(ctx, `INSERT INTO codex_job_leases (lock_key, job_id, attempt, owner, expires_at)
				VALUES (?, ?, ?, ?, `+sqliteNow("?")+`)
				ON CONFLICT (lock_key) DO UPDATE SET job_id = excluded.job_id, attempt = excluded.attempt,
					owner = excluded.owner, expires_at = excluded.expires_at
				WHERE codex_job_leases.expires_at < `+sqliteNow("")+`
					OR (codex_job_leases.job_id = excluded.job_id AND codex_job_leases.attempt <= excluded.attempt)`,
				h.Key, h.JobID, h.Attempt, h.Owner, "+"+sqliteShift(ttl))
		}
		if err != nil {
			return fmt.Errorf("take lease: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("take lease: %w", err)
		}
		acquired = n > 0
		return nil
	})
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		err = fmt.Errorf("lease %s for job %d: %w", h.Key, h.JobID, err)
	}
	return acquired, err
}

// Renew extends h's lease to ttl from now. It returns ErrLeaseLost when h
// no longer holds it or River no longer runs h's attempt.
func (l *Leases) Renew(ctx context.Context, h LeaseHolder, ttl time.Duration) error {
	err := l.inTx(ctx, func(tx *sql.Tx) error {
		if err := l.lockJob(ctx, tx, h.JobID); err != nil {
			return err
		}
		var (
			res sql.Result
			err error
		)
		running := `EXISTS (SELECT 1 FROM river_job WHERE id = %s AND state = 'running' AND attempt = %s)`
		switch l.db.dialect {
		case Postgres:
			res, err = tx.ExecContext(ctx, `UPDATE codex_job_leases SET expires_at = now() + make_interval(secs => $1)
				WHERE lock_key = $2 AND job_id = $3 AND attempt = $4 AND owner = $5 AND `+fmt.Sprintf(running, "$3", "$4"),
				pgSeconds(ttl), h.Key, h.JobID, h.Attempt, h.Owner)
		default:
			res, err = tx.ExecContext(ctx, `UPDATE codex_job_leases SET expires_at = `+sqliteNow("?")+`
				WHERE lock_key = ? AND job_id = ? AND attempt = ? AND owner = ? AND `+fmt.Sprintf(running, "?", "?"),
				"+"+sqliteShift(ttl), h.Key, h.JobID, h.Attempt, h.Owner, h.JobID, h.Attempt)
		}
		if err != nil {
			return fmt.Errorf("renew: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("renew: %w", err)
		}
		if n == 0 {
			return ErrLeaseLost
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		err = fmt.Errorf("lease %s for job %d: %w", h.Key, h.JobID, err)
	}
	return err
}

// Release frees h's lock key for the next job, if h still holds it. The
// attempt keeps its lease, no longer renewed, until it expires: River
// records the attempt's outcome a moment after the job returns, and until
// then the job is still running without a process behind it, which must not
// pass for an orphan. Prune removes the row later.
func (l *Leases) Release(ctx context.Context, h LeaseHolder) error {
	q := `UPDATE codex_job_leases SET lock_key = 'done:' || job_id || ':' || attempt || ':' || owner WHERE lock_key = ? AND job_id = ? AND attempt = ? AND owner = ?`
	if _, err := l.db.sql.ExecContext(ctx, l.db.rebind(q), h.Key, h.JobID, h.Attempt, h.Owner); err != nil {
		return fmt.Errorf("release lease %s of job %d: %w", h.Key, h.JobID, err)
	}
	return nil
}

// Prune deletes the expired leases of attempts that River no longer runs.
func (l *Leases) Prune(ctx context.Context) (int64, error) {
	expired := `expires_at < ` + sqliteNow("")
	if l.db.dialect == Postgres {
		expired = `expires_at < now()`
	}
	res, err := l.db.sql.ExecContext(ctx, `DELETE FROM codex_job_leases WHERE `+expired+`
		AND NOT EXISTS (SELECT 1 FROM river_job j WHERE j.id = codex_job_leases.job_id AND j.state = 'running' AND j.attempt = codex_job_leases.attempt)`)
	if err != nil {
		return 0, fmt.Errorf("prune leases: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune leases: %w", err)
	}
	return n, nil
}

// orphanCondition selects running jobs (aliased j) that hold no live lease
// for their attempt and either held one that expired, or have held none for
// grace since they started.
//
// A live lease protects the job even beside an expired one of the same
// attempt number: River gives an attempt back when a process stops
// gracefully (and when a job waits its turn), so a job run again after a
// restart has the number of the run that left the old lease.
func (l *Leases) orphanCondition(grace time.Duration) (cond string, args []any) {
	if l.db.dialect == Postgres {
		return `(NOT EXISTS (SELECT 1 FROM codex_job_leases l WHERE l.job_id = j.id AND l.attempt = j.attempt AND l.expires_at >= now())
			AND (EXISTS (SELECT 1 FROM codex_job_leases l WHERE l.job_id = j.id AND l.attempt = j.attempt)
				OR j.attempted_at < now() - make_interval(secs => $2)))`, []any{pgSeconds(grace)}
	}
	return `(NOT EXISTS (SELECT 1 FROM codex_job_leases l WHERE l.job_id = j.id AND l.attempt = j.attempt AND l.expires_at >= ` + sqliteNow("") + `)
			AND (EXISTS (SELECT 1 FROM codex_job_leases l WHERE l.job_id = j.id AND l.attempt = j.attempt)
				OR j.attempted_at < ` + sqliteNow("?") + `))`, []any{"-" + sqliteShift(grace)}
}

// Orphans lists the running jobs of kind that have lost their process: the
// lease of their attempt expired, or they took none within grace of being
// handed out. It only reads; Rescue decides, job by job.
func (l *Leases) Orphans(ctx context.Context, kind string, grace time.Duration) ([]int64, error) {
	cond, args := l.orphanCondition(grace)
	q := `SELECT j.id FROM river_job j WHERE j.state = 'running' AND j.kind = ? AND ` + cond + ` ORDER BY j.id`
	if l.db.dialect == Postgres {
		q = `SELECT j.id FROM river_job j WHERE j.state = 'running' AND j.kind = $1 AND ` + cond + ` ORDER BY j.id`
	}
	rows, err := l.db.sql.QueryContext(ctx, q, append([]any{kind}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list orphaned jobs: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list orphaned jobs: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list orphaned jobs: %w", err)
	}
	return ids, nil
}

// Rescued is an orphaned job that Rescue put back.
type Rescued struct {
	JobID int64
	// Attempt is the attempt that was cut short.
	Attempt int
	// State is the job's state now: available (it runs again), cancelled
	// (someone had asked to cancel it) or discarded (that was its last
	// attempt).
	State string
	// Owner is the process that held its last lease, if it took one.
	Owner string
	// Args are the job's encoded arguments.
	Args json.RawMessage
}

// Rescue puts job back in the queue if it is still an orphan (see Orphans):
// available again, with reason recorded as the failed attempt's error;
// cancelled if a cancellation was asked for; discarded after its last
// attempt. ok is false when the job was no orphan by the time Rescue looked
// (it finished, or its process renewed its lease).
func (l *Leases) Rescue(ctx context.Context, jobID int64, grace time.Duration, reason string) (r Rescued, ok bool, err error) {
	err = l.inTx(ctx, func(tx *sql.Tx) error {
		if err := l.lockJob(ctx, tx, jobID); err != nil {
			return err
		}
		cond, condArgs := l.orphanCondition(grace)
		var q string
		var args []any
		switch l.db.dialect {
		case Postgres:
			q = `UPDATE river_job AS j SET
				state = (CASE WHEN j.metadata ->> 'cancel_attempted_at' IS NOT NULL THEN 'cancelled'
					WHEN j.attempt >= j.max_attempts THEN 'discarded'
					ELSE 'available' END)::river_job_state,
				finalized_at = CASE WHEN j.metadata ->> 'cancel_attempted_at' IS NOT NULL OR j.attempt >= j.max_attempts THEN now() END,
				errors = array_append(j.errors, jsonb_build_object('at', now(), 'attempt', j.attempt, 'error', $3::text, 'trace', ''))
				WHERE j.id = $1 AND j.state = 'running' AND ` + cond + `
				RETURNING j.id, j.attempt, j.state::text, j.args`
			args = append([]any{jobID}, condArgs...)
			args = append(args, reason)
		default:
			final := `(json_extract(j.metadata, '$.cancel_attempted_at') IS NOT NULL OR j.attempt >= j.max_attempts)`
			q = `UPDATE river_job AS j SET
				state = CASE WHEN json_extract(j.metadata, '$.cancel_attempted_at') IS NOT NULL THEN 'cancelled'
					WHEN j.attempt >= j.max_attempts THEN 'discarded'
					ELSE 'available' END,
				finalized_at = CASE WHEN ` + final + ` THEN ` + sqliteNow("") + ` END,
				errors = jsonb(json_insert(json(coalesce(j.errors, jsonb('[]'))), '$[#]',
					json_object('at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'attempt', j.attempt, 'error', ?, 'trace', '')))
				WHERE j.id = ? AND j.state = 'running' AND ` + cond + `
				RETURNING id, attempt, state, json(args)`
			args = append([]any{reason, jobID}, condArgs...)
		}
		var args2 []byte
		err := tx.QueryRowContext(ctx, q, args...).Scan(&r.JobID, &r.Attempt, &r.State, &args2)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("rescue: %w", err)
		}
		r.Args = json.RawMessage(args2)
		ok = true
		var owner sql.NullString
		err = tx.QueryRowContext(ctx, l.db.rebind(`SELECT owner FROM codex_job_leases WHERE job_id = ? AND attempt = ?`), r.JobID, r.Attempt).Scan(&owner)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("rescue: read lease: %w", err)
		}
		r.Owner = owner.String
		if _, err := tx.ExecContext(ctx, l.db.rebind(`DELETE FROM codex_job_leases WHERE job_id = ? AND attempt = ?`), r.JobID, r.Attempt); err != nil {
			return fmt.Errorf("rescue: drop lease: %w", err)
		}
		return nil
	})
	if err != nil {
		return Rescued{}, false, fmt.Errorf("rescue job %d: %w", jobID, err)
	}
	return r, ok, nil
}

// JobAttempt returns the state and attempt of a job as River records them;
// ok is false when the job does not exist.
func (l *Leases) JobAttempt(ctx context.Context, jobID int64) (state string, attempt int, ok bool, err error) {
	q := `SELECT state, attempt FROM river_job WHERE id = ?`
	if l.db.dialect == Postgres {
		q = `SELECT state::text, attempt FROM river_job WHERE id = $1`
	}
	err = l.db.sql.QueryRowContext(ctx, q, jobID).Scan(&state, &attempt)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("read job %d: %w", jobID, err)
	}
	return state, attempt, true, nil
}

// cancelToldKey is the key of River's job metadata under which
// ClaimCancelled records that the app was told of a job's cancellation.
const cancelToldKey = "codex_cancel_told"

// ClaimCancelled records in a cancelled job's metadata that the app is
// being told of its cancellation, and reports whether this call did: of
// any number of calls, from any process, at most one gets true, so that
// the app is told once. It is false for a job that is not cancelled.
func (l *Leases) ClaimCancelled(ctx context.Context, jobID int64) (bool, error) {
	// The update takes the row's lock; a concurrent one waits for it and
	// then, on both databases, finds the key set.
	q := `UPDATE river_job SET metadata = jsonb_set(metadata, '$.` + cancelToldKey + `', json('true'))
		WHERE id = ? AND state = 'cancelled' AND json_extract(metadata, '$.` + cancelToldKey + `') IS NULL
		RETURNING id`
	if l.db.dialect == Postgres {
		q = `UPDATE river_job SET metadata = jsonb_set(metadata, '{` + cancelToldKey + `}', 'true'::jsonb, true)
			WHERE id = $1 AND state = 'cancelled' AND metadata -> '` + cancelToldKey + `' IS NULL
			RETURNING id`
	}
	var id int64
	err := l.db.sql.QueryRowContext(ctx, q, jobID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record the cancellation of job %d: %w", jobID, err)
	}
	return true, nil
}

// Holder returns the arguments of the job holding the lease of key, so that
// a job waiting for it can say what it waits for; ok is false when nobody
// holds it.
func (l *Leases) Holder(ctx context.Context, key string) (args json.RawMessage, ok bool, err error) {
	q := `SELECT json(j.args) FROM codex_job_leases l JOIN river_job j ON j.id = l.job_id WHERE l.lock_key = ?`
	if l.db.dialect == Postgres {
		q = `SELECT j.args FROM codex_job_leases l JOIN river_job j ON j.id = l.job_id WHERE l.lock_key = $1`
	}
	var b []byte
	err = l.db.sql.QueryRowContext(ctx, q, key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the holder of lease %s: %w", key, err)
	}
	return json.RawMessage(b), true, nil
}
