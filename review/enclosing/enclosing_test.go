package enclosing_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/enclosing"
	"github.com/codex-review/codex-review/review/reviewtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden extracts the context of every hunk of real `git diff` output
// over the changes in testdata/<case>/{base,head} and compares it with
// testdata/<case>.golden: each hunk's lines, with the context lines (":")
// and gap markers around them.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*/head")
	if err != nil {
		t.Fatal(err)
	}
	for _, head := range cases {
		dir := filepath.Dir(head)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			change := reviewtest.FromDir(t, dir)
			repo := change.Repo(t)
			d, err := diff.Parse(repo.Diff(t))
			if err != nil {
				t.Fatal(err)
			}
			got := show(d, change.Head)
			golden := dir + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("context differs from %s (run with -update to accept):\n%s", golden, got)
			}
		})
	}
}

// show renders each file's hunks with their context, marking context lines
// with ":" as the review prompt does.
func show(d *diff.Diff, head map[string]string) string {
	var b strings.Builder
	for _, f := range d.Files {
		fmt.Fprintf(&b, "=== %s (%s)\n", f.Path(), f.Status)
		ctx := enclosing.Extract(f.NewPath, []byte(head[f.NewPath]), f.Hunks)
		for i, h := range f.Hunks {
			fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@\n", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
			writeContext(&b, ctx[i].Before)
			for _, l := range h.Lines {
				marker, n := " ", l.NewLine
				switch l.Kind {
				case diff.Added:
					marker = "+"
				case diff.Deleted:
					marker, n = "-", l.OldLine
				}
				fmt.Fprintf(&b, "%4d %s %s\n", n, marker, l.Content)
			}
			writeContext(&b, ctx[i].After)
		}
	}
	return b.String()
}

func writeContext(b *strings.Builder, lines []enclosing.Line) {
	for _, l := range lines {
		if l.Skipped > 0 {
			fmt.Fprintf(b, " ... : %d lines\n", l.Skipped)
			continue
		}
		fmt.Fprintf(b, "%4d : %s\n", l.N, l.Text)
	}
}

