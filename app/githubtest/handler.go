package githubtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// enterprisePrefix is where GitHub Enterprise Server serves the REST API.
const enterprisePrefix = "/api/v3"

// maxRequestBody bounds what the fake reads from one request; GitHub's own limits are lower.
const maxRequestBody = 32 << 20

// Documentation URLs GitHub puts in error bodies; go-github recognises the secondary rate limit by
// the suffix of its URL.
const (
	docsRoot                = "https://docs.github.com/rest"
	docsCreateReview        = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
	docsSecondaryRateLimits = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	docsPrimaryRateLimits   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
)

// statusWriter remembers the status code and the size of the body for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Problems reading the request body", docsRoot)
		return
	}
	apiPath := r.URL.Path
	if rest, ok := strings.CutPrefix(apiPath, enterprisePrefix); ok && (rest == "" || rest[0] == '/') {
		apiPath = rest
		if apiPath == "" {
			apiPath = "/"
		}
	}
	sw := &statusWriter{ResponseWriter: w}
	defer func() { s.record(r, apiPath, raw, sw.status, sw.bytes) }()

	s.writeRateHeaders(sw)
	if s.injectFault(sw, r.Method, apiPath) {
		return
	}

	inner := r.Clone(r.Context())
	inner.Body = io.NopCloser(bytes.NewReader(raw))
	inner.URL.Path = apiPath
	inner.URL.RawPath = ""
	if rp := r.URL.RawPath; rp != "" {
		inner.URL.RawPath = strings.TrimPrefix(rp, strings.TrimSuffix(r.URL.Path, apiPath))
	}
	s.mux.ServeHTTP(sw, inner)
}

func (s *Server) record(r *http.Request, apiPath string, raw []byte, status int, respBytes int64) {
	var body any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			body = nil
		}
	}
	req := Request{
		Method:        r.Method,
		Path:          apiPath,
		Query:         r.URL.Query(),
		Header:        r.Header.Clone(),
		Body:          body,
		RawBody:       raw,
		Status:        status,
		ResponseBytes: respBytes,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
}

func (s *Server) writeRateHeaders(w http.ResponseWriter) {
	s.mu.Lock()
	if s.rateUsed < RateLimit {
		s.rateUsed++
	}
	used, reset := s.rateUsed, s.rateReset
	s.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(RateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(RateLimit-used))
	h.Set("X-RateLimit-Used", strconv.Itoa(used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
}

func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /app", s.handleGetApp)
	m.HandleFunc("GET /app/installations/{id}", s.handleGetInstallation)
	m.HandleFunc("POST /app/installations/{id}/access_tokens", s.handleAccessToken)
	m.HandleFunc("GET /repos/{owner}/{repo}/installation", s.handleRepoInstallation)

	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}", s.withPR(s.handleGetPR))
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/files", s.withPR(s.handleListFiles))
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/comments", s.withPR(s.handleListPRComments))
	m.HandleFunc("POST /repos/{owner}/{repo}/pulls/{number}/comments", s.withPR(s.handleCreatePRComment))
	m.HandleFunc("POST /repos/{owner}/{repo}/pulls/{number}/comments/{id}/replies", s.withPR(s.handleCreateReply))
	// /pulls/comments/{id}[/reactions] overlaps /pulls/{number}/files and the like, which
	// ServeMux refuses to register side by side; these catch-alls dispatch it.
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/{rest...}", s.withRepo(s.handlePullsComment))
	m.HandleFunc("POST /repos/{owner}/{repo}/pulls/{number}/{rest...}", s.withRepo(s.handlePullsComment))
	m.HandleFunc("POST /repos/{owner}/{repo}/pulls/{number}/reviews", s.withPR(s.handleCreateReview))
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/reviews", s.withPR(s.handleListReviews))
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/reviews/{id}", s.withPR(s.handleGetReview))
	m.HandleFunc("DELETE /repos/{owner}/{repo}/pulls/{number}/reviews/{id}", s.withPR(s.handleDeleteReview))
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/reviews/{id}/comments", s.withPR(s.handleListReviewComments))

	m.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", s.withPR(s.handleListIssueComments))
	m.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", s.withPR(s.handleCreateIssueComment))
	m.HandleFunc("POST /repos/{owner}/{repo}/issues/comments/{id}/reactions", s.withRepo(s.handleCreateReaction))

	m.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", s.withRepo(s.handleGetContents))
	m.HandleFunc("GET /repos/{owner}/{repo}/compare/{basehead...}", s.withRepo(s.handleCompare))
	m.HandleFunc("GET /repos/{owner}/{repo}/git/blobs/{sha}", s.withRepo(s.handleGetBlob))
	m.HandleFunc("GET /repos/{owner}/{repo}/collaborators/{user}/permission", s.withRepo(s.handlePermission))
	m.HandleFunc("GET /repos/{owner}/{repo}/tarball/{ref}", s.withRepo(s.handleTarball))
	m.HandleFunc("GET /codeload/{owner}/{repo}/legacy.tar.gz/{ref}", s.handleCodeload)

	m.HandleFunc("POST /repos/{owner}/{repo}/check-runs", s.withRepo(s.handleCreateCheckRun))
	m.HandleFunc("PATCH /repos/{owner}/{repo}/check-runs/{id}", s.withRepo(s.handleUpdateCheckRun))
	m.HandleFunc("GET /repos/{owner}/{repo}/check-runs/{id}", s.withRepo(s.handleGetCheckRun))
	m.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", s.withRepo(s.handleListCheckRuns))
	m.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found", docsRoot)
	})
	return m
}

