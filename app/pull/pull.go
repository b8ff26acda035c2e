// Package pull is a pull request on GitHub as the review worker sees it:
// the domain types the worker works with (PullRequest, Files) and their
// implementation on GitHub's REST API (GitHub), which makes every read the
// worker needs and posts what it reports. The worker declares the small
// interfaces it uses (reviewer.PullRequestSource, reviewer.ReviewPublisher);
// this package keeps go-github out of its logic, as policy-bot's
// pull.Context does.
package pull

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/app/tarball"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/diff"
)

// Limits of what is read.
const (
	// MaxListedFiles is GitHub's limit on the files the pull request files
	// API lists; beyond it a review cannot see the rest of the change.
	MaxListedFiles = 3000
	// maxRepoFile bounds a file read from the repository (.codex.yml,
	// AGENTS.md); .codex.yml is limited further by its parser.
	maxRepoFile = 1 << 20
	// filesPerPage is the largest page of the pull request files API.
	filesPerPage = 100
)

// ErrUnusable marks data GitHub returned that cannot be used (a file over
// the size limit, content that does not decode, a patch that does not
// parse): asking again returns the same, so a retry cannot help.
var ErrUnusable = errors.New("unusable answer from GitHub")

// FileTooLargeError is a repository file over the size the app reads. It
// wraps ErrUnusable: asking again returns the same file.
type FileTooLargeError struct {
	Path, Ref string
	Size      int64
	Limit     int64
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("%v: %s on %s is %d bytes, larger than %d", ErrUnusable, e.Path, e.Ref, e.Size, e.Limit)
}

func (e *FileTooLargeError) Unwrap() error { return ErrUnusable }

// Clients gives an authenticated GitHub client per installation
// (githubapp.ClientCreator satisfies it).
type Clients interface {
	NewInstallationClient(installationID int64) (*github.Client, error)
}

// Opener opens pull requests through the app's installations.
type Opener struct {
	Clients Clients
	// BotLogin is the app's own user, "slug[bot]": only its reviews carry
	// state the app trusts.
	BotLogin string
	// WebURL is GitHub's web base with a trailing slash, for links to the
	// reviewed files in review summaries.
	WebURL string
	// Download fetches repository archives from GitHub's pre-signed links;
	// nil uses a plain client (never the installation's, which would send
	// its token to the download host).
	Download *http.Client
}

// Open returns pull request number of repo ("owner/name") as the
// installation sees it. It makes no request.
func (o *Opener) Open(installation int64, repo string, number int) (*GitHub, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" {
		return nil, fmt.Errorf("invalid repository name %q", repo)
	}
	gh, err := o.Clients.NewInstallationClient(installation)
	if err != nil {
		return nil, fmt.Errorf("GitHub client for installation %d: %w", installation, err)
	}
	return &GitHub{gh: gh, owner: owner, repo: name, number: number, botLogin: o.BotLogin, webURL: o.WebURL, download: o.Download}, nil
}

// GitHub is one pull request on GitHub. Its methods are safe for
// concurrent use.
type GitHub struct {
	gh          *github.Client
	owner, repo string
	number      int
	botLogin    string
	webURL      string
	download    *http.Client
	// repoKB is the repository's size as the last read of the pull
	// request gave it (GitHub's size, in KB), 0 when unknown.
	repoKB atomic.Int64
}

// PullRequest is what the worker needs to know of a pull request.
type PullRequest struct {
	Number      int
	Title, Body string
	// Open is false for closed and merged pull requests.
	Open   bool
	Draft  bool
	Author string
	// HeadSHA is the current head commit; HeadRepo the repository it lives
	// in ("owner/name"), another one for a fork.
	HeadSHA, HeadRepo string
	// BaseRef is the base branch; BaseSHA its commit the pull request is
	// compared with.
	BaseRef, BaseSHA, BaseRepo string
	// ChangedFiles counts every changed file, listed or not.
	ChangedFiles int
	// URL is the pull request's page.
	URL string
}

// CommitURL is the page of one of the pull request's commits.
func (p PullRequest) CommitURL(sha string) string {
	if p.URL == "" || sha == "" {
		return ""
	}
	return p.URL + "/commits/" + sha
}

// Fork reports whether the head lives in another repository than the base.
func (p PullRequest) Fork() bool { return !strings.EqualFold(p.HeadRepo, p.BaseRepo) }

