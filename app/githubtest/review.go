package githubtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Messages GitHub answers a bad review with. Like GitHub, they do not say which comment is bad.
const (
	errLineNotResolved = "Line could not be resolved"
	errPathNotResolved = "Path could not be resolved"
	errOnePending      = "User can only have one pending review per pull request"
)

// draftReview is the body of POST /repos/{o}/{r}/pulls/{n}/reviews. Pointers tell an absent
// field from a zero one.
type draftReview struct {
	CommitID *string        `json:"commit_id"`
	Body     *string        `json:"body"`
	Event    *string        `json:"event"`
	Comments []draftComment `json:"comments"`
}

type draftComment struct {
	Path      string `json:"path"`
	Position  *int   `json:"position"`
	Body      string `json:"body"`
	Line      *int   `json:"line"`
	Side      string `json:"side"`
	StartLine *int   `json:"start_line"`
	StartSide string `json:"start_side"`
}

// reviewStates maps the event of a create request to the state of the review it creates; an
// omitted event leaves the review pending.
var reviewStates = map[string]string{
	"":                "PENDING",
	"COMMENT":         "COMMENTED",
	"APPROVE":         "APPROVED",
	"REQUEST_CHANGES": "CHANGES_REQUESTED",
}

func (s *Server) handleCreateReview(c *call) {
	var req draftReview
	if !decodeBody(c, &req) {
		return
	}
	review, msg := s.validateReviewLocked(c, req)
	if msg != "" {
		writeError(c.w, http.StatusUnprocessableEntity, "Unprocessable Entity", docsCreateReview, msg)
		return
	}
	c.pr.reviews = append(c.pr.reviews, review)
	s.registerCommentsLocked(c.repo, c.pr, review)
	writeJSON(c.w, http.StatusOK, s.reviewJSON(c, review))
}

// validateReviewLocked checks a review as GitHub does and builds it, or returns GitHub's message.
func (s *Server) validateReviewLocked(c *call, req draftReview) (*Review, string) {
	event := deref(req.Event)
	state, ok := reviewStates[event]
	if !ok {
		return nil, fmt.Sprintf("Variable $event of type PullRequestReviewEvent was provided invalid value %q", event)
	}
	body := deref(req.Body)
	if charCount(body) > MaxBodyChars {
		return nil, fmt.Sprintf("Body is too long (maximum is %d characters)", MaxBodyChars)
	}
	switch {
	case event == "REQUEST_CHANGES" && strings.TrimSpace(body) == "":
		return nil, "Review body is required when requesting changes"
	case event == "COMMENT" && strings.TrimSpace(body) == "" && len(req.Comments) == 0:
		return nil, "Review body or comments are required when commenting"
	case (event == "APPROVE" || event == "REQUEST_CHANGES") && c.actor == c.pr.pr.User:
		return nil, "Can not approve or request changes on your own pull request"
	}
	if state == "PENDING" {
		for _, r := range c.pr.reviews {
			if r.State == "PENDING" && r.User == c.actor {
				return nil, errOnePending
			}
		}
	}
	commitID := c.pr.pr.HeadSHA
	if req.CommitID != nil {
		commitID = *req.CommitID
	}
	indexes, known := c.pr.heads[commitID]
	if !known {
		return nil, fmt.Sprintf("No commit found for SHA: %s", commitID)
	}
	if len(req.Comments) > s.maxComments {
		return nil, fmt.Sprintf("Too many comments (maximum is %d per review)", s.maxComments)
	}

	review := &Review{ID: s.newIDLocked(), User: c.actor, Body: body, State: state, CommitID: commitID}
	if state != "PENDING" {
		review.SubmittedAt = time.Now().UTC().Truncate(time.Second)
	}
	for _, dc := range req.Comments {
		rc, msg := resolveComment(indexes, dc)
		if msg != "" {
			return nil, msg
		}
		rc.ID = s.newIDLocked()
		rc.ReviewID = review.ID
		rc.CommitID = commitID
		rc.User = c.actor
		rc.OriginalCommitID, rc.OriginalLine, rc.OriginalStartLine = commitID, rc.Line, rc.StartLine
		review.Comments = append(review.Comments, rc)
	}
	return review, ""
}

