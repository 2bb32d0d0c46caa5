package gateway

import (
	"context"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
)

// SPVAtRiskAge is the age after which a listed, not archived message is
// at risk of ANAF's 60-day limit (docs/compliance.md, "SPV 60-day edge").
const SPVAtRiskAge = store.SPVAtRiskAge

// PortfolioRow is one company of the accountant's portfolio page.
type PortfolioRow struct {
	Company Company
	// Conn is the company's ANAF connection state (ConnectionState's rule).
	Conn        string
	LastSync    *SyncRun   // the latest run; nil: never synced
	LastSuccess *time.Time // when the last run that ended well finished
	LastVisit   *time.Time // the user's last visit of the company's dashboard
	// NewInvoices and NewErrors were archived since LastVisit (all, never
	// visited); Rejected are uploads ANAF refused; AtRisk messages are
	// listed but not archived and older than SPVAtRiskAge; PastDeadline
	// uploaded invoices not accepted whose legal term is over.
	NewInvoices, NewErrors, Rejected, AtRisk, PastDeadline int
	// Stale: no successful sync for SPVAtRiskAge (a verified company):
	// messages may already be lost.
	Stale bool
	// Risk counts the received invoices with unchecked supplier risk
	// flags (risk.go, RiskCounts).
	Risk int
}

// NeedsAttention reports whether anything on the row asks for the
// user: not verified, not connected, the last sync failed, errors,
// refusals, messages at risk, a stale sync or late invoices.
func (r *PortfolioRow) NeedsAttention() bool {
	if !r.Company.Verified() || r.Conn != ConnConnected || r.Stale {
		return true
	}
	if r.LastSync != nil && SyncShownStatus(r.LastSync) == "failed" {
		return true
	}
	return r.NewErrors > 0 || r.Rejected > 0 || r.AtRisk > 0 || r.PastDeadline > 0
}

// Portfolio returns one row per company the user belongs to (the
// tenant: their memberships only), in the order of Companies, read in a
// fixed number of queries whatever the number of companies.
func (s *Service) Portfolio(ctx context.Context, a Actor) ([]PortfolioRow, error) {
	if a.UserID == 0 {
		return nil, ErrNotFound
	}
	companies, err := s.Store.CompaniesForUser(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	figures, err := s.Store.Portfolio(ctx, a.UserID, now)
	if err != nil {
		return nil, err
	}
	var users []int64
	seen := map[int64]bool{}
	for _, f := range figures {
		for _, u := range f.Consenting {
			if !seen[u] {
				seen[u] = true
				users = append(users, u)
			}
		}
	}
	tokens, err := s.Store.ANAFTokensByUsers(ctx, users)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(companies))
	for _, c := range companies {
		if c.Verified() {
			ids = append(ids, c.ID)
		}
	}
	risks, err := s.Store.RiskCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]PortfolioRow, 0, len(companies))
	for _, c := range companies {
		row := PortfolioRow{Company: c, Conn: ConnDisconnected}
		if f := figures[c.ID]; f != nil {
			st, err := s.connStateOfGrants(f.Consenting, func(id int64) (*store.ANAFToken, error) { return tokens[id], nil })
			if err != nil {
				return nil, err
			}
			row.Conn = st.Status
			row.LastSync, row.LastSuccess, row.LastVisit = f.LastRun, f.LastSuccess, f.LastVisit
			row.NewInvoices, row.NewErrors, row.Rejected = f.NewInvoices, f.NewErrors, f.Rejected
			row.AtRisk, row.PastDeadline = f.AtRisk, f.PastDeadline
			row.Stale = c.Verified() && f.Stale(c.CreatedAt, now)
		}
		row.Risk = risks[c.ID]
		if !c.Verified() {
			// Nothing from ANAF until it is verified.
			row.NewInvoices, row.NewErrors, row.AtRisk = 0, 0, 0
		}
		out = append(out, row)
	}
	return out, nil
}

// MarkVisited records that the user opened the company's dashboard now
// (the portfolio counts what is new since). An admin impersonating the
// user leaves the user's mark alone. Best effort: a failure is logged.
func (s *Service) MarkVisited(ctx context.Context, a Actor, companyID int64) {
	if a.UserID == 0 || a.Impersonated() {
		return
	}
	if _, _, err := s.membership(ctx, a, companyID); err != nil {
		return
	}
	s.markVisited(ctx, a, companyID)
}

// markVisited is MarkVisited of a company the caller checked the user
// belongs to.
func (s *Service) markVisited(ctx context.Context, a Actor, companyID int64) {
	if a.UserID == 0 || a.Impersonated() {
		return
	}
	if err := s.Store.MarkCompanyVisited(ctx, a.UserID, companyID, s.now()); err != nil {
		s.logger().WarnContext(ctx, "recording company visit", "company_id", companyID, "error", err.Error())
	}
}

// CompanyAtRisk is a company's SPV 60-day edge: messages listed but not
// archived older than SPVAtRiskAge, and whether its last successful sync
// is so old that messages may already be lost.
type CompanyAtRisk struct {
	Company     *Company
	Messages    int
	LastSuccess *time.Time
	Stale       bool
}

// SPVAtRisk returns the 60-day edge of a company the principal may see
// (ErrUnverified for an unverified one: nothing from ANAF yet); an API
// key's own company with companyID 0.
func (s *Service) SPVAtRisk(ctx context.Context, p Principal, companyID int64) (*CompanyAtRisk, error) {
	c, err := s.company(ctx, p, companyID)
	if err != nil {
		return nil, err
	}
	return s.spvAtRiskOf(ctx, c)
}

// spvAtRiskOf is SPVAtRisk of a company the caller checked and found verified.
func (s *Service) spvAtRiskOf(ctx context.Context, c *Company) (*CompanyAtRisk, error) {
	now := s.now()
	r, err := s.Store.CompanySPVAtRisk(ctx, c.ID, now)
	if err != nil {
		return nil, err
	}
	f := store.PortfolioFigures{LastSuccess: r.LastSuccess}
	return &CompanyAtRisk{Company: c, Messages: r.Messages, LastSuccess: r.LastSuccess, Stale: f.Stale(c.CreatedAt, now)}, nil
}

// AuditEvent is one audit row (the audit page's AuditEntry embeds it).
type AuditEvent = store.AuditEvent
