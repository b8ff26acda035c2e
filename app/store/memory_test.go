package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/app/store/storetest"
)

func TestLearnings(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		ctx := testContext(t)
		ls := open(t, ctx, databaseURL).Learnings()

		first := store.Learning{Repo: "Acme/Shop", Text: "errors are logged by the caller", Author: "alice", PRNumber: 7, CommentID: 11,
			SourceURL: "https://github.com/acme/shop/pull/7#issuecomment-11"}
		created, err := ls.Add(ctx, &first)
		if err != nil || !created {
			t.Fatalf("Add = %v, %v", created, err)
		}
		if !strings.HasPrefix(first.ID, "lrn_") || first.CreatedAt.IsZero() {
			t.Fatalf("Add did not fill id and time: %+v", first)
		}
		// The same comment again (a retried job) stores nothing new.
		again := store.Learning{Repo: "acme/shop", Text: "something else", Author: "alice", CommentID: 11}
		if created, err := ls.Add(ctx, &again); err != nil || created || again.ID != first.ID || again.Text != first.Text {
			t.Fatalf("Add of the same comment = %v, %v, %+v; want the first learning back", created, err, again)
		}
		second := store.Learning{Repo: "acme/shop", Text: "we target Go 1.26", Author: "bob"}
		if _, err := ls.Add(ctx, &second); err != nil {
			t.Fatal(err)
		}
		other := store.Learning{Repo: "acme/other", Text: "x", Author: "bob", CommentID: 11}
		if created, err := ls.Add(ctx, &other); err != nil || !created {
			t.Fatalf("the same comment id in another repository: %v, %v", created, err)
		}

		got, err := ls.List(ctx, store.LearningListOptions{Repo: "ACME/shop"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != second.ID || got[1].ID != first.ID {
			t.Fatalf("List = %v, want [%s %s] (newest first, any case)", learningIDs(got), second.ID, first.ID)
		}
		if got[1] != first {
			t.Errorf("listed %+v, stored %+v", got[1], first)
		}
		page, err := ls.List(ctx, store.LearningListOptions{Repo: "acme/shop", Limit: 1, After: second.ID})
		if err != nil || len(page) != 1 || page[0].ID != first.ID {
			t.Fatalf("page after %s = %v, %v", second.ID, learningIDs(page), err)
		}
		for _, after := range []string{"lrn_missing", other.ID} {
			if _, err := ls.List(ctx, store.LearningListOptions{Repo: "acme/shop", After: after}); !errors.Is(err, store.ErrBadCursor) {
				t.Errorf("after %s: %v, want ErrBadCursor", after, err)
			}
		}

		deleted, err := ls.Delete(ctx, first.ID)
		if err != nil || deleted.ID != first.ID {
			t.Fatalf("Delete = %+v, %v", deleted, err)
		}
		if _, err := ls.Delete(ctx, first.ID); !errors.Is(err, store.ErrLearningNotFound) {
			t.Errorf("second Delete: %v, want ErrLearningNotFound", err)
		}
		if _, err := ls.Get(ctx, first.ID); !errors.Is(err, store.ErrLearningNotFound) {
			t.Errorf("Get after Delete: %v", err)
		}
		if got, _ := ls.List(ctx, store.LearningListOptions{Repo: "acme/shop"}); len(got) != 1 {
			t.Errorf("after Delete, List has %d learnings", len(got))
		}
		for _, bad := range []store.Learning{{Repo: "acme/shop", Author: "a"}, {Text: "x", Author: "a"}, {Repo: "a/b", Text: " "}} {
			if _, err := ls.Add(ctx, &bad); err == nil {
				t.Errorf("Add(%+v) succeeded", bad)
			}
		}
	})
}

