package reviewer

import (
	"testing"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/publish"
)

// TestPostedForLooksAtEveryReview: a job finds its own review even when
// newer reviews answered other requests since.
func TestPostedForLooksAtEveryReview(t *testing.T) {
	const h1, h2 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	review := func(id int64, request, head string) publish.AppReview {
		return publish.AppReview{ID: id, HasState: true, State: publish.State{Request: request, Head: head}}
	}
	reviews := []publish.AppReview{
		review(1, "auto", h1),
		review(2, "comment:10", h1),
		{ID: 3}, // a review without a state marker
		review(4, "comment:11", h2),
		review(5, "auto", h2),
	}
	tests := []struct {
		name string
		j    job.Job
		head string
		want int64
	}{
		{"a comment answered before newer reviews", job.Job{Source: job.Comment, RequestKey: "comment:10"}, h2, 2},
		{"the newest", job.Job{Source: job.Comment, RequestKey: "comment:11"}, h2, 4},
		{"automatic, this head", job.Job{Source: job.Automatic, RequestKey: "auto"}, h1, 1},
		{"automatic, another head's review does not count", job.Job{Source: job.Automatic, RequestKey: "auto"}, "3333333333333333333333333333333333333333", 0},
		{"a request never answered", job.Job{Source: job.API, RequestKey: "api:rev_x"}, h2, 0},
	}
	for _, tt := range tests {
		got, ok := postedFor(reviews, tt.j, tt.head)
		if (tt.want != 0) != ok || got.ID != tt.want {
			t.Errorf("%s: review %d (found %v), want %d", tt.name, got.ID, ok, tt.want)
		}
	}
}
