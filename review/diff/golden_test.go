package diff_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/diff"
)

var update = flag.Bool("update", false, "rewrite testdata/*.diff and *.golden from the real git")

// gitCases are the git invocations the golden test runs against the same
// two commits; each has testdata/<name>.diff (git's output, kept so the
// parser is checked without git too) and testdata/<name>.golden (its dump).
var gitCases = []struct {
	name string
	args []string // for git; nil for the plain "diff -ruN" case
}{
	{"plain_diff_ruN", nil},
	{"git_default", []string{"diff", "-M", "-C", "--find-copies-harder", "base", "head"}},
	{"git_binary", []string{"diff", "-M", "-C", "--find-copies-harder", "--binary", "base", "head"}},
	{"git_noprefix", []string{"diff", "-M", "-C", "--find-copies-harder", "--no-prefix", "base", "head"}},
	{"git_mnemonic", []string{"-c", "diff.mnemonicPrefix=true", "diff", "-M", "-C", "--find-copies-harder", "--cached", "base"}},
	{"git_unified0", []string{"diff", "-M", "-C", "--find-copies-harder", "-U0", "base", "head"}},
}

// TestGolden parses what the installed git writes for a repository that
// holds every kind of change, and compares the dump with the golden file.
func TestGolden(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed; TestGoldenFixtures still checks the stored git output")
	}
	repo := t.TempDir()
	git := gitRunner(t, repo)
	buildRepo(t, repo, git)
	for _, tc := range gitCases {
		t.Run(tc.name, func(t *testing.T) {
			var out []byte
			if tc.args == nil {
				out = plainDiff(t, git)
			} else {
				out = git(tc.args...)
			}
			d, err := diff.Parse(out)
			if err != nil {
				t.Fatalf("Parse(%s output): %v\n%s", tc.name, err, out)
			}
			got := dump(d)
			diffPath := filepath.Join("testdata", tc.name+".diff")
			goldenPath := filepath.Join("testdata", tc.name+".golden")
			if *update {
				writeFile(t, diffPath, out)
				writeFile(t, goldenPath, []byte(got))
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if got != string(want) {
				t.Errorf("dump of %s output differs from %s (run with -update after checking):\n%s",
					tc.name, goldenPath, lineDiff(string(want), got))
			}
		})
	}
}

// TestGoldenFixtures parses the stored git output, so machines without git
// (and other git versions) still check the parser against it.
func TestGoldenFixtures(t *testing.T) {
	for _, tc := range gitCases {
		t.Run(tc.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tc.name+".diff"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", tc.name+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			d, err := diff.Parse(in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := dump(d); got != string(want) {
				t.Errorf("dump differs from golden:\n%s", lineDiff(string(want), got))
			}
		})
	}
}

// gitRunner returns a function running git in dir, isolated from the
// user's and the system's configuration, that fails the test on error.
func gitRunner(t *testing.T, dir string) func(args ...string) []byte {
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(home, "gitconfig"),
		"LC_ALL=C",
		"TZ=UTC",
		"GIT_AUTHOR_DATE=2024-01-02T03:04:05Z",
		"GIT_COMMITTER_DATE=2024-01-02T03:04:05Z",
	}
	return func(args ...string) []byte {
		t.Helper()
		full := []string{"-c", "core.quotepath=true", "-c", "core.autocrlf=false", "--no-pager"}
		for _, a := range args {
			full = append(full, a)
			if a == "diff" {
				full = append(full, "--no-color", "--no-ext-diff")
			}
		}
		cmd := exec.Command("git", full...)
		cmd.Dir, cmd.Env = dir, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
}

