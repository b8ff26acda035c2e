// Package githubtest is a fake GitHub REST API for tests: an httptest server that serves the
// endpoints the app uses, answers with GitHub's JSON shapes, and validates what the app sends the
// way GitHub does — above all review comments, which GitHub rejects with 422 when a line is not
// part of the pull request's diff. It records every request so tests can assert exactly what the
// app posted.
//
// The fake is deliberately independent of the review engine: it parses file patches itself, so a
// mistake in the engine's diff handling shows up as a 422 here instead of being mirrored.
//
// A test sets the fake up, lets the code under test talk to it, and asserts what GitHub got:
//
//	srv := githubtest.New(t)
//	srv.AddRepo("acme", "widgets", githubtest.RepoOptions{})
//	srv.AddPR("acme", "widgets", githubtest.PR{Number: 1, HeadSHA: sha, Files: files})
//	gh, err := github.NewClient(srv.Client()).WithEnterpriseURLs(srv.URL(), srv.URL())
//	... publish with gh ...
//	reviews := srv.Reviews("acme", "widgets", 1) // exactly one, with the expected comments
//
// The fake serves every endpoint both at "/" (like api.github.com) and under "/api/v3/" (like
// GitHub Enterprise Server), so go-githubapp's client creator can be pointed at either after
// SetApp; it then goes through the real JWT and installation-token exchange.
package githubtest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// GitHub's documented and observed limits that the fake enforces.
const (
	// MaxBodyChars is GitHub's limit on the body of an issue comment, a review and a review
	// comment, counted in characters (not bytes).
	MaxBodyChars = 65536
	// MaxListedFiles is how many files the "list pull request files" endpoint returns at most;
	// GitHub silently stops there however many files the pull request changes.
	MaxListedFiles = 3000
	// DefaultPerPage and MaxPerPage are GitHub's pagination defaults for list endpoints.
	DefaultPerPage = 30
	MaxPerPage     = 100
	// DefaultMaxReviewComments is the fake's cap on inline comments in one review. GitHub
	// documents no exact number but fails very large reviews; the cap lets tests exercise the
	// app's own limit. Change it with SetMaxReviewComments.
	DefaultMaxReviewComments = 1000
	// RateLimit is the X-RateLimit-Limit the fake reports (GitHub's limit for installations).
	RateLimit = 5000
	// DefaultInstallationID is the installation a repository belongs to unless RepoOptions says
	// otherwise, and the one Client's token is issued for.
	DefaultInstallationID = 1
)

// Server is the fake GitHub. Create it with New; it is closed when the test ends.
// All methods are safe for concurrent use.
type Server struct {
	t   testing.TB
	srv *httptest.Server
	mux *http.ServeMux

	mu              sync.Mutex
	nextID          int64
	repos           map[string]*repoState
	issueComments   map[int64]*issueCommentState
	reviewComments  map[int64]*reviewCommentState
	tokens          map[string]tokenInfo
	stableIDs       map[string]int64
	app             appState
	faults          []*fault
	requests        []Request
	maxComments     int
	rateUsed        int
	rateReset       time.Time
	issuedTokens    int
	defaultClientTk string
	installPerms    map[int64]map[string]string // installation → permissions, when not the default
}

// RepoOptions describes a repository added with AddRepo. The zero value is a public repository
// on branch "main" in installation DefaultInstallationID.
type RepoOptions struct {
	// InstallationID is the App installation that can access the repository.
	InstallationID int64
	// Private repositories answer "none" instead of "read" for users without a permission.
	Private bool
	// DefaultBranch is used by the contents API when no ref is given; "main" when empty.
	DefaultBranch string
	// SizeKB is the repository's "size" (GitHub's measure of the whole repository, in KB);
	// 0 reports the size of the files set with SetContent.
	SizeKB int
}

// PR is a pull request as the fake serves it.
type PR struct {
	Number int
	Title  string
	Body   string
	// User is the author's login.
	User  string
	Draft bool
	// State is "open" (the default) or "closed".
	State   string
	HeadSHA string
	BaseSHA string
	BaseRef string
	HeadRef string
	// HeadRepo is "owner/name" of the head repository for a pull request from a fork; empty
	// means the head branch lives in the same repository.
	HeadRepo string
	// Files are the files changed at HeadSHA, in the order GitHub lists them.
	Files []File
}

// File is one changed file of a pull request or a comparison, as GitHub lists it.
type File struct {
	Filename         string
	PreviousFilename string
	// Status is added, removed, modified, renamed, copied, changed or unchanged.
	Status    string
	Patch     string
	Additions int
	Deletions int
	Changes   int
}

// Review is a review the app created, as recorded by the fake.
type Review struct {
	ID   int64
	User string
	Body string
	// State is PENDING, COMMENTED, APPROVED or CHANGES_REQUESTED.
	State       string
	CommitID    string
	SubmittedAt time.Time
	Comments    []ReviewComment
}

