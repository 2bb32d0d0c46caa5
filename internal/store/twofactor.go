package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TOTP is a user's time-based one-time password secret (table user_totp).
type TOTP struct {
	UserID    int64
	SecretEnc []byte     // the base32 secret, sealed with the keyring
	EnabledAt *time.Time // nil: the enrolment waits for its confirming code
	LastStep  int64      // the newest time step a code was accepted for
	CreatedAt time.Time
}

// Enabled reports whether the second factor is switched on.
func (t *TOTP) Enabled() bool { return t != nil && t.EnabledAt != nil }

// Two-factor policies: who must use a second factor to log in.
const (
	TwoFactorOff      = "off"
	TwoFactorAdmins   = "admins"
	TwoFactorEveryone = "everyone"
)

// TOTPByUser returns a user's TOTP row (pending or enabled). ErrNotFound.
func (s *Store) TOTPByUser(ctx context.Context, userID int64) (*TOTP, error) {
	var t TOTP
	err := s.q.QueryRowContext(ctx, `
		SELECT user_id, secret_enc, enabled_at, last_step, created_at FROM user_totp WHERE user_id = $1`, userID).
		Scan(&t.UserID, &t.SecretEnc, nullTimeCol{&t.EnabledAt}, &t.LastStep, timeCol{&t.CreatedAt})
	if err != nil {
		return nil, s.wrap("totp by user", err)
	}
	return &t, nil
}

