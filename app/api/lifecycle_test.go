package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v66/github"

	"github.com/codex-review/codex-review/app/api"
	"github.com/codex-review/codex-review/app/apptest"
	"github.com/codex-review/codex-review/app/job"
	"github.com/codex-review/codex-review/app/queue"
	"github.com/codex-review/codex-review/app/reviewer"
	"github.com/codex-review/codex-review/app/store/storetest"
	"github.com/codex-review/codex-review/review"
	"github.com/codex-review/codex-review/review/finding"
	"github.com/codex-review/codex-review/review/model"
)

func (e *env) create(t *testing.T, url string) string {
	t.Helper()
	a := e.post(t, `{"pull_request_url": "`+url+`", "focus_areas": ["security"]}`)
	if a.status != http.StatusAccepted {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	return a.review(t).ID
}

func (e *env) get(t *testing.T, id string) reviewJSON {
	t.Helper()
	a := e.do(t, http.MethodGet, "/v1/codex/reviews/"+id, keyOne, nil)
	if a.status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, a.status, a.body)
	}
	return a.review(t)
}

func TestLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL)
		ctx := t.Context()
		tr := api.Tracker{Reviews: e.reviews}
		done, failed, cancelled := e.create(t, prURL), e.create(t, prURL), e.create(t, prURL)

		if r := e.get(t, done); r.Status != "queued" || r.Findings != nil {
			t.Fatalf("new review: %+v", r)
		}
		if err := tr.Start(ctx, done); err != nil {
			t.Fatalf("Start: %v", err)
		}
		if r := e.get(t, done); r.Status != "running" {
			t.Fatalf("started review: %+v", r)
		}
		res := &review.Result{
			Verdict:  review.Verdict{Correctness: finding.CorrectnessBad, Explanation: "x", Confidence: 0.8},
			Findings: []review.Reviewed{{Finding: apptest.Injection(14)}},
			Usage:    finding.Usage{Model: "m", PromptTokens: 10, CachedPromptTokens: 4, CompletionTokens: 2, Calls: 1, DurationMS: 7},
		}
		if err := tr.Complete(ctx, done, reviewer.Report{Result: res, HeadSHA: head, ReviewURL: "https://github.com/acme/shop/pull/7#pullrequestreview-1"}); err != nil {
			t.Fatalf("Complete: %v", err)
		}
		r := e.get(t, done)
		if r.Status != "completed" || len(r.Findings) != 1 || r.Findings[0].Title != "[P1] SQL injection in Find" ||
			r.ReviewURL == nil || r.HeadSHA != head || r.Usage == nil || r.Usage.CachedPromptTokens != 4 {
			t.Fatalf("completed review: %+v", r)
		}

		if err := tr.Fail(ctx, failed, &model.Error{Kind: model.KindQuota, Message: "insufficient_quota"}); err != nil {
			t.Fatalf("Fail: %v", err)
		}
		r = e.get(t, failed)
		if r.Status != "failed" || r.Error == nil || r.Error.Code != "model_quota" || !strings.Contains(r.Error.Message, "quota") {
			t.Fatalf("failed review: %+v", r)
		}

		// Cancel: queued → cancelled, its job cancelled; then 409.
		a := e.do(t, http.MethodPost, "/v1/codex/reviews/"+cancelled+"/cancel", keyOne, nil)
		if a.status != http.StatusOK || a.review(t).Status != "cancelled" {
			t.Fatalf("cancel: %d %s", a.status, a.body)
		}
		if len(e.queue.cancelled) != 1 || e.queue.cancelled[0] != 3 {
			t.Errorf("jobs cancelled: %v, want [3]", e.queue.cancelled)
		}
		if err := tr.Start(ctx, cancelled); !errors.Is(err, reviewer.ErrNotWanted) {
			t.Errorf("Start of a cancelled review: %v", err)
		}
		if err := tr.Complete(ctx, cancelled, reviewer.Report{Result: res, HeadSHA: head}); err != nil {
			t.Errorf("Complete after cancel: %v", err)
		}
		if err := tr.Fail(ctx, cancelled, errors.New("boom")); !errors.Is(err, reviewer.ErrNotWanted) {
			t.Errorf("Fail of a cancelled review: %v, want ErrNotWanted", err)
		}
		if r := e.get(t, cancelled); r.Status != "cancelled" {
			t.Errorf("a late result or failure overwrote the cancellation: %+v", r)
		}
		for _, id := range []string{cancelled, done, failed} {
			a := e.do(t, http.MethodPost, "/v1/codex/reviews/"+id+"/cancel", keyOne, nil)
			if _, code, _ := a.error(t); a.status != http.StatusConflict || code != "review_finished" {
				t.Errorf("cancel of finished %s: %d %s", id, a.status, a.body)
			}
		}
		if a := e.do(t, http.MethodPost, "/v1/codex/reviews/rev_missing/cancel", keyOne, nil); a.status != http.StatusNotFound {
			t.Errorf("cancel unknown: %d", a.status)
		}

		// Listing: newest first, filters, pages.
		other := e.create(t, "https://github.com/acme/shop/pull/8")
		newest := []string{other, cancelled, failed, done}
		listTests := []struct {
			query string
			want  []string
			more  bool
		}{
			{"", newest, false},
			{"?limit=2", newest[:2], true},
			{"?limit=2&after=" + newest[1], newest[2:], false},
			{"?limit=3&after=" + newest[0], newest[1:], false},
			{"?pull_request_url=" + prURL, newest[1:], false},
			{"?pull_request_url=https://github.com/ACME/shop/pull/8", newest[:1], false},
			{"?status=failed", []string{failed}, false},
			{"?status=running", nil, false},
		}
		for _, tt := range listTests {
			a := e.do(t, http.MethodGet, "/v1/codex/reviews"+tt.query, keyOne, nil)
			var l struct {
				Data    []reviewJSON `json:"data"`
				HasMore bool         `json:"has_more"`
				LastID  *string      `json:"last_id"`
			}
			if a.status != http.StatusOK {
				t.Fatalf("list %q: %d %s", tt.query, a.status, a.body)
			}
			decode(t, a.body, &l)
			var got []string
			for _, r := range l.Data {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tt.want) || l.HasMore != tt.more {
				t.Errorf("list %q = %v more %v; want %v more %v", tt.query, got, l.HasMore, tt.want, tt.more)
			}
			if len(got) > 0 && (l.LastID == nil || *l.LastID != got[len(got)-1]) {
				t.Errorf("list %q: last_id %v", tt.query, l.LastID)
			}
		}
		listErrors := []struct{ query, param string }{
			{"?status=paused", "status"},
			{"?limit=0", "limit"},
			{"?limit=101", "limit"},
			{"?limit=ten", "limit"},
			{"?after=rev_gone", "after"},
			{"?pull_request_url=https://github.com/acme/shop", "pull_request_url"},
			{"?pr=7", "pr"},
		}
		for _, tt := range listErrors {
			a := e.do(t, http.MethodGet, "/v1/codex/reviews"+tt.query, keyOne, nil)
			if _, _, param := a.error(t); a.status != http.StatusBadRequest || param != tt.param {
				t.Errorf("list %q: %d %s, want 400 with param %s", tt.query, a.status, a.body, tt.param)
			}
		}
	})
}

