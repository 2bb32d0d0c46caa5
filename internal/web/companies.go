package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/store"
)

// companyForm is the add-company form.
type companyForm struct {
	CIF    string
	Name   string
	Errors formErrors
}

// companiesPage is the data of companies.html.
type companiesPage struct {
	Companies []store.Company
	Form      companyForm
}

func (a *app) showCompaniesPage(w http.ResponseWriter, r *http.Request) {
	a.renderCompanies(w, r, http.StatusOK, companyForm{})
}

func (a *app) renderCompanies(w http.ResponseWriter, r *http.Request, status int, f companyForm) {
	companies, err := a.Store.CompaniesForUser(r.Context(), reqCtx(r).user.ID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, status, "companies", "companies", companiesPage{Companies: companies, Form: f})
}

// submitAddCompany adds a company with the user as owner. A CIF that
// already exists is not copied: the user is sent to its owner.
func (a *app) submitAddCompany(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := reqCtx(r).user
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
	if f.Name == "" {
		f.Errors["name"] = a.t(r, "form.required")
	} else if utf8.RuneCountInString(f.Name) > 200 {
		f.Name = string([]rune(f.Name)[:200])
	}
	if len(f.Errors) == 0 {
		existing, err := a.Store.CompanyByCIF(ctx, digits)
		switch {
		case err == nil:
			f.Errors["cif"] = a.existingCompanyMessage(r, existing.ID, user.ID)
		case !errors.Is(err, store.ErrNotFound):
			a.serverError(w, r, err)
			return
		}
	}
	if len(f.Errors) > 0 {
		a.renderCompanies(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	c, err := a.Store.CreateCompany(ctx, digits, f.Name)
	if errors.Is(err, store.ErrAlreadyExists) { // lost a race with another user
		f.Errors["cif"] = a.t(r, "companies.cif.exists")
		a.renderCompanies(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if err := a.Store.AddMembership(ctx, c.ID, user.ID, store.RoleOwner); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.audit(r, user.ID, "company.create", c.CIF, c.Name)
	a.Sessions.Put(ctx, sessCompanyID, c.ID)
	a.setFlash(r, "ok", a.t(r, "companies.added", c.Name))
	redirect(w, r, "/companies")
}

// existingCompanyMessage explains why an existing CIF cannot be added.
func (a *app) existingCompanyMessage(r *http.Request, companyID, userID int64) string {
	if member, err := a.isMember(r, companyID, userID); err == nil && member {
		return a.t(r, "companies.cif.member")
	}
	return a.t(r, "companies.cif.exists")
}

// companyURL is the dashboard of one company.
func companyURL(id int64) string { return "/?company=" + strconv.FormatInt(id, 10) }
