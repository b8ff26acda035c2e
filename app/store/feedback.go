package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CommentFeedback is what people said with reactions on one of the app's
// review comments, as last read from GitHub.
type CommentFeedback struct {
	// Repo is "owner/name" (any case).
	Repo      string
	PR        int
	CommentID int64
	// ReviewID is the GitHub review the comment belongs to.
	ReviewID int64
	// Area and Priority are the finding's, from the comment.
	Area     string
	Priority int
	// PlusOne and MinusOne are the comment's 👍 and 👎 counts.
	PlusOne, MinusOne int
}

// Feedback reads and writes the comment_feedback table.
type Feedback struct{ db *DB }

// Feedback returns the accessors of the comment_feedback table.
func (db *DB) Feedback() *Feedback { return &Feedback{db: db} }

// Record stores the counts just read for comments of one pull request and
// returns, for each comment whose counts grew since they were last
// recorded, by how much (a comment seen for the first time grows from
// zero). Counts that fell (a reaction taken back) are stored without a
// delta, so every reaction added is counted once however often the
// comments are read, and by whichever replica reads them.
func (s *Feedback) Record(ctx context.Context, repo string, pr int, fs []CommentFeedback) (grown []CommentFeedback, err error) {
	if len(fs) == 0 {
		return nil, nil
	}
	key := RepoKey(repo)
	tx, err := s.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("record feedback on %s#%d: begin: %w", repo, pr, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	// SQLite transactions here take the write lock when they begin
	// (_txlock=immediate); on Postgres the rows read are locked until
	// commit, so two replicas cannot count the same growth twice.
	q := `SELECT comment_id, plus_one, minus_one FROM comment_feedback WHERE repo_key = ? AND pr_number = ?`
	if s.db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := tx.QueryContext(ctx, s.db.rebind(q), key, pr)
	if err != nil {
		return nil, fmt.Errorf("record feedback on %s#%d: read: %w", repo, pr, err)
	}
	type counts struct{ plus, minus int }
	last := map[int64]counts{}
	for rows.Next() {
		var id int64
		var c counts
		if err := rows.Scan(&id, &c.plus, &c.minus); err != nil {
			rows.Close()
			return nil, fmt.Errorf("record feedback on %s#%d: read: %w", repo, pr, err)
		}
		last[id] = c
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("record feedback on %s#%d: read: %w", repo, pr, err)
	}
	upsert := s.db.rebind(`INSERT INTO comment_feedback
		(repo_key, comment_id, pr_number, review_id, area, priority, plus_one, minus_one, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo_key, comment_id) DO UPDATE SET
			review_id = excluded.review_id, area = excluded.area, priority = excluded.priority,
			plus_one = excluded.plus_one, minus_one = excluded.minus_one, updated_at = excluded.updated_at`)
	now := s.db.timeArg(time.Now())
	for _, f := range fs {
		prev, seen := last[f.CommentID]
		if seen && prev.plus == f.PlusOne && prev.minus == f.MinusOne {
			continue
		}
		if _, err := tx.ExecContext(ctx, upsert, key, f.CommentID, pr, f.ReviewID, f.Area, f.Priority, f.PlusOne, f.MinusOne, now); err != nil {
			return nil, fmt.Errorf("record feedback on %s#%d: comment %d: %w", repo, pr, f.CommentID, err)
		}
		d := f
		d.PlusOne, d.MinusOne = max(0, f.PlusOne-prev.plus), max(0, f.MinusOne-prev.minus)
		if d.PlusOne > 0 || d.MinusOne > 0 {
			grown = append(grown, d)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("record feedback on %s#%d: commit: %w", repo, pr, err)
	}
	return grown, nil
}

// ForReviews returns the feedback last recorded on the comments of the
// given GitHub reviews.
func (s *Feedback) ForReviews(ctx context.Context, reviewIDs ...int64) ([]CommentFeedback, error) {
	if len(reviewIDs) == 0 {
		return nil, nil
	}
	q := `SELECT repo_key, pr_number, comment_id, review_id, area, priority, plus_one, minus_one FROM comment_feedback WHERE review_id IN (?`
	args := []any{reviewIDs[0]}
	for _, id := range reviewIDs[1:] {
		q += `, ?`
		args = append(args, id)
	}
	q += `) ORDER BY comment_id`
	rows, err := s.db.sql.QueryContext(ctx, s.db.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read feedback of reviews %v: %w", reviewIDs, err)
	}
	defer rows.Close()
	var out []CommentFeedback
	for rows.Next() {
		var f CommentFeedback
		if err := rows.Scan(&f.Repo, &f.PR, &f.CommentID, &f.ReviewID, &f.Area, &f.Priority, &f.PlusOne, &f.MinusOne); err != nil {
			return nil, fmt.Errorf("read feedback of reviews %v: %w", reviewIDs, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read feedback of reviews %v: %w", reviewIDs, err)
	}
	return out, nil
}
