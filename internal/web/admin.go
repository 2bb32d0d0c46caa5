package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// adminUsersPage is the data of admin_users.html.
type adminUsersPage struct {
	Pending []gateway.User
	All     []gateway.User
}

func (a *app) showAdminUsersPage(w http.ResponseWriter, r *http.Request) {
	all, err := a.gw().Users(r.Context(), a.actor(r))
	if err != nil {
		a.useCaseError(w, r, err, "/")
		return
	}
	p := adminUsersPage{All: all}
	for _, u := range all {
		if u.Status == gateway.UserPending {
			p.Pending = append(p.Pending, u)
		}
	}
	a.render(w, r, http.StatusOK, "admin_users", "admin", p)
}

func (a *app) submitApproveUser(w http.ResponseWriter, r *http.Request) {
	a.adminUserAction(w, r, func(act gateway.Actor, id int64) (*gateway.User, error) {
		return a.gw().ApproveUser(r.Context(), act, id)
	}, "admin.approved")
}

func (a *app) submitRejectUser(w http.ResponseWriter, r *http.Request) {
	a.adminUserAction(w, r, func(act gateway.Actor, id int64) (*gateway.User, error) {
		return a.gw().RejectUser(r.Context(), act, id)
	}, "admin.rejected")
}

// submitSetAdmin grants (admin=on) or removes (admin=off) the admin role;
// never the admin's own.
func (a *app) submitSetAdmin(w http.ResponseWriter, r *http.Request) {
	on := r.PostFormValue("admin") == "on"
	msg := "admin.role.removed"
	if on {
		msg = "admin.role.granted"
	}
	a.adminUserAction(w, r, func(act gateway.Actor, id int64) (*gateway.User, error) {
		return a.gw().SetAdmin(r.Context(), act, id, on)
	}, msg)
}

// adminUserAction runs a user administration use case on the user of
// {id} and flashes msgKey (with their e-mail) or the refusal.
func (a *app) adminUserAction(w http.ResponseWriter, r *http.Request, run func(gateway.Actor, int64) (*gateway.User, error), msgKey string) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	u, err := run(a.actor(r), id)
	if err != nil {
		a.adminRefusal(w, r, err)
		return
	}
	a.setFlash(r, "ok", a.t(r, msgKey, u.Email))
	redirect(w, r, "/admin/users")
}

// adminMessages maps the user administration refusals to catalog keys.
var adminMessages = map[string]string{
	gateway.ErrAdminSelf.Code:        "admin.self",
	gateway.ErrNotApproved.Code:      "admin.impersonate.notapproved",
	gateway.ErrImpersonateAdmin.Code: "admin.impersonate.admin",
}

// adminRefusal flashes a refusal of a user administration use case on the
// users page; anything else is answered as useCaseError does.
func (a *app) adminRefusal(w http.ResponseWriter, r *http.Request, err error) {
	var ge *gateway.Error
	if errors.As(err, &ge) {
		if key, ok := adminMessages[ge.Code]; ok {
			a.setFlash(r, "error", a.t(r, key))
			redirect(w, r, "/admin/users")
			return
		}
	}
	a.useCaseError(w, r, err, "/admin/users")
}

// anafAppForm is the data of admin_anaf.html. The secret is write-only:
// the page only says whether one is stored.
type anafAppForm struct {
	ClientID    string
	RedirectURI string
	HasSecret   bool
	UpdatedAt   time.Time
	Default     string // the redirect URI used when the field is empty
	Errors      formErrors
}

func (a *app) showANAFAppPage(w http.ResponseWriter, r *http.Request) {
	f := anafAppForm{Default: a.defaultRedirectURI(r)}
	app, err := a.gw().ANAFApp(r.Context(), a.actor(r))
	if err != nil {
		a.useCaseError(w, r, err, "/admin/users")
		return
	}
	if app != nil {
		f.ClientID, f.RedirectURI, f.HasSecret, f.UpdatedAt = app.ClientID, app.RedirectURI, len(app.ClientSecretEnc) > 0, app.UpdatedAt
	}
	a.render(w, r, http.StatusOK, "admin_anaf", "admin", f)
}

// defaultRedirectURI is this site's callback URL as the request sees it.
func (a *app) defaultRedirectURI(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || a.Production {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/anaf/callback"
}

// submitANAFApp stores the OAuth application; an empty secret keeps the
// stored one (required when none is stored). The secret is encrypted
// with the keyring (AES-256-GCM) and never shown again.
func (a *app) submitANAFApp(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := anafAppForm{
		ClientID:    strings.TrimSpace(r.PostFormValue("client_id")),
		RedirectURI: strings.TrimSpace(r.PostFormValue("redirect_uri")),
		Default:     a.defaultRedirectURI(r),
	}
	err := a.gw().SaveANAFApp(ctx, a.actor(r), f.ClientID, f.RedirectURI, r.PostFormValue("client_secret"))
	if fe, ok := a.formErrors(r, err); ok {
		f.Errors = fe
		if old, err := a.gw().ANAFApp(ctx, a.actor(r)); err == nil && old != nil {
			f.HasSecret, f.UpdatedAt = len(old.ClientSecretEnc) > 0, old.UpdatedAt
		}
		a.render(w, r, http.StatusUnprocessableEntity, "admin_anaf", "admin", f)
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, "/admin/anaf")
		return
	}
	a.setFlash(r, "ok", a.t(r, "anafapp.saved"))
	redirect(w, r, "/admin/anaf")
}

// auditPage is the data of admin_audit.html.
type auditPage struct {
	Action, Actor, From, To string
	Errors                  formErrors
	Events                  []auditRow
	Limit                   int
}

// auditLimit is how many events the audit page shows.
const auditLimit = 200

// showAuditPage lists audit events filtered by action prefix, actor
// e-mail and a date range (days in Europe/Bucharest, both inclusive).
func (a *app) showAuditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := auditPage{
		Action: strings.TrimSpace(q.Get("action")),
		Actor:  strings.TrimSpace(q.Get("actor")),
		From:   filterDay(q.Get("from")),
		To:     filterDay(q.Get("to")),
		Errors: formErrors{},
		Limit:  auditLimit,
	}
	f := gateway.AuditFilter{Action: p.Action, ActorEmail: p.Actor, Limit: auditLimit}
	if p.From != "" {
		d, err := time.ParseInLocation(time.DateOnly, p.From, bucharest)
		if err != nil {
			p.Errors["from"] = a.t(r, "dash.bad.date")
		}
		f.From = d
	}
	if p.To != "" {
		d, err := time.ParseInLocation(time.DateOnly, p.To, bucharest)
		if err != nil {
			p.Errors["to"] = a.t(r, "dash.bad.date")
		}
		f.To = d.AddDate(0, 0, 1)
	}
	if len(p.Errors) == 0 {
		events, err := a.gw().AuditEvents(r.Context(), a.actor(r), f)
		if err != nil {
			a.useCaseError(w, r, err, "/admin/users")
			return
		}
		p.Events = auditRows(reqCtx(r).lang, events) // audittext.go
	}
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	a.render(w, r, status, "admin_audit", "admin", p)
}

// systemPage is the data of admin_system.html.
type systemPage struct {
	Figures *gateway.SystemFigures
}

func (a *app) showSystemPage(w http.ResponseWriter, r *http.Request) {
	f, err := a.gw().SystemFigures(r.Context(), a.actor(r))
	if err != nil {
		a.useCaseError(w, r, err, "/admin/users")
		return
	}
	a.render(w, r, http.StatusOK, "admin_system", "admin", systemPage{Figures: f})
}
