package review

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
	"github.com/codex-review/codex-review/review/sandbox"
)

// A test this change breaks is a fact, not an opinion, and the review says
// so whatever the model answered: a P1 finding per broken test (one for
// all of them past maxBlamedTests), and the verdict "patch is incorrect".
const (
	blamePriority   = finding.P1
	blameConfidence = 0.9 // a test can be flaky; the same failure twice is still likely real
	maxBlamedTests  = 3
	// excerptLines is how much of a failing test's output a finding quotes.
	excerptLines = 6
)

// testBlame returns the findings for the tests this change breaks: those
// failing at head and passing at the base (sandbox.BlameChange). Each is
// placed on the most relevant changed line of d, or left without a
// location for the summary.
func testBlame(d *diff.Diff, tests *sandbox.Result) []finding.Finding {
	if tests == nil || tests.Base == nil || tests.Base.Blame != sandbox.BlameChange {
		return nil
	}
	base := shortCommit(tests.Base.Commit)
	same := fmt.Sprintf("(same command %s, same sandbox and limits)", markdown.CodeSpan(tests.Command))
	broken := tests.Base.Broken
	mk := func(title, body, test string) finding.Finding {
		path, line := blameLocation(d, test, tests.OutputTail)
		f := finding.Finding{
			Title: "[" + blamePriority.String() + "] " + title, Body: body,
			ConfidenceScore: blameConfidence, Priority: int(blamePriority), Category: string(finding.Tests),
		}
		if path != "" {
			f.CodeLocation = finding.CodeLocation{AbsoluteFilePath: path, LineRange: finding.LineRange{Start: line, End: line}}
		}
		return f
	}
	switch {
	case len(broken) == 0:
		verb := "fail"
		if tests.Status == sandbox.StatusTimedOut {
			verb = "time out"
		}
		return []finding.Finding{mk("This change makes "+markdown.CodeSpan(tests.Command)+" "+verb,
			fmt.Sprintf("The test command %ss with this change and passes on the base commit %s %s.", verb, base, same), "")}
	case len(broken) <= maxBlamedTests:
		var out []finding.Finding
		for _, name := range broken {
			body := fmt.Sprintf("%s fails with this change and passes on the base commit %s %s.", markdown.CodeSpan(name), base, same)
			if ex := excerpt(tests.OutputTail, name); ex != "" {
				body += "\n\n" + ex
			}
			out = append(out, mk("This change breaks "+markdown.CodeSpan(name), body, name))
		}
		return out
	default:
		var b strings.Builder
		fmt.Fprintf(&b, "These tests fail with this change and pass on the base commit %s %s:", base, same)
		for _, name := range broken {
			b.WriteString("\n- " + markdown.CodeSpan(name))
		}
		return []finding.Finding{mk(fmt.Sprintf("This change breaks %d tests", len(broken)), b.String(), broken[0])}
	}
}

// blameVerdict makes the verdict say what the tests say: a change that
// breaks tests is incorrect, whatever the passes concluded.
func blameVerdict(v *Verdict, tests *sandbox.Result) {
	if tests == nil || tests.Base == nil || tests.Base.Blame != sandbox.BlameChange {
		return
	}
	what := "the test command"
	if n := len(tests.Base.Broken); n == 1 {
		// The name comes from the pull request's test output.
		what = markdown.CodeSpan(tests.Base.Broken[0])
	} else if n > 1 {
		what = strconv.Itoa(n) + " tests"
	}
	sentence := "This change breaks " + what + ", which passes on the base commit."
	if len(tests.Base.Broken) > 1 {
		sentence = "This change breaks " + what + ", which pass on the base commit."
	}
	if v.Correctness != finding.CorrectnessBad {
		v.Correctness, v.Explanation = finding.CorrectnessBad, sentence
	} else {
		v.Explanation = strings.TrimSpace(sentence + " " + v.Explanation)
	}
	v.Confidence = max(v.Confidence, blameConfidence)
}

// fileRef matches "path/to/file.ext:123" in test output: Go's
// "calc_test.go:12:", stack frames such as "(/work/src/src/calc.js:25:13)",
// Python's 'File "app/calc.py", line 25' is not matched and falls back.
var fileRef = regexp.MustCompile(`([A-Za-z0-9_./\-]+\.[A-Za-z0-9]+):([0-9]+)`)

