package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/view"
	"github.com/efactura-gateway/efactura/internal/locale"
)

// perPage is the number of invoices on a dashboard page.
const perPage = 50

// dashboardTabs maps a tab to the ANAF message type it lists, in display order.
var dashboardTabs = []struct{ Key, MessageType string }{
	{"all", ""},
	{"received", gateway.TypeReceived},
	{"sent", gateway.TypeSent},
	{"errors", gateway.TypeErrors},
}

// sortColumns maps the dashboard's sort keys to gateway.InvoiceFilter.SortBy.
var sortColumns = []struct{ Key, SortBy, Label string }{
	{"date", "invoice_date", "dash.sort.date"},
	{"total", "total_amount", "dash.sort.total"},
	{"synced", "synced_at", "dash.sort.synced"},
	{"number", "invoice_number", "dash.sort.number"},
	{"anaf", "anaf_id", "dash.sort.anaf"},
}

// dashFilter is the dashboard's query string, normalised.
type dashFilter struct {
	CompanyID int64
	Tab       string // dashboardTabs key
	Q         string
	Partner   string // partner CIF or part of its name
	From, To  string // YYYY-MM-DD or ""
	Sort      string // sortColumns key
	Order     string // "desc" | "asc"
	Page      int    // 1-based
	Risk      bool   // only invoices with unchecked supplier risk flags (risk.go)
}

// url returns the dashboard URL for f at page, omitting defaults.
func (f dashFilter) url(page int) string {
	q := url.Values{}
	q.Set("company", strconv.FormatInt(f.CompanyID, 10))
	if f.Tab != "all" {
		q.Set("tab", f.Tab)
	}
	for k, v := range map[string]string{"q": f.Q, "partner": f.Partner, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Sort != "date" {
		q.Set("sort", f.Sort)
	}
	if f.Order != "desc" {
		q.Set("order", f.Order)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if f.Risk {
		q.Set("risk", "1")
	}
	return "/?" + q.Encode()
}

// tabLink is one dashboard tab.
type tabLink struct {
	Label  string // message key
	URL    string
	Active bool
}

// sortOption is one entry of the sort select.
type sortOption struct {
	Key, Label string
	Selected   bool
}

// invoiceRow is one line of the dashboard table.
type invoiceRow struct {
	ID          int64
	Number      string
	IssueDate   string
	PartnerName string
	PartnerCIF  string
	Total       string // formatted in the page's language, with the currency; a credit note's as −|BT-112|
	// DocLabel names a credit note ("Notă de credit") or a reversal
	// invoice ("Factură storno"); "" for an ordinary invoice.
	DocLabel    string
	MessageType string
	SyncedAt    time.Time
	DuplicateOf int64 // the first invoice of the same identity (ANAF re-published it); 0 for none
	ConflictOf  int64 // the first invoice of the same identity with another total; 0 for none
}

// dashboardPage is the data of dashboard.html.
type dashboardPage struct {
	Companies []gateway.Company
	Company   *gateway.Company // nil when the user has no company
	Filter    dashFilter
	Errors    formErrors
	Tabs      []tabLink
	Sorts     []sortOption
	Rows      []invoiceRow
	RowsHTML  template.HTML // Rows' <tr> elements (dashRowsHTML)
	Matching  int
	Archived  int
	LastSync  *gateway.SyncRun
	Running   bool // LastSync is queued or running: the page follows its progress
	Figures   dashFigures
	AtRisk    *gateway.CompanyAtRisk // the SPV 60-day edge
	Steps     *gateway.FirstSteps    // the guided first steps, for a user without companies
	Pages     int
	PrevURL   string
	NextURL   string
}

// RefreshSeconds reloads the dashboard every 5 s without JavaScript while
// a sync runs (app.js polls the status instead).
func (p dashboardPage) RefreshSeconds() int {
	if p.Running {
		return 5
	}
	return 0
}

// showDashboard lists the selected company's invoices.
func (a *app) showDashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	companies, err := a.gw().Companies(ctx, a.actor(r))
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if len(companies) > 1 && r.URL.Query().Get("company") == "" {
		a.showPortfolio(w, r) // portfolio.go: a company's dashboard is /?company=ID
		return
	}
	p := dashboardPage{Companies: companies, Errors: formErrors{}}
	if len(companies) == 0 && r.URL.Query().Get("company") != "" {
		a.notFound(w, r) // not a company of the user's, as for a member of others
		return
	}
	if len(companies) == 0 {
		// The guided first steps (issue 17): connect ANAF first, then add
		// companies by CIF (firststeps.go).
		steps, err := a.gw().GuideFirstSteps(ctx, a.actor(r))
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		p.Steps = steps
		a.render(w, r, http.StatusOK, "dashboard", "invoices", p)
		return
	}
	company, ok := a.selectCompany(r, companies)
	if !ok {
		a.notFound(w, r)
		return
	}
	p.Company = company
	lang := reqCtx(r).lang
	p.Filter = parseDashFilter(r.URL.Query(), company.ID)
	for _, field := range []struct {
		name string
		val  *string
	}{{"from", &p.Filter.From}, {"to", &p.Filter.To}} {
		if *field.val == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, *field.val); err != nil {
			p.Errors[field.name] = a.t(r, "dash.bad.date")
		}
	}
	// One use case for the page: one tenant check (issue 16). It records
	// the visit (the portfolio counts what is new since).
	now := time.Now()
	months := monthsBack(now)
	q := gateway.DashboardQuery{Since: months[0] + "-01", Partner: p.Filter.Partner}
	if len(p.Errors) == 0 {
		sf := p.Filter.storeFilter() // export.go: the export uses the same filter
		sf.Limit, sf.Offset = perPage, (p.Filter.Page-1)*perPage
		sf.Brief = true // the columns newInvoiceRow shows
		q.List = &sf
	}
	d, err := a.gw().Dashboard(ctx, a.principal(r), company.ID, q)
	if err != nil {
		a.useCaseError(w, r, err, "/")
		return
	}
	if d.LastSync != nil {
		p.LastSync = d.LastSync
		p.Running = d.LastSync.FinishedAt == nil
	}
	if d.Figures == nil { // unverified: the use case answered the last sync only
		// Nothing from ANAF until ANAF confirms a consenting member's rights
		// on the CIF; the page says why and what to do.
		p.Filter = dashFilter{}
		p.Errors = formErrors{}
		a.render(w, r, http.StatusOK, "dashboard", "invoices", p)
		return
	}
	for _, tab := range dashboardTabs {
		f := p.Filter
		f.Tab = tab.Key
		p.Tabs = append(p.Tabs, tabLink{Label: "dash.tab." + tab.Key, URL: f.url(1), Active: tab.Key == p.Filter.Tab})
	}
	p.Tabs = append(p.Tabs, tabLink{Label: "upload.tab", URL: "/companies/" + strconv.FormatInt(company.ID, 10) + "/uploads"}) // upload.go
	p.Tabs = append(p.Tabs, complianceTab(company.ID))
	for _, s := range sortColumns {
		p.Sorts = append(p.Sorts, sortOption{Key: s.Key, Label: s.Label, Selected: s.Key == p.Filter.Sort})
	}
	p.Archived = d.Figures.Archived
	p.AtRisk = d.AtRisk
	p.Figures = buildFigures(lang, d.Figures.Months, now)
	if d.List != nil {
		p.Matching = d.List.Total
		p.Rows = make([]invoiceRow, 0, len(d.List.Rows))
		for i := range d.List.Rows {
			p.Rows = append(p.Rows, newInvoiceRow(lang, &d.List.Rows[i]))
		}
		p.RowsHTML = dashRowsHTML(lang, p.Rows)
	}
	p.Pages = max(1, (p.Matching+perPage-1)/perPage)
	if p.Filter.Page > 1 {
		p.PrevURL = p.Filter.url(min(p.Filter.Page-1, p.Pages))
	}
	if p.Filter.Page < p.Pages {
		p.NextURL = p.Filter.url(p.Filter.Page + 1)
	}
	a.render(w, r, http.StatusOK, "dashboard", "invoices", p)
}

