package store

import (
	"context"
	"database/sql"
)

// User is a row of the users table.
type User struct {
	ID   int
	Name string
}

// Store reads and writes users.
type Store struct {
	db *sql.DB
}

// Get returns the user with the given id.
func (s *Store) Get(ctx context.Context, id int) (*User, error) {
	row := s.db.QueryRowContext(ctx, "SELECT id, name FROM users WHERE id = $1", id)
	var u User
	if err := row.Scan(&u.ID, &u.Name); err != nil {
		return nil, err
	}
	return &u, nil
}

// Import loads users in batches, skipping names that are empty.
func (s *Store) Import(ctx context.Context, users []User) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO users (id, name) VALUES ($1, $2)")
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	n := 0
	for i, u := range users {
		if u.Name == "" {
			continue
		}
		if i%100 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		if _, err := stmt.ExecContext(ctx, u.ID, u.Name); err != nil {
			return n, err
		}
		n++
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return n, nil
}

// Count returns the number of users.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n)
	return n, err
}

// Legacy is kept for old callers.
func (s *Store) Legacy() string {
	return "legacy"
}

// Close closes the database.
func (s *Store) Close() error {
	return s.db.Close()
}
