// Package reviewer runs one queued review request against GitHub: it
// checks who asked, acknowledges, reads the repository's rules from the
// base branch, fetches the change, runs the engine and publishes one
// review. Every way it can fail ends in a comment on the pull request.
package reviewer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v66/github"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/app/repoconfig"
	"github.com/codex-review/codex-review/app/tarball"
	"github.com/codex-review/codex-review/app/webhook"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/render"
	"github.com/codex-review/codex-review/review/sandbox"
)

// Limits on what the worker reads.
const (
	// maxRepoFile bounds what is read of the files taken from the base
	// branch (repoconfig.FileName, repoconfig.AgentsFileName); .codex.yml itself is
	// limited further by its parser.
	maxRepoFile = 1 << 20
	// maxPRFiles is GitHub's limit on the files the pull request files
	// API lists; beyond it a review cannot see the rest of the change.
	maxPRFiles = 3000
)

// Clients gives an authenticated GitHub client per installation
// (githubapp.ClientCreator satisfies it).
type Clients interface {
	NewInstallationClient(installationID int64) (*github.Client, error)
}

// Worker runs review requests.
type Worker struct {
	Clients Clients
	// Model is the server's model configuration; a repository may name
	// another model in its .codex.yml.
	Model    model.Config
	BotLogin string // "slug[bot]"
	WebURL   string // with a trailing slash
	// Observe, when set, is told the usage of each review (metrics).
	Observe func(repo string, u finding.Usage)
	// API, when set, records the progress of reviews requested through the
	// REST API (requests whose RequestKey starts with APIRequestPrefix).
	API Tracker
	// Sandbox runs repositories' tests, bounded by its own concurrency
	// limit; nil turns test runs off on this server.
	Sandbox *sandbox.Limiter
	// SandboxUnavailable is why this host cannot run sandboxes (no bwrap,
	// no user namespaces); reviews then say the tests were not run.
	SandboxUnavailable error
	// Download fetches repository archives from GitHub's pre-signed links;
	// nil uses a plain client (never the installation's, which would send
	// the token to the download host).
	Download *http.Client

	mu      sync.Mutex
	engines map[string]*review.Engine
}

// APIRequestPrefix starts the RequestKey of a review requested through the
// REST API; the rest of the key is the review's id.
const APIRequestPrefix = "api:"

// APIReviewID returns the REST API review id of a request, if it has one.
func APIReviewID(r webhook.Request) (string, bool) {
	id, ok := strings.CutPrefix(r.RequestKey, APIRequestPrefix)
	return id, ok && id != ""
}

// SandboxConfig is the sandbox a REST API caller asked for.
type SandboxConfig struct {
	Tests          bool
	Network        string // "none" or "restricted"
	Command        string
	TimeoutSeconds int
}

// APIRequest is how a REST API review was asked for.
type APIRequest struct {
	// PostReview is false when the caller wants the findings as data only:
	// nothing is posted on the pull request, not even a failure comment.
	PostReview bool
	// Sandbox is the caller's sandbox_config; nil when none was given.
	Sandbox *SandboxConfig
}

// ErrNotWanted is returned by a Tracker for a review that was cancelled or
// removed before it ran; the worker drops it silently.
var ErrNotWanted = errors.New("review no longer wanted")

// Tracker records the progress of REST API reviews, which callers read
// back through the API.
type Tracker interface {
	// Start marks the review running and returns how it was requested.
	Start(ctx context.Context, reviewID string) (APIRequest, error)
	// Request returns how the review was requested, without changing it.
	Request(ctx context.Context, reviewID string) (APIRequest, error)
	// Complete records the result of the review of headSHA; reviewURL is
	// empty when nothing was posted.
	Complete(ctx context.Context, reviewID string, res *review.Result, headSHA, reviewURL string) error
	// Fail records why the review failed.
	Fail(ctx context.Context, reviewID string, cause error) error
}