// selectCompany picks the company of ?company=, else the session's, else
// the first. ok=false when ?company= names a company the user is not a
// member of.
func (a *app) selectCompany(r *http.Request, companies []gateway.Company) (*gateway.Company, bool) {
	find := func(id int64) *gateway.Company {
		for i := range companies {
			if companies[i].ID == id {
				return &companies[i]
			}
		}
		return nil
	}
	if raw := r.URL.Query().Get("company"); raw != "" {
		id, _ := strconv.ParseInt(raw, 10, 64)
		c := find(id)
		if c == nil {
			return nil, false
		}
		if a.Sessions.GetInt64(r.Context(), sessCompanyID) != c.ID {
			a.Sessions.Put(r.Context(), sessCompanyID, c.ID) // a Put writes the session, even of the same value
		}
		return c, true
	}
	if c := find(a.Sessions.GetInt64(r.Context(), sessCompanyID)); c != nil {
		return c, true
	}
	return &companies[0], true
}

// filterDay is a day typed into a date filter as YYYY-MM-DD: the filters
// accept what the pages show ("07.01.2026", "7 Jan 2026") and ISO. Text
// that is no day is returned trimmed, for the page to refuse it.
func filterDay(s string) string {
	if d, ok := locale.ParseDay(s); ok {
		return d
	}
	return strings.TrimSpace(s)
}

// parseDashFilter reads the dashboard query, replacing unknown values by defaults.
func parseDashFilter(q url.Values, companyID int64) dashFilter {
	f := dashFilter{
		CompanyID: companyID,
		Tab:       "all",
		Q:         strings.TrimSpace(q.Get("q")),
		Partner:   strings.TrimSpace(q.Get("partner")),
		From:      filterDay(q.Get("from")),
		To:        filterDay(q.Get("to")),
		Sort:      "date",
		Order:     "desc",
		Page:      1,
	}
	for _, tab := range dashboardTabs {
		if q.Get("tab") == tab.Key {
			f.Tab = tab.Key
		}
	}
	for _, s := range sortColumns {
		if q.Get("sort") == s.Key {
			f.Sort = s.Key
		}
	}
	if q.Get("order") == "asc" {
		f.Order = "asc"
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		f.Page = n
	}
	f.Risk = q.Get("risk") == "1"
	return f
}

