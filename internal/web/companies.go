package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/gateway"
)

// companyForm is the add-company form.
type companyForm struct {
	CIF    string
	Name   string
	Errors formErrors
	// Found is ANAF's VAT-payer register's answer to "fill in from ANAF"
	// (taxpayer.go); nil when not asked or not found.
	Found *gateway.Taxpayer
}

// companiesPage is the data of companies.html.
type companiesPage struct {
	Companies []gateway.Company
	Form      companyForm
	HasANAF   bool // the user's own ANAF connection is live: lending it means something
	// Suggestions are partner CIFs of the user's synced invoices (only
	// suggestions: ANAF lists no certificate's CIFs); firststeps.go.
	Suggestions []gateway.PartnerCIF
	// Joins are the pending join requests of the companies the user owns.
	Joins []gateway.JoinRequest
}

func (a *app) showCompaniesPage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("lookup") != "" { // taxpayer.go: "fill in from ANAF"
		a.renderCompanies(w, r, http.StatusOK, a.lookupTaxpayer(r))
		return
	}
	a.renderCompanies(w, r, http.StatusOK, companyForm{})
}

func (a *app) renderCompanies(w http.ResponseWriter, r *http.Request, status int, f companyForm) {
	companies, err := a.gw().Companies(r.Context(), a.actor(r))
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	steps, err := a.gw().GuideFirstSteps(r.Context(), a.actor(r))
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	joins, err := a.gw().JoinRequestsToDecide(r.Context(), a.actor(r))
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, status, "companies", "companies", companiesPage{Companies: companies, Form: f, HasANAF: steps.ANAFConnected, Suggestions: steps.Suggestions, Joins: joins})
}

// submitAddCompany adds a company with the user as its creator (owner,
// consent on), verified at once when the user's ANAF connection covers
// the CIF. An existing CIF becomes a join request to its owners, or is
// taken over when it is unverified and the user's own grant verifies it.
func (a *app) submitAddCompany(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := companyForm{
		CIF:    strings.TrimSpace(r.PostFormValue("cif")),
		Name:   strings.TrimSpace(r.PostFormValue("name")),
		Errors: formErrors{},
	}
	digits, err := cif.Check(f.CIF)
	switch {
	case errors.Is(err, cif.ErrCheckDigit):
		f.Errors["cif"] = a.t(r, "companies.cif.check")
	case err != nil:
		f.Errors["cif"] = a.t(r, "companies.cif.invalid")
	}
	nameErr := a.t(r, "form.required")
	if f.Name == "" && len(f.Errors) == 0 {
		// Name left empty: ANAF's VAT-payer register names the CIF (taxpayer.go).
		found := a.lookupTaxpayerCIF(r, f.CIF)
		switch {
		case found.Found != nil && found.Name != "":
			f.Name, f.Found = found.Name, found.Found
		case found.Errors["cif"] == a.t(r, "tenancy.taxpayer_unavailable"): // it says to type the name
			nameErr = found.Errors["cif"]
		case found.Errors["cif"] != "": // e.g. the register does not know the CIF: say so
			nameErr = found.Errors["cif"] + " " + a.t(r, "companies.name.type_it")
		}
	}
	if f.Name == "" {
		f.Errors["name"] = nameErr
	} else if utf8.RuneCountInString(f.Name) > 200 {
		f.Name = string([]rune(f.Name)[:200])
	}
	if len(f.Errors) > 0 {
		a.renderCompanies(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	res, err := a.gw().AddCompanyChecked(ctx, a.actor(r), digits, f.Name)
	var nc *gateway.NotCoveredError
	if errors.As(err, &nc) { // firststeps.go: ANAF refused the user's token for the CIF
		f.Errors["cif"] = a.t(r, "firststeps.not_covered", nc.CIF)
		if nc.ANAF != "" {
			f.Errors["cif"] += " " + a.t(r, "firststeps.anaf_said", nc.ANAF)
		}
		a.renderCompanies(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	c := res.Company
	switch res.Outcome {
	case gateway.AlreadyMember:
		f.Errors["cif"] = a.t(r, "companies.cif.member")
		a.renderCompanies(w, r, http.StatusUnprocessableEntity, f)
		return
	case gateway.JoinRequested:
		a.setFlash(r, "ok", a.t(r, "tenancy.join.sent", c.CIF))
	case gateway.TookOver:
		a.Sessions.Put(ctx, sessCompanyID, c.ID)
		a.setFlash(r, "ok", a.t(r, "tenancy.takeover", c.Name))
	default:
		a.Sessions.Put(ctx, sessCompanyID, c.ID)
		if c.Verified() {
			a.setFlash(r, "ok", a.t(r, "companies.added", c.Name))
		} else {
			a.setFlash(r, "ok", a.t(r, "tenancy.added.unverified", c.Name))
		}
	}
	redirect(w, r, "/companies")
}

// companyURL is the dashboard of one company.
func companyURL(id int64) string { return "/?company=" + strconv.FormatInt(id, 10) }
