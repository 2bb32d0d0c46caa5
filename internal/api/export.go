package api

import "net/http"

// exportInvoices serves GET /api/v1/invoices/export?format=csv|xlsx&… with
// the list's filters.
func (h *handler) exportInvoices(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "NOT_IMPLEMENTED", "Exports are not available yet.")
}