func TestUpgradeLegacyJob(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL)
		tr := api.Tracker{Reviews: e.reviews}
		a := e.post(t, `{"pull_request_url": "`+prURL+`", "post_review": false, "sandbox_config": {"tests": true, "command": "make test", "timeout_seconds": 90}}`)
		if a.status != http.StatusAccepted {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		id := a.review(t).ID
		// The job as the previous version queued it: the settings were
		// only in the review's row.
		legacy := func(id string) job.Job {
			var j job.Job
			raw := `{"repo": "acme/shop", "installation": 99, "pr": 7, "head_sha": "` + head + `", "request_key": "api:` + id + `", "trigger": "api", "review_id": "` + id + `", "areas": ["bugs"]}`
			if err := json.Unmarshal([]byte(raw), &j); err != nil {
				t.Fatal(err)
			}
			return j
		}
		j := legacy(id)
		if !j.LegacyAPI || j.Source != job.API {
			t.Fatalf("legacy job decoded as %+v", j)
		}
		got, err := tr.Upgrade(t.Context(), j)
		if err != nil {
			t.Fatal(err)
		}
		if got.LegacyAPI || got.Post || got.Sandbox == nil || !got.Sandbox.Tests || got.Sandbox.Command != "make test" || got.Sandbox.Timeout != 90*time.Second {
			t.Errorf("upgraded job %+v (%+v)", got, got.Sandbox)
		}
		// A job whose review is gone may not post.
		if got, err := tr.Upgrade(t.Context(), legacy("rev_gone")); err != nil || got.Post || got.LegacyAPI {
			t.Errorf("upgraded job of a missing review: %+v, %v", got, err)
		}
		// A current job is left as it is.
		current := got
		current.Post = true
		if again, err := tr.Upgrade(t.Context(), current); err != nil || !reflect.DeepEqual(again, current) {
			t.Errorf("Upgrade changed a current job: %+v, %v", again, err)
		}
	})
}

