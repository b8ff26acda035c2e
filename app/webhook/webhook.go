// Package webhook turns GitHub deliveries into jobs (app/job). Handlers
// only parse, filter and enqueue: no GitHub or model call happens while
// GitHub waits for the answer, so a delivery is acknowledged in
// milliseconds and its work survives restarts in the queue.
package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/command"
	"github.com/codex-review/codex-review/app/ghname"
	"github.com/codex-review/codex-review/app/job"
)

// Enqueuer records a job durably.
type Enqueuer interface {
	Enqueue(ctx context.Context, j job.Job) (duplicate bool, err error)
}

// Outcome is what a handler did with a delivery, for metrics.
type Outcome string

// Outcomes of a delivery.
const (
	Enqueued  Outcome = "enqueued"
	Duplicate Outcome = "duplicate"
	Ignored   Outcome = "ignored"
	Malformed Outcome = "malformed"
	Failed    Outcome = "error"
)

// Observer is told the outcome of every delivery a handler sees.
type Observer func(event string, outcome Outcome)

// MalformedError is a delivery that was signed by GitHub's secret but
// cannot be used: JSON that does not decode into the event, or an event
// without what the app needs from it (repository, number, head commit).
// Redelivering it would not help, so the server answers 400, not 500.
type MalformedError struct {
	Event string
	Err   error
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("malformed %s payload: %v", e.Event, e.Err)
}

func (e *MalformedError) Unwrap() error { return e.Err }

