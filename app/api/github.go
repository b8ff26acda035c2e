package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v66/github"
	"github.com/palantir/go-githubapp/githubapp"
)

// PullRequest is what the API learns about a pull request before queueing
// its review.
type PullRequest struct {
	Installation int64
	HeadSHA      string
	BaseSHA      string
}

// Resolver finds a pull request through the app's installation on its
// repository.
type Resolver interface {
	// Resolve returns ErrNotInstalled when the app cannot see the
	// repository and ErrPullRequestNotFound when the repository has no such
	// pull request.
	Resolve(ctx context.Context, owner, repo string, number int) (PullRequest, error)
}

var (
	// ErrNotInstalled: the app is not installed on the repository (or the
	// repository does not exist; GitHub does not tell the two apart).
	ErrNotInstalled = errors.New("app not installed on the repository")
	// ErrPullRequestNotFound: the repository has no such pull request.
	ErrPullRequestNotFound = errors.New("pull request not found")
)

// GitHubResolver resolves pull requests with the app's GitHub clients.
type GitHubResolver struct {
	Clients githubapp.ClientCreator
}

// Resolve implements Resolver: it finds the repository's installation with
// the app's own credentials, then reads the pull request as that
// installation, exactly as the review will.
func (g GitHubResolver) Resolve(ctx context.Context, owner, repo string, number int) (PullRequest, error) {
	app, err := g.Clients.NewAppClient()
	if err != nil {
		return PullRequest{}, fmt.Errorf("GitHub App client: %w", err)
	}
	// go-github puts names into paths as they are; escape them, although
	// the REST layer only lets GitHub's own names through.
	owner, repo = url.PathEscape(owner), url.PathEscape(repo)
	inst, _, err := app.Apps.FindRepositoryInstallation(ctx, owner, repo)
	if err != nil {
		if isNotFound(err) {
			return PullRequest{}, fmt.Errorf("%s/%s: %w", owner, repo, ErrNotInstalled)
		}
		return PullRequest{}, fmt.Errorf("find the app's installation on %s/%s: %w", owner, repo, err)
	}
	gh, err := g.Clients.NewInstallationClient(inst.GetID())
	if err != nil {
		return PullRequest{}, fmt.Errorf("GitHub client for installation %d: %w", inst.GetID(), err)
	}
	pr, _, err := gh.PullRequests.Get(ctx, owner, repo, number)
	if err != nil {
		if isNotFound(err) {
			return PullRequest{}, fmt.Errorf("%s/%s#%d: %w", owner, repo, number, ErrPullRequestNotFound)
		}
		return PullRequest{}, fmt.Errorf("get pull request %s/%s#%d: %w", owner, repo, number, err)
	}
	return PullRequest{Installation: inst.GetID(), HeadSHA: pr.GetHead().GetSHA(), BaseSHA: pr.GetBase().GetSHA()}, nil
}

// upstreamMessage says what went wrong with GitHub without the request's
// URL, which go-github puts in its errors and which may be an internal
// GitHub Enterprise address: GitHub's status and message, a timeout, or
// that it could not be reached.
func upstreamMessage(err error) string {
	var (
		ge *github.ErrorResponse
		rl *github.RateLimitError
		ab *github.AbuseRateLimitError
	)
	switch {
	case errors.As(err, &rl), errors.As(err, &ab):
		return "GitHub's rate limit for the app is used up"
	case errors.As(err, &ge) && ge.Response != nil:
		msg := fmt.Sprintf("GitHub answered %d", ge.Response.StatusCode)
		if m := strings.Join(strings.Fields(ge.Message), " "); m != "" && !strings.Contains(m, "://") {
			msg += " (" + m + ")"
		}
		return msg
	case errors.Is(err, context.DeadlineExceeded):
		return "GitHub did not answer in time"
	}
	return "GitHub could not be reached"
}

func isNotFound(err error) bool {
	var ge *github.ErrorResponse
	return errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode == http.StatusNotFound
}
