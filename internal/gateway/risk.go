package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/risk"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Supplier risk flags of received invoices (issue 20, part 2): computed by
// the check_risks job (internal/riskcheck), shown on the invoice page and
// in the API's invoice JSON, counted per company, marked checked by the
// company's members (audited).

// RiskFlag is one flag of an invoice.
type RiskFlag struct {
	Code       string            `json:"code"`
	Severity   string            `json:"severity"` // risk.SeverityHigh | SeverityWarning | SeverityInfo
	Details    map[string]string `json:"details"`
	ComputedAt time.Time         `json:"computed_at"`
	CheckedAt  *time.Time        `json:"checked_at"`
	CheckedBy  string            `json:"checked_by,omitempty"` // the member's e-mail; "" for a key or a deleted user
}

// RiskReport is what the checks found on one invoice.
type RiskReport struct {
	// Checked: the checker has looked at the invoice (its history flags
	// are there). False for a new invoice, and for sent ones (never checked).
	Checked bool
	// VATPending: ANAF's VAT-payer service has not answered yet; the
	// VAT part is retried at NextTryAt.
	VATPending bool
	NextTryAt  *time.Time
	Flags      []RiskFlag
	Unchecked  int // flags nobody marked checked
}

// ErrRiskBadCode: a flag code that does not exist.
var ErrRiskBadCode = &Error{Kind: KindInvalid, Code: "risk_bad_code", Field: "code", Msg: "unknown risk flag code"}

// riskOf reads the flags of an invoice the caller may see.
func (s *Service) riskOf(ctx context.Context, inv *Invoice) (*RiskReport, error) {
	chk, err := s.Store.RiskCheckOf(ctx, inv.CompanyID, inv.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &RiskReport{Flags: []RiskFlag{}}, nil
	case err != nil:
		return nil, err
	}
	return s.riskFrom(ctx, inv, chk, true)
}

// riskFrom is the risk report of inv from its check (nil: not checked
// yet), reading its flags when hasFlags.
func (s *Service) riskFrom(ctx context.Context, inv *Invoice, chk *store.RiskCheck, hasFlags bool) (*RiskReport, error) {
	rep := &RiskReport{Flags: []RiskFlag{}}
	if chk == nil {
		return rep, nil
	}
	rep.Checked, rep.VATPending, rep.NextTryAt = true, !chk.VATDone, chk.NextTryAt
	if !hasFlags {
		return rep, nil
	}
	flags, err := s.Store.RiskFlags(ctx, inv.CompanyID, inv.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range flags {
		rf := RiskFlag{Code: f.Code, Severity: risk.Severity(f.Code), Details: map[string]string{},
			ComputedAt: f.ComputedAt, CheckedAt: f.CheckedAt, CheckedBy: f.CheckedByEmail}
		if len(f.Details) > 0 {
			if err := json.Unmarshal(f.Details, &rf.Details); err != nil {
				s.logger().WarnContext(ctx, "risk flag details unreadable", "invoice_id", inv.ID, "code", f.Code, "error", err.Error())
			}
		}
		if rf.CheckedAt == nil {
			rep.Unchecked++
		}
		rep.Flags = append(rep.Flags, rf)
	}
	order := map[string]int{}
	for i, c := range risk.Codes {
		order[c] = i
	}
	sort.SliceStable(rep.Flags, func(i, j int) bool { return order[rep.Flags[i].Code] < order[rep.Flags[j].Code] })
	return rep, nil
}

// InvoiceRisk returns the risk flags of invoice id when the principal may
// see it (as Invoice).
func (s *Service) InvoiceRisk(ctx context.Context, p Principal, id int64) (*RiskReport, error) {
	inv, _, err := s.Invoice(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.riskOf(ctx, inv)
}

// MarkRiskChecked marks the unchecked flags of invoice id (only code's
// when code is not "") checked, for a member of the invoice's company or
// a write key of it; audited (invoice.risk_checked). It returns how many
// flags it marked (0: nothing was unchecked).
func (s *Service) MarkRiskChecked(ctx context.Context, p Principal, id int64, code string) (int, error) {
	code = strings.TrimSpace(code)
	if code != "" && !risk.Known(code) {
		return 0, ErrRiskBadCode
	}
	if err := p.requireScope(ScopeWrite); err != nil {
		return 0, err
	}
	inv, company, err := s.Invoice(ctx, p, id)
	if err != nil {
		return 0, err
	}
	n, err := s.Store.MarkRiskFlagsChecked(ctx, company.ID, inv.ID, code, p.actor.UserID)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		what := code
		if what == "" {
			what = "all"
		}
		details := fmt.Sprintf("invoice %d (%s): %s, %d flag(s)", inv.ID, inv.InvoiceNumber, what, n)
		if k, ok := p.Key(); ok {
			details += fmt.Sprintf(" (api key %d)", k.KeyID)
		}
		s.audit(ctx, p.actor, store.ActionInvoiceRiskChecked, company, details)
	}
	return int(n), nil
}

// RiskCounts returns, per company the principal may see (a user's
// verified companies; a key's own), how many invoices carry a risk flag
// nobody marked checked; companies without any are absent.
func (s *Service) RiskCounts(ctx context.Context, p Principal) (map[int64]int, error) {
	var ids []int64
	switch {
	case p.key != nil:
		c, err := s.company(ctx, p, 0)
		if errors.Is(err, ErrUnverified) || errors.Is(err, ErrNotFound) {
			return map[int64]int{}, nil
		}
		if err != nil {
			return nil, err
		}
		ids = []int64{c.ID}
	case p.actor.UserID != 0:
		cs, err := s.Store.CompaniesForUser(ctx, p.actor.UserID)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.Verified() {
				ids = append(ids, c.ID)
			}
		}
	}
	return s.Store.RiskCounts(ctx, ids)
}
