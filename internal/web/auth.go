package web

import (
	"errors"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// minPasswordLen is the shortest password accepted at registration.
const minPasswordLen = 10

// formErrors maps a field name to the message shown next to it.
type formErrors map[string]string

// authForm is the data of the register and login pages.
type authForm struct {
	Email  string
	Next   string
	Errors formErrors
	Error  string // a message for the whole form
	Closed bool   // registration is closed
}

func (a *app) showRegisterPage(w http.ResponseWriter, r *http.Request) {
	if reqCtx(r).user != nil {
		redirect(w, r, "/")
		return
	}
	a.render(w, r, http.StatusOK, "register", "", authForm{Closed: a.Registration == "closed"})
}

// submitRegister creates a pending user. A new and an already registered
// e-mail get the same answer (PRODUCT.md §3, §9): the password is hashed
// in both cases, one INSERT is tried and one audit event written, then a
// 303 to /register/done without touching the session (no login cookie; an
// anonymous session already open stays as it was, logged out). Nothing
// changes for an existing account; its owner logs in as before. Form
// errors (which say nothing about other accounts) are still a 422.
func (a *app) submitRegister(w http.ResponseWriter, r *http.Request) {
	if a.Registration == "closed" {
		a.render(w, r, http.StatusForbidden, "register", "", authForm{Closed: true})
		return
	}
	f := authForm{Email: strings.TrimSpace(r.PostFormValue("email")), Errors: formErrors{}}
	password, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	if addr, err := mail.ParseAddress(f.Email); err != nil || addr.Address != f.Email || len(f.Email) > 254 {
		f.Errors["email"] = a.t(r, "register.email.invalid")
	}
	if utf8.RuneCountInString(password) < minPasswordLen {
		f.Errors["password"] = a.t(r, "register.password.short")
	} else if password != confirm {
		f.Errors["confirm"] = a.t(r, "register.confirm.differ")
	}
	if len(f.Errors) > 0 {
		a.render(w, r, http.StatusUnprocessableEntity, "register", "", f)
		return
	}
	if err := a.gw().Register(r.Context(), a.clientIP(r), f.Email, password); err != nil {
		a.serverError(w, r, err)
		return
	}
	redirect(w, r, "/register/done")
}

// showRegisterDonePage says what happens after a registration, whatever
// its outcome: an administrator reviews it, then the account can log in.
func (a *app) showRegisterDonePage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "register_done", "", nil)
}

func (a *app) showLoginPage(w http.ResponseWriter, r *http.Request) {
	if reqCtx(r).user != nil {
		redirect(w, r, safeNext(r.URL.Query().Get("next")))
		return
	}
	a.render(w, r, http.StatusOK, "login", "", authForm{Next: r.URL.Query().Get("next")})
}

// submitLogin checks the credentials. Unknown e-mails and wrong passwords
// get the same message; pending users go to /pending; rejected users are
// told so (only after the right password).
func (a *app) submitLogin(w http.ResponseWriter, r *http.Request) {
	f := authForm{Email: strings.TrimSpace(r.PostFormValue("email")), Next: r.PostFormValue("next")}
	password := r.PostFormValue("password")
	fail := func(msg string) {
		f.Error = msg
		a.render(w, r, http.StatusUnauthorized, "login", "", f)
	}
	// The gateway checks the throttle, the account and the password, and
	// audits the attempt; the page binds the session and answers.
	u, notice, err := a.gw().Login(r.Context(), a.clientIP(r), f.Email, password, func(u *gateway.User) error {
		return a.logIn(r, u)
	})
	var ge *gateway.Error
	switch {
	case errors.As(err, &ge) && ge.Kind == gateway.KindThrottled:
		w.Header().Set("Retry-After", strconv.Itoa(ge.RetryAfter))
		f.Error = a.t(r, "login.throttled", ge.RetryMinutes())
		a.render(w, r, http.StatusTooManyRequests, "login", "", f)
		return
	case errors.Is(err, gateway.ErrLoginFailed):
		fail(a.t(r, "login.failed"))
		return
	case errors.Is(err, gateway.ErrLoginRejected):
		fail(a.t(r, "login.rejected"))
		return
	case errors.Is(err, gateway.ErrSecondFactorRequired):
		a.startSecondStep(w, r, u, f.Next) // twofactor.go
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	case u.Status == gateway.UserPending:
		redirect(w, r, "/pending")
		return
	}
	if notice != "" {
		a.setFlash(r, "info", a.t(r, "tenancy.notice."+notice))
	}
	redirect(w, r, safeNext(f.Next))
}

// logIn renews the session token (against fixation) and binds the user.
func (a *app) logIn(r *http.Request, u *gateway.User) error {
	if err := a.Sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	a.Sessions.Remove(r.Context(), sessImpersonator)
	a.Sessions.Put(r.Context(), sessUserID, u.ID)
	a.Sessions.Put(r.Context(), sessAuthAt, time.Now().UnixNano())
	return nil
}

func (a *app) submitLogout(w http.ResponseWriter, r *http.Request) {
	rc := reqCtx(r)
	if rc.user != nil {
		a.gw().Logout(r.Context(), a.actor(r))
	}
	lang := rc.lang
	if err := a.Sessions.Destroy(r.Context()); err != nil {
		a.serverError(w, r, err)
		return
	}
	// Destroy empties the session; keep the language and say goodbye.
	a.Sessions.Put(r.Context(), sessLang, lang)
	a.setFlash(r, "ok", a.t(r, "logout.done"))
	redirect(w, r, "/login")
}

// pendingPage is the data of pending.html.
type pendingPage struct {
	Email string
}

func (a *app) showPendingPage(w http.ResponseWriter, r *http.Request) {
	rc := reqCtx(r)
	switch {
	case rc.user != nil:
		redirect(w, r, "/")
		return
	case rc.pending == nil || rc.pending.Status != gateway.UserPending:
		redirect(w, r, "/login")
		return
	}
	a.render(w, r, http.StatusOK, "pending", "", pendingPage{Email: rc.pending.Email})
}

// pathID parses the {id} path value.
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}
