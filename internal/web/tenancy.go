package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
)

// actor is the request's user as the use cases see them.
func (a *app) actor(r *http.Request) gateway.Actor {
	rc := reqCtx(r)
	act := gateway.Actor{IP: a.clientIP(r)}
	if rc.user != nil {
		act.UserID, act.Email = rc.user.ID, rc.user.Email
	}
	if rc.impersonator != nil {
		act.ImpersonatorID, act.ImpersonatorEmail = rc.impersonator.ID, rc.impersonator.Email
	}
	return act
}

// useCaseError answers a use case's refusal: 404 for what the user may not
// know exists, 403 with the reason while impersonating, and for the rest a
// flash with the reason on the page back; anything else is a 500.
func (a *app) useCaseError(w http.ResponseWriter, r *http.Request, err error, back string) {
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		a.serverError(w, r, err)
		return
	}
	switch ge.Kind {
	case gateway.KindNotFound:
		a.notFound(w, r)
	case gateway.KindForbidden:
		a.render(w, r, http.StatusForbidden, "error", "", errorPage{Message: a.t(r, "tenancy."+ge.Code)})
	case gateway.KindUnavailable:
		a.serverError(w, r, err)
	default:
		a.setFlash(r, "error", a.t(r, "tenancy."+ge.Code))
		redirect(w, r, back)
	}
}

// refuseWhileImpersonating answers 403 when an admin impersonates the
// user: no credentials are created that way (API keys, ANAF connections).
func (a *app) refuseWhileImpersonating(w http.ResponseWriter, r *http.Request) bool {
	if err := gateway.CreateCredentialAllowed(a.actor(r)); err != nil {
		a.useCaseError(w, r, err, "/")
		return true
	}
	return false
}

// pathInt64 parses a path value; ok=false answers 404.
func (a *app) pathInt64(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		a.notFound(w, r)
		return 0, false
	}
	return v, true
}

// invitationsPage is the data of invitations.html.
type invitationsPage struct {
	Invitations  []store.Invitation
	JoinRequests []store.JoinRequest
}

// showInvitationsPage lists the user's pending invitations (accept,
// decline) and their own pending join requests.
func (a *app) showInvitationsPage(w http.ResponseWriter, r *http.Request) {
	invs, joins, err := a.gw().MyInvitations(r.Context(), a.actor(r))
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "invitations", "invitations", invitationsPage{Invitations: invs, JoinRequests: joins})
}

func (a *app) submitAnswerInvitation(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := a.pathInt64(w, r, "id")
		if !ok {
			return
		}
		inv, err := a.gw().AnswerInvitation(r.Context(), a.actor(r), id, accept)
		if err != nil {
			a.useCaseError(w, r, err, "/invitations")
			return
		}
		if accept {
			a.setFlash(r, "ok", a.t(r, "tenancy.invite.accepted", inv.CompanyName))
			redirect(w, r, "/companies")
			return
		}
		a.setFlash(r, "ok", a.t(r, "tenancy.invite.declined", inv.CompanyName))
		redirect(w, r, "/invitations")
	}
}

// submitRevokeInvitation withdraws a pending invitation (owners).
func (a *app) submitRevokeInvitation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	iid, ok := a.pathInt64(w, r, "iid")
	if !ok {
		return
	}
	back := "/companies/" + strconv.FormatInt(id, 10)
	if err := a.gw().RevokeInvitation(r.Context(), a.actor(r), id, iid); err != nil {
		a.useCaseError(w, r, err, back)
		return
	}
	a.setFlash(r, "ok", a.t(r, "tenancy.invite.revoked"))
	redirect(w, r, back)
}

func (a *app) submitDecideJoin(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			a.notFound(w, r)
			return
		}
		rid, ok := a.pathInt64(w, r, "rid")
		if !ok {
			return
		}
		back := "/companies/" + strconv.FormatInt(id, 10)
		j, err := a.gw().DecideJoinRequest(r.Context(), a.actor(r), id, rid, accept)
		if err != nil {
			a.useCaseError(w, r, err, back)
			return
		}
		key := "tenancy.join.declined"
		if accept {
			key = "tenancy.join.accepted"
		}
		a.setFlash(r, "ok", a.t(r, key, j.Email))
		redirect(w, r, back)
	}
}

