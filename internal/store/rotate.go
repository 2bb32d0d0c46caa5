package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// RotateStats counts what RotateSecrets looked at and rewrote.
type RotateStats struct {
	Secrets     int // ciphertexts seen (client secret, access and refresh tokens)
	Reencrypted int // of which rewritten
}

// RotateSecrets passes every secret encrypted at rest — the ANAF OAuth
// application's client secret (anaf_app.client_secret_enc), every
// user's ANAF access and refresh tokens (anaf_tokens) and TOTP secrets
// (user_totp) — through reseal,
// and stores what it returns when changed is true, all in one
// transaction: on any error nothing is rewritten. reseal decides (e.g.
// decrypt and encrypt again under the newest key of the keyring when the
// ciphertext is under an older one). Empty ciphertexts are skipped.
func (s *Store) RotateSecrets(ctx context.Context, reseal func(ct []byte) (out []byte, changed bool, err error)) (RotateStats, error) {
	var st RotateStats
	err := s.WithTx(ctx, func(tx *Store) error {
		var secret []byte
		err := tx.q.QueryRowContext(ctx, `SELECT client_secret_enc FROM anaf_app WHERE id = 1`).Scan(&secret)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return tx.wrap("rotate: anaf app", err)
		case len(secret) > 0:
			st.Secrets++
			out, changed, err := reseal(secret)
			if err != nil {
				return fmt.Errorf("rotate: anaf client secret: %w", err)
			}
			if changed {
				if _, err := tx.q.ExecContext(ctx, `UPDATE anaf_app SET client_secret_enc = $1 WHERE id = 1`, out); err != nil {
					return tx.wrap("rotate: anaf app", err)
				}
				st.Reencrypted++
			}
		}

		type tok struct {
			userID          int64
			access, refresh []byte
		}
		var toks []tok
		if err := func() error {
			rows, err := tx.q.QueryContext(ctx, `SELECT user_id, access_token_enc, refresh_token_enc FROM anaf_tokens ORDER BY user_id`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var t tok
				if err := rows.Scan(&t.userID, &t.access, &t.refresh); err != nil {
					return err
				}
				toks = append(toks, t)
			}
			return rows.Err()
		}(); err != nil {
			return tx.wrap("rotate: anaf tokens", err)
		}
		for _, t := range toks {
			changedAny := false
			for _, ct := range []*[]byte{&t.access, &t.refresh} {
				if len(*ct) == 0 {
					continue
				}
				st.Secrets++
				out, changed, err := reseal(*ct)
				if err != nil {
					return fmt.Errorf("rotate: anaf token of user %d: %w", t.userID, err)
				}
				if changed {
					*ct = out
					changedAny = true
					st.Reencrypted++
				}
			}
			if changedAny {
				if _, err := tx.q.ExecContext(ctx, `UPDATE anaf_tokens SET access_token_enc = $1, refresh_token_enc = $2 WHERE user_id = $3`,
					t.access, t.refresh, t.userID); err != nil {
					return tx.wrap("rotate: anaf tokens", err)
				}
			}
		}
		if err := tx.rotateTOTPSecrets(ctx, reseal, &st); err != nil { // twofactor.go
			return err
		}
		return tx.rotateWebhookSecrets(ctx, reseal, &st) // webhooks.go
	})
	return st, err
}

// ForgetStats counts what ForgetSecrets deleted.
type ForgetStats struct {
	Tokens       int  // users whose ANAF grant was deleted (they connect again)
	ClientSecret bool // the ANAF OAuth application was deleted (an admin sets it again)
	TOTP         int  // users whose second factor was deleted (they enrol again)
}

// ForgetSecrets deletes, in one transaction, every secret at rest that
// unusable reports true for — whose key is lost for good: a user's ANAF
// grant (anaf_tokens row) when either of its tokens is unusable, and the
// ANAF OAuth application (anaf_app) when its client secret is. Nothing
// else is touched; the operator asks for it (`efactura rotate-key
// --forget-undecryptable`), never the gateway by itself.
func (s *Store) ForgetSecrets(ctx context.Context, unusable func(ct []byte) bool) (ForgetStats, error) {
	var st ForgetStats
	err := s.WithTx(ctx, func(tx *Store) error {
		var secret []byte
		err := tx.q.QueryRowContext(ctx, `SELECT client_secret_enc FROM anaf_app WHERE id = 1`).Scan(&secret)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return tx.wrap("forget: anaf app", err)
		case len(secret) > 0 && unusable(secret):
			if _, err := tx.q.ExecContext(ctx, `DELETE FROM anaf_app WHERE id = 1`); err != nil {
				return tx.wrap("forget: anaf app", err)
			}
			st.ClientSecret = true
		}
		var users []int64
		if err := func() error {
			rows, err := tx.q.QueryContext(ctx, `SELECT user_id, access_token_enc, refresh_token_enc FROM anaf_tokens ORDER BY user_id`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var uid int64
				var access, refresh []byte
				if err := rows.Scan(&uid, &access, &refresh); err != nil {
					return err
				}
				if len(access) > 0 && unusable(access) || len(refresh) > 0 && unusable(refresh) {
					users = append(users, uid)
				}
			}
			return rows.Err()
		}(); err != nil {
			return tx.wrap("forget: anaf tokens", err)
		}
		for _, uid := range users {
			if _, err := tx.q.ExecContext(ctx, `DELETE FROM anaf_tokens WHERE user_id = $1`, uid); err != nil {
				return tx.wrap("forget: anaf tokens", err)
			}
		}
		st.Tokens = len(users)
		st.TOTP, err = tx.forgetTOTPSecrets(ctx, unusable) // twofactor.go
		return err
	})
	return st, err
}

// SetANAFTokenStatusIf changes a user's ANAF token status from from to to,
// only when it is from now (a concurrent refresh or reconnect wins); the
// ciphertexts are never touched. It reports whether the row changed.
func (s *Store) SetANAFTokenStatusIf(ctx context.Context, userID int64, from, to string) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE anaf_tokens SET status = $1, updated_at = $2 WHERE user_id = $3 AND status = $4`,
		to, s.tv(now()), userID, from)
	if err != nil {
		return false, s.wrap("set anaf token status", err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.wrap("set anaf token status", err)
}

// ChangeANAFTokenStatuses moves every ANAF token whose status is from to
// to (e.g. "key_missing" back to "connected" once every secret decrypts
// again) and returns how many changed.
func (s *Store) ChangeANAFTokenStatuses(ctx context.Context, from, to string) (int, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE anaf_tokens SET status = $1, updated_at = $2 WHERE status = $3`, to, s.tv(now()), from)
	if err != nil {
		return 0, s.wrap("change anaf token statuses", err)
	}
	n, err := res.RowsAffected()
	return int(n), s.wrap("change anaf token statuses", err)
}