// ReviewComment is an inline comment of a review, or a reply in its thread. Line and Side are
// resolved from Position when the app used the legacy position field.
type ReviewComment struct {
	ID       int64
	ReviewID int64
	// User is the author's login.
	User string
	// InReplyTo is the first comment of the thread for a reply, 0 for the first comment.
	InReplyTo int64
	Path      string
	Body      string
	Position  int
	Line      int
	Side      string
	StartLine int
	StartSide string
	// CommitID is the head the comment's lines refer to now; the comment moves with its lines
	// when a push shifts them (SetHead).
	CommitID string
	DiffHunk string
	// OriginalCommitID, OriginalLine and OriginalStartLine are the head and lines the comment
	// was written on.
	OriginalCommitID                string
	OriginalLine, OriginalStartLine int
	// Outdated is set when a later push changed the commented lines: GitHub then answers null
	// for line and position, and Line, StartLine and Position here are 0.
	Outdated bool
}

// IssueComment is a comment in a pull request's conversation.
type IssueComment struct {
	ID     int64
	Number int
	User   string
	Body   string
}

// Reaction is a reaction on an issue comment.
type Reaction struct {
	ID        int64
	CommentID int64
	User      string
	Content   string
}

// Request is one request the fake received.
type Request struct {
	Method string
	// Path is the API path without the "/api/v3" prefix, e.g. "/repos/o/r/pulls/1".
	Path   string
	Query  url.Values
	Header http.Header
	// Body is the request body decoded as JSON (nil when empty or not JSON); RawBody is the bytes.
	Body    any
	RawBody []byte
	// Status is the status code the fake answered with.
	Status int
	// ResponseBytes is the size of the body the fake answered with.
	ResponseBytes int64
}

type repoState struct {
	owner, name string
	id          int64
	opts        RepoOptions
	prs         map[int]*prState
	contents    map[string]map[string]string // ref → path → content
	// branchAt names the branch a pull request's base commit was taken
	// from (BaseSHA → BaseRef), so that a read at that commit sees the
	// branch's files as GitHub would.
	branchAt map[string]string
	compares map[string][]File // "base...head" → files
	// compareCommits is the number of commits of a comparison, 1 when
	// not set.
	compareCommits map[string]int
	perms          map[string]string // login → permission
	checkRuns      []*CheckRun       // in creation order
	// refusedPaths are the paths whose annotations check runs refuse (RefuseAnnotations).
	refusedPaths map[string]bool
}

type prState struct {
	pr PR
	// heads maps every head the pull request has had to the commentable lines of each file
	// changed at that head, so a review on an earlier head is validated against the diff it was
	// written for.
	heads    map[string]map[string]*patchIndex
	reviews  []*Review
	comments []int64 // issue comment ids in creation order
	// reviewComments are the ids of the review comments of submitted and pending reviews and
	// of replies, in creation order.
	reviewComments []int64
}

type issueCommentState struct {
	repo      *repoState
	comment   IssueComment
	reactions []Reaction
}

type tokenInfo struct {
	installationID int64
	expiresAt      time.Time
}

type appState struct {
	id   int64
	slug string
	key  *rsa.PublicKey
}

// New starts a fake GitHub that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:              t,
		nextID:         1000,
		repos:          map[string]*repoState{},
		issueComments:  map[int64]*issueCommentState{},
		reviewComments: map[int64]*reviewCommentState{},
		tokens:         map[string]tokenInfo{},
		stableIDs:      map[string]int64{},
		app:            appState{id: 1, slug: "test-app"},
		maxComments:    DefaultMaxReviewComments,
		rateReset:      time.Now().Add(time.Hour).Truncate(time.Second),
	}
	s.mux = s.routes()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.srv.Close)
	s.defaultClientTk = s.IssueToken(DefaultInstallationID)
	return s
}

// URL is the base URL of the fake, ending in "/". Every endpoint is also served under
// URL()+"api/v3/".
func (s *Server) URL() string { return s.srv.URL + "/" }

// Client returns an HTTP client that presents an installation token for DefaultInstallationID
// on every request. Wrap it with go-github's NewClient and point the client at URL.
func (s *Server) Client() *http.Client { return s.clientWithToken(s.defaultClientTk) }

// ClientFor returns an HTTP client that presents a token for the given installation.
func (s *Server) ClientFor(installationID int64) *http.Client {
	return s.clientWithToken(s.IssueToken(installationID))
}

func (s *Server) clientWithToken(token string) *http.Client {
	base := s.srv.Client()
	return &http.Client{Transport: &tokenTransport{token: token, next: base.Transport}}
}

// tokenTransport adds an installation token to each request, like ghinstallation does.
type tokenTransport struct {
	token string
	next  http.RoundTripper
}