// errPostedUnrecorded explains the one failure that happens after success:
// a retried API review whose review is already on the pull request.
var errPostedUnrecorded = errors.New("the review was posted on the pull request, but the server stopped before recording its result: read it on the pull request, or request a new review")

// ErrPermanent marks failures that a retry cannot fix; the queue stops
// retrying and reports them.
var ErrPermanent = errors.New("permanent failure")

// permanent wraps err so errors.Is(err, ErrPermanent) holds.
func permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// Run handles one request. A nil error means the request is finished,
// including when it was deliberately skipped (auto review turned off, an
// unauthorised user).
func (w *Worker) Run(ctx context.Context, r webhook.Request) error {
	owner, repo, ok := strings.Cut(r.Repo, "/")
	if !ok {
		return permanent(fmt.Errorf("invalid repository name %q", r.Repo))
	}
	ctx = zerolog.Ctx(ctx).With().Str("repo", r.Repo).Int("pr", r.PR).Str("trigger", r.Trigger).Str("delivery", r.Delivery).Logger().WithContext(ctx)
	log := zerolog.Ctx(ctx)
	gh, err := w.Clients.NewInstallationClient(r.Installation)
	if err != nil {
		return fmt.Errorf("GitHub client for installation %d: %w", r.Installation, err)
	}
	j := &job{w: w, gh: gh, owner: owner, repo: repo, r: r, post: true}
	if id, ok := APIReviewID(r); ok && w.API != nil {
		req, err := w.API.Start(ctx, id)
		if errors.Is(err, ErrNotWanted) {
			log.Info().Str("review", id).Msg("skipping API review: cancelled before it ran")
			return nil
		}
		if err != nil {
			return fmt.Errorf("start API review %s: %w", id, err)
		}
		j.apiID, j.post, j.apiSandbox = id, req.PostReview, req.Sandbox
	}

	if r.CommentID != 0 {
		allowed, err := j.mayTrigger(ctx)
		if err != nil {
			return err
		}
		if !allowed {
			log.Info().Str("user", r.Requester).Msg("trigger refused: no write access")
			return classify(publish.React(ctx, gh, owner, repo, r.CommentID, "confused"))
		}
	}
	switch r.Trigger {
	case webhook.TriggerHelp, webhook.TriggerReply:
		return classify(publish.PostComment(ctx, gh, owner, repo, r.PR, r.Reply))
	case webhook.TriggerComment:
		if err := publish.React(ctx, gh, owner, repo, r.CommentID, "eyes"); err != nil {
			return classify(err)
		}
	}
	return j.review(ctx)
}

// Fail tells the pull request why a request could not be completed. The
// queue calls it once, when it gives up.
func (w *Worker) Fail(ctx context.Context, r webhook.Request, cause error) error {
	if r.Trigger == webhook.TriggerHelp || r.Trigger == webhook.TriggerReply {
		return nil
	}
	if id, ok := APIReviewID(r); ok && w.API != nil {
		req, err := w.API.Request(ctx, id)
		if errors.Is(err, ErrNotWanted) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read API review %s: %w", id, err)
		}
		if err := w.API.Fail(ctx, id, cause); err != nil {
			return fmt.Errorf("record the failure of API review %s: %w", id, err)
		}
		if !req.PostReview {
			return nil
		}
	}
	owner, repo, ok := strings.Cut(r.Repo, "/")
	if !ok {
		return nil
	}
	gh, err := w.Clients.NewInstallationClient(r.Installation)
	if err != nil {
		return err
	}
	return publish.PostComment(ctx, gh, owner, repo, r.PR, FailureMessage(cause))
}

// FailureMessage explains a failure to the people on the pull request:
// what happened and what to do about it.
func FailureMessage(err error) string {
	f := Explain(err, "comment `@codex review`")
	return "**Codex review could not review this pull request.**\n\n" + render.EscapeBlock(f.What) + "\n\n" + f.Todo
}