// checkInvariants: context lines are in the file, in order, never inside
// a hunk, never shown twice, and each carries the file's own text.
func checkInvariants(t *testing.T, name string, head []byte, hunks []diff.Hunk, ctx []enclosing.Hunk) {
	t.Helper()
	if len(ctx) != len(hunks) {
		t.Fatalf("%s: %d contexts for %d hunks", name, len(ctx), len(hunks))
	}
	lines := strings.Split(strings.TrimSuffix(string(head), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	seen := map[int]bool{}
	last := 0
	check := func(i int, h diff.Hunk, part []enclosing.Line) {
		for _, l := range part {
			if l.Skipped > 0 {
				continue
			}
			if l.N < 1 || l.N > len(lines) || lines[l.N-1] != l.Text {
				t.Errorf("%s: line %d %q is not the file's", name, l.N, l.Text)
			}
			if seen[l.N] {
				t.Errorf("%s: line %d shown twice", name, l.N)
			}
			seen[l.N] = true
			if l.N <= last {
				t.Errorf("%s: line %d out of order", name, l.N)
			}
			last = l.N
			if h.NewLines > 0 && l.N >= h.NewStart && l.N <= h.NewEnd() {
				t.Errorf("%s: line %d is inside hunk %d", name, l.N, i+1)
			}
		}
	}
	for i, h := range hunks {
		check(i, h, ctx[i].Before)
		if h.NewLines > 0 {
			last = max(last, h.NewEnd())
		}
		check(i, h, ctx[i].After)
	}
}

func TestInvariantsOnGoldenCases(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*/head")
	for _, head := range cases {
		change := reviewtest.FromDir(t, filepath.Dir(head))
		d, err := diff.Parse(change.Repo(t).Diff(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range d.Files {
			content := []byte(change.Head[f.NewPath])
			checkInvariants(t, f.Path(), content, f.Hunks, enclosing.Extract(f.NewPath, content, f.Hunks))
		}
	}
}

func TestScannerSkipsBracesInStringsAndComments(t *testing.T) {
	src := "package p\n\n" +
		"func A() {\n" + // 3
		"\ts := \"}{\" // }\n" +
		"\tr := `\n}\n` /* { */\n" +
		"\t_ = '}'\n" +
		"\tx := 1\n" + // 9
		"\t_ = x\n" +
		"}\n" + // 11
		"\n" +
		"func B() {}\n"
	h := diff.Hunk{NewStart: 9, NewLines: 1, Lines: []diff.Line{{Kind: diff.Added, NewLine: 9, Content: "\tx := 1"}}}
	ctx := enclosing.Extract("p.go", []byte(src), []diff.Hunk{h})
	if len(ctx[0].Before) == 0 || ctx[0].Before[0].N != 3 {
		t.Fatalf("context does not start at func A: %+v", ctx[0].Before)
	}
	if a := ctx[0].After; len(a) == 0 || a[len(a)-1].N != 11 {
		t.Errorf("context does not end at A's closing brace: %+v", a)
	}
}

func TestLongFunctionIsCutAroundTheChange(t *testing.T) {
	var b strings.Builder
	b.WriteString("function long(a) {\n") // 1
	for i := 2; i <= 200; i++ {
		fmt.Fprintf(&b, "  a += %d;\n", i)
	}
	b.WriteString("}\n") // 201
	h := diff.Hunk{NewStart: 100, NewLines: 1, Lines: []diff.Line{{Kind: diff.Added, NewLine: 100, Content: "  a += 100;"}}}
	ctx := enclosing.Extract("long.js", []byte(b.String()), []diff.Hunk{h})[0]
	if ctx.Before[0].N != 1 || ctx.Before[1].Skipped == 0 {
		t.Errorf("the header and a gap marker should open the context: %+v", ctx.Before[:2])
	}
	if n := ctx.Lines(); n > enclosing.MaxBefore+enclosing.MaxAfter+1 {
		t.Errorf("%d context lines for one changed line of a long function", n)
	}
	if got := ctx.Before[len(ctx.Before)-1].N; got != 99 {
		t.Errorf("context before ends at %d, want 99 (just above the hunk)", got)
	}
}

func TestContentThatDoesNotMatchTheDiff(t *testing.T) {
	// A hunk pointing past the end of the file (the content is not the
	// diff's head) yields no lines outside the file and no panic.
	h := diff.Hunk{NewStart: 50, NewLines: 3, Lines: []diff.Line{
		{Kind: diff.Context, NewLine: 50}, {Kind: diff.Deleted, OldLine: 51}, {Kind: diff.Added, NewLine: 51}, {Kind: diff.Context, NewLine: 52}}}
	for _, name := range []string{"a.go", "a.py", "a.txt"} {
		for _, content := range []string{"", "x\n", "def f():\n    pass\n", "func f() {\n}\n"} {
			ctx := enclosing.Extract(name, []byte(content), []diff.Hunk{h})
			checkInvariants(t, name, []byte(content), []diff.Hunk{h}, ctx)
		}
	}
}

func FuzzExtract(f *testing.F) {
	f.Add("a.go", "package p\n\nfunc f() {\n\tif x {\n\t}\n}\n", 3, 2)
	f.Add("a.py", "class A:\n    def f(self):\n        '''\nx\n'''\n        return 1\n", 2, 3)
	f.Add("a.java", "class A {\n  @Override\n  void f() {\n  }\n}\n", 3, 1)
	f.Fuzz(func(t *testing.T, name, content string, start, count int) {
		if start < 0 || count < 0 || start > 1<<16 || count > 1<<10 {
			return
		}
		h := diff.Hunk{NewStart: start, NewLines: count}
		for i := 0; i < count; i++ {
			h.Lines = append(h.Lines, diff.Line{Kind: diff.Added, NewLine: start + i})
		}
		ctx := enclosing.Extract(name, []byte(content), []diff.Hunk{h})
		checkInvariants(t, name, []byte(content), []diff.Hunk{h}, ctx)
	})
}