// submitLeave ends the user's own membership.
func (a *app) submitLeave(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	c, err := a.gw().Leave(r.Context(), a.actor(r), id)
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	if a.Sessions.GetInt64(r.Context(), sessCompanyID) == id {
		a.Sessions.Remove(r.Context(), sessCompanyID)
	}
	a.setFlash(r, "ok", a.t(r, "tenancy.left", c.Name))
	redirect(w, r, "/companies")
}

// submitConsent turns on or off "use my ANAF connection for this company".
func (a *app) submitConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	on := r.PostFormValue("consent") == "on"
	c, err := a.gw().SetConsent(r.Context(), a.actor(r), id, on)
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	key := "tenancy.consent.off"
	if on {
		key = "tenancy.consent.on"
	}
	a.setFlash(r, "ok", a.t(r, key, c.Name))
	redirect(w, r, "/companies")
}

// submitSetRole changes a member's role (owners).
func (a *app) submitSetRole(w http.ResponseWriter, r *http.Request) {
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
	role := r.PostFormValue("role")
	who, err := a.gw().SetRole(r.Context(), a.actor(r), id, uid, role)
	if err != nil {
		a.useCaseError(w, r, err, back)
		return
	}
	if uid == reqCtx(r).user.ID && role == store.RoleMember {
		back = "/companies" // no longer an owner: the settings page is gone
	}
	a.setFlash(r, "ok", a.t(r, "tenancy.role.changed", who, a.t(r, "role."+role)))
	redirect(w, r, back)
}

// submitHandOver makes another member owner and the user a member.
func (a *app) submitHandOver(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		a.notFound(w, r)
		return
	}
	uid, ok := a.pathInt64(w, r, "uid")
	if !ok {
		return
	}
	who, err := a.gw().HandOver(r.Context(), a.actor(r), id, uid)
	if err != nil {
		a.useCaseError(w, r, err, "/companies/"+strconv.FormatInt(id, 10))
		return
	}
	a.setFlash(r, "ok", a.t(r, "tenancy.handover.done", who))
	redirect(w, r, "/companies")
}

// gw is the use-case layer; a UI built without one gets a store-only service.
func (a *app) gw() *gateway.Service {
	if a.Gateway != nil {
		return a.Gateway
	}
	s := &gateway.Service{Store: a.Store, Logger: a.Logger, ANAFClient: a.ANAFClient, PasswordParams: a.PasswordParams}
	if a.Secrets != nil { // a nil *Keyring in the interface would not compare nil
		s.Secrets = a.Secrets
	}
	return s
}

// fieldMessages maps the gateway's input refusals (Error.Code) to the
// catalog keys of their form messages.
var fieldMessages = map[string]string{
	"key_name_required": "form.required",
	"key_name_long":     "keys.name.long",
	"key_scope":         "keys.scope.invalid",
	"name_required":     "form.required",
	"name_long":         "company.name.long",
	"confirm_mismatch":  "company.delete.mismatch",
	"password_wrong":    "password.current.wrong",
	"password_short":    "register.password.short",
	"password_same":     "password.same",
	"password_confirm":  "register.confirm.differ",

	"client_id_required":     "form.required",
	"client_id_long":         "anafapp.too.long",
	"redirect_uri":           "anafapp.redirect.invalid",
	"client_secret_required": "form.required",
}

// formErrors turns a use case's input refusals into the form's messages
// by field; ok=false when err is not about the input.
func (a *app) formErrors(r *http.Request, err error) (formErrors, bool) {
	var fe gateway.FieldErrors
	if !errors.As(err, &fe) {
		return nil, false
	}
	out := formErrors{}
	for _, e := range fe {
		switch key, known := fieldMessages[e.Code]; {
		case e.Code == gateway.ErrIntervalRange.Code:
			out[e.Field] = a.t(r, "company.interval.range", gateway.MinSyncInterval, gateway.MaxSyncInterval)
		case known:
			out[e.Field] = a.t(r, key)
		default:
			out[e.Field] = e.Msg
		}
	}
	return out, true
}