// Failure is why a review failed, in words a person can act on.
type Failure struct {
	What string // what happened
	Todo string // what to do about it
	// Code is stable, for scripts: model_<kind>, invalid_config,
	// github_error or review_failed.
	Code string
}

// Explain turns the error that ended a review into a Failure. again says
// how the reader asks for the review again: "comment `@codex review`" on a
// pull request, "request the review again" through the REST API.
func Explain(err error, again string) Failure {
	var (
		f  Failure
		me *model.Error
		ge *github.ErrorResponse
		ce *repoconfig.Error
	)
	retry := strings.ToUpper(again[:1]) + again[1:]
	switch {
	case errors.As(err, &me):
		f.What, f.Code = "The model endpoint failed: "+me.Message, "model_"+me.Kind.String()
		switch me.Kind {
		case model.KindAuth:
			f.Todo = "The server's administrator must check `OPENAI_API_KEY` and `OPENAI_BASE_URL`."
		case model.KindQuota:
			f.Todo = "The model provider's quota is used up; the server's administrator must raise it. Then " + again + "."
		case model.KindNotFound:
			f.Todo = "The configured model does not exist on this endpoint: check `CODEX_MODEL` (or `model.name` in `.codex.yml`)."
		case model.KindRateLimited, model.KindUnavailable, model.KindTimeout:
			f.Todo = "This is usually temporary. " + retry + " in a few minutes."
		default:
			f.Todo = retry + "; if it keeps failing, the server log has details."
		}
	case errors.As(err, &ce):
		f.What, f.Code = err.Error(), "invalid_config"
		f.Todo = "Fix `.codex.yml` on the base branch (check it with `codex-review config validate`), then " + again + "."
	case errors.As(err, &ge) && ge.Response != nil:
		f.What, f.Code = fmt.Sprintf("GitHub answered %d: %s", ge.Response.StatusCode, ge.Message), "github_error"
		f.Todo = "Check that the app is installed on this repository with the permissions it asks for (pull requests: write, issues: write, contents: read), then " + again + "."
	default:
		f.What, f.Code = err.Error(), "review_failed"
		f.Todo = retry + "; if it keeps failing, the server log has details."
	}
	return f
}

// engine returns the engine for a model name, creating it once.
func (w *Worker) engine(name string) (*review.Engine, error) {
	cfg := w.Model
	if name != "" {
		cfg.Model = name
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.engines[cfg.Model]; ok {
		return e, nil
	}
	client, err := model.New(cfg)
	if err != nil {
		return nil, permanent(err)
	}
	counter, err := budget.NewCounter(cfg.Model)
	if err != nil {
		return nil, permanent(err)
	}
	if w.engines == nil {
		w.engines = map[string]*review.Engine{}
	}
	e := review.New(client, counter, cfg.Model)
	w.engines[cfg.Model] = e
	return e, nil
}

// job is one request in progress.
type job struct {
	w           *Worker
	gh          *github.Client
	owner, repo string
	r           webhook.Request
	// apiID is the REST API review id, or "" for other requests.
	apiID string
	// post is false for an API review asked not to post anything.
	post bool
	// apiSandbox is the REST API caller's sandbox_config, if any.
	apiSandbox *SandboxConfig
}

// mayTrigger reports whether the comment's author has write access. The
// payload's author association settles the common cases; otherwise the
// collaborator permission API decides.
func (j *job) mayTrigger(ctx context.Context) (bool, error) {
	switch j.r.AuthorAssociation {
	case "OWNER", "MEMBER", "COLLABORATOR":
		return true, nil
	}
	perm, _, err := j.gh.Repositories.GetPermissionLevel(ctx, j.owner, j.repo, j.r.Requester)
	if err != nil {
		var ge *github.ErrorResponse
		if errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode == http.StatusNotFound {
			return false, nil // not a collaborator at all
		}
		return false, classify(fmt.Errorf("check %s's permission: %w", j.r.Requester, err))
	}
	switch perm.GetPermission() {
	case "admin", "maintain", "write":
		return true, nil
	}
	return false, nil
}

// classify marks GitHub errors that retrying cannot fix as permanent.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ge *github.ErrorResponse
	if errors.As(err, &ge) && ge.Response != nil {
		switch ge.Response.StatusCode {
		case http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusUnauthorized, http.StatusGone:
			return permanent(err)
		}
	}
	// The model package says which of its failures pass with time; the
	// others (a bad key, no quota, no such model, a refused request) need a
	// person. A cancelled call is the queue stopping, retried after restart.
	var me *model.Error
	if errors.As(err, &me) && !me.Temporary() && me.Kind != model.KindCanceled {
		return permanent(err)
	}
	return err
}

