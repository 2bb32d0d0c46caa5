package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Upload states (Upload.State).
const (
	UploadInvalid = "invalid" // refused by the local validator; never sent
	UploadSending = "sending" // being sent to ANAF
	UploadUnknown = "unknown" // ANAF's answer was lost; being reconciled, never resent blindly
	UploadPending = "pending" // ANAF: "in prelucrare"
	UploadOK      = "ok"      // accepted; IDDescarcare and InvoiceID set
	UploadNOK     = "nok"     // refused by ANAF; Errors has every error
)

// UploadFlags are ANAF's upload options.
type UploadFlags struct {
	B2C         bool `json:"b2c"`         // buyer is a consumer (uploadb2c)
	Extern      bool `json:"extern"`      // buyer outside Romania
	Autofactura bool `json:"autofactura"` // self-billing: the key's company is the buyer
	Executare   bool `json:"executare"`   // enforcement (executare silită)
}

// UploadError is one error of an upload: a validator rule or ANAF's.
type UploadError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Upload is the upload resource: one document sent to ANAF and its state.
type Upload struct {
	ID            int64         `json:"id"`
	CompanyCIF    string        `json:"company_cif"`
	State         string        `json:"state"` // invalid | sending | unknown | pending | ok | nok
	StateAt       time.Time     `json:"state_at"`
	FileName      string        `json:"file_name"`
	Options       UploadFlags   `json:"options"`
	InvoiceNumber *string       `json:"invoice_number"` // BT-1
	IssueDate     *string       `json:"issue_date"`     // BT-2, YYYY-MM-DD
	BuyerCIF      *string       `json:"buyer_cif"`
	TotalAmount   json.Number   `json:"total_amount"` // BT-112; "" when null
	Currency      *string       `json:"currency"`
	IDIncarcare   *string       `json:"id_incarcare"`
	IDDescarcare  *string       `json:"id_descarcare"`
	Errors        []UploadError `json:"errors"`
	Warnings      []UploadError `json:"warnings"`
	Deadline      *string       `json:"deadline"` // YYYY-MM-DD
	Late          bool          `json:"late"`
	InvoiceID     *int64        `json:"invoice_id"` // the archived sent invoice, once ok
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
}

// Done reports whether the upload reached a final state (invalid, ok, nok).
func (u *Upload) Done() bool {
	return u.State == UploadInvalid || u.State == UploadOK || u.State == UploadNOK
}

// UploadOptions are the options of UploadInvoice.
type UploadOptions struct {
	UploadFlags
	// IdempotencyKey, when set, is sent as Idempotency-Key: a retry with
	// the same key and document gets the first answer (kept 24 h).
	IdempotencyKey string
}

// ValidationFailedError is UploadInvoice's 422 VALIDATION_FAILED: the
// document is invalid and was not sent.
type ValidationFailedError struct {
	Err    *Error          // status 422, code VALIDATION_FAILED
	Report json.RawMessage // the validator's report ({"profile","valid","errors","warnings",…})
	Upload Upload          // the stored upload, state invalid; Errors lists the rules
}

func (e *ValidationFailedError) Error() string { return e.Err.Error() }

// Unwrap makes errors.As(err, **Error) and IsCode hold.
func (e *ValidationFailedError) Unwrap() error { return e.Err }

// DuplicateInvoiceError is UploadInvoice's 409 DUPLICATE_INVOICE.
type DuplicateInvoiceError struct {
	Err      *Error // status 409, code DUPLICATE_INVOICE
	UploadID int64  // the earlier upload of the same invoice
}

func (e *DuplicateInvoiceError) Error() string { return e.Err.Error() }

// Unwrap makes errors.As(err, **Error) and IsCode hold.
func (e *DuplicateInvoiceError) Unwrap() error { return e.Err }