// newInvoiceRow picks the partner: the receiver of what the company sent,
// the issuer of everything else.
func newInvoiceRow(lang string, inv *gateway.Invoice) invoiceRow {
	row := invoiceRow{
		ID:          inv.ID,
		Number:      inv.InvoiceNumber,
		IssueDate:   inv.IssueDate,
		PartnerName: inv.IssuerName,
		PartnerCIF:  inv.CIFEmitent,
		Total:       formatMoney(lang, listAmount(inv), inv.Currency),
		DocLabel:    listDocLabel(lang, inv),
		MessageType: inv.MessageType,
		SyncedAt:    inv.SyncedAt,
		DuplicateOf: inv.DuplicateOf,
		ConflictOf:  inv.ConflictOf,
	}
	if inv.MessageType == gateway.TypeSent {
		row.PartnerName, row.PartnerCIF = inv.ReceiverName, invoice.MaskCNP(inv.CIFBeneficiar) // a person's CNP is never listed
	}
	if row.Number == "" {
		row.Number = "#" + inv.ANAFID
	}
	return row
}

// listAmount is the total a list row shows: a credit note (stored
// document type CreditNote) counts as −|BT-112|, as in the figures and
// the exports (issue 17); anything else as written.
func listAmount(inv *gateway.Invoice) string {
	total := strings.TrimSpace(inv.TotalAmount)
	if inv.DocumentType != string(invoice.DocCreditNote) || total == "" {
		return total
	}
	return "-" + strings.TrimPrefix(strings.TrimPrefix(total, "-"), "+")
}

// listDocLabel is a row's DocLabel: the invoice page's names for a credit
// note and for an invoice with a negative total.
func listDocLabel(lang string, inv *gateway.Invoice) string {
	L := view.LabelsFor(view.Lang(lang))
	switch {
	case inv.DocumentType == string(invoice.DocCreditNote):
		return L.CreditNote
	case inv.DocumentType == string(invoice.DocInvoice) && strings.HasPrefix(strings.TrimSpace(inv.TotalAmount), "-"):
		return L.Reversal
	}
	return ""
}

// submitSyncNow starts a background sync of a company the user belongs
// to (verified or not: a sync is how ANAF verifies it).
func (a *app) submitSyncNow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	company, err := a.gw().SyncCompany(r.Context(), a.principal(r), id)
	if err != nil {
		a.useCaseError(w, r, err, "/")
		return
	}
	if a.Sync == nil {
		a.setFlash(r, "error", a.t(r, "dash.sync.failed", a.t(r, "dash.sync.failed.later")))
	} else if err := a.Sync.SyncNow(r.Context(), id); err != nil {
		// The reason for the log; the user gets a sentence in their language.
		a.Logger.WarnContext(r.Context(), "sync now failed", "company_id", id, "error", err.Error())
		reason := a.t(r, "dash.sync.failed.later")
		if gateway.IsSyncBusy(err) {
			reason = a.t(r, "dash.sync.failed.busy")
		}
		a.setFlash(r, "error", a.t(r, "dash.sync.failed", reason))
	} else {
		a.gw().SyncStarted(r.Context(), a.principal(r), company)
		a.setFlash(r, "ok", a.t(r, "dash.sync.started"))
	}
	redirect(w, r, companyURL(id))
}

// syncStatus is the JSON answer of GET /companies/{id}/sync/status, read
// by app.js to show a sync's progress.
type syncStatus struct {
	Status     string `json:"status"` // queued | running | ok | partial | failed | none
	Done       bool   `json:"done"`
	Pages      int    `json:"pages"`
	TotalPages int    `json:"total_pages"`
	Found      int    `json:"found"`
	New        int    `json:"new"`
	Failed     int    `json:"failed"`
	Text       string `json:"text"` // a readable line in the page's language
}

// showSyncStatus answers the latest sync run of a company the user
// belongs to (404 otherwise).
func (a *app) showSyncStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	run, err := a.gw().LastSync(r.Context(), a.principal(r), id)
	if err != nil {
		a.useCaseError(w, r, err, "/")
		return
	}
	st := syncStatus{Status: "none", Done: true}
	if run != nil {
		shown := gateway.SyncShownStatus(run)
		st = syncStatus{Status: shown, Done: run.FinishedAt != nil, Pages: run.Pages, TotalPages: run.TotalPages,
			Found: run.Found, New: run.New, Failed: run.Failed}
		st.Text = a.t(r, "sync.progress", a.t(r, "sync."+shown), run.Pages, max(run.TotalPages, run.Pages), run.Found, run.New)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}
