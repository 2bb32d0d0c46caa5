package gateway

import (
	"time"
)

// Sending invoices (issue 14, PRODUCT.md §3–§5): one use case behind the
// web upload page, POST /api/v1/invoices and `efactura upload`.
//
// This file is the contract the doors are built against (types and
// refusals); the bodies are in upload_usecase.go, the ANAF side in
// internal/anafsync/upload.go and the jobs in internal/jobs/upload.go.

// UploadState is where an upload is.
type UploadState string

// The states of an upload.
const (
	UploadInvalid UploadState = "invalid" // refused locally by the validator; never sent
	UploadSending UploadState = "sending" // being sent to ANAF
	UploadUnknown UploadState = "unknown" // ANAF's answer was lost; matched against ANAF's messages for 72 h, never resent blindly
	UploadPending UploadState = "pending" // ANAF: "in prelucrare"
	UploadOK      UploadState = "ok"      // accepted; IDDescarcare set, the signed ZIP archived as a sent invoice (InvoiceID)
	UploadNOK     UploadState = "nok"     // refused by ANAF (including "XML cu erori nepreluat de sistem"); Errors has every error
)

// UploadOptions are ANAF's upload flags.
type UploadOptions struct {
	B2C         bool `json:"b2c"`         // uploadb2c
	Extern      bool `json:"extern"`      // buyer outside Romania
	Autofactura bool `json:"autofactura"` // self-billing: the company is the buyer
	Executare   bool `json:"executare"`   // enforcement
}

// UploadRequest is one document to send.
type UploadRequest struct {
	CompanyID int64
	FileName  string // as the user gave it; shown in the list ("" for the API: "<number>.xml")
	XML       []byte
	Options   UploadOptions
	// IdempotencyKey: the API's Idempotency-Key header (scoped to the API
	// key, kept 24 h) or the web form's one-time token; "" for none. The
	// same key with the same body returns the first upload; with another
	// body it is ErrIdempotencyKeyReused.
	IdempotencyKey string
}

// UploadError is one error of an upload: a local rule (validator id) or
// one of ANAF's errors from its error ZIP.
type UploadError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Upload is one upload of one document (the API's upload resource).
type Upload struct {
	ID            int64
	CompanyID     int64
	CompanyCIF    string
	FileName      string
	State         UploadState
	StateAt       time.Time // when State was entered (UTC)
	Options       UploadOptions
	InvoiceNumber string // BT-1
	IssueDate     string // BT-2, YYYY-MM-DD
	BuyerCIF      string
	BuyerName     string
	TotalAmount   string // BT-112, decimal as written
	Currency      string // BT-5
	IDIncarcare   string // ANAF's index_incarcare ("" until sent)
	IDDescarcare  string // ANAF's id_descarcare (ok only)
	Errors        []UploadError
	// Report is the local validator's report (errors of an invalid upload;
	// warnings of a sent one); nil when not kept.
	Report    *ValidateReport
	Deadline  string // last day to send on time (internal/deadline), YYYY-MM-DD
	Late      bool   // sent (or still unsent today) after Deadline
	InvoiceID int64  // the archived sent invoice, once ok; 0 before
	// DuplicateOf is, for a nok upload refused by ANAF as a duplicate, the
	// earlier upload ANAF named (when it is one of ours); 0 otherwise.
	DuplicateOf int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// UploadFilter selects uploads of a company.
type UploadFilter struct {
	State    UploadState // "" for all
	DateFrom string      // created on or after (YYYY-MM-DD, Bucharest)
	DateTo   string      // created on or before
	Page     int
	PerPage  int
}

// UploadList is one page of uploads, newest first.
type UploadList struct {
	Uploads []Upload
	Total   int
	Page    int
	PerPage int
}

// Refusals of Upload. Doors map them: ErrUploadTooLarge → 413,
// ErrUnsupportedStandard → 415, ErrDuplicateInvoice → 409 (naming the
// earlier upload: errors.As(err, &*DuplicateInvoiceError)), the others → 422.
// An upload refused by the validator is not an error: Upload returns it
// with State UploadInvalid and its Report (the API answers 422
// VALIDATION_FAILED with the report).
var (
	ErrUploadEmpty          = &Error{Kind: KindInvalid, Code: "empty_document", Msg: "send the invoice's XML document."}
	ErrUploadTooLarge       = &Error{Kind: KindInvalid, Code: "document_too_large", Msg: "Marime fisier transmis mai mare de 10 MB. (the file is larger than ANAF's 10 MB limit)"}
	ErrUnsupportedStandard  = &Error{Kind: KindInvalid, Code: "unsupported_standard", Msg: "only UBL 2.1 Invoice and CreditNote documents can be sent; CII is not supported yet."}
	ErrUploadWrongCIF       = &Error{Kind: KindInvalid, Code: "wrong_cif", Field: "company", Msg: "the invoice's seller (or, for autofactura, buyer) is not this company."}
	ErrUploadOptions        = &Error{Kind: KindInvalid, Code: "invalid_options", Msg: "b2c, extern, autofactura and executare: at most one of b2c and extern."}
	ErrDuplicateInvoice     = &Error{Kind: KindConflict, Code: "duplicate_invoice", Msg: "this invoice (seller, number, issue date) was already sent or is being sent."}
	ErrIdempotencyKeyReused = &Error{Kind: KindInvalid, Code: "idempotency_key_reused", Msg: "this Idempotency-Key was used with another document."}
	ErrUploadNotFound       = &Error{Kind: KindNotFound, Code: "upload_not_found", Msg: "upload not found."}
)

// DuplicateInvoiceError is ErrDuplicateInvoice naming the earlier upload.
type DuplicateInvoiceError struct {
	Earlier *Upload
}

func (e *DuplicateInvoiceError) Error() string { return ErrDuplicateInvoice.Msg }

// Unwrap makes errors.Is(err, ErrDuplicateInvoice) hold.
func (e *DuplicateInvoiceError) Unwrap() error { return ErrDuplicateInvoice }

// The use cases (UploadInvoice, GetUpload, Uploads, WaitUpload,
// SendBuyerMessage) are in upload_usecase.go.
