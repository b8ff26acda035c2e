package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Documentation URLs of the review comment endpoints, as GitHub puts them in error bodies.
const (
	docsReviewComments   = "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request"
	docsReplies          = "https://docs.github.com/rest/pulls/comments#create-a-reply-for-a-review-comment"
	docsCommentReactions = "https://docs.github.com/rest/reactions/reactions#create-reaction-for-a-pull-request-review-comment"
)

// reviewCommentState is a review comment with what GitHub keeps around it.
type reviewCommentState struct {
	c         ReviewComment
	repo      *repoState
	pr        *prState
	reactions []Reaction
	createdAt time.Time
	// resolved is set on the first comment of a thread while the thread is resolved.
	resolved bool
}

// registerCommentsLocked records the comments of a review just created.
func (s *Server) registerCommentsLocked(rs *repoState, p *prState, r *Review) {
	now := time.Now().UTC().Truncate(time.Second)
	for _, rc := range r.Comments {
		s.reviewComments[rc.ID] = &reviewCommentState{c: rc, repo: rs, pr: p, createdAt: now}
		p.reviewComments = append(p.reviewComments, rc.ID)
	}
}

// forgetCommentsLocked drops the comments of a deleted (pending) review.
func (s *Server) forgetCommentsLocked(p *prState, r *Review) {
	for _, rc := range r.Comments {
		delete(s.reviewComments, rc.ID)
	}
	p.reviewComments = slices.DeleteFunc(p.reviewComments, func(id int64) bool { return s.reviewComments[id] == nil })
}

// reviewOfLocked returns the review a comment belongs to.
func reviewOfLocked(st *reviewCommentState) *Review {
	for _, r := range st.pr.reviews {
		if r.ID == st.c.ReviewID {
			return r
		}
	}
	return nil
}

// visibleLocked reports whether actor can see the comment: a pending review's comments are
// visible to its author only.
func visibleLocked(st *reviewCommentState, actor string) bool {
	r := reviewOfLocked(st)
	return r != nil && (r.State != "PENDING" || r.User == actor)
}

// moveCommentsLocked follows every comment of the pull request to a new head. A comment whose
// lines still hold the same text (on the same side, nearest its old place) moves there; one
// whose lines changed or vanished becomes outdated, as GitHub shows "outdated" comments, with
// null line and position. GitHub decides by the diff hunks around the comment; the text of the
// commented lines is the part of that rule the tests need.
func (s *Server) moveCommentsLocked(p *prState, head string) {
	for _, id := range p.reviewComments {
		st := s.reviewComments[id]
		if st.c.Outdated || st.c.CommitID == head {
			continue
		}
		old, now := p.heads[st.c.CommitID][st.c.Path], p.heads[head][st.c.Path]
		line, start, ok := followLines(old, now, st.c)
		if !ok {
			st.c.Outdated = true
			st.c.Line, st.c.StartLine, st.c.Position = 0, 0, 0
			continue
		}
		loc := now.lines[lineKey{st.c.Side, line}]
		st.c.Line, st.c.StartLine, st.c.Position = line, start, loc.position
		st.c.CommitID, st.c.DiffHunk = head, now.diffHunk(loc)
	}
}

// followLines finds where a comment's lines are in a later patch of its file.
func followLines(old, now *patchIndex, c ReviewComment) (line, start int, ok bool) {
	if old == nil || now == nil {
		return 0, 0, false
	}
	text, ok := old.text[lineKey{c.Side, c.Line}]
	if !ok {
		return 0, 0, false
	}
	best := -1
	for k, t := range now.text {
		if k.side != c.Side || t != text {
			continue
		}
		if best < 0 || absInt(k.line-c.Line) < absInt(best-c.Line) || absInt(k.line-c.Line) == absInt(best-c.Line) && k.line < best {
			best = k.line
		}
	}
	if best < 0 {
		return 0, 0, false
	}
	if c.StartLine == 0 {
		return best, 0, true
	}
	startSide := c.StartSide
	if startSide == "" {
		startSide = c.Side
	}
	shift := best - c.Line
	was, okOld := old.text[lineKey{startSide, c.StartLine}]
	is, okNew := now.text[lineKey{startSide, c.StartLine + shift}]
	if !okOld || !okNew || was != is || now.lines[lineKey{startSide, c.StartLine + shift}].hunk != now.lines[lineKey{c.Side, best}].hunk {
		return 0, 0, false
	}
	return best, c.StartLine + shift, true
}

