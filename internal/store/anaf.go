package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ANAFApp returns the configured OAuth application. ErrNotFound when unset.
func (s *Store) ANAFApp(ctx context.Context) (*ANAFApp, error) {
	var a ANAFApp
	err := s.q.QueryRowContext(ctx, `
		SELECT client_id, client_secret_enc, redirect_uri, updated_at FROM anaf_app WHERE id = 1`).
		Scan(&a.ClientID, &a.ClientSecretEnc, &a.RedirectURI, timeCol{&a.UpdatedAt})
	if err != nil {
		return nil, s.wrap("anaf app", err)
	}
	return &a, nil
}

// SetANAFApp stores the OAuth application (replacing it). UpdatedAt is set on app.
func (s *Store) SetANAFApp(ctx context.Context, app *ANAFApp) error {
	app.UpdatedAt = now()
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO anaf_app (id, client_id, client_secret_enc, redirect_uri, updated_at)
		VALUES (1, $1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id,
			client_secret_enc = excluded.client_secret_enc,
			redirect_uri = excluded.redirect_uri, updated_at = excluded.updated_at`,
		app.ClientID, app.ClientSecretEnc, app.RedirectURI, s.tv(app.UpdatedAt))
	return s.wrap("set anaf app", err)
}

// SaveANAFToken inserts or replaces a user's ANAF token. UpdatedAt is set on t.
func (s *Store) SaveANAFToken(ctx context.Context, t *ANAFToken) error {
	if t.Status == ANAFReconnectNeeded || t.Status == ANAFNeedsAttention {
		// anaf.connection.needs_attention (events.go) when the status
		// becomes one of these, in the same transaction.
		return s.WithTx(ctx, func(tx *Store) error {
			var from string
			err := tx.q.QueryRowContext(ctx, `SELECT status FROM anaf_tokens WHERE user_id = $1`, t.UserID).Scan(&from)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return tx.wrap("save anaf token", err)
			}
			if err := tx.saveANAFToken(ctx, t); err != nil {
				return err
			}
			return tx.connectionEvents(ctx, t.UserID, from, t.Status)
		})
	}
	return s.saveANAFToken(ctx, t)
}

func (s *Store) saveANAFToken(ctx context.Context, t *ANAFToken) error {
	t.UpdatedAt = now()
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO anaf_tokens (user_id, access_token_enc, refresh_token_enc, expires_at,
			refresh_expires_at, status, last_refresh_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (user_id) DO UPDATE SET access_token_enc = excluded.access_token_enc,
			refresh_token_enc = excluded.refresh_token_enc, expires_at = excluded.expires_at,
			refresh_expires_at = excluded.refresh_expires_at, status = excluded.status,
			last_refresh_at = excluded.last_refresh_at, updated_at = excluded.updated_at`,
		t.UserID, t.AccessTokenEnc, t.RefreshTokenEnc, s.tv(t.ExpiresAt),
		s.tpv(t.RefreshExpiresAt), t.Status, s.tpv(t.LastRefreshAt), s.tv(t.UpdatedAt))
	return s.wrap("save anaf token", err)
}

const anafTokenColumns = `user_id, access_token_enc, refresh_token_enc, expires_at, refresh_expires_at, status, last_refresh_at, updated_at`

func scanANAFToken(row interface{ Scan(...any) error }) (*ANAFToken, error) {
	var t ANAFToken
	err := row.Scan(&t.UserID, &t.AccessTokenEnc, &t.RefreshTokenEnc, timeCol{&t.ExpiresAt},
		nullTimeCol{&t.RefreshExpiresAt}, &t.Status, nullTimeCol{&t.LastRefreshAt}, timeCol{&t.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ANAFTokenByUser returns a user's token. ErrNotFound.
func (s *Store) ANAFTokenByUser(ctx context.Context, userID int64) (*ANAFToken, error) {
	t, err := scanANAFToken(s.q.QueryRowContext(ctx, `SELECT `+anafTokenColumns+` FROM anaf_tokens WHERE user_id = $1`, userID))
	if err != nil {
		return nil, s.wrap("anaf token by user", err)
	}
	return t, nil
}

// ANAFTokensExpiringBefore lists tokens whose access token expires before t
// (the refresh job's work list), soonest first.
func (s *Store) ANAFTokensExpiringBefore(ctx context.Context, t time.Time) ([]ANAFToken, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT `+anafTokenColumns+` FROM anaf_tokens WHERE expires_at < $1 ORDER BY expires_at, user_id`, s.tv(t))
	if err != nil {
		return nil, s.wrap("anaf tokens expiring", err)
	}
	return collect(rows, "anaf tokens expiring", s, scanANAFToken)
}

// DeleteANAFToken removes a user's token (no error when absent).
func (s *Store) DeleteANAFToken(ctx context.Context, userID int64) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM anaf_tokens WHERE user_id = $1`, userID)
	return s.wrap("delete anaf token", err)
}

// NearestTokenExpiry returns the earliest access-token expiry (UTC) among
// ANAF connections whose status is "connected", or nil when there is none
// (table anaf_tokens). It feeds efactura_anaf_token_expiry_days.
func (s *Store) NearestTokenExpiry(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	err := s.q.QueryRowContext(ctx,
		`SELECT MIN(expires_at) FROM anaf_tokens WHERE status = 'connected'`).Scan(nullTimeCol{&t})
	if err != nil {
		return nil, s.wrap("nearest token expiry", err)
	}
	return t, nil
}

// ReconnectNeeded counts ANAF connections whose refresh was refused
// (status "reconnect_needed"): their owners must connect again.
func (s *Store) ReconnectNeeded(ctx context.Context) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM anaf_tokens WHERE status = 'reconnect_needed'`).Scan(&n)
	if err != nil {
		return 0, s.wrap("reconnect needed", err)
	}
	return n, nil
}

// ANAFConnectionCounts counts users' ANAF connections by state
// (ANAFConnStates except ANAFDisconnected): the stored statuses, with
// connected rows whose access token expired before now counted as
// ANAFRefreshFailed. Every state is present (0 when none).
func (s *Store) ANAFConnectionCounts(ctx context.Context, now time.Time) (map[string]int, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT CASE WHEN status = $1 AND expires_at < $2 THEN $3 ELSE status END AS state, COUNT(*)
		FROM anaf_tokens GROUP BY 1`, ANAFConnected, s.tv(now), ANAFRefreshFailed)
	if err != nil {
		return nil, s.wrap("anaf connection counts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for _, st := range ANAFConnStates {
		if st != ANAFDisconnected {
			out[st] = 0
		}
	}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, s.wrap("anaf connection counts", err)
		}
		out[state] += n
	}
	return out, s.wrap("anaf connection counts", rows.Err())
}
