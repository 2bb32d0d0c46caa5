package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/store"
)

// Sync interval bounds of the company settings form, in minutes.
const (
	minSyncInterval = 15
	maxSyncInterval = 24 * 60
)

// settingsForm is the company settings form.
type settingsForm struct {
	Name     string
	AutoSync bool
	Interval string // minutes, as typed
	Errors   formErrors
}

// memberForm is the add-member form.
type memberForm struct {
	Email  string
	Errors formErrors
}

// companyPage is the data of company.html (owners only).
type companyPage struct {
	Company  *store.Company
	Settings settingsForm
	Members  []store.Member
	Member   memberForm
	Me       int64
}

// ownedCompany loads the company of {id} when the user owns it. Everyone
// else (members, strangers, admins) gets 404: a member sees the company's
// invoices, never its settings.
func (a *app) ownedCompany(w http.ResponseWriter, r *http.Request) (*store.Company, bool) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return nil, false
	}
	role, err := a.Store.MembershipRole(r.Context(), id, reqCtx(r).user.ID)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && role != store.RoleOwner):
		a.notFound(w, r)
		return nil, false
	case err != nil:
		a.serverError(w, r, err)
		return nil, false
	}
	c, err := a.Store.CompanyByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return nil, false
	}
	if err != nil {
		a.serverError(w, r, err)
		return nil, false
	}
	c.Role = role
	return c, true
}

func (a *app) showCompanyPage(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	a.renderCompany(w, r, http.StatusOK, c, settingsForm{
		Name: c.Name, AutoSync: c.AutoSync, Interval: strconv.Itoa(c.SyncIntervalMinutes),
	}, memberForm{})
}

func (a *app) renderCompany(w http.ResponseWriter, r *http.Request, status int, c *store.Company, s settingsForm, m memberForm) {
	members, err := a.Store.CompanyMembers(r.Context(), c.ID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, status, "company", "companies", companyPage{
		Company: c, Settings: s, Members: members, Member: m, Me: reqCtx(r).user.ID,
	})
}

// submitEditCompany saves the name, auto-sync on/off and its interval.
func (a *app) submitEditCompany(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	f := settingsForm{
		Name:     strings.TrimSpace(r.PostFormValue("name")),
		AutoSync: r.PostFormValue("auto_sync") == "on",
		Interval: strings.TrimSpace(r.PostFormValue("interval")),
		Errors:   formErrors{},
	}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		f.Errors["name"] = a.t(r, "form.required")
	case n > 200:
		f.Errors["name"] = a.t(r, "company.name.long")
	}
	minutes, err := strconv.Atoi(f.Interval)
	if err != nil || minutes < minSyncInterval || minutes > maxSyncInterval {
		f.Errors["interval"] = a.t(r, "company.interval.range", minSyncInterval, maxSyncInterval)
	}
	if len(f.Errors) > 0 {
		a.renderCompany(w, r, http.StatusUnprocessableEntity, c, f, memberForm{})
		return
	}
	c.Name, c.AutoSync, c.SyncIntervalMinutes = f.Name, f.AutoSync, minutes
	if err := a.Store.UpdateCompany(r.Context(), c); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.audit(r, reqCtx(r).user.ID, "company.update", c.CIF, "auto_sync="+strconv.FormatBool(c.AutoSync)+" interval="+f.Interval)
	a.setFlash(r, "ok", a.t(r, "company.saved"))
	redirect(w, r, "/companies/"+strconv.FormatInt(c.ID, 10))
}

// submitAddMember gives an approved user access to the company's invoices.
func (a *app) submitAddMember(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	m := memberForm{Email: strings.TrimSpace(r.PostFormValue("email")), Errors: formErrors{}}
	settings := settingsForm{Name: c.Name, AutoSync: c.AutoSync, Interval: strconv.Itoa(c.SyncIntervalMinutes)}
	u, err := a.Store.UserByEmail(ctx, m.Email)
	switch {
	case m.Email == "":
		m.Errors["email"] = a.t(r, "form.required")
	case errors.Is(err, store.ErrNotFound) || (err == nil && u.Status != store.UserApproved):
		m.Errors["email"] = a.t(r, "members.unknown")
	case err != nil:
		a.serverError(w, r, err)
		return
	default:
		if _, err := a.Store.MembershipRole(ctx, c.ID, u.ID); err == nil {
			m.Errors["email"] = a.t(r, "members.already")
		} else if !errors.Is(err, store.ErrNotFound) {
			a.serverError(w, r, err)
			return
		}
	}
	if len(m.Errors) > 0 {
		a.renderCompany(w, r, http.StatusUnprocessableEntity, c, settings, m)
		return
	}
	if err := a.Store.AddMembership(ctx, c.ID, u.ID, store.RoleMember); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.audit(r, reqCtx(r).user.ID, "company.member_add", c.CIF, u.Email)
	a.setFlash(r, "ok", a.t(r, "members.added", u.Email))
	redirect(w, r, "/companies/"+strconv.FormatInt(c.ID, 10))
}

// submitRemoveMember removes a member (never the owner themself); the
// store revokes the API keys that member created.
func (a *app) submitRemoveMember(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	uid, err := strconv.ParseInt(r.PathValue("uid"), 10, 64)
	if err != nil {
		a.notFound(w, r)
		return
	}
	back := "/companies/" + strconv.FormatInt(c.ID, 10)
	if uid == reqCtx(r).user.ID {
		a.setFlash(r, "error", a.t(r, "members.self"))
		redirect(w, r, back)
		return
	}
	u, err := a.Store.UserByID(ctx, uid)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if err := a.Store.RemoveMembership(ctx, c.ID, uid); errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	} else if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.audit(r, reqCtx(r).user.ID, "company.member_remove", c.CIF, u.Email+" (their API keys revoked)")
	a.setFlash(r, "ok", a.t(r, "members.removed", u.Email))
	redirect(w, r, back)
}

// deleteForm is the data of company_delete.html.
type deleteForm struct {
	Company  *store.Company
	Invoices int
	Confirm  string
	Errors   formErrors
}

func (a *app) showDeleteCompanyPage(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	a.renderDelete(w, r, http.StatusOK, deleteForm{Company: c})
}

func (a *app) renderDelete(w http.ResponseWriter, r *http.Request, status int, f deleteForm) {
	n, err := a.Store.CountInvoices(r.Context(), f.Company.ID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	f.Invoices = n
	a.render(w, r, status, "company_delete", "companies", f)
}

// submitDeleteCompany deletes the company and, by cascade, its invoices,
// memberships, API keys and sync runs, once the owner typed its CIF.
func (a *app) submitDeleteCompany(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	f := deleteForm{Company: c, Confirm: strings.TrimSpace(r.PostFormValue("confirm_cif")), Errors: formErrors{}}
	if strings.TrimPrefix(strings.ToUpper(f.Confirm), "RO") != c.CIF {
		f.Errors["confirm_cif"] = a.t(r, "company.delete.mismatch")
		a.renderDelete(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if err := a.Store.DeleteCompany(ctx, c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		a.serverError(w, r, err)
		return
	}
	if a.Sessions.GetInt64(ctx, sessCompanyID) == c.ID {
		a.Sessions.Remove(ctx, sessCompanyID)
	}
	a.audit(r, reqCtx(r).user.ID, "company.delete", c.CIF, c.Name)
	a.setFlash(r, "ok", a.t(r, "company.deleted", c.Name))
	redirect(w, r, "/companies")
}
