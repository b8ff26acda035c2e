package sandbox

import (
	"regexp"
	"strings"
)

// Patterns of the lines that name a failing test, one or more per runner.
var (
	// go test: "--- FAIL: TestName (0.00s)", subtests indented.
	goFail = regexp.MustCompile(`^\s*--- FAIL: (\S+)`)
	// go test: a package that did not build has no test names to offer.
	goBuildFail = regexp.MustCompile(`^FAIL\s+(\S+)\s+\[(build|setup) failed\]`)
	// pytest summary: "FAILED tests/test_a.py::test_b - AssertionError".
	pytestSummary = regexp.MustCompile(`^(?:FAILED|ERROR) (\S+::.+?)(?: - .*)?$`)
	// pytest -v: "tests/test_a.py::test_b FAILED  [ 50%]".
	pytestVerbose = regexp.MustCompile(`^(\S+::\S+) (?:FAILED|ERROR)\b`)
	// cargo test: "test tests::it_works ... FAILED".
	cargoFail = regexp.MustCompile(`^test (.+) \.\.\. FAILED$`)
	// jest failure details: "● Suite › nested › test name".
	jestBullet = regexp.MustCompile(`^\s*● (.+)$`)
	// jest verbose list: "✕ test name (3 ms)".
	jestCross = regexp.MustCompile(`^\s*[✕×] (.+?)(?: \(\d+(?:\.\d+)? ?m?s\))?$`)
	// Terminal colours, which cargo and jest may print.
	ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")
)

// failureSet collects names in order, without duplicates. Jest names a
// failing test twice (✕ in the list, ● with its suite in the details), so
// the ✕ names are used only when no ● name appeared.
type failureSet struct {
	seen    map[string]bool
	names   []string
	crosses []string
}

func (f *failureSet) add(line string) {
	if strings.IndexByte(line, '\x1b') >= 0 {
		line = ansiEscape.ReplaceAllString(line, "")
	}
	line = strings.TrimRight(line, "\r \t")
	if m := jestCross.FindStringSubmatch(line); m != nil {
		f.crosses = append(f.crosses, strings.TrimSpace(m[1]))
		return
	}
	for _, fl := range failureLines {
		m := fl.re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := fl.name(m)
		// "● Console" heads captured console output, not a failure.
		if fl.re == jestBullet && name == "Console" {
			return
		}
		f.insert(name)
		return
	}
}

// failureLines turn a line of a runner's output into a failing test's
// name; the first pattern that matches decides, so each line is matched
// once per pattern at most.
var failureLines = []struct {
	re   *regexp.Regexp
	name func(m []string) string
}{
	{goFail, firstGroup},
	{goBuildFail, func(m []string) string { return m[1] + " [" + m[2] + " failed]" }},
	{pytestSummary, firstGroup},
	{pytestVerbose, firstGroup},
	{cargoFail, firstGroup},
	{jestBullet, func(m []string) string { return strings.TrimSpace(m[1]) }},
}

func firstGroup(m []string) string { return m[1] }

func (f *failureSet) insert(name string) {
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	if name == "" || f.seen[name] {
		return
	}
	f.seen[name] = true
	f.names = append(f.names, name)
}

// result returns at most maxFailedTests names and how many more there were.
func (f *failureSet) result() ([]string, int) {
	if len(f.names) == 0 {
		for _, c := range f.crosses {
			f.insert(c)
		}
	}
	f.crosses = nil
	if len(f.names) > maxFailedTests {
		return f.names[:maxFailedTests:maxFailedTests], len(f.names) - maxFailedTests
	}
	return f.names, 0
}

// FailedTests returns the failing tests named in a test runner's output:
// go test, pytest, jest and cargo test are recognised. At most 100 names
// are returned, in order of first appearance.
func FailedTests(output string) []string {
	var f failureSet
	for line := range strings.SplitSeq(output, "\n") {
		f.add(line)
	}
	names, _ := f.result()
	return names
}
