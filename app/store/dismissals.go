package store

import (
	"context"
	"fmt"
	"time"
)

// DismissReason says how a finding was dismissed. A 👎 dismisses too, but
// GitHub sends no webhook for reactions: the app reads them from the
// comments at each review instead of storing them.
type DismissReason string

// The reasons stored.
const (
	// DismissResolved: the finding's thread was resolved while its lines
	// were unchanged.
	DismissResolved DismissReason = "resolved"
	// DismissIgnored: a writer replied "@codex ignore" in the thread.
	DismissIgnored DismissReason = "ignored"
)

// Valid reports whether r is one of the reasons above.
func (r DismissReason) Valid() bool { return r == DismissResolved || r == DismissIgnored }

// Dismissal records that a finding the app posted on a pull request must
// not be posted there again.
type Dismissal struct {
	// Repo is "owner/name" (any case).
	Repo string
	PR   int
	// CommentID is the app's review comment that carried the finding (the
	// first comment of the thread).
	CommentID int64
	Reason    DismissReason
	// Actor is the login of whoever resolved the thread or replied. Whether
	// they may dismiss is checked when the dismissal is used, with the
	// permission they have then.
	Actor string
	// Fingerprint is the finding's fingerprint as its comment carried it,
	// kept in case the comment is deleted later.
	Fingerprint string
	CreatedAt   time.Time
}

// Dismissals reads and writes the dismissals table.
type Dismissals struct{ db *DB }

// Dismissals returns the accessors of the dismissals table.
func (db *DB) Dismissals() *Dismissals { return &Dismissals{db: db} }

// Add records d. Recording the same comment for the same reason again (a
// redelivered webhook, a thread resolved a second time) updates the actor,
// fingerprint and time.
func (s *Dismissals) Add(ctx context.Context, d Dismissal) error {
	if d.Repo == "" || d.PR <= 0 || d.CommentID == 0 || !d.Reason.Valid() || d.Actor == "" {
		return fmt.Errorf("add dismissal: incomplete %+v", d)
	}
	q := s.db.rebind(`INSERT INTO dismissals (repo_key, pr_number, comment_id, reason, actor, fingerprint, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo_key, pr_number, comment_id, reason)
		DO UPDATE SET actor = excluded.actor, fingerprint = excluded.fingerprint, created_at = excluded.created_at`)
	_, err := s.db.sql.ExecContext(ctx, q, RepoKey(d.Repo), d.PR, d.CommentID, string(d.Reason), d.Actor, d.Fingerprint, s.db.timeArg(time.Now()))
	if err != nil {
		return fmt.Errorf("add dismissal of comment %d on %s#%d: %w", d.CommentID, d.Repo, d.PR, err)
	}
	return nil
}

// Remove deletes the dismissal of a comment for a reason (a thread
// unresolved) and reports whether there was one.
func (s *Dismissals) Remove(ctx context.Context, repo string, pr int, commentID int64, reason DismissReason) (bool, error) {
	q := s.db.rebind(`DELETE FROM dismissals WHERE repo_key = ? AND pr_number = ? AND comment_id = ? AND reason = ?`)
	res, err := s.db.sql.ExecContext(ctx, q, RepoKey(repo), pr, commentID, string(reason))
	if err != nil {
		return false, fmt.Errorf("remove dismissal of comment %d on %s#%d: %w", commentID, repo, pr, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("remove dismissal of comment %d on %s#%d: %w", commentID, repo, pr, err)
	}
	return n > 0, nil
}

// maxDismissalsListed bounds what List reads for one pull request; the
// app posts at most a few hundred comments on one.
const maxDismissalsListed = 5000

// List returns the dismissals recorded for a pull request, oldest first.
func (s *Dismissals) List(ctx context.Context, repo string, pr int) ([]Dismissal, error) {
	q := s.db.rebind(`SELECT comment_id, reason, actor, fingerprint, created_at FROM dismissals
		WHERE repo_key = ? AND pr_number = ? ORDER BY created_at, comment_id, reason LIMIT ?`)
	rows, err := s.db.sql.QueryContext(ctx, q, RepoKey(repo), pr, maxDismissalsListed)
	if err != nil {
		return nil, fmt.Errorf("list dismissals of %s#%d: %w", repo, pr, err)
	}
	defer rows.Close()
	var out []Dismissal
	for rows.Next() {
		d := Dismissal{Repo: repo, PR: pr}
		var reason string
		if err := rows.Scan(&d.CommentID, &reason, &d.Actor, &d.Fingerprint, dbTime{&d.CreatedAt}); err != nil {
			return nil, fmt.Errorf("list dismissals of %s#%d: %w", repo, pr, err)
		}
		d.Reason = DismissReason(reason)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list dismissals of %s#%d: %w", repo, pr, err)
	}
	return out, nil
}
