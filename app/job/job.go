// Package job holds the one description of work the app queues: what
// triggered it, what to do, on which pull request, and with which
// settings. The webhook handlers and the REST API build a Job, the queue
// stores it as the River job's arguments, and the worker reads it as it
// is: there is no second shape to convert to and from.
package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/sandbox"
)

// Kind is the River job kind of every job. It is stored with every queued
// job, so it must never change.
const Kind = "codex_review"

// Source says where a job came from.
type Source string

// The sources of jobs.
const (
	// Automatic: a pull_request event (opened, reopened,
	// ready_for_review, synchronize); Job.Event names which.
	Automatic Source = "auto"
	// Comment: an "@codex …" comment in a pull request's conversation.
	Comment Source = "comment"
	// API: POST /v1/codex/reviews; Job.ReviewID names the API's record.
	API Source = "api"
	// CheckRun: the "Re-run" button of the codex-review check run (a
	// check_run rerequested event); a fresh review of the head, for a
	// requester with write access.
	CheckRun Source = "check_run"
	// Thread: an "@codex …" comment in a review thread (the first comment
	// of a thread or a reply); Job.CommentID is that review comment and
	// Job.ThreadID the thread's first comment.
	Thread Source = "thread"
)

// Action says what a job does.
type Action string

// The actions of jobs.
const (
	// Review reviews the pull request.
	Review Action = "review"
	// Help posts Job.Reply, the usage text.
	Help Action = "help"
	// Reply posts Job.Reply, an answer to a comment the parser could not
	// act on (a typo, an unknown verb).
	Reply Action = "reply"
	// Answer replies in a review thread to the question in
	// Job.Instructions, from the thread and the code around it.
	Answer Action = "answer"
	// Suggest answers like Answer with a committable suggestion for the
	// thread's lines when the fix is mechanical.
	Suggest Action = "suggest"
	// Remember stores Job.Text as a learning of the repository.
	Remember Action = "remember"
	// Learnings lists the repository's learnings.
	Learnings Action = "learnings"
	// Dismiss keeps the finding of the review thread Job.ThreadID from
	// being posted again on the pull request; Job.Text is the reason.
	Dismiss Action = "dismiss"
)

// Event is the action of the pull_request event behind an automatic job.
type Event string

// The pull_request actions that start automatic reviews.
const (
	Opened         Event = "opened"
	Reopened       Event = "reopened"
	ReadyForReview Event = "ready_for_review"
	// Synchronize is a push to the pull request's branch; its review is
	// incremental.
	Synchronize Event = "synchronize"
)

