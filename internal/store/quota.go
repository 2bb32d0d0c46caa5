package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// QuotaTake atomically takes one unit of the ANAF quota counter key for
// the window [windowStart, windowEnd) (times stored in UTC, microseconds):
//   - no row yet, or the stored window starts before windowStart: the
//     counter restarts in the new window with used = 1, ok true;
//   - same (or an older, from a replica whose clock lags) window and
//     used < limit: used + 1, ok true;
//   - used ≥ limit: nothing changes, ok false, used = the stored count.
//
// It is one INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING statement,
// so concurrent callers on any number of processes never take more than
// limit units of one window (SQLite serialises writers; PostgreSQL locks the
// conflicting row). limit ≤ 0 takes nothing (ok false) without touching the
// database. The shape matches anaf.QuotaTakeFunc; table anaf_quota
// (migration 00002).
func (s *Store) QuotaTake(ctx context.Context, key string, limit int, windowStart, windowEnd time.Time) (used int, ok bool, err error) {
	if limit <= 0 {
		return 0, false, nil
	}
	err = s.q.QueryRowContext(ctx, `
		INSERT INTO anaf_quota (quota_key, window_start, window_end, used) VALUES ($1, $2, $3, 1)
		ON CONFLICT (quota_key) DO UPDATE SET
			used = CASE WHEN excluded.window_start > anaf_quota.window_start THEN 1 ELSE anaf_quota.used + 1 END,
			window_end = CASE WHEN excluded.window_start > anaf_quota.window_start THEN excluded.window_end ELSE anaf_quota.window_end END,
			window_start = CASE WHEN excluded.window_start > anaf_quota.window_start THEN excluded.window_start ELSE anaf_quota.window_start END
		WHERE excluded.window_start > anaf_quota.window_start OR anaf_quota.used < $4
		RETURNING used`,
		key, s.tv(windowStart), s.tv(windowEnd), limit).Scan(&used)
	switch {
	case err == nil:
		return used, true, nil
	case errors.Is(err, sql.ErrNoRows):
		// The WHERE refused the update: the window is full.
		if err := s.q.QueryRowContext(ctx, `SELECT used FROM anaf_quota WHERE quota_key = $1`, key).Scan(&used); err != nil {
			return 0, false, s.wrap("quota take", err)
		}
		return used, false, nil
	default:
		return 0, false, s.wrap("quota take", err)
	}
}

// QuotaUsed returns the units taken of key in the window starting at
// windowStart (0 when the counter is absent or in another window).
func (s *Store) QuotaUsed(ctx context.Context, key string, windowStart time.Time) (int, error) {
	var used int
	err := s.q.QueryRowContext(ctx, `SELECT used FROM anaf_quota WHERE quota_key = $1 AND window_start = $2`,
		key, s.tv(windowStart)).Scan(&used)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, s.wrap("quota used", err)
	}
	return used, nil
}

// QuotaPrune deletes the counters whose window ended at or before before
// (run daily; a download-id counter is useless once its day is over).
// It returns how many were deleted.
func (s *Store) QuotaPrune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM anaf_quota WHERE window_end <= $1`, s.tv(before))
	if err != nil {
		return 0, s.wrap("quota prune", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap("quota prune", err)
	}
	return n, nil
}

// QuotaMaxUsed returns the largest count among the ANAF quota counters
// whose key starts with prefix (e.g. "listaMesajeFactura|") in windows
// starting at or after since: the busiest CIF's use of a daily quota.
func (s *Store) QuotaMaxUsed(ctx context.Context, prefix string, since time.Time) (int, error) {
	var n sql.NullInt64
	err := s.q.QueryRowContext(ctx,
		`SELECT MAX(used) FROM anaf_quota WHERE quota_key LIKE $1 ESCAPE '\' AND window_start >= $2`,
		escapeLike(prefix)+"%", s.tv(since)).Scan(&n)
	if err != nil {
		return 0, s.wrap("quota max used", err)
	}
	return int(n.Int64), nil
}
