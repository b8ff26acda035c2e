package diff_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
)

// patchCases are GitHub files-API entries (the patch field holds only
// hunks). They also seed FuzzParseFilePatch.
var patchCases = []struct {
	name             string
	oldPath, newPath string
	status           diff.Status
	patch            string
	want             string
}{
	{
		name: "modified, no newline after the last hunk line", oldPath: "", newPath: "a/x.go", status: diff.StatusModified,
		patch: "@@ -1,2 +1,2 @@ package x\n a\n-b\n+c\n@@ -10 +10,2 @@\n z\n+y",
		want: `file "a/x.go" modified +2 -1
  @@ -1,2 +1,2 @@ "package x"
         1    1 "a"
    -    2    . "b"
    +    .    2 "c"
  @@ -10,1 +10,2 @@ ""
        10   10 "z"
    +    .   11 "y"
`,
	},
	{
		name: "added", oldPath: "ignored.go", newPath: "new.go", status: diff.StatusAdded,
		patch: "@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file",
		want: `file "new.go" added +2 -0
  @@ -0,0 +1,2 @@ ""
    +    .    1 "a"
    +    .    2 "b" \no-newline
`,
	},
	{
		name: "removed", newPath: "gone.go", status: diff.StatusRemoved,
		patch: "@@ -1 +0,0 @@\n-a",
		want: `file "gone.go" removed +0 -1
  @@ -1,1 +0,0 @@ ""
    -    1    . "a"
`,
	},
	{
		name: "renamed with edit and CRLF", oldPath: "old.txt", newPath: "new.txt", status: diff.StatusRenamed,
		patch: "@@ -1 +1 @@\n-a\r\n+b\r\n",
		want: `file "new.txt" from "old.txt" renamed crlf +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a"
    +    .    1 "b"
`,
	},
	{
		name: "blank lines between and after hunks", newPath: "x", status: diff.StatusModified,
		patch: "@@ -1,2 +1,2 @@ \n \n\n\n@@ -10 +10,2 @@\n \n+\n\n",
		want: `file "x" modified +1 -0
  @@ -1,2 +1,2 @@ ""
         1    1 ""
         2    2 ""
  @@ -10,1 +10,2 @@ ""
        10   10 ""
    +    .   11 ""
`,
	},
	{
		name: "empty patch (binary or too large)", newPath: "img.png", status: diff.StatusModified,
		want: `file "img.png" modified +0 -0
`,
	},
	{
		name: "hunk lines that look like file headers", newPath: "doc.md", status: diff.StatusModified,
		patch: "@@ -1 +1 @@\n--- a\n+++ b\n@@ -5 +5 @@\n-c\n+d\n",
		want: `file "doc.md" modified +2 -2
  @@ -1,1 +1,1 @@ ""
    -    1    . "-- a"
    +    .    1 "++ b"
  @@ -5,1 +5,1 @@ ""
    -    5    . "c"
    +    .    5 "d"
`,
	},
}

func TestParseFilePatch(t *testing.T) {
	for _, tc := range patchCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := diff.ParseFilePatch(tc.oldPath, tc.newPath, tc.status, tc.patch)
			if err != nil {
				t.Fatalf("ParseFilePatch: %v", err)
			}
			d := diff.New([]*diff.File{f})
			if got := dump(d); got != tc.want {
				t.Errorf("dump mismatch:\n%s\ngot:\n%s", lineDiff(tc.want, got), got)
			}
			checkInvariants(t, d)
		})
	}
}

func TestParseFilePatchErrors(t *testing.T) {
	tests := []struct {
		name   string
		status diff.Status
		patch  string
		line   int // 0: not a *ParseError
		msg    string
	}{
		{"file headers in the patch", diff.StatusModified, "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n", 1, "expected a hunk header"},
		{"garbage inside a hunk", diff.StatusModified, "@@ -1,2 +1,2 @@\n a\nzzz\n", 3, "hunk has 1 old lines, header says 2"},
		{"body too short", diff.StatusModified, "@@ -1,3 +1,3 @@\n a\n", 2, "hunk has 1 old lines, header says 3 (input ends)"},
		{"body too long", diff.StatusModified, "@@ -1 +1 @@\n a\n b\n", 3, "hunk has more than 1 old lines"},
		{"bad header", diff.StatusModified, "@@ -1 +1\n a\n", 1, "bad hunk header"},
		{"unknown status", "changed", "@@ -1 +1 @@\n a\n", 0, `unknown status "changed"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := diff.ParseFilePatch("", "p/x.go", tc.status, tc.patch)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			var pe *diff.ParseError
			if isPE := errors.As(err, &pe); isPE != (tc.line > 0) {
				t.Fatalf("error %v: is *ParseError = %v", err, isPE)
			}
			if pe != nil && (pe.Line != tc.line || pe.File != "p/x.go") {
				t.Errorf("error names %q line %d, want %q line %d", pe.File, pe.Line, "p/x.go", tc.line)
			}
		})
	}
	if _, err := diff.ParseFilePatch("", "", diff.StatusModified, ""); err == nil {
		t.Error("a patch without a path was accepted")
	}
}
