package store

import (
	"context"
	"database/sql"
	"strings"
)

const userColumns = `id, email, password_hash, is_admin, status, lang, created_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.IsAdmin, &u.Status, &u.Lang, timeCol{&u.CreatedAt}); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser inserts a user. Email is lower-cased. ErrAlreadyExists when the e-mail is taken.
func (s *Store) CreateUser(ctx context.Context, email, passwordHash string, isAdmin bool, status string) (*User, error) {
	if status == "" {
		status = UserPending
	}
	u, err := scanUser(s.q.QueryRowContext(ctx, `
		INSERT INTO users (email, password_hash, is_admin, status, created_at)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING `+userColumns,
		normEmail(email), passwordHash, isAdmin, status, s.tv(now())))
	if err != nil {
		return nil, s.wrap("create user", err)
	}
	return u, nil
}

func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// UserByEmail finds a user by e-mail (case-insensitive). ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(s.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, normEmail(email)))
	if err != nil {
		return nil, s.wrap("user by email", err)
	}
	return u, nil
}

// UserByID finds a user. ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, s.wrap("user by id", err)
	}
	return u, nil
}

// Users lists users, newest first; status "" lists all.
func (s *Store) Users(ctx context.Context, status string) ([]User, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT `+userColumns+` FROM users
		WHERE $1 = '' OR status = $1
		ORDER BY created_at DESC, id DESC`, status)
	if err != nil {
		return nil, s.wrap("users", err)
	}
	return collect(rows, "users", s, scanUser)
}

// SetUserStatus sets pending/approved/rejected. ErrNotFound.
func (s *Store) SetUserStatus(ctx context.Context, id int64, status string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET status = $1 WHERE id = $2`, status, id)
	return s.mustAffect("set user status", res, err)
}

// SetUserAdmin grants or removes the admin role. ErrNotFound.
func (s *Store) SetUserAdmin(ctx context.Context, id int64, admin bool) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET is_admin = $1 WHERE id = $2`, admin, id)
	return s.mustAffect("set user admin", res, err)
}

// SetUserPassword replaces the password hash. ErrNotFound.
func (s *Store) SetUserPassword(ctx context.Context, id int64, passwordHash string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, passwordHash, id)
	return s.mustAffect("set user password", res, err)
}

// ReplaceUserPasswordHash replaces the password hash only while it is
// still old (a rehash at new costs after a login must not undo a password
// change made in the meantime). It reports whether it replaced it.
func (s *Store) ReplaceUserPasswordHash(ctx context.Context, id int64, old, passwordHash string) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, passwordHash, id, old)
	if err != nil {
		return false, s.wrap("replace user password hash", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap("replace user password hash", err)
	}
	return n == 1, nil
}

// SetUserLang records the user's interface language ("ro", "en" or ""). ErrNotFound.
func (s *Store) SetUserLang(ctx context.Context, id int64, lang string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET lang = $1 WHERE id = $2`, lang, id)
	return s.mustAffect("set user lang", res, err)
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, op string, s *Store, scan func(interface{ Scan(...any) error }) (*T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.wrap(op, err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}
