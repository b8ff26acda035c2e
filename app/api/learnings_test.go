package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
)

type learningJSON struct {
	ID         string  `json:"id"`
	Object     string  `json:"object"`
	Repository string  `json:"repository"`
	Text       string  `json:"text"`
	Author     string  `json:"author"`
	SourceURL  *string `json:"source_url"`
	CreatedAt  int64   `json:"created_at"`
}

type learningListJSON struct {
	Object  string         `json:"object"`
	Data    []learningJSON `json:"data"`
	FirstID *string        `json:"first_id"`
	LastID  *string        `json:"last_id"`
	HasMore bool           `json:"has_more"`
}

func TestLearningsList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL)
		ctx := t.Context()
		var ids []string // oldest first
		for i, l := range []store.Learning{
			{Repo: "Acme/Shop", Text: "errors are logged by the caller", Author: "alice", PRNumber: 7, CommentID: 1,
				SourceURL: "https://github.com/Acme/Shop/pull/7#issuecomment-1"},
			{Repo: "acme/shop", Text: "we target Go 1.26", Author: "bob"},
			{Repo: "acme/shop", Text: "no ORMs", Author: "bob", CommentID: 3},
			{Repo: "acme/other", Text: "elsewhere", Author: "carol"},
		} {
			if _, err := e.learnings.Add(ctx, &l); err != nil {
				t.Fatalf("learning %d: %v", i, err)
			}
			ids = append(ids, l.ID)
		}

		a := e.do(t, http.MethodGet, "/v1/codex/learnings?repository=ACME/shop", keyOne, nil)
		if a.status != http.StatusOK {
			t.Fatalf("list answered %d: %s", a.status, a.body)
		}
		var list learningListJSON
		decode(t, a.body, &list)
		if list.Object != "list" || list.HasMore || len(list.Data) != 3 {
			t.Fatalf("list = %s", a.body)
		}
		if list.Data[0].ID != ids[2] || list.Data[2].ID != ids[0] || *list.FirstID != ids[2] || *list.LastID != ids[0] {
			t.Errorf("order %s, want newest first: %v", a.body, ids[:3])
		}
		oldest := list.Data[2]
		if oldest.Object != "codex.learning" || oldest.Repository != "Acme/Shop" || oldest.Author != "alice" ||
			oldest.Text != "errors are logged by the caller" || oldest.SourceURL == nil || oldest.CreatedAt == 0 {
			t.Errorf("learning %+v", oldest)
		}
		if list.Data[1].SourceURL != nil {
			t.Errorf("a learning without a source has source_url %q, want null", *list.Data[1].SourceURL)
		}

		// Pages.
		a = e.do(t, http.MethodGet, "/v1/codex/learnings?repository=acme/shop&limit=2", keyOne, nil)
		decode(t, a.body, &list)
		if !list.HasMore || len(list.Data) != 2 {
			t.Fatalf("first page: %s", a.body)
		}
		a = e.do(t, http.MethodGet, "/v1/codex/learnings?repository=acme/shop&limit=2&after="+*list.LastID, keyOne, nil)
		decode(t, a.body, &list)
		if list.HasMore || len(list.Data) != 1 || list.Data[0].ID != ids[0] {
			t.Fatalf("second page: %s", a.body)
		}

		// A repository without learnings.
		a = e.do(t, http.MethodGet, "/v1/codex/learnings?repository=acme/empty", keyOne, nil)
		decode(t, a.body, &list)
		if a.status != http.StatusOK || len(list.Data) != 0 || list.FirstID != nil || list.LastID != nil {
			t.Errorf("empty list: %d %s", a.status, a.body)
		}
	})
}

