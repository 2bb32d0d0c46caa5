package store

import (
	"context"
	"database/sql"
	"time"
)

// InvoiceDetail is one invoice with what its detail shows beside it, read
// in one query (InvoiceDetailByID).
type InvoiceDetail struct {
	Invoice    Invoice // with ParsedJSON
	Validation InvoiceValidation
	Risk       *RiskCheck // nil: not checked yet
	// HasFlags: the invoice has risk flags (RiskFlags reads them).
	HasFlags bool
}

// InvoiceDetailByID returns invoice id of the company with its parsed
// document, its verdict (InvoiceValidation), its risk check (RiskCheckOf)
// and whether it has risk flags, in one query rather than four.
// ErrNotFound.
func (s *Store) InvoiceDetailByID(ctx context.Context, companyID, id int64) (*InvoiceDetail, error) {
	var (
		d        InvoiceDetail
		issue    sql.NullString
		report   string
		computed *time.Time
		vatDone  sql.NullBool
		attempts sql.NullInt64
		lastErr  sql.NullString
		chk      RiskCheck
	)
	inv, v := &d.Invoice, &d.Validation
	args := append(invoiceScanArgs(inv, &issue), &inv.ParsedJSON,
		&v.State, &v.Errors, &v.Warnings, &report, &v.ValidatedWith, nullTimeCol{&v.ValidatedAt},
		nullTimeCol{&computed}, &vatDone, &attempts, nullTimeCol{&chk.NextTryAt}, &lastErr, &d.HasFlags)
	err := s.queryRow(ctx, `
		SELECT i.*, k.computed_at, k.vat_done, k.attempts, k.next_try_at, k.last_error,
			EXISTS (SELECT 1 FROM invoice_risk_flags f WHERE f.company_id = i.company_id AND f.invoice_id = i.id)
		FROM (SELECT `+invoiceListColumns+`, (SELECT parsed_json FROM invoice_blobs WHERE invoice_id = invoices.id) AS parsed_json,
				validation_state, validation_errors, validation_warnings, validation_report, validated_with, validated_at
			FROM invoices WHERE company_id = $1 AND id = $2) i
		LEFT JOIN invoice_risk_checks k ON k.invoice_id = i.id AND k.company_id = i.company_id`,
		companyID, id).Scan(args...)
	if err != nil {
		return nil, s.wrap("invoice detail", err)
	}
	inv.IssueDate = issue.String
	if report != "" {
		v.Report = []byte(report)
	}
	if computed != nil {
		chk.InvoiceID, chk.CompanyID, chk.ComputedAt = inv.ID, inv.CompanyID, *computed
		chk.VATDone, chk.Attempts, chk.LastError = vatDone.Bool, int(attempts.Int64), lastErr.String
		d.Risk = &chk
	}
	return &d, nil
}
