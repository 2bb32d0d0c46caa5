package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/httpserver"
)

// requestContext is what loadUser learns about the visitor.
type requestContext struct {
	user    *gateway.User // an approved user, or nil
	pending *gateway.User // a logged-in user who is not approved (pending or rejected), or nil
	// impersonator is the admin acting as user, or nil.
	impersonator *gateway.User
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
	if err := a.touchSession(ctx, time.Now()); err != nil {
		return err
	}
	id := a.Sessions.GetInt64(ctx, sessUserID)
	if id <= 0 {
		return nil
	}
	logout := func() {
		a.Sessions.Remove(ctx, sessUserID)
		a.Sessions.Remove(ctx, sessImpersonator)
		a.Sessions.Remove(ctx, sessAuthAt)
	}
	res, err := a.gw().SessionUser(ctx, id, a.Sessions.GetInt64(ctx, sessImpersonator), a.Sessions.GetInt64(ctx, sessAuthAt))
	if res != nil && res.Ended {
		logout()
	}
	if err != nil || res.Ended {
		return err
	}
	rc.impersonator = res.Impersonator
	if u := res.User; u.Status == gateway.UserApproved {
		rc.user = u
	} else {
		rc.pending = u
		rc.impersonator = nil
	}
	return nil
}

// requireLogin sends visitors without an approved account to /login,
// remembering where they were going (GET only), and users the two-factor
// policy requires to enrol to /account/2fa.
func (a *app) requireLogin(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtx(r)
		if rc.user == nil {
			if rc.pending != nil && rc.pending.Status == gateway.UserPending {
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
		if a.mustEnrolTwoFactor(w, r) { // twofactor.go
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

// seenEvery is how stale a session's last-request stamp (sessSeen) may
// get before a request rewrites it.
const seenEvery = time.Minute

// touchSession enforces SessionIdle: a logged-in session whose last
// request is older than SessionIdle is destroyed (the visitor is logged
// out, as scs's IdleTimeout would); otherwise its stamp is renewed when
// older than seenEvery — the only write of a view that changes nothing
// else in the session. A session without a user is not stamped (no
// session row for every anonymous visit). The idle limit is thus kept to
// within a minute.
func (a *app) touchSession(ctx context.Context, now time.Time) error {
	if a.SessionIdle <= 0 {
		return nil
	}
	seen := a.Sessions.GetInt64(ctx, sessSeen)
	if seen > 0 && now.Sub(time.Unix(seen, 0)) > a.SessionIdle {
		return a.Sessions.Destroy(ctx)
	}
	if a.Sessions.GetInt64(ctx, sessUserID) <= 0 {
		return nil
	}
	if now.Sub(time.Unix(seen, 0)) >= seenEvery {
		a.Sessions.Put(ctx, sessSeen, now.Unix())
	}
	return nil
}