// review runs the engine on the pull request and publishes the result.
func (j *job) review(ctx context.Context) error {
	log := zerolog.Ctx(ctx)
	pr, _, err := j.gh.PullRequests.Get(ctx, j.owner, j.repo, j.r.PR)
	if err != nil {
		return classify(fmt.Errorf("get pull request: %w", err))
	}
	head := pr.GetHead().GetSHA()
	auto := j.r.CommentID == 0 && j.apiID == ""
	if auto {
		if pr.GetState() != "open" {
			log.Info().Msg("skipping automatic review: pull request is not open")
			return nil
		}
		if j.r.HeadSHA != "" && j.r.HeadSHA != head {
			// The pull request moved on since this request was made. Its
			// current head is what needs a review: webhooks can arrive out
			// of order, so the job of the newer push may have been
			// superseded by this older one. If that job runs too, the
			// state marker shows the head as reviewed and it stops.
			log.Info().Str("sha", j.r.HeadSHA).Str("head", head).Msg("reviewing the pull request's current head instead of the request's")
		}
	}

	cfg, err := j.config(ctx, pr.GetBase().GetRef())
	if err != nil {
		var ce *repoconfig.Error
		if errors.As(err, &ce) {
			body := "**Codex review did not run: `" + repoconfig.FileName + "` on `" + pr.GetBase().GetRef() + "` is invalid.**\n\n" +
				render.CodeBlock("", ce.Error()) + "\nFix the file on the base branch (check it locally with `codex-review config validate`), then comment `@codex review`."
			if j.post {
				if err := publish.PostComment(ctx, j.gh, j.owner, j.repo, j.r.PR, body); err != nil {
					return classify(err)
				}
			}
			if j.apiID != "" {
				return j.w.API.Fail(ctx, j.apiID, fmt.Errorf("%s on %s is invalid: %w", repoconfig.FileName, pr.GetBase().GetRef(), ce))
			}
			return nil
		}
		return err
	}
	if auto && !wantsAuto(cfg, j.r, pr) {
		log.Info().Msg("automatic review not wanted by .codex.yml")
		return nil
	}

	prev, err := publish.LastState(ctx, j.gh, j.owner, j.repo, j.r.PR, j.w.BotLogin)
	if err != nil {
		return classify(fmt.Errorf("read the last review's state: %w", err))
	}
	if auto && prev.Head == head {
		log.Info().Str("sha", head).Msg("head already reviewed")
		return nil
	}
	if prev.Request != "" && prev.Request == j.r.RequestKey && prev.Head == head {
		// This request's review is already on the pull request: the job
		// is a retry after a crash between posting and finishing.
		log.Info().Str("sha", head).Msg("review for this request already posted")
		if j.apiID != "" {
			return j.w.API.Fail(ctx, j.apiID, errPostedUnrecorded)
		}
		return nil
	}

	whole, unavailable, err := j.pullDiff(ctx)
	if err != nil {
		return err
	}
	opt := cfg.EngineOptions()
	opt.Repository = j.r.Repo
	opt.Title, opt.Description = pr.GetTitle(), pr.GetBody()
	if len(j.r.Areas) > 0 {
		opt.Focus = nil
		for _, a := range j.r.Areas {
			if fa, err := finding.ParseArea(a); err == nil {
				opt.Focus = append(opt.Focus, fa)
			}
		}
	}
	opt.Instructions = joinNonEmpty(opt.Instructions, j.guidelines(ctx, pr.GetBase().GetRef()), requesterWords(j.r))

	reviewed := whole
	incremental := ""
	if j.r.Trigger == "synchronize" && prev.Head != "" && prev.Head != head {
		inter, err := j.interdiff(ctx, prev.Head, head)
		if err != nil {
			return err
		}
		if inter != nil {
			reviewed, incremental = inter, "since "+short(prev.Head)
			opt.AnchorDiff = whole
			opt.Instructions = joinNonEmpty(opt.Instructions, "This is an incremental review: the diff shows only the commits pushed since "+short(prev.Head)+", which was reviewed before. Review those changes.")
		}
	}

	// Tests run before the model, so that failures can inform the bugs
	// pass.
	tests, err := j.runTests(ctx, cfg, pr, head)
	if err != nil {
		return err
	}
	var extra []string
	if tests != nil {
		extra = append(extra, sandbox.Markdown(*tests))
		if m := sandbox.Material(*tests); m != "" {
			opt.Material = map[finding.Area]string{finding.Bugs: "Output of the repository's tests on this pull request's head:\n" + m}
		}
	}

	eng, err := j.w.engine(cfg.Model.Name)
	if err != nil {
		return err
	}
	res, err := eng.Review(ctx, reviewed, opt)
	if err != nil {
		return classify(err)
	}
	res.Sandbox = tests
	for i, s := range res.Coverage.Skipped {
		if why, ok := unavailable[s.Path]; ok {
			res.Coverage.Skipped[i].Reason = why
		}
	}
	if listed := len(whole.Files); incremental == "" && pr.GetChangedFiles() > listed {
		// GitHub lists at most 3,000 files of a pull request; say so
		// rather than let the coverage line look complete.
		res.Coverage.FilesChanged += pr.GetChangedFiles() - listed
		res.Coverage.Skipped = append(res.Coverage.Skipped, budget.Skip{
			Path:   fmt.Sprintf("(%d more files)", pr.GetChangedFiles()-listed),
			Reason: fmt.Sprintf("GitHub's API lists only the first %d files of a pull request", maxPRFiles),
		})
	}
	if j.w.Observe != nil {
		j.w.Observe(j.r.Repo, res.Usage)
	}

	event := publish.EventComment
	if at, ok := cfg.Review.RequestChangesAt(); ok {
		for _, f := range res.Output.Findings {
			if finding.Priority(f.Priority) <= at {
				event = publish.EventRequestChanges
				break
			}
		}
	}
	if !j.post {
		log.Info().Str("sha", head).Int("findings", len(res.Output.Findings)).Msg("review done; not posted, as the API request asked")
		return j.w.API.Complete(ctx, j.apiID, res, head, "")
	}
	blob := fmt.Sprintf("%s%s/%s/blob/%s/", j.w.WebURL, j.owner, j.repo, head)
	posted, err := publish.Publish(ctx, j.gh, publish.Target{Owner: j.owner, Repo: j.repo, Number: j.r.PR, HeadSHA: head}, res, prev, publish.Options{
		Event:       event,
		Request:     j.r.RequestKey,
		MaxComments: cfg.Review.MaxComments,
		BotLogin:    j.w.BotLogin,
		Summary: render.SummaryOptions{
			Incremental: incremental,
			Extra:       extra,
			Link: func(path string, line int) string {
				if line > 0 {
					return fmt.Sprintf("%s%s#L%d", blob, path, line)
				}
				return blob + path
			},
		},
	})
	if err != nil {
		return classify(err)
	}
	log.Info().Str("sha", head).Int64("review", posted.ReviewID).Int("inline", posted.Inline).Int("summary", posted.MovedToSummary).Msg("review posted")
	if j.apiID != "" {
		return j.w.API.Complete(ctx, j.apiID, res, head, posted.URL)
	}
	return nil
}