func TestRetention(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL)
		tr := api.Tracker{Reviews: e.reviews}
		old, waiting := e.create(t, prURL), e.create(t, prURL)
		if err := tr.Fail(t.Context(), old, errors.New("boom")); err != nil {
			t.Fatal(err)
		}
		// Pruning counts from the database's own timestamps; a clock past
		// the retention makes every finished review old.
		e.clock.Add(api.DefaultRetention + 2*time.Hour)
		e.create(t, prURL)
		if a := e.do(t, http.MethodGet, "/v1/codex/reviews/"+old, keyOne, nil); a.status != http.StatusNotFound {
			t.Errorf("an expired review is still there: %d %s", a.status, a.body)
		}
		if r := e.get(t, waiting); r.Status != "queued" {
			t.Errorf("an unfinished review was pruned: %+v", r)
		}
	})
}

func TestFailureMessages(t *testing.T) {
	notFound := &github.ErrorResponse{Response: &http.Response{StatusCode: 404}, Message: "Not Found"}
	tests := []struct {
		err         error
		code, words string
	}{
		{&model.Error{Kind: model.KindAuth, Message: "bad key"}, "model_auth", "OPENAI_API_KEY"},
		{fmt.Errorf("pass: %w", &model.Error{Kind: model.KindRateLimited, Message: "slow down"}), "model_rate_limited", "few minutes"},
		{&model.Error{Kind: model.KindNotFound, Message: "no model"}, "model_not_found", "CODEX_MODEL"},
		{fmt.Errorf("list files: %w", notFound), "github_error", "installed"},
		{queue.ErrInterrupted, "interrupted", "again"},
		{context.DeadlineExceeded, "review_failed", "again"},
	}
	for _, tt := range tests {
		e := newEnv(t, "")
		id := e.create(t, prURL)
		if err := (api.Tracker{Reviews: e.reviews}).Fail(t.Context(), id, tt.err); err != nil {
			t.Fatal(err)
		}
		r := e.get(t, id)
		if r.Error == nil || r.Error.Code != tt.code || !strings.Contains(r.Error.Message, tt.words) {
			t.Errorf("%v: error %+v, want code %s mentioning %q", tt.err, r.Error, tt.code, tt.words)
		}
	}
}

func TestGitHubResolver(t *testing.T) {
	w := apptest.New(t)
	w.AddStandardPR(nil)
	res := api.GitHubResolver{Clients: w.Clients}
	got, err := res.Resolve(t.Context(), apptest.Owner, apptest.Repo, 7)
	if err != nil || got.HeadSHA != apptest.HeadSHA || got.BaseSHA != apptest.BaseSHA || got.Installation != apptest.Installation {
		t.Fatalf("Resolve = %+v, %v", got, err)
	}
	if _, err := res.Resolve(t.Context(), apptest.Owner, apptest.Repo, 70); !errors.Is(err, api.ErrPullRequestNotFound) {
		t.Errorf("missing PR: %v", err)
	}
	if _, err := res.Resolve(t.Context(), "someone", "else", 1); !errors.Is(err, api.ErrNotInstalled) {
		t.Errorf("repository without the app: %v", err)
	}
}