// call is what a repository handler gets: the authenticated actor and the repository (and pull
// request). Handlers run with s.mu held.
type call struct {
	w     http.ResponseWriter
	r     *http.Request
	base  string // API base URL as the client used it, for the URLs in answers
	actor string
	repo  *repoState
	pr    *prState
}

func (s *Server) withRepo(h func(*call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, ok := s.authorizeLocked(w, r)
		if !ok {
			return
		}
		h(c)
	}
}

func (s *Server) withPR(h func(*call)) http.HandlerFunc {
	return s.withRepo(func(c *call) {
		n, err := strconv.Atoi(c.r.PathValue("number"))
		if err != nil || c.repo.prs[n] == nil {
			writeError(c.w, http.StatusNotFound, "Not Found", docsRoot)
			return
		}
		c.pr = c.repo.prs[n]
		h(c)
	})
}

// authorizeLocked checks the installation token and that the repository belongs to the token's
// installation. Like GitHub, a repository the token cannot see is "Not Found".
func (s *Server) authorizeLocked(w http.ResponseWriter, r *http.Request) (*call, bool) {
	tok := bearer(r)
	if tok == "" {
		writeError(w, http.StatusUnauthorized, "Requires authentication", docsRoot)
		return nil, false
	}
	info, ok := s.tokens[tok]
	if !ok || time.Now().After(info.expiresAt) {
		writeError(w, http.StatusUnauthorized, "Bad credentials", docsRoot)
		return nil, false
	}
	rs := s.repos[repoKey(r.PathValue("owner"), r.PathValue("repo"))]
	if rs == nil || rs.opts.InstallationID != info.installationID {
		writeError(w, http.StatusNotFound, "Not Found", docsRoot)
		return nil, false
	}
	return &call{w: w, r: r, base: apiBase(r), actor: s.app.slug + "[bot]", repo: rs}, true
}

// bearer returns the credential of an "Authorization: token X" or "Bearer X" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, scheme := range []string{"token ", "Bearer ", "bearer "} {
		if v, ok := strings.CutPrefix(h, scheme); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// apiBase is the API root as the client addressed it, without a trailing slash.