// runTests runs the repository's tests on the reviewed head in the
// sandbox, when the base branch's .codex.yml (or the REST API caller) asks
// for it. It returns nil when no test run was asked for, and a "not run"
// result saying why when one was asked for but could not happen. Only a
// cancelled context is an error: the job is then retried.
func (j *job) runTests(ctx context.Context, cfg repoconfig.Config, pr *github.PullRequest, head string) (*sandbox.Result, error) {
	want, command := cfg.Sandbox.Enabled, cfg.Sandbox.Command
	sc := sandbox.Config{Timeout: cfg.Sandbox.Timeout, Network: sandbox.Network(cfg.Sandbox.Network)}
	if a := j.apiSandbox; a != nil && a.Tests {
		want = true
		if a.Command != "" {
			command = a.Command
		}
		if a.TimeoutSeconds > 0 {
			sc.Timeout = time.Duration(a.TimeoutSeconds) * time.Second
		}
		if a.Network != "" {
			sc.Network = sandbox.Network(a.Network)
		}
	}
	if !want {
		return nil, nil
	}
	notRun := func(reason string) (*sandbox.Result, error) {
		zerolog.Ctx(ctx).Info().Str("reason", reason).Msg("tests not run")
		r := sandbox.NotRun(command, "tests were not run: "+reason)
		return &r, nil
	}
	fork := !strings.EqualFold(pr.GetHead().GetRepo().GetFullName(), pr.GetBase().GetRepo().GetFullName())
	switch {
	case command == "":
		return notRun("sandbox.command is empty in .codex.yml")
	case fork && !cfg.Sandbox.AllowForks:
		return notRun("the pull request comes from a fork, and sandbox.allow_forks is off")
	case j.w.Sandbox == nil:
		return notRun("the sandbox is turned off on this server")
	case j.w.SandboxUnavailable != nil:
		return notRun(j.w.SandboxUnavailable.Error())
	}
	tree, err := (&tarball.Fetcher{Repos: j.gh.Repositories, HTTP: j.w.Download}).Fetch(ctx, j.owner, j.repo, head)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return notRun("could not fetch the pull request's head: " + err.Error())
	}
	defer tree.Remove()
	sc.Command = command
	res, err := j.w.Sandbox.Run(ctx, tree.Dir, sc)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	log := zerolog.Ctx(ctx).Info()
	if err != nil {
		log = zerolog.Ctx(ctx).Warn().Err(err)
	}
	log.Str("status", string(res.Status)).Strs("limits", res.Limits).Strs("not_applied", res.NotApplied).Dur("duration", res.Duration).Msg("tests ran in the sandbox")
	return &res, nil
}

