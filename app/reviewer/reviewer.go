// Package reviewer runs one queued job: it checks who asked, acknowledges,
// reads the repository's rules from the base branch, reads the change,
// runs the engine, publishes one review and reports the outcome to
// whoever waits for it. Every way it can fail ends in a comment on the
// pull request (unless the job may not post) and in its reporters.
//
// The worker knows GitHub only through the small interfaces below
// (PullRequestSource for reads, ReviewPublisher for the pull request's
// conversation, Reporter for everyone else told of the outcome), so its
// logic reads as the steps of a review rather than as API calls.
package reviewer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-github/v66/github"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/repoconfig"
	"github.com/codex-review/codex-review/app/tarball"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/budget"
	"github.com/codex-review/codex-review/review/deps"
	"github.com/codex-review/codex-review/review/diff"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
	"github.com/codex-review/codex-review/review/render"
	"github.com/codex-review/codex-review/review/sandbox"
)

// PullRequestSource is every read the worker makes of a pull request and
// its repository. Implementations are safe for concurrent use.
type PullRequestSource interface {
	// PullRequest reads the pull request as it is now.
	PullRequest(ctx context.Context) (pull.PullRequest, error)
	// Files lists the changed files with their diff.
	Files(ctx context.Context) (pull.Files, error)
	// Compare is the change from one commit to a later one, nil when to
	// does not descend from from.
	Compare(ctx context.Context, from, to string) (*diff.Diff, error)
	// File reads a file at a ref; nil, nil when there is none.
	File(ctx context.Context, path, ref string) ([]byte, error)
	// FilesAt reads files at a commit with as few calls as it can (one
	// tarball, usually); missing files are left out of the map.
	FilesAt(ctx context.Context, sha string, paths []string) (map[string][]byte, error)
	// Permission is a user's permission on the repository, "" for none.
	Permission(ctx context.Context, user string) (string, error)
	// Reviews are the app's own submitted reviews, oldest first.
	Reviews(ctx context.Context) ([]publish.AppReview, error)
	// Tarball unpacks the repository at a commit for the sandbox.
	Tarball(ctx context.Context, sha string) (*tarball.Tree, error)
}

// ReviewPublisher writes to the pull request's conversation.
type ReviewPublisher interface {
	// React adds a reaction to a comment.
	React(ctx context.Context, commentID int64, content string) error
	// Comment posts a comment.
	Comment(ctx context.Context, body string) error
	// Publish posts the review of head (see publish.Publish).
	Publish(ctx context.Context, head string, res *review.Result, prev publish.State, opt publish.Options) (publish.Posted, error)
}

// PullRequest is a job's pull request: what the worker reads and where it
// posts.
type PullRequest interface {
	PullRequestSource
	ReviewPublisher
	CheckRuns
	ThreadSource
	ThreadPublisher
}

// Pulls opens the pull request a job is about.
type Pulls interface {
	Open(ctx context.Context, j job.Job) (PullRequest, error)
}

// OnGitHub opens jobs' pull requests on GitHub.
func OnGitHub(o *pull.Opener) Pulls { return gitHub{o} }

type gitHub struct{ o *pull.Opener }

func (g gitHub) Open(_ context.Context, j job.Job) (PullRequest, error) {
	pr, err := g.o.Open(j.Installation, j.Repo, j.PR)
	if err != nil {
		return nil, err
	}
	return pr, nil
}

// Report is a finished review, as reporters are told of it.
type Report struct {
	Result *review.Result
	// HeadSHA is the commit that was reviewed.
	HeadSHA string
	// ReviewURL is the posted review; empty when nothing was posted.
	ReviewURL string
	// GitHubReviewID is the posted review's id on GitHub; 0 when nothing
	// was posted.
	GitHubReviewID int64
}

// Reporter tells one audience how a job goes, besides the pull request's
// conversation: the REST API's record of a review, the check run.
type Reporter interface {
	// Start is called as the job starts. ErrNotWanted means the job was
	// cancelled before it ran: it is dropped without a word.
	Start(ctx context.Context) error
	// Finish is called with the finished review, after it was posted.
	Finish(ctx context.Context, r Report) error
	// Fail is called when the job ends without a review. ErrNotWanted
	// means the job was cancelled meanwhile: the pull request is not told.
	Fail(ctx context.Context, cause error) error
}

