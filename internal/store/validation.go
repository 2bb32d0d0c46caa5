package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validation states of an archived invoice (migration 00007).
const (
	// ValidationPending: not validated yet (validated_with is "").
	ValidationPending = ""
	// ValidationValid: no fatal rule fired (warnings may have).
	ValidationValid = "valid"
	// ValidationInvalid: at least one fatal rule fired under the current rules.
	ValidationInvalid = "invalid"
	// ValidationNotApplicable: no UBL invoice to validate (ANAF's error
	// list, a buyer message, an unreadable ZIP).
	ValidationNotApplicable = "not_applicable"
	// ValidationFailed: the validator itself failed; Report says why.
	ValidationFailed = "failed"
)

// InvoiceValidation is the native validator's verdict on one archived
// invoice. Report is the compact JSON report; ValidatedWith names the
// profile and rules version ("ro 1.0.9"), "" when not validated.
type InvoiceValidation struct {
	State         string
	Errors        int
	Warnings      int
	Report        []byte // JSON; nil when none (pending, not applicable)
	ValidatedWith string
	ValidatedAt   *time.Time
}

// SetInvoiceValidation stores the verdict on invoice id (any company: the
// caller read the invoice from the archive). v.ValidatedAt is set to now
// when nil. ErrNotFound when the invoice is gone.
func (s *Store) SetInvoiceValidation(ctx context.Context, id int64, v *InvoiceValidation) error {
	if v.ValidatedWith == "" {
		return errors.New("store: set invoice validation: ValidatedWith is required")
	}
	at := now()
	if v.ValidatedAt != nil {
		at = utcMicro(*v.ValidatedAt)
	}
	v.ValidatedAt = &at
	res, err := s.q.ExecContext(ctx, `
		UPDATE invoices SET validation_state = $1, validation_errors = $2, validation_warnings = $3,
			validation_report = $4, validated_with = $5, validated_at = $6
		WHERE id = $7`,
		v.State, v.Errors, v.Warnings, string(v.Report), v.ValidatedWith, s.tv(at), id)
	return s.mustAffect("set invoice validation", res, err)
}

