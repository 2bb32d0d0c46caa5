package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// prefixed qualifies every column of a comma-separated list with p ("r.").
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// AcquireSyncLease takes the company's sync lease for owner until now+ttl,
// in one atomic UPDATE: it succeeds when the lease is free (never taken,
// released, or expired) or already owner's (then it is extended). ok is
// false when another owner holds a live lease. Times are the caller
// process's clock (UTC); replicas are assumed NTP-synchronised, and ttl
// must be much larger than their skew. Errors: ErrNotFound for an unknown
// company.
func (s *Store) AcquireSyncLease(ctx context.Context, companyID int64, owner string, ttl time.Duration) (bool, error) {
	t := now()
	res, err := s.q.ExecContext(ctx, `
		UPDATE companies SET sync_lease_owner = $1, sync_lease_until = $2
		WHERE id = $3 AND (sync_lease_until IS NULL OR sync_lease_until < $4 OR sync_lease_owner = $1)`,
		owner, s.tv(t.Add(ttl)), companyID, s.tv(t))
	if err != nil {
		return false, s.wrap("acquire sync lease", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap("acquire sync lease", err)
	}
	if n == 1 {
		return true, nil
	}
	if _, err := s.CompanyByID(ctx, companyID); err != nil {
		return false, err
	}
	return false, nil
}

// RenewSyncLease extends owner's lease to now+ttl. ok is false when the
// lease is no longer owner's (it expired and another worker took it): the
// caller must stop working on the company at once.
func (s *Store) RenewSyncLease(ctx context.Context, companyID int64, owner string, ttl time.Duration) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE companies SET sync_lease_until = $1 WHERE id = $2 AND sync_lease_owner = $3`,
		s.tv(now().Add(ttl)), companyID, owner)
	if err != nil {
		return false, s.wrap("renew sync lease", err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap("renew sync lease", err)
}

// ReleaseSyncLease frees owner's lease (no error when it is not owner's).
func (s *Store) ReleaseSyncLease(ctx context.Context, companyID int64, owner string) error {
	_, err := s.q.ExecContext(ctx, `
		UPDATE companies SET sync_lease_owner = NULL, sync_lease_until = NULL WHERE id = $1 AND sync_lease_owner = $2`,
		companyID, owner)
	return s.wrap("release sync lease", err)
}

// SyncLease returns the company's lease holder and expiry ("" and nil when
// never taken or released). ErrNotFound.
func (s *Store) SyncLease(ctx context.Context, companyID int64) (owner string, until *time.Time, err error) {
	var o *string
	err = s.q.QueryRowContext(ctx, `SELECT sync_lease_owner, sync_lease_until FROM companies WHERE id = $1`, companyID).
		Scan(&o, nullTimeCol{&until})
	if err != nil {
		return "", nil, s.wrap("sync lease", err)
	}
	if o != nil {
		owner = *o
	}
	return owner, until, nil
}

// advisoryClassToken is the first key of the PostgreSQL advisory locks
// serialising ANAF token refreshes (the second is the user id).
const advisoryClassToken int32 = 0x65664154 // "efAT"

// WithUserTokenLock runs fn while holding the cross-process lock of one
// user's ANAF token, so only one process at a time reads, refreshes and
// stores that user's token (ANAF invalidates a refresh token once used: a
// second process spending the same one would get invalid_grant).
//
// On PostgreSQL: a transaction holding pg_advisory_xact_lock(class,
// userID); fn gets the transaction's Store (committed when fn returns nil,
// rolled back otherwise; the lock ends with the transaction).
//
// On SQLite: a lock row in anaf_token_locks (migration 00009) taken with a
// lease of TokenLockLease in a short BEGIN IMMEDIATE transaction, polled
// until free for at most TokenLockWait, and deleted when fn returns; fn
// runs on s without a transaction (holding SQLite's write lock across an
// HTTP call to ANAF would stall every writer). A holder that crashed
// blocks the others for at most one lease. Errors: ErrTokenLockBusy when
// the lock stayed taken for TokenLockWait, ctx's error, the store's.
func (s *Store) WithUserTokenLock(ctx context.Context, userID int64, fn func(st *Store) error) error {
	if s.dialect != Postgres {
		return s.withTokenLockRow(ctx, userID, fn)
	}
	return s.WithTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1::int4, $2::int4)`, advisoryClassToken, int32(userID)); err != nil {
			return fmt.Errorf("store: token lock of user %d: %w", userID, err)
		}
		return fn(tx)
	})
}

