package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// Supplier risk flags (issue 20, part 2; migration 00018).

// riskUncheckedCond selects invoices with a flag nobody marked checked
// ($1 is the company in invoiceWhere): the few flagged ids come from the
// partial index invoice_risk_flags_unchecked_idx, not a probe per invoice.
const riskUncheckedCond = `id IN (SELECT rf.invoice_id FROM invoice_risk_flags rf WHERE rf.company_id = $1 AND rf.checked_at IS NULL)`

// VATLookup is one cached answer of ANAF's VAT-payer service for (CUI, date).
type VATLookup struct {
	CUI       string // digits
	Date      string // YYYY-MM-DD
	Found     bool   // ANAF knows the CUI
	Answer    []byte // the typed record as JSON (anaf.VATRecord); nil when not found
	FetchedAt time.Time
}

// VATLookup returns the cached answer for (cui, date). ErrNotFound when none.
func (s *Store) VATLookup(ctx context.Context, cui, date string) (*VATLookup, error) {
	l := VATLookup{CUI: cui, Date: date}
	var answer string
	err := s.queryRow(ctx, `SELECT found, answer, fetched_at FROM vat_lookups WHERE cui = $1 AND query_date = $2`, cui, date).
		Scan(&l.Found, &answer, timeCol{&l.FetchedAt})
	if err != nil {
		return nil, s.wrap("vat lookup", err)
	}
	if answer != "" {
		l.Answer = []byte(answer)
	}
	return &l, nil
}

// PutVATLookup stores (or replaces) the answer for (l.CUI, l.Date);
// FetchedAt zero is now.
func (s *Store) PutVATLookup(ctx context.Context, l *VATLookup) error {
	if l.FetchedAt.IsZero() {
		l.FetchedAt = now()
	}
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO vat_lookups (cui, query_date, found, answer, fetched_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (cui, query_date) DO UPDATE SET found = excluded.found, answer = excluded.answer, fetched_at = excluded.fetched_at`,
		l.CUI, l.Date, l.Found, string(l.Answer), s.tv(l.FetchedAt))
	return s.wrap("put vat lookup", err)
}

// RiskRow is what the risk checker reads of one received invoice.
type RiskRow struct {
	ID          int64
	CompanyID   int64
	CompanyCIF  string
	SupplierCIF string
	Number      string
	IssueDate   string
	Currency    string
	Total       string // BT-112 as written
	VAT         string // BT-110 as written
	ParsedJSON  []byte
	DuplicateOf int64
}

const riskRowColumns = `i.id, i.company_id, c.cif, i.supplier_cif, i.invoice_number, COALESCE(i.issue_date, ''), i.currency,
	i.total_amount, i.vat_amount, (SELECT parsed_json FROM invoice_blobs WHERE invoice_id = i.id), COALESCE(i.duplicate_of, 0)`

func scanRiskRow(sc interface{ Scan(...any) error }) (RiskRow, error) {
	var r RiskRow
	err := sc.Scan(&r.ID, &r.CompanyID, &r.CompanyCIF, &r.SupplierCIF, &r.Number, &r.IssueDate, &r.Currency,
		&r.Total, &r.VAT, &r.ParsedJSON, &r.DuplicateOf)
	return r, err
}

// RiskInvoice returns one received invoice for the checker. ErrNotFound.
func (s *Store) RiskInvoice(ctx context.Context, id int64) (*RiskRow, error) {
	r, err := scanRiskRow(s.queryRow(ctx, `SELECT `+riskRowColumns+` FROM invoices i JOIN companies c ON c.id = i.company_id WHERE i.id = $1`, id))
	if err != nil {
		return nil, s.wrap("risk invoice", err)
	}
	return &r, nil
}

// RiskInvoices returns the received invoices of ids for the checker, by
// id, in one query (ids deleted meanwhile are absent).
func (s *Store) RiskInvoices(ctx context.Context, ids []int64) (map[int64]*RiskRow, error) {
	out := make(map[int64]*RiskRow, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+riskRowColumns+` FROM invoices i JOIN companies c ON c.id = i.company_id
		WHERE i.id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, s.wrap("risk invoices", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRiskRow(rows)
		if err != nil {
			return nil, s.wrap("risk invoices", err)
		}
		out[r.ID] = &r
	}
	return out, s.wrap("risk invoices", rows.Err())
}

// RiskHistory returns the company's received invoices from supplierCIF
// (the most recent limit by issue date), the index on (company_id,
// supplier_cif, …) answering.
func (s *Store) RiskHistory(ctx context.Context, companyID int64, supplierCIF string, limit int) ([]RiskRow, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+riskRowColumns+` FROM invoices i JOIN companies c ON c.id = i.company_id
		WHERE i.company_id = $1 AND i.supplier_cif = $2 AND i.message_type = $3 AND i.parse_error = ''
		ORDER BY i.issue_date DESC, i.id DESC LIMIT $4`, companyID, textParam(supplierCIF), TypeReceived, limit)
	if err != nil {
		return nil, s.wrap("risk history", err)
	}
	defer rows.Close()
	var out []RiskRow
	for rows.Next() {
		r, err := scanRiskRow(rows)
		if err != nil {
			return nil, s.wrap("risk history", err)
		}
		out = append(out, r)
	}
	return out, s.wrap("risk history", rows.Err())
}

