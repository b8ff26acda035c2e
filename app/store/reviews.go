package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Status is where a review request stands (design §4.5).
type Status string

// The review statuses of the REST API.
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case StatusQueued, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// Finished reports whether s is final: a finished review never changes again.
func (s Status) Finished() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

var (
	// ErrNotFound is returned for a review id that does not exist.
	ErrNotFound = errors.New("review not found")
	// ErrFinished is returned when changing a review that already finished
	// (the REST API answers 409).
	ErrFinished = errors.New("review already finished")
)

// Review is one review request and, once done, its result.
type Review struct {
	// ID is "rev_" followed by random characters; Create fills it in.
	ID     string
	Status Status
	// Repo is "owner/name".
	Repo           string
	PRNumber       int
	HeadSHA        string
	PullRequestURL string
	// Request is the request as received, JSON.
	Request json.RawMessage
	// Result is the review's JSON answer; nil until completed.
	Result json.RawMessage
	// Error says why a failed review failed, or why a cancelled one was
	// cancelled.
	Error string
	// ErrorCode is a stable, machine-readable name for Error ("model_quota").
	ErrorCode string
	// JobID is the queue job that runs the review; 0 until it is enqueued.
	JobID     int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Reviews reads and writes the reviews table.
type Reviews struct{ db *DB }

// Reviews returns the accessors of the reviews table.
func (db *DB) Reviews() *Reviews { return &Reviews{db: db} }

// NewReviewID returns a fresh review id: "rev_" and 26 base32 characters
// (128 random bits).
func NewReviewID() string {
	return "rev_" + strings.ToLower(rand.Text())
}

// sqliteTimeLayout has a fixed width so that SQLite's text comparison of
// created_at sorts in time order, as the (pull_request_url, created_at)
// index needs. Microseconds match Postgres's precision.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

func (db *DB) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if db.dialect == SQLite {
		return t.Format(sqliteTimeLayout)
	}
	return t
}

// dbTime scans a timestamp from either dialect: Postgres hands back a
// time.Time, SQLite the text written by timeArg.
type dbTime struct{ t *time.Time }

func (d dbTime) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d.t = v.UTC()
		return nil
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("scan timestamp: unsupported type %T", src)
	}
}

func (d dbTime) parse(s string) error {
	t, err := time.Parse(sqliteTimeLayout, s)
	if err != nil {
		return fmt.Errorf("scan timestamp %q: %w", s, err)
	}
	*d.t = t
	return nil
}