// PullRequest reads the pull request.
func (g *GitHub) PullRequest(ctx context.Context) (PullRequest, error) {
	pr, _, err := g.gh.PullRequests.Get(ctx, g.owner, g.repo, g.number)
	if err != nil {
		return PullRequest{}, fmt.Errorf("get pull request: %w", err)
	}
	g.repoKB.Store(int64(pr.GetBase().GetRepo().GetSize()))
	return PullRequest{
		Number: pr.GetNumber(), Title: pr.GetTitle(), Body: pr.GetBody(),
		Open: pr.GetState() == "open", Draft: pr.GetDraft(), Author: pr.GetUser().GetLogin(),
		HeadSHA: pr.GetHead().GetSHA(), HeadRepo: pr.GetHead().GetRepo().GetFullName(),
		BaseRef: pr.GetBase().GetRef(), BaseSHA: pr.GetBase().GetSHA(), BaseRepo: pr.GetBase().GetRepo().GetFullName(),
		ChangedFiles: pr.GetChangedFiles(), URL: pr.GetHTMLURL(),
	}, nil
}

// Files is the change of a pull request as GitHub lists it.
type Files struct {
	Diff *diff.Diff
	// NoDiff says why some files have no diff text (GitHub leaves out
	// the patch of large and binary files), by path.
	NoDiff map[string]string
}

// Files lists the pull request's files with their patches (the files API,
// paginated: the .diff media type is refused past 300 files), at most
// MaxListedFiles of them.
func (g *GitHub) Files(ctx context.Context) (Files, error) {
	var files []*github.CommitFile
	opts := &github.ListOptions{PerPage: filesPerPage}
	for {
		page, resp, err := g.gh.PullRequests.ListFiles(ctx, g.owner, g.repo, g.number, opts)
		if err != nil {
			return Files{}, fmt.Errorf("list pull request files: %w", err)
		}
		files = append(files, page...)
		if resp.NextPage == 0 || len(files) >= MaxListedFiles {
			break
		}
		opts.Page = resp.NextPage
	}
	return build(files)
}

// Compare is the change from one commit to a later one, or nil when to
// does not descend from from (a force push) or from is gone.
//
// One call: a paginated comparison is paged by its commits, and GitHub
// lists the changed files (all of them, up to its 300) on the first page
// only, so later pages would carry nothing this needs. A page of one
// commit keeps the answer small.
func (g *GitHub) Compare(ctx context.Context, from, to string) (*diff.Diff, error) {
	cmp, _, err := g.gh.Repositories.CompareCommits(ctx, g.owner, g.repo, from, to, &github.ListOptions{PerPage: 1})
	if err != nil {
		if isNotFound(err) {
			return nil, nil // the old head is gone (force push, gc)
		}
		return nil, fmt.Errorf("compare %s...%s: %w", short(from), short(to), err)
	}
	if cmp.GetStatus() != "ahead" {
		return nil, nil
	}
	f, err := build(cmp.Files)
	return f.Diff, err
}

// File reads a file of the repository at ref; nil, nil when there is no
// such file.
func (g *GitHub) File(ctx context.Context, path, ref string) ([]byte, error) {
	return g.FileUpTo(ctx, path, ref, maxRepoFile)
}

// FileUpTo is File for files of up to max bytes. GitHub's contents API
// carries a file's content only up to 1 MB (above, "encoding": "none"), so
// a larger file is read through the git blobs API, which serves up to
// 100 MB.
func (g *GitHub) FileUpTo(ctx context.Context, path, ref string, max int64) ([]byte, error) {
	fc, _, resp, err := g.gh.Repositories.GetContents(ctx, g.owner, g.repo, path, &github.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return nil, fmt.Errorf("read %s from %s: %w", path, ref, err)
	}
	if fc == nil {
		return nil, nil // a directory of that name
	}
	if int64(fc.GetSize()) > max {
		return nil, &FileTooLargeError{Path: path, Ref: ref, Size: int64(fc.GetSize()), Limit: max}
	}
	if fc.GetEncoding() == "none" && fc.GetSHA() != "" {
		data, _, err := g.gh.Git.GetBlobRaw(ctx, g.owner, g.repo, fc.GetSHA())
		if err != nil {
			return nil, fmt.Errorf("read %s from %s: %w", path, ref, err)
		}
		return data, nil
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, fmt.Errorf("%w: decode %s from %s: %w", ErrUnusable, path, ref, err)
	}
	return []byte(s), nil
}

