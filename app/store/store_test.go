package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, ctx context.Context, databaseURL string) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, databaseURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestOpenMigratesOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		ctx := testContext(t)
		first := open(t, ctx, databaseURL)
		// A second Open of the same database (a restart, or another replica)
		// finds everything applied.
		second := open(t, ctx, databaseURL)
		for _, db := range []*store.DB{first, second} {
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		}
		var versions int
		if err := second.SQL().QueryRowContext(ctx, "SELECT count(*) FROM codex_migrations").Scan(&versions); err != nil {
			t.Fatalf("count codex_migrations: %v", err)
		}
		if versions != 5 {
			t.Errorf("codex_migrations has %d rows, want 5", versions)
		}
		var jobs int
		if err := second.SQL().QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&jobs); err != nil {
			t.Fatalf("River's tables are missing: %v", err)
		}
	})
}

func TestOpenSQLiteSettings(t *testing.T) {
	ctx := testContext(t)
	db := open(t, ctx, "sqlite://"+storetest.SQLiteURL(t))
	if db.Dialect() != store.SQLite || db.Pool() != nil || db.Schema() != "" {
		t.Fatalf("dialect %v, pool %v, schema %q; want sqlite, nil, empty", db.Dialect(), db.Pool(), db.Schema())
	}
	tests := []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"synchronous", "1"}, // NORMAL
	}
	for _, tt := range tests {
		var got string
		if err := db.SQL().QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
		}
	}
}

func TestOpenPostgresSchema(t *testing.T) {
	ctx := testContext(t)
	databaseURL := storetest.PostgresURL(t)
	db := open(t, ctx, databaseURL)
	if db.Dialect() != store.Postgres || db.Pool() == nil {
		t.Fatalf("dialect %v, pool %v; want postgres with a pool", db.Dialect(), db.Pool())
	}
	if !strings.HasPrefix(db.Schema(), "codex_test_") {
		t.Fatalf("Schema() = %q, want the test schema", db.Schema())
	}
	var tables int
	err := db.SQL().QueryRowContext(ctx,
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('reviews', 'codex_migrations', 'river_job')`,
		db.Schema()).Scan(&tables)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	if tables != 3 {
		t.Errorf("found %d of the 3 tables in schema %s", tables, db.Schema())
	}

	// River's GIN indexes merge small pending lists (migration 5).
	for _, index := range []string{"river_job_args_index", "river_job_metadata_index"} {
		var options string
		err := db.SQL().QueryRowContext(ctx,
			`SELECT coalesce(array_to_string(c.reloptions, ','), '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
			db.Schema(), index).Scan(&options)
		if err != nil {
			t.Fatalf("%s options: %v", index, err)
		}
		if !slices.Contains(strings.Split(options, ","), "gin_pending_list_limit=128") {
			t.Errorf("%s options %q, want gin_pending_list_limit=128", index, options)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := testContext(t)
	// want pins the reason: a refused connection must not pass for the
	// schema check.
	tests := []struct{ name, url, want string }{
		{"sqlite directory that does not exist", "sqlite://" + t.TempDir() + "/missing/dir/x.db", ""},
		{"postgres with an invalid schema", "postgres://u@127.0.0.1:1/db?search_path=bad-name", "search_path"},
		{"malformed postgres URL", "postgres://%zz", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.Open(ctx, tt.url)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.url)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%q) = %v, want an error about %s", tt.url, err, tt.want)
			}
		})
	}
}

