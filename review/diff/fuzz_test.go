package diff_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
)

// FuzzParse checks that no input makes Parse panic, that every error is a
// *ParseError naming a line of the input, that go-diff and the framer
// never disagree, and that whatever parses keeps the invariants the index
// relies on.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range parseErrorCases {
		f.Add([]byte(tc.in))
	}
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "*.diff"))
	for _, p := range fixtures {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := diff.Parse(data)
		if err != nil {
			checkParseError(t, err, bytes.Count(data, []byte("\n"))+1)
			return
		}
		checkInvariants(t, d)
		checkCR(t, d, data)
	})
}

// FuzzParseFilePatch does the same for GitHub's per-file patches.
func FuzzParseFilePatch(f *testing.F) {
	statuses := []diff.Status{diff.StatusModified, diff.StatusAdded, diff.StatusRemoved, diff.StatusRenamed, diff.StatusCopied}
	for _, tc := range patchCases {
		for i, s := range statuses {
			if s == tc.status {
				f.Add(tc.oldPath, tc.newPath, uint8(i), tc.patch)
			}
		}
	}
	for _, tc := range parseCases {
		f.Add("x", "y", uint8(0), tc.in)
	}
	f.Fuzz(func(t *testing.T, oldPath, newPath string, status uint8, patch string) {
		st := statuses[int(status)%len(statuses)]
		file, err := diff.ParseFilePatch(oldPath, newPath, st, patch)
		if err != nil {
			var pe *diff.ParseError
			if errors.As(err, &pe) {
				checkParseError(t, err, bytes.Count([]byte(patch), []byte("\n"))+1)
			}
			return
		}
		if file.Status != st {
			t.Errorf("status %q, want %q", file.Status, st)
		}
		d := diff.New([]*diff.File{file})
		checkInvariants(t, d)
		checkCR(t, d, []byte(patch))
	})
}

// checkCR fails the test when a line's content keeps the "\r" of its
// CRLF ending. A content may still end in "\r" when the file's line does
// ("x\r" followed by "\r\n"): then the input holds that content followed
// by one more "\r".
func checkCR(t *testing.T, d *diff.Diff, data []byte) {
	t.Helper()
	for _, f := range d.Files {
		for _, h := range f.Hunks {
			for _, l := range h.Lines {
				if strings.HasSuffix(l.Content, "\r") && !bytes.Contains(data, []byte(l.Content+"\r")) {
					t.Errorf("%s: content %q keeps the \\r of its line ending", f.Path(), l.Content)
				}
			}
		}
	}
}

// checkParseError fails the test unless err is a *ParseError pointing at
// one of the input's lines and not an internal disagreement.
func checkParseError(t *testing.T, err error, lines int) {
	t.Helper()
	var pe *diff.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ParseError", err, err)
	}
	if pe.Line < 1 || pe.Line > lines {
		t.Errorf("error %v names line %d of %d", err, pe.Line, lines)
	}
	if errors.Is(err, diff.ErrDisagree) {
		t.Errorf("go-diff disagrees with the framer: %v", err)
	}
}
