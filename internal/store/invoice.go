package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"
	"golang.org/x/text/unicode/norm"

	"github.com/efactura-gateway/efactura/internal/cif"
)

// invoiceListColumns are the columns of a listed invoice (no ZIP, no parsed JSON).
const invoiceListColumns = `id, company_id, anaf_id, upload_id, message_type, details, cif_emitent, cif_beneficiar,
	anaf_created_at, document_type, invoice_number, issue_date, due_date, currency, issuer_name,
	receiver_name, supplier_cif, total_amount, vat_amount, parse_error, zip_sha256, synced_at, duplicate_of, conflict_of`

func invoiceScanArgs(inv *Invoice, issueDate *sql.NullString) []any {
	return []any{&inv.ID, &inv.CompanyID, &inv.ANAFID, &inv.UploadID, &inv.MessageType, &inv.Details,
		&inv.CIFEmitent, &inv.CIFBeneficiar, timeCol{&inv.ANAFCreatedAt}, &inv.DocumentType,
		&inv.InvoiceNumber, issueDate, &inv.DueDate, &inv.Currency, &inv.IssuerName,
		&inv.ReceiverName, &inv.SupplierCIF, &inv.TotalAmount, &inv.VATAmount, &inv.ParseError,
		&inv.ZIPSHA256, timeCol{&inv.SyncedAt}, nullIDCol{&inv.DuplicateOf}, nullIDCol{&inv.ConflictOf}}
}

// nullIDCol scans a nullable id into an int64 (0 for NULL).
type nullIDCol struct{ dst *int64 }

func (c nullIDCol) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	*c.dst = n.Int64
	return nil
}

// invoiceBriefColumns are the columns of an invoice the API's list shows
// (InvoiceFilter.Brief): fewer columns to convert per row.
const invoiceBriefColumns = `id, anaf_id, message_type, cif_emitent, cif_beneficiar, document_type, invoice_number,
	issue_date, due_date, currency, issuer_name, receiver_name, supplier_cif, total_amount, vat_amount, parse_error,
	synced_at, duplicate_of, conflict_of`

// scanBrief scans invoiceBriefColumns into inv, with dst (19 slots) as
// the argument list, reused from row to row.
func scanBrief(row interface{ Scan(...any) error }, inv *Invoice, d *sql.NullString, dst []any) error {
	dst = append(dst[:0], &inv.ID, &inv.ANAFID, &inv.MessageType, &inv.CIFEmitent, &inv.CIFBeneficiar,
		&inv.DocumentType, &inv.InvoiceNumber, d, &inv.DueDate, &inv.Currency, &inv.IssuerName,
		&inv.ReceiverName, &inv.SupplierCIF, &inv.TotalAmount, &inv.VATAmount, &inv.ParseError,
		timeCol{&inv.SyncedAt}, nullIDCol{&inv.DuplicateOf}, nullIDCol{&inv.ConflictOf})
	if err := row.Scan(dst...); err != nil {
		return err
	}
	inv.IssueDate = d.String
	return nil
}

func scanInvoice(row interface{ Scan(...any) error }) (*Invoice, error) {
	var (
		inv Invoice
		d   sql.NullString
	)
	if err := row.Scan(invoiceScanArgs(&inv, &d)...); err != nil {
		return nil, err
	}
	inv.IssueDate = d.String
	return &inv, nil
}

