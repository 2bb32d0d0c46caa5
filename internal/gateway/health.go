package gateway

import (
	"context"
	"time"
)

// Ping checks the database.
func (s *Service) Ping(ctx context.Context) error { return s.Store.Ping(ctx) }

// CompanyHealth is what a key may learn about its company's health.
type CompanyHealth struct {
	CIF    string
	Status string // the company's verification status
	// ANAFConnection is the status of a consenting member's ANAF
	// connection ("connected" when any is), "not_connected" without one;
	// TokenExpiresAt its token's expiry (nil without one).
	ANAFConnection string
	TokenExpiresAt *time.Time
	LastSync       *SyncRun // nil when it never synced
}

// CompanyHealth reports the health of the key's company: the ANAF
// connections sync may use (consenting members', PRODUCT.md §1) and the
// last sync run. Failures to read them leave the fields empty.
func (s *Service) CompanyHealth(ctx context.Context, k *KeyAuth) *CompanyHealth {
	c := k.Company
	out := &CompanyHealth{CIF: c.CIF, Status: c.Status, ANAFConnection: "not_connected"}
	members, _ := s.Store.ConsentingMembers(ctx, c.ID, s.now())
	for _, uid := range members {
		t, err := s.Store.ANAFTokenByUser(ctx, uid)
		if err != nil {
			continue
		}
		exp := t.ExpiresAt
		out.ANAFConnection, out.TokenExpiresAt = t.Status, &exp
		if t.Status == "connected" {
			break
		}
	}
	if run, err := s.Store.LastSyncRun(ctx, c.ID); err == nil {
		out.LastSync = unverifiedRun(c, run)
	}
	return out
}
