package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Verdict states (store.InvoiceValidation.State).
const (
	VerdictPending       = store.ValidationPending
	VerdictValid         = store.ValidationValid
	VerdictInvalid       = store.ValidationInvalid
	VerdictNotApplicable = store.ValidationNotApplicable
	VerdictFailed        = store.ValidationFailed
)

// ValidatedWith is the profile and rules version verdicts are made with
// now ("ro 1.0.9"); an invoice validated with another is validated again.
const ValidatedWith = anafsync.ValidatedWith

// VerdictReport is a stored verdict's compact report; VerdictFinding one
// fired rule in it.
type (
	VerdictReport  = anafsync.Report
	VerdictFinding = anafsync.Finding
)

// Verdict is the native validator's verdict on an archived invoice, as the
// invoice page and the API show it.
type Verdict struct {
	State         string // "" (not validated yet), valid, invalid, not_applicable, failed
	Errors        int
	Warnings      int
	ValidatedWith string // "ro 1.0.9"; "" when not validated
	ValidatedAt   *time.Time
	// Current: validated with the rules of this build (ValidatedWith).
	Current bool
	// Report is the decoded report; nil when there is none (not validated,
	// not applicable) or it cannot be read.
	Report *VerdictReport
	// RawReport is the stored JSON report; nil when none.
	RawReport json.RawMessage
}

// verdictOf reads the verdict on inv (which the caller may see).
func (s *Service) verdictOf(ctx context.Context, inv *Invoice) (*Verdict, error) {
	v, err := s.Store.InvoiceValidation(ctx, inv.CompanyID, inv.ID)
	if err != nil {
		return nil, err
	}
	return s.verdictFrom(ctx, inv, v), nil
}

// verdictFrom is the verdict v stored on inv.
func (s *Service) verdictFrom(ctx context.Context, inv *Invoice, v *store.InvoiceValidation) *Verdict {
	out := &Verdict{State: v.State, Errors: v.Errors, Warnings: v.Warnings, ValidatedWith: v.ValidatedWith,
		ValidatedAt: v.ValidatedAt, Current: v.ValidatedWith == ValidatedWith}
	if len(v.Report) > 0 {
		var rep VerdictReport
		if err := json.Unmarshal(v.Report, &rep); err != nil {
			s.logger().WarnContext(ctx, "stored validation report unreadable", "invoice_id", inv.ID, "error", err.Error())
		} else {
			out.Report, out.RawReport = &rep, v.Report
		}
	}
	return out
}

// InvoiceWithVerdict is Invoice (the same tenant check) with the native
// validator's verdict on it.
func (s *Service) InvoiceWithVerdict(ctx context.Context, p Principal, id int64) (*Invoice, *Company, *Verdict, error) {
	inv, c, err := s.Invoice(ctx, p, id)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := s.verdictOf(ctx, inv)
	if err != nil {
		return nil, nil, nil, err
	}
	return inv, c, v, nil
}

// ValidationCounts are how many invoices are in each verdict state.
type ValidationCounts = store.ValidationCounts

// ErrRevalidateCompany: the --company of RevalidateArchive names no company.
var ErrRevalidateCompany = &Error{Kind: KindNotFound, Code: "company_not_found", Field: "company", Msg: "no company with that CIF"}

// RevalidateResult is what RevalidateArchive did and where the archive
// stands after it.
type RevalidateResult struct {
	Company *Company // nil: every company
	// Checked … Failed are the invoices this call validated.
	Checked, Valid, Invalid, NotApplicable, Failed, Warnings int
	// After are the verdicts of the selected invoices afterwards.
	After ValidationCounts
}

// RevalidateArchive validates archived invoices with the native validator
// (administrators and the operator at the command line): those of the
// company of CIF companyCIF ("" for every company) without a verdict by
// the current rules, or every one of them when all is set. progress, when
// set, is told the running counts after each batch. Verdicts are stored
// as they are made, so an interrupted call loses nothing.
func (s *Service) RevalidateArchive(ctx context.Context, a Actor, companyCIF string, all bool, progress func(checked int)) (*RevalidateResult, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	res := &RevalidateResult{}
	if companyCIF != "" {
		d, err := cif.Normalize(companyCIF)
		if err != nil {
			return nil, &Error{Kind: KindInvalid, Code: "bad_cif", Field: "company", Msg: err.Error()}
		}
		c, err := s.Store.CompanyByCIF(ctx, d)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrRevalidateCompany
		}
		if err != nil {
			return nil, err
		}
		res.Company = c
	}
	o := anafsync.ArchiveValidation{All: all}
	if res.Company != nil {
		o.CompanyID = res.Company.ID
	}
	if progress != nil {
		o.Progress = func(c anafsync.ValidationCounts) { progress(c.Checked) }
	}
	c, err := anafsync.ValidateArchive(ctx, s.Store, o)
	if c != nil {
		res.Checked, res.Valid, res.Invalid, res.NotApplicable, res.Failed, res.Warnings =
			c.Checked, c.Valid, c.Invalid, c.NotApplicable, c.Failed, c.Warnings
	}
	if err != nil {
		return res, err
	}
	after, err := s.Store.InvoiceValidationCounts(ctx, o.CompanyID, ValidatedWith)
	if err != nil {
		return res, err
	}
	res.After = *after
	return res, nil
}