// blameLocation picks the changed line a broken test points at, in order:
// a changed line of the code (not of a test) the output refers to; the
// definition of the function the test is named after (TestAverage,
// test_average: average) when it changed, else the first changed line
// after it in its hunk; a changed line of a test the output refers to. "" when none: the finding goes to the summary.
func blameLocation(d *diff.Diff, test, output string) (string, int) {
	if d == nil {
		return "", 0
	}
	var testRef struct {
		path string
		line int
	}
	for _, m := range fileRef.FindAllStringSubmatch(output, -1) {
		n, err := strconv.Atoi(m[2])
		if err != nil {
			continue
		}
		f := diffFile(d, m[1])
		if f == nil || !addedLine(f, n) {
			continue
		}
		if !isTestFile(f.Path()) {
			return f.Path(), n
		}
		if testRef.path == "" {
			testRef.path, testRef.line = f.Path(), n
		}
	}
	if subject := testSubject(test); subject != "" {
		def := regexp.MustCompile(`(?i)(\b(func|function|def|fn)\b[^(\n]*\b` + regexp.QuoteMeta(subject) + `\s*\(|\b` +
			regexp.QuoteMeta(subject) + `\s*[:=]\s*(async\s+)?(function\b|\())`)
		for _, f := range d.Files {
			if isTestFile(f.Path()) || f.NewPath == "" {
				continue
			}
			for _, h := range f.Hunks {
				// The definition itself when it changed, else the first
				// changed line after it in the same hunk: a line of the
				// function the test exercises.
				defined := false
				for _, l := range h.Lines {
					if l.Kind != diff.Deleted && def.MatchString(l.Content) {
						defined = true
					}
					if defined && l.Kind == diff.Added {
						return f.Path(), l.NewLine
					}
				}
			}
		}
	}
	return testRef.path, testRef.line
}

// diffFile finds the diff's file a path in test output names: the path
// itself, or a diff path it ends with (the sandbox runs the tree under
// its own directory).
func diffFile(d *diff.Diff, p string) *diff.File {
	if f := d.File(p); f != nil {
		return f
	}
	for _, f := range d.Files {
		if f.NewPath != "" && strings.HasSuffix(p, "/"+f.NewPath) {
			return f
		}
	}
	return nil
}

// addedLine reports whether line n of f's head version is an added line.
func addedLine(f *diff.File, n int) bool {
	for _, h := range f.Hunks {
		if !h.Covers(diff.Right, n) {
			continue
		}
		for _, l := range h.Lines {
			if l.NewLine == n {
				return l.Kind == diff.Added
			}
		}
	}
	return false
}

// isTestFile guesses from its path whether a file holds tests.
func isTestFile(p string) bool {
	base := p[strings.LastIndexByte(p, '/')+1:]
	return strings.Contains(base, "_test.") || strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") ||
		strings.HasPrefix(base, "test_") || strings.HasPrefix(p, "test/") || strings.HasPrefix(p, "tests/") ||
		strings.Contains(p, "/test/") || strings.Contains(p, "/tests/")
}

// testSubject is the name of what a test is named after: "TestAverage",
// "TestAverage/empty", "tests/test_calc.py::test_average" and
// "calc::tests::average" all give "average". "" when nothing is left.
func testSubject(test string) string {
	s := test
	if i := strings.LastIndex(s, "::"); i >= 0 {
		s = s[i+2:]
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }); i >= 0 {
		s = s[:i]
	}
	for _, p := range []string{"Test", "test_", "test"} {
		if rest, ok := strings.CutPrefix(s, p); ok && rest != "" {
			s = rest
			break
		}
	}
	s = strings.TrimPrefix(strings.TrimSuffix(s, "_test"), "_")
	if i := strings.IndexByte(s, '_'); i > 0 {
		s = s[:i]
	}
	if len(s) < 3 || strings.EqualFold(s, "test") {
		return ""
	}
	return s
}

// excerpt quotes the output about one test: the line naming it and the
// few after, as a text block that nothing in it can end.
func excerpt(output, test string) string {
	lines := strings.Split(output, "\n")
	for i, l := range lines {
		if !strings.Contains(l, test) {
			continue
		}
		end := min(i+excerptLines, len(lines))
		text := strings.TrimRight(strings.Join(lines[i:end], "\n"), "\n ")
		return markdown.CodeBlock("text", text)
	}
	return ""
}

func shortCommit(sha string) string {
	if len(sha) > 7 {
		sha = sha[:7]
	}
	return markdown.CodeSpan(sha)
}