func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// handleListPRComments lists the review comments of a pull request, replies included, oldest
// first, as GitHub's "List review comments on a pull request" does.
func (s *Server) handleListPRComments(c *call) {
	all := []map[string]any{}
	for _, id := range c.pr.reviewComments {
		if st := s.reviewComments[id]; visibleLocked(st, c.actor) {
			all = append(all, s.reviewCommentJSON(c.base, st))
		}
	}
	writeJSON(c.w, http.StatusOK, paginate(c.w, c.r, all))
}

func (s *Server) handleListReviewComments(c *call) {
	i, ok := s.findReview(c)
	if !ok {
		return
	}
	all := make([]map[string]any, 0, len(c.pr.reviews[i].Comments))
	for _, rc := range c.pr.reviews[i].Comments {
		all = append(all, s.reviewCommentJSON(c.base, s.reviewComments[rc.ID]))
	}
	writeJSON(c.w, http.StatusOK, paginate(c.w, c.r, all))
}

// reviewCommentLocked finds a comment of the call's repository that the caller can see, or
// answers 404.
func (s *Server) reviewCommentLocked(c *call, docs string) (*reviewCommentState, bool) {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	st := s.reviewComments[id]
	if err != nil || st == nil || st.repo != c.repo || !visibleLocked(st, c.actor) {
		writeError(c.w, http.StatusNotFound, "Not Found", docs)
		return nil, false
	}
	return st, true
}

// handlePullsComment serves GET /repos/{o}/{r}/pulls/comments/{id} and GET and POST
// /repos/{o}/{r}/pulls/comments/{id}/reactions.
func (s *Server) handlePullsComment(c *call) {
	id, sub, _ := strings.Cut(c.r.PathValue("rest"), "/")
	if c.r.PathValue("number") != "comments" || strings.Contains(sub, "/") {
		writeError(c.w, http.StatusNotFound, "Not Found", docsRoot)
		return
	}
	c.r.SetPathValue("id", id)
	switch {
	case sub == "" && c.r.Method == http.MethodGet:
		s.handleGetReviewComment(c)
	case sub == "reactions" && c.r.Method == http.MethodGet:
		s.handleListReviewCommentReactions(c)
	case sub == "reactions" && c.r.Method == http.MethodPost:
		s.handleCreateReviewCommentReaction(c)
	default:
		writeError(c.w, http.StatusNotFound, "Not Found", docsRoot)
	}
}

func (s *Server) handleGetReviewComment(c *call) {
	if st, ok := s.reviewCommentLocked(c, "https://docs.github.com/rest/pulls/comments#get-a-review-comment-for-a-pull-request"); ok {
		writeJSON(c.w, http.StatusOK, s.reviewCommentJSON(c.base, st))
	}
}

// handleCreatePRComment creates a review comment outside a review: a reply when the body has
// in_reply_to (every other field is then ignored, as GitHub documents), otherwise a new thread
// on commit_id, path and line.
func (s *Server) handleCreatePRComment(c *call) {
	var req struct {
		Body      *string `json:"body"`
		InReplyTo *int64  `json:"in_reply_to"`
		CommitID  *string `json:"commit_id"`
		draftComment
	}
	if !decodeBody(c, &req) {
		return
	}
	body := deref(req.Body)
	if req.InReplyTo != nil {
		s.replyLocked(c, *req.InReplyTo, body, docsReviewComments)
		return
	}
	if req.CommitID == nil {
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docsReviewComments, "commit_id is required")
		return
	}
	indexes, known := c.pr.heads[*req.CommitID]
	if !known {
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docsReviewComments, "commit_id is not part of the pull request")
		return
	}
	req.draftComment.Body = body
	rc, msg := resolveComment(indexes, req.draftComment)
	if msg != "" {
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docsReviewComments, msg)
		return
	}
	st := s.addCommentLocked(c.repo, c.pr, c.actor, rc, *req.CommitID)
	writeJSON(c.w, http.StatusCreated, s.reviewCommentJSON(c.base, st))
}

// handleCreateReply is POST /repos/{o}/{r}/pulls/{n}/comments/{id}/replies.
func (s *Server) handleCreateReply(c *call) {
	var req struct {
		Body *string `json:"body"`
	}
	if !decodeBody(c, &req) {
		return
	}
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(c.w, http.StatusNotFound, "Not Found", docsReplies)
		return
	}
	s.replyLocked(c, id, deref(req.Body), docsReplies)
}