// UploadInvoice calls POST /api/v1/invoices (needs a write key) with the
// document's XML and returns the upload (state sending). An invalid
// document is a *ValidationFailedError, a duplicate a
// *DuplicateInvoiceError; other refusals are *Error.
func (c *Client) UploadInvoice(ctx context.Context, xml []byte, o *UploadOptions) (*Upload, error) {
	if o == nil {
		o = &UploadOptions{}
	}
	q := url.Values{}
	for name, on := range map[string]bool{"b2c": o.B2C, "extern": o.Extern, "autofactura": o.Autofactura, "executare": o.Executare} {
		if on {
			q.Set(name, "true")
		}
	}
	path := "/api/v1/invoices"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	headers := []string{"Content-Type", "application/xml"}
	if o.IdempotencyKey != "" {
		headers = append(headers, "Idempotency-Key", o.IdempotencyKey)
	}
	body, status, err := c.do(ctx, http.MethodPost, path, bytes.NewReader(xml), headers...)
	var e *Error
	if errors.As(err, &e) {
		switch {
		case status == http.StatusUnprocessableEntity && e.Code == "VALIDATION_FAILED":
			var out struct {
				Report json.RawMessage `json:"report"`
				Data   Upload          `json:"data"`
			}
			_ = json.Unmarshal(body, &out)
			return nil, &ValidationFailedError{Err: e, Report: out.Report, Upload: out.Data}
		case status == http.StatusConflict && e.Code == "DUPLICATE_INVOICE":
			var out struct {
				UploadID int64 `json:"upload_id"`
			}
			_ = json.Unmarshal(body, &out)
			return nil, &DuplicateInvoiceError{Err: e, UploadID: out.UploadID}
		}
	}
	if err != nil {
		return nil, err
	}
	var out struct {
		Data Upload `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("efactura api: upload: %w", err)
	}
	return &out.Data, nil
}

// Upload calls GET /api/v1/uploads/{id}.
func (c *Client) Upload(ctx context.Context, id int64) (*Upload, error) {
	var out struct {
		Data Upload `json:"data"`
	}
	if err := c.getJSON(ctx, "/api/v1/uploads/"+strconv.FormatInt(id, 10), nil, &out); err != nil {
		return nil, err
	}
	return &out.Data, nil
}

// UploadListOptions filter GET /api/v1/uploads; zero values are left out.
type UploadListOptions struct {
	State    string // invalid | sending | unknown | pending | ok | nok
	DateFrom string // uploaded on or after, YYYY-MM-DD
	DateTo   string // uploaded on or before, YYYY-MM-DD
	Page     int
	PerPage  int // ≤ 100
}

// UploadList is one page of uploads, newest first.
type UploadList struct {
	Data       []Upload   `json:"data"`
	Pagination Pagination `json:"pagination"`
	Meta       struct {
		CompanyID  int64  `json:"company_id"`
		CompanyCIF string `json:"company_cif"`
	} `json:"meta"`
}

// Uploads calls GET /api/v1/uploads.
func (c *Client) Uploads(ctx context.Context, o *UploadListOptions) (*UploadList, error) {
	v := url.Values{}
	if o != nil {
		for k, s := range map[string]string{"state": o.State, "date_from": o.DateFrom, "date_to": o.DateTo} {
			if s != "" {
				v.Set(k, s)
			}
		}
		if o.Page > 0 {
			v.Set("page", strconv.Itoa(o.Page))
		}
		if o.PerPage > 0 {
			v.Set("per_page", strconv.Itoa(o.PerPage))
		}
	}
	var out UploadList
	if err := c.getJSON(ctx, "/api/v1/uploads", v, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WaitUpload polls GET /api/v1/uploads/{id} every interval (0: 2 s) until
// the upload is done (invalid, ok, nok) or ctx ends.
func (c *Client) WaitUpload(ctx context.Context, id int64, interval time.Duration) (*Upload, error) {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	for {
		u, err := c.Upload(ctx, id)
		if err != nil || u.Done() {
			return u, err
		}
		select {
		case <-ctx.Done():
			return u, ctx.Err()
		case <-time.After(interval):
		}
	}
}
