package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// settingsForm is the company settings form.
type settingsForm struct {
	Name     string
	AutoSync bool
	Interval string // minutes, as typed
	Errors   formErrors
}

// memberForm is the invite form.
type memberForm struct {
	Email  string
	Role   string
	Errors formErrors
}

// companyPage is the data of company.html (owners only).
type companyPage struct {
	Company      *gateway.Company
	Settings     settingsForm
	Members      []gateway.Member
	Invitations  []gateway.Invitation
	JoinRequests []gateway.JoinRequest
	Member       memberForm
	Me           int64
	Owners       int           // how many owners: the last one cannot step down
	Numbering    numberingForm // the numbering pattern (compliance.go)
}

// ownedCompany loads the company of {id} when the user owns it. Everyone
// else (members, strangers, admins) gets 404: a member sees the company's
// invoices, never its settings.
func (a *app) ownedCompany(w http.ResponseWriter, r *http.Request) (*gateway.Company, bool) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return nil, false
	}
	c, err := a.gw().OwnedCompany(r.Context(), a.actor(r), id)
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return nil, false
	}
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

func (a *app) renderCompany(w http.ResponseWriter, r *http.Request, status int, c *gateway.Company, s settingsForm, m memberForm) {
	adm, err := a.gw().Administration(r.Context(), a.actor(r), c.ID)
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	owners := 0
	for _, mb := range adm.Members {
		if mb.Role == gateway.RoleOwner {
			owners++
		}
	}
	a.render(w, r, status, "company", "companies", companyPage{
		Company: c, Settings: s, Members: adm.Members, Invitations: adm.Invitations, JoinRequests: adm.JoinRequests,
		Member: m, Me: reqCtx(r).user.ID, Owners: owners, Numbering: a.numberingFormFor(r, c),
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
	minutes, err := strconv.Atoi(f.Interval)
	if err != nil {
		minutes = -1 // out of range: the use case says so
	}
	saved, err := a.gw().UpdateSettings(r.Context(), a.actor(r), c.ID, gateway.Settings{Name: f.Name, AutoSync: f.AutoSync, SyncIntervalMinutes: minutes})
	if fe, ok := a.formErrors(r, err); ok {
		f.Errors = fe
		a.renderCompany(w, r, http.StatusUnprocessableEntity, c, f, memberForm{})
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, "/companies/"+strconv.FormatInt(c.ID, 10))
		return
	}
	a.setFlash(r, "ok", a.t(r, "company.saved"))
	redirect(w, r, "/companies/"+strconv.FormatInt(saved.ID, 10))
}

// submitAddMember invites a user by e-mail: a pending invitation that
// changes nothing for the invitee until they accept it on their
// invitations page. Not while impersonating (403).
func (a *app) submitAddMember(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := a.ownedCompany(w, r)
	if !ok || a.refuseWhileImpersonating(w, r) {
		return
	}
	m := memberForm{Email: strings.TrimSpace(r.PostFormValue("email")), Role: r.PostFormValue("role"), Errors: formErrors{}}
	settings := settingsForm{Name: c.Name, AutoSync: c.AutoSync, Interval: strconv.Itoa(c.SyncIntervalMinutes)}
	if m.Email == "" {
		m.Errors["email"] = a.t(r, "form.required")
		a.renderCompany(w, r, http.StatusUnprocessableEntity, c, settings, m)
		return
	}
	inv, err := a.gw().Invite(ctx, a.actor(r), c.ID, m.Email, m.Role)
	var ge *gateway.Error
	if errors.As(err, &ge) && (ge.Kind == gateway.KindInvalid || ge.Kind == gateway.KindConflict) {
		m.Errors["email"] = a.t(r, "tenancy."+ge.Code)
		a.renderCompany(w, r, http.StatusUnprocessableEntity, c, settings, m)
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, "/companies/"+strconv.FormatInt(c.ID, 10))
		return
	}
	a.setFlash(r, "ok", a.t(r, "tenancy.invite.sent", inv.Email, formatDate(reqCtx(r).lang, inv.ExpiresAt)))
	redirect(w, r, "/companies/"+strconv.FormatInt(c.ID, 10))
}

// submitRemoveMember removes another member; their API keys of the
// company are revoked. The last owner is never removed.
func (a *app) submitRemoveMember(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	uid, ok := a.pathInt64(w, r, "uid")
	if !ok {
		return
	}
	back := "/companies/" + strconv.FormatInt(id, 10)
	who, err := a.gw().RemoveMember(r.Context(), a.actor(r), id, uid)
	if err != nil {
		a.useCaseError(w, r, err, back)
		return
	}
	a.setFlash(r, "ok", a.t(r, "members.removed", who))
	redirect(w, r, back)
}

// deleteForm is the data of company_delete.html.
type deleteForm struct {
	Company  *gateway.Company
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
	n, err := a.gw().InvoiceCount(r.Context(), a.actor(r), f.Company.ID)
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
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
	f := deleteForm{Company: c, Confirm: strings.TrimSpace(r.PostFormValue("confirm_cif"))}
	_, err := a.gw().DeleteCompany(ctx, a.actor(r), c.ID, f.Confirm)
	if fe, ok := a.formErrors(r, err); ok {
		f.Errors = fe
		a.renderDelete(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	if a.Sessions.GetInt64(ctx, sessCompanyID) == c.ID {
		a.Sessions.Remove(ctx, sessCompanyID)
	}
	a.setFlash(r, "ok", a.t(r, "company.deleted", c.Name))
	redirect(w, r, "/companies")
}