// replyLocked adds a reply to the thread started by comment id. Like GitHub, it refuses a
// reply to a reply: the app must answer the thread's first comment.
func (s *Server) replyLocked(c *call, id int64, body, docs string) {
	root := s.reviewComments[id]
	switch {
	case root == nil || root.pr != c.pr || !visibleLocked(root, c.actor):
		writeError(c.w, http.StatusNotFound, "Not Found", docs)
		return
	case root.c.InReplyTo != 0:
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docs,
			"in_reply_to must be a top-level review comment: replies to replies are not supported")
		return
	case strings.TrimSpace(body) == "":
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docs, "Body can't be blank")
		return
	case pendingOfLocked(c.pr, c.actor):
		// GitHub refuses a reply, like a new review, while its author has
		// a pending review on the pull request.
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docs, "user_id can only have one pending review per pull request")
		return
	case charCount(body) > MaxBodyChars:
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docs,
			fmt.Sprintf("Body is too long (maximum is %d characters)", MaxBodyChars))
		return
	}
	rc := root.c
	rc.Body, rc.InReplyTo = body, root.c.ID
	st := s.addCommentLocked(c.repo, c.pr, c.actor, rc, root.c.CommitID)
	writeJSON(c.w, http.StatusCreated, s.reviewCommentJSON(c.base, st))
}

// pendingOfLocked reports whether user has a pending review on p.
func pendingOfLocked(p *prState, user string) bool {
	for _, r := range p.reviews {
		if r.State == "PENDING" && r.User == user {
			return true
		}
	}
	return false
}

// addCommentLocked records a comment made outside a review. GitHub wraps each such comment
// in a review of its own (state COMMENTED, empty body), which the reviews list shows.
func (s *Server) addCommentLocked(rs *repoState, p *prState, user string, rc ReviewComment, commitID string) *reviewCommentState {
	r := &Review{ID: s.newIDLocked(), User: user, State: "COMMENTED", CommitID: commitID, SubmittedAt: time.Now().UTC().Truncate(time.Second)}
	rc.ID, rc.ReviewID, rc.User = s.newIDLocked(), r.ID, user
	if rc.InReplyTo == 0 {
		rc.CommitID = commitID
		rc.OriginalCommitID, rc.OriginalLine, rc.OriginalStartLine = commitID, rc.Line, rc.StartLine
	}
	r.Comments = []ReviewComment{rc}
	p.reviews = append(p.reviews, r)
	s.registerCommentsLocked(rs, p, r)
	return s.reviewComments[rc.ID]
}

func (s *Server) handleCreateReviewCommentReaction(c *call) {
	st, ok := s.reviewCommentLocked(c, docsCommentReactions)
	if !ok {
		return
	}
	var req struct {
		Content string `json:"content"`
	}
	if !decodeBody(c, &req) {
		return
	}
	if !reactionContents[req.Content] {
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docsCommentReactions,
			fmt.Sprintf("content %q is not a valid reaction", req.Content))
		return
	}
	r, created := s.reactLocked(st, c.actor, req.Content)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(c.w, status, s.reactionJSON(r))
}

// reactLocked adds a reaction; a user's second identical reaction is the first one.
func (s *Server) reactLocked(st *reviewCommentState, user, content string) (Reaction, bool) {
	for _, r := range st.reactions {
		if r.User == user && r.Content == content {
			return r, false
		}
	}
	r := Reaction{ID: s.newIDLocked(), CommentID: st.c.ID, User: user, Content: content}
	st.reactions = append(st.reactions, r)
	return r, true
}

func (s *Server) handleListReviewCommentReactions(c *call) {
	st, ok := s.reviewCommentLocked(c, "https://docs.github.com/rest/reactions/reactions#list-reactions-for-a-pull-request-review-comment")
	if !ok {
		return
	}
	content := c.r.URL.Query().Get("content")
	if content != "" && !reactionContents[content] {
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docsRoot, fmt.Sprintf("content %q is not a valid reaction", content))
		return
	}
	all := []map[string]any{}
	for _, r := range st.reactions {
		if content == "" || r.Content == content {
			all = append(all, s.reactionJSON(r))
		}
	}
	writeJSON(c.w, http.StatusOK, paginate(c.w, c.r, all))
}

// reactionsSummary is the "reactions" object GitHub puts on comments.
func reactionsSummary(url string, rs []Reaction) map[string]any {
	m := map[string]any{"url": url, "total_count": len(rs)}
	for content := range reactionContents {
		m[content] = 0
	}
	for _, r := range rs {
		m[r.Content] = m[r.Content].(int) + 1
	}
	return m
}

