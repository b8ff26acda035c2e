// Package webhook turns GitHub deliveries into review requests. Handlers
// only parse, filter and enqueue: no GitHub or model call happens while
// GitHub waits for the answer, so a delivery is acknowledged in
// milliseconds and its work survives restarts in the queue.
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
)

// Triggers name why a request was made.
const (
	TriggerComment = "comment" // @codex review
	TriggerHelp    = "help"    // @codex help: answer with usage
	TriggerReply   = "reply"   // a mention the parser answers (typo, unknown verb)
	// Automatic triggers use the pull_request action as their name:
	// opened, reopened, ready_for_review, synchronize.
)

// Request is an accepted trigger, waiting for a worker.
type Request struct {
	Repo         string // owner/name
	Installation int64
	PR           int
	// HeadSHA is known for pull_request events; a comment does not carry
	// it, so the worker reads it from the pull request.
	HeadSHA string
	// BeforeSHA is the previous head of a synchronize event.
	BeforeSHA string
	Trigger   string
	// RequestKey makes the request unique with (Repo, PR, HeadSHA): a
	// redelivered webhook maps to the same key and is reviewed once.
	RequestKey        string
	CommentID         int64
	Requester         string
	AuthorAssociation string
	Areas             []string
	Instructions      string
	Reply             string
	Delivery          string
}

// Enqueuer records a request durably.
type Enqueuer interface {
	Enqueue(ctx context.Context, r Request) (duplicate bool, err error)
}

// Outcome is what a handler did with a delivery, for metrics.
type Outcome string

// Outcomes of a delivery.
const (
	Enqueued  Outcome = "enqueued"
	Duplicate Outcome = "duplicate"
	Ignored   Outcome = "ignored"
	Failed    Outcome = "error"
)

// Observer is told the outcome of every delivery a handler sees.
type Observer func(event string, outcome Outcome)

// IssueComment handles `@codex …` comments on pull requests.
type IssueComment struct {
	Parser command.Parser
	Queue  Enqueuer
	// BotLogin is the app's own user ("slug[bot]"); its comments are
	// never commands, whatever they say.
	BotLogin string
	Observe  Observer
}

var _ githubapp.EventHandler = (*IssueComment)(nil)

// Handles implements githubapp.EventHandler.
func (h *IssueComment) Handles() []string { return []string{"issue_comment"} }

// Handle implements githubapp.EventHandler.
func (h *IssueComment) Handle(ctx context.Context, _ string, delivery string, payload []byte) error {
	var ev github.IssueCommentEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		h.observe(Failed)
		return fmt.Errorf("decode issue_comment payload: %w", err)
	}
	log := zerolog.Ctx(ctx)
	// Edits and deletions never trigger: an edited comment would re-run a
	// review someone already asked for, or run one nobody asked for.
	if ev.GetAction() != "created" || !ev.GetIssue().IsPullRequest() {
		h.observe(Ignored)
		return nil
	}
	user := ev.GetComment().GetUser()
	if user.GetType() == "Bot" || strings.HasSuffix(user.GetLogin(), "[bot]") || strings.EqualFold(user.GetLogin(), h.BotLogin) {
		h.observe(Ignored)
		return nil
	}
	cmd := h.Parser.Parse(ev.GetComment().GetBody())
	r := Request{
		Repo:              ev.GetRepo().GetFullName(),
		Installation:      ev.GetInstallation().GetID(),
		PR:                ev.GetIssue().GetNumber(),
		CommentID:         ev.GetComment().GetID(),
		Requester:         user.GetLogin(),
		AuthorAssociation: ev.GetComment().GetAuthorAssociation(),
		Delivery:          delivery,
		RequestKey:        fmt.Sprintf("comment:%d", ev.GetComment().GetID()),
	}
	switch cmd.Kind {
	case command.Review:
		r.Trigger = TriggerComment
		for _, a := range cmd.Areas {
			r.Areas = append(r.Areas, string(a))
		}
		r.Instructions = cmd.Instructions
	case command.Help:
		r.Trigger, r.Reply = TriggerHelp, cmd.Reply
	case command.Reply:
		r.Trigger, r.Reply = TriggerReply, cmd.Reply
	default:
		h.observe(Ignored)
		return nil
	}
	if r.Installation == 0 {
		// A delivery without an installation cannot be answered: it was
		// not sent to an app installation (a repository webhook pointed
		// here by mistake).
		log.Warn().Str("repo", r.Repo).Int("pr", r.PR).Msg("comment delivery has no installation; is the webhook configured on the App?")
		h.observe(Ignored)
		return nil
	}
	return h.enqueue(ctx, r)
}

