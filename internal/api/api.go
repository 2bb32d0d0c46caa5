// Package api serves REST API v1 (PRODUCT.md §4) under /api/v1: a drop-in
// replacement for the Flask gateway's API (same paths, X-API-KEY header,
// field names, pagination and error shapes). Every request but health needs
// a company-scoped API key; a key sees only its company, anything else is 404.
//
// The API is a door onto internal/gateway: a handler parses the request,
// calls one use case with the key's principal, and writes its answer
// (responses.go maps a gateway.Error to the error envelope). Files:
// routes.go (the route table), keyauth.go (X-API-KEY), limit.go (rate
// limits, body checks), health.go, invoices.go (list, get, ZIP, XML,
// PDF), export.go, sync.go, responses.go (JSON envelopes), openapi.go.
package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/metrics"
	"github.com/efactura-gateway/efactura/internal/ratelimit"
)

// Deps are what the API needs.
type Deps struct {
	// Gateway runs the use cases (required but for the docs routes).
	Gateway *gateway.Service
	BaseURL string // public URL, for download_url
	Logger  *slog.Logger
	// Checks adds dependency checks to /health (name → error) whose
	// failure is 503 "unhealthy" (the job queue); the database is always checked.
	Checks map[string]func(ctx context.Context) error
	// Degradable adds checks whose failure reports "degraded" (status
	// "degraded", still 200), not 503: ANAF's reachability, Redis (the
	// rate limits fall back to per-replica ones), storage and the local
	// disk — outages that must not turn health red. Cache them (they run
	// per request).
	Degradable map[string]func(ctx context.Context) error
	// StartSync queues a sync of the company now (POST /api/v1/sync); nil:
	// Gateway.SyncStarter, and without either 503.
	StartSync func(ctx context.Context, companyID int64) (runID int64, err error)

	// Limiter counts requests per key and per client IP (PRODUCT.md §4,
	// §9); nil: no rate limits. ratelimit.Open gives the memory limiter,
	// or, when REDIS_URL is set, the Redis one shared by replicas that
	// falls back to in-process limits while Redis is down (Failover).
	Limiter ratelimit.Limiter
	// KeyPerMin is the limit per API key and minute (0: 600);
	// IPPerMin the limit per client IP and minute for requests without a
	// valid key (0: 60). EFACTURA_RATE_LIMIT_KEY_PER_MIN / _IP_PER_MIN.
	KeyPerMin int
	IPPerMin  int
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client IP (EFACTURA_TRUSTED_PROXIES); nil: the peer address.
	TrustedProxies []*net.IPNet
	// PDFGuard bounds PDF renders (concurrency, lines); nil:
	// Gateway.PDFGuard, else render.Shared(), the guard the web UI uses too.
	PDFGuard *gateway.PDFGuard
}

type handler struct {
	Deps
	gw     *gateway.Service
	checks healthCache // health.go
}

// New returns the API handler; mount it at "/api/". Every request passes
// the rate limiter (Deps.Limiter) first.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.KeyPerMin <= 0 {
		d.KeyPerMin = DefaultKeyPerMin
	}
	if d.IPPerMin <= 0 {
		d.IPPerMin = DefaultIPPerMin
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/") // download_url must not get "//api/v1"
	// The API's own view of the use cases: the shared service with this
	// process's sync starter and render guard, when given here.
	gw := gateway.Service{}
	if d.Gateway != nil {
		gw = *d.Gateway
	}
	if d.StartSync != nil {
		gw.SyncStarter = d.StartSync
	}
	if d.PDFGuard != nil {
		gw.PDFGuard = d.PDFGuard
	}
	h := &handler{Deps: d, gw: &gw}
	mux := http.NewServeMux()
	for _, rt := range h.routes() {
		// The key and its scope first, then the body's size and type.
		hh := h.checkBody(rt, http.HandlerFunc(rt.handle))
		if rt.scope != "" {
			hh = h.withKey(rt.scope, hh.ServeHTTP)
		}
		mux.Handle(rt.method+" "+rt.pattern, metrics.Routed(hh))
	}
	mux.HandleFunc("GET /api/docs.css", serveDocsCSS) // openapi.go
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "No such API endpoint.")
	})
	return h.limit(mux)
}