// Sandbox is how a REST API caller asked for the repository's tests to
// run; it overrides the repository's .codex.yml sandbox settings.
type Sandbox struct {
	// Tests turns the test run on for this review.
	Tests bool `json:"tests"`
	// Network is sandbox.NetworkNone or sandbox.NetworkRestricted; empty
	// keeps the repository's setting.
	Network sandbox.Network `json:"network,omitempty"`
	// Command replaces sandbox.command; empty keeps it.
	Command string `json:"command,omitempty"`
	// Timeout replaces sandbox.timeout; zero keeps it.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Job is one piece of queued work.
//
// The fields tagged `river:"unique"` are the job's identity: the queue
// refuses a second job with the same repository, pull request, head SHA
// and request key, so a redelivered webhook is handled once. Their JSON
// names and values are those of the jobs queued before this type existed,
// so that the identity of a job does not change across an upgrade.
type Job struct {
	// Repo is "owner/name".
	Repo         string `json:"repo" river:"unique"`
	Installation int64  `json:"installation"`
	PR           int    `json:"pr" river:"unique"`
	// HeadSHA is the head the trigger saw. A comment does not carry it:
	// its review takes the pull request's head when it runs.
	HeadSHA string `json:"head_sha" river:"unique"`
	BaseSHA string `json:"base_sha"`
	// RequestKey names the request: "comment:<id>" for a comment,
	// "api:<review id>" for the REST API, "rerun:<delivery>" for a check
	// run's Re-run, "auto" for automatic reviews (one per head).
	RequestKey string `json:"request_key" river:"unique"`

	Source Source `json:"source"`
	Action Action `json:"action"`
	// Event is the pull_request action of an automatic job.
	Event Event `json:"event,omitempty"`

	// Areas are the focus areas asked for; none means the repository's.
	Areas []finding.Area `json:"areas,omitempty"`
	// Instructions are the requester's own words, added to the prompt as
	// theirs (untrusted).
	Instructions string `json:"instructions,omitempty"`
	// Fresh asks for a new review even when the same request was already
	// answered for the same head ("@codex review again").
	Fresh bool `json:"fresh,omitempty"`
	// Post is false when nothing may be posted on the pull request, not
	// even a failure comment (a REST API review with post_review false).
	Post bool `json:"post"`
	// Sandbox is the REST API caller's sandbox_config; nil when none.
	Sandbox *Sandbox `json:"sandbox,omitempty"`
	// ReviewID is the REST API's record of the review, for API jobs.
	ReviewID string `json:"review_id,omitempty"`

	// CommentID is the triggering comment, for comment and thread jobs: an
	// issue comment for Comment, a review comment for Thread.
	CommentID int64 `json:"comment_id,omitempty"`
	// ThreadID is the first comment of the review thread of a Thread job
	// (CommentID itself when it starts the thread).
	ThreadID int64 `json:"thread_id,omitempty"`
	// CommentURL is the triggering comment's web address (a learning
	// links back to it).
	CommentURL string `json:"comment_url,omitempty"`
	// Text is the comment's words after the verb for Remember (the
	// learning) and Dismiss (the reason given).
	Text      string `json:"text,omitempty"`
	Requester string `json:"requester,omitempty"`
	// AuthorAssociation is the commenter's association from the payload,
	// which settles most permission checks without an API call.
	AuthorAssociation string `json:"author_association,omitempty"`
	// BeforeSHA is the previous head of a push.
	BeforeSHA string `json:"before_sha,omitempty"`
	// Reply is the text to post for Help and Reply.
	Reply string `json:"reply,omitempty"`
	// Delivery is the webhook delivery id, for logs.
	Delivery string `json:"delivery,omitempty"`

	// LegacyAPI is set when decoding a REST API job queued by a version
	// that kept post_review and sandbox_config only in the API's record of
	// the review, not in the job: Post and Sandbox are unknown until that
	// record fills them in (api.Tracker.Upgrade). It is never stored.
	LegacyAPI bool `json:"-"`

	// Waited is what was done for the job while it waited for another job
	// of its pull request to finish, nil when it has not waited. The queue
	// keeps it beside the job (in River's metadata), not in its arguments:
	// the arguments are the job's identity and never change.
	Waited *Waited `json:"-"`
}

// Waited is how a job was acknowledged while it waited its turn: the
// worker reacts and shows a queued check run as soon as it picks a job up,
// and the job, when it runs, takes these over instead of making them
// again.
type Waited struct {
	// Reacted is set once the 👀 is on the requesting comment.
	Reacted bool `json:"reacted,omitempty"`
	// CheckRunID is the check run made for the job on CheckHead while it
	// waited (queued), 0 for none.
	CheckRunID int64  `json:"check_run_id,omitempty"`
	CheckHead  string `json:"check_head,omitempty"`
}

// Kind implements river.JobArgs: every job is of the one kind.
func (Job) Kind() string { return Kind }

// argsVersion is written with every job. Jobs without it were queued by
// an earlier version, whose arguments named the trigger in one string.
const argsVersion = 2

// wire is the stored form: the job's fields, the version, and the trigger
// string of the earlier format. The trigger is still written so that a
// replica of the earlier version, during a rolling upgrade, runs a job
// queued by this one as it would have run its own.
type wire struct {
	V int `json:"v"`
	plain
	Trigger string `json:"trigger"`
}

// plain is Job without its JSON methods.
type plain Job

// MarshalJSON implements json.Marshaler.
func (j Job) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{V: argsVersion, plain: plain(j), Trigger: j.legacyTrigger()})
}

