package api

import (
	"net/http"
	"strings"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/gateway"
)

// exportInvoices serves GET /api/v1/invoices/export?format=csv|xlsx&… with
// the list's filters (invoiceFilter: supplier_cif, date_from, date_to,
// type, q, sort_by, sort_order) and no pagination: every match, at most
// the gateway's export cap (else 413 EXPORT_TOO_LARGE). format is csv (the
// default), csv-ro (CSV for Romanian Excel) or xlsx (else 400
// INVALID_FORMAT); lines=1|true gives one row
// per invoice line (each invoice's details loaded: one query per invoice);
// lang=ro (default) or en names the headers. The answer is an attachment
// named facturi_<company CIF>_<YYYY-MM-DD, Bucharest>.csv|xlsx; a
// personal number (CNP) of a buyer is masked. Invoices marked duplicate_of
// another (ANAF re-published them) are left out unless include_duplicates=true.
func (h *handler) exportInvoices(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	req := gateway.ExportRequest{Format: strings.ToLower(strings.TrimSpace(q.Get("format")))}
	if req.Format == "" {
		req.Format = "csv"
	}
	if _, ok := gateway.ExportFormats[req.Format]; !ok {
		writeError(w, http.StatusBadRequest, "INVALID_FORMAT", gateway.ErrExportFormat.Msg)
		return
	}
	switch strings.ToLower(q.Get("lines")) {
	case "", "0", "false":
	case "1", "true":
		req.Lines = true
	default:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "lines must be 1 or 0.")
		return
	}
	switch lang := strings.ToLower(q.Get("lang")); lang {
	case "", "ro", "en":
		req.Lang = lang
	default:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "lang must be ro or en.")
		return
	}
	switch strings.ToLower(q.Get("include_duplicates")) {
	case "", "0", "false":
	case "1", "true":
		req.IncludeDuplicates = true
	default:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "include_duplicates must be true or false.")
		return
	}
	f, ok := invoiceFilter(w, r)
	if !ok {
		return
	}
	req.Filter = f
	doc, err := h.gw.Export(r.Context(), p.Principal, req)
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	attach.Write(w, attach.File{Body: doc.Body, ContentType: doc.ContentType, Name: doc.FileName, SHA256: doc.SHA256})
}
