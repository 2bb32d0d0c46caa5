package api

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// Sending invoices (issue 14, PRODUCT.md §4): POST /api/v1/invoices
// uploads one document for the key's company; GET /api/v1/uploads and
// GET /api/v1/uploads/{id} follow it to ANAF's answer.

// uploadJSON is the upload resource.
type uploadJSON struct {
	ID            int64                 `json:"id"`
	CompanyCIF    string                `json:"company_cif"`
	State         string                `json:"state"`
	StateAt       string                `json:"state_at"`
	FileName      string                `json:"file_name"`
	Options       gateway.UploadOptions `json:"options"`
	InvoiceNumber *string               `json:"invoice_number"`
	IssueDate     *string               `json:"issue_date"`
	BuyerCIF      *string               `json:"buyer_cif"`
	TotalAmount   *string               `json:"total_amount"`
	Currency      *string               `json:"currency"`
	IDIncarcare   *string               `json:"id_incarcare"`
	IDDescarcare  *string               `json:"id_descarcare"`
	Errors        []gateway.UploadError `json:"errors"`
	Warnings      []uploadWarning       `json:"warnings"`
	Deadline      *string               `json:"deadline"`
	Late          bool                  `json:"late"`
	InvoiceID     *int64                `json:"invoice_id"`
	CreatedAt     string                `json:"created_at"`
	UpdatedAt     string                `json:"updated_at"`
}

// uploadWarning is one warning of the local validator on a sent document.
type uploadWarning struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func uploadOut(u *gateway.Upload) uploadJSON {
	out := uploadJSON{
		ID: u.ID, CompanyCIF: u.CompanyCIF, State: string(u.State), StateAt: utc(u.StateAt), FileName: u.FileName,
		Options: u.Options, InvoiceNumber: nullable(u.InvoiceNumber), IssueDate: nullable(u.IssueDate),
		BuyerCIF: nullable(u.BuyerCIF), TotalAmount: nullable(u.TotalAmount), Currency: nullable(u.Currency),
		IDIncarcare: nullable(u.IDIncarcare), IDDescarcare: nullable(u.IDDescarcare),
		Errors: u.Errors, Warnings: []uploadWarning{}, Deadline: nullable(u.Deadline), Late: u.Late,
		CreatedAt: utc(u.CreatedAt), UpdatedAt: utc(u.UpdatedAt),
	}
	if out.Errors == nil {
		out.Errors = []gateway.UploadError{}
	}
	if out.StateAt == "" {
		out.StateAt = out.UpdatedAt
	}
	if u.InvoiceID > 0 {
		id := u.InvoiceID
		out.InvoiceID = &id
	}
	if u.State != gateway.UploadInvalid && u.Report != nil {
		for _, w := range u.Report.Warnings {
			out.Warnings = append(out.Warnings, uploadWarning{ID: w.ID, Message: w.Message})
		}
	}
	return out
}

// validationFailed is the 422 VALIDATION_FAILED answer: the error
// envelope, the validator's report and the (stored, never sent) upload.
type validationFailed struct {
	errorBody
	Report *gateway.ValidateReport `json:"report"`
	Data   uploadJSON              `json:"data"`
}

// duplicateInvoice is the 409 DUPLICATE_INVOICE answer: the error
// envelope naming the earlier upload.
type duplicateInvoice struct {
	errorBody
	UploadID int64 `json:"upload_id"`
}

// uploadListResponse is GET /api/v1/uploads.
type uploadListResponse struct {
	Data       []uploadJSON `json:"data"`
	Meta       listMeta     `json:"meta"`
	Pagination pagination   `json:"pagination"`
}

// uploadParams are the query and header inputs of POST /api/v1/invoices.
type uploadParams struct {
	Options        gateway.UploadOptions
	IdempotencyKey string
}

// maxIdempotencyKey is the longest Idempotency-Key accepted.
const maxIdempotencyKey = 255