// fullName checks a repository's "owner/name" the way GitHub spells them.
func fullName(s string) error {
	if !ghname.FullName(s) {
		return fmt.Errorf("repository.full_name %q is not owner/name", s)
	}
	return nil
}

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
	ev, err := decodeComment(payload)
	if err != nil {
		h.observe(Malformed)
		return &MalformedError{Event: "issue_comment", Err: err}
	}
	log := zerolog.Ctx(ctx)
	// Edits and deletions never trigger: an edited comment would re-run a
	// review someone already asked for, or run one nobody asked for.
	if ev.Action != "created" || !ev.Issue.PullRequest {
		h.observe(Ignored)
		return nil
	}
	user := ev.Comment.User
	if user.Type == "Bot" || strings.HasSuffix(user.Login, "[bot]") || strings.EqualFold(user.Login, h.BotLogin) {
		h.observe(Ignored)
		return nil
	}
	if err := validComment(&ev); err != nil {
		h.observe(Malformed)
		return &MalformedError{Event: "issue_comment", Err: err}
	}
	cmd := h.Parser.Parse(ev.Comment.Body)
	r := job.Job{
		Repo:              ev.Repo.FullName,
		Installation:      ev.Installation.ID,
		PR:                ev.Issue.Number,
		Source:            job.Comment,
		Post:              true,
		CommentID:         ev.Comment.ID,
		CommentURL:        ev.Comment.HTMLURL,
		Requester:         user.Login,
		AuthorAssociation: ev.Comment.AuthorAssociation,
		Delivery:          delivery,
		RequestKey:        fmt.Sprintf("comment:%d", ev.Comment.ID),
	}
	switch cmd.Kind {
	case command.Review:
		r.Action, r.Areas, r.Instructions, r.Fresh = job.Review, cmd.Areas, cmd.Instructions, cmd.Fresh
	case command.Help:
		r.Action, r.Reply = job.Help, cmd.Reply
	case command.Reply:
		r.Action, r.Reply = job.Reply, cmd.Reply
	case command.Remember:
		r.Action, r.Text = job.Remember, cmd.Text
	case command.Learnings:
		r.Action = job.Learnings
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

// validComment checks what a comment on a pull request must carry for the
// app to answer it.
func validComment(ev *commentPayload) error {
	if err := fullName(ev.Repo.FullName); err != nil {
		return err
	}
	if ev.Issue.Number <= 0 {
		return fmt.Errorf("issue.number is missing")
	}
	if ev.Comment.ID <= 0 {
		return fmt.Errorf("comment.id is missing")
	}
	return nil
}

func (h *IssueComment) enqueue(ctx context.Context, r job.Job) error {
	dup, err := h.Queue.Enqueue(ctx, r)
	if err != nil {
		h.observe(Failed)
		return fmt.Errorf("enqueue %s request for %s#%d: %w", r.Trigger(), r.Repo, r.PR, err)
	}
	zerolog.Ctx(ctx).Info().Str("repo", r.Repo).Int("pr", r.PR).Str("trigger", r.Trigger()).Bool("duplicate", dup).Msg("review requested")
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
	ev, err := decodePullRequest(payload)
	if err != nil {
		h.observe(Malformed)
		return &MalformedError{Event: "pull_request", Err: err}
	}
	switch ev.Action {
	case "opened", "reopened", "ready_for_review", "synchronize":
	default:
		h.observe(Ignored)
		return nil
	}
	pr := ev.PullRequest
	// Bot authors are not filtered here: whether Dependabot's pull
	// requests get reviewed is the repository's choice (ignore_authors).
	if pr.State != "open" {
		h.observe(Ignored)
		return nil
	}
	if ev.Installation.ID == 0 {
		zerolog.Ctx(ctx).Warn().Str("repo", ev.Repo.FullName).Msg("pull_request delivery has no installation; is the webhook configured on the App?")
		h.observe(Ignored)
		return nil
	}
	if err := validPullRequest(&ev); err != nil {
		h.observe(Malformed)
		return &MalformedError{Event: "pull_request", Err: err}
	}
	r := job.Job{
		Repo:         ev.Repo.FullName,
		Installation: ev.Installation.ID,
		PR:           ev.Number,
		HeadSHA:      pr.Head.SHA,
		BeforeSHA:    ev.Before,
		Source:       job.Automatic,
		Action:       job.Review,
		Event:        job.Event(ev.Action),
		Post:         true,
		Requester:    pr.User.Login,
		Delivery:     delivery,
		// One automatic review per head: opened and a redelivery of it,
		// or reopened at the same head, are the same request.
		RequestKey: "auto",
	}
	if r.PR == 0 {
		r.PR = pr.Number
	}
	dup, err := h.Queue.Enqueue(ctx, r)
	if err != nil {
		h.observe(Failed)
		return fmt.Errorf("enqueue automatic review of %s#%d: %w", r.Repo, r.PR, err)
	}
	zerolog.Ctx(ctx).Info().Str("repo", r.Repo).Int("pr", r.PR).Str("sha", r.HeadSHA).Str("trigger", r.Trigger()).Bool("duplicate", dup).Msg("automatic review candidate")
	if dup {
		h.observe(Duplicate)
	} else {
		h.observe(Enqueued)
	}
	return nil
}

// validPullRequest checks what a pull request event must carry for an
// automatic review: the repository, the number and the head commit.
func validPullRequest(ev *pullRequestPayload) error {
	if err := fullName(ev.Repo.FullName); err != nil {
		return err
	}
	if ev.Number <= 0 && ev.PullRequest.Number <= 0 {
		return fmt.Errorf("number is missing")
	}
	if ev.Number < 0 {
		// Handle takes pull_request.number only when number is absent.
		return fmt.Errorf("number %d is negative", ev.Number)
	}
	if !ghname.SHA(ev.PullRequest.Head.SHA) {
		return fmt.Errorf("pull_request.head.sha %q is not a commit id", ev.PullRequest.Head.SHA)
	}
	return nil
}

func (h *PullRequest) observe(o Outcome) {
	if h.Observe != nil {
		h.Observe("pull_request", o)
	}
}

// CheckRun handles the "Re-run" button of the app's check run (check_run
// rerequested): a fresh review of the pull request, as "@codex review
// again" asks for. The worker checks that the person who pressed it may
// write to the repository.
type CheckRun struct {
	Queue Enqueuer
	// AppID is the app's id: only its own check runs are re-run.
	AppID int64
	// Name is the app's check run name (publish.CheckName).
	Name    string
	Observe Observer
}

var _ githubapp.EventHandler = (*CheckRun)(nil)

// Handles implements githubapp.EventHandler.
func (h *CheckRun) Handles() []string { return []string{"check_run"} }

// Handle implements githubapp.EventHandler.
func (h *CheckRun) Handle(ctx context.Context, _ string, delivery string, payload []byte) error {
	var ev checkRunEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		h.observe(Malformed)
		return &MalformedError{Event: "check_run", Err: err}
	}
	cr := ev.CheckRun
	log := zerolog.Ctx(ctx)
	// GitHub sends every app the check_run events of the repositories it
	// is installed on; only a re-run of this app's own check is a request.
	if ev.Action != "rerequested" || cr.App.ID != h.AppID || cr.Name != h.Name {
		h.observe(Ignored)
		return nil
	}
	if ev.Sender.Type == "Bot" || strings.HasSuffix(ev.Sender.Login, "[bot]") {
		h.observe(Ignored)
		return nil
	}
	if ev.Installation.ID == 0 {
		log.Warn().Str("repo", ev.Repository.FullName).Msg("check_run delivery has no installation; is the webhook configured on the App?")
		h.observe(Ignored)
		return nil
	}
	// The run lists the open pull requests of its head in this
	// repository; a head that belongs to none (a fork's pull request, or
	// one since closed) has no review to run.
	var number int
	for _, pr := range cr.PullRequests {
		if pr.Base.Repo.ID == ev.Repository.ID {
			number = pr.Number
			break
		}
	}
	if number == 0 {
		log.Info().Str("repo", ev.Repository.FullName).Str("sha", cr.HeadSHA).Msg("re-run of a check run without a pull request; nothing to review")
		h.observe(Ignored)
		return nil
	}
	if err := fullName(ev.Repository.FullName); err != nil || !ghname.SHA(cr.HeadSHA) {
		if err == nil {
			err = fmt.Errorf("check_run.head_sha %q is not a commit id", cr.HeadSHA)
		}
		h.observe(Malformed)
		return &MalformedError{Event: "check_run", Err: err}
	}
	r := job.Job{
		Repo:         ev.Repository.FullName,
		Installation: ev.Installation.ID,
		PR:           number,
		HeadSHA:      cr.HeadSHA,
		Source:       job.CheckRun,
		Action:       job.Review,
		Fresh:        true,
		Post:         true,
		Requester:    ev.Sender.Login,
		Delivery:     delivery,
		// Each press of the button is a request of its own; a redelivery
		// of the same press is the same request.
		RequestKey: "rerun:" + delivery,
	}
	dup, err := h.Queue.Enqueue(ctx, r)
	if err != nil {
		h.observe(Failed)
		return fmt.Errorf("enqueue the re-run of %s#%d: %w", r.Repo, r.PR, err)
	}
	log.Info().Str("repo", r.Repo).Int("pr", r.PR).Str("sha", r.HeadSHA).Str("trigger", r.Trigger()).Bool("duplicate", dup).Msg("review requested")
	if dup {
		h.observe(Duplicate)
	} else {
		h.observe(Enqueued)
	}
	return nil
}

// checkRunEvent is the part of a check_run delivery CheckRun reads. Only
// these fields are decoded: the rest of the payload varies (the app
// object's timestamps are not always RFC 3339) and is not needed.
type checkRunEvent struct {
	Action   string `json:"action"`
	CheckRun struct {
		Name    string `json:"name"`
		HeadSHA string `json:"head_sha"`
		App     struct {
			ID int64 `json:"id"`
		} `json:"app"`
		PullRequests []struct {
			Number int `json:"number"`
			Base   struct {
				Repo struct {
					ID int64 `json:"id"`
				} `json:"repo"`
			} `json:"base"`
		} `json:"pull_requests"`
	} `json:"check_run"`
	Repository struct {
		ID       int64  `json:"id"`
		FullName string `json:"full_name"`
	} `json:"repository"`
	Sender struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	} `json:"sender"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
}

func (h *CheckRun) observe(o Outcome) {
	if h.Observe != nil {
		h.Observe("check_run", o)
	}
}
