package store_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
)

// TestOpenPostgresThatNeverAnswers: a server that accepts TCP but never
// completes the PostgreSQL handshake fails the open after connect_timeout,
// with a message that says what was waited for and how to change it.
func TestOpenPostgresThatNeverAnswers(t *testing.T) {
	ctx := testContext(t)
	addr := storetest.SilentListener(t)
	db, err := store.Open(ctx, "postgres://u@"+addr+"/db?sslmode=disable&connect_timeout=1")
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded against a silent server")
	}
	for _, want := range []string{"connect to postgres at " + addr, "no PostgreSQL session within 1s", "connect_timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestDescribeHidesCredentials(t *testing.T) {
	tests := []struct{ url, want string }{
		{"", "sqlite file codex-review.db"},
		{"/var/lib/codex/x.db?_pragma=synchronous(FULL)", "sqlite file /var/lib/codex/x.db"},
		{"sqlite:///srv/x.db", "sqlite file /srv/x.db"},
		{"postgres://codex:s3cret@db.internal:5433/codex?sslmode=require", "postgres at db.internal:5433/codex"},
		{"postgres://%zz", "postgres (malformed URL)"},
	}
	for _, tt := range tests {
		if got := store.Describe(tt.url); got != tt.want {
			t.Errorf("Describe(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

// TestSQLiteReadsDoNotWaitForTheWriter holds SQLite's single write
// connection in a transaction, as the queue does while it commits: reading
// a review still answers.
func TestSQLiteReadsDoNotWaitForTheWriter(t *testing.T) {
	ctx := testContext(t)
	db := open(t, ctx, storetest.SQLiteURL(t))
	r := store.Review{Repo: "acme/shop", PRNumber: 7, PullRequestURL: "https://github.com/acme/shop/pull/7"}
	if err := db.Reviews().Create(ctx, &r); err != nil {
		t.Fatal(err)
	}
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE reviews SET error = 'in flight' WHERE id = ?`, r.ID); err != nil {
		t.Fatal(err)
	}
	got, err := db.Reviews().Get(ctx, r.ID)
	if err != nil {
		t.Fatalf("Get while the writer is busy: %v", err)
	}
	if got.Error != "" {
		t.Errorf("read an uncommitted write: %q", got.Error)
	}
	if _, err := db.Reviews().List(ctx, store.ListOptions{PullRequestURL: r.PullRequestURL, Limit: 10}); err != nil {
		t.Fatalf("List while the writer is busy: %v", err)
	}
}

// TestSQLiteCheckpointsInTheBackground: commits do not checkpoint the WAL
// (wal_autocheckpoint is off on the writer), yet the WAL's pages reach the
// database file, copied by the DB's own checkpointing connection.
func TestSQLiteCheckpointsInTheBackground(t *testing.T) {
	ctx := testContext(t)
	path := storetest.SQLiteURL(t)
	db := open(t, ctx, path)
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	for i := range 200 {
		r := store.Review{Repo: "acme/shop", PRNumber: i + 1, PullRequestURL: fmt.Sprintf("https://github.com/acme/shop/pull/%d", i+1), Request: json.RawMessage(`{"instructions": "` + strings.Repeat("x", 2000) + `"}`)}
		if err := db.Reviews().Create(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for size() <= before {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes: nothing checkpointed the WAL", before)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, bounded by the deadline
	}
}
