package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// migration is one numbered step of the app's own schema. Each dialect has
// its own statements because the column types differ (jsonb and timestamptz
// on Postgres, TEXT on SQLite).
type migration struct {
	version  int
	name     string
	sqlite   []string
	postgres []string
}

// migrations are applied in order and recorded in codex_migrations. Never
// edit or renumber a released step; add a new one.
var migrations = []migration{
	{
		version: 1,
		name:    "create reviews",
		sqlite: []string{
			`CREATE TABLE reviews (
				id TEXT PRIMARY KEY,
				status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
				repo TEXT NOT NULL,
				pr_number INTEGER NOT NULL,
				head_sha TEXT NOT NULL DEFAULT '',
				pull_request_url TEXT NOT NULL,
				request TEXT NOT NULL CHECK (json_valid(request)),
				result TEXT CHECK (result IS NULL OR json_valid(result)),
				error TEXT NOT NULL DEFAULT '',
				created_at TEXT NOT NULL,
				updated_at TEXT NOT NULL
			)`,
			`CREATE INDEX reviews_pull_request_url_created_at_idx ON reviews (pull_request_url, created_at)`,
		},
		postgres: []string{
			`CREATE TABLE reviews (
				id text PRIMARY KEY,
				status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
				repo text NOT NULL,
				pr_number bigint NOT NULL,
				head_sha text NOT NULL DEFAULT '',
				pull_request_url text NOT NULL,
				request jsonb NOT NULL,
				result jsonb,
				error text NOT NULL DEFAULT '',
				created_at timestamptz NOT NULL,
				updated_at timestamptz NOT NULL
			)`,
			`CREATE INDEX reviews_pull_request_url_created_at_idx ON reviews (pull_request_url, created_at)`,
		},
	},
	{
		// The REST API cancels a review through its queue job, tells callers
		// why a review failed with a stable code, lists reviews across pull
		// requests newest first, and prunes finished ones by age.
		version: 2,
		name:    "reviews: job id, error code, list and retention indexes",
		sqlite: []string{
			`ALTER TABLE reviews ADD COLUMN job_id INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE reviews ADD COLUMN error_code TEXT NOT NULL DEFAULT ''`,
			`CREATE INDEX reviews_created_at_idx ON reviews (created_at)`,
			`CREATE INDEX reviews_updated_at_idx ON reviews (updated_at)`,
		},
		postgres: []string{
			`ALTER TABLE reviews ADD COLUMN job_id bigint NOT NULL DEFAULT 0`,
			`ALTER TABLE reviews ADD COLUMN error_code text NOT NULL DEFAULT ''`,
			`CREATE INDEX reviews_created_at_idx ON reviews (created_at)`,
			`CREATE INDEX reviews_updated_at_idx ON reviews (updated_at)`,
		},
	},
	{
		// Conversations and memory (issue 14): learnings a repository's
		// maintainers stored with "@codex remember", findings dismissed on
		// a pull request (a resolved thread, "@codex ignore"), and the
		// reaction counts last read on the app's comments, from which the
		// feedback metrics count what changed.
		version: 3,
		name:    "learnings, dismissals and comment feedback",
		sqlite: []string{
			`CREATE TABLE learnings (
				id TEXT PRIMARY KEY,
				repo TEXT NOT NULL,
				repo_key TEXT NOT NULL,
				text TEXT NOT NULL,
				author TEXT NOT NULL,
				pr_number INTEGER NOT NULL DEFAULT 0,
				comment_id INTEGER NOT NULL DEFAULT 0,
				source_url TEXT NOT NULL DEFAULT '',
				created_at TEXT NOT NULL
			)`,
			`CREATE INDEX learnings_repo_key_created_at_idx ON learnings (repo_key, created_at)`,
			`CREATE UNIQUE INDEX learnings_repo_key_comment_id_idx ON learnings (repo_key, comment_id) WHERE comment_id <> 0`,
			`CREATE TABLE dismissals (
				repo_key TEXT NOT NULL,
				pr_number INTEGER NOT NULL,
				comment_id INTEGER NOT NULL,
				reason TEXT NOT NULL CHECK (reason IN ('resolved', 'ignored')),
				actor TEXT NOT NULL,
				fingerprint TEXT NOT NULL DEFAULT '',
				created_at TEXT NOT NULL,
				PRIMARY KEY (repo_key, pr_number, comment_id, reason)
			)`,
			`CREATE TABLE comment_feedback (
				repo_key TEXT NOT NULL,
				comment_id INTEGER NOT NULL,
				pr_number INTEGER NOT NULL,
				review_id INTEGER NOT NULL,
				area TEXT NOT NULL,
				priority INTEGER NOT NULL,
				plus_one INTEGER NOT NULL,
				minus_one INTEGER NOT NULL,
				updated_at TEXT NOT NULL,
				PRIMARY KEY (repo_key, comment_id)
			)`,
			`CREATE INDEX comment_feedback_review_id_idx ON comment_feedback (review_id)`,
		},
		postgres: []string{
			`CREATE TABLE learnings (
				id text PRIMARY KEY,
				repo text NOT NULL,
				repo_key text NOT NULL,
				text text NOT NULL,
				author text NOT NULL,
				pr_number bigint NOT NULL DEFAULT 0,
				comment_id bigint NOT NULL DEFAULT 0,
				source_url text NOT NULL DEFAULT '',
				created_at timestamptz NOT NULL
			)`,
			`CREATE INDEX learnings_repo_key_created_at_idx ON learnings (repo_key, created_at)`,
			`CREATE UNIQUE INDEX learnings_repo_key_comment_id_idx ON learnings (repo_key, comment_id) WHERE comment_id <> 0`,
			`CREATE TABLE dismissals (
				repo_key text NOT NULL,
				pr_number bigint NOT NULL,
				comment_id bigint NOT NULL,
				reason text NOT NULL CHECK (reason IN ('resolved', 'ignored')),
				actor text NOT NULL,
				fingerprint text NOT NULL DEFAULT '',
				created_at timestamptz NOT NULL,
				PRIMARY KEY (repo_key, pr_number, comment_id, reason)
			)`,
			`CREATE TABLE comment_feedback (
				repo_key text NOT NULL,
				comment_id bigint NOT NULL,
				pr_number bigint NOT NULL,
				review_id bigint NOT NULL,
				area text NOT NULL,
				priority integer NOT NULL,
				plus_one integer NOT NULL,
				minus_one integer NOT NULL,
				updated_at timestamptz NOT NULL,
				PRIMARY KEY (repo_key, comment_id)
			)`,
			`CREATE INDEX comment_feedback_review_id_idx ON comment_feedback (review_id)`,
		},
	},
	{
		// A running review job holds a lease that it renews while it runs,
		// so that the job of a process that died is run again within the
		// lease instead of after River's rescue horizon; the lease is keyed
		// by pull request, so one pull request is worked on by one job at a
		// time across workers and replicas. /readyz proves that the database
		// takes writes by committing a row to codex_write_probes.
		version: 4,
		name:    "job leases and write probes",
		sqlite: []string{
			`CREATE TABLE codex_job_leases (
				lock_key TEXT PRIMARY KEY,
				job_id INTEGER NOT NULL,
				attempt INTEGER NOT NULL,
				owner TEXT NOT NULL,
				expires_at TEXT NOT NULL
			)`,
			`CREATE INDEX codex_job_leases_job_id_idx ON codex_job_leases (job_id)`,
			`CREATE TABLE codex_write_probes (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				at TEXT NOT NULL
			)`,
		},
		postgres: []string{
			`CREATE TABLE codex_job_leases (
				lock_key text PRIMARY KEY,
				job_id bigint NOT NULL,
				attempt integer NOT NULL,
				owner text NOT NULL,
				expires_at timestamptz NOT NULL
			)`,
			`CREATE INDEX codex_job_leases_job_id_idx ON codex_job_leases (job_id)`,
			`CREATE TABLE codex_write_probes (
				id bigserial PRIMARY KEY,
				at timestamptz NOT NULL
			)`,
		},
	},
	{
		// River indexes every job's args and metadata with GIN. A GIN
		// index gathers new entries in a pending list and merges the list
		// into the index once it passes gin_pending_list_limit (4 MB by
		// default), in whichever insert crosses it, unless autovacuum got
		// there first: at full intake one insert in a few thousand took
		// 70-125 ms, and every webhook of its batch waited (BenchmarkIntake
		// with the statement log on; max latency 135 ms). With a 128 kB
		// list the merges are 32 times smaller and as many times more
		// frequent, the same work in all, and the worst delivery took
		// 28-36 ms. It is a storage setting of River's indexes, not a
		// change of their definition.
		version: 5,
		name:    "River's GIN indexes merge small pending lists",
		sqlite:  nil,
		postgres: []string{
			`ALTER INDEX river_job_args_index SET (gin_pending_list_limit = 128)`,
			`ALTER INDEX river_job_metadata_index SET (gin_pending_list_limit = 128)`,
		},
	},
}

