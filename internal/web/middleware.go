package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/efactura-gateway/efactura/internal/httpserver"
	"github.com/efactura-gateway/efactura/internal/store"
)

// requestContext is what loadUser learns about the visitor.
type requestContext struct {
	user    *store.User // an approved user, or nil
	pending *store.User // a logged-in user who is not approved (pending or rejected), or nil
	// impersonator is the admin acting as user, or nil.
	impersonator *store.User
	lang         string
}

type ctxKey struct{}

// reqCtx returns the request's context data (defaults when loadUser did not run).
func reqCtx(r *http.Request) *requestContext {
	if rc, ok := r.Context().Value(ctxKey{}).(*requestContext); ok {
		return rc
	}
	return &requestContext{lang: languages[0]}
}

// loadUser loads the user of the session's "user_id". Users who are not
// approved count as logged out, except that /pending can greet them.
// It also settles the page language.
func (a *app) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := &requestContext{}
		if err := a.loadSessionUser(r, rc); err != nil {
			rc.lang = a.requestLang(r, nil)
			a.serverError(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rc)), err)
			return
		}
		rc.lang = a.requestLang(r, rc.user)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rc)))
	})
}

// loadSessionUser fills rc from the session. A session that logged in
// before the user's sessions_valid_after (a password change), a vanished
// user, or an impersonation whose admin is no longer an approved admin
// counts as logged out.
func (a *app) loadSessionUser(r *http.Request, rc *requestContext) error {
	ctx := r.Context()
	id := a.Sessions.GetInt64(ctx, sessUserID)
	if id <= 0 {
		return nil
	}
	logout := func() {
		a.Sessions.Remove(ctx, sessUserID)
		a.Sessions.Remove(ctx, sessImpersonator)
		a.Sessions.Remove(ctx, sessAuthAt)
	}
	u, err := a.Store.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		logout()
		return nil
	}
	if err != nil {
		return err
	}
	if impID := a.Sessions.GetInt64(ctx, sessImpersonator); impID > 0 {
		admin, err := a.Store.UserByID(ctx, impID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			logout()
			return nil
		case err != nil:
			return err
		case !admin.IsAdmin || admin.Status != store.UserApproved:
			logout()
			return nil
		}
		// The admin logged in, not the user: the admin's password change
		// ends the impersonation too.
		if ok, err := a.sessionStillValid(r, admin.ID); err != nil || !ok {
			logout()
			return err
		}
		rc.impersonator = admin
	} else if ok, err := a.sessionStillValid(r, u.ID); err != nil || !ok {
		logout()
		return err
	}
	if u.Status == store.UserApproved {
		rc.user = u
	} else {
		rc.pending = u
		rc.impersonator = nil
	}
	return nil
}

// sessionStillValid reports whether the session logged in after the
// user's sessions_valid_after.
func (a *app) sessionStillValid(r *http.Request, userID int64) (bool, error) {
	cut, err := a.Store.UserSessionsValidAfter(r.Context(), userID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	if cut == nil {
		return true, nil
	}
	authAt := a.Sessions.GetInt64(r.Context(), sessAuthAt)
	return authAt >= cut.UnixNano(), nil
}

// requireLogin sends visitors without an approved account to /login,
// remembering where they were going (GET only).
func (a *app) requireLogin(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtx(r)
		if rc.user == nil {
			if rc.pending != nil && rc.pending.Status == store.UserPending {
				redirect(w, r, "/pending")
				return
			}
			to := "/login"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			redirect(w, r, to)
			return
		}
		h(w, r)
	})
}

// requireAdmin answers 404 to everyone but administrators, so the admin
// pages are not even known to exist.
func (a *app) requireAdmin(h http.HandlerFunc) http.Handler {
	return a.requireLogin(func(w http.ResponseWriter, r *http.Request) {
		if !reqCtx(r).user.IsAdmin {
			a.notFound(w, r)
			return
		}
		h(w, r)
	})
}

// safeNext returns next when it is a local path ("/x", not "//x" or
// "/\x"), else "/". It prevents open redirects after login.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

// clientIP is the client's address: the peer, or what a trusted proxy
// says in X-Forwarded-For (httpserver.ClientIP).
func (a *app) clientIP(r *http.Request) string {
	return httpserver.ClientIP(r, a.TrustedProxies)
}

// audit records a security-relevant action; a failure is logged, not shown.
func (a *app) audit(r *http.Request, actorID int64, action, target, details string) {
	if imp := reqCtx(r).impersonator; imp != nil && action != store.ActionImpersonateStop {
		details = strings.TrimSpace(details + " (impersonated by " + imp.Email + ")")
	}
	e := &store.AuditEvent{Action: action, Target: target, Details: details, IP: a.clientIP(r)}
	if actorID > 0 {
		e.ActorID = &actorID
	}
	if err := a.Store.Audit(r.Context(), e); err != nil {
		a.Logger.ErrorContext(r.Context(), "audit failed", "action", action, "error", err.Error())
	}
}
