// Package storetest gives tests a fresh, isolated database on each backend
// the app supports, so one suite runs unchanged against SQLite and Postgres.
package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvPostgresURL names the environment variable holding the Postgres server
// the Postgres tests use. It is a postgres:// URL; each test gets its own
// schema on it.
const EnvPostgresURL = "CODEX_TEST_DATABASE_URL"

// Backend is one database the suite runs against.
type Backend struct {
	// Name is the subtest name: "sqlite" or "postgres".
	Name string
	// URL returns a CODEX_DATABASE_URL for a new, empty database that is
	// removed when the test ends. It skips the test when the backend is not
	// available.
	URL func(tb testing.TB) string
}

// Backends lists SQLite (always available) and Postgres.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", URL: SQLiteURL},
		{Name: "postgres", URL: PostgresURL},
	}
}

// Run runs fn once per backend as a subtest, each with a fresh database URL.
func Run(t *testing.T, fn func(t *testing.T, databaseURL string)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, b.URL(t))
		})
	}
}

// SQLiteURL returns the path of a SQLite file in a temporary directory.
func SQLiteURL(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "codex-review.db")
}

// PostgresURL creates a schema on the server named by EnvPostgresURL and
// returns a URL whose search_path selects it; the schema is dropped at the
// end of the test. Separate schemas keep parallel test runs (and River's
// leader election and notifications, which are per schema) apart. Without
// the variable the test is skipped.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		tb.Skipf("Postgres tests skipped: set %s to a postgres:// URL (for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvPostgresURL)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("%s must be a postgres:// URL", EnvPostgresURL)
	}
	schema := "codex_test_" + strings.ToLower(rand.Text()[:12])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvPostgresURL, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		if err := dropSchema(base, schema); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})

	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func dropSchema(base, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		return fmt.Errorf("drop: %w", err)
	}
	return nil
}
