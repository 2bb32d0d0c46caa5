package web

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// anafPage is the data of anaf.html.
type anafPage struct {
	Token  *gateway.ANAFToken      // nil when not connected
	State  string                  // one of gateway.ConnStates
	Served []gateway.ServedCompany // the user's companies whose syncs use this connection
}

// Connected reports a usable grant.
func (p anafPage) Connected() bool { return p.State == gateway.ConnConnected }

// NeedsReconnect reports a grant the user must connect again to repair.
func (p anafPage) NeedsReconnect() bool {
	return p.State == gateway.ConnNeedsAttention || p.State == gateway.ConnReconnectNeeded
}

func (a *app) showANAFPage(w http.ResponseWriter, r *http.Request) {
	conn, err := a.gw().MyANAFConnection(r.Context(), a.actor(r))
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "anaf", "anaf", anafPage{Token: conn.Token, State: conn.State, Served: conn.Served})
}

// anafMessages maps the ANAF connection refusals to catalog keys.
var anafMessages = map[string]string{
	gateway.ErrANAFUnconfigured.Code: "anaf.unconfigured",
	gateway.ErrANAFNotConnected.Code: "anaf.not.connected",
	gateway.ErrANAFReconnect.Code:    "anaf.reconnect",
	gateway.ErrANAFExchange.Code:     "anaf.exchange.failed",
}

// anafRefusal flashes why an ANAF connection use case failed (wrapped in
// wrapKey when set) and goes back to /anaf; impersonation is a 403 and
// anything unexpected a 500.
func (a *app) anafRefusal(w http.ResponseWriter, r *http.Request, err error, wrapKey string) {
	msg := ""
	var ge *gateway.Error
	var refused *gateway.ANAFRefusedError
	var failed *gateway.ANAFTestError
	switch {
	case errors.As(err, &refused):
		// What it means and what to do, then ANAF's own words.
		a.setFlash(r, "error", a.t(r, "anaf.oauth."+refused.Kind)+" "+a.t(r, "anaf.oauth.answer", refused.Reason))
		redirect(w, r, "/anaf")
		return
	case errors.As(err, &failed):
		if failed.Code == gateway.ANAFTestNotFound || failed.Code == gateway.ANAFTestUnexpected {
			msg = a.t(r, "anaf.test."+failed.Code, failed.HTTPStatus)
		} else {
			msg = a.t(r, "anaf.test."+failed.Code)
		}
	case errors.As(err, &ge) && anafMessages[ge.Code] != "":
		msg = a.t(r, anafMessages[ge.Code])
		if wrapKey == "" || ge.Code == gateway.ErrANAFExchange.Code {
			a.setFlash(r, "error", msg)
			redirect(w, r, "/anaf")
			return
		}
	default:
		a.useCaseError(w, r, err, "/anaf")
		return
	}
	a.setFlash(r, "error", a.t(r, wrapKey, msg))
	redirect(w, r, "/anaf")
}

// submitANAFTest calls ANAF's OAuth smoke test with the user's access
// token and flashes the outcome.
func (a *app) submitANAFTest(w http.ResponseWriter, r *http.Request) {
	answer, err := a.gw().TestANAF(r.Context(), a.actor(r))
	if err != nil {
		a.anafRefusal(w, r, err, "anaf.test.failed")
		return
	}
	a.setFlash(r, "ok", a.t(r, "anaf.test.ok", answer))
	redirect(w, r, "/anaf")
}

// submitANAFConnect starts the OAuth authorization code flow: a random
// state goes into the session and the browser to ANAF's authorize page.
// The page reaches it by a link (GET): browsers apply CSP form-action to the
// redirects that follow a form submission, and ANAF's origin is not 'self'.
// The only effect is a fresh state in the session, so GET is harmless; POST
// is accepted too.
func (a *app) submitANAFConnect(w http.ResponseWriter, r *http.Request) {
	if a.refuseWhileImpersonating(w, r) {
		return
	}
	authURL, state, err := a.gw().ConnectANAF(r.Context(), a.actor(r))
	if err != nil {
		a.anafRefusal(w, r, err, "")
		return
	}
	a.Sessions.Put(r.Context(), sessANAFState, state)
	redirect(w, r, authURL)
}

// handleANAFCallback is where ANAF sends the browser back: it checks the
// state, then the use case exchanges the code and stores the tokens encrypted.
func (a *app) handleANAFCallback(w http.ResponseWriter, r *http.Request) {
	if a.refuseWhileImpersonating(w, r) {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	want := a.Sessions.PopString(ctx, sessANAFState)
	if e := q.Get("error"); e != "" {
		a.anafRefusal(w, r, a.gw().ANAFCallback(ctx, a.actor(r), "", e, q.Get("error_description")), "")
		return
	}
	got := q.Get("state")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		a.setFlash(r, "error", a.t(r, "anaf.state.mismatch"))
		redirect(w, r, "/anaf")
		return
	}
	if err := a.gw().ANAFCallback(ctx, a.actor(r), q.Get("code"), "", ""); err != nil {
		a.anafRefusal(w, r, err, "")
		return
	}
	a.setFlash(r, "ok", a.t(r, "anaf.done"))
	redirect(w, r, "/anaf")
}

// submitANAFDisconnect revokes the grant at ANAF (best effort) and deletes it.
func (a *app) submitANAFDisconnect(w http.ResponseWriter, r *http.Request) {
	if err := a.gw().DisconnectANAF(r.Context(), a.actor(r)); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.setFlash(r, "ok", a.t(r, "anaf.disconnected"))
	redirect(w, r, "/anaf")
}