// wantsAuto applies .codex.yml's review.auto rules to an automatic trigger.
func wantsAuto(cfg repoconfig.Config, r webhook.Request, pr *github.PullRequest) bool {
	a := cfg.Review.Auto
	switch r.Trigger {
	case "synchronize":
		if !a.OnPush {
			return false
		}
	default:
		if !a.OnOpen {
			return false
		}
	}
	if pr.GetDraft() && !a.Drafts {
		return false
	}
	return a.ReviewsBase(pr.GetBase().GetRef()) && !a.IgnoresAuthor(pr.GetUser().GetLogin())
}

// config reads .codex.yml from the base branch: never from the head, so a
// pull request cannot change its own review rules. A missing file means the
// defaults.
func (j *job) config(ctx context.Context, baseRef string) (repoconfig.Config, error) {
	data, err := j.file(ctx, repoconfig.FileName, baseRef)
	if err != nil {
		return repoconfig.Config{}, err
	}
	if data == nil {
		return repoconfig.Default(), nil
	}
	return repoconfig.Parse(repoconfig.FileName, data)
}

// guidelines returns the "Review guidelines" section of AGENTS.md on the
// base branch; a missing or unreadable file only loses the guidelines.
func (j *job) guidelines(ctx context.Context, baseRef string) string {
	data, err := j.file(ctx, repoconfig.AgentsFileName, baseRef)
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("could not read AGENTS.md; reviewing without its guidelines")
		return ""
	}
	if g := repoconfig.ReviewGuidelines(string(data)); g != "" {
		return "Review guidelines from the repository's AGENTS.md:\n" + g
	}
	return ""
}

