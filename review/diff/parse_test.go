package diff_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
)

// parseCases are well-formed inputs and the dump each must give. They
// also seed FuzzParse.
var parseCases = []struct {
	name, in, want string
}{
	{name: "empty input", in: "", want: ""},
	{name: "blank input", in: "\n \n\t\n", want: ""},
	{
		name: "git modify with section and default counts",
		in: `diff --git a/x.go b/x.go
index 1111111..2222222 100644
--- a/x.go
+++ b/x.go
@@ -3 +3 @@ func main() {
-	old()
+	new()
@@ -10,2 +10,3 @@ func other()
 a
+b
 c
`,
		want: `file "x.go" modified mode=100644->100644 +2 -1
  @@ -3,1 +3,1 @@ "func main() {"
    -    3    . "\told()"
    +    .    3 "\tnew()"
  @@ -10,2 +10,3 @@ "func other()"
        10   10 "a"
    +    .   11 "b"
        11   12 "c"
`,
	},
	{
		name: "git new file with content and empty new file",
		in: `diff --git a/new.txt b/new.txt
new file mode 100644
index 0000000..3b18e51
--- /dev/null
+++ b/new.txt
@@ -0,0 +1 @@
+hello
diff --git a/empty.txt b/empty.txt
new file mode 100644
index 0000000..e69de29
`,
		want: `file "new.txt" added mode=-->100644 +1 -0
  @@ -0,0 +1,1 @@ ""
    +    .    1 "hello"
file "empty.txt" added mode=-->100644 +0 -0
`,
	},
	{
		name: "git deleted file with content and deleted empty file",
		in: `diff --git a/gone.txt b/gone.txt
deleted file mode 100755
index 3b18e51..0000000
--- a/gone.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-hello
-world
diff --git a/empty.txt b/empty.txt
deleted file mode 100644
index e69de29..0000000
`,
		want: `file "gone.txt" removed mode=100755->- +0 -2
  @@ -1,2 +0,0 @@ ""
    -    1    . "hello"
    -    2    . "world"
file "empty.txt" removed mode=100644->- +0 -0
`,
	},
	{
		name: "renames with and without edits, spaces in names, copy",
		in: `diff --git a/old name.txt b/new name.txt
similarity index 100%
rename from old name.txt
rename to new name.txt
diff --git a/a.go b/b.go
similarity index 90%
rename from a.go
rename to b.go
index 1111111..2222222 100644
--- a/a.go
+++ b/b.go
@@ -1 +1 @@
-x
+y
diff --git a/src.go b/dst dir/copy.go
similarity index 80%
copy from src.go
copy to dst dir/copy.go
index 1111111..2222222 100644
--- a/src.go
+++ b/dst dir/copy.go	
@@ -1 +1,2 @@
 x
+z
`,
		want: `file "new name.txt" from "old name.txt" renamed similarity=100% +0 -0
file "b.go" from "a.go" renamed similarity=90% mode=100644->100644 +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "x"
    +    .    1 "y"
file "dst dir/copy.go" from "src.go" copied similarity=80% mode=100644->100644 +1 -0
  @@ -1,1 +1,2 @@ ""
         1    1 "x"
    +    .    2 "z"
`,
	},
	{
		name: "pure mode changes, one with spaces in the name",
		in: `diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
diff --git a/my script.sh b/my script.sh
old mode 100755
new mode 100644
`,
		want: `file "run.sh" modified mode=100644->100755 +0 -0
file "my script.sh" modified mode=100755->100644 +0 -0
`,
	},
	{
		name: "binary files, with and without a binary patch",
		in: `diff --git a/logo.png b/logo.png
index 1111111..2222222 100644
Binary files a/logo.png and b/logo.png differ
diff --git a/new.bin b/new.bin
new file mode 100644
index 0000000000000000000000000000000000000000..1111111111111111111111111111111111111111
GIT binary patch
literal 5
McmZQzWMXCj00Q*@Bme*a

literal 0
HcmV?d00001

diff --git a/x.txt b/x.txt
--- a/x.txt
+++ b/x.txt
@@ -1 +1 @@
-a
+b
`,
		want: `file "logo.png" modified mode=100644->100644 binary +0 -0
file "new.bin" added mode=-->100644 binary +0 -0
file "x.txt" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a"
    +    .    1 "b"
`,
	},
	{
		name: "no newline at end of file on each side and on both",
		in: `diff --git a/old.txt b/old.txt
--- a/old.txt
+++ b/old.txt
@@ -1 +1 @@
-a
\ No newline at end of file
+a
diff --git a/new.txt b/new.txt
--- a/new.txt
+++ b/new.txt
@@ -1 +1 @@
-a
+a
\ No newline at end of file
diff --git a/both.txt b/both.txt
--- a/both.txt
+++ b/both.txt
@@ -1,2 +1,2 @@
-a
+b
 c
\ No newline at end of file
`,
		want: `file "old.txt" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a" \no-newline
    +    .    1 "a"
file "new.txt" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a"
    +    .    1 "a" \no-newline
file "both.txt" modified +1 -1
  @@ -1,2 +1,2 @@ ""
    -    1    . "a"
    +    .    1 "b"
         2    2 "c" \no-newline
`,
	},
	{
		name: "translated no-newline marker from GNU diff",
		in: `--- a/x.txt
+++ b/x.txt
@@ -1 +1 @@
-a
\ Kein Zeilenumbruch am Dateiende.
+b
\ Kein Zeilenumbruch am Dateiende.
`,
		want: `file "x.txt" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a" \no-newline
    +    .    1 "b" \no-newline
`,
	},
	{
		name: "CRLF file in an LF diff",
		in:   "diff --git a/w.txt b/w.txt\n--- a/w.txt\n+++ b/w.txt\n@@ -1,2 +1,2 @@\n one\r\n-two\r\n+2\r\n",
		want: `file "w.txt" modified crlf +1 -1
  @@ -1,2 +1,2 @@ ""
         1    1 "one"
    -    2    . "two"
    +    .    2 "2"
`,
	},
	{
		name: "whole diff with CRLF line endings",
		in: strings.ReplaceAll(`diff --git a/w.txt b/w.txt
index 1111111..2222222 100644
--- a/w.txt
+++ b/w.txt
@@ -1 +1 @@ sec
-a
\ No newline at end of file
+b
`, "\n", "\r\n"),
		want: `file "w.txt" modified mode=100644->100644 crlf +1 -1
  @@ -1,1 +1,1 @@ "sec"
    -    1    . "a" \no-newline
    +    .    1 "b"
`,
	},
	{
		name: "C-quoted unicode paths and a quoted rename",
		in: `diff --git "a/caf\303\251 x.txt" "b/caf\303\251 x.txt"
--- "a/caf\303\251 x.txt"
+++ "b/caf\303\251 x.txt"
@@ -1 +1 @@
-a
+b
diff --git "a/tab\there" b/plain
similarity index 100%
rename from "tab\there"
rename to plain
`,
		want: `file "café x.txt" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a"
    +    .    1 "b"
file "plain" from "tab\there" renamed similarity=100% +0 -0
`,
	},
	{
		name: "no-prefix diff, including a path under a directory named a",
		in: `diff --git x.go x.go
--- x.go
+++ x.go
@@ -1 +1 @@
-a
+b
diff --git a/b.go a/b.go
new file mode 100644
--- /dev/null
+++ a/b.go
@@ -0,0 +1 @@
+x
`,
		want: `file "x.go" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a"
    +    .    1 "b"
file "a/b.go" added mode=-->100644 +1 -0
  @@ -0,0 +1,1 @@ ""
    +    .    1 "x"
`,
	},
	{
		name: "mnemonic prefixes",
		in: `diff --git i/x.go w/x.go
--- i/x.go
+++ w/x.go
@@ -1 +1 @@
-a
+b
diff --git c/y.go w/y.go
deleted file mode 100644
--- c/y.go
+++ /dev/null
@@ -1 +0,0 @@
-y
`,
		want: `file "x.go" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a"
    +    .    1 "b"
file "y.go" removed mode=100644->- +0 -1
  @@ -1,1 +0,0 @@ ""
    -    1    . "y"
`,
	},
	{
		// go-diff alone takes "--- front" + "+++ front" + "@@" for the
		// header of another file.
		name: "deleted --- and added +++ lines followed by another hunk",
		in: `diff --git a/doc.md b/doc.md
--- a/doc.md
+++ b/doc.md
@@ -1,2 +1,2 @@
--- front
+++ front
 body
@@ -9 +9 @@
-x
+y
diff --git a/next.md b/next.md
--- a/next.md
+++ b/next.md
@@ -1 +1 @@
--- a
+++ b
`,
		want: `file "doc.md" modified +2 -2
  @@ -1,2 +1,2 @@ ""
    -    1    . "-- front"
    +    .    1 "++ front"
         2    2 "body"
  @@ -9,1 +9,1 @@ ""
    -    9    . "x"
    +    .    9 "y"
file "next.md" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "-- a"
    +    .    1 "++ b"
`,
	},
	{
		name: "empty context lines (diff --suppress-blank-empty)",
		in:   "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n",
		want: `file "x" modified +1 -1
  @@ -1,3 +1,3 @@ ""
         1    1 "a"
         2    2 ""
    -    3    . "b"
    +    .    3 "c"
`,
	},
	{
		name: "plain diff -u with timestamps, without prefixes, renamed by hand",
		in: `--- x.c.orig	2024-01-02 03:04:05.000000000 +0100
+++ x.c	2024-01-02 03:05:00.000000000 +0100
@@ -1,2 +1,2 @@
 int a;
-int b;
+long b;
`,
		want: `file "x.c" from "x.c.orig" modified +1 -1
  @@ -1,2 +1,2 @@ ""
         1    1 "int a;"
    -    2    . "int b;"
    +    .    2 "long b;"
`,
	},
	{
		name: "diff -ruN: preamble lines, epoch dates, Only in, binary line",
		in: `Only in a: stray
diff -ruN a/new.txt b/new.txt
--- a/new.txt	1970-01-01 00:00:00.000000000 +0000
+++ b/new.txt	2024-01-02 03:04:05.000000000 +0000
@@ -0,0 +1 @@
+n
diff -ruN a/old.txt b/old.txt
--- a/old.txt	2024-01-02 03:04:05.000000000 +0000
+++ b/old.txt	1970-01-01 01:00:00.000000000 +0100
@@ -1 +0,0 @@
-o
Binary files a/img.png and b/img.png differ
--- /dev/null
+++ b/nul.txt
@@ -0,0 +1 @@
+x
`,
		want: `file "new.txt" added +1 -0
  @@ -0,0 +1,1 @@ ""
    +    .    1 "n"
file "old.txt" removed +0 -1
  @@ -1,1 +0,0 @@ ""
    -    1    . "o"
file "img.png" modified binary +0 -0
file "nul.txt" added +1 -0
  @@ -0,0 +1,1 @@ ""
    +    .    1 "x"
`,
	},
	{
		name: "git format-patch mail with message, diffstat and signature",
		in: `From 1234567890abcdef Mon Sep 17 00:00:00 2001
From: A U Thor <a@example.com>
Subject: [PATCH] Fix it

---
 x.go | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/x.go b/x.go
index 1111111..2222222 100644
--- a/x.go
+++ b/x.go
@@ -1 +1 @@
-a
+b
-- 
2.39.5

`,
		want: `file "x.go" modified mode=100644->100644 +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a"
    +    .    1 "b"
`,
	},
	{
		name: "git log -p with commit headers between diffs",
		in: `commit 1111111111111111111111111111111111111111
Author: A <a@example.com>

    second

diff --git a/x b/x
--- a/x
+++ b/x
@@ -1 +1 @@
-1
+2

commit 2222222222222222222222222222222222222222

    first
    - a list item in the message
    + another

diff --git a/y b/y
--- a/y
+++ b/y
@@ -1 +1 @@
-1
+2
`,
		want: `file "x" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "1"
    +    .    1 "2"
file "y" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "1"
    +    .    1 "2"
`,
	},
	{
		name: "pure insertion and pure deletion hunks with -U0",
		in: `diff --git a/x b/x
--- a/x
+++ b/x
@@ -2,0 +3,2 @@ two
+new1
+new2
@@ -4 +5,0 @@ four
-gone
`,
		want: `file "x" modified +2 -1
  @@ -2,0 +3,2 @@ "two"
    +    .    3 "new1"
    +    .    4 "new2"
  @@ -4,1 +5,0 @@ "four"
    -    4    . "gone"
`,
	},
	{
		// go-diff's own reading of header-only files knows a fixed set of
		// header layouts; the extended headers are read here instead.
		name: "header-only files: rename with mode change, deleted binary, rewrite",
		in: `diff --git a/run b/bin/run
old mode 100644
new mode 100755
similarity index 100%
rename from run
rename to bin/run
diff --git a/logo.png b/logo.png
deleted file mode 100644
index 1111111..0000000
Binary files a/logo.png and /dev/null differ
diff --git a/x.go b/x.go
dissimilarity index 90%
index 1111111..2222222 100644
--- a/x.go
+++ b/x.go
@@ -1 +1 @@
-a
+b
`,
		want: `file "bin/run" from "run" renamed similarity=100% mode=100644->100755 +0 -0
file "logo.png" removed mode=100644->- binary +0 -0
file "x.go" modified mode=100644->100644 +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a"
    +    .    1 "b"
`,
	},
	{
		name: "quoted path that is not UTF-8 keeps its bytes",
		in: `diff --git "a/\377.txt" "b/\377.txt"
--- "a/\377.txt"
+++ "b/\377.txt"
@@ -1 +1 @@
-a
+b
`,
		want: `file "\xff.txt" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "a"
    +    .    1 "b"
`,
	},
	{
		name: "hunk without ---/+++ takes the names from diff --git",
		in: `diff --git a/x b/x
@@ -1 +1 @@
-1
+2
`,
		want: `file "x" modified +1 -1
  @@ -1,1 +1,1 @@ ""
    -    1    . "1"
    +    .    1 "2"
`,
	},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := diff.Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := dump(d); got != tc.want {
				t.Errorf("dump mismatch:\n%s\ngot:\n%s", lineDiff(tc.want, got), got)
			}
			checkInvariants(t, d)
		})
	}
}