// RiskScanWindow is how far below the highest checked invoice id the
// search for unchecked invoices looks (ids committed out of order by
// concurrent syncs), so that it never reads the whole archive again.
const RiskScanWindow = 10000

// RiskCandidates returns up to limit received invoices to check: first
// those never checked (by id), then those whose VAT lookup is due again
// (next_try_at ≤ at).
func (s *Store) RiskCandidates(ctx context.Context, at time.Time, limit int) (fresh, retry []int64, err error) {
	var high int64
	if err := s.queryRow(ctx, `SELECT COALESCE(MAX(invoice_id), 0) FROM invoice_risk_checks`).Scan(&high); err != nil {
		return nil, nil, s.wrap("risk candidates", err)
	}
	fresh, err = s.ids(ctx, `SELECT i.id FROM invoices i WHERE i.id > $1 AND i.message_type = $2 AND i.parse_error = ''
		AND NOT EXISTS (SELECT 1 FROM invoice_risk_checks k WHERE k.invoice_id = i.id) ORDER BY i.id LIMIT $3`,
		high-RiskScanWindow, TypeReceived, limit)
	if err != nil || len(fresh) >= limit {
		return fresh, nil, err
	}
	retry, err = s.ids(ctx, `SELECT invoice_id FROM invoice_risk_checks WHERE vat_done = FALSE AND next_try_at <= $1
		ORDER BY next_try_at LIMIT $2`, s.tv(at), limit-len(fresh))
	return fresh, retry, err
}

func (s *Store) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("ids", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, s.wrap("ids", err)
		}
		out = append(out, id)
	}
	return out, s.wrap("ids", rows.Err())
}

// RiskCheck is the checker's record of one invoice.
type RiskCheck struct {
	InvoiceID  int64
	CompanyID  int64
	ComputedAt time.Time
	VATDone    bool       // ANAF's VAT-payer answer was used; false: waiting for it
	Attempts   int        // failed VAT lookups so far
	NextTryAt  *time.Time // when to ask ANAF again (VATDone false)
	LastError  string     // why the VAT lookup waits
}

// RiskFlag is one stored flag.
type RiskFlag struct {
	ID             int64
	InvoiceID      int64
	CompanyID      int64
	Code           string
	Details        []byte // JSON object of strings
	ComputedAt     time.Time
	CheckedBy      *int64
	CheckedAt      *time.Time
	CheckedByEmail string // the checker's e-mail (RiskFlags), "" when none or deleted
}

// RiskSave is one invoice's check and its flags, for SaveRiskChecks.
type RiskSave struct {
	Check *RiskCheck
	Flags []RiskFlag
}

// SaveRiskCheck records c and adds flags (a flag already stored for the
// invoice keeps its details and its checked state), in one transaction.
func (s *Store) SaveRiskCheck(ctx context.Context, c *RiskCheck, flags []RiskFlag) error {
	return s.SaveRiskChecks(ctx, []RiskSave{{Check: c, Flags: flags}})
}

// SaveRiskChecks is SaveRiskCheck for a batch, in one transaction (a
// first sync's checks: one commit per batch, not per invoice).
func (s *Store) SaveRiskChecks(ctx context.Context, batch []RiskSave) error {
	if len(batch) == 0 {
		return nil
	}
	return s.WithTx(ctx, func(tx *Store) error {
		for _, b := range batch {
			c := b.Check
			if c.ComputedAt.IsZero() {
				c.ComputedAt = now()
			}
			_, err := tx.q.ExecContext(ctx, `
				INSERT INTO invoice_risk_checks (invoice_id, company_id, computed_at, vat_done, attempts, next_try_at, last_error)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (invoice_id) DO UPDATE SET computed_at = excluded.computed_at, vat_done = excluded.vat_done,
					attempts = excluded.attempts, next_try_at = excluded.next_try_at, last_error = excluded.last_error`,
				c.InvoiceID, c.CompanyID, tx.tv(c.ComputedAt), c.VATDone, c.Attempts, tx.tpv(c.NextTryAt), c.LastError)
			if err != nil {
				return tx.wrap("save risk check", err)
			}
			for _, f := range b.Flags {
				_, err := tx.q.ExecContext(ctx, `
					INSERT INTO invoice_risk_flags (invoice_id, company_id, code, details, computed_at) VALUES ($1, $2, $3, $4, $5)
					ON CONFLICT (invoice_id, code) DO NOTHING`,
					c.InvoiceID, c.CompanyID, f.Code, string(f.Details), tx.tv(c.ComputedAt))
				if err != nil {
					return tx.wrap("save risk flag", err)
				}
			}
		}
		return nil
	})
}