// file reads a file at ref; nil, nil when it does not exist.
func (j *job) file(ctx context.Context, path, ref string) ([]byte, error) {
	fc, _, resp, err := j.gh.Repositories.GetContents(ctx, j.owner, j.repo, path, &github.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return nil, classify(fmt.Errorf("read %s from %s: %w", path, ref, err))
	}
	if fc == nil {
		return nil, nil // a directory of that name
	}
	if fc.GetSize() > maxRepoFile {
		return nil, permanent(fmt.Errorf("%s on %s is larger than %d bytes", path, ref, maxRepoFile))
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, permanent(fmt.Errorf("decode %s from %s: %w", path, ref, err))
	}
	return []byte(s), nil
}

// pullDiff lists the pull request's files with their patches (the files
// API, paginated: the .diff media type is refused past 300 files) and
// builds the diff. It also returns why some files have no patch.
func (j *job) pullDiff(ctx context.Context) (*diff.Diff, map[string]string, error) {
	var files []*github.CommitFile
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := j.gh.PullRequests.ListFiles(ctx, j.owner, j.repo, j.r.PR, opts)
		if err != nil {
			return nil, nil, classify(fmt.Errorf("list pull request files: %w", err))
		}
		files = append(files, page...)
		if resp.NextPage == 0 || len(files) >= maxPRFiles {
			break
		}
		opts.Page = resp.NextPage
	}
	return build(files)
}

// interdiff is the change from the last reviewed head to the new one, or
// nil when the new head does not descend from it (a force push: review
// the whole pull request again).
func (j *job) interdiff(ctx context.Context, from, to string) (*diff.Diff, error) {
	var files []*github.CommitFile
	opts := &github.ListOptions{PerPage: 100}
	for {
		cmp, resp, err := j.gh.Repositories.CompareCommits(ctx, j.owner, j.repo, from, to, opts)
		if err != nil {
			var ge *github.ErrorResponse
			if errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode == http.StatusNotFound {
				return nil, nil // the old head is gone (force push, gc)
			}
			return nil, classify(fmt.Errorf("compare %s...%s: %w", short(from), short(to), err))
		}
		if cmp.GetStatus() != "ahead" {
			return nil, nil
		}
		files = append(files, cmp.Files...)
		if resp.NextPage == 0 || len(files) >= maxPRFiles {
			break
		}
		opts.Page = resp.NextPage
	}
	d, _, err := build(files)
	return d, err
}

// build turns GitHub's per-file patches into a diff.
func build(files []*github.CommitFile) (*diff.Diff, map[string]string, error) {
	unavailable := map[string]string{}
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
			return nil, nil, permanent(fmt.Errorf("GitHub's patch for %s: %w", f.GetFilename(), err))
		}
		if f.GetPatch() == "" && f.GetChanges() > 0 {
			unavailable[f.GetFilename()] = "GitHub does not show this file's diff (too large or binary)"
		}
		out = append(out, df)
	}
	return diff.New(out), unavailable, nil
}

// requesterWords turns the words after "@codex review" into instructions.
func requesterWords(r webhook.Request) string {
	if r.Instructions == "" {
		return ""
	}
	if r.Requester == "" {
		return "The caller who asked for this review added: " + r.Instructions
	}
	return "The person who asked for this review (@" + r.Requester + ") added: " + r.Instructions
}

func joinNonEmpty(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "\n\n")
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
