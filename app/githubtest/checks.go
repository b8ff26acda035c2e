package githubtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits of the check runs API, as GitHub documents and enforces them ("Create a check run",
// docs.github.com/rest/checks/runs).
const (
	// MaxAnnotationsPerRequest is how many annotations one create or update may carry; more are
	// added by further updates, which append to the run's annotations.
	MaxAnnotationsPerRequest = 50
	// MaxCheckOutputChars bounds output.summary and output.text. GitHub checks the length in
	// characters ("Only 65535 characters are allowed") and, separately, in bytes ("summary
	// exceeds a maximum bytesize of 65535"); the fake checks both.
	MaxCheckOutputChars = 65535
	// MaxAnnotationTitleChars bounds an annotation's title.
	MaxAnnotationTitleChars = 255
	// MaxAnnotationBytes bounds an annotation's message and raw_details (64 KB).
	MaxAnnotationBytes = 64 << 10
)

const (
	docsCreateCheckRun = "https://docs.github.com/rest/checks/runs#create-a-check-run"
	docsUpdateCheckRun = "https://docs.github.com/rest/checks/runs#update-a-check-run"
	docsListCheckRuns  = "https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference"
)

// DefaultInstallationPermissions are the permissions of an installation unless
// SetInstallationPermissions says otherwise: what app.yml asks for.
var DefaultInstallationPermissions = map[string]string{
	"contents": "read", "issues": "write", "pull_requests": "write", "metadata": "read", "checks": "write",
}

// CheckRun is a check run as the fake keeps it.
type CheckRun struct {
	ID         int64
	Name       string
	HeadSHA    string
	ExternalID string
	DetailsURL string
	// Status is queued, in_progress or completed; Conclusion is set once completed.
	Status     string
	Conclusion string
	Title      string
	Summary    string
	Text       string
	// Annotations accumulate over the create and every update, in the order sent.
	Annotations []Annotation
	StartedAt   time.Time
	CompletedAt time.Time
	// Updates counts the updates the run received after it was created.
	Updates int
}

// Annotation is one annotation of a check run.
type Annotation struct {
	Path                   string
	StartLine, EndLine     int
	StartColumn, EndColumn int
	// Level is notice, warning or failure.
	Level      string
	Title      string
	Message    string
	RawDetails string
}

// SetInstallationPermissions replaces the permissions granted to an installation, for example
// to take away "checks" the way an installation that has not accepted a new permission lacks it.
func (s *Server) SetInstallationPermissions(installationID int64, perms map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.installPerms == nil {
		s.installPerms = map[int64]map[string]string{}
	}
	s.installPerms[installationID] = maps.Clone(perms)
}

// RefuseAnnotations makes the repository's check runs refuse annotations on paths the way
// GitHub refuses an annotation it cannot place (a path that is not in the repository): the
// whole create or update is answered 422 Validation Failed and nothing of it is applied.
func (s *Server) RefuseAnnotations(owner, name string, paths ...string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.mustRepoLocked(owner, name)
	if rs == nil {
		return
	}
	if rs.refusedPaths == nil {
		rs.refusedPaths = map[string]bool{}
	}
	for _, p := range paths {
		rs.refusedPaths[p] = true
	}
}

// permissionsLocked are the permissions of an installation.
func (s *Server) permissionsLocked(installationID int64) map[string]string {
	if p, ok := s.installPerms[installationID]; ok {
		return p
	}
	return DefaultInstallationPermissions
}

// CheckRuns returns the check runs of a repository, oldest first.
func (s *Server) CheckRuns(owner, name string) []CheckRun {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := s.mustRepoLocked(owner, name)
	if rs == nil {
		return nil
	}
	out := make([]CheckRun, len(rs.checkRuns))
	for i, cr := range rs.checkRuns {
		out[i] = *cr
		out[i].Annotations = slices.Clone(cr.Annotations)
	}
	return out
}

// mayChecks answers 403 like GitHub when the installation lacks the checks permission.
func (s *Server) mayChecks(c *call, write bool, docs string) bool {
	p := s.permissionsLocked(c.repo.opts.InstallationID)["checks"]
	if p == "write" || (!write && p == "read") {
		return true
	}
	writeError(c.w, http.StatusForbidden, "Resource not accessible by integration", docs)
	return false
}

// checkRunRequest is the body of a create or an update.
type checkRunRequest struct {
	Name        *string         `json:"name"`
	HeadSHA     *string         `json:"head_sha"`
	DetailsURL  *string         `json:"details_url"`
	ExternalID  *string         `json:"external_id"`
	Status      *string         `json:"status"`
	Conclusion  *string         `json:"conclusion"`
	StartedAt   *time.Time      `json:"started_at"`
	CompletedAt *time.Time      `json:"completed_at"`
	Output      *checkRunOutput `json:"output"`
}

type checkRunOutput struct {
	Title       *string              `json:"title"`
	Summary     *string              `json:"summary"`
	Text        *string              `json:"text"`
	Annotations []checkRunAnnotation `json:"annotations"`
}

type checkRunAnnotation struct {
	Path            *string `json:"path"`
	StartLine       *int    `json:"start_line"`
	EndLine         *int    `json:"end_line"`
	StartColumn     *int    `json:"start_column"`
	EndColumn       *int    `json:"end_column"`
	AnnotationLevel *string `json:"annotation_level"`
	Message         *string `json:"message"`
	Title           *string `json:"title"`
	RawDetails      *string `json:"raw_details"`
}

var (
	checkStatuses    = []string{"queued", "in_progress", "completed"}
	checkConclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"}
	annotationLevels = []string{"notice", "warning", "failure"}
)

// invalid answers 422 the way GitHub's request schema does: "Invalid request." and the reason.
func invalidRequest(w http.ResponseWriter, docs, format string, args ...any) {
	writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n"+fmt.Sprintf(format, args...), docs)
}

// validationFailed answers 422 the way GitHub's model validation does.
func validationFailed(w http.ResponseWriter, docs, field, message string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            []map[string]string{{"resource": "CheckRun", "code": "custom", "field": field, "message": message}},
		"documentation_url": docs,
		"status":            "422",
	})
}

