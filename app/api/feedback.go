package api

import "context"

// feedback is a review's "feedback": 👍 and 👎 on its inline comments, in
// total and per comment, as the app last read them (at the pull request's
// next review).
type feedback struct {
	ThumbsUp   int               `json:"thumbs_up"`
	ThumbsDown int               `json:"thumbs_down"`
	Comments   []commentFeedback `json:"comments"`
}

type commentFeedback struct {
	CommentID  int64  `json:"comment_id"`
	Area       string `json:"area"`
	Priority   *int   `json:"priority"`
	ThumbsUp   int    `json:"thumbs_up"`
	ThumbsDown int    `json:"thumbs_down"`
}

// addFeedback fills in the feedback of the completed, posted reviews
// among objs, with one query.
func (a *API) addFeedback(ctx context.Context, objs ...*reviewObject) error {
	byReview := map[int64][]*reviewObject{}
	var ids []int64
	for _, o := range objs {
		if o.result == nil || o.GitHubReviewID == nil {
			continue
		}
		o.Feedback = &feedback{Comments: []commentFeedback{}}
		id := *o.GitHubReviewID
		if byReview[id] == nil {
			ids = append(ids, id)
		}
		byReview[id] = append(byReview[id], o)
	}
	if len(ids) == 0 || a.cfg.Feedback == nil {
		return nil
	}
	rows, err := a.cfg.Feedback.ForReviews(ctx, ids...)
	if err != nil {
		return err
	}
	for _, r := range rows {
		c := commentFeedback{CommentID: r.CommentID, Area: r.Area, ThumbsUp: r.PlusOne, ThumbsDown: r.MinusOne}
		if r.Priority >= 0 {
			c.Priority = &r.Priority
		}
		if c.Area == "" {
			c.Area = "unknown"
		}
		for _, o := range byReview[r.ReviewID] {
			o.Feedback.ThumbsUp += r.PlusOne
			o.Feedback.ThumbsDown += r.MinusOne
			o.Feedback.Comments = append(o.Feedback.Comments, c)
		}
	}
	return nil
}
