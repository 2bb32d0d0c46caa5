package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/efactura-gateway/efactura/internal/export"
	"github.com/efactura-gateway/efactura/internal/store"
)

// storeFilter is the store filter of the dashboard's tab, search, dates
// and order (no pagination).
func (f dashFilter) storeFilter() store.InvoiceFilter {
	sf := store.InvoiceFilter{
		CompanyID: f.CompanyID,
		DateFrom:  f.From,
		DateTo:    f.To,
		Query:     f.Q,
		SortDesc:  f.Order == "desc",
	}
	for _, tab := range dashboardTabs {
		if tab.Key == f.Tab {
			sf.MessageType = tab.MessageType
		}
	}
	for _, s := range sortColumns {
		if s.Key == f.Sort {
			sf.SortBy = s.SortBy
		}
	}
	return sf
}

// ExportURL returns the /export link of the dashboard's current filters
// in format ("csv" or "xlsx"), one row per invoice or, with lines, per
// invoice line.
func (f dashFilter) ExportURL(format string, lines bool) string {
	u, _ := url.Parse(f.url(1))
	q := u.Query()
	q.Set("format", format)
	if lines {
		q.Set("lines", "1")
	}
	return "/export?" + q.Encode()
}

// downloadExport serves GET /export?company=ID&format=csv|xlsx[&lines=1]
// with the dashboard's filters (tab, q, from, to, sort, order): every
// matching invoice of a company the user belongs to (else 404), as an
// attachment with headers in the user's language. A bad date, an unknown
// format or more than export.MaxRows invoices send the user back to the
// dashboard with a message.
func (a *app) downloadExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	companyID, err := strconv.ParseInt(q.Get("company"), 10, 64)
	if err != nil {
		a.notFound(w, r)
		return
	}
	company, err := a.gw().ViewableCompany(ctx, a.actor(r), companyID)
	if err != nil {
		a.useCaseError(w, r, err, "/") // unverified: 404, nothing from ANAF
		return
	}
	f := parseDashFilter(q, companyID)
	back := f.url(1)
	format := q.Get("format")
	contentType, ok := export.Formats[format]
	if !ok {
		a.setFlash(r, "error", a.t(r, "dash.export.bad.format"))
		redirect(w, r, back)
		return
	}
	for _, d := range []string{f.From, f.To} {
		if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
			a.setFlash(r, "error", a.t(r, "dash.bad.date"))
			redirect(w, r, back)
			return
		}
	}
	opts := export.Options{Lines: q.Get("lines") == "1", Lang: reqCtx(r).lang}

	sf := f.storeFilter()
	sf.Limit = export.MaxRows
	rows, total, err := a.Store.InvoicesWithPartner(ctx, sf, f.Partner)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if total > export.MaxRows {
		a.setFlash(r, "error", a.t(r, "dash.export.too.large", total, export.MaxRows))
		redirect(w, r, back)
		return
	}
	if opts.Lines {
		if rows, err = export.LoadDetails(ctx, a.Store, rows); err != nil {
			a.serverError(w, r, err)
			return
		}
	}
	var buf bytes.Buffer
	if err := export.Write(&buf, format, rows, opts); err != nil {
		a.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", "attachment; filename="+export.Filename(company.CIF, format, time.Now()))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}
