package gateway

import (
	"context"
	"errors"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
)

// The guided first steps of a new user (issue 17): connect ANAF first,
// then add companies by CIF, each checked at once with the user's own
// token — added verified, or refused with ANAF's answer.

// ErrCIFNotCovered: ANAF answered that the user's certificate has no SPV
// right for the CIF; nothing was added. Use NotCoveredError to read
// ANAF's own text.
var ErrCIFNotCovered = &Error{Kind: KindInvalid, Code: "cif_not_covered", Field: "cif", Msg: "ANAF says your certificate has no SPV right for this CIF"}

// NotCoveredError is ErrCIFNotCovered with the CIF and ANAF's answer.
type NotCoveredError struct {
	CIF  string
	ANAF string // ANAF's text, verbatim ("Nu aveti drept in SPV pentru CIF=…"); may be empty
}

func (e *NotCoveredError) Error() string {
	return "ANAF says your certificate has no SPV right for CIF " + e.CIF + ": " + e.ANAF
}

// Is makes a NotCoveredError ErrCIFNotCovered.
func (e *NotCoveredError) Is(target error) bool { return target == ErrCIFNotCovered }

// FirstSteps is what the empty dashboard and the companies page need to
// guide a user: is ANAF connected, and which CIFs the user's synced
// invoices name as partners (suggestions only: ANAF has no call that
// lists a certificate's CIFs).
type FirstSteps struct {
	ANAFConnected bool
	Suggestions   []PartnerCIF
}

// maxSuggestions bounds the partner CIFs offered.
const maxSuggestions = 12

// GuideFirstSteps returns the actor's FirstSteps.
func (s *Service) GuideFirstSteps(ctx context.Context, a Actor) (*FirstSteps, error) {
	if a.UserID == 0 {
		return nil, ErrNotFound
	}
	connected, err := s.HasANAFConnection(ctx, a)
	if err != nil {
		return nil, err
	}
	sugg, err := s.Store.PartnerCIFs(ctx, a.UserID, maxSuggestions)
	if err != nil {
		return nil, err
	}
	return &FirstSteps{ANAFConnected: connected, Suggestions: sugg}, nil
}

// AddCompanyChecked is the web's "add a company": a new CIF is first
// asked of ANAF with the actor's own token when the actor has a live ANAF
// connection; ANAF's refusal ("Nu aveti drept in SPV…") adds nothing and
// is returned as a *NotCoveredError. Without a connection, an existing
// CIF, or ANAF not answering, it is AddCompany (a new company is then
// unverified until a sync verifies it).
func (s *Service) AddCompanyChecked(ctx context.Context, a Actor, digits, name string) (*AddResult, error) {
	if a.Impersonated() {
		return nil, ErrImpersonating
	}
	if _, err := s.Store.CompanyByCIF(ctx, digits); !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return nil, err
		}
		return s.AddCompany(ctx, a, a.UserID, digits, name)
	}
	connected, err := s.HasANAFConnection(ctx, a)
	if err != nil {
		return nil, err
	}
	if !connected {
		return s.AddCompany(ctx, a, a.UserID, digits, name)
	}
	verr := s.verify(ctx, a.UserID, digits)
	if errors.Is(verr, anafsync.ErrNotCovered) {
		nc := &NotCoveredError{CIF: digits}
		var ae *anaf.Error
		if errors.As(verr, &ae) {
			nc.ANAF = ae.Text
		}
		s.logger().InfoContext(ctx, "company not added: ANAF refused the user's token for the CIF", "cif", digits, "user_id", a.UserID)
		return nil, nc
	}
	return s.createCompany(ctx, a, a.UserID, digits, name, func() error { return verr })
}

// PartnerCIF is a partner CIF of the user's synced invoices (a suggestion).
type PartnerCIF = store.PartnerCIF
