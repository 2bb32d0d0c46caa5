package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/deadline"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tz"
	"github.com/efactura-gateway/efactura/internal/validate"
)

// More refusals of the upload use cases.
var (
	// ErrUploadUnavailable: this process queues no background jobs (Service.UploadQueuer is nil).
	ErrUploadUnavailable = &Error{Kind: KindUnavailable, Code: "service_unavailable", Msg: "Sending invoices is not available in this process (no background jobs)."}
	// ErrBuyerMessageInvoice: a buyer message is about a received invoice (FACTURA PRIMITA) with its upload index.
	ErrBuyerMessageInvoice = &Error{Kind: KindInvalid, Code: "not_received_invoice", Msg: "a buyer message (RASP) can only be sent about an invoice the company received (FACTURA PRIMITA)."}
	// ErrBuyerMessageNote: the note is required and at most 1000 characters.
	ErrBuyerMessageNote = &Error{Kind: KindInvalid, Code: "invalid_note", Field: "note", Msg: "write the message to the seller (at most 1000 characters)."}
)

// UploadQueue queues the send job of an upload inside the store
// transaction that creates it (jobs.Runner.EnqueueUpload).
type UploadQueue func(ctx context.Context, tx *store.Store, uploadID int64) error

// uploadWaitEvery is how often WaitUpload looks at the upload.
const uploadWaitEvery = 200 * time.Millisecond

// writableCompany is the tenant check of sending: a write-scope key of
// its own verified company, a member of a verified company who is not
// being impersonated, or the operator at the command line (`efactura
// upload --company`, any verified company). Sending goes out with a
// consenting member's ANAF connection, checked when it is sent.
func (s *Service) writableCompany(ctx context.Context, p Principal, companyID int64) (*Company, error) {
	if err := p.requireScope(ScopeWrite); err != nil {
		return nil, err
	}
	if p.key == nil && p.actor.Impersonated() {
		return nil, ErrImpersonating
	}
	return s.uploadCompany(ctx, p, companyID)
}