// buildRepo makes commits "base" and "head" (as tags) covering every
// kind of change the parser must read.
func buildRepo(t *testing.T, dir string, git func(...string) []byte) {
	git("init", "-q")
	git("config", "user.name", "Golden Test")
	git("config", "user.email", "golden@example.com")
	git("config", "commit.gpgsign", "false")

	put := func(name, content string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	remove := func(name string) {
		t.Helper()
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	numbered := func(prefix string, n int) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "%s line %d\n", prefix, i)
		}
		return b.String()
	}

	mainGo := "package main\n\nimport \"fmt\"\n\nfunc main() {\n" + numbered("\tfmt.Println(\"step\") //", 20) + "}\n"
	put("main.go", mainGo, 0o644)
	put("remove_me.py", numbered("print('gone')  #", 6), 0o644)
	put("pkg/old_name.go", "package pkg\n\n"+numbered("// renamed", 18), 0o644)
	put("docs/guide.md", "# Guide\n\n"+numbered("Some text", 8), 0o644)
	put("source.go", "package main\n\n"+numbered("// copied source", 30), 0o644)
	put("image.bin", "\x00\x01\x02binary\x00data\xff", 0o644)
	put("script.sh", "#!/bin/sh\necho hi\n", 0o644)
	put("tool.sh", "#!/bin/sh\necho old\n", 0o644)
	put("nonl.txt", "a\nb\nc", 0o644)
	put("addnl.txt", "x\ny", 0o644)
	put("windows.txt", "one\r\ntwo\r\nthree\r\nfour\r\n", 0o644)
	put("dir with space/file name.txt", "alpha\nbeta\ngamma\n", 0o644)
	put("café/naïve.txt", "crème\nbrûlée\n", 0o644)
	put("old name.txt", numbered("kept", 5), 0o644)
	put("quirk.md", "-- yaml: front\n"+numbered("body", 12)+"tail\n", 0o644)
	git("add", "-A")
	git("commit", "-q", "-m", "base")
	git("tag", "base")

	put("main.go", strings.Replace(strings.Replace(mainGo, "// line 3\n", "// line three\n", 1),
		"// line 17\n", "// line 17\n\tfmt.Println(\"added\")\n", 1), 0o644)
	remove("remove_me.py")
	remove("pkg/old_name.go")
	put("pkg/new_name.go", strings.Replace("package pkg\n\n"+numbered("// renamed", 18), "renamed line 9\n", "renamed and edited line 9\n", 1), 0o644)
	remove("docs/guide.md")
	put("docs/manual.md", "# Guide\n\n"+numbered("Some text", 8), 0o644)
	put("copy.go", strings.Replace("package main\n\n"+numbered("// copied source", 30), "source line 30\n", "source line 30 (copy)\n", 1), 0o644)
	put("image.bin", "\x00\x01\x02binary\x00changed\xfe", 0o644)
	put("script.sh", "#!/bin/sh\necho hi\n", 0o755)
	put("tool.sh", "#!/bin/sh\necho new\n", 0o755)
	put("nonl.txt", "a\nb\nc\nd\n", 0o644)
	put("addnl.txt", "x\nz", 0o644)
	put("windows.txt", "one\r\n2\r\nthree\r\nfour\r\nfive\r\n", 0o644)
	put("dir with space/file name.txt", "alpha\nBETA\ngamma\n", 0o644)
	put("café/naïve.txt", "crème\nbrûlée\nflambée\n", 0o644)
	remove("old name.txt")
	put("new name.txt", numbered("kept", 5), 0o644)
	put("quirk.md", "++ toml = front\n"+strings.Replace(numbered("body", 12), "body line 12\n", "body line twelve\n", 1)+"tail\n", 0o644)
	put("src/new.ts", "export function hello(): string {\n  return \"hi\";\n}\n", 0o644)
	put("empty.txt", "", 0o644)
	put("new.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 0o644)
	put("say \"hi\"\t.txt", "quoted\n", 0o644)
	git("add", "-A")
	git("commit", "-q", "-m", "head")
	git("tag", "head")
}

// plainDiff writes the two commits out as trees a/ and b/ and compares
// them with GNU "diff -ruN", whose output has no git headers.
func plainDiff(t *testing.T, git func(...string) []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("diff is not installed")
	}
	root := t.TempDir()
	for side, rev := range map[string]string{"a": "base", "b": "head"} {
		extract(t, git("archive", "--format=tar", rev), filepath.Join(root, side))
	}
	cmd := exec.Command("diff", "-ruN", "a", "b")
	cmd.Dir, cmd.Env = root, []string{"LC_ALL=C", "TZ=UTC", "PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	// Exit status 1 only says the trees differ.
	if ee := (*exec.ExitError)(nil); err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		t.Fatalf("diff -ruN: %v", err)
	}
	return out
}

// extract unpacks a tar archive of regular files into dir.
func extract(t *testing.T, archive []byte, dir string) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, hdr.FileInfo().Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %s\n  got  %s\n", i+1, wl, gl)
			if shown++; shown == 10 {
				break
			}
		}
	}
	return b.String()
}
