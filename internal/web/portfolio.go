package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/attach"
	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/gateway"
)

// The accountant's pages: the portfolio (the default page of a user with
// more than one company), the cross-company search and the bulk ZIP
// downloads (issue 17).

// portfolioSorts are the portfolio's sort keys, each with its order.
var portfolioSorts = map[string]func(a, b *portfolioRow) int{
	"name": func(a, b *portfolioRow) int {
		return cmp.Compare(strings.ToLower(a.Company.Name), strings.ToLower(b.Company.Name))
	},
	"cif": func(a, b *portfolioRow) int {
		return cmp.Compare(len(a.Company.CIF), len(b.Company.CIF))*2 + cmp.Compare(a.Company.CIF, b.Company.CIF)
	},
	"conn": func(a, b *portfolioRow) int { return cmp.Compare(a.Conn, b.Conn) },
	"sync": func(a, b *portfolioRow) int {
		return cmp.Compare(a.syncAt().UnixNano(), b.syncAt().UnixNano())
	},
	"new":      func(a, b *portfolioRow) int { return cmp.Compare(a.NewInvoices, b.NewInvoices) },
	"errors":   func(a, b *portfolioRow) int { return cmp.Compare(a.NewErrors, b.NewErrors) },
	"rejected": func(a, b *portfolioRow) int { return cmp.Compare(a.Rejected, b.Rejected) },
	"atrisk":   func(a, b *portfolioRow) int { return cmp.Compare(a.atRiskKey(), b.atRiskKey()) },
	"late":     func(a, b *portfolioRow) int { return cmp.Compare(a.PastDeadline, b.PastDeadline) },
	"risk":     func(a, b *portfolioRow) int { return cmp.Compare(a.Risk, b.Risk) },
}

// portfolioColumns are the sortable columns in display order.
var portfolioColumns = []struct{ Key, Label string }{
	{"name", "pf.col.company"}, {"conn", "pf.col.conn"}, {"sync", "pf.col.sync"}, {"new", "pf.col.new"},
	{"errors", "pf.col.errors"}, {"rejected", "pf.col.rejected"}, {"atrisk", "pf.col.atrisk"}, {"late", "pf.col.late"},
	{"risk", "pf.col.risk"},
}

// portfolioRow is a gateway.PortfolioRow with its links.
type portfolioRow struct {
	gateway.PortfolioRow
	Attention bool
}

func (r *portfolioRow) syncAt() time.Time {
	if r.LastSync == nil {
		return time.Time{}
	}
	return r.LastSync.StartedAt
}

// atRiskKey orders by messages at risk, a stale sync counting as more.
func (r *portfolioRow) atRiskKey() int {
	if r.Stale {
		return r.AtRisk + 1<<30
	}
	return r.AtRisk
}

// DashURL is the company's dashboard; the other URLs each number's list.
func (r *portfolioRow) DashURL() string { return "/?company=" + strconv.FormatInt(r.Company.ID, 10) }

// NewURL lists the company's invoices, the newest archived first.
func (r *portfolioRow) NewURL() string { return r.DashURL() + "&sort=synced" }

// ErrorsURL lists the company's ANAF error messages, the newest first.
func (r *portfolioRow) ErrorsURL() string { return r.DashURL() + "&tab=errors&sort=synced" }

// RejectedURL lists the company's uploads refused by ANAF.
func (r *portfolioRow) RejectedURL() string {
	return "/companies/" + strconv.FormatInt(r.Company.ID, 10) + "/uploads?state=nok"
}

// LateURL lists the company's uploads.
func (r *portfolioRow) LateURL() string {
	return "/companies/" + strconv.FormatInt(r.Company.ID, 10) + "/uploads"
}

// RiskURL lists the company's invoices with unchecked supplier risk flags.
func (r *portfolioRow) RiskURL() string { return r.DashURL() + "&risk=1" }

// AtRiskURL is the dashboard, which explains the 60-day edge.
func (r *portfolioRow) AtRiskURL() string { return r.DashURL() + "#spv-edge" }