// associationLocked is the author_association GitHub gives a user on a repository.
func associationLocked(rs *repoState, p *prState, login string) string {
	switch {
	case strings.EqualFold(login, rs.owner):
		return "OWNER"
	case strings.HasSuffix(login, "[bot]"):
		return "NONE"
	case rs.perms[login] != "" && rs.perms[login] != "none":
		return "COLLABORATOR"
	case p != nil && login == p.pr.User:
		return "CONTRIBUTOR"
	}
	return "NONE"
}

func (s *Server) reviewCommentJSON(base string, st *reviewCommentState) map[string]any {
	rc, rs := st.c, st.repo
	repoURL := base + "/repos/" + rs.owner + "/" + rs.name
	url := fmt.Sprintf("%s/pulls/comments/%d", repoURL, rc.ID)
	nullable := func(n int) any {
		if n == 0 {
			return nil
		}
		return n
	}
	m := map[string]any{
		"id":                     rc.ID,
		"node_id":                fmt.Sprintf("PRRC_fake%d", rc.ID),
		"url":                    url,
		"pull_request_review_id": rc.ReviewID,
		"path":                   rc.Path,
		"body":                   rc.Body,
		"user":                   s.userJSON(rc.User),
		"author_association":     associationLocked(rs, st.pr, rc.User),
		"commit_id":              rc.CommitID,
		"original_commit_id":     rc.OriginalCommitID,
		"diff_hunk":              rc.DiffHunk,
		"position":               nullable(rc.Position),
		"original_position":      rc.Position,
		"line":                   nullable(rc.Line),
		"original_line":          rc.OriginalLine,
		"side":                   rc.Side,
		"start_line":             nullable(rc.StartLine),
		"original_start_line":    nullable(rc.OriginalStartLine),
		"start_side":             nil,
		"subject_type":           "line",
		"created_at":             st.createdAt.Format(time.RFC3339),
		"updated_at":             st.createdAt.Format(time.RFC3339),
		"pull_request_url":       fmt.Sprintf("%s/pulls/%d", repoURL, st.pr.pr.Number),
		"html_url":               fmt.Sprintf("https://github.com/%s/%s/pull/%d#discussion_r%d", rs.owner, rs.name, st.pr.pr.Number, rc.ID),
		"reactions":              reactionsSummary(url+"/reactions", st.reactions),
	}
	if rc.StartLine != 0 || rc.OriginalStartLine != 0 {
		m["start_side"] = rc.StartSide
	}
	if rc.InReplyTo != 0 {
		m["in_reply_to_id"] = rc.InReplyTo
	}
	return m
}

// AddReviewComment adds a comment by c.User (required) to a pull request, as if written on
// GitHub: a reply when c.InReplyTo is set (it must be the first comment of a thread), otherwise
// a new thread on c.Path at c.Line (c.Side RIGHT unless set, c.StartLine for a range), validated
// on the current head like the app's comments. The stored comment is returned.
func (s *Server) AddReviewComment(owner, name string, number int, c ReviewComment) ReviewComment {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.mustPRLocked(owner, name, number)
	if p == nil {
		return c
	}
	rs := s.repos[repoKey(owner, name)]
	if c.User == "" || strings.TrimSpace(c.Body) == "" {
		s.t.Errorf("githubtest: AddReviewComment needs a user and a body")
		return c
	}
	if c.InReplyTo != 0 {
		root := s.reviewComments[c.InReplyTo]
		if root == nil || root.pr != p || root.c.InReplyTo != 0 {
			s.t.Errorf("githubtest: AddReviewComment: %d is not the first comment of a thread on %s/%s#%d", c.InReplyTo, owner, name, number)
			return c
		}
		rc := root.c
		rc.Body, rc.InReplyTo = c.Body, root.c.ID
		return s.addCommentLocked(rs, p, c.User, rc, root.c.CommitID).c
	}
	line := c.Line
	dc := draftComment{Path: c.Path, Body: c.Body, Line: &line, Side: c.Side, StartSide: c.StartSide}
	if c.StartLine != 0 {
		dc.StartLine = &c.StartLine
	}
	rc, msg := resolveComment(p.heads[p.pr.HeadSHA], dc)
	if msg != "" {
		s.t.Errorf("githubtest: AddReviewComment on %s:%d: %s", c.Path, c.Line, msg)
		return c
	}
	return s.addCommentLocked(rs, p, c.User, rc, p.pr.HeadSHA).c
}

