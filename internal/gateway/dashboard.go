package gateway

import "context"

// DashboardQuery is what a company's dashboard asks for besides the
// company: the figures' first day and, when List is set, a page of its
// invoices (List.CompanyID is set here) with the partner search.
type DashboardQuery struct {
	Since   string // YYYY-MM-DD: the figures total the invoices issued from then on
	List    *InvoiceFilter
	Partner string
}

// CompanyDashboard is everything the dashboard of one company shows.
// Of an unverified company only Company and LastSync (its counts
// hidden, as LastSync does); Figures, AtRisk and List are nil.
type CompanyDashboard struct {
	Company  *Company
	LastSync *SyncRun // nil: never synced
	Figures  *InvoiceFigures
	AtRisk   *CompanyAtRisk
	List     *InvoiceList // nil when q.List is nil
}

// Dashboard is the dashboard of company companyID for a principal: one
// tenant check (a member's company, verified or not; ErrNotFound
// otherwise) for the whole page, then the last sync, the figures, the SPV
// 60-day edge and the invoice page, as LastSync, Figures, SPVAtRisk and
// Invoices answer them one by one (issue 16: each of those re-checked the
// membership and the company, two queries each). A user's visit is
// recorded for the portfolio (MarkVisited; not while impersonating).
func (s *Service) Dashboard(ctx context.Context, p Principal, companyID int64, q DashboardQuery) (*CompanyDashboard, error) {
	c, err := s.memberCompany(ctx, p, companyID)
	if err != nil {
		return nil, err
	}
	s.markVisited(ctx, p.actor, c.ID)
	out := &CompanyDashboard{Company: c}
	if out.LastSync, err = s.lastSyncOf(ctx, c); err != nil {
		return nil, err
	}
	if !c.Verified() {
		return out, nil
	}
	if out.Figures, err = s.figuresOf(ctx, c, q.Since); err != nil {
		return nil, err
	}
	if out.AtRisk, err = s.spvAtRiskOf(ctx, c); err != nil {
		return nil, err
	}
	if q.List != nil {
		if out.List, err = s.invoicesOf(ctx, c, *q.List, q.Partner); err != nil {
			return nil, err
		}
	}
	return out, nil
}
