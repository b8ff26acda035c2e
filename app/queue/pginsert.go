package queue

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/codex-review/codex-review/app/job"
)

// The batch insert on Postgres. River's InsertMany runs a batch as a
// transaction of four round trips to the server (begin, the insert, the
// notification that wakes the producers, commit), and at full intake each
// round trip waits for the server process to be scheduled on a busy
// machine, with every caller of the batch waiting behind it. Here the
// whole batch goes in one round trip: one multi-row insert (one statement
// per job cost the server a statement's overhead per job) and the
// notification, pipelined with pgx and run in one implicit transaction,
// which commits at its end (all or nothing).
//
// Like the SQLite insert (sqliteinsert.go) it writes River's river_job
// table directly, columns of River v0.47 (pinned in go.mod), with River's
// unique key, and answers a conflict the way River does: it touches the
// existing row and returns it, (xmax != 0) telling the two apart.
// TestOwnInsertAgreesWithRiver holds it in step with River's insert, and
// the notification is River's own (topic river_insert of the schema,
// payload naming the queue), so workers of every replica start new jobs
// as soon as they did.

// pgInsertJobs inserts a batch of available jobs in one statement, or
// finds the ones they duplicate. The batch holds distinct unique keys (the
// intake merges equal jobs first), which is also how the answers, in no
// particular order, are matched to the jobs.
const pgInsertJobs = `INSERT INTO river_job (
	args, created_at, kind, max_attempts, metadata, priority, queue,
	scheduled_at, state, tags, unique_key, unique_states
)
SELECT j.args, now(), $4, $5, '{}'::jsonb, $6, $7,
	now(), 'available', string_to_array(j.tags, ',')::varchar(255)[], j.unique_key, $8::integer::bit(8)
FROM unnest($1::jsonb[], $2::text[], $3::bytea[]) AS j(args, tags, unique_key)
ON CONFLICT (unique_key)
	WHERE unique_key IS NOT NULL
		AND unique_states IS NOT NULL
		AND river_job_state_in_bitmask(unique_states, state)
	DO UPDATE SET kind = EXCLUDED.kind
RETURNING id, (xmax != 0), unique_key`

// pgNotifyInsert wakes the producers listening for new jobs in the queue,
// as River's client does after an insert.
const pgNotifyInsert = `SELECT pg_notify(concat(coalesce($1::text, current_schema()), '.', 'river_insert'), $2)`

// pgInserter inserts batches of jobs on Postgres.
type pgInserter struct {
	pool        *pgxpool.Pool
	schema      string
	maxAttempts int
}

// insertRows inserts the rows in one transaction. It returns each job's id
// and whether an equal job was there already, or an error for the whole
// batch (then nothing was inserted).
func (p *pgInserter) insertRows(ctx context.Context, rows []encodedJob) ([]int64, []bool, error) {
	// One row per unique key: a statement cannot insert a row and then
	// find it as a conflict. A job that comes again in the batch is its
	// first's duplicate.
	var (
		args  []string
		tags  []string
		keys  [][]byte
		slot  = make(map[string]int, len(rows)) // unique key → index in args
		first = make([]int, len(rows))          // row → its first row
	)
	for i, r := range rows {
		if j, ok := slot[string(r.uniqueKey)]; ok {
			first[i] = j
			continue
		}
		first[i] = i
		slot[string(r.uniqueKey)] = i
		args, tags, keys = append(args, string(r.args)), append(tags, strings.Join(r.tagList, ",")), append(keys, r.uniqueKey)
	}
	var b pgx.Batch
	b.Queue(pgInsertJobs, args, tags, keys, job.Kind, p.maxAttempts, river.PriorityDefault, river.QueueDefault, uniqueStatesMask)
	b.Queue(pgNotifyInsert, pgtype.Text{String: p.schema, Valid: p.schema != ""}, fmt.Sprintf("{\"queue\": %q}", river.QueueDefault))
	ids := make([]int64, len(rows))
	dups := make([]bool, len(rows))
	seen := 0
	br := p.pool.SendBatch(ctx, &b)
	res, err := br.Query()
	if err == nil {
		for res.Next() {
			var (
				id  int64
				dup bool
				key []byte
			)
			if err = res.Scan(&id, &dup, &key); err != nil {
				break
			}
			i, ok := slot[string(key)]
			if !ok {
				err = fmt.Errorf("the insert returned job %d, which is not in the batch", id)
				break
			}
			ids[i], dups[i] = id, dup
			seen++
		}
		res.Close()
		if err == nil {
			err = res.Err()
		}
	}
	if err == nil {
		_, err = br.Exec()
	}
	// Close reads to the end of the batch: only then has it committed.
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && seen != len(keys) {
		err = fmt.Errorf("the insert answered for %d of %d jobs", seen, len(keys))
	}
	if err != nil {
		return nil, nil, err
	}
	for i, j := range first {
		if j != i {
			ids[i], dups[i] = ids[j], true
		}
	}
	return ids, dups, nil
}
