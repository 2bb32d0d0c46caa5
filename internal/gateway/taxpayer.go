package gateway

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// TaxpayerSource answers ANAF's VAT-payer register for a CUI at a date
// (riskcheck.Checker.Taxpayer: cached, paced).
type TaxpayerSource interface {
	Taxpayer(ctx context.Context, cui, date string) (*anaf.VATRecord, bool, error)
}

// Taxpayer is what ANAF's VAT-payer register says of a CIF today: to
// pre-fill the "add company" form (issue 17). It does not prove that the
// user may act for the CIF (the e-Factura verification does that).
type Taxpayer struct {
	CIF           string
	Name          string
	Address       string
	VATRegistered bool
	Inactive      bool
}

// Errors of LookupTaxpayer.
var (
	ErrTaxpayerBadCIF      = &Error{Kind: KindInvalid, Code: "taxpayer_bad_cif", Field: "cif", Msg: "enter a valid CIF"}
	ErrTaxpayerNotFound    = &Error{Kind: KindInvalid, Code: "taxpayer_not_found", Field: "cif", Msg: "ANAF does not know this CIF"}
	ErrTaxpayerUnavailable = &Error{Kind: KindInvalid, Code: "taxpayer_unavailable", Field: "cif", Msg: "ANAF's register did not answer; type the name"}
)

// LookupTaxpayer asks ANAF's VAT-payer register about cifInput (with or
// without "RO") as of today, for a logged-in user.
func (s *Service) LookupTaxpayer(ctx context.Context, a Actor, cifInput string) (*Taxpayer, error) {
	if a.UserID == 0 && !a.CLI {
		return nil, ErrNotFound
	}
	digits, err := cif.Check(strings.TrimSpace(cifInput))
	if err != nil {
		return nil, ErrTaxpayerBadCIF
	}
	if s.Taxpayers == nil {
		return nil, ErrTaxpayerUnavailable
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	rec, found, err := s.Taxpayers.Taxpayer(ctx, digits, now().In(tz.Bucharest()).Format(time.DateOnly))
	var ae *anaf.Error
	switch {
	case errors.As(err, &ae):
		s.logger().WarnContext(ctx, "VAT-payer lookup failed", "cif", digits, "error", err.Error())
		return nil, ErrTaxpayerUnavailable
	case err != nil:
		return nil, err
	case !found:
		return nil, ErrTaxpayerNotFound
	}
	return &Taxpayer{CIF: digits, Name: rec.Name, Address: rec.Address, VATRegistered: rec.VATRegistered, Inactive: rec.Status.Inactive}, nil
}
