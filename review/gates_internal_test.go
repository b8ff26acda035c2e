package review

import (
	"testing"

	"github.com/codex-review/codex-review/review/diff"
)

func TestFileLength(t *testing.T) {
	tests := []struct {
		name  string
		patch string
		want  int // 0: unknown
	}{
		{"added file", "diff --git a/n.go b/n.go\nnew file mode 100644\n--- /dev/null\n+++ b/n.go\n@@ -0,0 +1,3 @@\n+a\n+b\n+c\n", 3},
		{"modified, end not shown", "diff --git a/m.go b/m.go\n--- a/m.go\n+++ b/m.go\n@@ -4,3 +4,3 @@\n x\n-y\n+z\n w\n", 0},
		{"modified, no newline at the end", "diff --git a/m.go b/m.go\n--- a/m.go\n+++ b/m.go\n@@ -4,3 +4,3 @@\n x\n-y\n+z\n w\n\\ No newline at end of file\n", 6},
		{"deleted file", "diff --git a/d.go b/d.go\ndeleted file mode 100644\n--- a/d.go\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := diff.Parse([]byte(tt.patch))
			if err != nil {
				t.Fatal(err)
			}
			n, ok := fileLength(d.Files[0])
			if got := map[bool]int{true: n, false: 0}[ok]; got != tt.want {
				t.Errorf("fileLength = %d, %v; want %d", n, ok, tt.want)
			}
		})
	}
}