// ResetInvoiceValidation forgets the verdicts of the company's invoices
// (every company's when companyID is 0), so they are validated again.
// It returns how many rows were reset.
func (s *Store) ResetInvoiceValidation(ctx context.Context, companyID int64) (int64, error) {
	q := `UPDATE invoices SET validation_state = '', validation_errors = 0, validation_warnings = 0,
		validation_report = '', validated_with = '', validated_at = NULL WHERE validated_with <> ''`
	args := []any{}
	if companyID != 0 {
		q += ` AND company_id = $1`
		args = append(args, companyID)
	}
	res, err := s.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, s.wrap("reset invoice validation", err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap("reset invoice validation", err)
}

// InvoiceValidation returns the verdict on one invoice of the company
// (State "" when not validated yet). ErrNotFound (also for another
// company's invoice).
func (s *Store) InvoiceValidation(ctx context.Context, companyID, id int64) (*InvoiceValidation, error) {
	var (
		v      InvoiceValidation
		report string
	)
	err := s.queryRow(ctx, `
		SELECT validation_state, validation_errors, validation_warnings, validation_report, validated_with, validated_at
		FROM invoices WHERE company_id = $1 AND id = $2`, companyID, id).
		Scan(&v.State, &v.Errors, &v.Warnings, &report, &v.ValidatedWith, nullTimeCol{&v.ValidatedAt})
	if err != nil {
		return nil, s.wrap("invoice validation", err)
	}
	if report != "" {
		v.Report = []byte(report)
	}
	return &v, nil
}

// MessageValidation returns the verdict made with current on any
// archived copy of ANAF message anafID (the seller's and the buyer's
// company archive the same signed ZIP), so a second copy need not be
// validated again. ErrNotFound when no copy has one.
func (s *Store) MessageValidation(ctx context.Context, anafID, current string) (*InvoiceValidation, error) {
	// The copies of the id in id order (the (anaf_id, id) index; a handful
	// of rows), the first validated with current chosen here: with
	// validated_with in the WHERE clause PostgreSQL may prefer its index,
	// which every row of the archive shares.
	rows, err := s.query(ctx, messageValidationSQL, anafID)
	if err != nil {
		return nil, s.wrap("message validation", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			v      InvoiceValidation
			report string
		)
		if err := rows.Scan(&v.State, &v.Errors, &v.Warnings, &report, &v.ValidatedWith); err != nil {
			return nil, s.wrap("message validation", err)
		}
		if v.ValidatedWith != current {
			continue
		}
		if report != "" {
			v.Report = []byte(report)
		}
		return &v, nil
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("message validation", err)
	}
	return nil, s.wrap("message validation", sql.ErrNoRows)
}

const messageValidationSQL = `SELECT validation_state, validation_errors, validation_warnings, validation_report, validated_with
	FROM invoices WHERE anaf_id = $1 ORDER BY id`

// ValidationScan selects invoices to validate. Current is the profile and
// rules version of this build ("ro 1.0.9"): an invoice needs validation
// when its validated_with differs (never validated, or by older rules);
// All selects every invoice regardless. CompanyID 0 means every company.
type ValidationScan struct {
	Current   string
	CompanyID int64
	All       bool
	AfterID   int64 // only ids above this (the cursor of an All or company walk)
	Limit     int   // batch size; <= 0: 200
}

// ValidationTarget is an invoice to validate, without its ZIP (read it
// with InvoiceZIP, one at a time).
type ValidationTarget struct {
	ID           int64
	CompanyID    int64
	MessageType  string
	DocumentType string
}

// needsValidation is the condition "validated_with <> $n" written as two
// ranges, so both databases can answer it from invoices_validated_with_idx.
func needsValidation(ph string) string {
	return "(validated_with < " + ph + " OR validated_with > " + ph + ")"
}

// InvoicesToValidate returns the next batch of invoices selected by f,
// sorted by id. An empty batch means the walk is done.
//
// The archive-wide walk (neither All nor CompanyID) is answered from the
// validated_with index alone and ignores AfterID: it returns any f.Limit
// invoices needing validation, and the walk goes on until none is left
// (each verdict stored takes its row out of the selection). A walk in id
// order would make SQLite scan the table from the first id, reading every
// ZIP on the way, whenever only a few invoices need validation. An All or
// company walk is in id order above AfterID.
func (s *Store) InvoicesToValidate(ctx context.Context, f ValidationScan) ([]ValidationTarget, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	var (
		conds []string
		args  []any
		order string
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !f.All {
		conds = append(conds, needsValidation(arg(f.Current)))
	}
	if f.All || f.CompanyID != 0 {
		conds = append(conds, "id > "+arg(f.AfterID))
		order = " ORDER BY id"
	}
	if f.CompanyID != 0 {
		conds = append(conds, "company_id = "+arg(f.CompanyID))
	}
	rows, err := s.q.QueryContext(ctx, `SELECT id, company_id, message_type, document_type FROM invoices WHERE `+
		strings.Join(conds, " AND ")+order+` LIMIT `+arg(f.Limit), args...)
	if err != nil {
		return nil, s.wrap("invoices to validate", err)
	}
	out, err := collect(rows, "invoices to validate", s, func(row interface{ Scan(...any) error }) (*ValidationTarget, error) {
		var t ValidationTarget
		err := row.Scan(&t.ID, &t.CompanyID, &t.MessageType, &t.DocumentType)
		return &t, err
	})
	slices.SortFunc(out, func(a, b ValidationTarget) int { return cmp.Compare(a.ID, b.ID) })
	return out, err
}

// HasInvoicesToValidate reports whether any invoice needs validation by
// current (a cheap check: one index probe).
func (s *Store) HasInvoicesToValidate(ctx context.Context, current string) (bool, error) {
	var one int
	err := s.q.QueryRowContext(ctx, `SELECT 1 FROM invoices WHERE `+needsValidation("$1")+` LIMIT 1`, current).Scan(&one)
	if err != nil {
		if err = s.wrap("has invoices to validate", err); errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// ValidationCounts are how many of a company's (or every company's)
// invoices are in each validation state.
type ValidationCounts struct {
	Pending       int // not validated, or by other rules than current
	Valid         int
	Invalid       int
	NotApplicable int
	Failed        int
	Warnings      int // sum of the warnings of the validated invoices
}

// InvoiceValidationCounts counts invoices by verdict (companyID 0: every
// company). An invoice validated by other rules than current is Pending.
func (s *Store) InvoiceValidationCounts(ctx context.Context, companyID int64, current string) (*ValidationCounts, error) {
	q := `SELECT CASE WHEN validated_with = $1 THEN validation_state ELSE '' END AS st, count(*), coalesce(sum(validation_warnings), 0)
		FROM invoices`
	args := []any{current}
	if companyID != 0 {
		q += ` WHERE company_id = $2`
		args = append(args, companyID)
	}
	q += ` GROUP BY st`
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("invoice validation counts", err)
	}
	defer rows.Close()
	var c ValidationCounts
	for rows.Next() {
		var (
			st   string
			n, w int
		)
		if err := rows.Scan(&st, &n, &w); err != nil {
			return nil, s.wrap("invoice validation counts", err)
		}
		switch st {
		case ValidationValid:
			c.Valid += n
		case ValidationInvalid:
			c.Invalid += n
		case ValidationNotApplicable:
			c.NotApplicable += n
		case ValidationFailed:
			c.Failed += n
		default:
			c.Pending += n
			continue
		}
		c.Warnings += w
	}
	return &c, s.wrap("invoice validation counts", rows.Err())
}
