package pull

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/publish"
)

// maxReviewComments bounds the review comments read of one pull request:
// 30 pages of GitHub's largest. The app's own comments are a small part of
// them; a pull request with more is a discussion, not a review.
const maxReviewComments = 3000

// ReviewComment is a comment in a review thread.
type ReviewComment struct {
	ID int64
	// InReplyTo is the thread's first comment for a reply, 0 for the first
	// comment itself.
	InReplyTo int64
	ReviewID  int64
	// User is the author's login; Association their author_association.
	User, Association string
	Body              string
	Path              string
	// Line and StartLine are where the comment is now, on Side; both are 0
	// when the comment is outdated (its lines changed since).
	Line, StartLine int
	Side            string
	// StartSide is the side of StartLine: it differs from Side for a
	// range from a base line to a head line, and is "" for one line.
	StartSide string
	// OriginalLine and OriginalStartLine are the lines it was written on,
	// at OriginalCommit.
	OriginalLine, OriginalStartLine int
	OriginalCommit                  string
	// DiffHunk is the part of the diff GitHub shows above the comment.
	DiffHunk string
	// PlusOne and MinusOne are the comment's 👍 and 👎 counts.
	PlusOne, MinusOne int
	URL               string
}

// Outdated reports whether the comment's lines changed since it was made.
func (c ReviewComment) Outdated() bool { return c.Line == 0 }

// ReviewComments lists every review comment of the pull request, replies
// included, oldest first (at most maxReviewComments).
func (g *GitHub) ReviewComments(ctx context.Context) ([]ReviewComment, error) {
	var out []ReviewComment
	opts := &github.PullRequestListCommentsOptions{Sort: "created", Direction: "asc", ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := g.gh.PullRequests.ListComments(ctx, g.owner, g.repo, g.number, opts)
		if err != nil {
			return nil, fmt.Errorf("list review comments: %w", err)
		}
		for _, c := range page {
			if c != nil {
				out = append(out, reviewComment(c))
			}
		}
		if resp.NextPage == 0 || resp.NextPage <= opts.Page || len(out) >= maxReviewComments {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

func reviewComment(c *github.PullRequestComment) ReviewComment {
	return ReviewComment{
		ID: c.GetID(), InReplyTo: c.GetInReplyTo(), ReviewID: c.GetPullRequestReviewID(),
		User: c.GetUser().GetLogin(), Association: c.GetAuthorAssociation(), Body: c.GetBody(),
		Path: c.GetPath(), Line: c.GetLine(), StartLine: c.GetStartLine(), Side: c.GetSide(), StartSide: c.GetStartSide(),
		OriginalLine: c.GetOriginalLine(), OriginalStartLine: c.GetOriginalStartLine(), OriginalCommit: c.GetOriginalCommitID(),
		DiffHunk: c.GetDiffHunk(), PlusOne: c.GetReactions().GetPlusOne(), MinusOne: c.GetReactions().GetMinusOne(),
		URL: c.GetHTMLURL(),
	}
}

// maxReactors bounds the reactions read of one comment.
const maxReactors = 500

// Reactors lists the logins of the people who reacted to a review comment
// with content ("-1" for 👎).
func (g *GitHub) Reactors(ctx context.Context, commentID int64, content string) ([]string, error) {
	var out []string
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := g.gh.Reactions.ListPullRequestCommentReactions(ctx, g.owner, g.repo, commentID, opts)
		if err != nil {
			return nil, fmt.Errorf("list reactions to review comment %d: %w", commentID, err)
		}
		for _, r := range page {
			if r.GetContent() == content && r.GetUser().GetLogin() != "" {
				out = append(out, r.GetUser().GetLogin())
			}
		}
		if resp.NextPage == 0 || resp.NextPage <= opts.Page || len(out) >= maxReactors {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// ReactToReviewComment adds a reaction to a comment in a review thread.
func (g *GitHub) ReactToReviewComment(ctx context.Context, commentID int64, content string) error {
	return publish.ReactToReviewComment(ctx, g.gh, g.owner, g.repo, commentID, content)
}

// Reply posts a reply in the review thread started by threadID.
func (g *GitHub) Reply(ctx context.Context, threadID int64, body string) error {
	return publish.Reply(ctx, g.gh, g.owner, g.repo, g.number, threadID, body)
}

// IsBot reports whether login is the app's own user.
func (g *GitHub) IsBot(login string) bool { return strings.EqualFold(login, g.botLogin) }