// RiskCheckOf returns the checker's record of one invoice of the company;
// ErrNotFound when it has not been checked yet.
func (s *Store) RiskCheckOf(ctx context.Context, companyID, invoiceID int64) (*RiskCheck, error) {
	c := RiskCheck{InvoiceID: invoiceID, CompanyID: companyID}
	err := s.queryRow(ctx, `SELECT computed_at, vat_done, attempts, next_try_at, last_error FROM invoice_risk_checks
		WHERE company_id = $1 AND invoice_id = $2`, companyID, invoiceID).
		Scan(timeCol{&c.ComputedAt}, &c.VATDone, &c.Attempts, nullTimeCol{&c.NextTryAt}, &c.LastError)
	if err != nil {
		return nil, s.wrap("risk check", err)
	}
	return &c, nil
}

// RiskFlags returns the flags of one invoice of the company, by id.
func (s *Store) RiskFlags(ctx context.Context, companyID, invoiceID int64) ([]RiskFlag, error) {
	rows, err := s.query(ctx, `SELECT f.id, f.invoice_id, f.company_id, f.code, f.details, f.computed_at, f.checked_by, f.checked_at,
			COALESCE(u.email, '')
		FROM invoice_risk_flags f LEFT JOIN users u ON u.id = f.checked_by
		WHERE f.company_id = $1 AND f.invoice_id = $2 ORDER BY f.id`, companyID, invoiceID)
	if err != nil {
		return nil, s.wrap("risk flags", err)
	}
	defer rows.Close()
	var out []RiskFlag
	for rows.Next() {
		var (
			f       RiskFlag
			details string
			by      sql.NullInt64
		)
		if err := rows.Scan(&f.ID, &f.InvoiceID, &f.CompanyID, &f.Code, &details, timeCol{&f.ComputedAt}, &by,
			nullTimeCol{&f.CheckedAt}, &f.CheckedByEmail); err != nil {
			return nil, s.wrap("risk flags", err)
		}
		f.Details = []byte(details)
		if by.Valid {
			f.CheckedBy = &by.Int64
		}
		out = append(out, f)
	}
	return out, s.wrap("risk flags", rows.Err())
}

// MarkRiskFlagsChecked marks the unchecked flags of one invoice of the
// company (only code's when code is not "") as checked by userID (0: the
// command line or an API key) now. It returns how many it marked.
func (s *Store) MarkRiskFlagsChecked(ctx context.Context, companyID, invoiceID int64, code string, userID int64) (int64, error) {
	q := `UPDATE invoice_risk_flags SET checked_at = $1, checked_by = $2
		WHERE company_id = $3 AND invoice_id = $4 AND checked_at IS NULL`
	args := []any{s.tv(now()), nullInt64(userID), companyID, invoiceID}
	if code != "" {
		q += ` AND code = $5`
		args = append(args, code)
	}
	res, err := s.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, s.wrap("mark risk flags checked", err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap("mark risk flags checked", err)
}

// RiskCounts returns, per company of companyIDs, how many invoices have
// a flag nobody marked checked (companies without any are absent).
func (s *Store) RiskCounts(ctx context.Context, companyIDs []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(companyIDs) == 0 {
		return out, nil
	}
	ph := make([]string, len(companyIDs))
	args := make([]any, len(companyIDs))
	for i, id := range companyIDs {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	rows, err := s.q.QueryContext(ctx, `SELECT company_id, COUNT(DISTINCT invoice_id) FROM invoice_risk_flags
		WHERE checked_at IS NULL AND company_id IN (`+strings.Join(ph, ", ")+`) GROUP BY company_id`, args...)
	if err != nil {
		return nil, s.wrap("risk counts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, s.wrap("risk counts", err)
		}
		out[id] = n
	}
	return out, s.wrap("risk counts", rows.Err())
}