// Records keeps the REST API's records of reviews (api.Tracker).
type Records interface {
	// Record is the reporter of the review with the given id.
	Record(reviewID string) Reporter
}

// ErrNotWanted is returned by a Reporter for a job that was cancelled or
// removed before it finished; the worker drops it silently.
var ErrNotWanted = errors.New("review no longer wanted")

// ErrPermanent marks failures that a retry cannot fix; the queue stops
// retrying and reports them.
var ErrPermanent = errors.New("permanent failure")

// permanent wraps err so errors.Is(err, ErrPermanent) holds.
func permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// errPostedUnrecorded explains the one failure that happens after success:
// a retried API review whose review is already on the pull request.
var errPostedUnrecorded = errors.New("the review was posted on the pull request, but the server stopped before recording its result: read it on the pull request, or request a new review")

// Worker runs jobs.
type Worker struct {
	// Pulls opens the pull request of a job.
	Pulls Pulls
	// Model is the server's model configuration; a repository may name
	// another model in its .codex.yml.
	Model model.Config
	// Observe, when set, is told the usage of each review (metrics).
	Observe func(repo string, u finding.Usage)
	// Records, when set, keeps the REST API's record of API reviews.
	Records Records
	// Sandbox runs repositories' tests, bounded by its own concurrency
	// limit; nil turns test runs off on this server.
	Sandbox *sandbox.Limiter
	// SandboxUnavailable is why this host cannot run sandboxes (no bwrap,
	// no user namespaces); reviews then say the tests were not run.
	SandboxUnavailable error
	// Trigger is the mention that starts reviews (CODEX_TRIGGER), for
	// replies that say how to ask again; command.DefaultTrigger when empty.
	Trigger string
	// Memory keeps learnings, dismissals and feedback between jobs; nil
	// turns them off (reviews then neither read nor count them, and
	// remember, learnings and ignore say they are not available).
	Memory Memory
	// Feedback, when set, is told of 👍 ("+1") and 👎 ("-1") reactions
	// added to the app's comments since they were last read (metrics).
	Feedback func(area finding.Area, priority finding.Priority, reaction string, n int)
	// Advisories looks up known vulnerabilities of dependency changes
	// (OSV); nil leaves them unchecked, and reviews say so.
	Advisories deps.Advisories

	mu      sync.Mutex
	engines map[string]*review.Engine
	// rules caches repositories' rules by base commit.
	rules rulesCache
	// heads caches the changed files read at head commits.
	heads headCache
	// noChecks holds the installations that refused the app the checks
	// permission, so that each is warned about once.
	noChecks sync.Map
	// perms caches collaborator permissions (permissionTTL).
	perms   permissions
	clients map[string]*model.Client
	counter map[string]budget.Counter
}

// reporters are the audiences of a job besides its pull request.
func (w *Worker) reporters(j job.Job) reporters {
	var rs reporters
	if j.ReviewID != "" && w.Records != nil {
		rs = append(rs, w.Records.Record(j.ReviewID))
	}
	return rs
}

// Run handles one job. A nil error means the job is finished, including
// when it was deliberately skipped (auto review turned off, an
// unauthorised user, a cancelled API review).
func (w *Worker) Run(ctx context.Context, j job.Job) error {
	ctx = zerolog.Ctx(ctx).With().Str("repo", j.Repo).Int("pr", j.PR).Str("trigger", j.Trigger()).Str("delivery", j.Delivery).Logger().WithContext(ctx)
	log := zerolog.Ctx(ctx)
	if err := j.Validate(); err != nil {
		return permanent(fmt.Errorf("invalid job: %w", err))
	}
	pr, err := w.Pulls.Open(ctx, j)
	if err != nil {
		return err
	}
	t := &task{w: w, j: j, pr: pr, reps: w.reporters(j)}
	if err := t.reps.start(ctx); err != nil {
		if errors.Is(err, ErrNotWanted) {
			log.Info().Str("review", j.ReviewID).Msg("skipping review: cancelled before it ran")
			return nil
		}
		return err
	}

	if j.Source == job.Comment || j.Source == job.CheckRun || j.Source == job.Thread {
		allowed, err := t.mayTrigger(ctx)
		if err != nil {
			return err
		}
		if !allowed {
			log.Info().Str("user", j.Requester).Msg("trigger refused: no write access")
			if j.CommentID == 0 {
				return nil // a check run's Re-run button has nothing to react to
			}
			return classify(t.react(ctx, "confused"))
		}
	}
	switch j.Action {
	case job.Help, job.Reply:
		return classify(t.say(ctx, j.Reply))
	case job.Review:
		if (j.Source == job.Comment || j.Source == job.Thread) && !t.reacted() {
			if err := t.react(ctx, "eyes"); err != nil {
				return classify(err)
			}
		}
		// A review the REST API's caller cancels while it runs stops: its
		// context is cancelled, and nothing is posted after that.
		rctx, stop := t.watchCancel(ctx)
		err := t.review(rctx)
		stop()
		if err != nil && cancelled(rctx, err) {
			log.Info().Str("review", j.ReviewID).Msg("review cancelled while it ran; nothing posted")
			// On a context of its own: the job's may be ending too (the
			// queue's own cancellation).
			ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
			defer cancel()
			return w.end(ectx, j, ErrCancelled, false)
		}
		return err
	case job.Answer, job.Suggest:
		return t.answer(ctx)
	case job.Remember:
		return t.remember(ctx)
	case job.Learnings:
		return t.learnings(ctx)
	case job.Dismiss:
		return t.dismiss(ctx)
	}
	return permanent(fmt.Errorf("unknown action %q", j.Action))
}

