package web

import (
	"net/http"
)

// passwordForm is the data of password.html. Passwords are never echoed.
type passwordForm struct {
	Errors formErrors
}

func (a *app) showPasswordPage(w http.ResponseWriter, r *http.Request) {
	if reqCtx(r).impersonator != nil {
		a.notFound(w, r) // an admin never changes the password of the user they act as
		return
	}
	a.render(w, r, http.StatusOK, "password", "account", passwordForm{})
}

// submitPassword changes the user's password after checking the current
// one, then ends every other session of the user (sessions_valid_after)
// while keeping this one (a fresh token logged in after the cut).
func (a *app) submitPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rc := reqCtx(r)
	if rc.impersonator != nil {
		a.notFound(w, r)
		return
	}
	current, password, confirm := r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("confirm")
	cut, err := a.gw().ChangePassword(ctx, a.actor(r), current, password, confirm)
	if fe, ok := a.formErrors(r, err); ok {
		a.render(w, r, http.StatusUnprocessableEntity, "password", "account", passwordForm{Errors: fe})
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, "/account/password")
		return
	}
	if err := a.Sessions.RenewToken(ctx); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.Sessions.Put(ctx, sessAuthAt, cut.UnixNano())
	a.setFlash(r, "ok", a.t(r, "password.changed"))
	redirect(w, r, "/account/password")
}

// submitImpersonate lets an admin act as an approved user who is not an
// admin: the session keeps the admin in sessImpersonator, every page shows
// a banner with a stop button, and start and stop are audited.
func (a *app) submitImpersonate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	admin := reqCtx(r).user
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	u, err := a.gw().StartImpersonation(ctx, a.actor(r), id)
	if err != nil {
		a.adminRefusal(w, r, err)
		return
	}
	if err := a.Sessions.RenewToken(ctx); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.Sessions.Put(ctx, sessImpersonator, admin.ID)
	a.Sessions.Put(ctx, sessUserID, u.ID)
	a.Sessions.Remove(ctx, sessCompanyID)
	a.setFlash(r, "ok", a.t(r, "impersonate.started", u.Email))
	redirect(w, r, "/")
}

// submitStopImpersonation returns the session to the admin.
func (a *app) submitStopImpersonation(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rc := reqCtx(r)
	if rc.impersonator == nil {
		redirect(w, r, "/")
		return
	}
	if err := a.Sessions.RenewToken(ctx); err != nil {
		a.serverError(w, r, err)
		return
	}
	if err := a.gw().StopImpersonation(ctx, a.actor(r)); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.Sessions.Remove(ctx, sessImpersonator)
	a.Sessions.Remove(ctx, sessCompanyID)
	a.Sessions.Put(ctx, sessUserID, rc.impersonator.ID)
	a.setFlash(r, "ok", a.t(r, "impersonate.stopped", rc.user.Email))
	redirect(w, r, "/admin/users")
}
