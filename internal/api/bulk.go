package api

import (
	"net/http"
	"strings"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/gateway"
)

// bulkInvoices serves GET /api/v1/invoices/bulk.zip with the list's
// filters (invoiceFilter): every match of the key's company as one ZIP
// streamed as it is made — ANAF's original ZIP of each message
// (<CIF>/<primite|trimise|erori|alte>/<ANAF id>.zip) and, with pdf=true,
// its PDF (lang=ro|en labels it) — at most the gateway's bulk cap (else
// 413 EXPORT_TOO_LARGE, before anything is sent). Invoices marked
// duplicate_of another are left out.
func (h *handler) bulkInvoices(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	req := gateway.BulkRequest{}
	switch strings.ToLower(q.Get("pdf")) {
	case "", "0", "false":
	case "1", "true":
		req.PDF = true
	default:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "pdf must be true or false.")
		return
	}
	switch lang := strings.ToLower(q.Get("lang")); lang {
	case "", "ro", "en":
		req.Lang = lang
	default:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "lang must be ro or en.")
		return
	}
	f, ok := invoiceFilter(w, r)
	if !ok {
		return
	}
	req.Filter = f
	bulk, err := h.gw.BulkDownload(r.Context(), p.Principal, req)
	if err != nil {
		h.useCaseError(w, r, err)
		return
	}
	attach.StreamHeaders(w, "application/zip", bulk.FileName)
	w.WriteHeader(http.StatusOK)
	if err := bulk.Stream(w); err != nil {
		h.Logger.WarnContext(r.Context(), "bulk download interrupted", "error", err.Error())
	}
}
