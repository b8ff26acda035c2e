package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// sqliteBusyTimeoutMS is how long a statement waits for another connection's
// write lock before failing with SQLITE_BUSY. Writes here take milliseconds;
// the margin covers a second process (a backup, the sqlite3 shell, a second
// replica started by mistake) holding the lock briefly.
const sqliteBusyTimeoutMS = 10_000

// sqlitePragmas are applied to every connection unless the URL sets the same
// pragma itself:
//   - journal_mode(WAL): readers never block the writer and a crash (kill -9)
//     loses nothing that was committed.
//   - synchronous(NORMAL): with WAL this survives process crashes; only an OS
//     crash or power loss can roll back the last commits. Deployments that
//     need more set `_pragma=synchronous(FULL)` in the URL.
//   - foreign_keys(1): SQLite leaves them off unless asked.
//   - busy_timeout: see sqliteBusyTimeoutMS.
//   - wal_autocheckpoint(0): a checkpoint copies the WAL into the database
//     file and syncs both to disk, which can take a long time on a busy
//     disk; left automatic, it runs inside whichever commit crosses the
//     threshold, and a webhook waits for the disk. A goroutine of the DB
//     runs them instead (sqliteCheckpointEvery), beside the writer.
var sqlitePragmas = []struct{ name, value string }{
	{"busy_timeout", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeoutMS)},
	{"foreign_keys", "foreign_keys(1)"},
	{"journal_mode", "journal_mode(WAL)"},
	{"synchronous", "synchronous(NORMAL)"},
	{"wal_autocheckpoint", "wal_autocheckpoint(0)"},
}

// sqliteCheckpointEvery is how often the DB's own connection checkpoints
// the WAL (PASSIVE: it never waits for, nor blocks, readers and the
// writer).
const sqliteCheckpointEvery = time.Second

// sqliteReaders is how many read-only connections serve reads beside the
// writer.
const sqliteReaders = 4

// sqliteDSN turns a CODEX_DATABASE_URL that is not a Postgres URL into a
// DSN for modernc.org/sqlite: a plain path, `sqlite://path` (so
// `sqlite:///abs/file.db` is an absolute path), or a `file:` URI. Query
// parameters the URL carries are kept, and the defaults above fill in the
// pragmas it does not set. The driver takes the parameters the same way for
// paths and URIs (for a URI, SQLite itself ignores the ones it does not know).
func sqliteDSN(raw string) (string, error) {
	return sqliteDSNWith(raw, sqlitePragmas)
}

// sqliteReadDSN is the DSN of the read-only connections: the writer's
// settings, but query_only, and no journal mode (the writer has set WAL,
// which the file keeps).
func sqliteReadDSN(raw string) (string, error) {
	return sqliteDSNWith(raw, append(sqliteSideConnPragmas(), struct{ name, value string }{"query_only", "query_only(1)"}))
}

// sqliteCheckpointDSN is the DSN of the connection that checkpoints.
func sqliteCheckpointDSN(raw string) (string, error) {
	return sqliteDSNWith(raw, sqliteSideConnPragmas())
}

func sqliteSideConnPragmas() []struct{ name, value string } {
	var pragmas []struct{ name, value string }
	for _, p := range sqlitePragmas {
		if p.name != "journal_mode" {
			pragmas = append(pragmas, p)
		}
	}
	return pragmas
}

func sqliteDSNWith(raw string, pragmas []struct{ name, value string }) (string, error) {
	if rest, ok := strings.CutPrefix(raw, "sqlite://"); ok {
		raw = rest
	}
	path, query, _ := strings.Cut(raw, "?")
	if path == "" || path == "file:" {
		return "", fmt.Errorf("sqlite database URL %q: no file path", raw)
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("sqlite database URL %q: parse parameters: %w", raw, err)
	}
	set := map[string]bool{}
	for _, p := range params["_pragma"] {
		set[pragmaName(p)] = true
	}
	for _, p := range pragmas {
		if !set[p.name] {
			params.Add("_pragma", p.value)
		}
	}
	// BEGIN IMMEDIATE takes the write lock when a transaction starts, so a
	// transaction that reads and then writes waits on busy_timeout instead of
	// failing with SQLITE_BUSY halfway, when another connection (another
	// process on the same file) is writing.
	if params.Get("_txlock") == "" {
		params.Set("_txlock", "immediate")
	}
	return path + "?" + params.Encode(), nil
}

// pragmaName extracts the pragma's name from a `_pragma` value such as
// `busy_timeout(5000)` or `journal_mode=WAL`.
func pragmaName(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	if i := strings.IndexAny(p, "(= "); i >= 0 {
		p = p[:i]
	}
	return p
}

func openSQLite(ctx context.Context, raw string) (*DB, error) {
	dsn, err := sqliteDSN(raw)
	if err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", raw, err)
	}
	// SQLite has one writer at a time. River's SQLite driver asks for a
	// single connection so that its concurrent internal operations queue in
	// database/sql instead of waiting in SQLite's busy handler, which sleeps
	// for milliseconds at a time; the app's writes share it, and its reads
	// go to a pool of read-only connections (below). The connection is kept
	// for the life of the process, so per-connection pragmas are applied
	// once.
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	db := &DB{dialect: SQLite, sql: sqlDB, read: sqlDB}
	if err := db.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", raw, err)
	}
	// Readers open once the writer has created the file and set WAL.
	readDSN, err := sqliteReadDSN(raw)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	readDB, err := sql.Open("sqlite", readDSN)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", raw, err)
	}
	readDB.SetMaxOpenConns(sqliteReaders)
	readDB.SetMaxIdleConns(sqliteReaders)
	db.read = readDB
	if err := readDB.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", raw, err)
	}
	if err := db.startCheckpoints(ctx, raw); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// startCheckpoints opens the checkpointing connection and starts its
// goroutine, which Close stops.
func (db *DB) startCheckpoints(ctx context.Context, raw string) error {
	dsn, err := sqliteCheckpointDSN(raw)
	if err != nil {
		return err
	}
	ckpt, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("open sqlite %s for checkpoints: %w", raw, err)
	}
	ckpt.SetMaxOpenConns(1)
	if err := ckpt.PingContext(ctx); err != nil {
		ckpt.Close()
		return fmt.Errorf("open sqlite %s for checkpoints: %w", raw, err)
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	db.stopCheckpoints = func() error {
		cancel()
		<-done
		return ckpt.Close()
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(sqliteCheckpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-loopCtx.Done():
				return
			case <-tick.C:
			}
			// A failed checkpoint is tried again next time; the WAL grows
			// meanwhile, and nothing is lost.
			_, _ = ckpt.ExecContext(loopCtx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}()
	return nil
}
