package diff_test

import (
	"testing"

	"github.com/codex-review/codex-review/review/diff"
)

// indexDiff has one file with a changed hunk, a hunk of context and one
// addition, a pure deletion and a pure addition (as -U0 writes them), and
// files that were only added or only deleted.
const indexDiff = `diff --git a/m.go b/m.go
--- a/m.go
+++ b/m.go
@@ -1,3 +1,4 @@
 one
-two
+TWO
+two and a half
 three
@@ -10,2 +11,3 @@
 ten
+new
 eleven
@@ -20 +21,0 @@
-twenty
@@ -25,0 +26,2 @@
+x
+y
diff --git a/add.go b/add.go
new file mode 100644
--- /dev/null
+++ b/add.go
@@ -0,0 +1,3 @@
+a
+b
+c
diff --git a/del.go b/del.go
deleted file mode 100644
--- a/del.go
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
`

func TestCommentable(t *testing.T) {
	d, err := diff.Parse([]byte(indexDiff))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path       string
		side       diff.Side
		start, end int
		want       bool
	}{
		{"m.go", diff.Right, 1, 1, true},
		{"m.go", diff.Right, 1, 4, true},
		{"m.go", diff.Right, 2, 3, true},              // the added lines
		{"m.go", diff.Right, 4, 11, false},            // across two hunks
		{"m.go", diff.Right, 5, 5, false},             // between hunks
		{"m.go", diff.Right, 11, 13, true},            // context, added, context
		{"m.go", diff.Right, 13, 14, false},           // runs past the hunk
		{"m.go", diff.Right, 21, 21, false},           // the pure deletion has no RIGHT lines
		{"m.go", diff.Right, 20, 21, false},           // nor around it
		{"m.go", diff.Right, 26, 27, true},            // the pure addition
		{"m.go", diff.Right, 27, 28, false},           // past the end of the diff
		{"m.go", diff.Right, 0, 0, false},             // line 0
		{"m.go", diff.Right, 0, 1, false},             // starting at line 0
		{"m.go", diff.Right, -1, 2, false},            // negative
		{"m.go", diff.Right, -5, -1, false},           // all negative
		{"m.go", diff.Right, 3, 2, false},             // end before start
		{"m.go", diff.Left, 1, 3, true},               // context and the deleted line
		{"m.go", diff.Left, 2, 2, true},               // the deleted line
		{"m.go", diff.Left, 4, 4, false},              // old line 4 is not in the diff
		{"m.go", diff.Left, 3, 10, false},             // across hunks
		{"m.go", diff.Left, 10, 11, true},             // context of the second hunk
		{"m.go", diff.Left, 20, 20, true},             // the pure deletion
		{"m.go", diff.Left, 25, 25, false},            // the pure addition has no LEFT lines
		{"m.go", diff.Left, 26, 26, false},            //
		{"m.go", diff.Left, 0, 1, false},              // line 0
		{"m.go", "", 1, 1, false},                     // no side
		{"m.go", "right", 1, 1, false},                // not GitHub's spelling
		{"add.go", diff.Right, 1, 3, true},            // an added file: every line on the RIGHT
		{"add.go", diff.Right, 1, 4, false},           //
		{"add.go", diff.Left, 1, 1, false},            // and none on the LEFT
		{"del.go", diff.Left, 1, 2, true},             // a deleted file: every line on the LEFT
		{"del.go", diff.Right, 1, 1, false},           // and none on the RIGHT
		{"del.go", diff.Left, 2, 3, false},            //
		{"m.go", diff.Right, 1 << 40, 1 << 40, false}, // far away
	}
	for _, tc := range tests {
		f := d.File(tc.path)
		if f == nil {
			t.Fatalf("no file %q", tc.path)
		}
		if got := f.Commentable(tc.side, tc.start, tc.end); got != tc.want {
			t.Errorf("%s Commentable(%s, %d, %d) = %v, want %v", tc.path, tc.side, tc.start, tc.end, got, tc.want)
		}
	}
}

func TestHunkAt(t *testing.T) {
	d, err := diff.Parse([]byte(indexDiff))
	if err != nil {
		t.Fatal(err)
	}
	f := d.File("m.go")
	tests := []struct {
		side diff.Side
		line int
		want int
	}{
		{diff.Right, 1, 0}, {diff.Right, 4, 0}, {diff.Right, 5, -1},
		{diff.Right, 12, 1}, {diff.Right, 21, -1}, {diff.Right, 26, 3}, {diff.Right, 28, -1},
		{diff.Left, 2, 0}, {diff.Left, 11, 1}, {diff.Left, 20, 2}, {diff.Left, 25, -1}, {diff.Left, 21, -1},
		{diff.Right, 0, -1}, {diff.Left, -3, -1}, {"", 1, -1},
	}
	for _, tc := range tests {
		if got := f.HunkAt(tc.side, tc.line); got != tc.want {
			t.Errorf("HunkAt(%s, %d) = %d, want %d", tc.side, tc.line, got, tc.want)
		}
	}
	checkInvariants(t, d)
}

func TestDiffFile(t *testing.T) {
	files := []*diff.File{
		{OldPath: "old.go", NewPath: "moved.go", Status: diff.StatusRenamed},
		{OldPath: "src.go", NewPath: "copy.go", Status: diff.StatusCopied},
		{OldPath: "gone.go", Status: diff.StatusRemoved},
		{OldPath: "a.go", NewPath: "b.go", Status: diff.StatusRenamed},
		{NewPath: "a.go", Status: diff.StatusAdded},
		{OldPath: "same.go", NewPath: "same.go", Status: diff.StatusModified},
	}
	tests := []struct {
		path string
		want *diff.File
	}{
		{"moved.go", files[0]},
		{"old.go", files[0]}, // a renamed file by its old name
		{"copy.go", files[1]},
		{"src.go", nil}, // a copy's source is not in the diff
		{"gone.go", files[2]},
		{"a.go", files[4]}, // renamed away and added again: the new file
		{"b.go", files[3]},
		{"same.go", files[5]},
		{"other.go", nil},
		{"", nil},
	}
	indexed := diff.New(files)
	literal := &diff.Diff{Files: files} // built without New: the slow path
	for _, tc := range tests {
		if got := indexed.File(tc.path); got != tc.want {
			t.Errorf("New(...).File(%q) = %+v, want %+v", tc.path, got, tc.want)
		}
		if got := literal.File(tc.path); got != tc.want {
			t.Errorf("(&Diff{}).File(%q) = %+v, want %+v", tc.path, got, tc.want)
		}
	}
}