// supplied answers GitHub's error for the required fields that are
// missing (at most two are named), and reports whether none is.
func supplied(w http.ResponseWriter, docs string, missing []string) bool {
	switch len(missing) {
	case 0:
		return true
	case 1:
		invalidRequest(w, docs, "%s wasn't supplied.", missing[0])
	default:
		invalidRequest(w, docs, "%s and %s weren't supplied.", missing[0], missing[1])
	}
	return false
}

// validateCheckRun checks a create (create is true) or an update the way GitHub does, and answers the
// error itself when it finds one.
func (s *Server) validateCheckRun(c *call, req *checkRunRequest, create bool, docs string) bool {
	w := c.w
	if create {
		var missing []string
		if req.Name == nil {
			missing = append(missing, `"name"`)
		}
		if req.HeadSHA == nil {
			missing = append(missing, `"head_sha"`)
		}
		if !supplied(w, docs, missing) {
			return false
		}
	}
	if req.Name != nil && *req.Name == "" {
		validationFailed(w, docs, "name", "name can't be blank")
		return false
	}
	if req.HeadSHA != nil && !s.knownCommitLocked(c.repo, *req.HeadSHA) {
		writeError(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+*req.HeadSHA, docs)
		return false
	}
	if req.Status != nil && !slices.Contains(checkStatuses, *req.Status) {
		invalidRequest(w, docs, "For 'properties/status', %q is not a member of enum.", *req.Status)
		return false
	}
	if req.Conclusion != nil && !slices.Contains(checkConclusions, *req.Conclusion) {
		invalidRequest(w, docs, "For 'properties/conclusion', %q is not a member of enum.", *req.Conclusion)
		return false
	}
	if req.Status != nil && *req.Status == "completed" && req.Conclusion == nil {
		validationFailed(w, docs, "conclusion", "conclusion can't be blank when the status is completed")
		return false
	}
	if req.CompletedAt != nil && req.Conclusion == nil {
		validationFailed(w, docs, "conclusion", "conclusion can't be blank when completed_at is set")
		return false
	}
	if o := req.Output; o != nil {
		var missing []string
		if o.Title == nil {
			missing = append(missing, `"title"`)
		}
		if o.Summary == nil {
			missing = append(missing, `"summary"`)
		}
		if !supplied(w, docs, missing) {
			return false
		}
		for _, f := range []struct {
			name string
			v    *string
		}{{"summary", o.Summary}, {"text", o.Text}} {
			if f.v == nil {
				continue
			}
			if n := utf8.RuneCountInString(*f.v); n > MaxCheckOutputChars {
				invalidRequest(w, docs, "Only %d characters are allowed; %d were supplied.", MaxCheckOutputChars, n)
				return false
			}
			if len(*f.v) > MaxCheckOutputChars {
				validationFailed(w, docs, f.name, fmt.Sprintf("%s exceeds a maximum bytesize of %d", f.name, MaxCheckOutputChars))
				return false
			}
		}
		if n := len(o.Annotations); n > MaxAnnotationsPerRequest {
			invalidRequest(w, docs, "No more than %d items are allowed; %d were supplied.", MaxAnnotationsPerRequest, n)
			return false
		}
		for _, a := range o.Annotations {
			if !validAnnotation(w, docs, a) {
				return false
			}
			if c.repo.refusedPaths[*a.Path] {
				validationFailed(w, docs, "annotations", fmt.Sprintf("path %q is not a file of the repository", *a.Path))
				return false
			}
		}
	}
	return true
}

