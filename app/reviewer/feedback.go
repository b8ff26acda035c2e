package reviewer

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/codex-review/codex-review/app/publish"
	"github.com/codex-review/codex-review/app/pull"
	"github.com/codex-review/codex-review/app/store"
	"github.com/codex-review/codex-review/review/dismiss"
	"github.com/codex-review/codex-review/review/render"
)

// readFeedback reads what people said about the app's earlier comments on
// the pull request, before a review:
//
//   - the 👍 and 👎 counts GitHub keeps on each of the app's inline
//     comments, stored so that what grew since the last read is counted
//     once in the feedback metrics;
//   - the findings dismissed since: a comment with a 👎 from someone with
//     write access (GitHub sends no webhook for reactions, so they are
//     read here, and only comments with a 👎 need the second call that
//     says who reacted), and the resolved threads and "@codex ignore"
//     recorded as they happened, kept only when whoever did it has write
//     access now.
//
// It returns the dismissed findings for the engine. Without a Memory it
// reads nothing. reviews are the app's reviews of the pull request: when
// none of them posted a finding, the app has no comment to react to, and
// the review comments are not read (one API call less on most reviews).
func (t *task) readFeedback(ctx context.Context, reviews []publish.AppReview) ([]dismiss.Entry, error) {
	if t.w.Memory == nil {
		return nil, nil
	}
	log := zerolog.Ctx(ctx)
	var comments []pull.ReviewComment
	if postedFindings(reviews) {
		var err error
		comments, err = t.pr.ReviewComments(ctx)
		if err != nil {
			return nil, classify(fmt.Errorf("read the pull request's review comments: %w", err))
		}
	}
	type posted struct {
		c pull.ReviewComment
		p render.Posted
	}
	mine := map[int64]posted{}
	var counts []store.CommentFeedback
	var downvoted []int64
	for _, c := range comments {
		if c.InReplyTo != 0 || !t.pr.IsBot(c.User) {
			continue
		}
		p, ok := render.ParsePosted(c.Body)
		if !ok {
			continue
		}
		mine[c.ID] = posted{c, p}
		counts = append(counts, store.CommentFeedback{Repo: t.j.Repo, PR: t.j.PR, CommentID: c.ID, ReviewID: c.ReviewID,
			Area: string(p.Area), Priority: int(p.Priority), PlusOne: c.PlusOne, MinusOne: c.MinusOne})
		if c.MinusOne > 0 {
			downvoted = append(downvoted, c.ID)
		}
	}

	grown, err := t.w.Memory.RecordFeedback(ctx, t.j.Repo, t.j.PR, counts)
	if err != nil {
		// The counts are read again next time; the review goes on.
		log.Warn().Err(err).Msg("could not record the feedback on earlier comments")
	}
	if t.w.Feedback != nil {
		for _, g := range grown {
			p := mine[g.CommentID].p
			t.w.Feedback(p.Area, p.Priority, "+1", g.PlusOne)
			t.w.Feedback(p.Area, p.Priority, "-1", g.MinusOne)
		}
	}

	var entries []dismiss.Entry
	seen := map[int64]bool{}
	add := func(id int64, fingerprint string) {
		if seen[id] {
			return
		}
		seen[id] = true
		e := dismiss.Entry{Fingerprint: fingerprint}
		if m, ok := mine[id]; ok {
			e = dismiss.Entry{Fingerprint: m.p.Fingerprint, Path: m.c.Path, Line: m.c.Line, Title: m.p.Title, Category: string(m.p.Area), Priority: m.p.Priority}
		}
		entries = append(entries, e)
	}
	for _, id := range downvoted {
		users, err := t.pr.Reactors(ctx, id, "-1")
		if err != nil {
			return nil, classify(err)
		}
		for _, u := range users {
			w, err := t.isWriter(ctx, u)
			if err != nil {
				return nil, err
			}
			if w {
				add(id, mine[id].p.Fingerprint)
				break
			}
		}
	}
	stored, err := t.w.Memory.Dismissals(ctx, t.j.Repo, t.j.PR)
	if err != nil {
		return nil, fmt.Errorf("read the pull request's dismissed findings: %w", err)
	}
	for _, d := range stored {
		w, err := t.isWriter(ctx, d.Actor)
		if err != nil {
			return nil, err
		}
		if !w {
			log.Info().Str("user", d.Actor).Int64("comment", d.CommentID).Str("reason", string(d.Reason)).Msg("dismissal not applied: no write access")
			continue
		}
		add(d.CommentID, d.Fingerprint)
	}
	if len(entries) > 0 {
		log.Info().Int("dismissed", len(entries)).Msg("findings dismissed on this pull request")
	}
	return entries, nil
}

// postedFindings reports whether the app's reviews may have posted a
// finding, and so an inline comment people reacted to. Every finding a
// review posts (inline or in the summary) has its fingerprint in that
// review's state marker, so a pull request whose app reviews all carry a
// marker without fingerprints has none; a review without a readable
// marker might have some.
func postedFindings(reviews []publish.AppReview) bool {
	for _, r := range reviews {
		if !r.HasState || len(r.State.Fingerprints) > 0 {
			return true
		}
	}
	return false
}

// isWriter reports whether user has write access to the repository,
// asking GitHub once per user and job. The app itself never dismisses.
func (t *task) isWriter(ctx context.Context, user string) (bool, error) {
	if user == "" || t.pr.IsBot(user) {
		return false, nil
	}
	if w, ok := t.writers[user]; ok {
		return w, nil
	}
	perm, err := t.permission(ctx, user)
	if err != nil {
		return false, classify(err)
	}
	w := writes(perm)
	if t.writers == nil {
		t.writers = map[string]bool{}
	}
	t.writers[user] = w
	return w, nil
}
