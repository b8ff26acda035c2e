package publish

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/review/render"
)

// cutNote ends a comment body cut at GitHub's size limit.
const cutNote = "\n\n_Comment cut at GitHub's size limit._"

// PostComment posts a comment on the pull request's conversation, for
// failures and notices: the app is never silent. A body over
// render.MaxBodyChars is cut, with a note, rather than refused.
// Throttling and server errors are retried a bounded number of times,
// waiting on a real timer; a 5xx may hide a comment that was posted, and a
// notice shown twice is better than none.
func PostComment(ctx context.Context, gh *github.Client, owner, repo string, number int, body string) error {
	if gh == nil {
		return fmt.Errorf("comment on %s/%s#%d: no GitHub client", owner, repo, number)
	}
	if strings.TrimSpace(body) == "" {
		return fmt.Errorf("comment on %s/%s#%d: empty body", owner, repo, number)
	}
	c := &github.IssueComment{Body: github.String(capBody(body))}
	_, err := retry(ctx, retrier{}, func(ctx context.Context) (*github.IssueComment, error) {
		out, _, err := gh.Issues.CreateComment(ctx, owner, repo, number, c)
		return out, err
	}, nil)
	if err != nil {
		return fmt.Errorf("comment on %s/%s#%d: %w", owner, repo, number, err)
	}
	return nil
}

// capBody cuts body to render.MaxBodyChars bytes at a rune boundary,
// ending it with cutNote.
func capBody(body string) string {
	if len(body) <= render.MaxBodyChars {
		return body
	}
	n := render.MaxBodyChars - len(cutNote)
	for n > 0 && !utf8.RuneStart(body[n]) {
		n--
	}
	return body[:n] + cutNote
}

// reactions are the reaction contents GitHub accepts.
var reactions = map[string]bool{
	"+1": true, "-1": true, "laugh": true, "confused": true,
	"heart": true, "hooray": true, "rocket": true, "eyes": true,
}

// React adds a reaction ("eyes" to acknowledge a command, "confused" to
// refuse one) to a pull request conversation comment. GitHub answers a
// repeated reaction with the existing one, so a retry cannot duplicate it.
func React(ctx context.Context, gh *github.Client, owner, repo string, commentID int64, content string) error {
	if gh == nil {
		return fmt.Errorf("react to comment %d in %s/%s: no GitHub client", commentID, owner, repo)
	}
	if !reactions[content] {
		return fmt.Errorf("react to comment %d in %s/%s: unknown reaction %q", commentID, owner, repo, content)
	}
	_, err := retry(ctx, retrier{}, func(ctx context.Context) (*github.Reaction, error) {
		out, _, err := gh.Reactions.CreateIssueCommentReaction(ctx, owner, repo, commentID, content)
		return out, err
	}, nil)
	if err != nil {
		return fmt.Errorf("react %q to comment %d in %s/%s: %w", content, commentID, owner, repo, err)
	}
	return nil
}

// ReactToReviewComment adds a reaction to a review comment (a comment in a
// review thread): 👀 to acknowledge a question, 😕 to refuse one, 👍 as the
// receipt of a learning or a dismissal. Like React, a retry cannot
// duplicate it.
func ReactToReviewComment(ctx context.Context, gh *github.Client, owner, repo string, commentID int64, content string) error {
	if gh == nil {
		return fmt.Errorf("react to review comment %d in %s/%s: no GitHub client", commentID, owner, repo)
	}
	if !reactions[content] {
		return fmt.Errorf("react to review comment %d in %s/%s: unknown reaction %q", commentID, owner, repo, content)
	}
	_, err := retry(ctx, retrier{}, func(ctx context.Context) (*github.Reaction, error) {
		out, _, err := gh.Reactions.CreatePullRequestCommentReaction(ctx, owner, repo, commentID, content)
		return out, err
	}, nil)
	if err != nil {
		return fmt.Errorf("react %q to review comment %d in %s/%s: %w", content, commentID, owner, repo, err)
	}
	return nil
}

// Reply posts a reply in the review thread whose first comment is
// threadID (GitHub refuses replies to replies). A body over
// render.MaxBodyChars is cut, with a note. Throttling and server errors
// are retried like PostComment's; the caller marks its replies so that a
// job retried after a 5xx can see whether the reply landed.
func Reply(ctx context.Context, gh *github.Client, owner, repo string, number int, threadID int64, body string) error {
	if gh == nil {
		return fmt.Errorf("reply in thread %d on %s/%s#%d: no GitHub client", threadID, owner, repo, number)
	}
	if strings.TrimSpace(body) == "" {
		return fmt.Errorf("reply in thread %d on %s/%s#%d: empty body", threadID, owner, repo, number)
	}
	body = capBody(body)
	_, err := retry(ctx, retrier{}, func(ctx context.Context) (*github.PullRequestComment, error) {
		out, _, err := gh.PullRequests.CreateCommentInReplyTo(ctx, owner, repo, number, body, threadID)
		return out, err
	}, nil)
	if isPendingConflict(err) {
		return fmt.Errorf("reply in thread %d on %s/%s#%d: %w: %w", threadID, owner, repo, number, ErrPendingReview, err)
	}
	if err != nil {
		return fmt.Errorf("reply in thread %d on %s/%s#%d: %w", threadID, owner, repo, number, err)
	}
	return nil
}

// ErrPendingReview is why GitHub refused a reply in a review thread: the
// app has a pending review on the pull request, and GitHub refuses a
// user's reply while that user has one. A review of the pull request
// running beside the reply makes pending reviews for a few seconds to find
// the comments GitHub refuses (offenders), and deletes them; a review cut
// short may have left one, which the pull request's next review deletes.
// Nothing was posted, and the reply may be tried again later.
var ErrPendingReview = errors.New("GitHub refuses the app's replies while the app has a pending review on the pull request")