// TokenLockLease is how long a SQLite token lock row is held at most: more
// than a refresh at ANAF takes (the client's timeout and retries), so a live
// holder keeps it; a crashed holder's row is taken over after it.
const TokenLockLease = 2 * time.Minute

// TokenLockWait is how long WithUserTokenLock waits for a SQLite token lock
// held by another process before giving up with ErrTokenLockBusy.
const TokenLockWait = TokenLockLease + 15*time.Second

// tokenLockPoll is the pause between tries to take a held SQLite token lock.
const tokenLockPoll = 50 * time.Millisecond

// ErrTokenLockBusy means another process held the user's ANAF token lock
// for longer than TokenLockWait.
var ErrTokenLockBusy = errors.New("store: another process holds the ANAF token lock of the user")

func (s *Store) withTokenLockRow(ctx context.Context, userID int64, fn func(st *Store) error) error {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	owner := hex.EncodeToString(b)
	deadline := time.Now().Add(TokenLockWait)
	for {
		ok, err := s.tryTokenLock(ctx, userID, owner)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (user %d)", ErrTokenLockBusy, userID)
		}
		t := time.NewTimer(tokenLockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	defer func() {
		// Released even when ctx ends: the row would block others for a lease.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := s.q.ExecContext(rctx, `DELETE FROM anaf_token_locks WHERE user_id = $1 AND owner = $2`, userID, owner); err != nil {
			s.logger.Warn("releasing the ANAF token lock", "user_id", userID, "error", err.Error())
		}
	}()
	return fn(s)
}

// tryTokenLock takes the SQLite token lock row of userID for owner when it
// is absent or its lease expired, in one BEGIN IMMEDIATE transaction.
func (s *Store) tryTokenLock(ctx context.Context, userID int64, owner string) (bool, error) {
	var taken bool
	err := s.WithTx(ctx, func(tx *Store) error {
		t := now()
		res, err := tx.q.ExecContext(ctx, `
			INSERT INTO anaf_token_locks (user_id, owner, lease_until) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
			WHERE anaf_token_locks.lease_until < $4`,
			userID, owner, tx.tv(t.Add(TokenLockLease)), tx.tv(t))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		taken = n == 1
		return err
	})
	return taken, s.wrap("token lock", err)
}

const claimDownloadSQL = `
	INSERT INTO sync_download_claims (anaf_id, owner, claim_until) VALUES ($1, $2, $3)
	ON CONFLICT (anaf_id) DO UPDATE SET owner = excluded.owner, claim_until = excluded.claim_until
	WHERE sync_download_claims.claim_until < $4 OR sync_download_claims.owner = excluded.owner`

// ClaimDownload claims the download of ANAF message anafID for owner until
// now+ttl: ok when nobody holds a live claim (or owner does). A message
// listed for two companies (seller and buyer) is then downloaded by one
// worker while the other waits for the ZIP in the archive (ArchivedZIP).
func (s *Store) ClaimDownload(ctx context.Context, anafID, owner string, ttl time.Duration) (bool, error) {
	t := now()
	res, err := s.exec(ctx, claimDownloadSQL, anafID, owner, s.tv(t.Add(ttl)), s.tv(t))
	if err != nil {
		return false, s.wrap("claim download", err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap("claim download", err)
}

const releaseDownloadSQL = `DELETE FROM sync_download_claims WHERE anaf_id = $1 AND owner = $2`

// ReleaseDownload drops owner's claim on anafID (no error when absent).
func (s *Store) ReleaseDownload(ctx context.Context, anafID, owner string) error {
	_, err := s.exec(ctx, releaseDownloadSQL, anafID, owner)
	return s.wrap("release download", err)
}
