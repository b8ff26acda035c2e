package store

import "context"

// Memory is what the review worker remembers between jobs: a repository's
// learnings, the findings dismissed on a pull request, and the reaction
// counts last read on the app's comments.
type Memory struct{ db *DB }

// Memory returns the worker's view of the database.
func (db *DB) Memory() *Memory { return &Memory{db: db} }

// Learnings returns every learning of repo, newest first.
func (m *Memory) Learnings(ctx context.Context, repo string) ([]Learning, error) {
	return m.db.Learnings().List(ctx, LearningListOptions{Repo: repo})
}

// AddLearning stores l (see Learnings.Add).
func (m *Memory) AddLearning(ctx context.Context, l *Learning) (bool, error) {
	return m.db.Learnings().Add(ctx, l)
}

// Dismissals returns the dismissals recorded on a pull request.
func (m *Memory) Dismissals(ctx context.Context, repo string, pr int) ([]Dismissal, error) {
	return m.db.Dismissals().List(ctx, repo, pr)
}

// Dismiss records a dismissal.
func (m *Memory) Dismiss(ctx context.Context, d Dismissal) error {
	return m.db.Dismissals().Add(ctx, d)
}

// RecordFeedback stores reaction counts and returns what grew (see
// Feedback.Record).
func (m *Memory) RecordFeedback(ctx context.Context, repo string, pr int, fs []CommentFeedback) ([]CommentFeedback, error) {
	return m.db.Feedback().Record(ctx, repo, pr, fs)
}
