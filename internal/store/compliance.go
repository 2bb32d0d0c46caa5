package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// NumberingPattern is a company's own numbering pattern (migration 00016);
// "" when it has none (the default applies).
func (s *Store) NumberingPattern(ctx context.Context, companyID int64) (string, error) {
	var p string
	err := s.q.QueryRowContext(ctx, `SELECT pattern FROM company_numbering_patterns WHERE company_id = $1`, companyID).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return p, err
}

// SetNumberingPattern stores a company's numbering pattern; "" removes it.
// The caller has checked it (internal/compliance).
func (s *Store) SetNumberingPattern(ctx context.Context, companyID int64, pattern string) error {
	if pattern == "" {
		_, err := s.q.ExecContext(ctx, `DELETE FROM company_numbering_patterns WHERE company_id = $1`, companyID)
		return err
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO company_numbering_patterns (company_id, pattern, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (company_id) DO UPDATE SET pattern = excluded.pattern, updated_at = excluded.updated_at`,
		companyID, pattern, s.tv(now()))
	return err
}

// SentRecord is one sent invoice as the compliance checks read it: an
// archived FACTURA TRIMISA (InvoiceID) or an upload (UploadID).
type SentRecord struct {
	InvoiceID int64
	UploadID  int64
	SellerCIF string
	Number    string // BT-1
	IssueDate string // BT-2, YYYY-MM-DD
	// Submitted: for an archived invoice, ANAF's data_creare of the
	// message; for an upload ANAF accepted or is processing (ok, pending),
	// when ANAF answered it with an index. nil otherwise.
	Submitted *time.Time
	State     string // the upload's state; "" for an archived invoice
}

// SentForCompliance lists a company's sent invoices issued from from to to
// (YYYY-MM-DD, inclusive; "" open): the archived FACTURA TRIMISA rows that
// are not ANAF re-publications (duplicate_of), then the uploads (buyer's
// messages left out), each in issue-date order. Rows without a number or
// an issue date are left out.
func (s *Store) SentForCompliance(ctx context.Context, companyID int64, from, to string) ([]SentRecord, error) {
	if to == "" {
		to = "9999-12-31"
	}
	var out []SentRecord
	rows, err := s.q.QueryContext(ctx, `
		SELECT id, CASE WHEN supplier_cif <> '' THEN supplier_cif ELSE cif_emitent END, invoice_number, issue_date, anaf_created_at
		FROM invoices
		WHERE company_id = $1 AND message_type = $2 AND duplicate_of IS NULL
			AND invoice_number <> '' AND issue_date >= $3 AND issue_date <= $4
		ORDER BY issue_date, id`, companyID, TypeSent, from, to)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r SentRecord
		var created time.Time
		if err := rows.Scan(&r.InvoiceID, &r.SellerCIF, &r.Number, &r.IssueDate, timeCol{&created}); err != nil {
			_ = rows.Close()
			return nil, err
		}
		r.Submitted = &created
		out = append(out, r)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.q.QueryContext(ctx, `
		SELECT id, COALESCE(invoice_id, 0), seller_cif, invoice_number, issue_date, state, sent_at
		FROM uploads
		WHERE company_id = $1 AND standard <> 'RASP' AND invoice_number <> '' AND issue_date <> ''
			AND issue_date >= $2 AND issue_date <= $3
		ORDER BY issue_date, id`, companyID, from, to)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var r SentRecord
		var sent *time.Time
		if err := rows.Scan(&r.UploadID, &r.InvoiceID, &r.SellerCIF, &r.Number, &r.IssueDate, &r.State, nullTimeCol{&sent}); err != nil {
			return nil, err
		}
		if r.State == UploadOK || r.State == UploadPending {
			r.Submitted = sent
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ActionCompanyNumberingPattern: an owner set or reset the company's
// numbering pattern (issue 20, part 1).
const ActionCompanyNumberingPattern = "company.numbering_pattern"
