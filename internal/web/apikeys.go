package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// keyForm is the create-key form.
type keyForm struct {
	Name   string
	Scope  string
	Errors formErrors
}

// apiKeysPage is the data of apikeys.html (owners only).
type apiKeysPage struct {
	Company *store.Company
	Keys    []store.APIKey
	Form    keyForm
	NewKey  string // the key just created, shown this once; "" otherwise
	NewName string
}

func (a *app) showAPIKeysPage(w http.ResponseWriter, r *http.Request) {
	c, ok := a.ownedCompany(w, r)
	if !ok {
		return
	}
	a.renderAPIKeys(w, r, http.StatusOK, apiKeysPage{Company: c, Form: keyForm{Scope: store.ScopeRead}})
}

func (a *app) renderAPIKeys(w http.ResponseWriter, r *http.Request, status int, p apiKeysPage) {
	keys, err := a.Store.APIKeys(r.Context(), p.Company.ID)
	if err != nil {
		a.serverError(w, r, err)
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
	f := keyForm{Name: strings.TrimSpace(r.PostFormValue("name")), Scope: r.PostFormValue("scope"), Errors: formErrors{}}
	switch n := utf8.RuneCountInString(f.Name); {
	case n == 0:
		f.Errors["name"] = a.t(r, "form.required")
	case n > 100:
		f.Errors["name"] = a.t(r, "keys.name.long")
	}
	if f.Scope != store.ScopeRead && f.Scope != store.ScopeWrite {
		f.Errors["scope"] = a.t(r, "keys.scope.invalid")
	}
	if len(f.Errors) > 0 {
		a.renderAPIKeys(w, r, http.StatusUnprocessableEntity, apiKeysPage{Company: c, Form: f})
		return
	}
	key, prefix, hash, err := auth.NewAPIKey()
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	user := reqCtx(r).user
	k := &store.APIKey{CompanyID: c.ID, UserID: user.ID, Name: f.Name, Prefix: prefix, Hash: hash, Scope: f.Scope}
	if err := a.Store.CreateAPIKey(r.Context(), k); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.audit(r, user.ID, "apikey.create", c.CIF, prefix+" "+f.Scope+" "+f.Name)
	a.renderAPIKeys(w, r, http.StatusCreated, apiKeysPage{
		Company: c, Form: keyForm{Scope: store.ScopeRead}, NewKey: key, NewName: f.Name,
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
	if err := a.Store.RevokeAPIKey(r.Context(), c.ID, kid); errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	} else if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.audit(r, reqCtx(r).user.ID, "apikey.revoke", c.CIF, strconv.FormatInt(kid, 10))
	a.setFlash(r, "ok", a.t(r, "keys.revoked"))
	redirect(w, r, "/companies/"+strconv.FormatInt(c.ID, 10)+"/keys")
}
