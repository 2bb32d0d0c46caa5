package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// Two-factor login (issue 19): the account page /account/2fa (enrol with a
// QR code and a confirming code, recovery codes shown once, new codes,
// disable), the second step of a login (/login/2fa) and the
// administrators' policy (/admin/2fa). The rules live in
// gateway/twofactor.go.

// Session keys of a login waiting for its second factor: the user whose
// password was right, until when (Unix nanoseconds) the code may be given,
// and where the login goes next. The session is not logged in meanwhile.
const (
	sessTwoFAUser  = "twofa_user_id"
	sessTwoFAUntil = "twofa_until"
	sessTwoFANext  = "twofa_next"
)

// secondStepTTL is how long the second step waits for its code.
const secondStepTTL = 5 * time.Minute

// twoFactorPaths are the pages a user the policy sends to enrol may still use.
func twoFactorExempt(path string) bool {
	return path == "/account/2fa" || strings.HasPrefix(path, "/account/2fa/") || path == "/impersonate/stop"
}

// mustEnrolTwoFactor sends a logged-in user whom the administrators'
// policy requires to use a second factor, and who has none yet, to
// /account/2fa; it reports whether it answered. An admin impersonating
// the user is never sent (they cannot enrol for the user).
func (a *app) mustEnrolTwoFactor(w http.ResponseWriter, r *http.Request) bool {
	rc := reqCtx(r)
	if rc.user == nil || rc.impersonator != nil || twoFactorExempt(r.URL.Path) {
		return false
	}
	must, err := a.gw().MustEnrolTwoFactor(r.Context(), rc.user)
	if err != nil {
		a.serverError(w, r, err)
		return true
	}
	if must {
		redirect(w, r, "/account/2fa")
	}
	return must
}

// startSecondStep keeps the user whose password was right as a login
// waiting for its code (a fresh token; nobody logged in) and sends them
// to /login/2fa.
func (a *app) startSecondStep(w http.ResponseWriter, r *http.Request, u *gateway.User, next string) {
	ctx := r.Context()
	if err := a.Sessions.RenewToken(ctx); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.Sessions.Remove(ctx, sessUserID)
	a.Sessions.Remove(ctx, sessImpersonator)
	a.Sessions.Remove(ctx, sessAuthAt)
	a.Sessions.Put(ctx, sessTwoFAUser, u.ID)
	a.Sessions.Put(ctx, sessTwoFAUntil, time.Now().Add(secondStepTTL).UnixNano())
	a.Sessions.Put(ctx, sessTwoFANext, next)
	redirect(w, r, "/login/2fa")
}

// secondStepUser is the user of the login waiting for its code (0: none,
// or it expired: then it is forgotten and the flash says so).
func (a *app) secondStepUser(r *http.Request) int64 {
	ctx := r.Context()
	id := a.Sessions.GetInt64(ctx, sessTwoFAUser)
	if id <= 0 {
		return 0
	}
	if time.Now().UnixNano() > a.Sessions.GetInt64(ctx, sessTwoFAUntil) {
		a.forgetSecondStep(r)
		a.setFlash(r, "error", a.t(r, "twofa.login.expired"))
		return 0
	}
	return id
}

func (a *app) forgetSecondStep(r *http.Request) {
	a.Sessions.Remove(r.Context(), sessTwoFAUser)
	a.Sessions.Remove(r.Context(), sessTwoFAUntil)
	a.Sessions.Remove(r.Context(), sessTwoFANext)
}

// secondStepForm is the data of login_2fa.html.
type secondStepForm struct {
	Error string
}

func (a *app) showSecondStepPage(w http.ResponseWriter, r *http.Request) {
	if reqCtx(r).user != nil {
		redirect(w, r, "/")
		return
	}
	if a.secondStepUser(r) == 0 {
		redirect(w, r, "/login")
		return
	}
	a.render(w, r, http.StatusOK, "login_2fa", "", secondStepForm{})
}