// resolveComment places one draft comment on the diff, or returns why GitHub would refuse it.
func resolveComment(indexes map[string]*patchIndex, dc draftComment) (ReviewComment, string) {
	idx, ok := indexes[dc.Path]
	if !ok {
		return ReviewComment{}, errPathNotResolved
	}
	if strings.TrimSpace(dc.Body) == "" {
		return ReviewComment{}, "Body can't be blank"
	}
	if charCount(dc.Body) > MaxBodyChars {
		return ReviewComment{}, fmt.Sprintf("Body is too long (maximum is %d characters)", MaxBodyChars)
	}
	rc := ReviewComment{Path: dc.Path, Body: dc.Body}

	if dc.Position != nil {
		if dc.Line != nil || dc.StartLine != nil {
			return ReviewComment{}, "position cannot be combined with line or start_line"
		}
		key, ok := idx.positions[*dc.Position]
		if !ok {
			return ReviewComment{}, errLineNotResolved
		}
		rc.Position, rc.Line, rc.Side = *dc.Position, key.line, key.side
		rc.DiffHunk = idx.diffHunk(idx.lines[key])
		return rc, ""
	}
	if dc.Line == nil {
		return ReviewComment{}, errLineNotResolved
	}
	side := dc.Side
	if side == "" {
		side = sideRight
	}
	if side != sideRight && side != sideLeft {
		return ReviewComment{}, fmt.Sprintf("side %q is not LEFT or RIGHT", side)
	}
	end, ok := idx.lines[lineKey{side, *dc.Line}]
	if !ok {
		return ReviewComment{}, errLineNotResolved
	}
	rc.Line, rc.Side, rc.Position = *dc.Line, side, end.position
	rc.DiffHunk = idx.diffHunk(end)

	if dc.StartLine == nil {
		if dc.StartSide != "" {
			return ReviewComment{}, "start_side requires start_line"
		}
		return rc, ""
	}
	startSide := dc.StartSide
	if startSide == "" {
		startSide = side
	}
	if startSide != sideRight && startSide != sideLeft {
		return ReviewComment{}, fmt.Sprintf("start_side %q is not LEFT or RIGHT", startSide)
	}
	start, ok := idx.lines[lineKey{startSide, *dc.StartLine}]
	if !ok {
		return ReviewComment{}, errLineNotResolved
	}
	if start.hunk != end.hunk {
		return ReviewComment{}, "start_line must be part of the same hunk as the line"
	}
	if start.position >= end.position {
		return ReviewComment{}, "start_line must precede the end line"
	}
	rc.StartLine, rc.StartSide = *dc.StartLine, startSide
	return rc, ""
}

func (s *Server) handleListReviews(c *call) {
	all := make([]map[string]any, 0, len(c.pr.reviews))
	for _, r := range c.pr.reviews {
		// A pending review is visible only to its author.
		if r.State == "PENDING" && r.User != c.actor {
			continue
		}
		all = append(all, s.reviewJSON(c, r))
	}
	writeJSON(c.w, http.StatusOK, paginate(c.w, c.r, all))
}

func (s *Server) findReview(c *call) (int, bool) {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err == nil {
		for i, r := range c.pr.reviews {
			if r.ID == id && (r.State != "PENDING" || r.User == c.actor) {
				return i, true
			}
		}
	}
	writeError(c.w, http.StatusNotFound, "Not Found", docsRoot)
	return 0, false
}

func (s *Server) handleGetReview(c *call) {
	if i, ok := s.findReview(c); ok {
		writeJSON(c.w, http.StatusOK, s.reviewJSON(c, c.pr.reviews[i]))
	}
}

func (s *Server) handleDeleteReview(c *call) {
	i, ok := s.findReview(c)
	if !ok {
		return
	}
	r := c.pr.reviews[i]
	if r.State != "PENDING" {
		writeError(c.w, http.StatusUnprocessableEntity, "Unprocessable Entity",
			"https://docs.github.com/rest/pulls/reviews#delete-a-pending-review-for-a-pull-request",
			"Can not delete a non-pending pull request review")
		return
	}
	c.pr.reviews = append(c.pr.reviews[:i], c.pr.reviews[i+1:]...)
	s.forgetCommentsLocked(c.pr, r)
	writeJSON(c.w, http.StatusOK, s.reviewJSON(c, r))
}

func (s *Server) prURL(c *call) string {
	return fmt.Sprintf("%s/repos/%s/%s/pulls/%d", c.base, c.repo.owner, c.repo.name, c.pr.pr.Number)
}

func (s *Server) reviewJSON(c *call, r *Review) map[string]any {
	m := map[string]any{
		"id":               r.ID,
		"user":             s.userJSON(r.User),
		"body":             r.Body,
		"state":            r.State,
		"commit_id":        r.CommitID,
		"pull_request_url": s.prURL(c),
		"html_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d#pullrequestreview-%d",
			c.repo.owner, c.repo.name, c.pr.pr.Number, r.ID),
	}
	if !r.SubmittedAt.IsZero() {
		m["submitted_at"] = r.SubmittedAt.Format(time.RFC3339)
	}
	return m
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// charCount counts characters the way GitHub's body limits do.
func charCount(s string) int { return utf8.RuneCountInString(s) }
