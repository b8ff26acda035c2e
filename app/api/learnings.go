package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/codex-review/codex-review/app/store"
)

// Objects of the learnings routes.
const (
	objectLearning        = "codex.learning"
	objectLearningDeleted = "codex.learning.deleted"
)

// learningObject is a learning as the API shows it.
type learningObject struct {
	ID         string `json:"id"`
	Object     string `json:"object"`
	Repository string `json:"repository"`
	Text       string `json:"text"`
	Author     string `json:"author"`
	// SourceURL links to the comment that stored it; null when unknown.
	SourceURL *string `json:"source_url"`
	CreatedAt int64   `json:"created_at"`
}

type learningList struct {
	Object  string            `json:"object"`
	Data    []*learningObject `json:"data"`
	FirstID *string           `json:"first_id"`
	LastID  *string           `json:"last_id"`
	HasMore bool              `json:"has_more"`
}

type deletedLearning struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// learningsRoute matches the learnings routes.
func learningsRoute(path string) (route, string, bool) {
	rest, ok := strings.CutPrefix(path, learningsPath)
	switch {
	case !ok:
		return routeNone, "", false
	case rest == "" || rest == "/":
		return routeLearnings, "", true
	case strings.HasPrefix(rest, "/") && !strings.Contains(rest[1:], "/"):
		return routeLearning, rest[1:], true
	}
	return routeNone, "", false
}

// learningParams are the query parameters GET /v1/codex/learnings accepts.
var learningParams = map[string]bool{"repository": true, "limit": true, "after": true}

// Page sizes of GET /v1/codex/learnings: a repository keeps at most
// store.MaxLearningsPerRepo, so the default page usually holds them all.
const (
	defaultLearningsLimit = 100
	maxLearningsLimit     = 100
)

func (a *API) listLearnings(r *http.Request) (int, any, *problem) {
	q := r.URL.Query()
	for name, values := range q {
		if !learningParams[name] {
			return 0, nil, invalid(name, "unknown_parameter", fmt.Sprintf("Unknown query parameter %q: use repository, limit and after.", name))
		}
		if len(values) > 1 {
			return 0, nil, invalid(name, "invalid_value", fmt.Sprintf("%s is given %d times; give it once.", name, len(values)))
		}
	}
	repo := q.Get("repository")
	if repo == "" {
		return 0, nil, invalid("repository", "missing_required_parameter", "repository is required: the repository as owner/name, like acme/shop.")
	}
	if !validRepository(repo) {
		return 0, nil, invalid("repository", "invalid_value",
			fmt.Sprintf("repository %q is not a GitHub repository name: use owner/name, like acme/shop.", repo))
	}
	opt := store.LearningListOptions{Repo: repo, Limit: defaultLearningsLimit, After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLearningsLimit {
			return 0, nil, invalid("limit", "invalid_value", fmt.Sprintf("limit must be a whole number from 1 to %d, got %q.", maxLearningsLimit, l))
		}
		opt.Limit = n
	}
	// One more than asked tells whether another page follows.
	opt.Limit++
	ls, err := a.cfg.Learnings.List(r.Context(), opt)
	if errors.Is(err, store.ErrBadCursor) {
		return 0, nil, invalid("after", "invalid_cursor", fmt.Sprintf("after %q names no learning of %s: pass the last_id of the previous page.", opt.After, repo))
	}
	if err != nil {
		return 0, nil, serverProblem("list learnings", err)
	}
	out := learningList{Object: objectList, Data: []*learningObject{}}
	if len(ls) == opt.Limit {
		out.HasMore, ls = true, ls[:len(ls)-1]
	}
	for _, l := range ls {
		out.Data = append(out.Data, learningObjectOf(l))
	}
	if n := len(out.Data); n > 0 {
		out.FirstID, out.LastID = &out.Data[0].ID, &out.Data[n-1].ID
	}
	return http.StatusOK, out, nil
}

func (a *API) deleteLearning(ctx context.Context, id string) (int, any, *problem) {
	l, err := a.cfg.Learnings.Delete(ctx, id)
	if errors.Is(err, store.ErrLearningNotFound) {
		return 0, nil, newProblem(http.StatusNotFound, typeNotFound, "learning_not_found", "",
			fmt.Sprintf("No learning with id %q: list a repository's learnings with GET %s?repository=owner/name.", id, learningsPath))
	}
	if err != nil {
		return 0, nil, serverProblem("delete learning "+id, err)
	}
	return http.StatusOK, deletedLearning{ID: l.ID, Object: objectLearningDeleted, Deleted: true}, nil
}

func learningObjectOf(l store.Learning) *learningObject {
	o := &learningObject{ID: l.ID, Object: objectLearning, Repository: l.Repo, Text: l.Text, Author: l.Author, CreatedAt: l.CreatedAt.Unix()}
	if l.SourceURL != "" {
		o.SourceURL = &l.SourceURL
	}
	return o
}

// validRepository accepts "owner/name" as GitHub spells them: an owner of
// up to 39 letters, digits, hyphens (and underscores, which GitHub
// Enterprise Server allows) not starting with a hyphen; a name of up to
// 100 letters, digits, '.', '-' and '_' other than "." and "..".
func validRepository(s string) bool {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || len(owner) > 39 || owner[0] == '-' || name == "" || len(name) > 100 || name == "." || name == ".." {
		return false
	}
	for _, part := range []struct {
		s     string
		extra string
	}{{owner, "-_"}, {name, "-_."}} {
		for _, c := range []byte(part.s) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(part.extra, c) >= 0) {
				return false
			}
		}
	}
	return true
}
