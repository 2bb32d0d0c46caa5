package store

import (
	"context"
	"time"
)

// DisableWebhookEndpoint turns an enabled endpoint off with reason at
// (the gateway giving up on it); disabled=false when it was already off
// (or is gone), so one disablement is acted on once.
func (s *Store) DisableWebhookEndpoint(ctx context.Context, id int64, reason string, at time.Time) (disabled bool, err error) {
	res, err := s.q.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = $1, disabled_reason = $2, updated_at = $3
		WHERE id = $4 AND enabled = $5`, false, reason, s.tv(at), id, true)
	if err != nil {
		return false, s.wrap("disable webhook endpoint", err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.wrap("disable webhook endpoint", err)
}

// CompanyOwnerRecipients lists the approved owners of a company with
// their e-mail and language (the people told that one of its webhook
// endpoints was disabled), by user id.
func (s *Store) CompanyOwnerRecipients(ctx context.Context, companyID int64) ([]User, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT u.id, u.email, u.lang FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.company_id = $1 AND m.role = $2 AND u.status = $3
		ORDER BY u.id`, companyID, RoleOwner, UserApproved)
	if err != nil {
		return nil, s.wrap("company owners", err)
	}
	return collect(rows, "company owners", s, func(row interface{ Scan(...any) error }) (*User, error) {
		var u User
		return &u, row.Scan(&u.ID, &u.Email, &u.Lang)
	})
}
