package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/efactura-gateway/efactura/internal/export"
)

// exportCap is the cap in force: export.MaxRows, lowered by tests.
var exportCap atomic.Int64

func init() { exportCap.Store(export.MaxRows) }

// exportInvoices serves GET /api/v1/invoices/export?format=csv|xlsx&… with
// the list's filters (invoiceFilter: supplier_cif, date_from, date_to,
// type, q, sort_by, sort_order) and no pagination: every match, at most
// export.MaxRows (else 413 EXPORT_TOO_LARGE). format is csv (the default)
// or xlsx (else 400 INVALID_FORMAT); lines=1|true gives one row per
// invoice line (each invoice's details loaded: one query per invoice);
// lang=ro (default) or en names the headers. The answer is an attachment
// named facturi_<company CIF>_<YYYY-MM-DD, Bucharest>.csv|xlsx; a
// personal number (CNP) of a buyer is masked.
func (h *handler) exportInvoices(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	format := strings.ToLower(strings.TrimSpace(q.Get("format")))
	if format == "" {
		format = "csv"
	}
	contentType, ok := export.Formats[format]
	if !ok {
		writeError(w, http.StatusBadRequest, "INVALID_FORMAT", "format must be csv or xlsx.")
		return
	}
	var opts export.Options
	switch strings.ToLower(q.Get("lines")) {
	case "", "0", "false":
	case "1", "true":
		opts.Lines = true
	default:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "lines must be 1 or 0.")
		return
	}
	switch lang := strings.ToLower(q.Get("lang")); lang {
	case "", "ro", "en":
		opts.Lang = lang
	default:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "lang must be ro or en.")
		return
	}
	f, ok := invoiceFilter(w, r, p.company.ID)
	if !ok {
		return
	}
	if !p.company.Verified() {
		f.CompanyID = 0 // unverified: nothing from ANAF, the header only (no company has id 0)
	}
	limit := int(exportCap.Load())
	f.Limit = limit
	rows, total, err := h.Store.Invoices(r.Context(), f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if total > limit {
		writeError(w, http.StatusRequestEntityTooLarge, "EXPORT_TOO_LARGE",
			fmt.Sprintf("%d invoices match; an export holds at most %d. Narrow the filters (date_from, date_to).", total, limit))
		return
	}
	if opts.Lines {
		if rows, err = export.LoadDetails(r.Context(), h.Store, rows); err != nil {
			h.internal(w, r, err)
			return
		}
	}
	var buf bytes.Buffer
	if err := export.Write(&buf, format, rows, opts); err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", "attachment; filename="+export.Filename(p.company.CIF, format, time.Now()))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