// foldSearch lower-cases s and strips diacritics ("Ștefan" → "stefan"), so
// a search without diacritics still finds Romanian names. It is applied in
// Go to the stored search_text and to the query, identically on both
// backends (SQLite's lower() only folds ASCII).
func foldSearch(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// numericOrNil returns the canonical decimal text of an amount written as
// s, or nil when s is not a decimal (the sort copy is then NULL).
func numericOrNil(s string) any {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return d.String()
}

// InsertInvoice stores an invoice with its ZIP in one transaction.
// Idempotent on (company_id, anaf_id): inserted=false when it existed (inv.ID then set to the existing id).
// ZIPSHA256 is computed when empty and SyncedAt set to now when zero.
func (s *Store) InsertInvoice(ctx context.Context, inv *Invoice) (inserted bool, err error) {
	err = s.WithTx(ctx, func(tx *Store) error {
		ins, err := tx.insertInvoices(ctx, []*Invoice{inv}, []*InvoiceValidation{nil}, false)
		if err == nil {
			inserted = ins[0]
		}
		return err
	})
	if err != nil {
		return false, err
	}
	return inserted, nil
}

// InvoiceIdentity is the identity of an invoice, one rule for the whole
// gateway (sync, upload, compliance): the seller's CIF, the number (BT-1)
// and the issue date (BT-2). ok is false when a part is missing (an
// unparsed document, ANAF's error list): such a row has no identity.
func InvoiceIdentity(inv *Invoice) (supplierCIF, number, issueDate string, ok bool) {
	supplierCIF, number, issueDate = strings.TrimSpace(inv.SupplierCIF), strings.TrimSpace(inv.InvoiceNumber), strings.TrimSpace(inv.IssueDate)
	return supplierCIF, number, issueDate, supplierCIF != "" && number != "" && issueDate != ""
}

// SameTotal reports whether two totals (BT-112 as written) are the same
// amount: compared as decimals ("100.0" = "100.00"), else as text.
func SameTotal(a, b string) bool {
	da, errA := decimal.NewFromString(strings.TrimSpace(a))
	db, errB := decimal.NewFromString(strings.TrimSpace(b))
	if errA == nil && errB == nil {
		return da.Equal(db)
	}
	return strings.TrimSpace(a) == strings.TrimSpace(b)
}

// nullID is an id parameter, NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// ExistingANAFIDs returns which of anafIDs the company already has.
func (s *Store) ExistingANAFIDs(ctx context.Context, companyID int64, anafIDs []string) (map[string]bool, error) {
	out := make(map[string]bool)
	const chunk = 500
	for start := 0; start < len(anafIDs); start += chunk {
		ids := anafIDs[start:min(start+chunk, len(anafIDs))]
		args := make([]any, 0, len(ids)+1)
		args = append(args, companyID)
		for _, id := range ids {
			args = append(args, id)
		}
		// Only generated placeholders are formatted into the SQL; the ids are parameters.
		if err := s.addIDs(ctx, out, `SELECT anaf_id FROM invoices WHERE company_id = $1 AND anaf_id IN (`+
			placeholders(2, len(ids))+`)`, args...); err != nil {
			return nil, s.wrap("existing anaf ids", err)
		}
	}
	return out, nil
}

const archivedZIPSQL = `SELECT b.zip FROM invoices i JOIN invoice_blobs b ON b.invoice_id = i.id WHERE i.anaf_id = $1 ORDER BY i.id LIMIT 1`

// ArchivedZIP returns the ZIP of a message already archived for any company
// (the same ANAF message id is the same signed ZIP). ErrNotFound.
func (s *Store) ArchivedZIP(ctx context.Context, anafID string) ([]byte, error) {
	var zip []byte
	err := s.queryRow(ctx, archivedZIPSQL, anafID).Scan(&zip)
	if err != nil {
		return nil, s.wrap("archived zip", err)
	}
	return zip, nil
}

// escapeLike escapes LIKE wildcards so user text matches literally (ESCAPE '\').
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(textParam(s))
}

// textParam makes user text a value every backend accepts: PostgreSQL
// refuses NUL bytes and invalid UTF-8 in text parameters (an error, so a
// 500, for a hostile search), SQLite would store them. Neither can match
// stored text, so dropping them changes no result.
func textParam(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}

