package api

import "net/http"

// invoicePDF serves GET /api/v1/invoices/{id}/pdf: the invoice rendered
// locally as an A4 PDF (never by ANAF).
func (h *handler) invoicePDF(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "NOT_IMPLEMENTED", "PDF rendering is not available yet.")
}