func validAnnotation(w http.ResponseWriter, docs string, a checkRunAnnotation) bool {
	var missing []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"path", a.Path != nil}, {"start_line", a.StartLine != nil}, {"end_line", a.EndLine != nil},
		{"annotation_level", a.AnnotationLevel != nil}, {"message", a.Message != nil}} {
		if !f.set {
			missing = append(missing, strconv.Quote(f.name))
		}
	}
	if len(missing) > 0 {
		invalidRequest(w, docs, "%v weren't supplied.", missing)
		return false
	}
	switch {
	case !slices.Contains(annotationLevels, *a.AnnotationLevel):
		invalidRequest(w, docs, "For 'items', %q is not a member of enum.", *a.AnnotationLevel)
	case *a.Path == "":
		validationFailed(w, docs, "path", "path can't be blank")
	case *a.StartLine < 1 || *a.EndLine < *a.StartLine:
		validationFailed(w, docs, "end_line", fmt.Sprintf("lines %d-%d are not a range of lines", *a.StartLine, *a.EndLine))
	case (a.StartColumn != nil || a.EndColumn != nil) && *a.StartLine != *a.EndLine:
		validationFailed(w, docs, "start_column", "start_column and end_column are only allowed when start_line equals end_line")
	case *a.Message == "":
		validationFailed(w, docs, "message", "message can't be blank")
	case len(*a.Message) > MaxAnnotationBytes:
		validationFailed(w, docs, "message", fmt.Sprintf("message exceeds a maximum bytesize of %d", MaxAnnotationBytes))
	case a.RawDetails != nil && len(*a.RawDetails) > MaxAnnotationBytes:
		validationFailed(w, docs, "raw_details", fmt.Sprintf("raw_details exceeds a maximum bytesize of %d", MaxAnnotationBytes))
	case a.Title != nil && utf8.RuneCountInString(*a.Title) > MaxAnnotationTitleChars:
		validationFailed(w, docs, "title", fmt.Sprintf("title is too long (maximum is %d characters)", MaxAnnotationTitleChars))
	default:
		return true
	}
	return false
}

// knownCommitLocked reports whether sha is a commit of the repository: a head any of its pull
// requests has had, or a base.
func (s *Server) knownCommitLocked(rs *repoState, sha string) bool {
	for _, p := range rs.prs {
		if _, ok := p.heads[sha]; ok || p.pr.BaseSHA == sha || p.pr.HeadSHA == sha {
			return true
		}
	}
	return false
}

// apply sets the fields of req on cr and appends its annotations.
func (cr *CheckRun) apply(req *checkRunRequest, now time.Time) {
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	str(&cr.Name, req.Name)
	str(&cr.HeadSHA, req.HeadSHA)
	str(&cr.DetailsURL, req.DetailsURL)
	str(&cr.ExternalID, req.ExternalID)
	str(&cr.Status, req.Status)
	if req.StartedAt != nil {
		cr.StartedAt = *req.StartedAt
	}
	if req.Conclusion != nil {
		// A conclusion completes the run, whatever the status says.
		cr.Conclusion, cr.Status = *req.Conclusion, "completed"
	}
	if cr.Status == "completed" && cr.CompletedAt.IsZero() {
		cr.CompletedAt = now
		if req.CompletedAt != nil {
			cr.CompletedAt = *req.CompletedAt
		}
	}
	if o := req.Output; o != nil {
		str(&cr.Title, o.Title)
		str(&cr.Summary, o.Summary)
		str(&cr.Text, o.Text)
		for _, a := range o.Annotations {
			an := Annotation{Path: *a.Path, StartLine: *a.StartLine, EndLine: *a.EndLine, Level: *a.AnnotationLevel, Message: *a.Message}
			if a.StartColumn != nil {
				an.StartColumn = *a.StartColumn
			}
			if a.EndColumn != nil {
				an.EndColumn = *a.EndColumn
			}
			str(&an.Title, a.Title)
			str(&an.RawDetails, a.RawDetails)
			cr.Annotations = append(cr.Annotations, an)
		}
	}
}

