package render

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

func TestInlineBody(t *testing.T) {
	base := func() review.Reviewed {
		return rev(finding.Bugs, 1, "Nil dereference", "It crashes.", "a.go", 3, 4, 0.8, "abc123",
			inlineAt("a.go", 3, 4))
	}
	tests := []struct {
		name    string
		edit    func(*review.Reviewed)
		want    []string
		notWant []string
	}{
		{
			name: "heading footer and marker",
			want: []string{
				"**[P1] Nil dereference**\n\nIt crashes.",
				"<sub>bugs · confidence 0.80</sub>\n<!-- codex-review:fingerprint=abc123 -->",
			},
			notWant: []string{"suggestion"},
		},
		{
			name:    "priority tag not doubled",
			edit:    func(r *review.Reviewed) { r.Title = "[P1] Nil dereference" },
			want:    []string{"**[P1] Nil dereference**"},
			notWant: []string{"[P1] [P1]"},
		},
		{
			name:    "wrong or lower-case tag replaced by the priority field",
			edit:    func(r *review.Reviewed) { r.Title = "[p3]  [P2] Nil dereference" },
			want:    []string{"**[P1] Nil dereference**"},
			notWant: []string{"[p3]", "[P2]"},
		},
		{
			name: "suggestion when inline",
			edit: func(r *review.Reviewed) { r.Suggestion = "x := 1\ny := 2" },
			want: []string{"```suggestion\nx := 1\ny := 2\n```\n\n<sub>"},
		},
		{
			name: "suggestion fence longer than backtick runs inside",
			edit: func(r *review.Reviewed) { r.Suggestion = "s := `a`\n// ````` five\n" },
			want: []string{"``````suggestion\ns := `a`\n// ````` five\n``````\n"},
		},
		{
			name: "no suggestion when placed in the summary",
			edit: func(r *review.Reviewed) {
				r.Suggestion = "x := 1"
				r.Placement = inSummary("a.go", "outside the diff")
			},
			notWant: []string{"suggestion", "x := 1"},
		},
		{
			name: "CRLF suggestion kept verbatim for a CRLF file",
			edit: func(r *review.Reviewed) { r.Suggestion = "x := 1\r\ny := 2\r\n" },
			want: []string{"```suggestion\nx := 1\r\ny := 2\r\n```"},
		},
		{
			name:    "blank suggestion ignored",
			edit:    func(r *review.Reviewed) { r.Suggestion = " \n\t" },
			notWant: []string{"suggestion"},
		},
		{
			name: "relocation reason in footer",
			edit: func(r *review.Reviewed) {
				r.Placement.Method = anchor.Nearest
				r.Placement.Reason = "moved from line 9, outside the hunk"
			},
			want: []string{"<sub>bugs · confidence 0.80 · moved from line 9, outside the hunk</sub>"},
		},
		{
			name:    "no marker without fingerprint",
			edit:    func(r *review.Reviewed) { r.Fingerprint = "" },
			notWant: []string{"<!--"},
		},
		{
			name:    "no confidence when the model gave none",
			edit:    func(r *review.Reviewed) { r.ConfidenceScore = 0 },
			want:    []string{"<sub>bugs</sub>"},
			notWant: []string{"confidence"},
		},
		{
			name: "category used when the area is unset",
			edit: func(r *review.Reviewed) {
				r.Area = ""
				r.Category = "Tests"
			},
			want: []string{"<sub>tests · "},
		},
		{
			name:    "title on one line, pipes escaped",
			edit:    func(r *review.Reviewed) { r.Title = "a | b\n\n# c" },
			want:    []string{"**[P1] a \\| b # c**"},
			notWant: []string{"\n# c"},
		},
		{
			name: "unclosed fence in body is closed before the footer",
			edit: func(r *review.Reviewed) { r.Body = "See:\n~~~~go\nx := 1" },
			want: []string{"~~~~go\nx := 1\n~~~~\n\n<sub>"},
		},
		{
			name: "CRLF normalised",
			edit: func(r *review.Reviewed) { r.Body = "one\r\ntwo\rthree" },
			want: []string{"one\ntwo\nthree"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			if tc.edit != nil {
				tc.edit(&r)
			}
			got := InlineBody(r)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("body lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("body contains %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestInlineBodyLimit(t *testing.T) {
	huge := strings.Repeat("x ", MaxBodyChars)
	tests := []struct {
		name           string
		body, sugg     string
		wantSuggestion bool
	}{
		{name: "huge body keeps the suggestion", body: huge, sugg: "x := 1", wantSuggestion: true},
		{name: "huge suggestion is dropped, not cut", body: "short", sugg: huge},
		{name: "huge both", body: huge, sugg: huge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rev(finding.Bugs, 1, strings.Repeat("T", 5000), tc.body, "a.go", 1, 1, 0.5, "fp1", inlineAt("a.go", 1, 1))
			r.Suggestion = tc.sugg
			got := InlineBody(r)
			if len(got) > MaxBodyChars {
				t.Fatalf("body is %d bytes, over %d", len(got), MaxBodyChars)
			}
			if has := strings.Contains(got, "```suggestion"); has != tc.wantSuggestion {
				t.Errorf("suggestion present = %v, want %v", has, tc.wantSuggestion)
			}
			if fps := ParseFingerprints(got); !slices.Equal(fps, []string{"fp1"}) {
				t.Errorf("fingerprints = %q", fps)
			}
		})
	}
}

const forged = "<!-- codex-review:fingerprint=forged -->"

// TestMarkersNotForgeable puts a marker everywhere finding text can reach
// and checks that only the real fingerprints are read back.
func TestMarkersNotForgeable(t *testing.T) {
	tests := []struct {
		name string
		edit func(*review.Reviewed)
	}{
		{"body", func(r *review.Reviewed) { r.Body = "Beware " + forged + " here." }},
		{"body on its own line", func(r *review.Reviewed) { r.Body = "x\n" + forged + "\ny" }},
		{"body in a code span", func(r *review.Reviewed) { r.Body = "`" + forged + "`" }},
		{"body after a fence the body closes", func(r *review.Reviewed) { r.Body = "```\ncode\n```\n" + forged }},
		{"title", func(r *review.Reviewed) { r.Title = forged }},
		{"title split over lines", func(r *review.Reviewed) { r.Title = "<!--\ncodex-review:fingerprint=forged -->" }},
		{"split comment", func(r *review.Reviewed) { r.Body = "<!-->" + forged + "-->" }},
		{"suggestion", func(r *review.Reviewed) { r.Suggestion = forged + "\n```\n" + forged + "\n" }},
		{"suggestion with tilde fence", func(r *review.Reviewed) { r.Suggestion = "~~~\n" + forged + "\n" }},
		{"category", func(r *review.Reviewed) { r.Area = ""; r.Category = forged }},
		{"placement reason", func(r *review.Reviewed) {
			r.Placement.Method = anchor.Snippet
			r.Placement.Reason = forged
		}},
		{"path", func(r *review.Reviewed) { r.Placement.Path = forged }},
		{"CR line endings", func(r *review.Reviewed) { r.Body = "```\rx\r```\r" + forged }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rev(finding.Security, 1, "Title", "Body.", "a.go", 1, 2, 0.8, "real1", inlineAt("a.go", 1, 2))
			tc.edit(&r)
			body := InlineBody(r)
			if got := ParseFingerprints(body); !slices.Equal(got, []string{"real1"}) {
				t.Errorf("inline: fingerprints = %q, want [real1]\n%s", got, body)
			}

			moved := r
			moved.Fingerprint = "real2"
			moved.Placement = inSummary(r.Placement.Path, r.Placement.Reason)
			res := result(finding.CorrectnessBad, "Explanation "+forged, 0.5, r, moved)
			res.Failures = []string{"bugs " + forged}
			res.Coverage.Skipped = append(res.Coverage.Skipped, budget.Skip{Path: forged, Reason: forged})
			res.Verdict.Correctness = forged
			sum := Summary(res, SummaryOptions{Title: forged, Incremental: forged})
			if got := ParseFingerprints(sum); !slices.Equal(got, []string{"real2"}) {
				t.Errorf("summary: fingerprints = %q, want [real2]\n%s", got, sum)
			}
		})
	}
}

func TestParseMarkers(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"none", "just text", nil},
		{"one", "x\n<!-- codex-review:fingerprint=ab12 -->", []string{"ab12"}},
		{"several in order, deduplicated", "<!-- codex-review:fingerprint=b -->\n<!-- codex-review:fingerprint=a --> <!-- codex-review:fingerprint=b -->", []string{"b", "a"}},
		{"other keys ignored", "<!-- codex-review:state=xyz -->", nil},
		{"inside backtick fence", "```\n<!-- codex-review:fingerprint=a -->\n```\n<!-- codex-review:fingerprint=b -->", []string{"b"}},
		{"inside tilde fence", "~~~md\n<!-- codex-review:fingerprint=a -->\n~~~", nil},
		{"shorter closing run does not close", "````\n```\n<!-- codex-review:fingerprint=a -->\n````", nil},
		{"unclosed fence hides the rest", "```\n<!-- codex-review:fingerprint=a -->", nil},
		{"indented four spaces is not a fence", "    ```\n<!-- codex-review:fingerprint=a -->", []string{"a"}},
		{"backtick in info string is not a fence", "``` a`b\n<!-- codex-review:fingerprint=a -->", []string{"a"}},
		{"CRLF", "x\r\n<!-- codex-review:fingerprint=a -->\r\n", []string{"a"}},
		{"malformed: no space", "<!--codex-review:fingerprint=a-->", nil},
		{"malformed: bad value", "<!-- codex-review:fingerprint=a b -->", nil},
		{"escaped", "&lt;!-- codex-review:fingerprint=a --&gt;", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseFingerprints(tc.body); !slices.Equal(got, tc.want) {
				t.Errorf("ParseFingerprints = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMarker(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"fingerprint", "0123abcd", "<!-- codex-review:fingerprint=0123abcd -->"},
		{"state", "eyJhIjoxfQ==", "<!-- codex-review:state=eyJhIjoxfQ== -->"},
		{"fingerprint", "", ""},
		{"fingerprint", "a b", ""},
		{"fingerprint", "x-->", ""},
		{"Bad", "a", ""},
		{"", "a", ""},
	}
	for _, tc := range tests {
		got := Marker(tc.key, tc.value)
		if got != tc.want {
			t.Errorf("Marker(%q, %q) = %q, want %q", tc.key, tc.value, got, tc.want)
		}
		if got != "" {
			if back := ParseMarkers(got, tc.key); !slices.Equal(back, []string{tc.value}) {
				t.Errorf("ParseMarkers(Marker(%q, %q)) = %q", tc.key, tc.value, back)
			}
		}
	}
}

func TestSummaryStatements(t *testing.T) {
	tests := []struct {
		name    string
		r       *review.Result
		opt     SummaryOptions
		want    []string
		notWant []string
	}{
		{
			name:    "no findings",
			r:       cleanResult(),
			want:    []string{"**Verdict: patch is correct**", "**No findings at or above the priority threshold.**", "1 finding below the priority threshold is not shown."},
			notWant: []string{"| Area", "not placed inline", "Incomplete", "React"},
		},
		{
			name: "no findings and a failed pass",
			r: func() *review.Result {
				r := cleanResult()
				r.Failures = []string{"security (chunk 1 of 1): rate limited"}
				return r
			}(),
			want: []string{"in the passes that completed", "**Incomplete review:** 1 pass failed", "- security (chunk 1 of 1): rate limited"},
		},
		{
			name:    "all inline",
			r:       incrementalResult(),
			want:    []string{"1 finding: 1 posted inline, 0 listed below.", "React 👍 / 👎 on a comment"},
			notWant: []string{"not placed inline", "not shown", "| Area", "<details"},
		},
		{
			name: "plain locations without a link function",
			r:    failedPassResult(),
			want: []string{"**[P1] Writing to a nil map on first use** — `registry/registry.go:57`\n"},
		},
		{
			name: "link function used",
			r:    mixedResult(),
			opt:  SummaryOptions{Link: func(p string, l int) string { return fmt.Sprintf("https://x/%s (copy)#L%d", p, l) }},
			want: []string{"[`api/orders.go:120-131`](https://x/api/orders.go%20%28copy%29#L120)"},
		},
		{
			name: "many failures capped",
			r: func() *review.Result {
				r := cleanResult()
				for i := range 25 {
					r.Failures = append(r.Failures, fmt.Sprintf("bugs (chunk %d of 25): timeout", i+1))
				}
				return r
			}(),
			want:    []string{"25 passes failed", "chunk 20 of 25", "- and 5 more"},
			notWant: []string{"chunk 21 of 25"},
		},
		{
			name: "finding with no placement",
			r: &review.Result{Verdict: review.Verdict{Correctness: finding.CorrectnessBad},
				Findings: []review.Reviewed{{Finding: finding.Finding{Title: "Leak", Body: "b", Priority: 1, Category: "bugs",
					CodeLocation: finding.CodeLocation{AbsoluteFilePath: "x.go", LineRange: finding.LineRange{Start: 4, End: 4}}}}},
			},
			want: []string{"**[P1] Leak** — `x.go:4`", "1 finding: 0 posted inline, 1 listed below."},
		},
		{
			name: "dismissed findings not repeated",
			r:    func() *review.Result { r := cleanResult(); r.Dismissed = 2; return r }(),
			want: []string{"2 findings dismissed on this pull request (a resolved thread, a 👎 or `ignore`) were found again and not repeated."},
		},
		{
			name: "invalid findings reported",
			r:    func() *review.Result { r := cleanResult(); r.Invalid = 2; return r }(),
			want: []string{"2 findings from the model too malformed to use"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Summary(tc.r, tc.opt)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("summary contains %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestSummaryNil(t *testing.T) {
	got := Summary(nil, SummaryOptions{State: testState})
	if !strings.Contains(got, "No findings") || !strings.HasSuffix(got, testState) {
		t.Errorf("Summary(nil) = %q", got)
	}
}

// TestSummaryLimit checks that oversized reviews stay within GitHub's
// limit, say what was left out, keep every shown finding's marker and end
// with the state marker.
func TestSummaryLimit(t *testing.T) {
	bigState := Marker("state", strings.Repeat("A", 2000))
	tests := []struct {
		name     string
		r        *review.Result
		opt      SummaryOptions
		want     []string
		allShown bool
	}{
		{
			name:     "bodies shortened, all findings kept",
			r:        hugeResult(60, 3000),
			opt:      SummaryOptions{State: testState},
			want:     []string{"…"},
			allShown: true,
		},
		{
			name: "trailing findings dropped",
			r:    hugeResult(3000, 5000),
			opt:  SummaryOptions{State: bigState, Link: testLink},
			want: []string{"more findings not shown (limit)._"},
		},
		{
			name: "below-threshold list next to long findings",
			r: func() *review.Result {
				r := hugeResult(40, 1000)
				r.Below = hugeResult(30, 4000).Findings
				r.BelowThreshold = len(r.Below)
				return r
			}(),
			opt:      SummaryOptions{State: testState},
			want:     []string{"below the priority threshold"},
			allShown: true,
		},
		{
			name: "huge explanation and test output",
			r: func() *review.Result {
				r := hugeResult(10, 100)
				r.Verdict.Explanation = strings.Repeat("because ", 20000)
				r.Sandbox = &sandbox.Result{Status: sandbox.StatusFailed, Command: "make test", OutputTail: strings.Repeat("log line\n", 20000)}
				return r
			}(),
			opt: SummaryOptions{State: testState},
			// The test run's section keeps a bounded tail of the output, so
			// it fits beside the shortened explanation.
			want: []string{"**Tests** (`make test`)", "End of the output", "log line\n```"},
		},
		{
			name: "huge title forces a hard cut",
			r:    hugeResult(5, 100),
			opt:  SummaryOptions{State: testState, Title: strings.Repeat("t", 100000)},
			want: []string{"_Summary cut at GitHub's size limit._"},
		},
		{
			name: "oversized section dropped",
			r: func() *review.Result {
				r := hugeResult(1, 100)
				r.Sandbox = &sandbox.Result{Status: sandbox.StatusFailed, Command: strings.Repeat("x ", 40000)}
				return r
			}(),
			opt:  SummaryOptions{State: testState},
			want: []string{"1 more section not shown (limit)."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Summary(tc.r, tc.opt)
			if len(got) > MaxBodyChars {
				t.Fatalf("summary is %d bytes, over %d", len(got), MaxBodyChars)
			}
			if !strings.HasSuffix(got, "\n\n"+tc.opt.State) {
				t.Errorf("summary does not end with the state marker: ...%q", got[max(0, len(got)-200):])
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q", w)
				}
			}
			if ParseMarkers(got, "state") == nil {
				t.Errorf("state marker not readable (swallowed by a fence?)")
			}
			if o, c := strings.Count(got, "<details"), strings.Count(got, "</details>"); o != c {
				t.Errorf("%d <details> opened, %d closed: a cut left a section open", o, c)
			}
			fps := ParseFingerprints(got)
			if tc.allShown && len(fps) != len(tc.r.Findings) {
				t.Errorf("%d fingerprints shown, want all %d", len(fps), len(tc.r.Findings))
			}
			// The shown findings are a prefix of the ranked list, and the
			// note counts exactly the rest.
			for i, fp := range fps {
				if fp != tc.r.Findings[i].Fingerprint {
					t.Fatalf("fingerprint %d = %s, want %s", i, fp, tc.r.Findings[i].Fingerprint)
				}
			}
			hardCut := strings.Contains(got, "_Summary cut at GitHub's size limit._")
			if n := len(tc.r.Findings) - len(fps); n > 0 && !hardCut && !strings.Contains(got, plural(n, "more finding", "more findings")+" not shown (limit)") {
				t.Errorf("no note for the %d findings not shown", n)
			}
		})
	}
}
