package merge

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/finding"
)

// report is one pass's finding, as the model wrote it.
func report(area finding.Area, prio int, conf float64, path string, start, end int, title, body string) finding.Finding {
	return finding.Finding{
		Title: "[" + finding.Priority(prio).String() + "] " + title, Body: body,
		ConfidenceScore: conf, Priority: prio, Category: string(area), CodeLocation: loc(path, start, end),
	}
}

// The reports of the issue that asked for one comment per problem, seen on
// a review of src/calc.js: each pair is one defect described by two passes
// in their own words, with few title words in common.
var (
	zeroCheckBugs = report(finding.Bugs, 1, 0.9, "src/calc.js", 17, 17,
		"Zero check assigns instead of comparing",
		"`if (b = 0)` assigns 0 to `b` instead of comparing it, so the guard is never taken and `divide()` divides by zero.")
	zeroCheckSecurity = report(finding.Security, 1, 0.7, "src/calc.js", 17, 17,
		"Assignment in division guard disables the zero check",
		"The guard `b = 0` assigns 0 to the divisor instead of comparing it. Callers that rely on it to validate untrusted input get NaN back instead of an error.")
	pastTheEndBugs = report(finding.Bugs, 1, 0.85, "src/calc.js", 25, 25,
		"average() reads one element past the end",
		"The loop runs while `i <= values.length`, so its last iteration adds `values[values.length]`, which is undefined, and every average is NaN.")
	offByOnePerf = report(finding.Performance, 2, 0.95, "src/calc.js", 25, 26,
		"Off-by-one loop does an extra iteration",
		"`for (let i = 0; i <= values.length; i++)` iterates once more than there are values. The extra iteration is wasted work on every call.")
)