func (s *Server) handleCreateCheckRun(c *call) {
	if !s.mayChecks(c, true, docsCreateCheckRun) {
		return
	}
	var req checkRunRequest
	if err := json.NewDecoder(c.r.Body).Decode(&req); err != nil {
		writeError(c.w, http.StatusBadRequest, "Problems parsing JSON", docsCreateCheckRun)
		return
	}
	if !s.validateCheckRun(c, &req, true, docsCreateCheckRun) {
		return
	}
	cr := &CheckRun{ID: s.newIDLocked(), Status: "queued", StartedAt: time.Now().UTC().Truncate(time.Second)}
	cr.apply(&req, time.Now().UTC().Truncate(time.Second))
	c.repo.checkRuns = append(c.repo.checkRuns, cr)
	writeJSON(c.w, http.StatusCreated, s.checkRunJSON(c, cr))
}

func (s *Server) handleUpdateCheckRun(c *call) {
	if !s.mayChecks(c, true, docsUpdateCheckRun) {
		return
	}
	cr := s.findCheckRunLocked(c)
	if cr == nil {
		writeError(c.w, http.StatusNotFound, "Not Found", docsUpdateCheckRun)
		return
	}
	var req checkRunRequest
	if err := json.NewDecoder(c.r.Body).Decode(&req); err != nil {
		writeError(c.w, http.StatusBadRequest, "Problems parsing JSON", docsUpdateCheckRun)
		return
	}
	if !s.validateCheckRun(c, &req, false, docsUpdateCheckRun) {
		return
	}
	cr.apply(&req, time.Now().UTC().Truncate(time.Second))
	cr.Updates++
	writeJSON(c.w, http.StatusOK, s.checkRunJSON(c, cr))
}

func (s *Server) handleGetCheckRun(c *call) {
	if !s.mayChecks(c, false, docsUpdateCheckRun) {
		return
	}
	cr := s.findCheckRunLocked(c)
	if cr == nil {
		writeError(c.w, http.StatusNotFound, "Not Found", docsUpdateCheckRun)
		return
	}
	writeJSON(c.w, http.StatusOK, s.checkRunJSON(c, cr))
}

// handleListCheckRuns lists the check runs of a commit, newest first. With filter=latest (the
// default) only the newest run of each name is listed.
func (s *Server) handleListCheckRuns(c *call) {
	if !s.mayChecks(c, false, docsListCheckRuns) {
		return
	}
	q := c.r.URL.Query()
	ref := c.r.PathValue("ref")
	latest := q.Get("filter") != "all"
	seen := map[string]bool{}
	var runs []map[string]any
	for i := len(c.repo.checkRuns) - 1; i >= 0; i-- {
		cr := c.repo.checkRuns[i]
		switch {
		case cr.HeadSHA != ref,
			q.Get("check_name") != "" && cr.Name != q.Get("check_name"),
			q.Get("status") != "" && cr.Status != q.Get("status"),
			q.Get("app_id") != "" && q.Get("app_id") != strconv.FormatInt(s.app.id, 10),
			latest && seen[cr.Name]:
			continue
		}
		seen[cr.Name] = true
		runs = append(runs, s.checkRunJSON(c, cr))
	}
	total := len(runs)
	page := paginate(c.w, c.r, runs)
	if page == nil {
		page = []map[string]any{}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"total_count": total, "check_runs": page})
}

func (s *Server) findCheckRunLocked(c *call) *CheckRun {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil {
		return nil
	}
	for _, cr := range c.repo.checkRuns {
		if cr.ID == id {
			return cr
		}
	}
	return nil
}

func (s *Server) checkRunJSON(c *call, cr *CheckRun) map[string]any {
	url := fmt.Sprintf("%s/repos/%s/%s/check-runs/%d", c.base, c.repo.owner, c.repo.name, cr.ID)
	out := map[string]any{
		"id":          cr.ID,
		"name":        cr.Name,
		"head_sha":    cr.HeadSHA,
		"external_id": cr.ExternalID,
		"details_url": cr.DetailsURL,
		"url":         url,
		"html_url":    fmt.Sprintf("https://github.com/%s/%s/runs/%d", c.repo.owner, c.repo.name, cr.ID),
		"status":      cr.Status,
		"conclusion":  nil,
		"started_at":  cr.StartedAt.Format(time.RFC3339),
		"output": map[string]any{
			"title": cr.Title, "summary": cr.Summary, "text": cr.Text,
			"annotations_count": len(cr.Annotations), "annotations_url": url + "/annotations",
		},
		"app":           map[string]any{"id": s.app.id, "slug": s.app.slug},
		"pull_requests": []any{},
	}
	if cr.Conclusion != "" {
		out["conclusion"] = cr.Conclusion
	}
	if !cr.CompletedAt.IsZero() {
		out["completed_at"] = cr.CompletedAt.Format(time.RFC3339)
	}
	return out
}
