package githubtest

import (
	"slices"
	"strings"
	"testing"
)

func TestIndexPatch(t *testing.T) {
	tests := []struct {
		name       string
		patch      string
		right      []int
		left       []int
		lastPos    int
		wantErrSub string
	}{
		{
			name:    "two hunks",
			patch:   "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -10,2 +10,3 @@ func f() {\n x\n+y\n z",
			right:   []int{1, 2, 3, 10, 11, 12},
			left:    []int{1, 2, 3, 10, 11},
			lastPos: 8,
		},
		{
			name:    "new file, count omitted",
			patch:   "@@ -0,0 +1 @@\n+only",
			right:   []int{1},
			lastPos: 1,
		},
		{
			name:    "deleted file",
			patch:   "@@ -1,2 +0,0 @@\n-a\n-b",
			left:    []int{1, 2},
			lastPos: 2,
		},
		{
			name:    "no newline marker takes a position but no line",
			patch:   "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a",
			right:   []int{1},
			left:    []int{1},
			lastPos: 3,
		},
		{
			name:    "trailing newline",
			patch:   "@@ -1 +1,2 @@\n a\n+b\n",
			right:   []int{1, 2},
			left:    []int{1},
			lastPos: 2,
		},
		{name: "empty patch"},
		{name: "text before the first hunk", patch: "diff --git a/x b/x\n@@ -1 +1 @@\n a", wantErrSub: "does not start with a hunk header"},
		{name: "bad header", patch: "@@ -x +1 @@\n a", wantErrSub: "bad range start"},
		{name: "header without closing @@", patch: "@@ -1 +1\n a", wantErrSub: "malformed hunk header"},
		{name: "more lines than counted", patch: "@@ -1 +1 @@\n a\n b", wantErrSub: "more lines than its header counts"},
		{name: "fewer lines than counted", patch: "@@ -1,3 +1,3 @@\n a\n b\n@@ -9 +9 @@\n c", wantErrSub: "fewer lines than its header counts"},
		{name: "overlapping hunks", patch: "@@ -1 +1 @@\n a\n@@ -1 +1 @@\n a", wantErrSub: "overlaps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, err := indexPatch(tt.patch)
			if tt.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrSub) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("indexPatch: %v", err)
			}
			var right, left []int
			for k := range idx.lines {
				if k.side == sideRight {
					right = append(right, k.line)
				} else {
					left = append(left, k.line)
				}
			}
			slices.Sort(right)
			slices.Sort(left)
			if !slices.Equal(right, tt.right) || !slices.Equal(left, tt.left) {
				t.Errorf("RIGHT %v LEFT %v, want %v %v", right, left, tt.right, tt.left)
			}
			maxPos := 0
			for p := range idx.positions {
				maxPos = max(maxPos, p)
			}
			if maxPos != tt.lastPos {
				t.Errorf("last commentable position %d, want %d", maxPos, tt.lastPos)
			}
		})
	}
}

func FuzzIndexPatch(f *testing.F) {
	f.Add("@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -10,2 +10,3 @@\n x\n+y\n z")
	f.Add("@@ -0,0 +1 @@\n+only")
	f.Add("@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a")
	f.Fuzz(func(t *testing.T, patch string) {
		idx, err := indexPatch(patch)
		if err != nil {
			return
		}
		// Every position designates a line that is indexed at that very position.
		for p, k := range idx.positions {
			loc, ok := idx.lines[k]
			if !ok || loc.position != p {
				t.Fatalf("position %d → %v → %v, %v", p, k, loc, ok)
			}
			_ = idx.diffHunk(loc)
		}
	})
}