func apiBase(r *http.Request) string {
	base := "http://" + r.Host
	if strings.HasPrefix(r.RequestURI, enterprisePrefix+"/") {
		base += enterprisePrefix
	}
	return base
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	// The response is built by the fake itself from plain values, so encoding cannot fail; a
	// failed write means the client went away and there is no one left to tell.
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with GitHub's error shape. errs are plain strings, as GitHub sends them for
// review validation.
func writeError(w http.ResponseWriter, status int, message, docs string, errs ...string) {
	body := map[string]any{
		"message":           message,
		"documentation_url": docs,
		"status":            strconv.Itoa(status),
	}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	writeJSON(w, status, body)
}

// paginate returns the page of items the request asks for and sets GitHub's Link header.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	q := r.URL.Query()
	perPage := DefaultPerPage
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, MaxPerPage)
	}
	page := requestedPage(r)
	last := max(1, (len(items)+perPage-1)/perPage)

	path, _, _ := strings.Cut(r.RequestURI, "?")
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(perPage))
		return fmt.Sprintf("<http://%s%s?%s>; rel=%q", r.Host, path, q.Encode(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(max(1, min(page-1, last)), "prev"), link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	start := (page - 1) * perPage
	if start >= len(items) {
		return []T{}
	}
	return items[start:min(start+perPage, len(items))]
}

// requestedPage is the page a list request asks for: its page parameter, 1 when absent.
func requestedPage(r *http.Request) int {
	if v, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && v > 0 {
		return v
	}
	return 1
}

func (s *Server) userJSON(login string) map[string]any {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{"login": login, "id": s.stableIDLocked("user:" + login), "type": typ}
}

func (s *Server) repoJSON(base string, rs *repoState) map[string]any {
	return map[string]any{
		"id":             rs.id,
		"name":           rs.name,
		"full_name":      rs.owner + "/" + rs.name,
		"owner":          s.userJSON(rs.owner),
		"private":        rs.opts.Private,
		"default_branch": rs.opts.DefaultBranch,
		"size":           rs.sizeKB(),
		"url":            base + "/repos/" + rs.owner + "/" + rs.name,
		"html_url":       "https://github.com/" + rs.owner + "/" + rs.name,
	}
}

// sizeKB is the repository's size as GitHub reports it, in KB.
func (rs *repoState) sizeKB() int {
	if rs.opts.SizeKB > 0 {
		return rs.opts.SizeKB
	}
	n := 0
	for _, files := range rs.contents {
		for _, c := range files {
			n += len(c)
		}
	}
	return n/1024 + 1
}

func (s *Server) handleGetPR(c *call) {
	writeJSON(c.w, http.StatusOK, s.prJSON(c))
}

// prJSON is a pull request as GitHub shows it, in the API and in webhook payloads.
func (s *Server) prJSON(c *call) map[string]any {
	p := c.pr.pr
	headOwner, headRepo := c.repo.owner, s.repoJSON(c.base, c.repo)
	if p.HeadRepo != "" {
		owner, name, _ := strings.Cut(p.HeadRepo, "/")
		headOwner = owner
		headRepo = s.repoJSON(c.base, &repoState{owner: owner, name: name, id: s.stableIDLocked("repo:" + p.HeadRepo),
			opts: RepoOptions{DefaultBranch: "main"}})
		headRepo["fork"] = true
	}
	var additions, deletions int
	for _, f := range p.Files {
		additions += f.Additions
		deletions += f.Deletions
	}
	repoURL := c.base + "/repos/" + c.repo.owner + "/" + c.repo.name
	return map[string]any{
		"id":            s.stableIDLocked(fmt.Sprintf("pr:%s#%d", repoKey(c.repo.owner, c.repo.name), p.Number)),
		"number":        p.Number,
		"state":         p.State,
		"title":         p.Title,
		"body":          p.Body,
		"draft":         p.Draft,
		"user":          s.userJSON(p.User),
		"url":           fmt.Sprintf("%s/pulls/%d", repoURL, p.Number),
		"html_url":      fmt.Sprintf("https://github.com/%s/%s/pull/%d", c.repo.owner, c.repo.name, p.Number),
		"changed_files": len(p.Files),
		"additions":     additions,
		"deletions":     deletions,
		"head": map[string]any{
			"ref": p.HeadRef, "sha": p.HeadSHA, "repo": headRepo,
			"label": headOwner + ":" + p.HeadRef,
		},
		"base": map[string]any{
			"ref": p.BaseRef, "sha": p.BaseSHA, "repo": s.repoJSON(c.base, c.repo),
			"label": c.repo.owner + ":" + p.BaseRef,
		},
	}
}

func filesJSON(files []File) []map[string]any {
	out := make([]map[string]any, 0, len(files))
	for _, f := range files {
		m := map[string]any{
			"filename":  f.Filename,
			"status":    f.Status,
			"additions": f.Additions,
			"deletions": f.Deletions,
			"changes":   f.Changes,
		}
		if f.Patch != "" {
			m["patch"] = f.Patch
		}
		if f.PreviousFilename != "" {
			m["previous_filename"] = f.PreviousFilename
		}
		out = append(out, m)
	}
	return out
}

func (s *Server) handleListFiles(c *call) {
	files := c.pr.pr.Files
	if len(files) > MaxListedFiles {
		files = files[:MaxListedFiles]
	}
	writeJSON(c.w, http.StatusOK, filesJSON(paginate(c.w, c.r, files)))
}

func (s *Server) handleGetContents(c *call) {
	ref := c.r.URL.Query().Get("ref")
	if ref == "" {
		ref = c.repo.opts.DefaultBranch
	}
	path := c.r.PathValue("path")
	files, _ := c.repo.tree(ref)
	content, ok := files[path]
	if !ok {
		writeError(c.w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/repos/contents#get-repository-content")
		return
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	// Like GitHub: a file over 1 MB comes without its content (encoding
	// "none"); only the raw media type would return it.
	encoding, body := "base64", encodeContent(content)
	if len(content) > 1<<20 {
		encoding, body = "none", ""
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"type":     "file",
		"encoding": encoding,
		"size":     len(content),
		"name":     name,
		"path":     path,
		"content":  body,
		"sha":      gitBlobSHA(content),
		"url":      fmt.Sprintf("%s/repos/%s/%s/contents/%s?ref=%s", c.base, c.repo.owner, c.repo.name, path, url.QueryEscape(ref)),
	})
}

// handleGetBlob serves a blob of any ref's content by its SHA: raw with
// Accept: application/vnd.github.raw (or .v3.raw), else as base64 JSON.
func (s *Server) handleGetBlob(c *call) {
	sha := c.r.PathValue("sha")
	for _, files := range c.repo.contents {
		for _, content := range files {
			if gitBlobSHA(content) != sha {
				continue
			}
			if strings.Contains(c.r.Header.Get("Accept"), ".raw") {
				c.w.Header().Set("Content-Type", "application/vnd.github.raw")
				c.w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(c.w, content)
				return
			}
			writeJSON(c.w, http.StatusOK, map[string]any{
				"sha": sha, "size": len(content), "encoding": "base64", "content": encodeContent(content),
				"url": fmt.Sprintf("%s/repos/%s/%s/git/blobs/%s", c.base, c.repo.owner, c.repo.name, sha),
			})
			return
		}
	}
	writeError(c.w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/git/blobs#get-a-blob")
}

func (s *Server) handleCompare(c *call) {
	basehead := c.r.PathValue("basehead")
	base, head, ok := strings.Cut(basehead, "...")
	files, found := c.repo.compares[base+"..."+head]
	if !ok || !found {
		writeError(c.w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/commits/commits#compare-two-commits")
		return
	}
	// Like GitHub, the comparison is paged by its commits; every page carries the rest of the
	// object (status, base_commit, merge_base_commit), but only the first lists the changed files
	// (all of them, not a page of them).
	n := max(1, c.repo.compareCommits[base+"..."+head])
	commits := make([]map[string]any, n)
	for i := range commits {
		commits[i] = map[string]any{"sha": fmt.Sprintf("%040x", i+1)}
	}
	commits[n-1]["sha"] = head
	body := map[string]any{
		"status":            "ahead",
		"ahead_by":          n,
		"behind_by":         0,
		"total_commits":     n,
		"base_commit":       map[string]any{"sha": base},
		"merge_base_commit": map[string]any{"sha": base},
		"commits":           paginate(c.w, c.r, commits),
		"url":               fmt.Sprintf("%s/repos/%s/%s/compare/%s", c.base, c.repo.owner, c.repo.name, basehead),
	}
	if requestedPage(c.r) == 1 {
		body["files"] = filesJSON(files)
	}
	writeJSON(c.w, http.StatusOK, body)
}

func (s *Server) handlePermission(c *call) {
	user := c.r.PathValue("user")
	perm, ok := c.repo.perms[user]
	if !ok {
		// GitHub answers for any existing user: public repositories are readable by everyone.
		perm = "read"
		if c.repo.opts.Private {
			perm = "none"
		}
	}
	// The legacy "permission" field folds maintain into write and triage into read; role_name
	// keeps the precise role.
	legacy := perm
	switch perm {
	case "maintain":
		legacy = "write"
	case "triage":
		legacy = "read"
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"permission": legacy,
		"role_name":  perm,
		"user":       s.userJSON(user),
	})
}

// reactionContents are the reactions GitHub accepts.
var reactionContents = map[string]bool{
	"+1": true, "-1": true, "laugh": true, "confused": true,
	"heart": true, "hooray": true, "rocket": true, "eyes": true,
}

func (s *Server) handleCreateReaction(c *call) {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	ic := s.issueComments[id]
	if err != nil || ic == nil || ic.repo != c.repo {
		writeError(c.w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment")
		return
	}
	var req struct {
		Content string `json:"content"`
	}
	if !decodeBody(c, &req) {
		return
	}
	if !reactionContents[req.Content] {
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed",
			"https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment",
			fmt.Sprintf("content %q is not a valid reaction", req.Content))
		return
	}
	for _, r := range ic.reactions {
		if r.User == c.actor && r.Content == req.Content {
			writeJSON(c.w, http.StatusOK, s.reactionJSON(r))
			return
		}
	}
	r := Reaction{ID: s.newIDLocked(), CommentID: id, User: c.actor, Content: req.Content}
	ic.reactions = append(ic.reactions, r)
	writeJSON(c.w, http.StatusCreated, s.reactionJSON(r))
}

func (s *Server) reactionJSON(r Reaction) map[string]any {
	return map[string]any{"id": r.ID, "content": r.Content, "user": s.userJSON(r.User)}
}

func (s *Server) handleListIssueComments(c *call) {
	all := make([]map[string]any, 0, len(c.pr.comments))
	for _, id := range c.pr.comments {
		all = append(all, s.issueCommentJSON(c, s.issueComments[id].comment))
	}
	writeJSON(c.w, http.StatusOK, paginate(c.w, c.r, all))
}

func (s *Server) handleCreateIssueComment(c *call) {
	var req struct {
		Body *string `json:"body"`
	}
	if !decodeBody(c, &req) {
		return
	}
	const docs = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	switch {
	case req.Body == nil || strings.TrimSpace(*req.Body) == "":
		writeError(c.w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"body\" wasn't supplied.", docs)
		return
	case charCount(*req.Body) > MaxBodyChars:
		writeError(c.w, http.StatusUnprocessableEntity, "Validation Failed", docs,
			fmt.Sprintf("Body is too long (maximum is %d characters)", MaxBodyChars))
		return
	}
	ic := IssueComment{ID: s.newIDLocked(), Number: c.pr.pr.Number, User: c.actor, Body: *req.Body}
	s.issueComments[ic.ID] = &issueCommentState{repo: c.repo, comment: ic}
	c.pr.comments = append(c.pr.comments, ic.ID)
	writeJSON(c.w, http.StatusCreated, s.issueCommentJSON(c, ic))
}

func (s *Server) issueCommentJSON(c *call, ic IssueComment) map[string]any {
	repoURL := c.base + "/repos/" + c.repo.owner + "/" + c.repo.name
	return map[string]any{
		"id":        ic.ID,
		"body":      ic.Body,
		"user":      s.userJSON(ic.User),
		"url":       fmt.Sprintf("%s/issues/comments/%d", repoURL, ic.ID),
		"issue_url": fmt.Sprintf("%s/issues/%d", repoURL, ic.Number),
		"html_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d",
			c.repo.owner, c.repo.name, ic.Number, ic.ID),
	}
}

// decodeBody decodes a JSON request body; on failure it answers 400 like GitHub and returns false.
func decodeBody(c *call, v any) bool {
	raw, err := io.ReadAll(c.r.Body)
	if err == nil && len(bytes.TrimSpace(raw)) > 0 {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		writeError(c.w, http.StatusBadRequest, "Problems parsing JSON", docsRoot)
		return false
	}
	return true
}
