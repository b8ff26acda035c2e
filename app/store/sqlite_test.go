package store

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestSQLiteDSN(t *testing.T) {
	defaults := []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(NORMAL)", "wal_autocheckpoint(0)"}
	tests := []struct {
		name       string
		in         string
		wantPath   string
		wantPragma []string
		wantTxLock string
		wantOther  map[string]string
		wantErr    bool
	}{
		{name: "plain path", in: "codex-review.db", wantPath: "codex-review.db", wantPragma: defaults, wantTxLock: "immediate"},
		{name: "absolute path", in: "/var/lib/codex/db.sqlite", wantPath: "/var/lib/codex/db.sqlite", wantPragma: defaults, wantTxLock: "immediate"},
		{name: "sqlite scheme relative", in: "sqlite://data/x.db", wantPath: "data/x.db", wantPragma: defaults, wantTxLock: "immediate"},
		{name: "sqlite scheme absolute", in: "sqlite:///srv/x.db", wantPath: "/srv/x.db", wantPragma: defaults, wantTxLock: "immediate"},
		{
			name: "file URI keeps its parameters", in: "file:x.db?mode=rwc&cache=private",
			wantPath: "file:x.db", wantPragma: defaults, wantTxLock: "immediate",
			wantOther: map[string]string{"mode": "rwc", "cache": "private"},
		},
		{
			name: "user pragma wins over the default of the same name", in: "x.db?_pragma=synchronous(FULL)&_pragma=busy_timeout%3D500",
			wantPath:   "x.db",
			wantPragma: []string{"busy_timeout=500", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)", "wal_autocheckpoint(0)"},
			wantTxLock: "immediate",
		},
		{name: "user txlock kept", in: "x.db?_txlock=deferred", wantPath: "x.db", wantPragma: defaults, wantTxLock: "deferred"},
		{name: "empty sqlite path", in: "sqlite://", wantErr: true},
		{name: "empty file URI", in: "file:", wantErr: true},
		{name: "bad query", in: "x.db?%zz", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sqliteDSN(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("sqliteDSN(%q) = %q, want error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("sqliteDSN(%q): %v", tt.in, err)
			}
			path, query, _ := strings.Cut(got, "?")
			if path != tt.wantPath {
				t.Errorf("path = %q, want %q", path, tt.wantPath)
			}
			q, err := url.ParseQuery(query)
			if err != nil {
				t.Fatalf("parse DSN query %q: %v", query, err)
			}
			pragmas := slices.Sorted(slices.Values(q["_pragma"]))
			if !slices.Equal(pragmas, tt.wantPragma) {
				t.Errorf("pragmas = %q, want %q", pragmas, tt.wantPragma)
			}
			if q.Get("_txlock") != tt.wantTxLock {
				t.Errorf("_txlock = %q, want %q", q.Get("_txlock"), tt.wantTxLock)
			}
			for k, v := range tt.wantOther {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
		})
	}
}

func TestSchemaFromSearchPath(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "", want: ""},
		{in: "codex", want: "codex"},
		{in: "codex_1, public", want: "codex_1"},
		{in: `"$user", public`, want: ""},
		{in: `"quoted"`, want: "quoted"},
		{in: "bad-name", wantErr: true},
	}
	for _, tt := range tests {
		got, err := schemaFromSearchPath(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("schemaFromSearchPath(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRebind(t *testing.T) {
	pg := &DB{dialect: Postgres}
	lite := &DB{dialect: SQLite}
	q := "UPDATE t SET a = ?, b = ? WHERE id = ?"
	if got, want := pg.rebind(q), "UPDATE t SET a = $1, b = $2 WHERE id = $3"; got != want {
		t.Errorf("postgres rebind = %q, want %q", got, want)
	}
	if got := lite.rebind(q); got != q {
		t.Errorf("sqlite rebind = %q, want it unchanged", got)
	}
}

func TestSQLiteReadDSN(t *testing.T) {
	got, err := sqliteReadDSN("x.db?_pragma=synchronous(FULL)")
	if err != nil {
		t.Fatal(err)
	}
	_, query, _ := strings.Cut(got, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	pragmas := q["_pragma"]
	slices.Sort(pragmas)
	want := []string{"busy_timeout(10000)", "foreign_keys(1)", "query_only(1)", "synchronous(FULL)", "wal_autocheckpoint(0)"}
	if !slices.Equal(pragmas, want) {
		t.Errorf("read DSN pragmas %v, want %v", pragmas, want)
	}
}