// submitSecondStep checks the code of a login waiting for it; the login
// throttle covers it (gateway.VerifySecondFactor).
func (a *app) submitSecondStep(w http.ResponseWriter, r *http.Request) {
	if reqCtx(r).user != nil {
		redirect(w, r, "/")
		return
	}
	uid := a.secondStepUser(r)
	if uid == 0 {
		redirect(w, r, "/login")
		return
	}
	next := a.Sessions.GetString(r.Context(), sessTwoFANext)
	u, notice, err := a.gw().VerifySecondFactor(r.Context(), a.clientIP(r), uid, r.PostFormValue("code"), func(u *gateway.User) error {
		a.forgetSecondStep(r)
		return a.logIn(r, u)
	})
	var ge *gateway.Error
	switch {
	case errors.As(err, &ge) && ge.Kind == gateway.KindThrottled:
		w.Header().Set("Retry-After", strconv.Itoa(ge.RetryAfter))
		a.render(w, r, http.StatusTooManyRequests, "login_2fa", "", secondStepForm{Error: a.t(r, "login.throttled", ge.RetryMinutes())})
		return
	case errors.Is(err, gateway.ErrTwoFactorCode):
		a.render(w, r, http.StatusUnauthorized, "login_2fa", "", secondStepForm{Error: a.t(r, "twofa.code.wrong")})
		return
	case errors.Is(err, gateway.ErrLoginFailed), errors.Is(err, gateway.ErrLoginRejected):
		a.forgetSecondStep(r)
		redirect(w, r, "/login")
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
	redirect(w, r, safeNext(next))
}

// twoFactorPage is the data of twofa.html.
type twoFactorPage struct {
	State *gateway.TwoFactorState
	// QR is the pending secret's QR code as a data: URL (the CSP allows
	// data: images; nothing leaves the server).
	QR     template.URL
	Errors formErrors
	Form   string // the form the errors belong to: confirm | disable | codes
}

func (a *app) showTwoFactorPage(w http.ResponseWriter, r *http.Request) {
	a.renderTwoFactorPage(w, r, http.StatusOK, "", nil)
}

func (a *app) renderTwoFactorPage(w http.ResponseWriter, r *http.Request, status int, form string, fe formErrors) {
	st, err := a.gw().TwoFactor(r.Context(), a.actor(r))
	if err != nil {
		a.useCaseError(w, r, err, "/")
		return
	}
	p := twoFactorPage{State: st, Errors: fe, Form: form}
	if st.Pending != nil {
		// The URL is made here from PNG bytes, never from input.
		p.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(st.Pending.QRPNG)) //nolint:gosec // built from our own PNG
	}
	a.render(w, r, status, "twofa", "account", p)
}

func (a *app) submitTwoFactorStart(w http.ResponseWriter, r *http.Request) {
	if _, err := a.gw().StartTwoFactor(r.Context(), a.actor(r)); err != nil {
		a.twoFactorError(w, r, "", err)
		return
	}
	redirect(w, r, "/account/2fa")
}

// recoveryCodesPage is the data of twofa_codes.html: shown once.
type recoveryCodesPage struct {
	Codes   []string
	Enabled bool // the codes come with switching the second factor on
}

func (a *app) submitTwoFactorConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	codes, cut, err := a.gw().ConfirmTwoFactor(ctx, a.actor(r), r.PostFormValue("code"))
	if err != nil {
		a.twoFactorError(w, r, "confirm", err)
		return
	}
	// Other sessions ended at cut (password alone); this one goes on, renewed.
	if err := a.Sessions.RenewToken(ctx); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.Sessions.Put(ctx, sessAuthAt, cut.UnixNano())
	a.render(w, r, http.StatusOK, "twofa_codes", "account", recoveryCodesPage{Codes: codes, Enabled: true})
}

