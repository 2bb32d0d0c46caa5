package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/store"
)

// Sync interval bounds of a company's automatic sync, in minutes.
const (
	MinSyncInterval = 15
	MaxSyncInterval = 24 * 60
	// MaxCompanyName is the longest company name, in characters.
	MaxCompanyName = 200
)

// Refusals of the company settings use cases.
var (
	ErrNameRequired    = &Error{Kind: KindInvalid, Code: "name_required", Field: "name", Msg: "the company needs a name"}
	ErrNameLong        = &Error{Kind: KindInvalid, Code: "name_long", Field: "name", Msg: fmt.Sprintf("the name has at most %d characters", MaxCompanyName)}
	ErrIntervalRange   = &Error{Kind: KindInvalid, Code: "interval_range", Field: "interval", Msg: fmt.Sprintf("the sync interval is %d to %d minutes", MinSyncInterval, MaxSyncInterval)}
	ErrConfirmMismatch = &Error{Kind: KindInvalid, Code: "confirm_mismatch", Field: "confirm_cif", Msg: "type the company's CIF to confirm"}
)

// Settings are a company's editable settings.
type Settings struct {
	Name                string
	AutoSync            bool
	SyncIntervalMinutes int
}

// UpdateSettings saves an owned company's name, automatic sync and its
// interval. FieldErrors for wrong input.
func (s *Service) UpdateSettings(ctx context.Context, a Actor, companyID int64, set Settings) (*store.Company, error) {
	c, err := s.managed(ctx, a, companyID)
	if err != nil {
		return nil, err
	}
	set.Name = strings.TrimSpace(set.Name)
	var bad FieldErrors
	switch n := utf8.RuneCountInString(set.Name); {
	case n == 0:
		bad = append(bad, ErrNameRequired)
	case n > MaxCompanyName:
		bad = append(bad, ErrNameLong)
	}
	if set.SyncIntervalMinutes < MinSyncInterval || set.SyncIntervalMinutes > MaxSyncInterval {
		bad = append(bad, ErrIntervalRange)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	c.Name, c.AutoSync, c.SyncIntervalMinutes = set.Name, set.AutoSync, set.SyncIntervalMinutes
	if err := s.Store.UpdateCompany(ctx, c); err != nil {
		return nil, err
	}
	s.audit(ctx, a, store.ActionCompanyUpdate, c, fmt.Sprintf("name=%q auto_sync=%t interval=%d", c.Name, c.AutoSync, c.SyncIntervalMinutes))
	return c, nil
}

// DeleteCompany deletes an owned company and, by cascade, its invoices,
// memberships, API keys and sync runs, once confirmCIF (with or without
// RO) names it.
func (s *Service) DeleteCompany(ctx context.Context, a Actor, companyID int64, confirmCIF string) (*store.Company, error) {
	c, err := s.managed(ctx, a, companyID)
	if err != nil {
		return nil, err
	}
	if strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(confirmCIF)), "RO") != c.CIF {
		return nil, FieldErrors{ErrConfirmMismatch}
	}
	if err := s.Store.DeleteCompany(ctx, c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	s.audit(ctx, a, store.ActionCompanyDelete, c, c.Name)
	return c, nil
}

// InvoiceCount is how many invoices an owned company holds (what deleting it loses).
func (s *Service) InvoiceCount(ctx context.Context, a Actor, companyID int64) (int, error) {
	c, err := s.managed(ctx, a, companyID)
	if err != nil {
		return 0, err
	}
	return s.Store.CountInvoices(ctx, c.ID)
}

// Companies lists the actor's companies with their role and consent.
func (s *Service) Companies(ctx context.Context, a Actor) ([]store.Company, error) {
	return s.Store.CompaniesForUser(ctx, a.UserID)
}

// JoinRequestsToDecide lists the pending join requests of the companies
// the actor owns: theirs to accept or decline on the company's settings
// page. None while impersonating (the admin would see another's).
func (s *Service) JoinRequestsToDecide(ctx context.Context, a Actor) ([]JoinRequest, error) {
	if a.UserID == 0 || a.Impersonated() {
		return nil, nil
	}
	return s.Store.PendingJoinRequestsToDecide(ctx, a.UserID)
}
