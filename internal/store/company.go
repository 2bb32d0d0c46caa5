package store

import (
	"context"
	"strings"
	"time"
)

const companyColumns = `c.id, c.cif, c.name, c.auto_sync, c.sync_interval_minutes, c.last_synced_until, c.created_at, c.status, c.verified_at`

var companyReturning = strings.ReplaceAll(companyColumns, "c.", "")

func scanCompany(row interface{ Scan(...any) error }) (*Company, error) {
	var c Company
	if err := row.Scan(&c.ID, &c.CIF, &c.Name, &c.AutoSync, &c.SyncIntervalMinutes,
		nullTimeCol{&c.LastSyncedUntil}, timeCol{&c.CreatedAt}, &c.Status, nullTimeCol{&c.VerifiedAt}); err != nil {
		return nil, err
	}
	return &c, nil
}

// DefaultSyncIntervalMinutes is the auto-sync interval of a new company (1 h).
const DefaultSyncIntervalMinutes = 60

// CreateCompany inserts a company (cif: digits). ErrAlreadyExists when the CIF exists.
// A new company has auto-sync on, every DefaultSyncIntervalMinutes.
func (s *Store) CreateCompany(ctx context.Context, cif, name string) (*Company, error) {
	c, err := scanCompany(s.q.QueryRowContext(ctx, `
		INSERT INTO companies (cif, name, auto_sync, sync_interval_minutes, created_at)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING `+companyReturning,
		cif, name, true, DefaultSyncIntervalMinutes, s.tv(now())))
	if err != nil {
		return nil, s.wrap("create company", err)
	}
	return c, nil
}

// CompanyByCIF finds a company by its digits. ErrNotFound.
func (s *Store) CompanyByCIF(ctx context.Context, cif string) (*Company, error) {
	c, err := scanCompany(s.q.QueryRowContext(ctx, `SELECT `+companyColumns+` FROM companies c WHERE c.cif = $1`, cif))
	if err != nil {
		return nil, s.wrap("company by cif", err)
	}
	return c, nil
}

// CompanyByID finds a company. ErrNotFound.
func (s *Store) CompanyByID(ctx context.Context, id int64) (*Company, error) {
	c, err := scanCompany(s.queryRow(ctx, `SELECT `+companyColumns+` FROM companies c WHERE c.id = $1`, id))
	if err != nil {
		return nil, s.wrap("company by id", err)
	}
	return c, nil
}

// CompanyOfMember finds a company with the user's Role and Consent in
// one prepared query (the tenant check of the pages a member views).
// ErrNotFound when either is missing or the user is no member.
func (s *Store) CompanyOfMember(ctx context.Context, companyID, userID int64) (*Company, error) {
	var c Company
	err := s.queryRow(ctx, `SELECT `+companyColumns+`, m.role, m.anaf_consent
		FROM companies c JOIN memberships m ON m.company_id = c.id
		WHERE c.id = $1 AND m.user_id = $2`, companyID, userID).Scan(&c.ID, &c.CIF, &c.Name, &c.AutoSync, &c.SyncIntervalMinutes,
		nullTimeCol{&c.LastSyncedUntil}, timeCol{&c.CreatedAt}, &c.Status, nullTimeCol{&c.VerifiedAt}, &c.Role, &c.Consent)
	if err != nil {
		return nil, s.wrap("company of member", err)
	}
	return &c, nil
}

// Companies lists every company ordered by CIF.
func (s *Store) Companies(ctx context.Context) ([]Company, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+companyColumns+` FROM companies c ORDER BY c.cif`)
	if err != nil {
		return nil, s.wrap("companies", err)
	}
	return collect(rows, "companies", s, scanCompany)
}

// CompaniesForUser lists the companies a user is a member of, ordered by
// name, with Role, Consent and Owners set.
func (s *Store) CompaniesForUser(ctx context.Context, userID int64) ([]Company, error) {
	rows, err := s.query(ctx, `
		SELECT `+companyColumns+`, m.role, m.anaf_consent,
		       (SELECT count(*) FROM memberships o WHERE o.company_id = c.id AND o.role = 'owner')
		FROM companies c JOIN memberships m ON m.company_id = c.id
		WHERE m.user_id = $1
		ORDER BY c.name, c.id`, userID)
	if err != nil {
		return nil, s.wrap("companies for user", err)
	}
	return collect(rows, "companies for user", s, func(row interface{ Scan(...any) error }) (*Company, error) {
		var c Company
		err := row.Scan(&c.ID, &c.CIF, &c.Name, &c.AutoSync, &c.SyncIntervalMinutes,
			nullTimeCol{&c.LastSyncedUntil}, timeCol{&c.CreatedAt}, &c.Status, nullTimeCol{&c.VerifiedAt}, &c.Role, &c.Consent, &c.Owners)
		return &c, err
	})
}

