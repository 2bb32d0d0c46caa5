package store

import (
	"context"
	"time"
)

// SessionFind returns the data of an unexpired session. found=false when absent or expired.
func (s *Store) SessionFind(ctx context.Context, tokenHash []byte) (data []byte, found bool, err error) {
	err = s.queryRow(ctx, `SELECT data FROM sessions WHERE token_hash = $1 AND expiry > $2`,
		tokenHash, s.tv(time.Now())).Scan(&data)
	if err != nil {
		err = s.wrap("find session", err)
		if isNotFound(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return data, true, nil
}

// SessionCommit inserts or replaces a session.
func (s *Store) SessionCommit(ctx context.Context, tokenHash []byte, data []byte, expiry time.Time) error {
	_, err := s.exec(ctx, `
		INSERT INTO sessions (token_hash, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		tokenHash, data, s.tv(expiry))
	return s.wrap("commit session", err)
}

// SessionDelete removes a session (no error when absent).
func (s *Store) SessionDelete(ctx context.Context, tokenHash []byte) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return s.wrap("delete session", err)
}

// SessionDeleteExpired removes expired sessions and returns how many.
func (s *Store) SessionDeleteExpired(ctx context.Context) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE expiry <= $1`, s.tv(time.Now()))
	if err != nil {
		return 0, s.wrap("delete expired sessions", err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap("delete expired sessions", err)
}

// UserSessionsValidAfter returns the instant before which the user's web
// sessions count as logged out; nil when there is none. ErrNotFound.
func (s *Store) UserSessionsValidAfter(ctx context.Context, userID int64) (*time.Time, error) {
	var t *time.Time
	err := s.q.QueryRowContext(ctx, `SELECT sessions_valid_after FROM users WHERE id = $1`, userID).Scan(nullTimeCol{&t})
	if err != nil {
		return nil, s.wrap("user sessions valid after", err)
	}
	return t, nil
}

// SetUserSessionsValidAfter ends every web session of the user begun
// before at (see UserSessionsValidAfter). ErrNotFound.
func (s *Store) SetUserSessionsValidAfter(ctx context.Context, userID int64, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE users SET sessions_valid_after = $1 WHERE id = $2`, s.tv(at), userID)
	return s.mustAffect("set user sessions valid after", res, err)
}