// migrate brings River's tables and the app's tables up to date.
func (db *DB) migrate(ctx context.Context) error {
	if db.dialect == Postgres {
		// Replicas starting together would race to apply the same steps; a
		// session advisory lock, keyed by schema, lets one do it while the
		// others wait and then find nothing left to do.
		unlock, err := db.lockMigrations(ctx)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if err := db.migrateRiver(ctx); err != nil {
		return err
	}
	return db.migrateApp(ctx)
}

func (db *DB) migrateRiver(ctx context.Context) error {
	cfg := &rivermigrate.Config{Schema: db.schema}
	var err error
	switch db.dialect {
	case Postgres:
		var m *rivermigrate.Migrator[pgx.Tx]
		if m, err = rivermigrate.New(riverpgxv5.New(db.pool), cfg); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	case SQLite:
		var m *rivermigrate.Migrator[*sql.Tx]
		if m, err = rivermigrate.New(riversqlite.New(db.sql), cfg); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	if err != nil {
		return fmt.Errorf("migrate river tables on %s: %w", db.dialect, err)
	}
	return nil
}

func (db *DB) lockMigrations(ctx context.Context) (unlock func(), err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock migrations: acquire connection: %w", err)
	}
	key := "codex-review migrations " + db.schema
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", key); err != nil {
		conn.Release()
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	return func() {
		// Unlock even when ctx is done; if that fails, close the connection
		// rather than return it to the pool still holding the lock.
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(unlockCtx, "SELECT pg_advisory_unlock(hashtext($1))", key); err != nil {
			_ = conn.Conn().Close(unlockCtx)
		}
		conn.Release()
	}, nil
}

func (db *DB) migrateApp(ctx context.Context) error {
	create := `CREATE TABLE IF NOT EXISTS codex_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`
	if _, err := db.sql.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create codex_migrations: %w", err)
	}
	for _, m := range migrations {
		if err := db.applyMigration(ctx, m); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// applyMigration runs one step in a transaction unless it is recorded
// already. The check is inside the transaction so that two processes on one
// SQLite file (whose transactions start with BEGIN IMMEDIATE) cannot both
// apply it.
func (db *DB) applyMigration(ctx context.Context, m migration) (err error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	var n int
	if err := tx.QueryRowContext(ctx, db.rebind("SELECT count(*) FROM codex_migrations WHERE version = ?"), m.version).Scan(&n); err != nil {
		return fmt.Errorf("check applied: %w", err)
	}
	if n > 0 {
		return tx.Rollback()
	}
	stmts := m.sqlite
	if db.dialect == Postgres {
		stmts = m.postgres
	}
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
	}
	record := db.rebind("INSERT INTO codex_migrations (version, name, applied_at) VALUES (?, ?, ?)")
	if _, err := tx.ExecContext(ctx, record, m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}
