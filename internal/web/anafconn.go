package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
)

// anafPage is the data of anaf.html.
type anafPage struct {
	Token  *store.ANAFToken // nil when not connected
	Served []servedCompany  // the user's companies whose syncs use this connection
}

// servedCompany is a company whose sync uses the user's ANAF connection
// (the first member with a connected grant, as the sync engine picks it),
// with its latest sync run.
type servedCompany struct {
	Company  store.Company
	LastSync *store.SyncRun
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
	p := anafPage{Token: tok}
	if tok != nil {
		if p.Served, err = a.servedCompanies(r, reqCtx(r).user.ID); err != nil {
			a.serverError(w, r, err)
			return
		}
	}
	a.render(w, r, http.StatusOK, "anaf", "anaf", p)
}

// servedCompanies lists the user's companies for which the user's grant
// is the one the sync engine tries first: the first consenting member
// (the one whose token last worked, then owners) with a connected grant.
func (a *app) servedCompanies(r *http.Request, userID int64) ([]servedCompany, error) {
	ctx := r.Context()
	companies, err := a.Store.CompaniesForUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []servedCompany
	for _, c := range companies {
		ids, err := a.Store.ConsentingMembers(ctx, c.ID, time.Now())
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			t, err := a.Store.ANAFTokenByUser(ctx, id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && t.Status != "connected") {
				continue
			}
			if err != nil {
				return nil, err
			}
			if id == userID {
				sc := servedCompany{Company: c}
				if run, err := a.Store.LastSyncRun(ctx, c.ID); err == nil {
					sc.LastSync = run
				} else if !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
				out = append(out, sc)
			}
			break
		}
	}
	return out, nil
}

// submitANAFTest calls ANAF's OAuth smoke test (GET /TestOauth/jaxrs/hello)
// with the user's access token and flashes the outcome.
func (a *app) submitANAFTest(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	user := reqCtx(r).user
	fail := func(msg string) {
		a.setFlash(r, "error", a.t(r, "anaf.test.failed", msg))
		redirect(w, r, "/anaf")
	}
	tok, err := a.Store.ANAFTokenByUser(ctx, user.ID)
	if errors.Is(err, store.ErrNotFound) {
		fail(a.t(r, "anaf.not.connected"))
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if a.ANAFClient == nil || a.Secrets == nil {
		fail(a.t(r, "anaf.unconfigured"))
		return
	}
	client, err := a.ANAFClient(ctx)
	if err != nil {
		fail(a.t(r, "anaf.unconfigured"))
		return
	}
	access, err := a.Secrets.Decrypt(tok.AccessTokenEnc)
	if err != nil {
		fail(a.t(r, "anaf.reconnect"))
		return
	}
	answer, err := client.Hello(ctx, string(access))
	if err != nil {
		a.Logger.WarnContext(ctx, "anaf hello failed", "user_id", user.ID, "error", err.Error())
		fail(err.Error())
		return
	}
	first, _, _ := strings.Cut(strings.TrimSpace(answer), "\n")
	if len(first) > 120 {
		first = first[:120] + "…"
	}
	a.setFlash(r, "ok", a.t(r, "anaf.test.ok", first))
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
	if a.refuseWhileImpersonating(w, r) {
		return
	}
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