func TestMergeAcrossPasses(t *testing.T) {
	type problem struct {
		title string
		areas []finding.Area
		prio  int
		conf  float64
	}
	tests := []struct {
		name string
		in   []finding.Finding
		want []problem
	}{
		{
			name: "issue example: zero check seen by bugs and security on line 17",
			in:   []finding.Finding{zeroCheckSecurity, zeroCheckBugs},
			want: []problem{{"[P1] Zero check assigns instead of comparing", []finding.Area{finding.Bugs, finding.Security}, 1, 0.9}},
		},
		{
			name: "issue example: past-the-end loop seen by bugs and performance on line 25",
			in:   []finding.Finding{offByOnePerf, pastTheEndBugs},
			want: []problem{{"[P1] average() reads one element past the end", []finding.Area{finding.Bugs, finding.Performance}, 1, 0.95}},
		},
		{
			name: "issue example: both pairs at once stay two problems",
			in:   []finding.Finding{zeroCheckSecurity, offByOnePerf, zeroCheckBugs, pastTheEndBugs},
			want: []problem{
				{"[P1] Zero check assigns instead of comparing", []finding.Area{finding.Bugs, finding.Security}, 1, 0.9},
				{"[P1] average() reads one element past the end", []finding.Area{finding.Bugs, finding.Performance}, 1, 0.95},
			},
		},
		{
			name: "same line, different areas, each naming different code: two problems",
			in: []finding.Finding{
				report(finding.Security, 1, 0.9, "src/log.js", 30, 30, "Session token written to the log", "`logger.info(token)` writes the session `token` in clear text."),
				report(finding.Performance, 2, 0.8, "src/log.js", 30, 30, "Synchronous write on every request", "`fs.appendFileSync` blocks the event loop while the file is written."),
			},
			want: []problem{
				{"[P1] Session token written to the log", []finding.Area{finding.Security}, 1, 0.9},
				{"[P2] Synchronous write on every request", []finding.Area{finding.Performance}, 2, 0.8},
			},
		},
		{
			name: "adjacent lines, different areas, one names no code: one problem",
			in: []finding.Finding{
				report(finding.Bugs, 1, 0.8, "a.go", 10, 10, "Request body never closed", "`resp.Body` is not closed when `Do` fails halfway."),
				report(finding.Performance, 2, 0.6, "a.go", 11, 11, "Connections leak under load", "Each failed retry keeps a connection out of the pool until it times out."),
			},
			want: []problem{{"[P1] Request body never closed", []finding.Area{finding.Bugs, finding.Performance}, 1, 0.8}},
		},
		{
			name: "two lines apart, different areas, nothing named in common: two problems",
			in: []finding.Finding{
				report(finding.Bugs, 1, 0.8, "a.go", 10, 10, "Request body never closed", "`resp.Body` is not closed when `Do` fails halfway."),
				report(finding.Performance, 2, 0.6, "a.go", 12, 12, "Retry loop without backoff", "The loop hammers the server with retries."),
			},
			want: []problem{
				{"[P1] Request body never closed", []finding.Area{finding.Bugs}, 1, 0.8},
				{"[P2] Retry loop without backoff", []finding.Area{finding.Performance}, 2, 0.6},
			},
		},
		{
			name: "two lines apart, different areas, same code named: one problem",
			in: []finding.Finding{
				report(finding.Bugs, 1, 0.8, "a.go", 10, 10, "Request body never closed", "`resp.Body` is not closed when `Do` fails halfway."),
				report(finding.Performance, 1, 0.9, "a.go", 12, 12, "Connection pool drains on errors", "Leaving resp.Body open after a failed `Do` keeps the connection busy."),
			},
			want: []problem{{"[P1] Connection pool drains on errors", []finding.Area{finding.Performance, finding.Bugs}, 1, 0.9}},
		},
		{
			name: "same area, same line, different titles: the pass meant two problems",
			in: []finding.Finding{
				report(finding.Bugs, 1, 0.9, "src/calc.js", 17, 17, "Zero check assigns instead of comparing", "`if (b = 0)` assigns to `b`."),
				report(finding.Bugs, 2, 0.7, "src/calc.js", 17, 17, "Null return is undocumented", "`divide` returns null for `b` zero but the doc comment does not say so."),
			},
			want: []problem{
				{"[P1] Zero check assigns instead of comparing", []finding.Area{finding.Bugs}, 1, 0.9},
				{"[P2] Null return is undocumented", []finding.Area{finding.Bugs}, 2, 0.7},
			},
		},
		{
			name: "same words in another file stay apart",
			in: []finding.Finding{
				zeroCheckBugs,
				func() finding.Finding {
					f := zeroCheckSecurity
					f.CodeLocation.AbsoluteFilePath = "src/other.js"
					return f
				}(),
			},
			want: []problem{
				{"[P1] Zero check assigns instead of comparing", []finding.Area{finding.Bugs}, 1, 0.9},
				{"[P1] Assignment in division guard disables the zero check", []finding.Area{finding.Security}, 1, 0.7},
			},
		},
		{
			name: "same line, priorities two levels apart: two problems",
			in: []finding.Finding{
				report(finding.Security, 0, 0.9, "store/users.go", 14, 14, "SQL injection in Find", "`name` is concatenated into `q`."),
				report(finding.Bugs, 2, 0.3, "store/users.go", 14, 14, "Confusing variable name", "Call it query."),
			},
			want: []problem{
				{"[P0] SQL injection in Find", []finding.Area{finding.Security}, 0, 0.9},
				{"[P2] Confusing variable name", []finding.Area{finding.Bugs}, 2, 0.3},
			},
		},
		{
			name: "keyword-only overlap does not make one problem",
			in: []finding.Finding{
				report(finding.Bugs, 1, 0.9, "a.js", 5, 5, "Wrong branch taken", "`if (count > limit)` should be `>=`."),
				report(finding.Security, 1, 0.8, "a.js", 7, 7, "Unsanitised HTML", "`if (html) el.innerHTML = html` renders user input."),
			},
			want: []problem{
				{"[P1] Wrong branch taken", []finding.Area{finding.Bugs}, 1, 0.9},
				{"[P1] Unsanitised HTML", []finding.Area{finding.Security}, 1, 0.8},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge(tt.in, Options{MinPriority: finding.P3})
			var ps []problem
			for _, m := range got.Findings {
				ps = append(ps, problem{m.Title, m.Areas, m.Priority, m.ConfidenceScore})
			}
			if !reflect.DeepEqual(ps, tt.want) {
				t.Errorf("problems:\n%+v\nwant\n%+v", ps, tt.want)
			}
			if n := len(got.Findings) + got.Duplicates; n != len(tt.in) {
				t.Errorf("%d problems + %d merged reports, want %d reports accounted for", len(got.Findings), got.Duplicates, len(tt.in))
			}
		})
	}
}

