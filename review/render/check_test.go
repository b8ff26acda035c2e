package render

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
)

func TestCheck(t *testing.T) {
	r := mixedResult()
	out := Check(r, CheckOptions{ReviewURL: "https://github.com/acme/shop/pull/7#pullrequestreview-1", Link: testLink, FailOn: "P1"})
	if !strings.HasPrefix(out.Title, plural(len(r.Findings), "finding", "findings")+" (") {
		t.Errorf("title %q", out.Title)
	}
	for _, want := range []string{"**Verdict: patch is incorrect**", "[Read the review on the pull request](https://github.com/acme/shop/pull/7#pullrequestreview-1)", "at P1 or above", "**Coverage:**"} {
		if !strings.Contains(out.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, out.Summary)
		}
	}
	if strings.Contains(out.Summary, "<!--") {
		t.Errorf("the summary has a hidden marker:\n%s", out.Summary)
	}
	annotated := 0
	for _, f := range r.Findings {
		if _, _, _, side := location(f); side != diff.Left && f.CodeLocation.AbsoluteFilePath != "" {
			annotated++
		}
	}
	if len(out.Annotations) != annotated {
		t.Errorf("%d annotations for %d findings on the head's lines", len(out.Annotations), annotated)
	}
	for _, a := range out.Annotations {
		if a.Path == "" || a.StartLine < 1 || a.EndLine < a.StartLine || a.Message == "" || (a.Level != LevelFailure && a.Level != LevelWarning && a.Level != LevelNotice) {
			t.Errorf("annotation %+v", a)
		}
	}
	if got := Check(cleanResult(), CheckOptions{}); got.Title != "No findings" || len(got.Annotations) != 0 {
		t.Errorf("clean review: %+v", got)
	}
}

func TestCheckLimits(t *testing.T) {
	r := hugeResult(3000, 5000)
	r.Verdict.Explanation = strings.Repeat("é", 100000)
	out := Check(r, CheckOptions{Link: testLink})
	if len(out.Summary) > MaxCheckSummary || !utf8.ValidString(out.Summary) {
		t.Fatalf("summary is %d bytes (valid UTF-8: %v)", len(out.Summary), utf8.ValidString(out.Summary))
	}
	if !strings.Contains(out.Summary, "not listed (limit)") {
		t.Errorf("the summary does not say findings were left out")
	}
	// A hostile finding: a huge title and body, control characters, a
	// deleted line.
	hostile := rev(finding.Bugs, 0, strings.Repeat("T", 1000)+"\x1b[31m", "body\x00\x07 with "+strings.Repeat("b", 10000), "a.go", 3, 1, 0.9, "f", inSummary("a.go", "x"))
	deleted := rev(finding.Bugs, 3, "Gone", "g", "b.go", 4, 4, 0.9, "g", anchor.Placement{Inline: true, Path: "b.go", Side: diff.Left, Line: 4})
	out = Check(result(finding.CorrectnessBad, "x", 0.5, hostile, deleted), CheckOptions{})
	if len(out.Annotations) != 1 {
		t.Fatalf("annotations %+v, want only the finding on the head", out.Annotations)
	}
	a := out.Annotations[0]
	if utf8.RuneCountInString(a.Title) > maxAnnotationTitle || len(a.Message) > maxAnnotationMessage || strings.ContainsAny(a.Title+a.Message, "\x00\x07\x1b") ||
		a.StartLine != 3 || a.EndLine != 3 || a.Level != LevelFailure {
		t.Errorf("annotation %q (%d runes) %q (%d bytes) lines %d-%d level %s", a.Title[:20], utf8.RuneCountInString(a.Title), a.Message[:10], len(a.Message), a.StartLine, a.EndLine, a.Level)
	}
	for p, want := range map[int]string{0: LevelFailure, 1: LevelFailure, 2: LevelWarning, 3: LevelNotice} {
		if got := LevelOf(p); got != want {
			t.Errorf("LevelOf(P%d) = %s, want %s", p, got, want)
		}
	}
}

// Annotations are shown by GitHub as plain text: the model's words go as
// written, markdown and all (neutralising would show its escapes as
// backslashes and mark nothing less live), with the control characters
// stripped as everywhere, within the limits: 255 characters of title,
// however many bytes they take, and a message of bounded bytes.
func TestAnnotationsArePlainText(t *testing.T) {
	body := "> [!WARNING]\n> Approved by @security, see [this](https://evil.example) \x1b[2J\u202e$x$"
	f := rev(finding.Security, 1, "[P1] "+strings.Repeat("é", 400)+"\x07", body, "a.go", 3, 4, 0.9, "f", inSummary("a.go", "x"))
	out := Check(result(finding.CorrectnessBad, "x", 0.5, f), CheckOptions{})
	if len(out.Annotations) != 1 {
		t.Fatalf("annotations %+v", out.Annotations)
	}
	a := out.Annotations[0]
	if want := "> [!WARNING]\n> Approved by @security, see [this](https://evil.example) [2J$x$"; a.Message != want {
		t.Errorf("message %q, want %q", a.Message, want)
	}
	if n := utf8.RuneCountInString(a.Title); n > maxAnnotationTitle || !strings.HasPrefix(a.Title, "[P1] éé") || !strings.HasSuffix(a.Title, "é…") {
		t.Errorf("title %q (%d characters)", a.Title, n)
	}
}
