package publish

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/render"
)

const head1 = "1111111111111111111111111111111111111111"

func fps(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%016x", i+1)
	}
	return out
}

// rawState renders a state marker from hand-written JSON, the way a forger
// or an older version would.
func rawState(json string) string {
	return render.Marker(stateKey, base64.RawStdEncoding.EncodeToString([]byte(json)))
}

func TestStateRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		state State
	}{
		{"head only", State{Head: head1}},
		{"some fingerprints", State{Head: head1, Fingerprints: []string{"00aa11bb22cc33dd", "ffee"}}},
		{"sha-256 head", State{Head: strings.Repeat("ab", 32), Fingerprints: fps(3)}},
		{"hundreds", State{Head: head1, Fingerprints: fps(500)}},
		{"with request", State{Head: head1, Fingerprints: fps(2), Request: "comment:492700400"}},
		{"with signature, verdict and counts", State{Head: head1, Fingerprints: fps(2), Request: "auto",
			Signature: "0123456789abcdef", Verdict: "patch is incorrect", Counts: []int{0, 5, 1, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.state.Marker()
			if m == "" {
				t.Fatal("Marker() is empty")
			}
			body := render.Summary(&review.Result{}, render.SummaryOptions{State: m})
			got, ok := ParseState(body)
			if !ok {
				t.Fatalf("ParseState did not find the state in %q", body)
			}
			if got.Head != tt.state.Head || !slices.Equal(got.Fingerprints, tt.state.Fingerprints) || got.Request != tt.state.Request ||
				got.Signature != tt.state.Signature || got.Verdict != tt.state.Verdict || !slices.Equal(got.Counts, tt.state.Counts) {
				t.Errorf("ParseState = %+v, want %+v", got, tt.state)
			}
		})
	}
}

func TestStateMarkerKeepsMostRecent(t *testing.T) {
	all := fps(5000)
	m := State{Head: head1, Fingerprints: all}.Marker()
	if len(m) > maxStateChars {
		t.Fatalf("marker is %d chars, over the %d budget", len(m), maxStateChars)
	}
	got, ok := ParseState(m)
	if !ok {
		t.Fatal("ParseState refused a bounded marker")
	}
	n := len(got.Fingerprints)
	if n == 0 || n == len(all) {
		t.Fatalf("kept %d of %d fingerprints, want a non-empty suffix", n, len(all))
	}
	if !slices.Equal(got.Fingerprints, all[len(all)-n:]) {
		t.Errorf("kept fingerprints are not the most recent ones")
	}
	// One more fingerprint would not have fitted: the budget is used fully.
	b, err := json.Marshal(stateJSON{V: stateVersion, H: head1, F: all[len(all)-n-1:]})
	if err != nil {
		t.Fatal(err)
	}
	if full := render.Marker(stateKey, base64.RawStdEncoding.EncodeToString(b)); len(full) <= maxStateChars {
		t.Errorf("%d fingerprints would fit in %d chars, only %d kept", n+1, len(full), n)
	}
}

func TestParseStateRefuses(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"no marker", "## Codex review\n\nnothing here"},
		{"empty head", "<!-- codex-review:state=" + State{}.Marker() + " -->"},
		{"not base64", "<!-- codex-review:state=!!!! -->"},
		{"not json", render.Marker(stateKey, base64.RawStdEncoding.EncodeToString([]byte("head=abc")))},
		{"other version", rawState(`{"v":2,"h":"` + head1 + `"}`)},
		{"head not hex", rawState(`{"v":1,"h":"main"}`)},
		{"head too long", rawState(`{"v":1,"h":"` + strings.Repeat("a", 65) + `"}`)},
		{"empty fingerprint", rawState(`{"v":1,"h":"` + head1 + `","f":[""]}`)},
		{"duplicate fingerprint", rawState(`{"v":1,"h":"` + head1 + `","f":["a","a"]}`)},
		{"fingerprint too long", rawState(`{"v":1,"h":"` + head1 + `","f":["` + strings.Repeat("a", 129) + `"]}`)},
		{"signature too long", rawState(`{"v":1,"h":"` + head1 + `","s":"` + strings.Repeat("a", 65) + `"}`)},
		{"verdict too long", rawState(`{"v":1,"h":"` + head1 + `","c":"` + strings.Repeat("a", 33) + `"}`)},
		{"too many counts", rawState(`{"v":1,"h":"` + head1 + `","n":[1,2,3,4,5]}`)},
		{"negative count", rawState(`{"v":1,"h":"` + head1 + `","n":[0,-1]}`)},
		{"inside a code fence", "```\n" + State{Head: head1}.Marker() + "\n```"},
		{"other key", render.Marker("fingerprint", "00aa11bb22cc33dd")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, ok := ParseState(tt.body); ok {
				t.Errorf("ParseState(%q) = %+v, want no state", tt.body, s)
			}
		})
	}
}

func TestParseStateLastValidWins(t *testing.T) {
	older := State{Head: head1, Fingerprints: []string{"aa"}}.Marker()
	newer := State{Head: strings.Repeat("2", 40), Fingerprints: []string{"bb"}}.Marker()
	broken := rawState(`{"v":9}`)
	got, ok := ParseState(older + "\n" + newer + "\n" + broken)
	if !ok || got.Head != strings.Repeat("2", 40) || !slices.Equal(got.Fingerprints, []string{"bb"}) {
		t.Errorf("ParseState = %+v, %v; want the newer valid state", got, ok)
	}
}

func FuzzParseState(f *testing.F) {
	f.Add(State{Head: head1, Fingerprints: []string{"00aa11bb22cc33dd"}}.Marker())
	f.Add("## Codex review\n\n" + rawState(`{"v":1,"h":"abc","f":["x"]}`))
	f.Add("```\n" + State{Head: head1}.Marker() + "\n```")
	f.Add("<!-- codex-review:state=e30 -->")
	f.Fuzz(func(t *testing.T, body string) {
		s, ok := ParseState(body)
		if !ok {
			return
		}
		if !validHead(s.Head) {
			t.Fatalf("accepted head %q", s.Head)
		}
		// What was read back encodes and reads back the same, as long as
		// it fits the marker budget.
		m := s.Marker()
		again, ok := ParseState(m)
		if !ok {
			t.Fatalf("re-encoded state %+v does not parse", s)
		}
		if len(m) < maxStateChars && !slices.Equal(again.Fingerprints, s.Fingerprints) {
			t.Fatalf("round trip changed fingerprints: %v -> %v", s.Fingerprints, again.Fingerprints)
		}
	})
}
