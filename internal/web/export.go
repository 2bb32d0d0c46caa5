package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/gateway"
)

// storeFilter is the store filter of the dashboard's tab, search, dates
// and order (no pagination).
func (f dashFilter) storeFilter() gateway.InvoiceFilter {
	sf := gateway.InvoiceFilter{
		CompanyID: f.CompanyID,
		DateFrom:  f.From,
		DateTo:    f.To,
		Query:     f.Q,
		SortDesc:  f.Order == "desc",
		// RiskUnchecked: the dashboard's "with unchecked risk flags" (risk.go).
		RiskUnchecked: f.Risk,
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
// with the dashboard's filters (tab, q, partner, from, to, sort, order):
// every matching invoice of a verified company the user belongs to (else
// 404), as an attachment with headers in the user's language, through the
// same use case as the API's export (one cap, one set of download
// headers). A bad date, an unknown format or more invoices than the cap
// send the user back to the dashboard with a message.
func (a *app) downloadExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	companyID, err := strconv.ParseInt(q.Get("company"), 10, 64)
	if err != nil {
		a.notFound(w, r)
		return
	}
	if _, err := a.gw().ViewableCompany(ctx, a.actor(r), companyID); err != nil {
		a.useCaseError(w, r, err, "/") // unverified: 404, nothing from ANAF
		return
	}
	f := parseDashFilter(q, companyID)
	back := f.url(1)
	format := q.Get("format")
	if _, ok := gateway.ExportFormats[format]; !ok {
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
	doc, err := a.gw().Export(ctx, a.principal(r), gateway.ExportRequest{CompanyID: companyID, Filter: f.storeFilter(),
		Partner: f.Partner, Format: format, Lines: q.Get("lines") == "1", Lang: reqCtx(r).lang})
	var tooLarge *gateway.ExportTooLarge
	switch {
	case errors.As(err, &tooLarge):
		a.setFlash(r, "error", a.t(r, "dash.export.too.large", tooLarge.Total, tooLarge.Limit))
		redirect(w, r, back)
		return
	case err != nil:
		a.useCaseError(w, r, err, back)
		return
	}
	attach.Write(w, attach.File{Body: doc.Body, ContentType: doc.ContentType, Name: doc.FileName, SHA256: doc.SHA256})
}
