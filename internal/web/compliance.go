package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// compliancePage is the data of compliance.html: a company's sent invoices
// checked against their deadline and their numbering (issue 20, part 1).
type compliancePage struct {
	Company     *gateway.Company
	Tabs        []tabLink
	From, To    string // the filter as typed (or the period checked), YYYY-MM-DD when it is a day
	Errors      formErrors
	Unverified  bool
	Report      *gateway.ComplianceReport
	Late        []complianceRow
	Overdue     []complianceRow
	Series      []seriesRow
	Repeats     []repeatRow
	Unmatched   []complianceRow
	Missing     int    // missing numbers across the series
	SettingsURL string // the company settings page, for owners
}

// complianceRow is one invoice on the page, with the link to its page.
type complianceRow struct {
	Number, Link string
	Issue, Due   string // YYYY-MM-DD
	Submitted    time.Time
	Days         int
	DaysText     string // "3 zile" / "3 days"
	Regime       string
}

// seriesRow is one numbering run of a series.
type seriesRow struct {
	gateway.SeriesReport
	Label        string
	OtherSeller  bool // the seller is not the company (self-billing)
	Missing      []gateway.NumberRange
	MissingCount int
	More         int // missing ranges not listed
}

// repeatRow is one number used by several invoices.
type repeatRow struct {
	Label    string
	Number   string
	Invoices []complianceRow
}

// complianceTab is the company's "Termene și numerotare" tab.
func complianceTab(companyID int64) tabLink {
	return tabLink{Label: "compliance.tab", URL: "/companies/" + strconv.FormatInt(companyID, 10) + "/compliance/numbering"}
}

// sentLink is the page of a sent invoice: the archived invoice, else its upload.
func sentLink(inv gateway.SentInvoice) string {
	if inv.InvoiceID != 0 {
		return "/invoices/" + strconv.FormatInt(inv.InvoiceID, 10)
	}
	if inv.UploadID != 0 {
		return "/uploads/" + strconv.FormatInt(inv.UploadID, 10)
	}
	return ""
}

func sentRow(inv gateway.SentInvoice) complianceRow {
	return complianceRow{Number: inv.Number, Link: sentLink(inv), Issue: inv.IssueDate.Format(time.DateOnly), Submitted: inv.Submitted}
}

func (a *app) deadlineRows(r *http.Request, rows []gateway.DeadlineRow) []complianceRow {
	out := make([]complianceRow, 0, len(rows))
	for _, d := range rows {
		row := sentRow(d.Invoice)
		row.Due, row.Days, row.Regime = d.Due.Format(time.DateOnly), d.DaysLate, string(d.Regime)
		row.DaysText = a.daysText(r, d.DaysLate)
		out = append(out, row)
	}
	return out
}

// daysText writes a number of days: "1 zi", "3 zile", "21 de zile" (the
// Romanian plural takes "de" when the last two digits are 00 or 20–99).
func (a *app) daysText(r *http.Request, n int) string {
	switch {
	case n == 1:
		return a.t(r, "compliance.day.one")
	case n%100 == 0 || n%100 >= 20:
		return a.t(r, "compliance.days.de", n)
	default:
		return a.t(r, "compliance.days", n)
	}
}

// asInt caps a count for display.
func asInt(n uint64) int {
	if n > 1<<31 {
		return 1 << 31
	}
	return int(n) //nolint:gosec // capped above
}