// Fail tells the job's audiences why it could not be completed. The queue
// calls it once, when it gives up.
func (w *Worker) Fail(ctx context.Context, j job.Job, cause error) error {
	switch j.Action {
	case job.Answer, job.Suggest, job.Remember, job.Learnings, job.Dismiss:
		return w.failConversation(ctx, j, cause)
	}
	return w.end(ctx, j, cause, true)
}

// Cancelled completes the check run of a job that was cancelled while it
// ran (the REST API's cancel, which has recorded it already); the queue
// calls it once the job returned.
func (w *Worker) Cancelled(ctx context.Context, j job.Job) error {
	return w.end(ctx, j, ErrCancelled, false)
}

// Superseded completes the check run of a job that a newer push replaced
// while it waited to be retried. The REST API's record is the server's to
// mark.
func (w *Worker) Superseded(ctx context.Context, j job.Job) error {
	return w.end(ctx, j, ErrSuperseded, false)
}

// end tells the audiences of a job that ended outside Run why it has no
// review. A failure (final) is told to every reporter and, when the job may
// post, to the pull request; a cancellation only to the check run. The
// check run is found by the job's request key on the heads it may have
// reviewed.
func (w *Worker) end(ctx context.Context, j job.Job, cause error, final bool) error {
	if j.Action != job.Review {
		return nil
	}
	t := &task{w: w, j: j}
	if final {
		t.reps = w.reporters(j)
	}
	pr, err := w.Pulls.Open(ctx, j)
	if err != nil {
		return errors.Join(err, t.reps.fail(ctx, cause))
	}
	t.pr = pr
	heads := []string{}
	if j.HeadSHA != "" {
		heads = append(heads, j.HeadSHA)
	}
	if p, err := pr.PullRequest(ctx); err == nil && p.HeadSHA != j.HeadSHA {
		heads = append(heads, p.HeadSHA)
	}
	if wd := j.Waited; wd != nil && wd.CheckHead != "" && !slices.Contains(heads, wd.CheckHead) {
		// The run made while the job waited, on the head of that time.
		heads = append(heads, wd.CheckHead)
	}
	if len(heads) > 0 {
		t.reps = append(t.reps, &checkRun{w: w, runs: pr, installation: j.Installation, key: j.RequestKey, heads: heads})
	}
	if !final {
		if err := t.reps.fail(ctx, cause); err != nil && !errors.Is(err, ErrNotWanted) {
			return err
		}
		return nil
	}
	return t.fail(ctx, cause)
}

// FailureMessage explains a failure to the people on the pull request:
// what happened and what to do about it.
func FailureMessage(err error) string {
	var ce *configError
	if errors.As(err, &ce) {
		return render.InvalidConfigComment(repoconfig.FileName, ce.ref, ce.err.Error())
	}
	f := Explain(err, "comment `@codex review`")
	return render.FailureComment(f.What, f.Todo)
}

// configError is an invalid .codex.yml on the base branch.
type configError struct {
	ref string
	err *repoconfig.Error
}

func (e *configError) Error() string {
	return fmt.Sprintf("%s on %s is invalid: %v", repoconfig.FileName, e.ref, e.err)
}

