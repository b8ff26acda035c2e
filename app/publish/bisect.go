package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/google/go-github/v66/github"
)

// maxProbes bounds the pending reviews created to find refused comments.
// Finding k offenders among n comments takes about 2k·log2(n) probes; with
// at most maxInlineComments comments this covers a handful of offenders,
// and more than that means something other than a few bad lines is wrong,
// so the review goes out with everything in the body.
const maxProbes = 64

// errProbeBudget ends a search that needs more than maxProbes probes.
var errProbeBudget = fmt.Errorf("more than %d pending reviews needed", maxProbes)

// offenders returns the inline findings (indexes into p.findings) whose
// comments GitHub refuses. GitHub's 422 does not say which comment is
// wrong, so sets of comments are tried as pending reviews: a pending
// review is validated like a submitted one but only the app can see it,
// and it is deleted right away. A refused set is split in halves; when
// the first half is accepted the offender must be in the second, which
// then needs no probe of its own.
func (p *publisher) offenders(ctx context.Context) ([]int, error) {
	s := search{p: p, budget: maxProbes}
	// The whole set is probed first: if GitHub accepts it as a pending
	// review, the 422 was not about the comments.
	return s.find(ctx, p.inline, false)
}

// search is one hunt for refused comments.
type search struct {
	p      *publisher
	budget int
}

// find returns the refused comments of set; refused says set is already
// known to be refused.
func (s *search) find(ctx context.Context, set []int, refused bool) ([]int, error) {
	if !refused {
		ok, err := s.probe(ctx, set)
		if err != nil || ok {
			return nil, err
		}
	}
	if len(set) == 1 {
		return []int{set[0]}, nil
	}
	mid := len(set) / 2
	bad, err := s.find(ctx, set[:mid], false)
	if err != nil {
		return nil, err
	}
	more, err := s.find(ctx, set[mid:], len(bad) == 0)
	if err != nil {
		return nil, err
	}
	return slices.Concat(bad, more), nil
}

// probe reports whether GitHub accepts the comments of set, by creating
// them as a pending review and deleting it.
func (s *search) probe(ctx context.Context, set []int) (bool, error) {
	if s.budget == 0 {
		return false, errProbeBudget
	}
	s.budget--
	req := &github.PullRequestReviewRequest{
		CommitID: github.String(s.p.t.HeadSHA),
		Comments: s.p.comments(set),
	}
	rev, err := s.p.create(ctx, req, nil)
	switch {
	case isPendingConflict(err):
		return false, fmt.Errorf("create pending review with %d comments: %w", len(set), err)
	case isUnprocessable(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("create pending review with %d comments: %w", len(set), err)
	}
	if err := s.p.deleteReview(ctx, rev.GetID()); err != nil {
		return false, err
	}
	return true, nil
}

// deletePending deletes the app's pending reviews on the pull request.
// GitHub shows a pending review only to its author, so every pending
// review listed is the app's own.
func (p *publisher) deletePending(ctx context.Context) error {
	var ids []int64
	err := eachReview(ctx, p.gh, p.t.Owner, p.t.Repo, p.t.Number, func(r *github.PullRequestReview) {
		if r.GetState() == statePending && p.byApp(r) {
			ids = append(ids, r.GetID())
		}
	})
	if err != nil {
		return fmt.Errorf("find the leftover pending review: %w", err)
	}
	if len(ids) == 0 {
		return errors.New("GitHub reports a pending review of the app, but none is listed")
	}
	for _, id := range ids {
		if err := p.deleteReview(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// deleteReview deletes a pending review; one already gone is fine.
func (p *publisher) deleteReview(ctx context.Context, id int64) error {
	_, err := retry(ctx, p.retry, func(ctx context.Context) (struct{}, error) {
		_, _, err := p.gh.PullRequests.DeletePendingReview(ctx, p.t.Owner, p.t.Repo, p.t.Number, id)
		return struct{}{}, err
	}, nil)
	if err != nil && statusCode(err) != http.StatusNotFound {
		return fmt.Errorf("delete pending review %d: %w", id, err)
	}
	return nil
}
