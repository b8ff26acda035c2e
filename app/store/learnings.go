package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxLearningsPerRepo bounds the learnings one repository keeps. Every
// later review reads them, and each one is written by a comment: a limit
// keeps a flood of comments from growing the table and the prompt without
// end. The REST API deletes the ones no longer wanted.
const MaxLearningsPerRepo = 200

var (
	// ErrLearningNotFound is returned for a learning id that does not
	// exist.
	ErrLearningNotFound = errors.New("learning not found")
	// ErrTooManyLearnings is returned by Learnings.Add when the repository
	// already has MaxLearningsPerRepo learnings.
	ErrTooManyLearnings = errors.New("the repository has the most learnings it may keep")
)

// Learning is a guideline a maintainer asked the app to remember for every
// later review of a repository ("@codex remember <text>").
type Learning struct {
	// ID is "lrn_" followed by random characters; Add fills it in.
	ID string
	// Repo is "owner/name" as GitHub spelled it when the learning was
	// stored; lookups ignore case, as GitHub does.
	Repo string
	Text string
	// Author is the GitHub login of the person who asked.
	Author string
	// PRNumber and CommentID say where it was asked; CommentID makes a
	// retried request store the learning once.
	PRNumber  int
	CommentID int64
	// SourceURL links to the comment (html_url); may be empty.
	SourceURL string
	CreatedAt time.Time
}

// Learnings reads and writes the learnings table.
type Learnings struct{ db *DB }

// Learnings returns the accessors of the learnings table.
func (db *DB) Learnings() *Learnings { return &Learnings{db: db} }

// RepoKey is how repositories are compared: GitHub's owner and repository
// names ignore case.
func RepoKey(repo string) string { return strings.ToLower(repo) }

// NewLearningID returns a fresh learning id: "lrn_" and 26 base32
// characters (128 random bits).
func NewLearningID() string { return "lrn_" + strings.ToLower(rand.Text()) }

