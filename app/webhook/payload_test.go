package webhook

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tidwall/gjson"
)

// samePick reports whether pick read what gjson.GetManyBytes reads, path
// by path.
func samePick(t *testing.T, payload []byte, paths []string) {
	t.Helper()
	got, want := pick(payload, paths), gjson.GetManyBytes(payload, paths...)
	for i, p := range paths {
		g, w := got[i], want[i]
		if g.Exists() != w.Exists() || g.Type != w.Type || g.Raw != w.Raw || g.Str != w.Str {
			t.Errorf("%s: pick read %v %s %q, gjson %v %s %q", p, g.Exists(), g.Type, g.Raw, w.Exists(), w.Type, w.Raw)
		}
	}
}

// TestPickReadsWhatGJSONReads: the one-pass reader gives the field values
// gjson's per-path lookups give, on every real payload of testdata and on
// the corner cases of a top level.
func TestPickReadsWhatGJSONReads(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no payloads: %v", err)
	}
	paths := append(append([]string{"sender.login", "nothing", "issue.nothing.deeper"}, commentPaths...), pullRequestPaths...)
	for _, f := range files {
		payload, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		samePick(t, payload, paths)
	}
	for _, payload := range []string{
		`{}`,
		`{"action":"created"}`,
		`{"issue":null,"action":7}`,
		`{"issue":{"number":1},"issue":{"number":2}}`,
		`{"issue":1,"issue":{"number":2},"comment":"x","comment":{"id":3}}`,
		`{"comment":{"user":{"login":"a\u0041"}},"repository":{"full_name":"o/r"}}`,
		` {"installation":{"id":12345678901234567890}} `,
	} {
		samePick(t, []byte(payload), paths)
	}
}

// FuzzPick compares pick with gjson.GetManyBytes on any JSON object.
func FuzzPick(f *testing.F) {
	f.Add(`{"issue":{"number":1,"pull_request":{}},"comment":{"id":2,"user":{"login":"x"}},"installation":{"id":3}}`)
	f.Add(`{"action":"a","issue":[1],"repository":{"full_name":null}}`)
	f.Fuzz(func(t *testing.T, payload string) {
		if !gjson.Valid(payload) || !gjson.Parse(payload).IsObject() {
			return
		}
		samePick(t, []byte(payload), append(append([]string{}, commentPaths...), pullRequestPaths...))
	})
}

// BenchmarkPick compares the one-pass reader with gjson's per-path lookups
// on the real comment payload, for the fields the comment handler reads.
func BenchmarkPick(b *testing.B) {
	payload, err := os.ReadFile("testdata/issue_comment.created.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("pick", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			pick(payload, commentPaths)
		}
	})
	b.Run("GetManyBytes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gjson.GetManyBytes(payload, commentPaths...)
		}
	})
}