// parseErrorCases are malformed inputs, with the file and line the error
// must name. They also seed FuzzParse.
var parseErrorCases = []struct {
	name, in string
	file     string
	line     int
	msg      string
	is       error
}{
	{
		name: "garbage line inside a hunk",
		in:   "diff --git a/path/x.go b/path/x.go\n--- a/path/x.go\n+++ b/path/x.go\n@@ -1,2 +1,5 @@\n a\n+b\n+c\ngarbage\n",
		file: "path/x.go", line: 8, msg: `hunk has 1 old lines, header says 2`,
	},
	{
		name: "body shorter than the new count at the end of input",
		in:   "--- a/x\n+++ b/x\n@@ -1 +1,5 @@\n a\n+b\n+c\n",
		file: "x", line: 6, msg: `hunk has 3 new lines, header says 5 (input ends)`,
	},
	{
		name: "body shorter than the count, next hunk starts",
		in:   "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n@@ -9 +9 @@\n-a\n+b\n",
		file: "x", line: 5, msg: `hunk has 1 old lines, header says 3`,
	},
	{
		// go-diff drops such a line when it removes the newline the
		// marker takes away: the hunk would come out one line short.
		name: "no-newline marker after a bare empty line",
		in:   "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n\n\\ No newline at end of file\n",
		file: "x", line: 6, msg: `marker after an empty line without its ' ' prefix`,
	},
	{
		name: "body longer than the header",
		in:   "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n",
		file: "x", line: 6, msg: `hunk has more than 1 new lines, header says 1`,
	},
	{
		name: "extra deleted line where the counts leave only added lines",
		in:   "--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n-a\n-b\n+c\n",
		file: "x", line: 5, msg: `hunk has 2 old lines, header says 1`,
	},
	{
		name: "bad hunk header",
		in:   "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -a,1 +1 @@\n",
		file: "x", line: 4, msg: `bad hunk header "@@ -a,1 +1 @@": bad old range`,
	},
	{
		name: "hunk header without new range",
		in:   "--- a/x\n+++ b/x\n@@ -1,2 @@\n",
		file: "x", line: 3, msg: `bad hunk header`,
	},
	{
		name: "hunk header with no lines",
		in:   "--- a/x\n+++ b/x\n@@ -0,0 +0,0 @@\n",
		file: "x", line: 3, msg: `no lines on either side`,
	},
	{
		name: "old range with lines starting at line 0",
		in:   "--- a/x\n+++ b/x\n@@ -0,1 +1 @@\n-a\n+b\n",
		file: "x", line: 3, msg: `old range starts at line 0`,
	},
	{
		name: "line number too large",
		in:   "--- a/x\n+++ b/x\n@@ -1 +99999999999 @@\n",
		file: "x", line: 3, msg: `bad new range`,
	},
	{
		name: "hunks out of order",
		in:   "--- a/x\n+++ b/x\n@@ -5 +5 @@\n-a\n+b\n@@ -3 +3 @@\n-a\n+b\n",
		file: "x", line: 6, msg: `overlaps or precedes the previous hunk`,
	},
	{
		name: "hunk header before any file",
		in:   "@@ -1 +1 @@\n-a\n+b\n",
		line: 1, msg: `hunk header outside of a file diff`,
	},
	{
		name: "--- without +++",
		in:   "diff --git a/x b/x\n--- a/x\n@@ -1 +1 @@\n",
		file: "x", line: 3, msg: `not followed by "+++"`,
	},
	{
		name: "--- as the last line of the input",
		in:   "diff --git 0\n--- ",
		line: 2, msg: `not followed by "+++"`,
	},
	{
		name: "file header without hunks",
		in:   "diff --git a/x b/x\n--- a/x\n+++ b/x\ndiff --git a/y b/y\n",
		file: "x", line: 4, msg: `not followed by a hunk`,
	},
	{
		name: "no-newline marker first in a hunk",
		in:   "--- a/x\n+++ b/x\n@@ -1 +1 @@\n\\ No newline at end of file\n-a\n+b\n",
		file: "x", line: 4, msg: `marker does not follow a line`,
	},
	{
		name: "line after the new side ended",
		in:   "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n+b\n\\ No newline at end of file\n-a\n-c\n+d\n",
		file: "x", line: 6, msg: `line after the "\ No newline at end of file" marker`,
	},
	{
		name: "combined diff",
		in:   "diff --cc x.go\nindex 1,2..3\n--- a/x.go\n+++ b/x.go\n",
		line: 1, is: diff.ErrCombined,
	},
	{
		name: "text without any diff",
		in:   "hello\nworld\n",
		line: 1, is: diff.ErrNoDiff,
	},
	{
		name: "bad quoting in a rename header",
		in:   "diff --git a/x b/y\nsimilarity index 100%\nrename from \"x\\q\"\nrename to y\n",
		file: "y", line: 3, msg: `unknown escape`,
	},
	{
		name: "rename without its other half",
		in:   "diff --git a/x b/y\nrename from x\n",
		file: "y", line: 1, msg: `rename or copy headers are incomplete`,
	},
	{
		name: "bad similarity",
		in:   "diff --git a/x b/y\nsimilarity index lots\nrename from x\nrename to y\n",
		file: "y", line: 2, msg: `bad similarity index`,
	},
	{
		name: "ambiguous diff --git line and nothing else to go by",
		in:   "diff --git a/x y b/z w\nold mode 100644\nnew mode 100755\n",
		line: 1, msg: `cannot tell the two paths apart`,
	},
	{
		name: "plain file header without names",
		in:   "--- \n+++ \n@@ -1,2 +0,0 @@\n-\n-0",
		line: 1, msg: `want two paths`,
	},
	{
		name: "added file whose hunk has base lines",
		in:   "diff --git a/n b/n\nnew file mode 100644\n--- /dev/null\n+++ b/n\n@@ -1 +1 @@\n-a\n+b\n",
		file: "n", line: 5, msg: `hunk of an added file has base lines`,
	},
	{
		name: "removed file whose hunk has head lines",
		in:   "--- a/n\n+++ /dev/null\n@@ -1 +1 @@\n-a\n+b\n",
		file: "n", line: 3, msg: `hunk of a removed file has head lines`,
	},
	{
		name: "unknown timestamp format",
		in:   "--- x.c\t(revision 12)\n+++ x.c\t(working copy)\n@@ -1 +1 @@\n-a\n+b\n",
		file: "x.c", line: 1, msg: `bad file header`,
	},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := diff.Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; got:\n%s", dump(d))
			}
			var pe *diff.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if pe.File != tc.file || pe.Line != tc.line {
				t.Errorf("error names %q line %d, want %q line %d (%v)", pe.File, pe.Line, tc.file, tc.line, err)
			}
			if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	tests := []struct {
		err  *diff.ParseError
		want string
	}{
		{&diff.ParseError{File: "path/x.go", Line: 42, Err: errors.New("hunk has 3 new lines, header says 5")},
			`diff: parse "path/x.go" at line 42: hunk has 3 new lines, header says 5`},
		{&diff.ParseError{Line: 1, Err: diff.ErrNoDiff}, `diff: parse at line 1: no file diff found in input`},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// TestParseHugeFile parses one added file of 200,000 lines with a long
// line in it, and checks the numbering at the end.
func TestParseHugeFile(t *testing.T) {
	const n = 200_000
	var b strings.Builder
	b.WriteString("diff --git a/big.txt b/big.txt\nnew file mode 100644\n--- /dev/null\n+++ b/big.txt\n@@ -0,0 +1,200000 @@\n")
	for i := 1; i <= n; i++ {
		if i == n/2 {
			b.WriteString("+" + strings.Repeat("x", 1<<20) + "\n")
			continue
		}
		b.WriteString("+line\n")
	}
	d, err := diff.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	f := d.File("big.txt")
	if f == nil || len(f.Hunks) != 1 {
		t.Fatalf("want one file with one hunk, got %+v", d.Files)
	}
	lines := f.Hunks[0].Lines
	if len(lines) != n || lines[n-1].NewLine != n || len(lines[n/2-1].Content) != 1<<20 {
		t.Errorf("got %d lines, last numbered %d", len(lines), lines[len(lines)-1].NewLine)
	}
	if !f.Commentable(diff.Right, n-10, n) || f.Commentable(diff.Left, 1, 1) {
		t.Error("commentable lines of the added file are wrong")
	}
}

// TestGoDiffQuirkAcrossManyHunks checks every hunk of a file whose body
// lines look like file headers, not just the first pair.
func TestGoDiffQuirkAcrossManyHunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("--- a/x.md\n+++ b/x.md\n")
	for i := 0; i < 5; i++ {
		start := 1 + i*10
		b.WriteString("@@ -" + itoa(start) + ",2 +" + itoa(start) + ",2 @@\n--- old\n+++ new\n ctx\n")
	}
	d, err := diff.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Files) != 1 || len(d.Files[0].Hunks) != 5 {
		t.Fatalf("want 1 file with 5 hunks, got:\n%s", dump(d))
	}
	for _, h := range d.Files[0].Hunks {
		if h.Lines[0].Content != "-- old" || h.Lines[1].Content != "++ new" {
			t.Errorf("hunk %d lines: %+v", h.OldStart, h.Lines)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// checkInvariants fails the test when a parsed diff breaks what the rest
// of the engine relies on: counts that match the headers, consecutive line
// numbers, and an index that finds every line in its own hunk.
func checkInvariants(t testing.TB, d *diff.Diff) {
	t.Helper()
	for _, f := range d.Files {
		if f.Path() == "" {
			t.Errorf("file without a path: %+v", f)
		}
		if d.File(f.Path()) == nil {
			t.Errorf("d.File(%q) = nil", f.Path())
		}
		for hi, h := range f.Hunks {
			oldNo, newNo := h.OldStart, h.NewStart
			for _, l := range h.Lines {
				if strings.Contains(l.Content, "\n") {
					t.Errorf("%s: content %q keeps a line ending", f.Path(), l.Content)
				}
				switch l.Kind {
				case diff.Context:
					if l.OldLine != oldNo || l.NewLine != newNo {
						t.Errorf("%s: context line numbered %d/%d, want %d/%d", f.Path(), l.OldLine, l.NewLine, oldNo, newNo)
					}
					oldNo++
					newNo++
				case diff.Deleted:
					if l.OldLine != oldNo || l.NewLine != 0 {
						t.Errorf("%s: deleted line numbered %d/%d", f.Path(), l.OldLine, l.NewLine)
					}
					oldNo++
				case diff.Added:
					if l.NewLine != newNo || l.OldLine != 0 {
						t.Errorf("%s: added line numbered %d/%d", f.Path(), l.OldLine, l.NewLine)
					}
					newNo++
				}
				if l.Kind != diff.Added && f.HunkAt(diff.Left, l.OldLine) != hi {
					t.Errorf("%s: HunkAt(LEFT, %d) = %d, want %d", f.Path(), l.OldLine, f.HunkAt(diff.Left, l.OldLine), hi)
				}
				if l.Kind != diff.Deleted && f.HunkAt(diff.Right, l.NewLine) != hi {
					t.Errorf("%s: HunkAt(RIGHT, %d) = %d, want %d", f.Path(), l.NewLine, f.HunkAt(diff.Right, l.NewLine), hi)
				}
			}
			if oldNo-h.OldStart != h.OldLines || newNo-h.NewStart != h.NewLines {
				t.Errorf("%s: hunk -%d,%d +%d,%d has %d old and %d new lines", f.Path(),
					h.OldStart, h.OldLines, h.NewStart, h.NewLines, oldNo-h.OldStart, newNo-h.NewStart)
			}
		}
	}
}

// TestParseLongHeaderLines feeds header lines of a few megabytes built to
// make a careless name splitter quadratic; it must finish (it takes
// milliseconds) and name the file.
func TestParseLongHeaderLines(t *testing.T) {
	long := strings.Repeat(` "x`, 1<<20)
	ands := strings.Repeat("x and ", 1<<19)
	inputs := []string{
		"diff --git a/x" + long + "\"\nold mode 100644\nnew mode 100755\n",
		"diff --git a/x b/x\nnew file mode 100644\nBinary files " + ands + "/dev/null differ\n",
		"Binary files " + ands + "y differ\n",
		"--- a/" + long + "\n+++ b/" + long + "\n@@ -1 +1 @@\n-a\n+b\n",
	}
	for i, in := range inputs {
		if _, err := diff.Parse([]byte(in)); err != nil {
			var pe *diff.ParseError
			if !errors.As(err, &pe) {
				t.Errorf("input %d: %v is not a *ParseError", i, err)
			}
		}
	}
}
