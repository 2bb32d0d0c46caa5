package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// invoiceFilter reads the filters shared by GET /api/v1/invoices and
// GET /api/v1/invoices/export: supplier_cif, date_from, date_to
// (YYYY-MM-DD, on the issue date), type (received|sent|error), q, sort_by
// (invoice_date|total_amount|synced_at|anaf_id) and sort_order (asc|desc;
// default invoice_date desc). Pagination is the caller's. On a bad value it
// writes the 400 (INVALID_PARAMETER, INVALID_DATE_FORMAT, INVALID_TYPE,
// INVALID_SORT) and returns ok=false.
func invoiceFilter(w http.ResponseWriter, r *http.Request) (f gateway.InvoiceFilter, ok bool) {
	q := r.URL.Query()
	// q and supplier_cif are the only free texts reaching the store (as
	// parameters); text PostgreSQL cannot hold (NUL, invalid UTF-8) would
	// be a 500 there, so it is refused here on every backend.
	for _, name := range []string{"q", "supplier_cif"} {
		if v := q.Get(name); !textParam(v) {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER",
				fmt.Sprintf("%s must be UTF-8 text without control characters, at most %d characters.", name, maxTextParam))
			return f, false
		}
	}
	// The default order is sort_by=invoice_date, sort_order=desc, named
	// explicitly so that sort_order=asc alone gives the oldest first.
	f = gateway.InvoiceFilter{Query: strings.TrimSpace(q.Get("q")),
		SortBy: "invoice_date", SortDesc: true}
	if v := q.Get("supplier_cif"); v != "" {
		f.SupplierCIF = strings.TrimSpace(v)
		if d, err := cifDigits(v); err == nil {
			f.SupplierCIF = d
		}
	}
	for _, d := range []struct {
		name string
		dst  *string
	}{{"date_from", &f.DateFrom}, {"date_to", &f.DateTo}} {
		if v := q.Get(d.name); v != "" {
			if _, err := time.Parse("2006-01-02", v); err != nil {
				writeError(w, http.StatusBadRequest, "INVALID_DATE_FORMAT", d.name+" must be a date in the format YYYY-MM-DD.")
				return f, false
			}
			*d.dst = v
		}
	}
	if v := q.Get("type"); v != "" {
		t, ok := typeFilter[strings.ToLower(v)]
		if !ok {
			writeError(w, http.StatusBadRequest, "INVALID_TYPE", "type must be one of received, sent, error.")
			return f, false
		}
		f.MessageType = t
	}
	if v := q.Get("sort_by"); v != "" {
		if !sortFields[v] {
			writeError(w, http.StatusBadRequest, "INVALID_SORT", "sort_by must be one of invoice_date, total_amount, synced_at, anaf_id.")
			return f, false
		}
		f.SortBy = v
	}
	switch strings.ToLower(q.Get("sort_order")) {
	case "", "desc":
	case "asc":
		f.SortDesc = false
	default:
		writeError(w, http.StatusBadRequest, "INVALID_SORT", "sort_order must be asc or desc.")
		return f, false
	}
	return f, true
}
