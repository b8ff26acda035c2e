// Package store opens the app's database — an embedded SQLite file by
// default, Postgres for deployments with several replicas — and brings its
// schema up to date: River's queue tables and the app's own tables, such as
// the reviews the REST API keeps.
//
// The same code runs on both databases. Queries are written once with `?`
// placeholders and rewritten to Postgres's `$n` form where needed.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	// The pure-Go SQLite driver registers itself as "sqlite"; no cgo.
	_ "modernc.org/sqlite"
)

// DefaultURL is the database used when CODEX_DATABASE_URL is empty: a SQLite
// file in the working directory.
const DefaultURL = "codex-review.db"

// DefaultConnectTimeout bounds each new PostgreSQL connection (TCP, TLS and
// the start-up handshake) unless the URL sets connect_timeout. Local and
// cloud databases answer in milliseconds; ten seconds leaves room for a slow
// network without leaving a misconfigured server waiting silently.
const DefaultConnectTimeout = 10 * time.Second

// Dialect names the database behind a DB.
type Dialect int

const (
	// SQLite is an embedded database file opened with modernc.org/sqlite.
	SQLite Dialect = iota + 1
	// Postgres is a server reached through a pgx connection pool.
	Postgres
)

// String returns the dialect's name for logs and errors.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	default:
		return fmt.Sprintf("dialect(%d)", int(d))
	}
}

// DB is an open, migrated database.
type DB struct {
	dialect Dialect
	// sql serves the app's own queries on both dialects; on Postgres it is a
	// database/sql view of pool, so both share one set of connections.
	sql *sql.DB
	// read serves read-only queries. On SQLite it is a pool of read-only
	// connections beside the single writer (SQLite's WAL lets readers run
	// while it writes), so that reads never queue behind the queue's writes;
	// on Postgres it is sql.
	read   *sql.DB
	pool   *pgxpool.Pool
	schema string
	// stopCheckpoints ends SQLite's WAL checkpoints (sqlite.go); nil on
	// Postgres.
	stopCheckpoints func() error
}

// Open connects to databaseURL and migrates it. A `postgres://` or
// `postgresql://` URL selects Postgres; anything else is a SQLite database:
// a file path, `sqlite://path`, or a `file:` URI. An empty URL means
// DefaultURL.
//
// On Postgres, the first entry of a `search_path` URL parameter (for example
// `?search_path=codex`) is the schema that holds every table, River's
// included; without one, the server's default search path applies.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	if databaseURL == "" {
		databaseURL = DefaultURL
	}
	var (
		db  *DB
		err error
	)
	if isPostgresURL(databaseURL) {
		db, err = openPostgres(ctx, databaseURL)
	} else {
		db, err = openSQLite(ctx, databaseURL)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Describe names the database a URL points at, for logs: the dialect and
// the server address or file, never the user name or password.
func Describe(databaseURL string) string {
	if databaseURL == "" {
		databaseURL = DefaultURL
	}
	if !isPostgresURL(databaseURL) {
		path, _, _ := strings.Cut(strings.TrimPrefix(databaseURL, "sqlite://"), "?")
		return "sqlite file " + path
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "postgres (malformed URL)"
	}
	return "postgres at " + u.Host + u.Path
}

func isPostgresURL(u string) bool {
	lower := strings.ToLower(u)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// schemaNameRE is the schema names River accepts (it rejects anything that
// would need quoting).
var schemaNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

func openPostgres(ctx context.Context, databaseURL string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's message can echo the URL, password included; keep only the cause.
		return nil, errors.New("parse postgres URL: malformed connection string")
	}
	schema, err := schemaFromSearchPath(cfg.ConnConfig.RuntimeParams["search_path"])
	if err != nil {
		return nil, err
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without a bound, an address that accepts TCP but never speaks
		// PostgreSQL (a wrong port, a proxy with nothing behind it) would
		// hang the start for ever, and every later connection attempt too.
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		addr := fmt.Sprintf("%s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port)
		if pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("connect to postgres at %s: no PostgreSQL session within %s (connect_timeout): check that PostgreSQL listens at that address; set connect_timeout (seconds) in CODEX_DATABASE_URL to wait longer: %w",
				addr, cfg.ConnConfig.ConnectTimeout, err)
		}
		return nil, fmt.Errorf("connect to postgres at %s: %w", addr, err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	return &DB{dialect: Postgres, sql: sqlDB, read: sqlDB, pool: pool, schema: schema}, nil
}

// schemaFromSearchPath picks the schema River should use from a search_path
// setting: its first entry, unless that is the `$user` placeholder.
func schemaFromSearchPath(searchPath string) (string, error) {
	first, _, _ := strings.Cut(searchPath, ",")
	first = strings.Trim(strings.TrimSpace(first), `"`)
	if first == "" || first == "$user" {
		return "", nil
	}
	if !schemaNameRE.MatchString(first) {
		return "", fmt.Errorf("postgres search_path schema %q: only letters, digits and underscores are supported", first)
	}
	return first, nil
}

// Dialect reports which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL returns the database/sql handle. On Postgres it shares the pgx pool's
// connections, and closing it is the DB's job, not the caller's.
func (db *DB) SQL() *sql.DB { return db.sql }

// Pool returns the pgx pool on Postgres and nil on SQLite. River's Postgres
// driver needs the pool itself rather than a database/sql handle.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Schema is the Postgres schema that holds the tables, or "" for the default
// search path (and always "" on SQLite).
func (db *DB) Schema() string { return db.schema }

// Ping checks that the database answers a query; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping %s: %w", db.dialect, err)
	}
	return nil
}

// CheckWritable proves that the database takes writes now, as a webhook's
// enqueue needs: it commits a new row to a small table (a full disk, a
// read-only replica or a lost write lock fail it where a SELECT would not)
// and drops the rows before it.
func (db *DB) CheckWritable(ctx context.Context) (err error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write check on %s: begin: %w", db.dialect, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	var id int64
	if err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO codex_write_probes (at) VALUES (?) RETURNING id`), db.timeArg(time.Now())).Scan(&id); err != nil {
		return fmt.Errorf("write check on %s: insert: %w", db.dialect, err)
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM codex_write_probes WHERE id < ?`), id); err != nil {
		return fmt.Errorf("write check on %s: delete: %w", db.dialect, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write check on %s: commit: %w", db.dialect, err)
	}
	return nil
}

// Close releases the database. Close anything built on it (the queue) first.
func (db *DB) Close() error {
	var err error
	if db.stopCheckpoints != nil {
		err = db.stopCheckpoints()
	}
	err = errors.Join(err, db.sql.Close())
	if db.read != db.sql {
		err = errors.Join(err, db.read.Close())
	}
	if db.pool != nil {
		db.pool.Close()
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", db.dialect, err)
	}
	return nil
}

// rebind rewrites a query written with `?` placeholders for the dialect.
// Queries in this package never contain a literal question mark.
func (db *DB) rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