func TestLearningsErrors(t *testing.T) {
	e := newEnv(t, "")
	l := store.Learning{Repo: "acme/shop", Text: "x", Author: "alice"}
	if _, err := e.learnings.Add(t.Context(), &l); err != nil {
		t.Fatal(err)
	}
	other := store.Learning{Repo: "acme/other", Text: "y", Author: "alice"}
	if _, err := e.learnings.Add(t.Context(), &other); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, key string
		status                  int
		code, param             string
	}{
		{"no key", http.MethodGet, "/v1/codex/learnings?repository=acme/shop", "", 401, "missing_api_key", ""},
		{"wrong key", http.MethodGet, "/v1/codex/learnings?repository=acme/shop", "nope-nope-nope-nope", 401, "invalid_api_key", ""},
		{"no repository", http.MethodGet, "/v1/codex/learnings", keyOne, 400, "missing_required_parameter", "repository"},
		{"repository without owner", http.MethodGet, "/v1/codex/learnings?repository=shop", keyOne, 400, "invalid_value", "repository"},
		{"repository with a path", http.MethodGet, "/v1/codex/learnings?repository=" + url.QueryEscape("acme/shop/../x"), keyOne, 400, "invalid_value", "repository"},
		{"repository dot dot", http.MethodGet, "/v1/codex/learnings?repository=acme/..", keyOne, 400, "invalid_value", "repository"},
		{"repository with CRLF", http.MethodGet, "/v1/codex/learnings?repository=" + url.QueryEscape("acme/shop\r\nX: y"), keyOne, 400, "invalid_value", "repository"},
		{"repository twice", http.MethodGet, "/v1/codex/learnings?repository=acme/shop&repository=acme/other", keyOne, 400, "invalid_value", "repository"},
		{"unknown parameter", http.MethodGet, "/v1/codex/learnings?repository=acme/shop&repo=x", keyOne, 400, "unknown_parameter", "repo"},
		{"limit zero", http.MethodGet, "/v1/codex/learnings?repository=acme/shop&limit=0", keyOne, 400, "invalid_value", "limit"},
		{"limit too big", http.MethodGet, "/v1/codex/learnings?repository=acme/shop&limit=101", keyOne, 400, "invalid_value", "limit"},
		{"unknown cursor", http.MethodGet, "/v1/codex/learnings?repository=acme/shop&after=lrn_nope", keyOne, 400, "invalid_cursor", "after"},
		{"cursor of another repository", http.MethodGet, "/v1/codex/learnings?repository=acme/shop&after=" + other.ID, keyOne, 400, "invalid_cursor", "after"},
		{"post to the list", http.MethodPost, "/v1/codex/learnings", keyOne, 405, "method_not_allowed", ""},
		{"delete the list", http.MethodDelete, "/v1/codex/learnings?repository=acme/shop", keyOne, 405, "method_not_allowed", ""},
		{"get one", http.MethodGet, "/v1/codex/learnings/" + l.ID, keyOne, 405, "method_not_allowed", ""},
		{"delete unknown", http.MethodDelete, "/v1/codex/learnings/lrn_missing", keyOne, 404, "learning_not_found", ""},
		{"nested path", http.MethodDelete, "/v1/codex/learnings/" + l.ID + "/x", keyOne, 404, "unknown_route", ""},
		{"delete a review route", http.MethodDelete, "/v1/codex/reviews/rev_x", keyOne, 405, "method_not_allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.do(t, tt.method, tt.path, tt.key, nil)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			_, code, param := a.error(t)
			if code != tt.code || param != tt.param {
				t.Errorf("code %q param %q, want %q %q: %s", code, param, tt.code, tt.param, a.body)
			}
			if tt.status == 405 && a.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	// Nothing above deleted anything.
	got, err := e.learnings.List(t.Context(), store.LearningListOptions{Repo: "acme/shop"})
	if err != nil || len(got) != 1 {
		t.Fatalf("learnings after the errors: %v, %v", got, err)
	}
}

func TestLearningsDelete(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL)
		var ids []string
		for i := range 2 {
			l := store.Learning{Repo: "acme/shop", Text: fmt.Sprint("rule ", i), Author: "alice"}
			if _, err := e.learnings.Add(t.Context(), &l); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, l.ID)
		}
		a := e.do(t, http.MethodDelete, "/v1/codex/learnings/"+ids[0], keyTwo, nil)
		if a.status != http.StatusOK {
			t.Fatalf("delete answered %d: %s", a.status, a.body)
		}
		var del struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Deleted bool   `json:"deleted"`
		}
		decode(t, a.body, &del)
		if del.ID != ids[0] || del.Object != "codex.learning.deleted" || !del.Deleted {
			t.Errorf("delete answered %s", a.body)
		}
		if a := e.do(t, http.MethodDelete, "/v1/codex/learnings/"+ids[0], keyOne, nil); a.status != http.StatusNotFound {
			t.Errorf("second delete answered %d", a.status)
		}
		var list learningListJSON
		decode(t, e.do(t, http.MethodGet, "/v1/codex/learnings?repository=acme/shop", keyOne, nil).body, &list)
		if len(list.Data) != 1 || list.Data[0].ID != ids[1] {
			t.Errorf("after delete: %+v", list.Data)
		}
	})
}

func TestLearningsAPIOff(t *testing.T) {
	off := newEnv(t, "", []string{}...)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/v1/codex/learnings?repository=acme/shop"},
		{http.MethodDelete, "/v1/codex/learnings/lrn_x"},
	} {
		a := off.do(t, r.method, r.path, keyOne, nil)
		if _, code, _ := a.error(t); a.status != http.StatusNotFound || code != "api_disabled" {
			t.Errorf("%s %s with the API off answered %d %s", r.method, r.path, a.status, code)
		}
	}
}
