package web

import (
	"net/http"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/gateway"
)

// keyForm is the create-key form.
type keyForm struct {
	Name   string
	Scope  string
	Errors formErrors
}

// apiKeysPage is the data of apikeys.html (owners only).
type apiKeysPage struct {
	Company *gateway.Company
	Keys    []gateway.APIKey
	Form    keyForm
	NewKey  string // the key just created, shown this once; "" otherwise
	NewName string
}

func (a *app) showAPIKeysPage(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	a.renderAPIKeys(w, r, http.StatusOK, apiKeysPage{Company: c, Form: keyForm{Scope: gateway.ScopeRead}})
}

func (a *app) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, p apiKeysPage) {
	keys, err := a.gw().APIKeys(r.Context(), a.actor(r), p.Company.ID)
	if err != nil {
		a.useCaseError(w, r, err, "/companies")
		return
	}
	p.Keys = keys
	a.render(w, r, status, "apikeys", "companies", p)
}

// submitCreateAPIKey makes a key and shows it in this response only (no
// redirect, so the key never rests in the session store).
func (a *app) submitCreateAPIKey(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok || a.refuseWhileImpersonating(w, r) {
		return
	}
	f := keyForm{Name: r.PostFormValue("name"), Scope: r.PostFormValue("scope")}
	key, k, err := a.gw().CreateAPIKey(r.Context(), a.actor(r), c.ID, f.Name, f.Scope)
	if fe, ok := a.formErrors(r, err); ok {
		f.Errors = fe
		a.renderAPIKeys(w, r, http.StatusUnprocessableEntity, apiKeysPage{Company: c, Form: f})
		return
	}
	if err != nil {
		a.useCaseError(w, r, err, "/companies/"+strconv.FormatInt(c.ID, 10)+"/keys")
		return
	}
	a.renderAPIKeys(w, r, http.StatusCreated, apiKeysPage{
		Company: c, Form: keyForm{Scope: gateway.ScopeRead}, NewKey: key, NewName: k.Name,
	})
}

func (a *app) submitRevokeAPIKey(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	kid, err := strconv.ParseInt(r.PathValue("kid"), 10, 64)
	if err != nil {
		a.notFound(w, r)
		return
	}
	back := "/companies/" + strconv.FormatInt(c.ID, 10) + "/keys"
	if err := a.gw().RevokeAPIKey(r.Context(), a.actor(r), c.ID, kid); err != nil {
		a.useCaseError(w, r, err, back)
		return
	}
	a.setFlash(r, "ok", a.t(r, "keys.revoked"))
	redirect(w, r, back)
}
