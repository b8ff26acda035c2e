package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)\n--- got ---\n%s\n--- want ---\n%s",
			name, got, want)
	}
}

const commentSeparator = "\n\n======== next inline comment ========\n\n"

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			summary := Summary(tc.r, tc.opt)
			golden(t, tc.name+".summary.md", []byte(summary+"\n"))

			golden(t, tc.name+".doc.md", []byte(Document(tc.r)))

			var inline []string
			for _, f := range tc.r.Findings {
				if f.Placement.Inline {
					inline = append(inline, InlineBody(f))
				}
			}
			golden(t, tc.name+".inline.md", []byte(strings.Join(inline, commentSeparator)+"\n"))

			var text bytes.Buffer
			if err := Text(&text, tc.r, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".txt", text.Bytes())

			var js bytes.Buffer
			if err := JSON(&js, tc.r); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".json", js.Bytes())

			var sarif bytes.Buffer
			if err := SARIF(&sarif, tc.r, SARIFOptions{ToolVersion: "1.2.3", InformationURI: "https://github.com/codex-review/codex-review"}); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".sarif", sarif.Bytes())
		})
	}
}

func TestGoldenColor(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, mixedResult(), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "mixed.color.txt", b.Bytes())
}

func TestGoldenRepeatReply(t *testing.T) {
	golden(t, "repeat.reply.md", []byte(RepeatReply(Repeat{
		Commit: testCommit, CommitURL: testCommitURL,
		ReviewURL: "https://github.com/acme/shop/pull/7#pullrequestreview-2024001",
		Verdict:   finding.CorrectnessBad, Counts: []int{1, 5, 0, 0}, Trigger: "@codex",
	})+"\n"))
	golden(t, "repeat_clean.reply.md", []byte(RepeatReply(Repeat{
		Commit: testCommit, ReviewURL: "https://github.com/acme/shop/pull/7#pullrequestreview-2024002",
		Verdict: finding.CorrectnessOK, Counts: []int{0, 0, 0, 0}, Trigger: "@review-bot",
	})+"\n"))
}
