package difftest_test

import (
	"bytes"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/diff/difftest"
)

func TestLarge(t *testing.T) {
	tests := []struct{ files, changed int }{
		{1, 1}, {3, 0}, {14, 500}, {40, 20}, {1000, 50000},
	}
	for _, tc := range tests {
		data := difftest.Large(tc.files, tc.changed)
		if !bytes.Equal(data, difftest.Large(tc.files, tc.changed)) {
			t.Errorf("Large(%d, %d) is not deterministic", tc.files, tc.changed)
		}
		d, err := diff.Parse(data)
		if err != nil {
			t.Fatalf("Large(%d, %d) does not parse: %v", tc.files, tc.changed, err)
		}
		if len(d.Files) != tc.files {
			t.Errorf("Large(%d, %d) has %d files", tc.files, tc.changed, len(d.Files))
		}
		changed := 0
		statuses := map[diff.Status]int{}
		for _, f := range d.Files {
			a, del := f.Stats()
			changed += a + del
			statuses[f.Status]++
			if d.File(f.Path()) != f {
				t.Errorf("path %q is not unique", f.Path())
			}
		}
		if changed != tc.changed {
			t.Errorf("Large(%d, %d) changes %d lines", tc.files, tc.changed, changed)
		}
		if tc.files == 1000 {
			for _, s := range []diff.Status{diff.StatusModified, diff.StatusAdded, diff.StatusRemoved, diff.StatusRenamed} {
				if statuses[s] == 0 {
					t.Errorf("Large(1000, ...) has no %s files: %v", s, statuses)
				}
			}
		}
	}
}