// uploadCompany is the tenant check of reading uploads: as company (a
// member's or a key's own verified company), and for the operator at the
// command line any verified company.
func (s *Service) uploadCompany(ctx context.Context, p Principal, companyID int64) (*Company, error) {
	if p.key != nil || !p.actor.CLI || p.actor.UserID != 0 {
		return s.company(ctx, p, companyID)
	}
	c, err := s.Store.CompanyByID(ctx, companyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !c.Verified() {
		return c, ErrUnverified
	}
	return c, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// rootName is the local name of the document's root element ("" when it has none).
func rootName(doc []byte) string {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err != nil {
			return "" // io.EOF or not XML: the validator says why
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}

// principalScope names the idempotency scope and creator of the principal.
func principalScope(p Principal) (scope string, userID, keyID int64) {
	if p.key != nil {
		return "key:" + strconv.FormatInt(p.key.KeyID, 10), 0, p.key.KeyID
	}
	if p.actor.CLI && p.actor.UserID == 0 {
		return "cli", 0, 0
	}
	return "user:" + strconv.FormatInt(p.actor.UserID, 10), p.actor.UserID, 0
}

// UploadInvoice receives, validates and (when valid) queues one document
// for sending; it returns at once (state sending, or invalid) — a River
// job sends it and follows ANAF's answer. The principal must be able to
// write to the company (a write-scope key of it, or a member with write
// rights and ANAF consent).
func (s *Service) UploadInvoice(ctx context.Context, p Principal, req UploadRequest) (*Upload, error) {
	c, err := s.writableCompany(ctx, p, req.CompanyID)
	if err != nil {
		return nil, err
	}
	doc := bytes.TrimPrefix(req.XML, utf8BOM)
	switch {
	case len(bytes.TrimSpace(doc)) == 0:
		return nil, ErrUploadEmpty
	case len(doc) > invoice.MaxUploadSize:
		return nil, ErrUploadTooLarge
	case req.Options.B2C && req.Options.Extern:
		return nil, ErrUploadOptions
	}
	root := rootName(doc)
	if root == "CrossIndustryInvoice" {
		return nil, ErrUnsupportedStandard
	}
	sum := sha256.Sum256(doc)
	scope, userID, keyID := principalScope(p)
	key := strings.TrimSpace(req.IdempotencyKey)
	if key != "" {
		if u, err := s.idempotent(ctx, p, scope, key, sum[:]); u != nil || err != nil {
			return u, err
		}
	}

	row := &store.Upload{
		CompanyID: c.ID, FileName: req.FileName, Standard: "UBL", Document: doc, DocSHA256: sum[:],
		Options:       store.UploadOptions(req.Options),
		CreatedByUser: userID, CreatedByKey: keyID,
	}
	if root == "CreditNote" {
		row.Standard = "CN"
	}
	if inv, perr := invoice.Parse(doc); perr == nil {
		row.InvoiceNumber, row.IssueDate = inv.Number, inv.IssueDate
		row.SellerCIF = invoice.PartyCIF(inv.Seller)
		row.BuyerCIF = firstOf(invoice.PartyCIF(inv.Buyer), inv.Buyer.VATID, inv.Buyer.LegalID)
		row.BuyerName, row.TotalAmount, row.Currency = inv.Buyer.Name, inv.Totals.TaxInclusive, inv.Currency
		issuer := row.SellerCIF
		if req.Options.Autofactura {
			issuer = invoice.PartyCIF(inv.Buyer)
		}
		if issuer != "" && !sameCIF(issuer, c.CIF) {
			return nil, ErrUploadWrongCIF
		}
	}
	if row.FileName == "" {
		row.FileName = firstOf(row.InvoiceNumber, "invoice") + ".xml"
	}

	report, err := validate.Validate(doc, validate.ProfileRO)
	if err != nil {
		return nil, fmt.Errorf("validating the upload: %w", err)
	}
	if report.Valid {
		report.Errors = []validate.Error{}
	}
	row.Report, _ = json.Marshal(report)
	if !report.Valid {
		row.State = store.UploadInvalid
		for _, e := range report.Errors {
			row.Errors = append(row.Errors, store.UploadError{ID: e.ID, Message: e.Message})
		}
	} else {
		if s.UploadQueuer == nil {
			return nil, ErrUploadUnavailable
		}
		row.State = store.UploadSending
		if err := s.duplicate(ctx, c, row); err != nil {
			// A concurrent request with the same key committed the
			// upload since the check above: its answer, not a conflict.
			if key != "" {
				if u, ierr := s.idempotent(ctx, p, scope, key, sum[:]); u != nil || ierr != nil {
					return u, ierr
				}
			}
			return nil, err
		}
	}

	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateUpload(ctx, row); err != nil {
			return err
		}
		if key != "" {
			if err := tx.RecordIdempotency(ctx, scope, key, sum[:], row.ID, s.now()); err != nil {
				return err
			}
		}
		if row.State == store.UploadSending {
			return s.UploadQueuer(ctx, tx, row.ID)
		}
		return nil
	})
	if store.IsUniqueViolation(err) {
		// A concurrent request won: the same Idempotency-Key, or the same invoice.
		if key != "" {
			if u, ierr := s.idempotent(ctx, p, scope, key, sum[:]); u != nil || ierr != nil {
				return u, ierr
			}
		}
		if derr := s.duplicate(ctx, c, row); derr != nil {
			return nil, derr
		}
	}
	if err != nil {
		return nil, err
	}
	details := fmt.Sprintf("state=%s number=%q issue_date=%s file=%q", row.State, row.InvoiceNumber, row.IssueDate, row.FileName)
	if keyID != 0 {
		details += " api " + store.TargetKey(keyID)
	}
	s.auditTarget(ctx, p.actor, store.ActionUploadCreate, store.TargetUpload(row.ID), "company:"+c.CIF+" "+details)
	return s.uploadView(c, row), nil
}

// duplicate refuses an invoice the company already sent or is sending.
func (s *Service) duplicate(ctx context.Context, c *Company, row *store.Upload) error {
	if row.InvoiceNumber == "" {
		return nil
	}
	prev, err := s.Store.ActiveUpload(ctx, c.ID, row.SellerCIF, row.InvoiceNumber, row.IssueDate)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return &DuplicateInvoiceError{Earlier: s.uploadView(c, prev)}
}

// idempotent answers a request whose Idempotency-Key was seen: the first
// upload (same body) or ErrIdempotencyKeyReused; nil, nil when the key is new.
func (s *Service) idempotent(ctx context.Context, p Principal, scope, key string, sum []byte) (*Upload, error) {
	id, prevSum, err := s.Store.IdempotentUpload(ctx, scope, key, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(prevSum, sum) {
		return nil, ErrIdempotencyKeyReused
	}
	return s.GetUpload(ctx, p, id)
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// sameCIF compares two CIFs, RO prefix and spaces tolerated.
func sameCIF(a, b string) bool {
	na, err1 := cif.Normalize(a)
	nb, err2 := cif.Normalize(b)
	if err1 != nil || err2 != nil {
		return strings.TrimSpace(a) != "" && strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	}
	return na == nb
}

// uploadView is the use cases' Upload of a stored one.
func (s *Service) uploadView(c *Company, u *store.Upload) *Upload {
	out := &Upload{
		ID: u.ID, CompanyID: u.CompanyID, FileName: u.FileName, State: UploadState(u.State), StateAt: u.StateAt,
		Options: UploadOptions(u.Options), InvoiceNumber: u.InvoiceNumber, IssueDate: u.IssueDate,
		BuyerCIF: u.BuyerCIF, BuyerName: u.BuyerName, TotalAmount: u.TotalAmount, Currency: u.Currency,
		IDIncarcare: u.IDIncarcare, IDDescarcare: u.IDDescarcare, InvoiceID: u.InvoiceID, DuplicateOf: u.DuplicateOf,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Errors: []UploadError{},
	}
	if c != nil {
		out.CompanyCIF = c.CIF
	}
	for _, e := range u.Errors {
		out.Errors = append(out.Errors, UploadError(e))
	}
	if len(u.Report) > 0 {
		var r ValidateReport
		if json.Unmarshal(u.Report, &r) == nil {
			out.Report = &r
		}
	}
	if issue, err := deadline.ParseDate(u.IssueDate); err == nil && u.Standard != "RASP" {
		due, _ := deadline.Due(issue)
		out.Deadline = due.Format(time.DateOnly)
		switch {
		case u.SentAt != nil:
			out.Late = deadline.Late(issue, *u.SentAt)
		case u.SendStartedAt != nil:
			out.Late = deadline.Late(issue, *u.SendStartedAt)
		case u.State != store.UploadOK:
			out.Late = deadline.Late(issue, s.now())
		}
	}
	return out
}

// GetUpload returns one upload the principal may read.
func (s *Service) GetUpload(ctx context.Context, p Principal, id int64) (*Upload, error) {
	if id < 1 {
		return nil, ErrUploadNotFound
	}
	u, err := s.Store.UploadByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUploadNotFound
	}
	if err != nil {
		return nil, err
	}
	c, err := s.uploadCompany(ctx, p, u.CompanyID)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnverified) {
		return nil, ErrUploadNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.uploadView(c, u), nil
}

// Uploads lists a company's uploads, newest first.
func (s *Service) Uploads(ctx context.Context, p Principal, companyID int64, f UploadFilter) (*UploadList, error) {
	c, err := s.uploadCompany(ctx, p, companyID)
	if err != nil {
		return nil, err
	}
	switch f.State {
	case "", UploadInvalid, UploadSending, UploadUnknown, UploadPending, UploadOK, UploadNOK:
	default:
		return nil, &Error{Kind: KindInvalid, Code: "invalid_state", Field: "state", Msg: "state must be one of invalid, sending, unknown, pending, ok, nok."}
	}
	sf := store.UploadFilter{CompanyID: c.ID, State: string(f.State)}
	if f.DateFrom != "" {
		d, err := time.ParseInLocation(time.DateOnly, f.DateFrom, tz.Bucharest())
		if err != nil {
			return nil, &Error{Kind: KindInvalid, Code: "invalid_date", Field: "date_from", Msg: "date_from must be YYYY-MM-DD."}
		}
		sf.CreatedFrom = &d
	}
	if f.DateTo != "" {
		d, err := time.ParseInLocation(time.DateOnly, f.DateTo, tz.Bucharest())
		if err != nil {
			return nil, &Error{Kind: KindInvalid, Code: "invalid_date", Field: "date_to", Msg: "date_to must be YYYY-MM-DD."}
		}
		d = d.AddDate(0, 0, 1)
		sf.CreatedTo = &d
	}
	page, per := max(f.Page, 1), f.PerPage
	if per <= 0 {
		per = 50
	}
	per = min(per, 200)
	sf.Limit, sf.Offset = per, (page-1)*per
	rows, total, err := s.Store.Uploads(ctx, sf)
	if err != nil {
		return nil, err
	}
	out := &UploadList{Uploads: make([]Upload, 0, len(rows)), Total: total, Page: page, PerPage: per}
	for i := range rows {
		out.Uploads = append(out.Uploads, *s.uploadView(c, &rows[i]))
	}
	return out, nil
}

// WaitUpload blocks until the upload leaves sending/pending/unknown or ctx
// ends, and returns it (the CLI's --wait and tests). When ctx ends first it
// returns the upload as it is with ctx's error.
func (s *Service) WaitUpload(ctx context.Context, p Principal, id int64) (*Upload, error) {
	t := time.NewTicker(uploadWaitEvery)
	defer t.Stop()
	for {
		u, err := s.GetUpload(context.WithoutCancel(ctx), p, id)
		if err != nil {
			return nil, err
		}
		switch u.State {
		case UploadSending, UploadPending, UploadUnknown:
		default:
			return u, nil
		}
		select {
		case <-ctx.Done():
			return u, ctx.Err()
		case <-t.C:
		}
	}
}

// SendBuyerMessage sends ANAF's buyer message (standard RASP) about a
// received invoice: accept or reject with a note. The principal must be
// able to write to the invoice's company, and the invoice must be one it
// received (FACTURA PRIMITA). It returns the upload that carries it.
func (s *Service) SendBuyerMessage(ctx context.Context, p Principal, invoiceID int64, accept bool, note string) (*Upload, error) {
	inv, c, err := s.Invoice(ctx, p, invoiceID)
	if err != nil {
		return nil, err
	}
	if _, err := s.writableCompany(ctx, p, c.ID); err != nil {
		return nil, err
	}
	if inv.MessageType != store.TypeReceived || inv.UploadID == "" {
		return nil, ErrBuyerMessageInvoice
	}
	note = strings.TrimSpace(note)
	if note == "" || len([]rune(note)) > 1000 {
		return nil, ErrBuyerMessageNote
	}
	if s.UploadQueuer == nil {
		return nil, ErrUploadUnavailable
	}
	verdict := "Factura refuzata"
	if accept {
		verdict = "Factura acceptata"
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<header xmlns="mfp:anaf:dgti:spv:reqMesaj:v1" index_incarcare="`)
	_ = xml.EscapeText(&b, []byte(inv.UploadID))
	b.WriteString(`" message="`)
	_ = xml.EscapeText(&b, []byte(verdict+": "+note))
	b.WriteString(`"/>` + "\n")
	doc := b.Bytes()
	sum := sha256.Sum256(doc)
	_, userID, keyID := principalScope(p)
	row := &store.Upload{
		CompanyID: c.ID, FileName: "RASP_" + inv.UploadID + ".xml", Standard: "RASP", State: store.UploadSending,
		SellerCIF: inv.CIFEmitent, InvoiceNumber: inv.InvoiceNumber, IssueDate: inv.IssueDate,
		BuyerCIF: c.CIF, BuyerName: c.Name, TotalAmount: inv.TotalAmount, Currency: inv.Currency,
		Document: doc, DocSHA256: sum[:], RefInvoiceID: inv.ID, CreatedByUser: userID, CreatedByKey: keyID,
	}
	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateUpload(ctx, row); err != nil {
			return err
		}
		return s.UploadQueuer(ctx, tx, row.ID)
	})
	if err != nil {
		return nil, err
	}
	details := fmt.Sprintf("company:%s buyer message (RASP) accept=%t about invoice %d id_incarcare=%s", c.CIF, accept, inv.ID, inv.UploadID)
	s.auditTarget(ctx, p.actor, store.ActionUploadCreate, store.TargetUpload(row.ID), details)
	return s.uploadView(c, row), nil
}