// ReviewComments returns the submitted review comments of a pull request, replies included,
// in creation order.
func (s *Server) ReviewComments(owner, name string, number int) []ReviewComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.prLocked(owner, name, number)
	if p == nil {
		return nil
	}
	var out []ReviewComment
	for _, id := range p.reviewComments {
		st := s.reviewComments[id]
		if r := reviewOfLocked(st); r != nil && r.State != "PENDING" {
			out = append(out, st.c)
		}
	}
	return out
}

// ReactToReviewComment adds user's reaction to a review comment, as if clicked on GitHub.
func (s *Server) ReactToReviewComment(owner, name string, commentID int64, user, content string) Reaction {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.reviewComments[commentID]
	if st == nil || st.repo != s.repos[repoKey(owner, name)] || !reactionContents[content] {
		s.t.Errorf("githubtest: ReactToReviewComment: no comment %d on %s/%s, or bad content %q", commentID, owner, name, content)
		return Reaction{}
	}
	r, _ := s.reactLocked(st, user, content)
	return r
}

// ReviewCommentReactions returns the reactions on a review comment, in creation order.
func (s *Server) ReviewCommentReactions(owner, name string, commentID int64) []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.reviewComments[commentID]
	if st == nil || st.repo != s.repos[repoKey(owner, name)] {
		return nil
	}
	return slices.Clone(st.reactions)
}

// eventBaseLocked is the call context webhook payloads are rendered with: the API's own URLs.
func (s *Server) eventBaseLocked(rs *repoState, p *prState) *call {
	return &call{base: s.srv.URL, actor: s.app.slug + "[bot]", repo: rs, pr: p}
}

// ReviewCommentEvent returns the body of the pull_request_review_comment webhook GitHub sends
// for a comment (action "created", "edited" or "deleted"), with the installation of its
// repository. The test signs and delivers it.
func (s *Server) ReviewCommentEvent(owner, name string, commentID int64, action string) []byte {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.reviewComments[commentID]
	if st == nil || st.repo != s.repos[repoKey(owner, name)] {
		s.t.Errorf("githubtest: ReviewCommentEvent: no comment %d on %s/%s", commentID, owner, name)
		return nil
	}
	c := s.eventBaseLocked(st.repo, st.pr)
	return s.eventLocked(map[string]any{
		"action":       action,
		"comment":      s.reviewCommentJSON(c.base, st),
		"pull_request": s.prJSON(c),
		"repository":   s.repoJSON(c.base, st.repo),
		"sender":       s.userJSON(st.c.User),
		"installation": map[string]any{"id": st.repo.opts.InstallationID},
	})
}

// ResolveThread resolves (resolved true) or unresolves the thread started by comment rootID,
// as sender, and returns the body of the pull_request_review_thread webhook GitHub sends for
// it: the thread's node id and every comment of the thread as the REST API shows them.
func (s *Server) ResolveThread(owner, name string, rootID int64, sender string, resolved bool) []byte {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	root := s.reviewComments[rootID]
	if root == nil || root.repo != s.repos[repoKey(owner, name)] || root.c.InReplyTo != 0 {
		s.t.Errorf("githubtest: ResolveThread: %d is not the first comment of a thread on %s/%s", rootID, owner, name)
		return nil
	}
	root.resolved = resolved
	c := s.eventBaseLocked(root.repo, root.pr)
	comments := []map[string]any{}
	for _, id := range root.pr.reviewComments {
		if st := s.reviewComments[id]; id == rootID || st.c.InReplyTo == rootID {
			comments = append(comments, s.reviewCommentJSON(c.base, st))
		}
	}
	action := "unresolved"
	if resolved {
		action = "resolved"
	}
	return s.eventLocked(map[string]any{
		"action":       action,
		"thread":       map[string]any{"node_id": fmt.Sprintf("PRRT_fake%d", rootID), "comments": comments},
		"pull_request": s.prJSON(c),
		"repository":   s.repoJSON(c.base, root.repo),
		"sender":       s.userJSON(sender),
		"installation": map[string]any{"id": root.repo.opts.InstallationID},
	})
}

// ThreadResolved reports whether the thread started by rootID is resolved.
func (s *Server) ThreadResolved(rootID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.reviewComments[rootID]
	return st != nil && st.resolved
}

func (s *Server) eventLocked(v map[string]any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		s.t.Errorf("githubtest: encode webhook payload: %v", err)
	}
	return b
}
