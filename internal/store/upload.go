package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Upload states (issue 14). Active states (UploadActive) block a second
// upload of the same invoice (uploads_active_idx).
const (
	UploadInvalid = "invalid" // refused locally by the validator; never sent
	UploadSending = "sending" // queued or being sent to ANAF
	UploadUnknown = "unknown" // ANAF's answer was lost; reconciled against ANAF's messages
	UploadPending = "pending" // ANAF: "in prelucrare"
	UploadOK      = "ok"      // accepted (id_descarcare), archived as a sent invoice
	UploadNOK     = "nok"     // refused by ANAF (or could not be sent at all)
)

// UploadActive reports whether an upload in state blocks another upload of
// the same invoice.
func UploadActive(state string) bool {
	switch state {
	case UploadSending, UploadUnknown, UploadPending, UploadOK:
		return true
	}
	return false
}

// UploadOptions are ANAF's upload flags, stored as JSON.
type UploadOptions struct {
	B2C         bool `json:"b2c,omitempty"`
	Extern      bool `json:"extern,omitempty"`
	Autofactura bool `json:"autofactura,omitempty"`
	Executare   bool `json:"executare,omitempty"`
}

// UploadError is one error of an upload (a validator rule or one of ANAF's errors).
type UploadError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Upload is one upload of one document.
type Upload struct {
	ID            int64
	CompanyID     int64
	FileName      string
	Options       UploadOptions
	Standard      string // UBL, CN or RASP
	State         string
	StateAt       time.Time
	SellerCIF     string // digits
	InvoiceNumber string // BT-1
	IssueDate     string // BT-2 YYYY-MM-DD
	BuyerCIF      string
	BuyerName     string
	TotalAmount   string
	Currency      string
	Document      []byte // the XML as sent (BOM stripped); loaded by UploadByID only
	DocSHA256     []byte
	IDIncarcare   string
	IDDescarcare  string
	Errors        []UploadError
	Report        []byte // the validator's report as JSON; nil when not kept
	DuplicateOf   int64
	InvoiceID     int64
	RefInvoiceID  int64      // RASP: the received invoice the buyer message is about
	SendStartedAt *time.Time // set (committed) just before the upload call: a restart after it never resends
	SentAt        *time.Time // when ANAF answered the upload with an index
	Polls         int        // stareMesaj calls made
	NextPollAt    *time.Time
	CreatedByUser int64
	CreatedByKey  int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const uploadColumns = `id, company_id, file_name, options, standard, state, state_at, seller_cif, invoice_number,
	issue_date, buyer_cif, buyer_name, total_amount, currency, doc_sha256, id_incarcare, id_descarcare, errors,
	report, duplicate_of, invoice_id, ref_invoice_id, send_started_at, sent_at, polls, next_poll_at,
	created_by_user, created_by_key, created_at, updated_at`

func scanUpload(row interface{ Scan(...any) error }, extra ...any) (*Upload, error) {
	var (
		u                          Upload
		opts, errs                 string
		report                     sql.NullString
		dup, inv, ref, byUser, key sql.NullInt64
	)
	args := []any{&u.ID, &u.CompanyID, &u.FileName, &opts, &u.Standard, &u.State, timeCol{&u.StateAt},
		&u.SellerCIF, &u.InvoiceNumber, &u.IssueDate, &u.BuyerCIF, &u.BuyerName, &u.TotalAmount, &u.Currency,
		&u.DocSHA256, &u.IDIncarcare, &u.IDDescarcare, &errs, &report, &dup, &inv, &ref,
		nullTimeCol{&u.SendStartedAt}, nullTimeCol{&u.SentAt}, &u.Polls, nullTimeCol{&u.NextPollAt},
		&byUser, &key, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}}
	if err := row.Scan(append(args, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(opts), &u.Options); err != nil {
		return nil, fmt.Errorf("upload %d options: %w", u.ID, err)
	}
	if err := json.Unmarshal([]byte(errs), &u.Errors); err != nil {
		return nil, fmt.Errorf("upload %d errors: %w", u.ID, err)
	}
	if report.Valid {
		u.Report = []byte(report.String)
	}
	u.DuplicateOf, u.InvoiceID, u.RefInvoiceID = dup.Int64, inv.Int64, ref.Int64
	u.CreatedByUser, u.CreatedByKey = byUser.Int64, key.Int64
	return &u, nil
}

func errorsJSON(errs []UploadError) string {
	if errs == nil {
		errs = []UploadError{}
	}
	b, _ := json.Marshal(errs)
	return string(b)
}

func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// CreateUpload inserts u (ID, times and StateAt set). A second active
// upload of the same (company, seller CIF, number, issue date) is refused
// with ErrAlreadyExists (uploads_active_idx).
func (s *Store) CreateUpload(ctx context.Context, u *Upload) error {
	if u.State == UploadInvalid {
		// upload.nok (events.go) in the upload's transaction.
		return s.WithTx(ctx, func(tx *Store) error {
			if err := tx.createUpload(ctx, u); err != nil {
				return err
			}
			return tx.uploadEvent(ctx, u.CompanyID, u.ID, u.State)
		})
	}
	return s.createUpload(ctx, u)
}

func (s *Store) createUpload(ctx context.Context, u *Upload) error {
	t := now()
	u.CreatedAt, u.UpdatedAt, u.StateAt = t, t, t
	if u.Standard == "" {
		u.Standard = "UBL"
	}
	opts, _ := json.Marshal(u.Options)
	doc := u.Document
	if doc == nil {
		doc = []byte{}
	}
	err := s.q.QueryRowContext(ctx, `
		INSERT INTO uploads (company_id, file_name, options, standard, state, state_at, seller_cif, invoice_number,
			issue_date, buyer_cif, buyer_name, total_amount, currency, document, doc_sha256, errors, report,
			ref_invoice_id, created_by_user, created_by_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)
		RETURNING id`,
		u.CompanyID, u.FileName, string(opts), u.Standard, u.State, s.tv(t), u.SellerCIF, u.InvoiceNumber,
		u.IssueDate, u.BuyerCIF, u.BuyerName, u.TotalAmount, u.Currency, doc, u.DocSHA256, errorsJSON(u.Errors),
		nullBytes(u.Report), nullInt64(u.RefInvoiceID), nullInt64(u.CreatedByUser), nullInt64(u.CreatedByKey),
		s.tv(t)).Scan(&u.ID)
	return s.wrap("create upload", err)
}

// UploadByID returns an upload with its document.
func (s *Store) UploadByID(ctx context.Context, id int64) (*Upload, error) {
	var doc []byte
	row := s.q.QueryRowContext(ctx, `SELECT `+uploadColumns+`, document FROM uploads WHERE id = $1`, id)
	u, err := scanUpload(row, &doc)
	if err != nil {
		return nil, s.wrap("upload by id", err)
	}
	u.Document = doc
	return u, nil
}

// ActiveUpload returns the company's active upload (UploadActive) of the
// invoice (seller CIF, number, issue date); ErrNotFound when none.
func (s *Store) ActiveUpload(ctx context.Context, companyID int64, sellerCIF, number, issueDate string) (*Upload, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads
		WHERE company_id = $1 AND seller_cif = $2 AND invoice_number = $3 AND issue_date = $4
		  AND state IN ('sending', 'unknown', 'pending', 'ok') AND standard <> 'RASP'
		ORDER BY id LIMIT 1`, companyID, sellerCIF, number, issueDate)
	u, err := scanUpload(row)
	return u, s.wrap("active upload", err)
}

// UploadByIncarcare returns the company's upload ANAF indexed as idIncarcare.
func (s *Store) UploadByIncarcare(ctx context.Context, companyID int64, idIncarcare string) (*Upload, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads
		WHERE company_id = $1 AND id_incarcare = $2 ORDER BY id LIMIT 1`, companyID, idIncarcare)
	u, err := scanUpload(row)
	return u, s.wrap("upload by id_incarcare", err)
}

