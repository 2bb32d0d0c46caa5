package web

import (
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/store"
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
	user := rc.user
	f := passwordForm{Errors: formErrors{}}
	current, password, confirm := r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("confirm")
	ok, err := checkPassword(user.PasswordHash, current)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if !ok {
		f.Errors["current"] = a.t(r, "password.current.wrong")
	}
	switch {
	case utf8.RuneCountInString(password) < minPasswordLen:
		f.Errors["password"] = a.t(r, "register.password.short")
	case password == current:
		f.Errors["password"] = a.t(r, "password.same")
	case password != confirm:
		f.Errors["confirm"] = a.t(r, "register.confirm.differ")
	}
	if len(f.Errors) > 0 {
		if !ok {
			a.audit(r, user.ID, "user.password_change_failed", user.Email, "wrong current password")
		}
		a.render(w, r, http.StatusUnprocessableEntity, "password", "account", f)
		return
	}
	hash, err := hashPassword(password)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if err := a.Store.SetUserPassword(ctx, user.ID, hash); err != nil {
		a.serverError(w, r, err)
		return
	}
	cut := time.Now().UTC().Truncate(time.Microsecond)
	if err := a.Store.SetUserSessionsValidAfter(ctx, user.ID, cut); err != nil {
		a.serverError(w, r, err)
		return
	}
	if err := a.Sessions.RenewToken(ctx); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.Sessions.Put(ctx, sessAuthAt, cut.UnixNano())
	a.audit(r, user.ID, "user.password_change", user.Email, "other sessions ended")
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
	u, err := a.Store.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	switch {
	case u.ID == admin.ID:
		a.setFlash(r, "error", a.t(r, "admin.self"))
	case u.IsAdmin:
		a.setFlash(r, "error", a.t(r, "admin.impersonate.admin"))
	case u.Status != store.UserApproved:
		a.setFlash(r, "error", a.t(r, "admin.impersonate.notapproved"))
	default:
		if err := a.Sessions.RenewToken(ctx); err != nil {
			a.serverError(w, r, err)
			return
		}
		a.audit(r, admin.ID, "impersonate.start", u.Email, "")
		a.Sessions.Put(ctx, sessImpersonator, admin.ID)
		a.Sessions.Put(ctx, sessUserID, u.ID)
		a.Sessions.Remove(ctx, sessCompanyID)
		a.setFlash(r, "ok", a.t(r, "impersonate.started", u.Email))
		redirect(w, r, "/")
		return
	}
	redirect(w, r, "/admin/users")
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
	a.audit(r, rc.impersonator.ID, "impersonate.stop", rc.user.Email, "")
	a.Sessions.Remove(ctx, sessImpersonator)
	a.Sessions.Remove(ctx, sessCompanyID)
	a.Sessions.Put(ctx, sessUserID, rc.impersonator.ID)
	a.setFlash(r, "ok", a.t(r, "impersonate.stopped", rc.user.Email))
	redirect(w, r, "/admin/users")
}
