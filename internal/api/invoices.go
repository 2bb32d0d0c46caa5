package api

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/gateway"
)

var typeFilter = map[string]string{
	"received": gateway.TypeReceived,
	"sent":     gateway.TypeSent,
	"error":    gateway.TypeErrors,
	"errors":   gateway.TypeErrors,
}

var sortFields = map[string]bool{"invoice_date": true, "total_amount": true, "synced_at": true, "anaf_id": true}

func (h *handler) listInvoices(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	page, perPage := 1, 50
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "page must be an integer ≥ 1.")
			return
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "per_page must be an integer between 1 and 100.")
			return
		}
		perPage = min(n, 100)
	}
	f, ok := invoiceFilter(w, r) // filters.go
	if !ok {
		return
	}
	f.Limit, f.Offset = perPage, (page-1)*perPage
	f.Brief = true // the columns toJSON shows
	if page-1 > math.MaxInt32/perPage {
		// Far past any real page: an empty page, without an int overflow
		// turning the offset negative (which would serve page 1).
		f.Offset = math.MaxInt32
	}
	list, err := h.gw.Invoices(r.Context(), p.Principal, 0, f, "")
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	data := make([]invoiceJSON, 0, len(list.Rows))
	for i := range list.Rows {
		data = append(data, h.toJSON(&list.Rows[i]))
	}
	pages := (list.Total + perPage - 1) / perPage
	writeInvoiceList(w, &listResponse{ // list_json.go: writeJSON's bytes, without reflection
		Data: data,
		Pagination: pagination{Page: page, PerPage: perPage, Total: list.Total, Pages: pages,
			HasNext: page < pages, HasPrev: page > 1},
		Meta: listMeta{CompanyID: list.Company.ID, CompanyCIF: list.Company.CIF},
	})
}

// invoiceID reads {id}; ok=false answered 404 INVOICE_NOT_FOUND.
func invoiceID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusNotFound, "INVOICE_NOT_FOUND", gateway.ErrInvoiceNotFound.Msg)
		return 0, false
	}
	return id, true
}

// invoiceDetailJSON is GET /api/v1/invoices/{id}'s invoice: the list's
// fields and the details.
type invoiceDetailJSON struct {
	invoiceJSON
	Details    json.RawMessage `json:"details"`
	ZIPSHA256  string          `json:"zip_sha256"`
	UploadID   *string         `json:"upload_id"`
	Detalii    *string         `json:"anaf_details"`
	Validation validationJSON  `json:"validation"` // validation_json.go
	Risk       riskJSON        `json:"risk"`       // risk.go
}

func (h *handler) getInvoice(w http.ResponseWriter, r *http.Request) {
	id, ok := invoiceID(w, r)
	if !ok {
		return
	}
	d, err := h.gw.InvoiceDetail(r.Context(), principalFrom(r.Context()).Principal, id)
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	inv := d.Invoice
	out := invoiceDetailJSON{invoiceJSON: h.toJSON(inv), Details: json.RawMessage("null"), ZIPSHA256: hex.EncodeToString(inv.ZIPSHA256),
		UploadID: nullable(inv.UploadID), Detalii: nullable(inv.Details),
		Validation: toValidationJSON(d.Verdict), Risk: toRiskJSON(d.Risk)}
	if len(inv.ParsedJSON) > 0 {
		out.Details = inv.ParsedJSON
	}
	writeInvoiceDetail(w, &dataResponse[invoiceDetailJSON]{Data: out}) // detail_json.go
}

// downloadZIP serves GET /api/v1/invoices/{id}/download: ANAF's original
// ZIP, byte for byte.
func (h *handler) downloadZIP(w http.ResponseWriter, r *http.Request) {
	h.document(w, r, gateway.DocZIP)
}

// downloadXML serves GET /api/v1/invoices/{id}/xml: the UBL document of
// the ZIP; an unreadable ZIP is 422 ARCHIVE_UNREADABLE.
func (h *handler) downloadXML(w http.ResponseWriter, r *http.Request) {
	h.document(w, r, gateway.DocXML)
}

// downloadPDF serves GET /api/v1/invoices/{id}/pdf: the invoice rendered
// locally as an A4 PDF (never by ANAF), from the stored parsed document and
// ANAF's facts (message id, upload id, type, received at). An invoice whose
// document could not be parsed (a broken document) or that is not one (an
// ERORI FACTURA message's error list) is a 422 INVOICE_NOT_PARSED.
// ?lang=en gives English labels (Romanian by default).
//
// Rendering goes through the render guard (PRODUCT.md §9), which takes a
// render slot before the invoice is even loaded: more than its line limit
// is a 422 DOCUMENT_TOO_LARGE naming the limit (the ZIP and XML stay
// downloadable); when every render slot stays busy for the guard's wait, a
// 503 SERVICE_UNAVAILABLE with Retry-After.
func (h *handler) downloadPDF(w http.ResponseWriter, r *http.Request) {
	h.document(w, r, gateway.DocPDF)
}

// document answers invoice {id} as kind, with the attachment headers the
// web pages use too (attach.Write).
func (h *handler) document(w http.ResponseWriter, r *http.Request, kind gateway.DocKind) {
	id, ok := invoiceID(w, r)
	if !ok {
		return
	}
	doc, err := h.gw.InvoiceDocument(r.Context(), principalFrom(r.Context()).Principal, id, kind, r.URL.Query().Get("lang"))
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	attach.Write(w, attach.File{Body: doc.Body, ContentType: doc.ContentType, Name: doc.FileName, SHA256: doc.SHA256})
}

// maxTextParam is the most characters q and supplier_cif may have.
const maxTextParam = 200

// textParam reports whether v is acceptable free text: valid UTF-8, no
// control characters, at most maxTextParam characters.
func textParam(v string) bool {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxTextParam {
		return false
	}
	return !strings.ContainsFunc(v, unicode.IsControl)
}