func (a *app) submitTwoFactorCodes(w http.ResponseWriter, r *http.Request) {
	codes, err := a.gw().NewRecoveryCodes(r.Context(), a.actor(r), r.PostFormValue("code"))
	if err != nil {
		a.twoFactorError(w, r, "codes", err)
		return
	}
	a.render(w, r, http.StatusOK, "twofa_codes", "account", recoveryCodesPage{Codes: codes})
}

func (a *app) submitTwoFactorDisable(w http.ResponseWriter, r *http.Request) {
	err := a.gw().DisableTwoFactor(r.Context(), a.actor(r), r.PostFormValue("password"), r.PostFormValue("code"))
	if err != nil {
		a.twoFactorError(w, r, "disable", err)
		return
	}
	a.setFlash(r, "ok", a.t(r, "twofa.disabled"))
	redirect(w, r, "/account/2fa")
}

// twoFactorMessages are the catalog keys of the two-factor refusals.
var twoFactorMessages = map[string]string{
	"password_wrong":    "password.current.wrong",
	"twofa_code":        "twofa.code.wrong",
	"twofa_on":          "twofa.err.on",
	"twofa_off":         "twofa.err.off",
	"twofa_not_started": "twofa.err.not.started",
	"twofa_required":    "twofa.err.required",
	"twofa_policy":      "twofa.policy.invalid",
	"login_throttled":   "twofa.err.throttled",
}

// twoFactorError answers a refusal of the account page: wrong input
// re-renders the page (422) with the messages by field, a refusal of the
// state is a flash on the page, the rest as every page does.
func (a *app) twoFactorError(w http.ResponseWriter, r *http.Request, form string, err error) {
	var fe gateway.FieldErrors
	if errors.As(err, &fe) {
		out := formErrors{}
		for _, e := range fe {
			out[e.Field] = a.t(r, twoFactorMessages[e.Code])
		}
		a.renderTwoFactorPage(w, r, http.StatusUnprocessableEntity, form, out)
		return
	}
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.Kind != gateway.KindNotFound && ge.Kind != gateway.KindUnavailable {
		if key, ok := twoFactorMessages[ge.Code]; ok {
			a.setFlash(r, "error", a.t(r, key))
			redirect(w, r, "/account/2fa")
			return
		}
	}
	a.useCaseError(w, r, err, "/account/2fa")
}

// twoFactorPolicyForm is the data of admin_2fa.html.
type twoFactorPolicyForm struct {
	Policy    string
	Policies  []string
	UpdatedAt time.Time
	Errors    formErrors
}

func (a *app) showTwoFactorPolicyPage(w http.ResponseWriter, r *http.Request) {
	p, at, err := a.gw().TwoFactorPolicy(r.Context(), a.actor(r))
	if err != nil {
		a.useCaseError(w, r, err, "/admin/users")
		return
	}
	a.render(w, r, http.StatusOK, "admin_2fa", "admin", twoFactorPolicyForm{Policy: p, Policies: twoFactorPolicies, UpdatedAt: at})
}

var twoFactorPolicies = []string{gateway.TwoFactorOff, gateway.TwoFactorAdmins, gateway.TwoFactorEveryone}

func (a *app) submitTwoFactorPolicy(w http.ResponseWriter, r *http.Request) {
	policy := r.PostFormValue("policy")
	err := a.gw().SetTwoFactorPolicy(r.Context(), a.actor(r), policy)
	var fe gateway.FieldErrors
	if errors.As(err, &fe) {
		a.render(w, r, http.StatusUnprocessableEntity, "admin_2fa", "admin", twoFactorPolicyForm{Policy: policy, Policies: twoFactorPolicies,
			Errors: formErrors{"policy": a.t(r, "twofa.policy.invalid")}})
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, "/admin/2fa")
		return
	}
	a.setFlash(r, "ok", a.t(r, "twofa.policy.saved"))
	redirect(w, r, "/admin/2fa")
}
