package web

import (
	"errors"
	"net/http"

	"github.com/efactura-gateway/efactura/internal/store"
)

// adminUsersPage is the data of admin_users.html.
type adminUsersPage struct {
	Pending []store.User
	All     []store.User
}

func (a *app) showAdminUsersPage(w http.ResponseWriter, r *http.Request) {
	all, err := a.Store.Users(r.Context(), "")
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	p := adminUsersPage{All: all}
	for _, u := range all {
		if u.Status == store.UserPending {
			p.Pending = append(p.Pending, u)
		}
	}
	a.render(w, r, http.StatusOK, "admin_users", "admin", p)
}

func (a *app) submitApproveUser(w http.ResponseWriter, r *http.Request) {
	a.setUserStatus(w, r, store.UserApproved, "user.approve", "admin.approved")
}

func (a *app) submitRejectUser(w http.ResponseWriter, r *http.Request) {
	a.setUserStatus(w, r, store.UserRejected, "user.reject", "admin.rejected")
}

// setUserStatus approves or rejects an account (never the admin's own).
func (a *app) setUserStatus(w http.ResponseWriter, r *http.Request, status, action, msgKey string) {
	admin := reqCtx(r).user
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	if id == admin.ID {
		a.setFlash(r, "error", a.t(r, "admin.self"))
		redirect(w, r, "/admin/users")
		return
	}
	u, err := a.Store.UserByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if err := a.Store.SetUserStatus(r.Context(), id, status); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.audit(r, admin.ID, action, u.Email, "")
	a.setFlash(r, "ok", a.t(r, msgKey, u.Email))
	redirect(w, r, "/admin/users")
}
