package osv_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/deps/osv"
)

func recordJSON(t *testing.T, r osv.Record) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDirFSLooksUpAnExportInsideAnFS(t *testing.T) {
	fsys := fstest.MapFS{
		"case/osv/npm/GHSA-p6mc-m468-83gw.json": {Data: recordJSON(t, lodashRecord)},
		"case/osv/Go/GO-2023-2402.json":         {Data: recordJSON(t, goRecord)},
	}
	d := osv.NewDirFS(fsys, "case/osv", "case/osv")
	if err := d.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	lodash := deps.Package{Ecosystem: deps.NPM, Name: "lodash", Version: "4.17.16"}
	crypto := deps.Package{Ecosystem: deps.Go, Name: "golang.org/x/crypto", Version: "v0.17.0"}
	got, err := d.Lookup(context.Background(), []deps.Package{lodash, crypto})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[lodash]) != 1 || got[lodash][0].ID != "GHSA-p6mc-m468-83gw" || got[lodash][0].Fixed != "4.17.20" {
		t.Errorf("Lookup = %+v, want lodash's advisory only", got)
	}
	// A missing directory has no known vulnerabilities (Check says so).
	none := osv.NewDirFS(fsys, "elsewhere", "elsewhere")
	if got, err := none.Lookup(context.Background(), []deps.Package{lodash}); err != nil || len(got) != 0 {
		t.Errorf("Lookup in a missing directory = %v, %v", got, err)
	}
	if err := none.Check(context.Background()); err == nil {
		t.Error("Check accepted a missing directory")
	}
}

func TestDirCheckReportsEveryMistake(t *testing.T) {
	fsys := fstest.MapFS{
		"osv/GHSA-loose.json":          {Data: recordJSON(t, lodashRecord)},
		"osv/README.md":                {Data: []byte("not a record")},
		"osv/npm/BAD.json":             {Data: []byte("{not json")},
		"osv/npm/GHSA-p6mc.json":       {Data: recordJSON(t, lodashRecord)},
		"osv/go/GO-2023-2402.json":     {Data: recordJSON(t, goRecord)},
		"osv/Go/GO-2023-2402.json":     {Data: recordJSON(t, goRecord)},
		"osv/Go/notes.txt":             {Data: []byte("ignored")},
		"osv/PyPI/nested/PYSEC-1.json": {Data: []byte("{not json, but not read either")},
	}
	err := osv.NewDirFS(fsys, "osv", "cases/x/osv").Check(context.Background())
	if err == nil {
		t.Fatal("Check found nothing wrong")
	}
	msg := err.Error()
	for _, want := range []string{
		"cases/x/osv: GHSA-loose.json: a record belongs in the directory of its ecosystem",
		"cases/x/osv: npm/BAD.json: invalid character",
		`cases/x/osv: go/GO-2023-2402.json: the record lists no package of ecosystem "go"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Check's error lacks %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 3 {
		t.Errorf("Check reported %d problems, want 3:\n%s", n, msg)
	}
}