func (h *IssueComment) enqueue(ctx context.Context, r Request) error {
	dup, err := h.Queue.Enqueue(ctx, r)
	if err != nil {
		h.observe(Failed)
		return fmt.Errorf("enqueue %s request for %s#%d: %w", r.Trigger, r.Repo, r.PR, err)
	}
	zerolog.Ctx(ctx).Info().Str("repo", r.Repo).Int("pr", r.PR).Str("trigger", r.Trigger).Bool("duplicate", dup).Msg("review requested")
	if dup {
		h.observe(Duplicate)
	} else {
		h.observe(Enqueued)
	}
	return nil
}

func (h *IssueComment) observe(o Outcome) {
	if h.Observe != nil {
		h.Observe("issue_comment", o)
	}
}

// PullRequest handles automatic reviews of opened and updated pull
// requests. Whether a repository wants them is in its .codex.yml on the
// base branch, which takes an API call to read: the worker decides, so the
// handler enqueues every candidate.
type PullRequest struct {
	Queue   Enqueuer
	Observe Observer
}

var _ githubapp.EventHandler = (*PullRequest)(nil)

// Handles implements githubapp.EventHandler.
func (h *PullRequest) Handles() []string { return []string{"pull_request"} }

// Handle implements githubapp.EventHandler.
func (h *PullRequest) Handle(ctx context.Context, _ string, delivery string, payload []byte) error {
	var ev github.PullRequestEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		h.observe(Failed)
		return fmt.Errorf("decode pull_request payload: %w", err)
	}
	switch ev.GetAction() {
	case "opened", "reopened", "ready_for_review", "synchronize":
	default:
		h.observe(Ignored)
		return nil
	}
	pr := ev.GetPullRequest()
	// Bot authors are not filtered here: whether Dependabot's pull
	// requests get reviewed is the repository's choice (ignore_authors).
	if pr.GetState() != "open" {
		h.observe(Ignored)
		return nil
	}
	if ev.GetInstallation().GetID() == 0 {
		zerolog.Ctx(ctx).Warn().Str("repo", ev.GetRepo().GetFullName()).Msg("pull_request delivery has no installation; is the webhook configured on the App?")
		h.observe(Ignored)
		return nil
	}
	r := Request{
		Repo:         ev.GetRepo().GetFullName(),
		Installation: ev.GetInstallation().GetID(),
		PR:           ev.GetNumber(),
		HeadSHA:      pr.GetHead().GetSHA(),
		BeforeSHA:    ev.GetBefore(),
		Trigger:      ev.GetAction(),
		Requester:    pr.GetUser().GetLogin(),
		Delivery:     delivery,
		// One automatic review per head: opened and a redelivery of it,
		// or reopened at the same head, are the same request.
		RequestKey: "auto",
	}
	if r.PR == 0 {
		r.PR = pr.GetNumber()
	}
	dup, err := h.Queue.Enqueue(ctx, r)
	if err != nil {
		h.observe(Failed)
		return fmt.Errorf("enqueue automatic review of %s#%d: %w", r.Repo, r.PR, err)
	}
	zerolog.Ctx(ctx).Info().Str("repo", r.Repo).Int("pr", r.PR).Str("sha", r.HeadSHA).Str("trigger", r.Trigger).Bool("duplicate", dup).Msg("automatic review candidate")
	if dup {
		h.observe(Duplicate)
	} else {
		h.observe(Enqueued)
	}
	return nil
}

func (h *PullRequest) observe(o Outcome) {
	if h.Observe != nil {
		h.Observe("pull_request", o)
	}
}
