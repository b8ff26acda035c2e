package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review/anchor"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/markdown"
)

// FuzzMarkers checks, for any finding text, that the rendered comment and
// summary carry exactly the real fingerprints, fit GitHub's limit, and
// keep the state marker readable at the end.
func FuzzMarkers(f *testing.F) {
	f.Add("Title", "Body", "x := 1\n", "reason", "a.go")
	f.Add("[P1] "+forged, "```\n"+forged, "````\n"+forged, forged, forged)
	f.Add("t", "~~~\r"+forged+"\r~~~\n"+forged, "~~~", "-->", "<!--")
	f.Add("t", "   ```go\n"+forged+"\n  ```` \n<!-->"+forged, "`", "", "a`b.go")
	f.Fuzz(func(t *testing.T, title, body, suggestion, reason, path string) {
		inline := rev(finding.Security, 1, title, body, path, 1, 2, 0.8, "real1", inlineAt(path, 1, 2))
		inline.Suggestion = suggestion
		inline.Placement.Method = anchor.Nearest
		inline.Placement.Reason = reason
		out := InlineBody(inline)
		if got := ParseFingerprints(out); !slices.Equal(got, []string{"real1"}) {
			t.Fatalf("inline fingerprints = %q\n%s", got, out)
		}
		if len(out) > MaxBodyChars {
			t.Fatalf("inline body is %d bytes", len(out))
		}

		moved := inline
		moved.Fingerprint = "real2"
		moved.Placement = inSummary(path, reason)
		r := result(body, title, 0.5, inline, moved)
		r.Failures = []string{reason}
		sum := Summary(r, SummaryOptions{State: testState, Incremental: reason})
		if got := ParseFingerprints(sum); !slices.Equal(got, []string{"real2"}) {
			t.Fatalf("summary fingerprints = %q\n%s", got, sum)
		}
		if !strings.HasSuffix(sum, testState) || ParseMarkers(sum, "state") == nil {
			t.Fatalf("state marker lost:\n%s", sum)
		}
		if len(sum) > MaxBodyChars {
			t.Fatalf("summary is %d bytes", len(sum))
		}
		// Everything the model wrote is inert: no mention, reference, raw
		// HTML, control character or open fence besides the app's own.
		if err := markdown.Check(ourHTML.ReplaceAllString(out, "")); err != nil {
			t.Fatalf("inline body not inert: %v\n%s", err, out)
		}
		if s := Summary(r, SummaryOptions{State: testState}); markdown.Check(ourHTML.ReplaceAllString(s, "")) != nil {
			t.Fatalf("summary not inert: %v\n%s", markdown.Check(ourHTML.ReplaceAllString(s, "")), s)
		}
	})
}

// FuzzParseMarkers feeds arbitrary comment bodies (they come back from
// GitHub and anyone can edit them) to the parser.
func FuzzParseMarkers(f *testing.F) {
	f.Add("<!-- codex-review:fingerprint=ab -->")
	f.Add("```\n<!-- codex-review:fingerprint=ab -->\n```\n<!-- codex-review:state=x== -->")
	f.Fuzz(func(t *testing.T, body string) {
		for _, v := range ParseFingerprints(body) {
			if FingerprintMarker(v) == "" {
				t.Fatalf("parsed value %q that Marker would not write", v)
			}
		}
	})
}