// portfolioHead is one sortable column header.
type portfolioHead struct {
	Label, URL string
	Sort       string // "ascending" | "descending" | "" (aria-sort)
}

// portfolioPage is the data of portfolio.html.
type portfolioPage struct {
	Rows      []portfolioRow
	Heads     []portfolioHead
	Find      string
	Attention bool
	All       int // companies before filtering
	Needing   int // companies that need attention
	Sort      string
	Order     string
	Sorts     []sortOption
}

// portfolioQuery builds the portfolio URL.
func portfolioQuery(find string, attention bool, sort, order string) string {
	q := url.Values{}
	if find != "" {
		q.Set("find", find)
	}
	if attention {
		q.Set("attention", "1")
	}
	if sort != "" && sort != "name" {
		q.Set("sort", sort)
	}
	if order == "desc" {
		q.Set("order", "desc")
	}
	if len(q) == 0 {
		return "/"
	}
	return "/?" + q.Encode()
}

// showPortfolio is the default page of a user with more than one
// company: one row per company, sortable and filterable (by name or CIF,
// "needs attention").
func (a *app) showPortfolio(w http.ResponseWriter, r *http.Request) {
	rows, err := a.gw().Portfolio(r.Context(), a.actor(r))
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	q := r.URL.Query()
	p := portfolioPage{
		Find: strings.TrimSpace(q.Get("find")), Attention: q.Get("attention") == "1",
		All: len(rows), Sort: "name", Order: "asc",
	}
	if _, ok := portfolioSorts[q.Get("sort")]; ok {
		p.Sort = q.Get("sort")
	}
	if q.Get("order") == "desc" {
		p.Order = "desc"
	}
	if len([]rune(p.Find)) > 100 {
		p.Find = string([]rune(p.Find)[:100])
	}
	needle := strings.ToLower(p.Find)
	digits, cifErr := cif.Normalize(p.Find)
	for _, row := range rows {
		pr := portfolioRow{PortfolioRow: row, Attention: row.NeedsAttention()}
		if pr.Attention {
			p.Needing++
		}
		if p.Attention && !pr.Attention {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(row.Company.Name), needle) &&
			!strings.Contains(row.Company.CIF, needle) && (cifErr != nil || row.Company.CIF != digits) {
			continue
		}
		p.Rows = append(p.Rows, pr)
	}
	less := portfolioSorts[p.Sort]
	slices.SortStableFunc(p.Rows, func(x, y portfolioRow) int {
		c := less(&x, &y)
		if c == 0 {
			c = portfolioSorts["name"](&x, &y)
		}
		if p.Order == "desc" {
			return -c
		}
		return c
	})
	for _, col := range portfolioColumns {
		h := portfolioHead{Label: col.Label}
		order := "asc"
		if col.Key != "name" && col.Key != "conn" {
			order = "desc" // counts: the largest first
		}
		if col.Key == p.Sort {
			h.Sort = map[string]string{"asc": "ascending", "desc": "descending"}[p.Order]
			order = map[string]string{"asc": "desc", "desc": "asc"}[p.Order]
		}
		h.URL = portfolioQuery(p.Find, p.Attention, col.Key, order)
		p.Heads = append(p.Heads, h)
		p.Sorts = append(p.Sorts, sortOption{Key: col.Key, Label: col.Label, Selected: col.Key == p.Sort})
	}
	a.render(w, r, http.StatusOK, "portfolio", "invoices", p)
}

// searchFilter is the search page's query: the dashboard's filters over
// the user's companies (CompanyID 0: all), and Text.
type searchFilter struct {
	dashFilter
	Text string
}