// Create inserts r. An empty ID gets a new one, an empty Status is queued,
// an empty Request is `{}`; CreatedAt and UpdatedAt are set to now. r is
// updated with what was stored.
func (s *Reviews) Create(ctx context.Context, r *Review) error {
	stored := *r
	if stored.ID == "" {
		stored.ID = NewReviewID()
	}
	if stored.Status == "" {
		stored.Status = StatusQueued
	}
	if !stored.Status.Valid() {
		return fmt.Errorf("create review: invalid status %q", stored.Status)
	}
	if len(stored.Request) == 0 {
		stored.Request = json.RawMessage(`{}`)
	}
	if !json.Valid(stored.Request) {
		return errors.New("create review: request is not valid JSON")
	}
	if stored.Result != nil && !json.Valid(stored.Result) {
		return errors.New("create review: result is not valid JSON")
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	stored.CreatedAt, stored.UpdatedAt = now, now

	q := s.db.rebind(`INSERT INTO reviews
		(id, status, repo, pr_number, head_sha, pull_request_url, request, result, error, error_code, job_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	_, err := s.db.sql.ExecContext(ctx, q,
		stored.ID, string(stored.Status), stored.Repo, stored.PRNumber, stored.HeadSHA, stored.PullRequestURL,
		string(stored.Request), jsonArg(stored.Result), stored.Error, stored.ErrorCode, stored.JobID,
		s.db.timeArg(now), s.db.timeArg(now))
	if err != nil {
		return fmt.Errorf("create review %s: %w", stored.ID, err)
	}
	*r = stored
	return nil
}

func jsonArg(v json.RawMessage) any {
	if v == nil {
		return nil
	}
	return string(v)
}

const reviewColumns = `id, status, repo, pr_number, head_sha, pull_request_url, request, result, error, error_code, job_id, created_at, updated_at`

func scanReview(row interface{ Scan(...any) error }) (Review, error) {
	var (
		r               Review
		status          string
		request, result []byte
	)
	err := row.Scan(&r.ID, &status, &r.Repo, &r.PRNumber, &r.HeadSHA, &r.PullRequestURL,
		&request, &result, &r.Error, &r.ErrorCode, &r.JobID, dbTime{&r.CreatedAt}, dbTime{&r.UpdatedAt})
	if err != nil {
		return Review{}, err
	}
	r.Status = Status(status)
	r.Request = json.RawMessage(request)
	if result != nil {
		r.Result = json.RawMessage(result)
	}
	return r, nil
}

// Get returns the review with id, or ErrNotFound.
func (s *Reviews) Get(ctx context.Context, id string) (Review, error) {
	row := s.db.read.QueryRowContext(ctx, s.db.rebind(`SELECT `+reviewColumns+` FROM reviews WHERE id = ?`), id)
	r, err := scanReview(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Review{}, fmt.Errorf("get review %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Review{}, fmt.Errorf("get review %s: %w", id, err)
	}
	return r, nil
}

// UpdateStatus moves an unfinished review to status, recording errMsg (the
// reason, for failed and cancelled; empty otherwise). It returns ErrNotFound
// for an unknown id and ErrFinished when the review already finished, so a
// late cancel cannot overwrite a result.
func (s *Reviews) UpdateStatus(ctx context.Context, id string, status Status, errMsg string) error {
	if !status.Valid() {
		return fmt.Errorf("update review %s: invalid status %q", id, status)
	}
	return s.updateUnfinished(ctx, id, "status = ?, error = ?", string(status), errMsg)
}

// SetResult completes an unfinished review with its JSON result. It returns
// ErrNotFound or ErrFinished as UpdateStatus does.
func (s *Reviews) SetResult(ctx context.Context, id string, result json.RawMessage) error {
	if !json.Valid(result) {
		return fmt.Errorf("set result of review %s: result is not valid JSON", id)
	}
	return s.updateUnfinished(ctx, id, "status = ?, result = ?, error = ''", string(StatusCompleted), string(result))
}

// Fail moves an unfinished review to failed with a message a person can act
// on and a stable code. It returns ErrNotFound or ErrFinished as UpdateStatus
// does.
func (s *Reviews) Fail(ctx context.Context, id, code, message string) error {
	return s.updateUnfinished(ctx, id, "status = ?, error = ?, error_code = ?", string(StatusFailed), message, code)
}

// SetJobID records the queue job that runs a review, so that cancelling the
// review can cancel the job. It works on finished reviews too: a review
// cancelled before its job id was recorded still names its job.
func (s *Reviews) SetJobID(ctx context.Context, id string, jobID int64) error {
	q := s.db.rebind(`UPDATE reviews SET job_id = ?, updated_at = ? WHERE id = ?`)
	res, err := s.db.sql.ExecContext(ctx, q, jobID, s.db.timeArg(time.Now()), id)
	if err != nil {
		return fmt.Errorf("set job of review %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set job of review %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("set job of review %s: %w", id, ErrNotFound)
	}
	return nil
}

// ListOptions select reviews for List. Empty fields do not filter.
type ListOptions struct {
	PullRequestURL string
	Status         Status
	// After is the id of the last review of the previous page: List
	// returns the reviews created before it.
	After string
	// Limit is the most reviews returned; it must be positive.
	Limit int
}

// ErrBadCursor is returned by List when ListOptions.After names no review
// (a made-up cursor, or one whose review was pruned).
var ErrBadCursor = errors.New("unknown list cursor")

// List returns reviews newest first (ties broken by id, so pages never
// overlap or skip).
func (s *Reviews) List(ctx context.Context, o ListOptions) ([]Review, error) {
	if o.Limit <= 0 {
		return nil, fmt.Errorf("list reviews: limit %d is not positive", o.Limit)
	}
	var (
		where []string
		args  []any
	)
	if o.PullRequestURL != "" {
		where = append(where, "pull_request_url = ?")
		args = append(args, o.PullRequestURL)
	}
	if o.Status != "" {
		where = append(where, "status = ?")
		args = append(args, string(o.Status))
	}
	if o.After != "" {
		last, err := s.Get(ctx, o.After)
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("list reviews after %s: %w", o.After, ErrBadCursor)
		}
		if err != nil {
			return nil, fmt.Errorf("list reviews: %w", err)
		}
		at := s.db.timeArg(last.CreatedAt)
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, at, at, last.ID)
	}
	q := `SELECT ` + reviewColumns + ` FROM reviews`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, o.Limit)
	rows, err := s.db.read.QueryContext(ctx, s.db.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, fmt.Errorf("list reviews: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	return out, nil
}

// Prune deletes the finished reviews last changed before cutoff and
// returns how many it deleted. Unfinished reviews are kept, however old.
func (s *Reviews) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	q := s.db.rebind(`DELETE FROM reviews WHERE status IN ('completed', 'failed', 'cancelled') AND updated_at < ?`)
	res, err := s.db.sql.ExecContext(ctx, q, s.db.timeArg(cutoff))
	if err != nil {
		return 0, fmt.Errorf("prune reviews before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune reviews: %w", err)
	}
	return n, nil
}

func (s *Reviews) updateUnfinished(ctx context.Context, id, set string, args ...any) error {
	q := s.db.rebind(`UPDATE reviews SET ` + set + `, updated_at = ?
		WHERE id = ? AND status IN ('queued', 'running')`)
	args = append(args, s.db.timeArg(time.Now()), id)
	res, err := s.db.sql.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update review %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update review %s: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	// Nothing changed: tell a missing review from a finished one.
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	return fmt.Errorf("update review %s: %w", id, ErrFinished)
}
