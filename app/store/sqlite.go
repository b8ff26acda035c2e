package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
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
var sqlitePragmas = []struct{ name, value string }{
	{"busy_timeout", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeoutMS)},
	{"foreign_keys", "foreign_keys(1)"},
	{"journal_mode", "journal_mode(WAL)"},
	{"synchronous", "synchronous(NORMAL)"},
}

// sqliteDSN turns a CODEX_DATABASE_URL that is not a Postgres URL into a
// DSN for modernc.org/sqlite: a plain path, `sqlite://path` (so
// `sqlite:///abs/file.db` is an absolute path), or a `file:` URI. Query
// parameters the URL carries are kept, and the defaults above fill in the
// pragmas it does not set. The driver takes the parameters the same way for
// paths and URIs (for a URI, SQLite itself ignores the ones it does not know).
func sqliteDSN(raw string) (string, error) {
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
	for _, p := range sqlitePragmas {
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
	// database/sql instead of failing with SQLITE_BUSY; the app's own queries
	// are short and share it. The connection is kept for the life of the
	// process, so per-connection pragmas are applied once.
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	db := &DB{dialect: SQLite, sql: sqlDB}
	if err := db.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", raw, err)
	}
	return db, nil
}
