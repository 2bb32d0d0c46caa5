package web

import "github.com/efactura-gateway/efactura/internal/gateway"

// filterForm is what the shared "filters" template (templates/_lists.html)
// needs: the dashboard's filters of one company and the cross-company
// search's are one form with these differences.
type filterForm struct {
	Action    string // the form's action: "/" or "/search"
	CompanyID int64  // the dashboard's company (a hidden field); the search's selected one
	// CrossCompany: the search's form (role="search", a company select of
	// the verified Companies with "all" first) rather than one company's.
	CrossCompany bool
	Companies    []gateway.Company
	Tab          string
	Q            string
	QLabel       string // message keys of the text field's label and hint
	QHint        string
	Partner      string
	From, To     string // YYYY-MM-DD; shown as the page's language writes days
	Order        string
	Sorts        []sortOption
	Errors       formErrors
	ShowRisk     bool // the dashboard's "unchecked supplier risk" box
	Risk         bool
	Submit       string // message key of the submit button
	ResetURL     string
}

// FilterForm is the dashboard's filter form.
func (p dashboardPage) FilterForm() filterForm {
	f := p.Filter
	return filterForm{Action: "/", CompanyID: f.CompanyID, Tab: f.Tab, Q: f.Q, QLabel: "dash.search", QHint: "dash.search.hint",
		Partner: f.Partner, From: f.From, To: f.To, Order: f.Order, Sorts: p.Sorts, Errors: p.Errors,
		ShowRisk: true, Risk: f.Risk, Submit: "dash.filter", ResetURL: companyURL(f.CompanyID)}
}

// FilterForm is the cross-company search's filter form.
func (p searchPage) FilterForm() filterForm {
	f := p.Filter
	return filterForm{Action: "/search", CompanyID: f.CompanyID, Companies: p.Companies, Tab: f.Tab, Q: f.Text,
		QLabel: "search.text", QHint: "search.hint", Partner: f.Partner, From: f.From, To: f.To, Order: f.Order,
		Sorts: p.Sorts, Errors: p.Errors, Submit: "search.go", ResetURL: "/search", CrossCompany: true}
}
