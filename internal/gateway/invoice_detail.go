package gateway

import "context"

// InvoiceDetail is an invoice with its company, the native validator's
// verdict and its risk flags: what the API's invoice detail shows.
type InvoiceDetail struct {
	Invoice *Invoice
	Company *Company
	Verdict *Verdict
	Risk    *RiskReport
}

// InvoiceDetail returns invoice id with its verdict and risk flags when
// the principal may see it (the tenant check of Invoice, done once and
// the invoice loaded once: InvoiceWithVerdict and InvoiceRisk together).
func (s *Service) InvoiceDetail(ctx context.Context, p Principal, id int64) (*InvoiceDetail, error) {
	inv, c, err := s.Invoice(ctx, p, id)
	if err != nil {
		return nil, err
	}
	v, err := s.verdictOf(ctx, inv)
	if err != nil {
		return nil, err
	}
	rep, err := s.riskOf(ctx, inv)
	if err != nil {
		return nil, err
	}
	return &InvoiceDetail{Invoice: inv, Company: c, Verdict: v, Risk: rep}, nil
}
