package api

import (
	"context"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/httpserver"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/ratelimit"
)

// Default rate limits (PRODUCT.md §9), per minute.
const (
	DefaultKeyPerMin = 600
	DefaultIPPerMin  = 60
)

// MaxBodyBytes is the largest request body the API reads (413 PAYLOAD_TOO_LARGE beyond).
const MaxBodyBytes = 1 << 20

// limit authenticates the request's key (once; withKey and health reuse
// the outcome) and counts the request: a valid key against its own bucket
// (KeyPerMin), anything else (no key, a wrong key) against the client IP
// (IPPerMin; the IP from httpserver.ClientIP behind TrustedProxies). Every
// answer carries X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (Unix seconds); a refused request is 429
// RATE_LIMIT_EXCEEDED with Retry-After (seconds). When the limiter fails
// the request goes through and the failure is logged (the gateway's Redis
// limiter, ratelimit.Failover, never fails: it falls back to in-process
// limits and logs the outage once).
func (h *handler) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a authResult
		if key := apiKeyFrom(r); key != "" {
			p, status, code, msg := h.authenticate(r.Context(), key)
			a = authResult{p: p, status: status, code: code, message: msg}
		} else {
			a = authResult{status: http.StatusUnauthorized, code: "MISSING_API_KEY",
				message: "API key required: send it in the X-API-KEY header."}
		}
		r = r.WithContext(context.WithValue(r.Context(), authCtx{}, a))
		if h.Limiter == nil || a.status == http.StatusServiceUnavailable {
			// No limiter, or the key could not be checked (the database
			// is down: 503, not counted against the client IP's budget).
			next.ServeHTTP(w, r)
			return
		}
		bucket, perMin := "ip:"+httpserver.ClientIP(r, h.TrustedProxies), h.IPPerMin
		if a.p != nil {
			bucket, perMin = "key:"+strconv.FormatInt(a.p.Key.ID, 10), h.KeyPerMin
		}
		res, err := h.Limiter.Allow(r.Context(), bucket, perMin)
		if err != nil {
			h.Logger.WarnContext(r.Context(), "rate limiter unavailable; request let through",
				slog.String("request_id", httpserver.RequestIDFrom(r.Context())), slog.String("error", err.Error()))
			next.ServeHTTP(w, r)
			return
		}
		hd := w.Header()
		hd.Set("X-RateLimit-Limit", strconv.Itoa(res.Limit))
		hd.Set("X-RateLimit-Remaining", strconv.Itoa(res.Remaining))
		hd.Set("X-RateLimit-Reset", strconv.FormatInt(ratelimit.ResetUnix(time.Now(), res), 10))
		if !res.Allowed {
			secs := ratelimit.RetryAfterSeconds(res)
			hd.Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED",
				"Rate limit exceeded: "+strconv.Itoa(res.Limit)+" requests per minute. Retry in "+strconv.Itoa(secs)+" seconds.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bodyTypes are the media types a POST body may have; an empty body is always accepted.
var bodyTypes = map[string][]string{
	"POST /api/v1/sync":     {"application/json"},
	"POST /api/v1/validate": {"application/xml", "text/xml"},
	"POST /api/v1/invoices": {"application/xml", "text/xml"},
}

// bodyLimits are the routes that take more than MaxBodyBytes: a document
// to validate or to send may be as large as ANAF accepts (10 MB).
var bodyLimits = map[string]int64{
	"POST /api/v1/validate": invoice.MaxUploadSize,
	"POST /api/v1/invoices": invoice.MaxUploadSize,
}

// bodyLimit is the largest body the route reads.
func bodyLimit(rt route) int64 {
	if n, ok := bodyLimits[rt.method+" "+rt.pattern]; ok {
		return n
	}
	return MaxBodyBytes
}

// tooLarge answers 413 PAYLOAD_TOO_LARGE for a body beyond limit bytes.
func tooLarge(w http.ResponseWriter, limit int64) {
	writeError(w, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE",
		"The request body is larger than "+strconv.FormatInt(limit, 10)+" bytes.")
}

// checkBody refuses, before the handler runs, a body larger than
// MaxBodyBytes (413 PAYLOAD_TOO_LARGE) and, on POST, a non-empty body of a
// media type the route does not take (415 UNSUPPORTED_MEDIA_TYPE). The
// body is wrapped in http.MaxBytesReader, so a chunked body that grows
// past the limit fails to read too.
func (h *handler) checkBody(rt route, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := bodyLimit(rt)
		if r.ContentLength > limit {
			if rt.method == http.MethodPost && rt.pattern == "/api/v1/invoices" {
				uploadTooLarge(w) // ANAF's own reason
				return
			}
			tooLarge(w, limit)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if rt.method == http.MethodPost && hasBody(r) {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			types := bodyTypes[rt.method+" "+rt.pattern]
			ok := false
			for _, t := range types {
				ok = ok || (err == nil && mt == t)
			}
			if !ok {
				msg := "Content-Type must be " + strings.Join(types, " or ")
				if rt.pattern == "/api/v1/sync" {
					msg += " (or send no body)"
				}
				writeError(w, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", msg+".")
				return
			}
			// A body the handler does not read must still fit the limit.
			if rt.pattern == "/api/v1/sync" {
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					tooLarge(w, limit)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// hasBody reports whether the request carries a body (a length, or chunked).
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}
