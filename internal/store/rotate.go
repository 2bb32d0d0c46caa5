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
// application's client secret (anaf_app.client_secret_enc) and every
// user's ANAF access and refresh tokens (anaf_tokens) — through reseal,
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
		return nil
	})
	return st, err
}
