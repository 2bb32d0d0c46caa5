package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
)

// anafPage is the data of anaf.html.
type anafPage struct {
	Token *store.ANAFToken // nil when not connected
}

// Connected reports a usable grant.
func (p anafPage) Connected() bool { return p.Token != nil && p.Token.Status == "connected" }

// NeedsReconnect reports a grant the refresher could not renew.
func (p anafPage) NeedsReconnect() bool { return p.Token != nil && p.Token.Status != "connected" }

func (a *app) showANAFPage(w http.ResponseWriter, r *http.Request) {
	tok, err := a.Store.ANAFTokenByUser(r.Context(), reqCtx(r).user.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		tok = nil
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "anaf", "anaf", anafPage{Token: tok})
}

// submitANAFConnect starts the OAuth authorization code flow: a random
// state goes into the session and the browser to ANAF's authorize page.
// The page reaches it by a link (GET): browsers apply CSP form-action to the
// redirects that follow a form submission, and ANAF's origin is not 'self'.
// The only effect is a fresh state in the session, so GET is harmless; POST
// is accepted too.
func (a *app) submitANAFConnect(w http.ResponseWriter, r *http.Request) {
	if a.ANAFClient == nil {
		a.setFlash(r, "error", a.t(r, "anaf.unconfigured"))
		redirect(w, r, "/anaf")
		return
	}
	client, err := a.ANAFClient(r.Context())
	if err != nil {
		a.Logger.WarnContext(r.Context(), "anaf client unavailable", "error", err.Error())
		a.setFlash(r, "error", a.t(r, "anaf.unconfigured"))
		redirect(w, r, "/anaf")
		return
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	state := base64.RawURLEncoding.EncodeToString(b)
	a.Sessions.Put(r.Context(), sessANAFState, state)
	redirect(w, r, client.AuthCodeURL(state))
}

// handleANAFCallback is where ANAF sends the browser back: it checks the
// state, exchanges the code and stores the tokens encrypted.
func (a *app) handleANAFCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := reqCtx(r).user
	q := r.URL.Query()
	want := a.Sessions.PopString(ctx, sessANAFState)
	if e := q.Get("error"); e != "" {
		msg := e
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		a.audit(r, user.ID, "anaf.connect_failed", strconv.FormatInt(user.ID, 10), msg)
		a.setFlash(r, "error", a.t(r, "anaf.error", msg))
		redirect(w, r, "/anaf")
		return
	}
	got := q.Get("state")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		a.setFlash(r, "error", a.t(r, "anaf.state.mismatch"))
		redirect(w, r, "/anaf")
		return
	}
	if a.ANAFClient == nil {
		a.setFlash(r, "error", a.t(r, "anaf.unconfigured"))
		redirect(w, r, "/anaf")
		return
	}
	client, err := a.ANAFClient(ctx)
	if err != nil {
		a.setFlash(r, "error", a.t(r, "anaf.unconfigured"))
		redirect(w, r, "/anaf")
		return
	}
	tok, err := client.Exchange(ctx, q.Get("code"))
	if err != nil {
		a.Logger.WarnContext(ctx, "anaf code exchange failed", "user_id", user.ID, "error", err.Error())
		a.audit(r, user.ID, "anaf.connect_failed", strconv.FormatInt(user.ID, 10), "code exchange failed")
		a.setFlash(r, "error", a.t(r, "anaf.exchange.failed"))
		redirect(w, r, "/anaf")
		return
	}
	if err := a.saveToken(r, user.ID, tok.AccessToken, tok.RefreshToken, tok.ExpiresAt, tok.RefreshExpiresAt); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.audit(r, user.ID, "anaf.connect", strconv.FormatInt(user.ID, 10), "")
	a.setFlash(r, "ok", a.t(r, "anaf.done"))
	redirect(w, r, "/anaf")
}

// saveToken encrypts and stores a user's grant with status "connected".
func (a *app) saveToken(r *http.Request, userID int64, access, refresh string, exp time.Time, refreshExp *time.Time) error {
	if a.Secrets == nil {
		return errors.New("web: no keyring to encrypt ANAF tokens")
	}
	accessEnc, err := a.Secrets.Encrypt([]byte(access))
	if err != nil {
		return fmt.Errorf("encrypt access token: %w", err)
	}
	refreshEnc, err := a.Secrets.Encrypt([]byte(refresh))
	if err != nil {
		return fmt.Errorf("encrypt refresh token: %w", err)
	}
	now := time.Now().UTC()
	return a.Store.SaveANAFToken(r.Context(), &store.ANAFToken{
		UserID:           userID,
		AccessTokenEnc:   accessEnc,
		RefreshTokenEnc:  refreshEnc,
		ExpiresAt:        exp.UTC(),
		RefreshExpiresAt: refreshExp,
		Status:           "connected",
		LastRefreshAt:    &now,
		UpdatedAt:        now,
	})
}

// submitANAFDisconnect revokes the grant at ANAF (best effort: the local
// copy is deleted even when ANAF cannot be reached) and deletes it.
func (a *app) submitANAFDisconnect(w http.ResponseWriter, r *http.Request) {
	user := reqCtx(r).user
	a.revokeANAFToken(r, user.ID)
	if err := a.Store.DeleteANAFToken(r.Context(), user.ID); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.audit(r, user.ID, "anaf.disconnect", strconv.FormatInt(user.ID, 10), "")
	a.setFlash(r, "ok", a.t(r, "anaf.disconnected"))
	redirect(w, r, "/anaf")
}

// revokeANAFToken asks ANAF to revoke the user's refresh token; failures
// are logged only.
func (a *app) revokeANAFToken(r *http.Request, userID int64) {
	ctx := r.Context()
	tok, err := a.Store.ANAFTokenByUser(ctx, userID)
	if err != nil || a.Secrets == nil || a.ANAFClient == nil {
		return
	}
	client, err := a.ANAFClient(ctx)
	if err != nil {
		return
	}
	refresh, err := a.Secrets.Decrypt(tok.RefreshTokenEnc)
	if err != nil {
		a.Logger.WarnContext(ctx, "anaf revoke: decrypt refresh token", "user_id", userID, "error", err.Error())
		return
	}
	if err := client.Revoke(ctx, string(refresh)); err != nil {
		a.Logger.WarnContext(ctx, "anaf revoke failed", "user_id", userID, "error", err.Error())
	}
}