// UpdateCompany saves name, auto-sync and interval. ErrNotFound.
func (s *Store) UpdateCompany(ctx context.Context, c *Company) error {
	defer s.keyAuthChanged()
	res, err := s.q.ExecContext(ctx, `
		UPDATE companies SET name = $1, auto_sync = $2, sync_interval_minutes = $3 WHERE id = $4`,
		c.Name, c.AutoSync, c.SyncIntervalMinutes, c.ID)
	return s.mustAffect("update company", res, err)
}

// DeleteCompany removes a company and, by cascade, its memberships,
// invoices, API keys and sync runs. ErrNotFound.
func (s *Store) DeleteCompany(ctx context.Context, id int64) error {
	defer s.keyAuthChanged()
	res, err := s.q.ExecContext(ctx, `DELETE FROM companies WHERE id = $1`, id)
	return s.mustAffect("delete company", res, err)
}

// SetCompanySyncedUntil records the end of the last successfully synced window. ErrNotFound.
func (s *Store) SetCompanySyncedUntil(ctx context.Context, companyID int64, until time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE companies SET last_synced_until = $1 WHERE id = $2`, s.tv(until), companyID)
	return s.mustAffect("set company synced until", res, err)
}

// AddMembership makes a user owner or member of a company (upsert of the
// role) the way the model before invitations did: an owner as the
// company's creator, lending their ANAF connection (consent on), a member
// without consent. The use cases (internal/gateway) use
// CreateCompanyWithOwner, AddMemberIfAbsent and SetRole instead; tests and
// tools that build fixtures use this.
func (s *Store) AddMembership(ctx context.Context, companyID, userID int64, role string) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO memberships (company_id, user_id, role, anaf_consent) VALUES ($1, $2, $3, $4)
		ON CONFLICT (company_id, user_id) DO UPDATE SET role = excluded.role`,
		companyID, userID, role, role == RoleOwner)
	return s.wrap("add membership", err)
}

// RemoveMembership removes a user from a company and revokes the API keys
// that user created for it (PRODUCT: removing a member revokes their keys).
// ErrNotFound when the user was not a member.
func (s *Store) RemoveMembership(ctx context.Context, companyID, userID int64) error {
	return s.WithTx(ctx, func(tx *Store) error {
		tx.keyAuthChanged()
		res, err := tx.q.ExecContext(ctx, `DELETE FROM memberships WHERE company_id = $1 AND user_id = $2`, companyID, userID)
		if err := tx.mustAffect("remove membership", res, err); err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `
			UPDATE api_keys SET revoked_at = $1
			WHERE company_id = $2 AND user_id = $3 AND revoked_at IS NULL`,
			tx.tv(now()), companyID, userID)
		return tx.wrap("remove membership: revoke keys", err)
	})
}

// MembershipRole returns the user's role in the company, or ErrNotFound.
func (s *Store) MembershipRole(ctx context.Context, companyID, userID int64) (string, error) {
	var role string
	err := s.q.QueryRowContext(ctx, `SELECT role FROM memberships WHERE company_id = $1 AND user_id = $2`,
		companyID, userID).Scan(&role)
	if err != nil {
		return "", s.wrap("membership role", err)
	}
	return role, nil
}

// CompanyMemberIDs lists user ids of a company's members, owners first.
func (s *Store) CompanyMemberIDs(ctx context.Context, companyID int64) ([]int64, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT user_id FROM memberships WHERE company_id = $1
		ORDER BY CASE role WHEN 'owner' THEN 0 ELSE 1 END, user_id`, companyID)
	if err != nil {
		return nil, s.wrap("company members", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, s.wrap("company members", err)
		}
		ids = append(ids, id)
	}
	return ids, s.wrap("company members", rows.Err())
}
