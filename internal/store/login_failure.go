package store

import (
	"context"
	"time"
)

// LoginFailureLimits are how many failed logins each scope may collect in
// one window before further attempts wait (PRODUCT.md §9).
type LoginFailureLimits struct {
	PerAccountIP int // one account from one client address
	PerIP        int // one client address, any account
	PerAccount   int // one account, any address
}

// LoginFailureBlocks tells, per scope, the oldest failure still counted
// toward a reached limit (the limit-th newest since the window start); the
// scope frees when that failure leaves the window. The zero time means the
// scope is under its limit.
type LoginFailureBlocks struct {
	AccountIP, IP, Account time.Time
}

// RecordLoginFailure stores one failed login of account (an opaque key:
// the web UI passes a hash of the e-mail) from ip at at. Table
// login_failures (migration 00006), shared by every replica.
func (s *Store) RecordLoginFailure(ctx context.Context, account, ip string, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO login_failures (account, ip, failed_at) VALUES ($1, $2, $3)`,
		account, ip, s.tv(at))
	return s.wrap("record login failure", err)
}

// LoginFailureBlocks looks, in one query, at the failures at or after
// since in the three scopes of account and ip. A limit ≤ 0 never blocks.
func (s *Store) LoginFailureBlocks(ctx context.Context, account, ip string, since time.Time, l LoginFailureLimits) (LoginFailureBlocks, error) {
	// The limit-th newest failure (OFFSET limit-1); none when fewer. A
	// huge offset stands for "no limit".
	off := func(limit int) int {
		if limit <= 0 {
			return 1 << 30
		}
		return limit - 1
	}
	var b LoginFailureBlocks
	var accountIP, perIP, perAccount *time.Time
	err := s.q.QueryRowContext(ctx, `
		SELECT
			(SELECT failed_at FROM login_failures WHERE account = $1 AND ip = $2 AND failed_at >= $3
				ORDER BY failed_at DESC LIMIT 1 OFFSET $4),
			(SELECT failed_at FROM login_failures WHERE ip = $2 AND failed_at >= $3
				ORDER BY failed_at DESC LIMIT 1 OFFSET $5),
			(SELECT failed_at FROM login_failures WHERE account = $1 AND failed_at >= $3
				ORDER BY failed_at DESC LIMIT 1 OFFSET $6)`,
		account, ip, s.tv(since), off(l.PerAccountIP), off(l.PerIP), off(l.PerAccount),
	).Scan(nullTimeCol{&accountIP}, nullTimeCol{&perIP}, nullTimeCol{&perAccount})
	if err != nil {
		return b, s.wrap("login failure blocks", err)
	}
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{accountIP, &b.AccountIP}, {perIP, &b.IP}, {perAccount, &b.Account}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return b, nil
}

// ClearLoginFailures forgets the failures of account from ip (after a
// good login from there). Failures from other addresses stay counted, so
// a user's login does not reset a stranger's tries.
func (s *Store) ClearLoginFailures(ctx context.Context, account, ip string) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM login_failures WHERE account = $1 AND ip = $2`, account, ip)
	return s.wrap("clear login failures", err)
}

// PruneLoginFailures deletes the failures before before (older than the
// throttle window) and returns how many went, keeping the table bounded.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM login_failures WHERE failed_at < $1`, s.tv(before))
	if err != nil {
		return 0, s.wrap("prune login failures", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, s.wrap("prune login failures", err)
	}
	return n, nil
}

// CountLoginFailures returns how many failure rows the table holds
// (tests and operators: the table stays bounded).
func (s *Store) CountLoginFailures(ctx context.Context) (int64, error) {
	var n int64
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures`).Scan(&n)
	return n, s.wrap("count login failures", err)
}