// flagValue reads one boolean option: true, 1, DA (yes) or false, 0, NU
// and empty; anything else is an error.
func flagValue(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "da", "yes":
		return true, nil
	case "", "false", "0", "nu", "no":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// parseUploadParams reads ?b2c, ?extern, ?autofactura, ?executare and
// the Idempotency-Key header (printable ASCII, 1–255 characters). On a
// bad value it returns the 400 INVALID_PARAMETER message.
func parseUploadParams(query map[string][]string, idemKey string) (uploadParams, string) {
	var p uploadParams
	for _, o := range []struct {
		name string
		dst  *bool
	}{{"b2c", &p.Options.B2C}, {"extern", &p.Options.Extern}, {"autofactura", &p.Options.Autofactura}, {"executare", &p.Options.Executare}} {
		vals := query[o.name]
		if len(vals) == 0 {
			continue
		}
		if len(vals) > 1 {
			return p, o.name + " must be given once."
		}
		b, err := flagValue(vals[0])
		if err != nil {
			return p, o.name + " must be true or false (also 1/0, DA/NU)."
		}
		*o.dst = b
	}
	if idemKey != "" {
		if len(idemKey) > maxIdempotencyKey {
			return p, fmt.Sprintf("Idempotency-Key must be at most %d characters.", maxIdempotencyKey)
		}
		for i := 0; i < len(idemKey); i++ {
			if c := idemKey[i]; c < 0x21 || c > 0x7e {
				return p, "Idempotency-Key must be printable ASCII without spaces."
			}
		}
		p.IdempotencyKey = idemKey
	}
	return p, ""
}

// uploadTooLarge answers 413 with ANAF's own reason.
func uploadTooLarge(w http.ResponseWriter) {
	writeError(w, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", gateway.ErrUploadTooLarge.Msg)
}

// uploadInvoice serves POST /api/v1/invoices (scope write): the body is
// the XML of one UBL Invoice or CreditNote (at most 10 MB). It answers 202
// with the upload (state sending) and a Location; 422 VALIDATION_FAILED
// with the report when the local validator refuses the document (nothing
// is sent); 409 DUPLICATE_INVOICE naming the earlier upload; 415
// UNSUPPORTED_STANDARD for CII; 413 over 10 MB; 422 for the other
// refusals (WRONG_CIF, EMPTY_DOCUMENT, INVALID_OPTIONS,
// IDEMPOTENCY_KEY_REUSED). A retried request with the same Idempotency-Key
// and body gets the first answer.
func (h *handler) uploadInvoice(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if !requireScope(w, p, gateway.ScopeWrite) {
		return
	}
	params, bad := parseUploadParams(r.URL.Query(), r.Header.Get("Idempotency-Key"))
	if bad != "" {
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", bad)
		return
	}
	doc, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			uploadTooLarge(w)
			return
		}
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "The request body could not be read.")
		return
	}
	var companyID int64
	if p.Company != nil {
		companyID = p.Company.ID
	}
	up, err := h.gw.UploadInvoice(r.Context(), p.Principal, gateway.UploadRequest{
		CompanyID: companyID, XML: doc, Options: params.Options, IdempotencyKey: params.IdempotencyKey,
	})
	if err != nil {
		h.uploadError(w, r, err)
		return
	}
	if up.State == gateway.UploadInvalid {
		writeJSON(w, http.StatusUnprocessableEntity, validationFailed{
			errorBody: errorBody{Error: http.StatusText(http.StatusUnprocessableEntity), Code: "VALIDATION_FAILED",
				Message: "The invoice is not valid (CIUS-RO); it was not sent to ANAF. The report lists the errors."},
			Report: up.Report, Data: uploadOut(up),
		})
		return
	}
	w.Header().Set("Location", "/api/v1/uploads/"+strconv.FormatInt(up.ID, 10))
	writeJSON(w, http.StatusAccepted, dataResponse[uploadJSON]{Data: uploadOut(up)})
}