// UploadFilter selects uploads of one company.
type UploadFilter struct {
	CompanyID   int64
	State       string     // "" for all
	CreatedFrom *time.Time // inclusive
	CreatedTo   *time.Time // exclusive
	Limit       int
	Offset      int
}

// Uploads lists a company's uploads, newest first, and the total matching.
func (s *Store) Uploads(ctx context.Context, f UploadFilter) ([]Upload, int, error) {
	where := []string{"company_id = $1"}
	args := []any{f.CompanyID}
	if f.State != "" {
		args = append(args, f.State)
		where = append(where, fmt.Sprintf("state = $%d", len(args)))
	}
	if f.CreatedFrom != nil {
		args = append(args, s.tv(*f.CreatedFrom))
		where = append(where, fmt.Sprintf("created_at >= $%d", len(args)))
	}
	if f.CreatedTo != nil {
		args = append(args, s.tv(*f.CreatedTo))
		where = append(where, fmt.Sprintf("created_at < $%d", len(args)))
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM uploads WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, s.wrap("count uploads", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit, max(f.Offset, 0))
	rows, err := s.q.QueryContext(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE `+cond+
		fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, s.wrap("uploads", err)
	}
	out, err := collect(rows, "uploads", s, func(row interface{ Scan(...any) error }) (*Upload, error) { return scanUpload(row) })
	return out, total, err
}

// UploadsInState lists the company's uploads in state (0: every company), oldest first.
func (s *Store) UploadsInState(ctx context.Context, companyID int64, state string) ([]Upload, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+uploadColumns+` FROM uploads
		WHERE state = $1 AND ($2 = 0 OR company_id = $2) ORDER BY id`, state, companyID)
	if err != nil {
		return nil, s.wrap("uploads in state", err)
	}
	return collect(rows, "uploads in state", s, func(row interface{ Scan(...any) error }) (*Upload, error) { return scanUpload(row) })
}

// UploadUpdate is a change of an upload; nil fields are left as they are.
type UploadUpdate struct {
	State         string // "" keeps the state (StateAt changes only with the state)
	IDIncarcare   *string
	IDDescarcare  *string
	Errors        []UploadError // nil keeps them
	DuplicateOf   *int64
	InvoiceID     *int64
	SendStartedAt **time.Time
	SentAt        *time.Time
	Polls         *int
	NextPollAt    **time.Time
}

// UpdateUpload applies up to upload id when its state is one of from
// (none: any). ErrNotFound when no row matched (gone, or another worker
// moved it on first).
func (s *Store) UpdateUpload(ctx context.Context, id int64, up UploadUpdate, from ...string) error {
	if up.State == UploadOK || up.State == UploadNOK {
		// upload.ok / upload.nok (events.go) in the state change's transaction.
		return s.WithTx(ctx, func(tx *Store) error {
			if err := tx.updateUpload(ctx, id, up, from...); err != nil {
				return err
			}
			var companyID int64
			if err := tx.q.QueryRowContext(ctx, `SELECT company_id FROM uploads WHERE id = $1`, id).Scan(&companyID); err != nil {
				return tx.wrap("update upload", err)
			}
			return tx.uploadEvent(ctx, companyID, id, up.State)
		})
	}
	return s.updateUpload(ctx, id, up, from...)
}

func (s *Store) updateUpload(ctx context.Context, id int64, up UploadUpdate, from ...string) error {
	t := now()
	sets := []string{"updated_at = $1"}
	args := []any{s.tv(t)}
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if up.State != "" {
		add("state", up.State)
		add("state_at", s.tv(t))
	}
	if up.IDIncarcare != nil {
		add("id_incarcare", *up.IDIncarcare)
	}
	if up.IDDescarcare != nil {
		add("id_descarcare", *up.IDDescarcare)
	}
	if up.Errors != nil {
		add("errors", errorsJSON(up.Errors))
	}
	if up.DuplicateOf != nil {
		add("duplicate_of", nullInt64(*up.DuplicateOf))
	}
	if up.InvoiceID != nil {
		add("invoice_id", nullInt64(*up.InvoiceID))
	}
	if up.SendStartedAt != nil {
		add("send_started_at", s.tpv(*up.SendStartedAt))
	}
	if up.SentAt != nil {
		add("sent_at", s.tv(*up.SentAt))
	}
	if up.Polls != nil {
		add("polls", *up.Polls)
	}
	if up.NextPollAt != nil {
		add("next_poll_at", s.tpv(*up.NextPollAt))
	}
	args = append(args, id)
	q := `UPDATE uploads SET ` + strings.Join(sets, ", ") + fmt.Sprintf(` WHERE id = $%d`, len(args))
	if len(from) > 0 {
		ph := make([]string, len(from))
		for i, f := range from {
			args = append(args, f)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` AND state IN (` + strings.Join(ph, ", ") + `)`
	}
	res, err := s.q.ExecContext(ctx, q, args...)
	return s.mustAffect("update upload", res, err)
}

// IdempotencyTTL is how long an Idempotency-Key is honoured.
const IdempotencyTTL = 24 * time.Hour

// IdempotentUpload returns the upload id and body hash recorded for (scope,
// key) within IdempotencyTTL; ErrNotFound when none.
func (s *Store) IdempotentUpload(ctx context.Context, scope, key string, at time.Time) (uploadID int64, bodySHA []byte, err error) {
	err = s.q.QueryRowContext(ctx, `SELECT upload_id, body_sha256 FROM upload_idempotency
		WHERE scope = $1 AND key = $2 AND created_at > $3`, scope, key, s.tv(at.Add(-IdempotencyTTL))).Scan(&uploadID, &bodySHA)
	return uploadID, bodySHA, s.wrap("idempotency key", err)
}

// RecordIdempotency records (scope, key) → upload, replacing an entry
// older than IdempotencyTTL. ErrAlreadyExists when a live entry exists
// (a concurrent request with the same key won).
func (s *Store) RecordIdempotency(ctx context.Context, scope, key string, bodySHA []byte, uploadID int64, at time.Time) error {
	return s.WithTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM upload_idempotency WHERE scope = $1 AND key = $2 AND created_at <= $3`,
			scope, key, tx.tv(at.Add(-IdempotencyTTL))); err != nil {
			return tx.wrap("idempotency key: expire", err)
		}
		_, err := tx.q.ExecContext(ctx, `INSERT INTO upload_idempotency (scope, key, body_sha256, upload_id, created_at)
			VALUES ($1, $2, $3, $4, $5)`, scope, key, bodySHA, uploadID, tx.tv(at))
		return tx.wrap("idempotency key", err)
	})
}

