package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
)

// TestReviewFeedback: a completed review shows the reactions last read on
// its inline comments, and null when it posted nothing.
func TestReviewFeedback(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL)
		ctx := t.Context()
		db, err := store.Open(ctx, databaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		complete := func(result string) string {
			t.Helper()
			rev := store.Review{Repo: "acme/shop", PRNumber: 7, PullRequestURL: prURL, Request: json.RawMessage(`{"pull_request_url": "` + prURL + `", "post_review": true}`)}
			if err := e.reviews.Create(ctx, &rev); err != nil {
				t.Fatal(err)
			}
			if err := e.reviews.SetResult(ctx, rev.ID, json.RawMessage(result)); err != nil {
				t.Fatal(err)
			}
			return rev.ID
		}
		const base = `"findings": [], "overall_correctness": "patch is correct", "overall_explanation": "x", "overall_confidence_score": 0.5,
			"head_sha": "` + head + `", "usage": {"model": "m", "prompt_tokens": 1, "cached_prompt_tokens": 0, "completion_tokens": 1, "duration_ms": 1},
			"sandbox": null, "coverage": {"files_changed": 1, "files_reviewed": 1, "lines_changed": 1, "lines_reviewed": 1, "chunks": 1, "skipped": []}`
		posted := complete(`{` + base + `, "review_url": "https://github.com/acme/shop/pull/7#pullrequestreview-77", "github_review_id": 77}`)
		unposted := complete(`{` + base + `, "review_url": null, "github_review_id": null}`)
		if _, err := db.Feedback().Record(ctx, "acme/shop", 7, []store.CommentFeedback{
			{CommentID: 1, ReviewID: 77, Area: "security", Priority: 1, PlusOne: 2, MinusOne: 1},
			{CommentID: 2, ReviewID: 77, Area: "", Priority: -1, MinusOne: 3},
			{CommentID: 3, ReviewID: 78, Area: "bugs", Priority: 0, PlusOne: 5},
		}); err != nil {
			t.Fatal(err)
		}

		var got struct {
			GitHubReviewID *int64 `json:"github_review_id"`
			Feedback       *struct {
				ThumbsUp   int `json:"thumbs_up"`
				ThumbsDown int `json:"thumbs_down"`
				Comments   []struct {
					CommentID int64  `json:"comment_id"`
					Area      string `json:"area"`
					Priority  *int   `json:"priority"`
				} `json:"comments"`
			} `json:"feedback"`
		}
		a := e.do(t, http.MethodGet, "/v1/codex/reviews/"+posted, keyOne, nil)
		decode(t, a.body, &got)
		if got.GitHubReviewID == nil || *got.GitHubReviewID != 77 || got.Feedback == nil || got.Feedback.ThumbsUp != 2 || got.Feedback.ThumbsDown != 4 ||
			len(got.Feedback.Comments) != 2 || got.Feedback.Comments[1].Area != "unknown" || got.Feedback.Comments[1].Priority != nil {
			t.Errorf("posted review: %s", a.body)
		}
		got.Feedback, got.GitHubReviewID = nil, nil
		a = e.do(t, http.MethodGet, "/v1/codex/reviews/"+unposted, keyOne, nil)
		decode(t, a.body, &got)
		if got.Feedback != nil || got.GitHubReviewID != nil {
			t.Errorf("unposted review: %s", a.body)
		}
		// The list shows the same.
		var list struct {
			Data []struct {
				ID       string `json:"id"`
				Feedback *struct {
					ThumbsDown int `json:"thumbs_down"`
				} `json:"feedback"`
			} `json:"data"`
		}
		decode(t, e.do(t, http.MethodGet, "/v1/codex/reviews", keyOne, nil).body, &list)
		for _, d := range list.Data {
			if (d.ID == posted) != (d.Feedback != nil) || d.ID == posted && d.Feedback.ThumbsDown != 4 {
				t.Errorf("listed %s with feedback %+v", d.ID, d.Feedback)
			}
		}
	})
}