func TestReviews(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		ctx := testContext(t)
		reviews := open(t, ctx, databaseURL).Reviews()
		prURL := "https://github.com/o/r/pull/7"

		first := store.Review{Repo: "o/r", PRNumber: 7, HeadSHA: "aaa", PullRequestURL: prURL,
			Request: json.RawMessage(`{"focus_areas":["security"]}`)}
		if err := reviews.Create(ctx, &first); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if !strings.HasPrefix(first.ID, "rev_") || first.Status != store.StatusQueued || first.CreatedAt.IsZero() {
			t.Fatalf("Create did not fill id, status and time: %+v", first)
		}
		got, err := reviews.Get(ctx, first.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		assertReview(t, got, first)

		second := store.Review{Repo: "o/r", PRNumber: 7, HeadSHA: "bbb", PullRequestURL: prURL}
		if err := reviews.Create(ctx, &second); err != nil {
			t.Fatalf("Create second: %v", err)
		}
		other := store.Review{Repo: "o/r", PRNumber: 8, PullRequestURL: "https://github.com/o/r/pull/8"}
		if err := reviews.Create(ctx, &other); err != nil {
			t.Fatalf("Create other: %v", err)
		}
		listed, err := reviews.List(ctx, store.ListOptions{PullRequestURL: prURL, Limit: 10})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(listed) != 2 || listed[0].ID != second.ID || listed[1].ID != first.ID {
			t.Fatalf("List = %v, want [%s %s] (newest first)", ids(listed), second.ID, first.ID)
		}
		if listed, _ := reviews.List(ctx, store.ListOptions{PullRequestURL: prURL, Limit: 1}); len(listed) != 1 {
			t.Errorf("limit 1 returned %d reviews", len(listed))
		}

		if err := reviews.UpdateStatus(ctx, first.ID, store.StatusRunning, ""); err != nil {
			t.Fatalf("UpdateStatus running: %v", err)
		}
		result := json.RawMessage(`{"overall_correctness":"patch is correct","findings":[]}`)
		if err := reviews.SetResult(ctx, first.ID, result); err != nil {
			t.Fatalf("SetResult: %v", err)
		}
		got, err = reviews.Get(ctx, first.ID)
		if err != nil {
			t.Fatalf("Get after SetResult: %v", err)
		}
		if got.Status != store.StatusCompleted || !jsonEqual(t, got.Result, result) || got.UpdatedAt.Before(got.CreatedAt) {
			t.Fatalf("after SetResult: status %s, result %s, updated %v", got.Status, got.Result, got.UpdatedAt)
		}

		if err := reviews.UpdateStatus(ctx, second.ID, store.StatusFailed, "model quota exhausted"); err != nil {
			t.Fatalf("UpdateStatus failed: %v", err)
		}
		got, _ = reviews.Get(ctx, second.ID)
		if got.Status != store.StatusFailed || got.Error != "model quota exhausted" || got.Result != nil {
			t.Fatalf("after failing: %+v", got)
		}

		errTests := []struct {
			name string
			run  func() error
			want error
		}{
			{"get unknown", func() error { _, err := reviews.Get(ctx, "rev_missing"); return err }, store.ErrNotFound},
			{"update unknown", func() error { return reviews.UpdateStatus(ctx, "rev_missing", store.StatusRunning, "") }, store.ErrNotFound},
			{"cancel completed", func() error { return reviews.UpdateStatus(ctx, first.ID, store.StatusCancelled, "") }, store.ErrFinished},
			{"result on failed", func() error { return reviews.SetResult(ctx, second.ID, result) }, store.ErrFinished},
		}
		for _, tt := range errTests {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
			}
		}
		invalid := []struct {
			name string
			run  func() error
		}{
			{"bad status", func() error { return reviews.UpdateStatus(ctx, other.ID, "paused", "") }},
			{"bad result JSON", func() error { return reviews.SetResult(ctx, other.ID, json.RawMessage(`{`)) }},
			{"bad request JSON", func() error {
				return reviews.Create(ctx, &store.Review{Repo: "o/r", PullRequestURL: prURL, Request: json.RawMessage(`nope`)})
			}},
			{"duplicate id", func() error {
				return reviews.Create(ctx, &store.Review{ID: first.ID, Repo: "o/r", PullRequestURL: prURL})
			}},
		}
		for _, tt := range invalid {
			if err := tt.run(); err == nil {
				t.Errorf("%s: no error", tt.name)
			}
		}
	})
}

func assertReview(t *testing.T, got, want store.Review) {
	t.Helper()
	if got.ID != want.ID || got.Status != want.Status || got.Repo != want.Repo || got.PRNumber != want.PRNumber ||
		got.HeadSHA != want.HeadSHA || got.PullRequestURL != want.PullRequestURL || got.Error != want.Error ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) || got.Result != nil {
		t.Errorf("Get = %+v, want %+v", got, want)
	}
	if !jsonEqual(t, got.Request, want.Request) {
		t.Errorf("request = %s, want %s", got.Request, want.Request)
	}
}

// jsonEqual compares JSON by value: Postgres's jsonb normalises spacing and
// key order.
func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("unmarshal %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

func ids(rs []store.Review) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func TestStatus(t *testing.T) {
	tests := []struct {
		s               store.Status
		valid, finished bool
	}{
		{store.StatusQueued, true, false},
		{store.StatusRunning, true, false},
		{store.StatusCompleted, true, true},
		{store.StatusFailed, true, true},
		{store.StatusCancelled, true, true},
		{"paused", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if tt.s.Valid() != tt.valid || tt.s.Finished() != tt.finished {
			t.Errorf("%q: Valid %v, Finished %v; want %v, %v", tt.s, tt.s.Valid(), tt.s.Finished(), tt.valid, tt.finished)
		}
	}
}
