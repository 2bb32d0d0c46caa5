package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/httpserver"
)

type keyCtx struct{}

// principal is the request's authenticated key: its gateway principal,
// the key and its company.
type principal = gateway.KeyAuth

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(keyCtx{}).(*principal)
	return p
}

// apiKeyFrom reads X-API-KEY, else Authorization: Bearer.
func apiKeyFrom(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get("X-API-KEY")); k != "" {
		return k
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// authenticate looks the key up: 401 when it is missing, malformed,
// unknown or revoked; 503 SERVICE_UNAVAILABLE when the lookup itself fails
// (the database is down or busy), logged with the request id, so that a
// client never takes a database hiccup for a revoked key.
func (h *handler) authenticate(ctx context.Context, key string) (*principal, int, string, string) {
	if key == "" {
		return nil, http.StatusUnauthorized, "MISSING_API_KEY", "API key required: send it in the X-API-KEY header."
	}
	if !auth.LooksLikeAPIKey(key) {
		return nil, http.StatusUnauthorized, "INVALID_API_KEY_FORMAT", "The API key is not in the expected format (efk_…)."
	}
	p, err := h.gw.AuthenticateKey(ctx, key)
	if err == nil {
		return p, 0, "", ""
	}
	if errors.Is(err, gateway.ErrKeyInvalid) {
		return nil, http.StatusUnauthorized, "INVALID_API_KEY", gateway.ErrKeyInvalid.Msg
	}
	cause := err
	if c := errors.Unwrap(err); c != nil {
		cause = c
	}
	h.Logger.ErrorContext(ctx, "api: looking up an API key failed", slog.String("request_id", httpserver.RequestIDFrom(ctx)),
		slog.String("error", cause.Error()))
	return nil, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", gateway.ErrKeyLookup.Msg
}

// authCtx carries the outcome of authenticating the request's key, done
// once by limit (the key picks the rate-limit bucket) for withKey and health.
type authCtx struct{}

type authResult struct {
	p             *principal
	status        int
	code, message string
}

// authOf authenticates the request's key, or returns limit's outcome.
func (h *handler) authOf(r *http.Request) authResult {
	if a, ok := r.Context().Value(authCtx{}).(authResult); ok {
		return a
	}
	p, status, code, msg := h.authenticate(r.Context(), apiKeyFrom(r))
	return authResult{p: p, status: status, code: code, message: msg}
}

// withKey requires a valid key holding scope (write includes read): 401
// without one, 403 INSUFFICIENT_SCOPE with a weaker one.
func (h *handler) withKey(scope string, next func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := h.authOf(r)
		p := a.p
		if p == nil {
			if a.status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "5")
			}
			writeError(w, a.status, a.code, a.message)
			return
		}
		if !requireScope(w, p, scope) {
			return
		}
		h.gw.TouchKey(r.Context(), p.Key)
		next(w, r.WithContext(context.WithValue(r.Context(), keyCtx{}, p)))
	})
}

// requireScope reports whether the key holds scope (write includes read);
// if not it writes 403 INSUFFICIENT_SCOPE and returns false. Handlers
// that change something call it (withKey does for the route table's scope).
func requireScope(w http.ResponseWriter, p *principal, scope string) bool {
	if scopeAllows(p.Key.Scope, scope) {
		return true
	}
	writeError(w, http.StatusForbidden, "INSUFFICIENT_SCOPE",
		"This API key has the "+p.Key.Scope+" scope; this request needs a key with the "+scope+" scope.")
	return false
}

// scopeAllows reports whether a key of scope have may do what needs requires.
func scopeAllows(have, needs string) bool {
	switch needs {
	case "", gateway.ScopeRead:
		return have == gateway.ScopeRead || have == gateway.ScopeWrite
	case gateway.ScopeWrite:
		return have == gateway.ScopeWrite
	}
	return false
}