// PruneIdempotency deletes entries older than IdempotencyTTL before at.
func (s *Store) PruneIdempotency(ctx context.Context, at time.Time) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM upload_idempotency WHERE created_at <= $1`, s.tv(at.Add(-IdempotencyTTL)))
	if err != nil {
		return 0, s.wrap("prune idempotency keys", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// SentInvoiceFor finds an archived FACTURA TRIMISA of the company with the
// seller CIF, number and issue date whose upload index no upload of the
// company claims: the reconciliation of an upload whose answer was lost.
// ErrNotFound when none.
func (s *Store) SentInvoiceFor(ctx context.Context, companyID int64, sellerCIF, number, issueDate string) (*Invoice, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+invoiceListColumns+` FROM invoices i
		WHERE i.company_id = $1 AND i.message_type = $2 AND i.invoice_number = $3 AND i.issue_date = $4
		  AND (i.cif_emitent = $5 OR i.supplier_cif = $5)
		  AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.company_id = i.company_id AND u.id_incarcare = i.upload_id AND u.id_incarcare <> '')
		ORDER BY i.anaf_created_at LIMIT 1`, companyID, TypeSent, number, issueDate, sellerCIF)
	inv, err := scanInvoice(row)
	return inv, s.wrap("sent invoice for upload", err)
}

// UnclaimedErrorsSince lists the company's archived ERORI FACTURA messages
// created at or after since whose upload index no upload of the company
// claims, oldest first.
func (s *Store) UnclaimedErrorsSince(ctx context.Context, companyID int64, since time.Time) ([]Invoice, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+invoiceListColumns+` FROM invoices i
		WHERE i.company_id = $1 AND i.message_type = $2 AND i.anaf_created_at >= $3
		  AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.company_id = i.company_id AND u.id_incarcare = i.upload_id AND u.id_incarcare <> '')
		ORDER BY i.anaf_created_at, i.id`, companyID, TypeErrors, s.tv(since))
	if err != nil {
		return nil, s.wrap("unclaimed errors", err)
	}
	return collect(rows, "unclaimed errors", s, func(row interface{ Scan(...any) error }) (*Invoice, error) {
		return scanInvoice(row)
	})
}

// IsUniqueViolation reports a unique-constraint refusal (ErrAlreadyExists).
func IsUniqueViolation(err error) bool { return errors.Is(err, ErrAlreadyExists) }

// SQLTx is the database transaction of a Store handed out by WithTx (nil
// outside one), so work queued with River commits or rolls back with it.
func (s *Store) SQLTx() *sql.Tx {
	if tx, ok := s.q.(*sql.Tx); ok && s.inTx {
		return tx
	}
	return nil
}

// ClaimUploadSend marks upload id as being sent (send_started_at = at)
// when it is in state sending and no attempt began yet; false when
// another attempt did (or the upload moved on). The mark is committed
// before the upload call, so a send is never made twice.
func (s *Store) ClaimUploadSend(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE uploads SET send_started_at = $1, updated_at = $1
		WHERE id = $2 AND state = 'sending' AND send_started_at IS NULL`, s.tv(at), id)
	if err != nil {
		return false, s.wrap("claim upload send", err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap("claim upload send", err)
}

// ClaimUploadPoll lets one poll step of upload id run: it sets
// next_poll_at to leaseUntil when the upload is pending or unknown and its
// next poll is due (NULL or at or before now); false when another job
// holds it or the upload is finished.
func (s *Store) ClaimUploadPoll(ctx context.Context, id int64, now, leaseUntil time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE uploads SET next_poll_at = $1
		WHERE id = $2 AND state IN ('pending', 'unknown') AND (next_poll_at IS NULL OR next_poll_at <= $3)`,
		s.tv(leaseUntil), id, s.tv(now))
	if err != nil {
		return false, s.wrap("claim upload poll", err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.wrap("claim upload poll", err)
}