// invoiceWhere builds the WHERE clause and arguments of a filter. User
// values are always parameters.
func invoiceWhere(f InvoiceFilter) (string, []any) {
	var (
		conds = []string{"company_id = $1"}
		args  = []any{f.CompanyID}
	)
	arg := func(v any) string {
		if str, ok := v.(string); ok {
			v = textParam(str)
		}
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.MessageType != "" {
		conds = append(conds, "message_type = "+arg(f.MessageType))
	}
	if sc := strings.TrimSpace(f.SupplierCIF); sc != "" {
		cands := []string{arg(sc)}
		if digits, err := cif.Normalize(sc); err == nil {
			cands = append(cands, arg(digits), arg("RO"+digits))
		}
		conds = append(conds, "supplier_cif IN ("+strings.Join(cands, ", ")+")")
	}
	if f.DateFrom != "" {
		conds = append(conds, "issue_date >= "+arg(f.DateFrom))
	}
	if f.DateTo != "" {
		conds = append(conds, "issue_date <= "+arg(f.DateTo))
	}
	if q := foldSearch(strings.TrimSpace(f.Query)); q != "" {
		conds = append(conds, "search_text LIKE "+arg("%"+escapeLike(q)+"%")+` ESCAPE '\'`)
	}
	if f.ExcludeDuplicates {
		conds = append(conds, "duplicate_of IS NULL")
	}
	if f.RiskUnchecked { // risk.go: ids from the partial index invoice_risk_flags_unchecked_idx
		conds = append(conds, riskUncheckedCond)
	}
	return strings.Join(conds, " AND "), args
}

// InvoiceByID returns one invoice of the company with ParsedJSON (no ZIP). ErrNotFound (also for another company's invoice).
func (s *Store) InvoiceByID(ctx context.Context, companyID, id int64) (*Invoice, error) {
	var (
		inv Invoice
		d   sql.NullString
	)
	err := s.queryRow(ctx, `SELECT `+invoiceListColumns+`, (SELECT parsed_json FROM invoice_blobs WHERE invoice_id = invoices.id) FROM invoices WHERE company_id = $1 AND id = $2`,
		companyID, id).Scan(append(invoiceScanArgs(&inv, &d), &inv.ParsedJSON)...)
	if err != nil {
		return nil, s.wrap("invoice by id", err)
	}
	inv.IssueDate = d.String
	return &inv, nil
}

// InvoicesByIDs returns the company's invoices among ids (no ZIP, no
// parsed JSON; another company's ids and missing ones are left out), in
// one query per 200 ids, in no particular order: the webhook data of a
// sync batch's events (issue 16).
func (s *Store) InvoicesByIDs(ctx context.Context, companyID int64, ids []int64) ([]Invoice, error) {
	var out []Invoice
	for start := 0; start < len(ids); start += maxIDsPerStatement {
		part := ids[start:min(start+maxIDsPerStatement, len(ids))]
		args := make([]any, 0, len(part)+1)
		args = append(args, companyID)
		for _, id := range part {
			args = append(args, id)
		}
		// Only generated placeholders are formatted into the SQL; the ids are parameters.
		rows, err := s.q.QueryContext(ctx, `SELECT `+invoiceListColumns+` FROM invoices WHERE company_id = $1 AND id IN (`+placeholders(2, len(part))+`)`, args...)
		if err != nil {
			return nil, s.wrap("invoices by id", err)
		}
		invs, err := collect(rows, "invoices by id", s, scanInvoice)
		if err != nil {
			return nil, err
		}
		out = append(out, invs...)
	}
	return out, nil
}

// InvoiceZIP returns the original ZIP of one invoice of the company. ErrNotFound.
func (s *Store) InvoiceZIP(ctx context.Context, companyID, id int64) ([]byte, error) {
	var zip []byte
	err := s.q.QueryRowContext(ctx, `SELECT b.zip FROM invoices i JOIN invoice_blobs b ON b.invoice_id = i.id WHERE i.company_id = $1 AND i.id = $2`, companyID, id).Scan(&zip)
	if err != nil {
		return nil, s.wrap("invoice zip", err)
	}
	if zip == nil {
		zip = []byte{}
	}
	return zip, nil
}

// ArchiveMismatch is one stored ZIP whose SHA-256 differs from the hash
// recorded when it was archived.
type ArchiveMismatch struct {
	InvoiceID int64
	CompanyID int64
	ANAFID    string
	Stored    []byte // zip_sha256 as recorded
	Actual    []byte // SHA-256 of the zip column now
}

// VerifyArchive recomputes the SHA-256 of every stored ZIP (one row at a
// time, in id order) and returns how many were checked and the mismatches.
func (s *Store) VerifyArchive(ctx context.Context) (checked int, bad []ArchiveMismatch, err error) {
	var last int64
	for {
		// Pages of ids first, then each ZIP alone: memory stays at one ZIP.
		ids, err := s.invoiceIDsAfter(ctx, last, 500)
		if err != nil {
			return checked, bad, s.wrap("verify archive", err)
		}
		if len(ids) == 0 {
			return checked, bad, nil
		}
		for _, id := range ids {
			var m ArchiveMismatch
			var zip []byte
			if err := s.q.QueryRowContext(ctx, `SELECT i.company_id, i.anaf_id, b.zip, i.zip_sha256 FROM invoices i JOIN invoice_blobs b ON b.invoice_id = i.id WHERE i.id = $1`, id).
				Scan(&m.CompanyID, &m.ANAFID, &zip, &m.Stored); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					continue // deleted meanwhile
				}
				return checked, bad, s.wrap("verify archive", err)
			}
			checked++
			sum := sha256.Sum256(zip)
			if string(sum[:]) != string(m.Stored) {
				m.InvoiceID, m.Actual = id, sum[:]
				bad = append(bad, m)
			}
		}
		last = ids[len(ids)-1]
	}
}

// invoiceIDsAfter returns up to n invoice ids above last, in order.
func (s *Store) invoiceIDsAfter(ctx context.Context, last int64, n int) ([]int64, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT id FROM invoices WHERE id > $1 ORDER BY id LIMIT $2`, last, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