func (tt *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "token "+tt.token)
	return tt.next.RoundTrip(r)
}

// IssueToken issues an installation token without the App's JWT exchange, valid for an hour.
func (s *Server) IssueToken(installationID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTokenLocked(installationID)
}

func (s *Server) issueTokenLocked(installationID int64) string {
	s.issuedTokens++
	tok := fmt.Sprintf("ghs_fake%032d", s.issuedTokens)
	s.tokens[tok] = tokenInfo{installationID: installationID, expiresAt: time.Now().Add(time.Hour)}
	return tok
}

// SetApp configures the GitHub App. GET /app and POST /app/installations/{id}/access_tokens then
// accept only an RS256 JWT signed with privateKeyPEM (PKCS#1 or PKCS#8) whose issuer is id.
func (s *Server) SetApp(id int64, slug string, privateKeyPEM []byte) {
	s.t.Helper()
	key, err := parseRSAPrivateKey(privateKeyPEM)
	if err != nil {
		s.t.Fatalf("githubtest: SetApp: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app = appState{id: id, slug: slug, key: &key.PublicKey}
}

func parseRSAPrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("private key: no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	k, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key: %T is not RSA", parsed)
	}
	return k, nil
}

// BotLogin is the login of the App's bot user, the author of everything the app posts.
func (s *Server) BotLogin() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.slug + "[bot]"
}

// SetMaxReviewComments sets the cap on inline comments in one review.
func (s *Server) SetMaxReviewComments(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxComments = n
}

// AddRepo adds a repository.
func (s *Server) AddRepo(owner, name string, opts RepoOptions) {
	if opts.InstallationID == 0 {
		opts.InstallationID = DefaultInstallationID
	}
	if opts.DefaultBranch == "" {
		opts.DefaultBranch = "main"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[repoKey(owner, name)] = &repoState{
		owner: owner, name: name, id: s.newIDLocked(), opts: opts,
		prs:      map[int]*prState{},
		contents: map[string]map[string]string{},
		compares: map[string][]File{},
		perms:    map[string]string{},
	}
}

// AddPR adds or replaces a pull request of a repository added with AddRepo.
func (s *Server) AddPR(owner, name string, pr PR) {
	s.t.Helper()
	if pr.State == "" {
		pr.State = "open"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.mustRepoLocked(owner, name)
	if rs == nil {
		return
	}
	p := &prState{pr: pr, heads: map[string]map[string]*patchIndex{}}
	p.heads[pr.HeadSHA] = s.indexFiles(pr.Files)
	rs.prs[pr.Number] = p
	if pr.BaseSHA != "" && pr.BaseRef != "" {
		if rs.branchAt == nil {
			rs.branchAt = map[string]string{}
		}
		rs.branchAt[pr.BaseSHA] = pr.BaseRef
	}
}

// tree is the files at ref. A pull request's base commit is a commit of its base branch: it
// holds the branch's files, and the files set for the commit itself over them.
func (rs *repoState) tree(ref string) (map[string]string, bool) {
	own, ok := rs.contents[ref]
	branch, onBranch := rs.contents[rs.branchAt[ref]]
	if !onBranch || rs.branchAt[ref] == "" {
		return own, ok
	}
	files := make(map[string]string, len(branch)+len(own))
	maps.Copy(files, branch)
	maps.Copy(files, own)
	return files, true
}

// SetHead records a push to a pull request: headSHA becomes the head and files its changed
// files. Earlier heads stay known, so reviews on them are still accepted.
func (s *Server) SetHead(owner, name string, number int, headSHA string, files []File) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.mustPRLocked(owner, name, number)
	if p == nil {
		return
	}
	p.pr.HeadSHA = headSHA
	p.pr.Files = files
	p.heads[headSHA] = s.indexFiles(files)
	s.moveCommentsLocked(p, headSHA)
}

// SetBase records that a pull request's base moved to commit baseSHA of its base branch, as
// GitHub records when the pull request is updated: reads at baseSHA see the branch's files
// unless files are set for baseSHA itself.
func (s *Server) SetBase(owner, name string, number int, baseSHA string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.mustPRLocked(owner, name, number)
	if p == nil {
		return
	}
	p.pr.BaseSHA = baseSHA
	rs := s.mustRepoLocked(owner, name)
	if rs.branchAt == nil {
		rs.branchAt = map[string]string{}
	}
	rs.branchAt[baseSHA] = p.pr.BaseRef
}

// indexFiles indexes the patches of a head's files. A patch the fake cannot read is a broken
// test fixture, reported at once rather than as a puzzling 422 later.
func (s *Server) indexFiles(files []File) map[string]*patchIndex {
	s.t.Helper()
	out := make(map[string]*patchIndex, len(files))
	for _, f := range files {
		idx, err := indexPatch(f.Patch)
		if err != nil {
			s.t.Errorf("githubtest: patch of %s: %v", f.Filename, err)
			idx = &patchIndex{lines: map[lineKey]lineLoc{}, positions: map[int]lineKey{}, text: map[lineKey]string{}}
		}
		out[f.Filename] = idx
	}
	return out
}

// SetContent sets the content of path at ref (a branch name or a commit SHA, matched exactly).
func (s *Server) SetContent(owner, name, ref, path, content string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.mustRepoLocked(owner, name)
	if rs == nil {
		return
	}
	if rs.contents[ref] == nil {
		rs.contents[ref] = map[string]string{}
	}
	rs.contents[ref][path] = content
}

// SetCompare sets what GET /repos/{owner}/{name}/compare/{base}...{head} answers.
func (s *Server) SetCompare(owner, name, base, head string, files []File) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.mustRepoLocked(owner, name)
	if rs == nil {
		return
	}
	rs.compares[base+"..."+head] = files
}

