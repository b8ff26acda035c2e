package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-github/v66/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/review/render"
)

// Recorded is the outcome of a delivery that was recorded without a job:
// a resolved or unresolved review thread.
const Recorded Outcome = "recorded"

// ReviewComment handles "@codex …" in review threads: the first comment of
// a thread on the changed lines, or a reply in any thread, the app's
// included. The worker answers in the thread.
type ReviewComment struct {
	Parser command.Parser
	Queue  Enqueuer
	// BotLogin is the app's own user ("slug[bot]"); its comments are never
	// commands.
	BotLogin string
	Observe  Observer
}

var _ githubapp.EventHandler = (*ReviewComment)(nil)

// Handles implements githubapp.EventHandler.
func (h *ReviewComment) Handles() []string { return []string{"pull_request_review_comment"} }

// Handle implements githubapp.EventHandler.
func (h *ReviewComment) Handle(ctx context.Context, _ string, delivery string, payload []byte) error {
	var ev github.PullRequestReviewCommentEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		h.observe(Malformed)
		return &MalformedError{Event: "pull_request_review_comment", Err: err}
	}
	// As for conversation comments, edits and deletions never trigger.
	c := ev.GetComment()
	if ev.GetAction() != "created" || isBot(c.GetUser(), h.BotLogin) {
		h.observe(Ignored)
		return nil
	}
	if err := validReviewComment(&ev); err != nil {
		h.observe(Malformed)
		return &MalformedError{Event: "pull_request_review_comment", Err: err}
	}
	cmd := h.Parser.ParseThread(c.GetBody())
	thread := c.GetInReplyTo()
	if thread == 0 {
		thread = c.GetID()
	}
	j := job.Job{
		Repo:              ev.GetRepo().GetFullName(),
		Installation:      ev.GetInstallation().GetID(),
		PR:                ev.GetPullRequest().GetNumber(),
		Source:            job.Thread,
		Post:              true,
		CommentID:         c.GetID(),
		CommentURL:        c.GetHTMLURL(),
		ThreadID:          thread,
		Requester:         c.GetUser().GetLogin(),
		AuthorAssociation: c.GetAuthorAssociation(),
		Delivery:          delivery,
		// Review comments and conversation comments have ids of their
		// own: the prefix keeps them apart.
		RequestKey: fmt.Sprintf("thread:%d", c.GetID()),
	}
	switch cmd.Kind {
	case command.Review:
		j.Action, j.Areas, j.Instructions = job.Review, cmd.Areas, cmd.Instructions
	case command.Help:
		j.Action, j.Reply = job.Help, cmd.Reply
	case command.Reply:
		j.Action, j.Reply = job.Reply, cmd.Reply
	case command.Remember:
		j.Action, j.Text = job.Remember, cmd.Text
	case command.Learnings:
		j.Action = job.Learnings
	case command.Dismiss:
		j.Action, j.Text = job.Dismiss, cmd.Text
	case command.Ask:
		j.Action, j.Instructions = job.Answer, cmd.Text
	case command.Suggest:
		j.Action, j.Instructions = job.Suggest, cmd.Text
	default:
		h.observe(Ignored)
		return nil
	}
	if j.Installation == 0 {
		zerolog.Ctx(ctx).Warn().Str("repo", j.Repo).Int("pr", j.PR).Msg("review comment delivery has no installation; is the webhook configured on the App?")
		h.observe(Ignored)
		return nil
	}
	dup, err := h.Queue.Enqueue(ctx, j)
	if err != nil {
		h.observe(Failed)
		return fmt.Errorf("enqueue %s request for %s#%d: %w", j.Trigger(), j.Repo, j.PR, err)
	}
	zerolog.Ctx(ctx).Info().Str("repo", j.Repo).Int("pr", j.PR).Str("trigger", j.Trigger()).Int64("thread", thread).Bool("duplicate", dup).Msg("thread request")
	if dup {
		h.observe(Duplicate)
	} else {
		h.observe(Enqueued)
	}
	return nil
}

// validReviewComment checks what a review comment must carry for the app
// to answer it: the repository as GitHub names them (it becomes a path of
// GitHub API calls), the pull request and the comment.
func validReviewComment(ev *github.PullRequestReviewCommentEvent) error {
	if err := fullName(ev.GetRepo().GetFullName()); err != nil {
		return err
	}
	if ev.GetPullRequest().GetNumber() <= 0 {
		return fmt.Errorf("pull_request.number is missing")
	}
	if ev.GetComment().GetID() <= 0 {
		return fmt.Errorf("comment.id is missing")
	}
	if ev.GetComment().GetInReplyTo() < 0 {
		return fmt.Errorf("comment.in_reply_to_id %d is negative", ev.GetComment().GetInReplyTo())
	}
	return nil
}

func (h *ReviewComment) observe(o Outcome) {
	if h.Observe != nil {
		h.Observe("pull_request_review_comment", o)
	}
}

