package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/riverqueue/river"

	"github.com/codex-review/codex-review/app/job"
)

// The batch insert on SQLite. River's InsertMany sends a batch as one JSON
// array that SQLite unpacks with json_each and a dozen json_extract calls
// per job, in a statement that database/sql prepares anew for every batch
// (River rewrites its text for the schema). At full intake that statement
// took half of the server's CPU, most of it SQLite parsing and planning it.
// Here the insert is one prepared statement, planned once per connection,
// run once per job inside the batch's transaction.
//
// It writes River's river_job table directly, like the leases do
// (app/store/leases.go): the columns are those of River v0.47, pinned in
// go.mod, and the unique key is computed the way River computes it, from
// the same struct tags and with River's own helpers, so that a job inserted
// here and one inserted by River's client are duplicates of each other.
// TestOwnInsertAgreesWithRiver holds the two in step. The queue polls
// SQLite for new jobs (there is no LISTEN/NOTIFY), so inserting outside
// River's client changes nothing in how soon a worker sees the job.

// sqliteUniqueCase is true for a state in which the row blocks a duplicate:
// the predicate of River's unique index, which an upsert must repeat to
// name that index as its conflict target.
const sqliteUniqueCase = `unique_key IS NOT NULL
	AND unique_states IS NOT NULL
	AND CASE state
		WHEN 'available' THEN unique_states & (1 << 0)
		WHEN 'cancelled' THEN unique_states & (1 << 1)
		WHEN 'completed' THEN unique_states & (1 << 2)
		WHEN 'discarded' THEN unique_states & (1 << 3)
		WHEN 'pending'   THEN unique_states & (1 << 4)
		WHEN 'retryable' THEN unique_states & (1 << 5)
		WHEN 'running'   THEN unique_states & (1 << 6)
		WHEN 'scheduled' THEN unique_states & (1 << 7)
		ELSE 0
	END >= 1`

// sqliteInsertJob inserts one available job and returns its id; on a
// unique conflict it inserts nothing and returns no row.
const sqliteInsertJob = `INSERT INTO river_job (
	args, created_at, kind, max_attempts, metadata, priority, queue,
	scheduled_at, state, tags, unique_key, unique_states
) VALUES (
	jsonb(?1), strftime('%Y-%m-%d %H:%M:%f', 'now'), ?2, ?3, jsonb('{}'), ?4, ?5,
	strftime('%Y-%m-%d %H:%M:%f', 'now'), 'available', jsonb(?6), ?7, ?8
)
ON CONFLICT (unique_key) WHERE ` + sqliteUniqueCase + `
DO NOTHING
RETURNING id`

// sqliteExistingJob finds the job a conflicting insert ran into.
const sqliteExistingJob = `SELECT id FROM river_job WHERE unique_key = ?1 AND ` + sqliteUniqueCase

// sqliteInserter holds the two statements, prepared on first use.
type sqliteInserter struct {
	db          *sql.DB
	maxAttempts int

	// mu guards the statements, prepared by the first insert that
	// succeeds in preparing them: a failure (the database busy or away)
	// is tried again by the next insert, not remembered.
	mu       sync.Mutex
	insert   *sql.Stmt
	existing *sql.Stmt
}

func (s *sqliteInserter) prepare(ctx context.Context) (insert, existing *sql.Stmt, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.insert == nil {
		if s.insert, err = s.db.PrepareContext(ctx, sqliteInsertJob); err != nil {
			return nil, nil, err
		}
	}
	if s.existing == nil {
		if s.existing, err = s.db.PrepareContext(ctx, sqliteExistingJob); err != nil {
			return nil, nil, err
		}
	}
	return s.insert, s.existing, nil
}

// insertJobs encodes and inserts the jobs in one transaction (see
// insertRows).
func (s *sqliteInserter) insertJobs(ctx context.Context, jobs []job.Job) ([]int64, []bool, error) {
	rows := make([]encodedJob, len(jobs))
	for i, a := range jobs {
		r, err := rowFor(a)
		if err != nil {
			return nil, nil, fmt.Errorf("encode job: %w", err)
		}
		rows[i] = r
	}
	return s.insertRows(ctx, rows)
}

// insertRows inserts the rows in one transaction. It returns each job's id
// and whether an equal job was there already, or an error for the whole
// batch (then nothing was inserted).
func (s *sqliteInserter) insertRows(ctx context.Context, rows []encodedJob) ([]int64, []bool, error) {
	insertStmt, existingStmt, err := s.prepare(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare the job insert: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	insert, existing := tx.StmtContext(ctx, insertStmt), tx.StmtContext(ctx, existingStmt)
	ids := make([]int64, len(rows))
	dups := make([]bool, len(rows))
	for i, r := range rows {
		err := insert.QueryRowContext(ctx, r.args, job.Kind, s.maxAttempts, river.PriorityDefault, river.QueueDefault, r.tags, r.uniqueKey, uniqueStatesMask).Scan(&ids[i])
		if errors.Is(err, sql.ErrNoRows) {
			dups[i] = true
			err = existing.QueryRowContext(ctx, r.uniqueKey).Scan(&ids[i])
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, err
	}
	return ids, dups, nil
}