// SetCompareCommits makes the comparison of base and head span n commits
// (the last is head), which GitHub pages; SetCompare sets its files.
func (s *Server) SetCompareCommits(owner, name, base, head string, n int) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.mustRepoLocked(owner, name)
	if rs == nil {
		return
	}
	if rs.compareCommits == nil {
		rs.compareCommits = map[string]int{}
	}
	rs.compareCommits[base+"..."+head] = n
}

// SetPermission sets a user's permission on a repository: admin, maintain, write, triage, read
// or none.
func (s *Server) SetPermission(owner, name, user, permission string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.mustRepoLocked(owner, name)
	if rs == nil {
		return
	}
	rs.perms[user] = permission
}

// AddIssueComment adds a comment to a pull request's conversation, typically the comment that
// triggers a review (reactions are accepted only on comments that exist). A zero c.ID is
// assigned; the stored comment is returned.
func (s *Server) AddIssueComment(owner, name string, c IssueComment) IssueComment {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.mustPRLocked(owner, name, c.Number)
	if p == nil {
		return c
	}
	if c.ID == 0 {
		c.ID = s.newIDLocked()
	}
	s.issueComments[c.ID] = &issueCommentState{repo: s.repos[repoKey(owner, name)], comment: c}
	p.comments = append(p.comments, c.ID)
	return c
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Reviews returns the reviews on a pull request that exist now (a deleted pending review is
// gone), with their comments.
func (s *Server) Reviews(owner, name string, number int) []Review {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.prLocked(owner, name, number)
	if p == nil {
		return nil
	}
	out := make([]Review, 0, len(p.reviews))
	for _, r := range p.reviews {
		c := *r
		c.Comments = make([]ReviewComment, 0, len(r.Comments))
		for _, rc := range r.Comments {
			c.Comments = append(c.Comments, s.reviewComments[rc.ID].c)
		}
		out = append(out, c)
	}
	return out
}

// Comments returns the conversation comments of a pull request, including those added with
// AddIssueComment, in creation order.
func (s *Server) Comments(owner, name string, number int) []IssueComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.prLocked(owner, name, number)
	if p == nil {
		return nil
	}
	out := make([]IssueComment, 0, len(p.comments))
	for _, id := range p.comments {
		out = append(out, s.issueComments[id].comment)
	}
	return out
}

// Reactions returns the reactions on an issue comment, in creation order.
func (s *Server) Reactions(owner, name string, commentID int64) []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	ic := s.issueComments[commentID]
	if ic == nil || ic.repo != s.repos[repoKey(owner, name)] {
		return nil
	}
	return slices.Clone(ic.reactions)
}

func repoKey(owner, name string) string { return owner + "/" + name }

func (s *Server) newIDLocked() int64 {
	s.nextID++
	return s.nextID
}

// stableIDLocked gives each named object (user, pull request, fork) one id for the server's life.
func (s *Server) stableIDLocked(key string) int64 {
	if id, ok := s.stableIDs[key]; ok {
		return id
	}
	id := s.newIDLocked()
	s.stableIDs[key] = id
	return id
}

func (s *Server) mustRepoLocked(owner, name string) *repoState {
	rs := s.repos[repoKey(owner, name)]
	if rs == nil {
		s.t.Errorf("githubtest: repository %s/%s not added; call AddRepo first", owner, name)
	}
	return rs
}

func (s *Server) prLocked(owner, name string, number int) *prState {
	rs := s.repos[repoKey(owner, name)]
	if rs == nil {
		return nil
	}
	return rs.prs[number]
}

func (s *Server) mustPRLocked(owner, name string, number int) *prState {
	rs := s.mustRepoLocked(owner, name)
	if rs == nil {
		return nil
	}
	p := rs.prs[number]
	if p == nil {
		s.t.Errorf("githubtest: pull request %s/%s#%d not added; call AddPR first", owner, name, number)
	}
	return p
}