func TestLearningsLimit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		ctx := testContext(t)
		ls := open(t, ctx, databaseURL).Learnings()
		// Writers racing past the limit: exactly the limit is stored.
		var wg sync.WaitGroup
		errs := make(chan error, store.MaxLearningsPerRepo+20)
		for i := range store.MaxLearningsPerRepo + 20 {
			wg.Go(func() {
				_, err := ls.Add(ctx, &store.Learning{Repo: "o/r", Text: fmt.Sprint("rule ", i), Author: "a", CommentID: int64(i + 1)})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		full := 0
		for err := range errs {
			switch {
			case errors.Is(err, store.ErrTooManyLearnings):
				full++
			case err != nil:
				t.Fatal(err)
			}
		}
		got, err := ls.List(ctx, store.LearningListOptions{Repo: "o/r"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != store.MaxLearningsPerRepo || full != 20 {
			t.Errorf("%d stored and %d refused, want %d and 20", len(got), full, store.MaxLearningsPerRepo)
		}
	})
}

func learningIDs(ls []store.Learning) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

func TestDismissals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		ctx := testContext(t)
		ds := open(t, ctx, databaseURL).Dismissals()
		add := func(d store.Dismissal) {
			t.Helper()
			if err := ds.Add(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		add(store.Dismissal{Repo: "Acme/Shop", PR: 7, CommentID: 100, Reason: store.DismissResolved, Actor: "alice", Fingerprint: "aaaa"})
		add(store.Dismissal{Repo: "acme/shop", PR: 7, CommentID: 101, Reason: store.DismissIgnored, Actor: "bob", Fingerprint: "bbbb"})
		add(store.Dismissal{Repo: "acme/shop", PR: 8, CommentID: 102, Reason: store.DismissIgnored, Actor: "bob"})
		// Resolved again by someone else: one row, the latest actor.
		add(store.Dismissal{Repo: "acme/shop", PR: 7, CommentID: 100, Reason: store.DismissResolved, Actor: "carol", Fingerprint: "aaaa"})

		got, err := ds.List(ctx, "ACME/SHOP", 7)
		if err != nil {
			t.Fatal(err)
		}
		var summary []string
		for _, d := range got {
			summary = append(summary, fmt.Sprintf("%d %s %s %s", d.CommentID, d.Reason, d.Actor, d.Fingerprint))
			if d.CreatedAt.IsZero() || d.PR != 7 {
				t.Errorf("incomplete %+v", d)
			}
		}
		slices.Sort(summary)
		want := []string{"100 resolved carol aaaa", "101 ignored bob bbbb"}
		if !slices.Equal(summary, want) {
			t.Fatalf("List = %q, want %q", summary, want)
		}

		if removed, err := ds.Remove(ctx, "acme/shop", 7, 100, store.DismissResolved); err != nil || !removed {
			t.Fatalf("Remove = %v, %v", removed, err)
		}
		if removed, err := ds.Remove(ctx, "acme/shop", 7, 101, store.DismissResolved); err != nil || removed {
			t.Fatalf("Remove of another reason = %v, %v; want nothing removed", removed, err)
		}
		if got, _ := ds.List(ctx, "acme/shop", 7); len(got) != 1 || got[0].CommentID != 101 {
			t.Errorf("after Remove: %+v", got)
		}
		for _, bad := range []store.Dismissal{
			{Repo: "a/b", PR: 1, CommentID: 1, Reason: "thumbs", Actor: "x"},
			{Repo: "a/b", PR: 1, CommentID: 1, Reason: store.DismissIgnored},
			{Repo: "a/b", CommentID: 1, Reason: store.DismissIgnored, Actor: "x"},
		} {
			if err := ds.Add(ctx, bad); err == nil {
				t.Errorf("Add(%+v) succeeded", bad)
			}
		}
	})
}

func TestFeedbackRecord(t *testing.T) {
	storetest.Run(t, func(t *testing.T, databaseURL string) {
		ctx := testContext(t)
		fb := open(t, ctx, databaseURL).Feedback()
		c := func(id, review int64, plus, minus int) store.CommentFeedback {
			return store.CommentFeedback{Repo: "acme/shop", PR: 7, CommentID: id, ReviewID: review, Area: "security", Priority: 1, PlusOne: plus, MinusOne: minus}
		}
		steps := []struct {
			name string
			read []store.CommentFeedback
			want []string // "comment +plus -minus" of the growth
		}{
			{"first read counts everything", []store.CommentFeedback{c(1, 50, 2, 0), c(2, 50, 0, 1), c(3, 51, 0, 0)}, []string{"1 +2 -0", "2 +0 -1"}},
			{"same counts: nothing", []store.CommentFeedback{c(1, 50, 2, 0), c(2, 50, 0, 1), c(3, 51, 0, 0)}, nil},
			{"one more 👎", []store.CommentFeedback{c(1, 50, 2, 1), c(2, 50, 0, 1)}, []string{"1 +0 -1"}},
			{"a 👍 taken back", []store.CommentFeedback{c(1, 50, 1, 1)}, nil},
			{"and given again", []store.CommentFeedback{c(1, 50, 2, 1)}, []string{"1 +1 -0"}},
		}
		for _, st := range steps {
			grown, err := fb.Record(ctx, "Acme/Shop", 7, st.read)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			var got []string
			for _, g := range grown {
				got = append(got, fmt.Sprintf("%d +%d -%d", g.CommentID, g.PlusOne, g.MinusOne))
				if g.Area != "security" || g.Priority != 1 {
					t.Errorf("%s: growth lost the finding's area and priority: %+v", st.name, g)
				}
			}
			if !slices.Equal(got, st.want) {
				t.Errorf("%s: grown %q, want %q", st.name, got, st.want)
			}
		}
		got, err := fb.ForReviews(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].CommentID != 1 || got[0].PlusOne != 2 || got[0].MinusOne != 1 || got[1].MinusOne != 1 {
			t.Errorf("ForReviews(50) = %+v", got)
		}
		if got, _ := fb.ForReviews(ctx, 50, 51); len(got) != 3 {
			t.Errorf("ForReviews(50, 51) has %d comments, want 3", len(got))
		}
		if got, err := fb.ForReviews(ctx); err != nil || got != nil {
			t.Errorf("ForReviews() = %v, %v", got, err)
		}
	})
}