func (e *configError) Unwrap() error { return e.err }

// Failure is why a review failed, in words a person can act on.
type Failure struct {
	What string // what happened
	Todo string // what to do about it
	// Code is stable, for scripts: model_<kind>, invalid_config,
	// github_unavailable, github_rate_limited, github_error or
	// review_failed.
	Code string
}

// Explain turns the error that ended a review into a Failure. again says
// how the reader asks for the review again: "comment `@codex review`" on a
// pull request, "request the review again" through the REST API.
func Explain(err error, again string) Failure {
	var (
		f      Failure
		me     *model.Error
		ge     *github.ErrorResponse
		ce     *repoconfig.Error
		abuse  *github.AbuseRateLimitError
		quota  *github.RateLimitError
		urlErr *url.Error
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
	case errors.As(err, &abuse) || errors.As(err, &quota):
		f.What, f.Code = "GitHub rate-limited the app: "+err.Error(), "github_rate_limited"
		f.Todo = "The app's GitHub API quota recovers by itself. " + retry + " in a few minutes."
	case errors.As(err, &ge) && ge.Response != nil && ge.Response.StatusCode >= 500:
		f.What, f.Code = fmt.Sprintf("GitHub was unavailable: it answered %d to %s", ge.Response.StatusCode, requestLine(ge.Response)), "github_unavailable"
		f.Todo = "This is GitHub's side and usually temporary (see https://www.githubstatus.com). " + retry + " in a few minutes."
	case errors.As(err, &ge) && ge.Response != nil:
		f.What, f.Code = fmt.Sprintf("GitHub refused %s with %d: %s", requestLine(ge.Response), ge.Response.StatusCode, ge.Message), "github_error"
		switch ge.Response.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			f.Todo = "Check that the app is installed on this repository with the permissions it asks for (pull requests: write, issues: write, contents: read, metadata: read; checks: write for the check run), then " + again + "."
		default:
			f.Todo = retry + "; if it keeps failing, the server log has details."
		}
	case errors.As(err, &urlErr):
		f.What, f.Code = "GitHub could not be reached: "+err.Error(), "github_unavailable"
		f.Todo = "This is usually temporary (a network or GitHub outage). " + retry + " in a few minutes; if it keeps failing, the server's administrator should check its network access to GitHub."
	default:
		f.What, f.Code = err.Error(), "review_failed"
		f.Todo = retry + "; if it keeps failing, the server log has details."
	}
	return f
}

// postedFor finds the app's review that already answered j, looking at all
// of the app's reviews on the pull request: another request may have been
// answered since (a job rescued after its post reached GitHub must not post
// again because someone asked for another review meanwhile). Automatic
// jobs share one request key, "auto", one per head; the others name one
// request, answered once whatever the head.
func postedFor(reviews []publish.AppReview, j job.Job, head string) (publish.AppReview, bool) {
	for i := len(reviews) - 1; i >= 0; i-- {
		r := reviews[i]
		if !r.HasState || r.State.Request == "" || r.State.Request != j.RequestKey {
			continue
		}
		if j.Source == job.Automatic && r.State.Head != head {
			continue
		}
		return r, true
	}
	return publish.AppReview{}, false
}

// requestLine names a failed GitHub call, "GET /repos/o/r/pulls/1/files".
func requestLine(resp *http.Response) string {
	if resp == nil || resp.Request == nil || resp.Request.URL == nil {
		return "a request"
	}
	return resp.Request.Method + " " + resp.Request.URL.Path
}

// modelName is the model a repository's reviews use: its own, or the
// server's.
func (w *Worker) modelName(repoModel string) string {
	if repoModel != "" {
		return repoModel
	}
	return w.Model.Model
}

// engine returns the engine for a model name, creating it once.
func (w *Worker) engine(name string) (*review.Engine, error) {
	e, _, _, err := w.model(name)
	return e, err
}

