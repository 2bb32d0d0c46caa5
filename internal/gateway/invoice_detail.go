package gateway

import (
	"context"
	"errors"

	"github.com/efactura-gateway/efactura/internal/store"
)

// InvoiceDetail is an invoice with its company, the native validator's
// verdict and its risk flags: what the API's invoice detail shows.
type InvoiceDetail struct {
	Invoice *Invoice
	Company *Company
	Verdict *Verdict
	Risk    *RiskReport
}

// InvoiceDetail returns invoice id with its verdict and risk flags when
// the principal may see it (the tenant check of Invoice, done once): what
// InvoiceWithVerdict and InvoiceRisk give together. For a key, the
// invoice, its verdict and its risk check are one query
// (store.InvoiceDetailByID), and the flags a second one when it has any.
func (s *Service) InvoiceDetail(ctx context.Context, p Principal, id int64) (*InvoiceDetail, error) {
	if p.key == nil || id < 1 {
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
	c, err := s.company(ctx, p, 0)
	if errors.Is(err, ErrUnverified) || errors.Is(err, ErrNotFound) {
		return nil, ErrInvoiceNotFound
	}
	if err != nil {
		return nil, err
	}
	d, err := s.Store.InvoiceDetailByID(ctx, c.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvoiceNotFound
	}
	if err != nil {
		return nil, err
	}
	inv := &d.Invoice
	rep, err := s.riskFrom(ctx, inv, d.Risk, d.HasFlags)
	if err != nil {
		return nil, err
	}
	return &InvoiceDetail{Invoice: inv, Company: c, Verdict: s.verdictFrom(ctx, inv, &d.Validation), Risk: rep}, nil
}
