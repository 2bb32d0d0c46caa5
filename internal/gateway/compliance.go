package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/efactura-gateway/efactura/internal/compliance"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// The compliance checks' types, for the doors (issue 20, part 1).
type (
	DeadlineReport  = compliance.DeadlineReport
	DeadlineRow     = compliance.DeadlineRow
	DeadlineStatus  = compliance.DeadlineStatus
	NumberingReport = compliance.NumberingReport
	SeriesReport    = compliance.SeriesReport
	NumberRange     = compliance.Range
	NumberRepeat    = compliance.Repeat
	SentInvoice     = compliance.Invoice
)

// The deadline statuses, for the doors.
const (
	DeadlineOnTime  = compliance.OnTime
	DeadlineLate    = compliance.Late
	DeadlineOverdue = compliance.Overdue
	DeadlineOpen    = compliance.Open
)

// MaxCompliancePeriod is the longest period one compliance check covers.
const MaxCompliancePeriod = 3 * 366 * 24 * time.Hour

// Refusals of the compliance use cases.
var (
	ErrComplianceFrom   = &Error{Kind: KindInvalid, Code: "invalid_date", Field: "from", Msg: "from must be a date, YYYY-MM-DD."}
	ErrComplianceTo     = &Error{Kind: KindInvalid, Code: "invalid_date", Field: "to", Msg: "to must be a date, YYYY-MM-DD."}
	ErrCompliancePeriod = &Error{Kind: KindInvalid, Code: "invalid_period", Field: "to",
		Msg: "the period ends before it starts or is longer than three years."}
	ErrPatternLong     = &Error{Kind: KindInvalid, Code: "pattern_long", Field: "pattern", Msg: fmt.Sprintf("the pattern has at most %d characters", compliance.MaxPatternLen)}
	ErrPatternSyntax   = &Error{Kind: KindInvalid, Code: "pattern_syntax", Field: "pattern", Msg: "the pattern is not a valid regular expression"}
	ErrPatternNoNumber = &Error{Kind: KindInvalid, Code: "pattern_no_number", Field: "pattern", Msg: "the pattern needs a group (?P<number>…) around the number's digits"}
	ErrPatternTwice    = &Error{Kind: KindInvalid, Code: "pattern_twice", Field: "pattern", Msg: "the pattern names the number or series group twice"}
)

// ComplianceReport is the deadline and numbering check of a company's sent
// invoices issued in a period.
type ComplianceReport struct {
	Company          *Company
	From, To         string // the period checked, YYYY-MM-DD
	Pattern          string // the numbering pattern used
	PatternIsDefault bool
	Deadlines        DeadlineReport
	Numbering        NumberingReport
}

// Compliance checks the sent invoices of a company (a member's, or an API
// key's own with read scope) issued from from to to (YYYY-MM-DD; "" from:
// 1 January of this year, "" to: today in Romania): each against its legal
// deadline (internal/deadline) and each numbering series for gaps and
// repeats (the company's pattern). Sent invoices are the archived FACTURA
// TRIMISA rows (ANAF's re-publications left out) and the uploads, one per
// invoice identity.
func (s *Service) Compliance(ctx context.Context, p Principal, companyID int64, from, to string) (*ComplianceReport, error) {
	if err := p.requireScope(ScopeRead); err != nil {
		return nil, err
	}
	c, err := s.company(ctx, p, companyID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	fd, td, err := compliancePeriod(from, to, now)
	if err != nil {
		return nil, err
	}
	src, err := s.Store.NumberingPattern(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	pat, err := compliance.ParsePattern(src)
	if err != nil { // stored before a stricter check: fall back to the default
		pat, _ = compliance.ParsePattern("")
	}
	recs, err := s.Store.SentForCompliance(ctx, c.ID, fd.Format(time.DateOnly), td.Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	invs := make([]compliance.Invoice, 0, len(recs))
	for _, r := range recs {
		d, err := time.Parse(time.DateOnly, r.IssueDate)
		if err != nil {
			continue // not a date: nothing to check it against
		}
		inv := compliance.Invoice{InvoiceID: r.InvoiceID, UploadID: r.UploadID, SellerCIF: r.SellerCIF, Number: r.Number, IssueDate: d}
		if r.Submitted != nil {
			inv.Submitted = *r.Submitted
		}
		inv.Refused = r.State == store.UploadNOK || r.State == store.UploadInvalid
		invs = append(invs, inv)
	}
	invs = compliance.Merge(invs)
	return &ComplianceReport{
		Company: c, From: fd.Format(time.DateOnly), To: td.Format(time.DateOnly),
		Pattern: pat.String(), PatternIsDefault: pat.Default(),
		Deadlines: compliance.CheckDeadlines(invs, now),
		Numbering: compliance.CheckNumbering(invs, pat, compliance.NumberingOptions{From: fd, To: td}),
	}, nil
}

// compliancePeriod reads the period (calendar dates at 00:00 UTC).
func compliancePeriod(from, to string, now time.Time) (time.Time, time.Time, error) {
	y, m, d := now.In(tz.Bucharest()).Date()
	td := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	fd := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)
	var err error
	if to != "" {
		if td, err = time.Parse(time.DateOnly, to); err != nil {
			return fd, td, ErrComplianceTo
		}
		if from == "" {
			fd = time.Date(td.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
		}
	}
	if from != "" {
		if fd, err = time.Parse(time.DateOnly, from); err != nil {
			return fd, td, ErrComplianceFrom
		}
	}
	if td.Before(fd) || td.Sub(fd) > MaxCompliancePeriod {
		return fd, td, ErrCompliancePeriod
	}
	return fd, td, nil
}

// NumberingPattern is an owned company's numbering pattern ("" for the
// default) and the default, for the settings page.
func (s *Service) NumberingPattern(ctx context.Context, a Actor, companyID int64) (pattern, def string, err error) {
	c, err := s.managed(ctx, a, companyID)
	if err != nil {
		return "", compliance.DefaultPattern, err
	}
	pattern, err = s.Store.NumberingPattern(ctx, c.ID)
	return pattern, compliance.DefaultPattern, err
}

// SetNumberingPattern sets an owned company's numbering pattern (a Go
// regular expression with a group (?P<number>…), at most
// compliance.MaxPatternLen characters); "" or the default pattern itself
// goes back to the default. Audited. FieldErrors for a wrong pattern.
func (s *Service) SetNumberingPattern(ctx context.Context, a Actor, companyID int64, pattern string) error {
	c, err := s.managed(ctx, a, companyID)
	if err != nil {
		return err
	}
	if _, err := compliance.ParsePattern(pattern); err != nil {
		switch {
		case errors.Is(err, compliance.ErrPatternLong):
			return FieldErrors{ErrPatternLong}
		case errors.Is(err, compliance.ErrPatternNoNumber):
			return FieldErrors{ErrPatternNoNumber}
		case errors.Is(err, compliance.ErrPatternTwice):
			return FieldErrors{ErrPatternTwice}
		default:
			return FieldErrors{ErrPatternSyntax}
		}
	}
	if pattern == compliance.DefaultPattern {
		pattern = ""
	}
	old, err := s.Store.NumberingPattern(ctx, c.ID)
	if err != nil {
		return err
	}
	if old == pattern {
		return nil
	}
	if err := s.Store.SetNumberingPattern(ctx, c.ID, pattern); err != nil {
		return err
	}
	shown := pattern
	if shown == "" {
		shown = "default"
	}
	s.audit(ctx, a, store.ActionCompanyNumberingPattern, c, fmt.Sprintf("pattern=%q", shown))
	return nil
}
