package store

import (
	"context"
	"database/sql"
	"time"
)

const apiKeyColumns = `id, company_id, user_id, name, prefix, hash, scope, created_at, last_used_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (*APIKey, error) {
	var (
		k      APIKey
		userID sql.NullInt64
	)
	err := row.Scan(&k.ID, &k.CompanyID, &userID, &k.Name, &k.Prefix, &k.Hash, &k.Scope,
		timeCol{&k.CreatedAt}, nullTimeCol{&k.LastUsedAt}, nullTimeCol{&k.RevokedAt})
	if err != nil {
		return nil, err
	}
	k.UserID = userID.Int64
	return &k, nil
}

// CreateAPIKey inserts a key (ID and CreatedAt are set on k). UserID 0 is
// stored as NULL. ErrAlreadyExists when the hash exists.
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey) error {
	k.CreatedAt = now()
	err := s.q.QueryRowContext(ctx, `
		INSERT INTO api_keys (company_id, user_id, name, prefix, hash, scope, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING id`,
		k.CompanyID, nullInt64(k.UserID), k.Name, k.Prefix, k.Hash, k.Scope, s.tv(k.CreatedAt)).Scan(&k.ID)
	return s.wrap("create api key", err)
}

// APIKeyByHash finds an unrevoked key by its SHA-256 (indexed, O(1)). ErrNotFound.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (*APIKey, error) {
	k, err := scanAPIKey(s.queryRow(ctx, `
		SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash))
	if err != nil {
		return nil, s.wrap("api key by hash", err)
	}
	return k, nil
}

// APIKeys lists a company's keys, revoked ones included, newest first.
func (s *Store) APIKeys(ctx context.Context, companyID int64) ([]APIKey, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT `+apiKeyColumns+` FROM api_keys WHERE company_id = $1 ORDER BY created_at DESC, id DESC`, companyID)
	if err != nil {
		return nil, s.wrap("api keys", err)
	}
	return collect(rows, "api keys", s, scanAPIKey)
}

// TouchAPIKey sets last_used_at. ErrNotFound.
func (s *Store) TouchAPIKey(ctx context.Context, id int64, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, s.tv(at), id)
	if err == nil {
		s.keys.touched(id, at)
	}
	return s.mustAffect("touch api key", res, err)
}

// RevokeAPIKey revokes a key of the company. ErrNotFound when no such live key.
func (s *Store) RevokeAPIKey(ctx context.Context, companyID, id int64) error {
	defer s.keyAuthChanged()
	res, err := s.q.ExecContext(ctx, `
		UPDATE api_keys SET revoked_at = $1 WHERE company_id = $2 AND id = $3 AND revoked_at IS NULL`,
		s.tv(now()), companyID, id)
	return s.mustAffect("revoke api key", res, err)
}
