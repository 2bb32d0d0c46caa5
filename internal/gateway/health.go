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
	// ANAFConnection is the state of the consenting members' ANAF
	// connection (ConnectionState: one of ConnStates), "unknown" when it
	// could not be read; TokenExpiresAt its token's expiry (nil without one).
	ANAFConnection string
	TokenExpiresAt *time.Time
	LastSync       *SyncRun // nil when it never synced
}

// CompanyHealth reports the health of the key's company: the ANAF
// connections sync may use (consenting members', PRODUCT.md §1) and the
// last sync run. Failures to read them leave the fields empty.
func (s *Service) CompanyHealth(ctx context.Context, k *KeyAuth) *CompanyHealth {
	c := k.Company
	out := &CompanyHealth{CIF: c.CIF, Status: c.Status, ANAFConnection: ConnDisconnected}
	// The one rule the pages use too (ConnectionState).
	if st, err := s.ConnectionState(ctx, c.ID); err == nil {
		out.ANAFConnection, out.TokenExpiresAt = st.Status, st.ExpiresAt
	} else {
		out.ANAFConnection = "unknown"
		s.logger().WarnContext(ctx, "reading the company's ANAF connection state", "error", err.Error())
	}
	if run, err := s.Store.LastSyncRun(ctx, c.ID); err == nil {
		out.LastSync = unverifiedRun(c, run)
	}
	return out
}