// model returns the engine, the model client and the token counter for a
// model name, creating them once.
func (w *Worker) model(name string) (*review.Engine, *model.Client, budget.Counter, error) {
	cfg := w.Model
	if name != "" {
		cfg.Model = name
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.engines[cfg.Model]; ok {
		return e, w.clients[cfg.Model], w.counter[cfg.Model], nil
	}
	client, err := model.New(cfg)
	if err != nil {
		return nil, nil, nil, permanent(err)
	}
	counter, err := budget.NewCounter(cfg.Model)
	if err != nil {
		return nil, nil, nil, permanent(err)
	}
	if w.engines == nil {
		w.engines = map[string]*review.Engine{}
		w.clients = map[string]*model.Client{}
		w.counter = map[string]budget.Counter{}
	}
	e := review.New(client, counter, cfg.Model)
	w.engines[cfg.Model], w.clients[cfg.Model], w.counter[cfg.Model] = e, client, counter
	return e, client, counter, nil
}

// reporters are told of a job in order.
type reporters []Reporter

// start starts every reporter, stopping at the first error.
func (rs reporters) start(ctx context.Context) error {
	for _, r := range rs {
		if err := r.Start(ctx); err != nil {
			return err
		}
	}
	return nil
}

// wanted asks the reporters that know (the REST API's record) whether the
// job is still wanted; ErrNotWanted when one says it is not.
func (rs reporters) wanted(ctx context.Context) error {
	for _, r := range rs {
		if w, ok := r.(interface{ Wanted(context.Context) error }); ok {
			if err := w.Wanted(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish tells every reporter of the review, whatever the others answer.
func (rs reporters) finish(ctx context.Context, rep Report) error {
	var errs []error
	for _, r := range rs {
		errs = append(errs, r.Finish(ctx, rep))
	}
	return errors.Join(errs...)
}

// fail tells every reporter of the failure. It returns the errors of the
// reporters that could not be told; ErrNotWanted only when all could, and
// one of them says the job was no longer wanted. A check run that could
// not be completed is an error even then: callers drop ErrNotWanted
// silently, and the run would stay in progress unseen.
func (rs reporters) fail(ctx context.Context, cause error) error {
	var errs []error
	notWanted := false
	for _, r := range rs {
		err := r.Fail(ctx, cause)
		if errors.Is(err, ErrNotWanted) {
			notWanted = true
			continue
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil || !notWanted {
		return err
	}
	return ErrNotWanted
}

// task is one job in progress.
type task struct {
	w    *Worker
	j    job.Job
	pr   PullRequest
	reps reporters
	// writers caches who has write access, for this job.
	writers map[string]bool
}

// reacted reports whether the job's comment got its 👀 while the job
// waited its turn (Worker.Waiting).
func (t *task) reacted() bool { return t.j.Waited != nil && t.j.Waited.Reacted }

// fail tells the reporters, then the pull request (when the job may post),
// why the job ended without a review.
func (t *task) fail(ctx context.Context, cause error) error {
	err := t.reps.fail(ctx, cause)
	if errors.Is(err, ErrNotWanted) {
		return nil
	}
	if err != nil {
		return err
	}
	if !t.j.Post {
		return nil
	}
	return classify(t.pr.Comment(ctx, FailureMessage(cause)))
}

// mayTrigger reports whether the comment's author has write access. Only
// the association OWNER proves it (the repository's owner, or an owner of
// its organisation); MEMBER and COLLABORATOR do not (an organisation member
// or a collaborator may have read or triage access only), so the
// collaborator-permission API decides, cached briefly per repository and
// user.
func (t *task) mayTrigger(ctx context.Context) (bool, error) {
	if t.j.AuthorAssociation == "OWNER" {
		return true, nil
	}
	return t.isWriter(ctx, t.j.Requester)
}

// classify marks errors that retrying cannot fix as permanent.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pull.ErrUnusable) {
		return permanent(err)
	}
	if errors.Is(err, publish.ErrPendingReview) {
		// A 422 that passes: a review running beside the reply is done
		// with its pending reviews within moments (job.Job.Exclusive).
		return err
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
func (t *task) review(ctx context.Context) error {
	log := zerolog.Ctx(ctx)
	j := t.j
	// The app's earlier reviews do not depend on the pull request's
	// state: read them while the pull request and its rules are read.
	var (
		reviews    []publish.AppReview
		reviewsErr error
		wg         sync.WaitGroup
	)
	wg.Go(func() { reviews, reviewsErr = t.pr.Reviews(ctx) })
	defer wg.Wait()
	pr, err := t.pr.PullRequest(ctx)
	if err != nil {
		return classify(err)
	}
	head := pr.HeadSHA
	auto := j.Source == job.Automatic
	if auto {
		if !pr.Open {
			log.Info().Msg("skipping automatic review: pull request is not open")
			t.dropWaitedCheck(ctx, "Pull request closed", "The pull request was closed while this review waited; it is not reviewed.")
			return nil
		}
		if j.HeadSHA != "" && j.HeadSHA != head {
			// The pull request moved on since this request was made. Its
			// current head is what needs a review: webhooks can arrive out
			// of order, so the job of the newer push may have been
			// superseded by this older one. If that job runs too, the
			// state marker shows the head as reviewed and it stops.
			log.Info().Str("sha", j.HeadSHA).Str("head", head).Msg("reviewing the pull request's current head instead of the request's")
		}
	}

	rules, err := t.rules(ctx, pr)
	if err != nil {
		var ce *repoconfig.Error
		if errors.As(err, &ce) {
			if wd := j.Waited; wd != nil && wd.CheckRunID != 0 {
				// The run made while the job waited says why too.
				t.reps = append(t.reps, &checkRun{w: t.w, runs: t.pr, installation: j.Installation, key: j.RequestKey, heads: []string{wd.CheckHead}, id: wd.CheckRunID})
			}
			return t.fail(ctx, &configError{ref: pr.BaseRef, err: ce})
		}
		return err
	}
	cfg := rules.Config
	if auto && !wantsAuto(cfg, j, pr) {
		log.Info().Msg("automatic review not wanted by .codex.yml")
		t.dropWaitedCheck(ctx, "Automatic review turned off", "`.codex.yml` (or the pull request's draft state) no longer asks for this automatic review.")
		return nil
	}
	var check *checkRun
	if cfg.Checks.Enabled {
		check = &checkRun{w: t.w, runs: t.pr, installation: j.Installation, key: j.RequestKey, heads: []string{head}}
		check.failAt, check.failsOn = cfg.Checks.FailAt()
		t.reps = append(t.reps, check)
	}
	t.takeWaitedCheck(ctx, check, head)

	wg.Wait()
	if err := reviewsErr; err != nil {
		return classify(fmt.Errorf("read the last review's state: %w", err))
	}
	prev := publish.Latest(reviews)
	if done, ok := postedFor(reviews, j, head); ok {
		// This request's review is already on the pull request: the job
		// is a retry after a crash between posting and finishing.
		log.Info().Str("sha", done.State.Head).Int64("review", done.ID).Msg("review for this request already posted")
		if err := t.reps.fail(ctx, errPostedUnrecorded); err != nil && !errors.Is(err, ErrNotWanted) {
			return err
		}
		return nil
	}
	if auto && prev.Head == head {
		log.Info().Str("sha", head).Msg("head already reviewed")
		if check != nil && check.queued != 0 {
			t.dropWaitedCheck(ctx, "Already reviewed", "Another review of commit `"+short(head)+"` was posted while this one waited; that review's check run has its result. Re-run this check for a review of its own.")
		}
		return nil
	}
	opt := rules.EngineOptions()
	opt.Repository = j.Repo
	opt.Title, opt.Description = pr.Title, pr.Body
	if len(j.Areas) > 0 {
		// Areas asked for by name run even when the change gives them
		// little to review.
		opt.Focus, opt.ForceFocus = j.Areas, true
	}
	// The repository's learnings are guidelines like AGENTS.md's, below
	// them: a new learning makes the same request a new review.
	learnings := t.rememberedGuidelines(ctx, cfg.Model.Name)
	guidelines := joinNonEmpty(rules.GuidelinesInstructions(), learnings)
	opt.Instructions = joinNonEmpty(opt.Instructions, learnings, requesterWords(j))
	req := request{Focus: opt.Focus, Words: j.Instructions, Config: cfg, Guidelines: guidelines, Model: t.w.modelName(cfg.Model.Name), Sandbox: j.Sandbox}
	if j.Source == job.Comment && !j.Fresh {
		// The same request for the same commit gets the same review: link
		// the one already posted instead of paying for it again.
		if earlier, ok := answeredBefore(reviews, head, req.signature()); ok {
			// Before any check run starts: the earlier review's run
			// stands, and one made while the job waited says so.
			if check != nil && check.queued != 0 {
				check.id = check.queued
				err := check.complete(ctx, head, publish.CheckRun{Status: publish.CheckCompleted, Conclusion: publish.ConclusionNeutral, DetailsURL: earlier.URL,
					Output: render.CheckOutput{Title: "Answered by an earlier review", Summary: "The same request was answered for this commit before; the reply on the pull request links that review."}})
				if err != nil {
					log.Warn().Err(err).Int64("check_run", check.queued).Msg("could not complete the check run made while the request waited")
				}
			}
			return t.replyRepeat(ctx, earlier, pr.CommitURL(head))
		}
	}
	if opt.Dismissed, err = t.readFeedback(ctx, reviews); err != nil {
		return err
	}

	if check != nil {
		// In progress before the first model call; a job retried after a
		// failure takes over the run its earlier attempt created.
		if err := check.Start(ctx); err != nil {
			return err
		}
	}

	files, err := t.pr.Files(ctx)
	if err != nil {
		return classify(err)
	}
	whole := files.Diff
	reviewed := whole
	incremental := ""
	if j.Event == job.Synchronize && prev.Head != "" && prev.Head != head {
		inter, err := t.pr.Compare(ctx, prev.Head, head)
		if err != nil {
			return classify(err)
		}
		if inter != nil {
			reviewed, incremental = inter, "since "+short(prev.Head)
			req.Incremental = true
			opt.AnchorDiff = whole
			opt.Instructions = joinNonEmpty(opt.Instructions, "This is an incremental review: the diff shows only the commits pushed since "+short(prev.Head)+", which was reviewed before. Review those changes.")
		}
	}

	// Tests run before the model, so that failures can inform the bugs
	// pass. The head's tree they ran on stays until the review ends: it
	// serves the code around the hunks, so the head is downloaded once.
	var tree *tarball.Tree
	if opt.Tests, tree, err = t.runTests(ctx, cfg, pr, head); err != nil {
		return err
	}
	if tree != nil {
		defer tree.Remove()
	}
	opt.Head = headFiles{src: t.pr, key: headKey{strings.ToLower(j.Repo), head}, cache: &t.w.heads, tree: tree}
	opt.NoDiff = files.NoDiff
	if listed := len(whole.Files); incremental == "" && pr.ChangedFiles > listed {
		// GitHub lists at most 3,000 files of a pull request; say so
		// rather than let the coverage line look complete.
		opt.Unlisted = review.Unlisted{Files: pr.ChangedFiles - listed,
			Reason: fmt.Sprintf("GitHub's API lists only the first %d files of a pull request", pull.MaxListedFiles)}
	}

	since := ""
	if incremental != "" {
		since = prev.Head
	}
	opt.Dependencies = t.dependencies(pr, head, since)

	eng, err := t.w.engine(cfg.Model.Name)
	if err != nil {
		return err
	}
	res, err := eng.Review(ctx, reviewed, opt)
	if err != nil {
		return classify(err)
	}
	if t.w.Observe != nil {
		t.w.Observe(j.Repo, res.Usage)
	}
	// A review cancelled while the model worked (where the queue could
	// not interrupt it) is not posted; its check says it was cancelled.
	if err := t.reps.wanted(ctx); err != nil {
		if !errors.Is(err, ErrNotWanted) {
			return err
		}
		log.Info().Str("sha", head).Msg("review cancelled while it ran; not posted")
		if err := t.reps.fail(ctx, ErrCancelled); err != nil && !errors.Is(err, ErrNotWanted) {
			return err
		}
		return nil
	}

	rep := Report{Result: res, HeadSHA: head}
	if !j.Post {
		log.Info().Str("sha", head).Int("findings", len(res.Findings)).Msg("review done; not posted, as the API request asked")
		return t.reps.finish(ctx, rep)
	}
	event := publish.EventComment
	if at, ok := cfg.Review.RequestChangesAt(); ok {
		for _, f := range res.Findings {
			if finding.Priority(f.Priority) <= at {
				event = publish.EventRequestChanges
				break
			}
		}
	}
	posted, err := t.pr.Publish(ctx, head, res, prev, publish.Options{
		Event:       event,
		Request:     j.RequestKey,
		Signature:   req.signature(),
		MaxComments: cfg.Review.MaxComments,
		Summary:     render.SummaryOptions{Incremental: incremental},
	})
	if err != nil {
		return classify(err)
	}
	log.Info().Str("sha", head).Int64("review", posted.ReviewID).Int("inline", posted.Inline).Int("summary", posted.MovedToSummary).Msg("review posted")
	rep.ReviewURL, rep.GitHubReviewID = posted.URL, posted.ReviewID
	return t.reps.finish(ctx, rep)
}

// runTests runs the repository's tests on the reviewed head in the
// sandbox, when the base branch's .codex.yml (or the REST API caller) asks
// for it. It returns nil when no test run was asked for, and a "not run"
// result saying why when one was asked for but could not happen. Only a
// cancelled context is an error: the job is then retried. When the tests
// ran, it also returns the head's tree they ran on, which the caller
// removes.
func (t *task) runTests(ctx context.Context, cfg repoconfig.Config, pr pull.PullRequest, head string) (*sandbox.Result, *tarball.Tree, error) {
	want, command := cfg.Sandbox.Enabled, cfg.Sandbox.Command
	sc := sandbox.Config{Timeout: cfg.Sandbox.Timeout, Network: sandbox.Network(cfg.Sandbox.Network)}
	if a := t.j.Sandbox; a != nil && a.Tests {
		want = true
		if a.Command != "" {
			command = a.Command
		}
		if a.Timeout > 0 {
			sc.Timeout = a.Timeout
		}
		if a.Network != "" {
			sc.Network = a.Network
		}
	}
	if !want {
		return nil, nil, nil
	}
	notRun := func(reason string) (*sandbox.Result, *tarball.Tree, error) {
		zerolog.Ctx(ctx).Info().Str("reason", reason).Msg("tests not run")
		r := sandbox.NotRun(command, "tests were not run: "+reason)
		return &r, nil, nil
	}
	switch {
	case command == "":
		return notRun("sandbox.command is empty in .codex.yml")
	case pr.Fork() && !cfg.Sandbox.AllowForks:
		return notRun("the pull request comes from a fork, and sandbox.allow_forks is off")
	case t.w.Sandbox == nil:
		return notRun("the sandbox is turned off on this server")
	case t.w.SandboxUnavailable != nil:
		return notRun(t.w.SandboxUnavailable.Error())
	}
	tree, err := t.pr.Tarball(ctx, head)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return notRun("could not fetch the pull request's head: " + err.Error())
	}
	sc.Command = command
	res, err := t.testHeadAndBase(ctx, tree.Dir, sc, pr.BaseSHA)
	if ctx.Err() != nil {
		_ = tree.Remove()
		return nil, nil, ctx.Err()
	}
	log := zerolog.Ctx(ctx).Info()
	if err != nil {
		log = zerolog.Ctx(ctx).Warn().Err(err)
	}
	log.Str("status", string(res.Status)).Strs("limits", res.Limits).Strs("not_applied", res.NotApplied).Dur("duration", res.Duration).Msg("tests ran in the sandbox")
	return &res, tree, nil
}

// wantsAuto applies .codex.yml's review.auto rules to an automatic job.
func wantsAuto(cfg repoconfig.Config, j job.Job, pr pull.PullRequest) bool {
	a := cfg.Review.Auto
	switch j.Event {
	case job.Synchronize:
		if !a.OnPush {
			return false
		}
	default:
		if !a.OnOpen {
			return false
		}
	}
	if pr.Draft && !a.Drafts {
		return false
	}
	return a.ReviewsBase(pr.BaseRef) && !a.IgnoresAuthor(pr.Author)
}

// headFiles gives the engine the files of the reviewed head commit, from
// the worker's cache when an earlier review of that commit read them, else
// from the tree the tests ran on when there is one, else from GitHub.
type headFiles struct {
	src   PullRequestSource
	key   headKey
	cache *headCache
	// tree is the head unpacked for the sandbox, nil when no tests ran.
	// The sandbox sees it read-only, so it is still the commit's.
	tree *tarball.Tree
}

func (h headFiles) HeadFiles(ctx context.Context, paths []string) (map[string][]byte, error) {
	return h.cache.files(ctx, h.key, paths, func(ctx context.Context, paths []string) (map[string][]byte, error) {
		if h.tree != nil {
			files, err := h.tree.ReadFiles(paths)
			if err == nil {
				return files, nil
			}
			zerolog.Ctx(ctx).Warn().Err(err).Msg("could not read the changed files from the tested tree; reading them from GitHub")
		}
		return h.src.FilesAt(ctx, h.key.sha, paths)
	})
}

// requesterWords turns the words after "@codex review" into instructions.
func requesterWords(j job.Job) string {
	if j.Instructions == "" {
		return ""
	}
	if j.Requester == "" {
		return "The caller who asked for this review added: " + j.Instructions
	}
	return "The person who asked for this review (@" + j.Requester + ") added: " + j.Instructions
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
