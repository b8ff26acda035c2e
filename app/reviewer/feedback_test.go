package reviewer

import (
	"testing"

	"github.com/codex-review/codex-review/app/publish"
)

func TestPostedFindings(t *testing.T) {
	clean := publish.AppReview{HasState: true, State: publish.State{Head: "1111"}}
	found := publish.AppReview{HasState: true, State: publish.State{Head: "2222", Fingerprints: []string{"abcd"}}}
	unmarked := publish.AppReview{}
	for _, c := range []struct {
		name    string
		reviews []publish.AppReview
		want    bool
	}{
		{"no review of the app", nil, false},
		{"reviews that posted nothing", []publish.AppReview{clean, clean}, false},
		{"one review posted a finding", []publish.AppReview{clean, found, clean}, true},
		{"a review without a readable marker", []publish.AppReview{clean, unmarked}, true},
	} {
		if got := postedFindings(c.reviews); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