// legacyTrigger is the trigger a replica of the earlier version reads.
// It knows none of the actions added since: to it they are a reply with
// nothing to say, which it cannot post, so it does nothing rather than,
// say, review the pull request.
func (j Job) legacyTrigger() string {
	switch j.Action {
	case Review, Help, Reply:
		if j.Source != Thread {
			return j.Trigger()
		}
	}
	return "reply"
}

// UnmarshalJSON implements json.Unmarshaler. It reads the current format
// and the earlier one, deriving the source and action from its trigger.
func (j *Job) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*j = Job(w.plain)
	if w.V >= argsVersion {
		return nil
	}
	// The earlier format: every job posted, and the trigger said the rest.
	j.Post, j.Action = true, Review
	switch w.Trigger {
	case "comment":
		j.Source = Comment
	case "help":
		j.Source, j.Action = Comment, Help
	case "reply":
		j.Source, j.Action = Comment, Reply
	case "api":
		j.Source, j.LegacyAPI = API, true
	default:
		j.Source, j.Event = Automatic, Event(w.Trigger)
	}
	// Areas were free strings; the worker of that version skipped unknown
	// ones, and so does this.
	var areas []finding.Area
	for _, a := range j.Areas {
		if fa, err := finding.ParseArea(string(a)); err == nil {
			areas = append(areas, fa)
		}
	}
	j.Areas = areas
	return nil
}

// Trigger names what started the job in one word, for logs and metrics:
// the action of a comment ("comment" for a review), "api", or the
// pull_request action of an automatic job.
func (j Job) Trigger() string {
	switch j.Source {
	case Comment:
		if j.Action == Review {
			return "comment"
		}
		return string(j.Action)
	case API:
		return "api"
	case CheckRun:
		return "rerequested"
	case Automatic:
		return string(j.Event)
	case Thread:
		if j.Action == Review {
			return "thread"
		}
		return "thread_" + string(j.Action)
	}
	return string(j.Source)
}

// Exclusive reports whether the job holds its pull request while it runs,
// so that it waits for any other exclusive job of the pull request and
// runs only once that one is done (app/queue's lease). Only reviews are
// exclusive: two reviews of one pull request would read the same earlier
// reviews and dismissals and post over each other.
//
// The other actions run beside a review. They read no state a review
// writes and write none it reads before it is done: a learning (Remember)
// or a dismissal (Dismiss) stored while a review runs is not in that
// review either way, since it read them when it started, and so serialising
// them only made the requester wait minutes for a 👍; Learnings and Help
// only read and say; Answer and Suggest read the thread and the code and
// reply. Their one contact with a running review is GitHub's rule of one
// pending review per user: while the review looks for refused comments
// with pending reviews of the app, a reply of the app in a thread is
// refused, and the reply is retried (publish.ErrPendingReview).
func (j Job) Exclusive() bool { return j.Action == Review }

// Validate checks that the job names a pull request and its request.
func (j Job) Validate() error {
	owner, name, ok := strings.Cut(j.Repo, "/")
	switch {
	case !ok || owner == "" || name == "" || strings.Contains(name, "/"):
		return fmt.Errorf("repo %q is not owner/name", j.Repo)
	case j.PR <= 0:
		return fmt.Errorf("pull request number %d is not positive", j.PR)
	case j.Source == Thread && (j.CommentID == 0 || j.ThreadID == 0):
		return errors.New("a thread job names no comment or thread")
	case j.HeadSHA == "" && j.CommentID == 0:
		// A comment does not carry the head it was written on; its review
		// takes the pull request's head when it runs. Every other request
		// names its head.
		return errors.New("head SHA is empty")
	case j.RequestKey == "":
		return errors.New("request key is empty")
	}
	switch j.Source {
	case Automatic, Comment, API, CheckRun, Thread:
	default:
		return fmt.Errorf("unknown source %q", j.Source)
	}
	switch j.Action {
	case Review, Help, Reply:
	case Remember, Learnings:
		if j.Source != Comment && j.Source != Thread {
			return fmt.Errorf("action %q needs a comment", j.Action)
		}
	case Answer, Suggest, Dismiss:
		if j.Source != Thread {
			return fmt.Errorf("action %q needs a review thread", j.Action)
		}
	default:
		return fmt.Errorf("unknown action %q", j.Action)
	}
	return nil
}