// url returns the search URL for f at page.
func (f searchFilter) url(path string, page int, extra url.Values) string {
	u, _ := url.Parse(f.dashFilter.url(page))
	q := u.Query()
	if f.CompanyID == 0 {
		q.Del("company")
	}
	q.Del("q")
	if f.Text != "" {
		q.Set("q", f.Text)
	}
	for k, v := range extra {
		q[k] = v
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// PageURL is the search page at page.
func (f searchFilter) PageURL(page int) string { return f.url("/search", page, nil) }

// ExportURL is the export of the search in format.
func (f searchFilter) ExportURL(format string, lines bool) string {
	x := url.Values{"format": {format}}
	if lines {
		x.Set("lines", "1")
	}
	return f.url("/search/export", 1, x)
}

// BulkURL is the bulk ZIP of the search, with PDFs or not.
func (f searchFilter) BulkURL(pdf bool) string {
	x := url.Values{}
	if pdf {
		x.Set("pdf", "1")
	}
	return f.url("/search/bulk.zip", 1, x)
}

// parseSearchFilter reads the search page's query.
func parseSearchFilter(q url.Values) searchFilter {
	id, _ := strconv.ParseInt(q.Get("company"), 10, 64)
	f := searchFilter{dashFilter: parseDashFilter(q, max(id, 0)), Text: strings.TrimSpace(q.Get("q"))}
	f.Q = "" // the dashboard's text filter; here Text searches more
	if r := []rune(f.Text); len(r) > gateway.MaxSearchText {
		f.Text = string(r[:gateway.MaxSearchText])
	}
	return f
}

// searchRequest is the use case's request for f (no page).
func (f searchFilter) searchRequest() gateway.SearchRequest {
	return gateway.SearchRequest{CompanyID: f.CompanyID, Filter: f.storeFilter(), Partner: f.Partner, Text: f.Text}
}

// searchRow is one line of the search's table.
type searchRow struct {
	invoiceRow
	CompanyID   int64
	CompanyName string
	CompanyCIF  string
}

// searchPage is the data of search.html.
type searchPage struct {
	Companies []gateway.Company
	Filter    searchFilter
	Errors    formErrors
	Tabs      []tabLink
	Sorts     []sortOption
	Rows      []searchRow
	Matching  int
	Searched  int
	Pages     int
	PrevURL   string
	NextURL   string
	BulkCap   int
}

// badDates checks the filter's dates.
func (a *app) badDates(r *http.Request, f dashFilter) formErrors {
	errs := formErrors{}
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if _, err := time.Parse(time.DateOnly, v); v != "" && err != nil {
			errs[name] = a.t(r, "dash.bad.date")
		}
	}
	return errs
}

// showSearch is GET /search?q=: the invoices of every company of the
// user's (or one, ?company=) matching the text (number, partner name or
// CIF, amount) and the dashboard's filters, with a company column.
func (a *app) showSearch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	companies, err := a.gw().Companies(ctx, a.actor(r))
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	f := parseSearchFilter(r.URL.Query())
	p := searchPage{Companies: companies, Filter: f, Errors: a.badDates(r, f.dashFilter), BulkCap: gateway.BulkMaxInvoices}
	for _, tab := range dashboardTabs {
		g := f
		g.Tab = tab.Key
		p.Tabs = append(p.Tabs, tabLink{Label: "dash.tab." + tab.Key, URL: g.PageURL(1), Active: tab.Key == f.Tab})
	}
	for _, s := range sortColumns {
		p.Sorts = append(p.Sorts, sortOption{Key: s.Key, Label: s.Label, Selected: s.Key == f.Sort})
	}
	if len(p.Errors) == 0 {
		req := f.searchRequest()
		req.Filter.Limit, req.Filter.Offset = perPage, (f.Page-1)*perPage
		list, err := a.gw().SearchInvoices(ctx, a.principal(r), req)
		if err != nil {
			a.useCaseError(w, r, err, "/search")
			return
		}
		p.Matching, p.Searched = list.Total, list.Searched
		lang := reqCtx(r).lang
		for i := range list.Rows {
			row := searchRow{invoiceRow: newInvoiceRow(lang, &list.Rows[i]), CompanyID: list.Rows[i].CompanyID}
			if c := list.Companies[row.CompanyID]; c != nil {
				row.CompanyName, row.CompanyCIF = c.Name, c.CIF
			}
			p.Rows = append(p.Rows, row)
		}
	}
	p.Pages = max(1, (p.Matching+perPage-1)/perPage)
	if f.Page > 1 {
		p.PrevURL = f.PageURL(min(f.Page-1, p.Pages))
	}
	if f.Page < p.Pages {
		p.NextURL = f.PageURL(f.Page + 1)
	}
	a.render(w, r, http.StatusOK, "search", "search", p)
}