// uploadError answers a refusal of the upload use cases: 413, 415, 409
// (naming the earlier upload), 404 UPLOAD_NOT_FOUND, else as useCaseError.
func (h *handler) uploadError(w http.ResponseWriter, r *http.Request, err error) {
	var dup *gateway.DuplicateInvoiceError
	var ge *gateway.Error
	switch {
	case errors.Is(err, gateway.ErrUploadTooLarge):
		uploadTooLarge(w)
	case errors.Is(err, gateway.ErrUnsupportedStandard):
		writeError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_STANDARD", gateway.ErrUnsupportedStandard.Msg)
	case errors.As(err, &dup) && dup.Earlier != nil:
		writeJSON(w, http.StatusConflict, duplicateInvoice{
			errorBody: errorBody{Error: http.StatusText(http.StatusConflict), Code: "DUPLICATE_INVOICE",
				Message: fmt.Sprintf("This invoice (seller, number, issue date) was already sent or is being sent: upload %d (state %s).",
					dup.Earlier.ID, dup.Earlier.State)},
			UploadID: dup.Earlier.ID,
		})
	case errors.Is(err, gateway.ErrDuplicateInvoice):
		writeError(w, http.StatusConflict, "DUPLICATE_INVOICE", gateway.ErrDuplicateInvoice.Msg)
	case errors.Is(err, gateway.ErrUnverified) && r.Method == http.MethodPost:
		// Nothing is sent for a company ANAF has not confirmed yet.
		writeError(w, http.StatusUnprocessableEntity, "COMPANY_UNVERIFIED", "The key's company "+gateway.ErrUnverified.Msg+".")
	case errors.As(err, &ge) && ge.Kind == gateway.KindNotFound:
		writeError(w, http.StatusNotFound, "UPLOAD_NOT_FOUND", gateway.ErrUploadNotFound.Msg)
	case errors.As(err, &ge) && ge.Kind == gateway.KindInvalid:
		writeError(w, http.StatusUnprocessableEntity, strings.ToUpper(ge.Code), ge.Msg)
	default:
		h.useCaseError(w, r, err)
	}
}

// getUpload serves GET /api/v1/uploads/{id}: {"data": upload}.
func (h *handler) getUpload(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusNotFound, "UPLOAD_NOT_FOUND", gateway.ErrUploadNotFound.Msg)
		return
	}
	up, err := h.gw.GetUpload(r.Context(), principalFrom(r.Context()).Principal, id)
	if err != nil {
		h.uploadError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dataResponse[uploadJSON]{Data: uploadOut(up)})
}

// uploadStates are the values of ?state.
var uploadStates = map[string]gateway.UploadState{
	"invalid": gateway.UploadInvalid, "sending": gateway.UploadSending, "unknown": gateway.UploadUnknown,
	"pending": gateway.UploadPending, "ok": gateway.UploadOK, "nok": gateway.UploadNOK,
}

// parseUploadFilter reads GET /api/v1/uploads's query: state, date_from,
// date_to (YYYY-MM-DD, on the day the upload was made), page, per_page
// (1–100, default 50). On a bad value it returns the error code and message.
func parseUploadFilter(q map[string][]string) (gateway.UploadFilter, string, string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := gateway.UploadFilter{Page: 1, PerPage: 50}
	if v := get("state"); v != "" {
		s, ok := uploadStates[strings.ToLower(v)]
		if !ok {
			return f, "INVALID_STATE", "state must be one of invalid, sending, unknown, pending, ok, nok."
		}
		f.State = s
	}
	for _, d := range []struct {
		name string
		dst  *string
	}{{"date_from", &f.DateFrom}, {"date_to", &f.DateTo}} {
		if v := get(d.name); v != "" {
			if _, err := time.Parse("2006-01-02", v); err != nil {
				return f, "INVALID_DATE_FORMAT", d.name + " must be a date in the format YYYY-MM-DD."
			}
			*d.dst = v
		}
	}
	if v := get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, "INVALID_PARAMETER", "page must be an integer ≥ 1."
		}
		f.Page = min(n, math.MaxInt32/100)
	}
	if v := get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, "INVALID_PARAMETER", "per_page must be an integer between 1 and 100."
		}
		f.PerPage = min(n, 100)
	}
	return f, "", ""
}

// listUploads serves GET /api/v1/uploads: the key's company's uploads,
// newest first, in the invoice list's envelope.
func (h *handler) listUploads(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	f, code, msg := parseUploadFilter(r.URL.Query())
	if code != "" {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	var companyID int64
	meta := listMeta{}
	if p.Company != nil {
		companyID, meta = p.Company.ID, listMeta{CompanyID: p.Company.ID, CompanyCIF: p.Company.CIF}
	}
	list, err := h.gw.Uploads(r.Context(), p.Principal, companyID, f)
	if err != nil {
		h.uploadError(w, r, err)
		return
	}
	data := make([]uploadJSON, 0, len(list.Uploads))
	for i := range list.Uploads {
		data = append(data, uploadOut(&list.Uploads[i]))
	}
	page, perPage := f.Page, f.PerPage
	pages := (list.Total + perPage - 1) / perPage
	writeJSON(w, http.StatusOK, uploadListResponse{
		Data: data, Meta: meta,
		Pagination: pagination{Page: page, PerPage: perPage, Total: list.Total, Pages: pages, HasNext: page < pages, HasPrev: page > 1},
	})
}