// StartTOTP stores a new secret waiting for its confirming code, replacing
// an earlier unconfirmed one. ErrAlreadyExists when the user's second
// factor is already on (it is never replaced this way).
func (s *Store) StartTOTP(ctx context.Context, userID int64, secretEnc []byte) error {
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO user_totp (user_id, secret_enc, enabled_at, last_step, created_at)
		VALUES ($1, $2, NULL, 0, $3)
		ON CONFLICT (user_id) DO UPDATE SET secret_enc = excluded.secret_enc, last_step = 0,
			created_at = excluded.created_at
		WHERE user_totp.enabled_at IS NULL`, userID, secretEnc, s.tv(now()))
	if err != nil {
		return s.wrap("start totp", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap("start totp", err)
	}
	if n == 0 {
		return fmt.Errorf("start totp: %w", ErrAlreadyExists)
	}
	return nil
}

// EnableTOTP switches the user's pending secret on, its confirming code
// having been for step, and replaces the recovery codes with codeHashes,
// in one transaction. It reports false (nothing changed) when no pending
// secret sealed as secretEnc is there (it was replaced, or is on already).
func (s *Store) EnableTOTP(ctx context.Context, userID int64, secretEnc []byte, step int64, codeHashes [][]byte) (bool, error) {
	var ok bool
	err := s.WithTx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, `
			UPDATE user_totp SET enabled_at = $1, last_step = $2
			WHERE user_id = $3 AND enabled_at IS NULL AND secret_enc = $4`, tx.tv(now()), step, userID, secretEnc)
		if err != nil {
			return tx.wrap("enable totp", err)
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return tx.wrap("enable totp", err)
		}
		ok = true
		return tx.ReplaceRecoveryCodes(ctx, userID, codeHashes)
	})
	return ok && err == nil, err
}

// UseTOTPStep records that a code of step was accepted for the user's
// enabled second factor. It reports false when a code of that step or a
// later one was accepted already (a replay) or the factor is not on: one
// UPDATE, so two concurrent uses of one code cannot both succeed.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE user_totp SET last_step = $1
		WHERE user_id = $2 AND enabled_at IS NOT NULL AND last_step < $1`, step, userID)
	if err != nil {
		return false, s.wrap("use totp step", err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.wrap("use totp step", err)
}

// DeleteTOTP removes the user's second factor (pending or on) and their
// recovery codes, in one transaction; it reports whether one was on.
func (s *Store) DeleteTOTP(ctx context.Context, userID int64) (bool, error) {
	var wasOn bool
	err := s.WithTx(ctx, func(tx *Store) error {
		t, err := tx.TOTPByUser(ctx, userID)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		default:
			wasOn = t.Enabled()
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM user_totp WHERE user_id = $1`, userID); err != nil {
			return tx.wrap("delete totp", err)
		}
		_, err = tx.q.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, userID)
		return tx.wrap("delete recovery codes", err)
	})
	return wasOn, err
}

// ReplaceRecoveryCodes deletes the user's recovery codes and stores the
// hashes of new ones, in one transaction.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, codeHashes [][]byte) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return tx.wrap("replace recovery codes", err)
		}
		for _, h := range codeHashes {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO user_recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, h); err != nil {
				return tx.wrap("replace recovery codes", err)
			}
		}
		return nil
	})
}

// UseRecoveryCode spends the user's unused recovery code whose hash is
// codeHash: one UPDATE, so a code is accepted once even when two requests
// bring it at the same time. It reports whether one was spent.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, codeHash []byte) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE user_recovery_codes SET used_at = $1
		WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL`, s.tv(now()), userID, codeHash)
	if err != nil {
		return false, s.wrap("use recovery code", err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.wrap("use recovery code", err)
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, s.wrap("recovery codes left", err)
}

// TwoFactorPolicy returns who must use a second factor (TwoFactorOff when
// never set) and when it was last set (zero when never).
func (s *Store) TwoFactorPolicy(ctx context.Context) (string, time.Time, error) {
	var (
		p  string
		at time.Time
	)
	err := s.queryRow(ctx, `SELECT required, updated_at FROM twofa_policy WHERE id = 1`).Scan(&p, timeCol{&at})
	if errors.Is(err, sql.ErrNoRows) {
		return TwoFactorOff, time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, s.wrap("two-factor policy", err)
	}
	return p, at, nil
}

// SetTwoFactorPolicy stores who must use a second factor.
func (s *Store) SetTwoFactorPolicy(ctx context.Context, policy string) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO twofa_policy (id, required, updated_at) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET required = excluded.required, updated_at = excluded.updated_at`,
		policy, s.tv(now()))
	return s.wrap("set two-factor policy", err)
}

// rotateTOTPSecrets is RotateSecrets' part for the TOTP secrets (tx is in
// RotateSecrets' transaction).
func (s *Store) rotateTOTPSecrets(ctx context.Context, reseal func(ct []byte) ([]byte, bool, error), st *RotateStats) error {
	secrets, err := s.totpSecrets(ctx)
	if err != nil {
		return err
	}
	for uid, ct := range secrets {
		if len(ct) == 0 {
			continue
		}
		st.Secrets++
		out, changed, err := reseal(ct)
		if err != nil {
			return fmt.Errorf("rotate: totp secret of user %d: %w", uid, err)
		}
		if !changed {
			continue
		}
		if _, err := s.q.ExecContext(ctx, `UPDATE user_totp SET secret_enc = $1 WHERE user_id = $2`, out, uid); err != nil {
			return s.wrap("rotate: totp secrets", err)
		}
		st.Reencrypted++
	}
	return nil
}

// forgetTOTPSecrets is ForgetSecrets' part: it deletes the second factor
// (and recovery codes) of every user whose TOTP secret is unusable; they
// enrol again. It returns how many.
func (s *Store) forgetTOTPSecrets(ctx context.Context, unusable func(ct []byte) bool) (int, error) {
	secrets, err := s.totpSecrets(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for uid, ct := range secrets {
		if len(ct) == 0 || !unusable(ct) {
			continue
		}
		if _, err := s.DeleteTOTP(ctx, uid); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// totpSecrets reads every user's sealed TOTP secret.
func (s *Store) totpSecrets(ctx context.Context) (map[int64][]byte, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT user_id, secret_enc FROM user_totp ORDER BY user_id`)
	if err != nil {
		return nil, s.wrap("totp secrets", err)
	}
	defer rows.Close()
	out := map[int64][]byte{}
	for rows.Next() {
		var (
			uid int64
			ct  []byte
		)
		if err := rows.Scan(&uid, &ct); err != nil {
			return nil, s.wrap("totp secrets", err)
		}
		out[uid] = ct
	}
	return out, s.wrap("totp secrets", rows.Err())
}

// Audit actions of two-factor login (with the others in audit.go; kept
// here with the feature).
const (
	ActionTwoFactorEnable     = "user.2fa_enable"    // the user switched the second factor on
	ActionTwoFactorDisable    = "user.2fa_disable"   // the user switched it off (password + code)
	ActionTwoFactorRecovery   = "user.2fa_recovery"  // a recovery code was spent (login or disabling)
	ActionTwoFactorNewCodes   = "user.2fa_new_codes" // the user made new recovery codes
	ActionTwoFactorReset      = "user.2fa_reset"     // an operator or admin removed a user's second factor
	ActionTwoFactorPolicySave = "system.2fa_policy"  // an admin changed who must use a second factor
	ActionTwoFactorFailed     = "user.2fa_failed"    // a wrong code at the second step or on the account page
	TargetTwoFactorPolicy     = "twofa_policy"       // the audit target of ActionTwoFactorPolicySave
)