// showCompliancePage is the company's deadline and numbering check for a
// period (from, to: dd.mm.yyyy, "7 Jan 2026" or ISO; default: this year).
func (a *app) showCompliancePage(w http.ResponseWriter, r *http.Request) {
	c, ok := a.memberCompany(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	p := compliancePage{Company: c, Tabs: companyTabs(c.ID, "compliance"), Errors: formErrors{},
		From: filterDay(q.Get("from")), To: filterDay(q.Get("to"))}
	if c.Role == gateway.RoleOwner {
		p.SettingsURL = "/companies/" + strconv.FormatInt(c.ID, 10) + "#numbering"
	}
	rep, err := a.gw().Compliance(r.Context(), a.principal(r), c.ID, p.From, p.To)
	var ge *gateway.Error
	switch {
	case errors.Is(err, gateway.ErrUnverified):
		p.Unverified = true
	case errors.As(err, &ge) && ge.Kind == gateway.KindInvalid:
		p.Errors[ge.Field] = a.t(r, "compliance.err."+ge.Code)
	case err != nil:
		a.sendError(w, r, err)
		return
	default:
		p.Report, p.From, p.To = rep, rep.From, rep.To
		p.Late, p.Overdue = a.deadlineRows(r, rep.Deadlines.Late), a.deadlineRows(r, rep.Deadlines.Overdue)
		for _, s := range rep.Numbering.Series {
			p.Series = append(p.Series, seriesRow{SeriesReport: s, Label: s.Series.Label(), OtherSeller: s.SellerCIF != c.CIF,
				Missing: s.Missing, MissingCount: asInt(s.MissingCount), More: moreRanges(s)})
		}
		p.Missing = asInt(rep.Numbering.MissingCount())
		for _, rp := range rep.Numbering.Repeats {
			row := repeatRow{Label: rp.Series.Label(), Number: rp.Invoices[0].Number}
			for _, inv := range rp.Invoices {
				row.Invoices = append(row.Invoices, sentRow(inv))
			}
			p.Repeats = append(p.Repeats, row)
		}
		for _, inv := range rep.Numbering.Unmatched {
			p.Unmatched = append(p.Unmatched, sentRow(inv))
		}
	}
	a.render(w, r, http.StatusOK, "compliance", "invoices", p)
}

// moreRanges is how many missing ranges a truncated series did not list
// (at least one when truncated).
func moreRanges(s gateway.SeriesReport) int {
	if !s.MissingTruncated {
		return 0
	}
	var listed uint64
	for _, m := range s.Missing {
		listed += m.Count()
	}
	return max(1, asInt(s.MissingCount-listed))
}

// numberingForm is the numbering pattern form of the company settings page.
type numberingForm struct {
	Pattern string // "" for the default
	Default string
	Error   string
}

type numberingFormKey struct{}

// numberingFormFor is the pattern form of the settings page: the one just
// submitted when it is shown again with its error, else the stored one.
func (a *app) numberingFormFor(r *http.Request, c *gateway.Company) numberingForm {
	if f, ok := r.Context().Value(numberingFormKey{}).(*numberingForm); ok {
		return *f
	}
	pat, def, err := a.gw().NumberingPattern(r.Context(), a.actor(r), c.ID)
	if err != nil {
		a.Logger.WarnContext(r.Context(), "numbering pattern", "company_id", c.ID, "error", err.Error())
	}
	return numberingForm{Pattern: pat, Default: def}
}

// submitNumberingPattern saves the company's numbering pattern (owners).
func (a *app) submitNumberingPattern(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	back := "/companies/" + strconv.FormatInt(c.ID, 10)
	pattern := r.PostFormValue("pattern")
	if r.PostFormValue("reset") != "" {
		pattern = ""
	}
	pattern = strings.TrimSpace(pattern)
	err := a.gw().SetNumberingPattern(r.Context(), a.actor(r), c.ID, pattern)
	var fe gateway.FieldErrors
	if errors.As(err, &fe) && len(fe) > 0 {
		_, def, _ := a.gw().NumberingPattern(r.Context(), a.actor(r), c.ID)
		f := &numberingForm{Pattern: pattern, Default: def, Error: a.t(r, "compliance.err."+fe[0].Code)}
		r = r.WithContext(context.WithValue(r.Context(), numberingFormKey{}, f))
		a.renderCompany(w, r, http.StatusUnprocessableEntity, c, settingsForm{
			Name: c.Name, AutoSync: c.AutoSync, Interval: strconv.Itoa(c.SyncIntervalMinutes),
		}, memberForm{})
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, back)
		return
	}
	a.setFlash(r, "ok", a.t(r, "compliance.pattern.saved"))
	redirect(w, r, back+"#numbering")
}