func TestFoldBody(t *testing.T) {
	got := Merge([]finding.Finding{zeroCheckSecurity, zeroCheckBugs}, Options{MinPriority: finding.P3})
	if len(got.Findings) != 1 {
		t.Fatalf("%d problems, want 1", len(got.Findings))
	}
	m := got.Findings[0]
	// The best report's body comes first, whole; the other adds only the
	// sentence that says something new.
	want := zeroCheckBugs.Body + "\n\n" +
		"Callers that rely on it to validate untrusted input get NaN back instead of an error."
	if m.Body != want {
		t.Errorf("body:\n%s\nwant\n%s", m.Body, want)
	}
	if m.CodeLocation != zeroCheckBugs.CodeLocation {
		t.Errorf("location %+v, want the best report's", m.CodeLocation)
	}
	if want := []string{Fingerprint(zeroCheckBugs), Fingerprint(zeroCheckSecurity)}; !slices.Equal(m.Fingerprints, want) {
		t.Errorf("fingerprints %v, want %v", m.Fingerprints, want)
	}

	// A report that only restates adds nothing.
	restated := report(finding.Performance, 2, 0.5, "src/calc.js", 17, 17, "Guard is an assignment",
		"`if (b = 0)` assigns 0 to `b` instead of comparing it.")
	if m := Merge([]finding.Finding{zeroCheckBugs, restated}, Options{MinPriority: finding.P3}).Findings[0]; m.Body != zeroCheckBugs.Body {
		t.Errorf("restating report changed the body:\n%s", m.Body)
	}

	// A suggestion of a lower-ranked report is used when it replaces the
	// same lines and the best report has none.
	withFix := zeroCheckSecurity
	withFix.Suggestion = "  if (b === 0) {"
	if m := Merge([]finding.Finding{zeroCheckBugs, withFix}, Options{MinPriority: finding.P3}).Findings[0]; m.Suggestion != withFix.Suggestion {
		t.Errorf("suggestion %q, want the other report's", m.Suggestion)
	}

	// However many reports, the added text stays bounded.
	var many []finding.Finding
	for i := range 40 {
		many = append(many, report(finding.Areas[i%len(finding.Areas)], 2, 0.5, "src/calc.js", 17, 17,
			"Problem "+strings.Repeat("x", i), "`b` is misused in the way number "+strings.Repeat("y", i)+" describes at length."))
	}
	m = Merge(append(many, zeroCheckBugs), Options{MinPriority: finding.P3}).Findings[0]
	if len(m.Body) > maxFoldedBody+len(zeroCheckBugs.Body) {
		t.Errorf("merged body of %d bytes", len(m.Body))
	}
}

func TestMergeAcrossPassesOrderIndependent(t *testing.T) {
	in := []finding.Finding{zeroCheckSecurity, offByOnePerf, zeroCheckBugs, pastTheEndBugs,
		report(finding.Performance, 2, 0.9, "src/calc.js", 17, 17, "Guard is an assignment", "`b = 0` in the guard.")}
	want := Merge(in, Options{MinPriority: finding.P3})
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		shuffled := slices.Clone(in)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Merge(shuffled, Options{MinPriority: finding.P3}); !reflect.DeepEqual(got, want) {
			t.Fatalf("order changed the result:\n%+v\nwant\n%+v", got, want)
		}
	}
}

func TestSubjects(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"`if (b = 0)` assigns to `b`", []string{"b"}},
		{"average() reads one element past the end", []string{"average"}},
		{"Off-by-one loop in the hot path. Infinity.", nil},
		{"calls s.db.QueryRow with user_name and getUser", []string{"s", "db", "queryrow", "user_name", "getuser"}},
		{"```js\nfor (let i = 0; i <= values.length; i++)\n```", []string{"i", "values", "length"}},
		{"an unpaired ` backtick quotes nothing", nil},
	}
	for _, tt := range tests {
		got := subjects(tt.text)
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("subjects(%q) = %q, want %q", tt.text, keys, want)
		}
	}
}

func TestFoldSkipsOtherReportsCode(t *testing.T) {
	other := report(finding.Tests, 1, 0.5, "src/calc.js", 17, 17, "This change breaks `TestDivide`",
		"`TestDivide` fails with this change.\n\n````text\n--- FAIL: TestDivide (0.00s)\n    divide(1, 0) = Infinity. Want null.\n````\n\nIt passes on the base commit.")
	m := Merge([]finding.Finding{zeroCheckBugs, other}, Options{MinPriority: finding.P3}).Findings[0]
	if strings.Contains(m.Body, "```") || strings.Contains(m.Body, "Infinity. Want") {
		t.Errorf("merged body took code from a fenced block:\n%s", m.Body)
	}
	if !strings.Contains(m.Body, "`TestDivide` fails with this change.") {
		t.Errorf("merged body lost the other report's prose:\n%s", m.Body)
	}
}