// Add stores l, filling in its ID and CreatedAt. A learning asked for by a
// comment that already stored one (a retried job) is not stored twice:
// Add returns the stored one and created false. It returns
// ErrTooManyLearnings when the repository is full.
func (s *Learnings) Add(ctx context.Context, l *Learning) (created bool, err error) {
	if l.Repo == "" || strings.TrimSpace(l.Text) == "" || l.Author == "" {
		return false, errors.New("add learning: repository, text and author are required")
	}
	key := RepoKey(l.Repo)
	tx, err := s.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("add learning to %s: begin: %w", l.Repo, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	if s.db.dialect == Postgres {
		// Serialises adds per repository, so two replicas cannot both pass
		// the limit check below; released at commit.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "codex-review learnings "+key); err != nil {
			return false, fmt.Errorf("add learning to %s: lock: %w", l.Repo, err)
		}
	}
	if l.CommentID != 0 {
		row := tx.QueryRowContext(ctx, s.db.rebind(`SELECT `+learningColumns+` FROM learnings WHERE repo_key = ? AND comment_id = ?`), key, l.CommentID)
		prev, err := scanLearning(row)
		if err == nil {
			*l = prev
			return false, tx.Commit()
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("add learning to %s: %w", l.Repo, err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.db.rebind(`SELECT count(*) FROM learnings WHERE repo_key = ?`), key).Scan(&n); err != nil {
		return false, fmt.Errorf("add learning to %s: count: %w", l.Repo, err)
	}
	if n >= MaxLearningsPerRepo {
		return false, fmt.Errorf("add learning to %s: %w (%d)", l.Repo, ErrTooManyLearnings, MaxLearningsPerRepo)
	}
	stored := *l
	stored.ID = NewLearningID()
	stored.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	q := s.db.rebind(`INSERT INTO learnings (id, repo, repo_key, text, author, pr_number, comment_id, source_url, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if _, err := tx.ExecContext(ctx, q, stored.ID, stored.Repo, key, stored.Text, stored.Author, stored.PRNumber,
		stored.CommentID, stored.SourceURL, s.db.timeArg(stored.CreatedAt)); err != nil {
		return false, fmt.Errorf("add learning to %s: %w", l.Repo, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("add learning to %s: commit: %w", l.Repo, err)
	}
	*l = stored
	return true, nil
}

const learningColumns = `id, repo, text, author, pr_number, comment_id, source_url, created_at`

func scanLearning(row interface{ Scan(...any) error }) (Learning, error) {
	var l Learning
	err := row.Scan(&l.ID, &l.Repo, &l.Text, &l.Author, &l.PRNumber, &l.CommentID, &l.SourceURL, dbTime{&l.CreatedAt})
	return l, err
}

// Get returns the learning with id, or ErrLearningNotFound.
func (s *Learnings) Get(ctx context.Context, id string) (Learning, error) {
	row := s.db.sql.QueryRowContext(ctx, s.db.rebind(`SELECT `+learningColumns+` FROM learnings WHERE id = ?`), id)
	l, err := scanLearning(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Learning{}, fmt.Errorf("get learning %s: %w", id, ErrLearningNotFound)
	}
	if err != nil {
		return Learning{}, fmt.Errorf("get learning %s: %w", id, err)
	}
	return l, nil
}

// LearningListOptions select learnings for List.
type LearningListOptions struct {
	// Repo is "owner/name" (any case); required.
	Repo string
	// After is the id of the last learning of the previous page: List
	// returns the learnings stored before it.
	After string
	// Limit is the most learnings returned; 0 means all of them.
	Limit int
}

// List returns a repository's learnings newest first (ties broken by id,
// so pages never overlap or skip). An After that names no learning of the
// repository is ErrBadCursor.
func (s *Learnings) List(ctx context.Context, o LearningListOptions) ([]Learning, error) {
	if o.Repo == "" || o.Limit < 0 {
		return nil, fmt.Errorf("list learnings: repository %q, limit %d", o.Repo, o.Limit)
	}
	key := RepoKey(o.Repo)
	where := []string{"repo_key = ?"}
	args := []any{key}
	if o.After != "" {
		last, err := s.Get(ctx, o.After)
		if errors.Is(err, ErrLearningNotFound) || err == nil && RepoKey(last.Repo) != key {
			return nil, fmt.Errorf("list learnings after %s: %w", o.After, ErrBadCursor)
		}
		if err != nil {
			return nil, fmt.Errorf("list learnings: %w", err)
		}
		at := s.db.timeArg(last.CreatedAt)
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, at, at, last.ID)
	}
	q := `SELECT ` + learningColumns + ` FROM learnings WHERE ` + strings.Join(where, " AND ") + ` ORDER BY created_at DESC, id DESC`
	if o.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, o.Limit)
	}
	rows, err := s.db.sql.QueryContext(ctx, s.db.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list learnings of %s: %w", o.Repo, err)
	}
	defer rows.Close()
	var out []Learning
	for rows.Next() {
		l, err := scanLearning(rows)
		if err != nil {
			return nil, fmt.Errorf("list learnings of %s: %w", o.Repo, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list learnings of %s: %w", o.Repo, err)
	}
	return out, nil
}

// Delete removes the learning with id and returns it, or
// ErrLearningNotFound.
func (s *Learnings) Delete(ctx context.Context, id string) (Learning, error) {
	l, err := s.Get(ctx, id)
	if err != nil {
		return Learning{}, err
	}
	res, err := s.db.sql.ExecContext(ctx, s.db.rebind(`DELETE FROM learnings WHERE id = ?`), id)
	if err != nil {
		return Learning{}, fmt.Errorf("delete learning %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return Learning{}, fmt.Errorf("delete learning %s: %w", id, err)
	} else if n == 0 {
		// Deleted by someone else between the two statements.
		return Learning{}, fmt.Errorf("delete learning %s: %w", id, ErrLearningNotFound)
	}
	return l, nil
}