// downloadSearchExport serves GET /search/export: the search's matches
// as CSV or XLSX (the dashboard's formats and cap).
func (a *app) downloadSearchExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := parseSearchFilter(q)
	back := f.PageURL(1)
	format := q.Get("format")
	if _, ok := gateway.ExportFormats[format]; !ok {
		a.setFlash(r, "error", a.t(r, "dash.export.bad.format"))
		redirect(w, r, back)
		return
	}
	if len(a.badDates(r, f.dashFilter)) > 0 {
		a.setFlash(r, "error", a.t(r, "dash.bad.date"))
		redirect(w, r, back)
		return
	}
	doc, err := a.gw().SearchExport(r.Context(), a.principal(r), f.searchRequest(), format, q.Get("lines") == "1", reqCtx(r).lang)
	if a.refusedDownload(w, r, err, back) {
		return
	}
	attach.Write(w, attach.File{Body: doc.Body, ContentType: doc.ContentType, Name: doc.FileName, SHA256: doc.SHA256})
}

// refusedDownload answers a refused export or bulk download (too many
// invoices: back to the list with a message) and reports whether it did.
func (a *app) refusedDownload(w http.ResponseWriter, r *http.Request, err error, back string) bool {
	var tooLarge *gateway.ExportTooLarge
	switch {
	case errors.As(err, &tooLarge):
		a.setFlash(r, "error", a.t(r, "dash.export.too.large", tooLarge.Total, tooLarge.Limit))
		redirect(w, r, back)
		return true
	case err != nil:
		a.useCaseError(w, r, err, back)
		return true
	}
	return false
}

// streamBulk prepares and streams a bulk ZIP.
func (a *app) streamBulk(w http.ResponseWriter, r *http.Request, req gateway.BulkRequest, back string) {
	if len(a.badDates(r, dashFilter{From: req.Filter.DateFrom, To: req.Filter.DateTo})) > 0 {
		a.setFlash(r, "error", a.t(r, "dash.bad.date"))
		redirect(w, r, back)
		return
	}
	req.Lang = reqCtx(r).lang
	bulk, err := a.gw().BulkDownload(r.Context(), a.principal(r), req)
	if a.refusedDownload(w, r, err, back) {
		return
	}
	attach.StreamHeaders(w, "application/zip", bulk.FileName)
	w.WriteHeader(http.StatusOK)
	if err := bulk.Stream(w); err != nil {
		// The status is sent: the ZIP stays truncated (its reader fails).
		a.Logger.WarnContext(r.Context(), "bulk download interrupted", "error", err.Error())
	}
}

// downloadSearchBulk serves GET /search/bulk.zip: the search's matches
// as one ZIP of ANAF's original ZIPs (and PDFs with pdf=1), streamed.
func (a *app) downloadSearchBulk(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := parseSearchFilter(q)
	a.streamBulk(w, r, gateway.BulkRequest{SearchRequest: f.searchRequest(), PDF: q.Get("pdf") == "1"}, f.PageURL(1))
}

// downloadDashBulk serves GET /export/bulk.zip?company=ID with the
// dashboard's filters: that company's matches as one ZIP.
func (a *app) downloadDashBulk(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, err := strconv.ParseInt(q.Get("company"), 10, 64)
	if err != nil || id < 1 {
		a.notFound(w, r)
		return
	}
	f := parseDashFilter(q, id)
	req := gateway.SearchRequest{CompanyID: id, Filter: f.storeFilter(), Partner: f.Partner}
	a.streamBulk(w, r, gateway.BulkRequest{SearchRequest: req, PDF: q.Get("pdf") == "1"}, f.url(1))
}

// BulkURL is the bulk ZIP of the dashboard's current filters.
func (f dashFilter) BulkURL(pdf bool) string {
	u, _ := url.Parse(f.url(1))
	q := u.Query()
	if pdf {
		q.Set("pdf", "1")
	}
	return "/export/bulk.zip?" + q.Encode()
}