// MergeBase is the commit where head left base: the base of the diff
// GitHub shows for a pull request (a three-dot compare).
//
// It asks for the comparison's second page of one commit. GitHub lists the
// changed files, patches included (up to 300 of them, megabytes on a big
// pull request), only on the first page of a paged comparison, while
// merge_base_commit belongs to the comparison object every page returns,
// even a page past its last commit (a pull request of one commit). Should a
// page without it ever come back, the first page is asked for instead.
func (g *GitHub) MergeBase(ctx context.Context, base, head string) (string, error) {
	var sha string
	for _, page := range []int{2, 1} {
		cmp, _, err := g.gh.Repositories.CompareCommits(ctx, g.owner, g.repo, base, head, &github.ListOptions{Page: page, PerPage: 1})
		if err != nil && page == 2 && ctx.Err() == nil && isClientError(err) {
			// No document says how GitHub answers a page past the
			// last commit (a comparison of one commit): a refusal of
			// that page is not a failure, page 1 answers too.
			continue
		}
		if err != nil {
			return "", fmt.Errorf("find the merge base of %s and %s: %w", short(base), short(head), err)
		}
		if sha = cmp.GetMergeBaseCommit().GetSHA(); sha != "" {
			break
		}
	}
	if sha == "" {
		return "", fmt.Errorf("%w: compare %s...%s has no merge base", ErrUnusable, short(base), short(head))
	}
	return sha, nil
}

// Permission is user's permission on the repository ("admin", "maintain",
// "write", "triage", "read"), or "" when user is not a collaborator.
func (g *GitHub) Permission(ctx context.Context, user string) (string, error) {
	perm, _, err := g.gh.Repositories.GetPermissionLevel(ctx, g.owner, g.repo, user)
	if err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("check %s's permission: %w", user, err)
	}
	return perm.GetPermission(), nil
}

// Reviews are the app's submitted reviews of the pull request, oldest
// first, with the state each carries.
func (g *GitHub) Reviews(ctx context.Context) ([]publish.AppReview, error) {
	return publish.AppReviews(ctx, g.gh, g.owner, g.repo, g.number, g.botLogin)
}

// How FilesAt reads files. One tarball is one API call whatever the
// number of files, where the contents API (and the git data API, which
// needs a tree call on top) costs a call per file; but a tarball carries
// the whole repository. Up to tarballUpToKB (GitHub's size of the
// repository, history included, so the snapshot is smaller still) the
// tarball wins: its download takes well under a second. A larger
// repository gets the contents API for at most perFileMax files, perFile
// at a time.
const (
	tarballUpToKB = 100 << 10
	perFileMax    = 20
	perFile       = 4
)

// FilesAt returns the contents of paths at commit sha, with as few calls
// as the repository's size allows (see tarballUpToKB). Missing files, and
// files that are not regular or too large, are left out of the map.
func (g *GitHub) FilesAt(ctx context.Context, sha string, paths []string) (map[string][]byte, error) {
	if len(paths) == 0 {
		return map[string][]byte{}, nil
	}
	if g.repoKB.Load() <= tarballUpToKB {
		return (&tarball.Fetcher{Repos: g.gh.Repositories, HTTP: g.download}).Files(ctx, g.owner, g.repo, sha, paths)
	}
	paths = paths[:min(len(paths), perFileMax)]
	out := make(map[string][]byte, len(paths))
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, perFile)
	for _, p := range paths {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			b, err := g.File(ctx, p, sha)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrUnusable):
				// Too large or not decodable: left out.
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			case b != nil:
				out[p] = b
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// Tarball fetches the repository at sha and unpacks it into a scratch
// directory, which the caller removes.
func (g *GitHub) Tarball(ctx context.Context, sha string) (*tarball.Tree, error) {
	return (&tarball.Fetcher{Repos: g.gh.Repositories, HTTP: g.download}).Fetch(ctx, g.owner, g.repo, sha)
}

