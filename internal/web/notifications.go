package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// E-mail notifications (issue 19): the settings page, the one-click
// unsubscribe page (no login: the signed link is the authority) and the
// admins' view of the outbox.

// notificationsPage is the data of notifications.html.
type notificationsPage struct {
	*gateway.NotifyPrefsPage
	Modes []string
}

func (a *app) showNotificationsPage(w http.ResponseWriter, r *http.Request) {
	p, err := a.gw().NotifyPrefs(r.Context(), a.actor(r))
	if err != nil {
		a.useCaseError(w, r, err, "/")
		return
	}
	a.render(w, r, http.StatusOK, "notifications", "account", notificationsPage{NotifyPrefsPage: p, Modes: gateway.NotifyModes})
}

// submitNotifications stores the modes: fields mode_<company id>, and for
// an admin the registrations box (registrations_shown says it was on the form).
func (a *app) submitNotifications(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		a.useCaseError(w, r, gateway.ErrBadNotifyMode, "/account/notifications")
		return
	}
	modes := map[int64]string{}
	for k, v := range r.PostForm {
		id, err := strconv.ParseInt(strings.TrimPrefix(k, "mode_"), 10, 64)
		if !strings.HasPrefix(k, "mode_") || err != nil || len(v) == 0 {
			continue
		}
		modes[id] = v[0]
	}
	var regs *bool
	if r.PostFormValue("registrations_shown") == "1" {
		on := r.PostFormValue("registrations") == "1"
		regs = &on
	}
	if err := a.gw().SetNotifyPrefs(r.Context(), a.actor(r), modes, regs); err != nil {
		a.useCaseError(w, r, err, "/account/notifications")
		return
	}
	a.setFlash(r, "ok", a.t(r, "notify.saved"))
	redirect(w, r, "/account/notifications")
}

// unsubscribePage is the data of unsubscribe.html.
type unsubscribePage struct {
	Token string
	Link  *gateway.UnsubscribeLink
	Done  bool
	Error string
}

// showUnsubscribePage asks for confirmation (a GET never changes anything:
// mail scanners follow links).
func (a *app) showUnsubscribePage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("t")
	link, err := a.gw().CheckUnsubscribe(r.Context(), tok)
	if err != nil {
		a.unsubscribeError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "unsubscribe", "", unsubscribePage{Token: tok, Link: link})
}

// submitUnsubscribe applies the link: the confirmation form, or a mail
// client's RFC 8058 one-click POST (body List-Unsubscribe=One-Click, the
// token in the URL).
func (a *app) submitUnsubscribe(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("t")
	if v := r.PostFormValue("t"); v != "" {
		tok = v
	}
	link, err := a.gw().Unsubscribe(r.Context(), a.clientIP(r), tok)
	if err != nil {
		a.unsubscribeError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "unsubscribe", "", unsubscribePage{Link: link, Done: true})
}

func (a *app) unsubscribeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, gateway.ErrBadUnsubscribe) {
		a.render(w, r, http.StatusBadRequest, "unsubscribe", "", unsubscribePage{Error: a.t(r, "tenancy.bad_unsubscribe")})
		return
	}
	a.serverError(w, r, err)
}

// adminMailPage is the data of admin_mail.html.
type adminMailPage struct {
	*gateway.MailStatus
}

func (a *app) showAdminMailPage(w http.ResponseWriter, r *http.Request) {
	s, err := a.gw().MailStatus(r.Context(), a.actor(r))
	if err != nil {
		a.useCaseError(w, r, err, "/admin/users")
		return
	}
	a.render(w, r, http.StatusOK, "admin_mail", "admin", adminMailPage{MailStatus: s})
}
