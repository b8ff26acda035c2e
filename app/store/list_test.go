package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
)

func TestListPagesAndFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		ctx := testContext(t)
		reviews := open(t, ctx, databaseURL).Reviews()
		prA, prB := "https://github.com/o/r/pull/1", "https://github.com/o/r/pull/2"
		var created []string // oldest first
		for i, u := range []string{prA, prB, prA, prA, prB} {
			r := store.Review{Repo: "o/r", PRNumber: i%2 + 1, PullRequestURL: u}
			if err := reviews.Create(ctx, &r); err != nil {
				t.Fatalf("Create: %v", err)
			}
			created = append(created, r.ID)
		}
		if err := reviews.Fail(ctx, created[2], "model_quota", "quota used up"); err != nil {
			t.Fatalf("Fail: %v", err)
		}
		newest := slices.Clone(created)
		slices.Reverse(newest)

		tests := []struct {
			name string
			opt  store.ListOptions
			want []string
		}{
			{"all", store.ListOptions{Limit: 10}, newest},
			{"limit", store.ListOptions{Limit: 2}, newest[:2]},
			{"after", store.ListOptions{Limit: 2, After: newest[1]}, newest[2:4]},
			{"last page", store.ListOptions{Limit: 2, After: newest[3]}, newest[4:]},
			{"by pull request", store.ListOptions{Limit: 10, PullRequestURL: prA}, []string{created[3], created[2], created[0]}},
			{"by status", store.ListOptions{Limit: 10, Status: store.StatusFailed}, []string{created[2]}},
			{"pull request and after", store.ListOptions{Limit: 10, PullRequestURL: prA, After: created[3]}, []string{created[2], created[0]}},
		}
		for _, tt := range tests {
			got, err := reviews.List(ctx, tt.opt)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, ids(got), tt.want)
			}
		}
		if _, err := reviews.List(ctx, store.ListOptions{Limit: 1, After: "rev_gone"}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("unknown cursor: error %v, want ErrBadCursor", err)
		}
		if _, err := reviews.List(ctx, store.ListOptions{}); err == nil {
			t.Error("zero limit: no error")
		}
	})
}

func TestFailJobIDAndPrune(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		ctx := testContext(t)
		reviews := open(t, ctx, databaseURL).Reviews()
		mk := func() store.Review {
			r := store.Review{Repo: "o/r", PRNumber: 1, PullRequestURL: "https://github.com/o/r/pull/1"}
			if err := reviews.Create(ctx, &r); err != nil {
				t.Fatalf("Create: %v", err)
			}
			return r
		}
		queued, failed, done := mk(), mk(), mk()
		if err := reviews.SetJobID(ctx, queued.ID, 42); err != nil {
			t.Fatalf("SetJobID: %v", err)
		}
		if err := reviews.SetJobID(ctx, "rev_missing", 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetJobID of an unknown review: %v", err)
		}
		if err := reviews.Fail(ctx, failed.ID, "github_error", "GitHub answered 404"); err != nil {
			t.Fatalf("Fail: %v", err)
		}
		if err := reviews.Fail(ctx, failed.ID, "again", "again"); !errors.Is(err, store.ErrFinished) {
			t.Errorf("Fail twice: %v, want ErrFinished", err)
		}
		if err := reviews.SetResult(ctx, done.ID, []byte(`{}`)); err != nil {
			t.Fatalf("SetResult: %v", err)
		}
		got, err := reviews.Get(ctx, queued.ID)
		if err != nil || got.JobID != 42 {
			t.Fatalf("job id = %d, %v; want 42", got.JobID, err)
		}
		got, _ = reviews.Get(ctx, failed.ID)
		if got.Status != store.StatusFailed || got.ErrorCode != "github_error" || got.Error != "GitHub answered 404" {
			t.Fatalf("failed review = %+v", got)
		}

		// A cutoff in the past keeps everything; one in the future removes
		// the finished reviews and keeps the queued one.
		if n, err := reviews.Prune(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("Prune(past) = %d, %v; want 0", n, err)
		}
		if n, err := reviews.Prune(ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
			t.Fatalf("Prune(future) = %d, %v; want 2", n, err)
		}
		left, err := reviews.List(ctx, store.ListOptions{Limit: 10})
		if err != nil || !slices.Equal(ids(left), []string{queued.ID}) {
			t.Fatalf("after Prune: %v, %v; want only %s", ids(left), err, queued.ID)
		}
	})
}