// isBot reports whether a user is a bot or the app itself, whose comments
// are never commands.
func isBot(u *github.User, botLogin string) bool {
	return u.GetType() == "Bot" || strings.HasSuffix(u.GetLogin(), "[bot]") || strings.EqualFold(u.GetLogin(), botLogin)
}

// Dismissals records and forgets dismissed findings (store.Dismissals).
type Dismissals interface {
	Add(ctx context.Context, d store.Dismissal) error
	Remove(ctx context.Context, repo string, pr int, commentID int64, reason store.DismissReason) (bool, error)
}

// ReviewThread handles resolved and unresolved review threads. A thread
// the app started, resolved while its lines are unchanged, dismisses the
// finding: later reviews of the pull request do not post it again. One
// resolved after its lines changed (GitHub then shows the comment as
// outdated, with no line) was fixed, not dismissed. Unresolving the thread
// takes the dismissal back.
//
// Resolving a thread is recorded as it arrives, without a job: whether
// whoever resolved it may dismiss findings (write access) is checked when
// a review reads the dismissal, with the permission they have then.
type ReviewThread struct {
	Dismissals Dismissals
	// BotLogin is the app's own user: only threads it started carry its
	// findings.
	BotLogin string
	Observe  Observer
}

var _ githubapp.EventHandler = (*ReviewThread)(nil)

// Handles implements githubapp.EventHandler.
func (h *ReviewThread) Handles() []string { return []string{"pull_request_review_thread"} }

// Handle implements githubapp.EventHandler.
func (h *ReviewThread) Handle(ctx context.Context, _ string, delivery string, payload []byte) error {
	var ev github.PullRequestReviewThreadEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		h.observe(Malformed)
		return &MalformedError{Event: "pull_request_review_thread", Err: err}
	}
	action := ev.GetAction()
	if action != "resolved" && action != "unresolved" {
		h.observe(Ignored)
		return nil
	}
	// The repository and pull request key what is recorded: they must be
	// what GitHub would send.
	if err := fullName(ev.GetRepo().GetFullName()); err != nil {
		h.observe(Malformed)
		return &MalformedError{Event: "pull_request_review_thread", Err: err}
	}
	if ev.GetPullRequest().GetNumber() <= 0 {
		h.observe(Malformed)
		return &MalformedError{Event: "pull_request_review_thread", Err: fmt.Errorf("pull_request.number is missing")}
	}
	root := threadRoot(ev.GetThread())
	if root == nil || h.BotLogin == "" || !strings.EqualFold(root.GetUser().GetLogin(), h.BotLogin) {
		// Not a thread the app started.
		h.observe(Ignored)
		return nil
	}
	fingerprints := render.ParseFingerprints(root.GetBody())
	if len(fingerprints) == 0 {
		h.observe(Ignored)
		return nil
	}
	repo, pr := ev.GetRepo().GetFullName(), ev.GetPullRequest().GetNumber()
	log := zerolog.Ctx(ctx).With().Str("repo", repo).Int("pr", pr).Int64("comment", root.GetID()).Str("delivery", delivery).Logger()
	if action == "unresolved" {
		removed, err := h.Dismissals.Remove(ctx, repo, pr, root.GetID(), store.DismissResolved)
		if err != nil {
			h.observe(Failed)
			return fmt.Errorf("forget the dismissal of comment %d on %s#%d: %w", root.GetID(), repo, pr, err)
		}
		log.Info().Bool("was_dismissed", removed).Msg("finding's thread unresolved")
		h.observe(Recorded)
		return nil
	}
	if root.Line == nil {
		log.Info().Msg("finding's thread resolved after its lines changed: fixed, not dismissed")
		h.observe(Ignored)
		return nil
	}
	sender := ev.GetSender().GetLogin()
	if sender == "" {
		h.observe(Ignored)
		return nil
	}
	d := store.Dismissal{Repo: repo, PR: pr, CommentID: root.GetID(), Reason: store.DismissResolved, Actor: sender, Fingerprint: fingerprints[0]}
	if err := h.Dismissals.Add(ctx, d); err != nil {
		h.observe(Failed)
		return fmt.Errorf("record the dismissal of comment %d on %s#%d: %w", root.GetID(), repo, pr, err)
	}
	log.Info().Str("user", sender).Msg("finding dismissed: its thread was resolved")
	h.observe(Recorded)
	return nil
}

// threadRoot is the first comment of a thread: the one that replies to
// nothing (GitHub lists the thread oldest first).
func threadRoot(t *github.PullRequestThread) *github.PullRequestComment {
	if t == nil {
		return nil
	}
	for _, c := range t.Comments {
		if c != nil && c.GetInReplyTo() == 0 {
			return c
		}
	}
	return nil
}

func (h *ReviewThread) observe(o Outcome) {
	if h.Observe != nil {
		h.Observe("pull_request_review_thread", o)
	}
}
