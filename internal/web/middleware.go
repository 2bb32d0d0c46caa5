package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/efactura-gateway/efactura/internal/store"
)

// requestContext is what loadUser learns about the visitor.
type requestContext struct {
	user    *store.User // an approved user, or nil
	pending *store.User // a logged-in user who is not approved (pending or rejected), or nil
	lang    string
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
		if id := a.Sessions.GetInt64(r.Context(), sessUserID); id > 0 {
			u, err := a.Store.UserByID(r.Context(), id)
			switch {
			case errors.Is(err, store.ErrNotFound):
				a.Sessions.Remove(r.Context(), sessUserID)
			case err != nil:
				rc.lang = a.requestLang(r, nil)
				a.serverError(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rc)), err)
				return
			case u.Status == store.UserApproved:
				rc.user = u
			default:
				rc.pending = u
			}
		}
		rc.lang = a.requestLang(r, rc.user)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rc)))
	})
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

// clientIP is the remote address without its port (the outer middleware
// deals with trusted proxies).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// audit records a security-relevant action; a failure is logged, not shown.
func (a *app) audit(r *http.Request, actorID int64, action, target, details string) {
	e := &store.AuditEvent{Action: action, Target: target, Details: details, IP: clientIP(r)}
	if actorID > 0 {
		e.ActorID = &actorID
	}
	if err := a.Store.Audit(r.Context(), e); err != nil {
		a.Logger.ErrorContext(r.Context(), "audit failed", "action", action, "error", err.Error())
	}
}