// React adds a reaction to a comment of the pull request's conversation.
func (g *GitHub) React(ctx context.Context, commentID int64, content string) error {
	return publish.React(ctx, g.gh, g.owner, g.repo, commentID, content)
}

// Comment posts a comment on the pull request's conversation.
func (g *GitHub) Comment(ctx context.Context, body string) error {
	return publish.PostComment(ctx, g.gh, g.owner, g.repo, g.number, body)
}

// Publish posts res as one review of head (see publish.Publish). The
// summary's links point at the reviewed head unless opt sets its own, and
// only the app's own reviews are considered when recovering from errors.
func (g *GitHub) Publish(ctx context.Context, head string, res *review.Result, prev publish.State, opt publish.Options) (publish.Posted, error) {
	if opt.Summary.Link == nil {
		opt.Summary.Link = func(path string, line int) string { return g.FileLink(head, path, line) }
	}
	if opt.Summary.Commit == "" {
		opt.Summary.Commit = head
		opt.Summary.CommitURL = fmt.Sprintf("%s%s/%s/commit/%s", g.webURL, g.owner, g.repo, head)
	}
	if opt.BotLogin == "" {
		opt.BotLogin = g.botLogin
	}
	return publish.Publish(ctx, g.gh, publish.Target{Owner: g.owner, Repo: g.repo, Number: g.number, HeadSHA: head}, res, prev, opt)
}

// FindCheckRun returns the app's newest check run on head made for
// externalID; its ID is 0 when there is none.
func (g *GitHub) FindCheckRun(ctx context.Context, head, externalID string) (publish.FoundCheckRun, error) {
	return publish.FindCheckRun(ctx, g.gh, g.owner, g.repo, head, externalID)
}

// CreateCheckRun creates the app's check run on head.
func (g *GitHub) CreateCheckRun(ctx context.Context, head, externalID string, run publish.CheckRun) (int64, error) {
	return publish.CreateCheckRun(ctx, g.gh, g.owner, g.repo, head, externalID, run)
}

// UpdateCheckRun updates the app's check run.
func (g *GitHub) UpdateCheckRun(ctx context.Context, id int64, run publish.CheckRun) error {
	return publish.UpdateCheckRun(ctx, g.gh, g.owner, g.repo, id, run)
}

// FileLink returns the URL of a file at a line (0: the file) of commit.
// The path comes from the pull request, and git allows any byte but NUL
// in it: each segment is escaped, so that "#" or "?" cannot end the path
// and "%2e%2e" cannot become a ".." that a browser resolves to another
// repository.
func (g *GitHub) FileLink(commit, path string, line int) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := fmt.Sprintf("%s%s/%s/blob/%s/%s", g.webURL, g.owner, g.repo, commit, strings.Join(segs, "/"))
	if line > 0 {
		u += fmt.Sprintf("#L%d", line)
	}
	return u
}

// build turns GitHub's per-file patches into a diff.
func build(files []*github.CommitFile) (Files, error) {
	noDiff := map[string]string{}
	out := make([]*diff.File, 0, len(files))
	for _, f := range files {
		status := diff.Status(f.GetStatus())
		oldPath, newPath := f.GetFilename(), f.GetFilename()
		switch status {
		case diff.StatusAdded:
			oldPath = ""
		case diff.StatusRemoved:
			newPath = ""
		case diff.StatusRenamed, diff.StatusCopied:
			oldPath = f.GetPreviousFilename()
		default:
			status = diff.StatusModified
		}
		df, err := diff.ParseFilePatch(oldPath, newPath, status, f.GetPatch())
		if err != nil {
			return Files{}, fmt.Errorf("%w: GitHub's patch for %s: %w", ErrUnusable, f.GetFilename(), err)
		}
		if f.GetPatch() == "" && f.GetChanges() > 0 {
			noDiff[f.GetFilename()] = "GitHub does not show this file's diff (too large or binary)"
		}
		out = append(out, df)
	}
	return Files{Diff: diff.New(out), NoDiff: noDiff}, nil
}

func isNotFound(err error) bool {
	var ge *github.ErrorResponse
	return errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode == http.StatusNotFound
}

// isClientError reports whether GitHub refused the request itself (400,
// 404 or 422), as opposed to a permission, rate limit or server failure.
func isClientError(err error) bool {
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || ge.Response == nil {
		return false
	}
	switch ge.Response.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
