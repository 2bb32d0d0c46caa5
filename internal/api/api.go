// Package api serves REST API v1 (PRODUCT.md §4) under /api/v1: a drop-in
// replacement for the Flask gateway's API (same paths, X-API-KEY header,
// field names, pagination and error shapes). Every request but health needs
// a company-scoped API key; a key sees only its company, anything else is 404.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/httpserver"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
	"github.com/efactura-gateway/efactura/internal/metrics"
	"github.com/efactura-gateway/efactura/internal/ratelimit"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/version"
)

// Deps are what the API needs.
type Deps struct {
	Store   *store.Store
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
	// StartSync queues a sync of the company now (POST /api/v1/sync); nil answers 503.
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
	// render.Shared(), the guard the web UI uses too.
	PDFGuard *render.Guard
}

type handler struct {
	Deps
}

// route is one line of the API's route table: method and pattern (as
// documented in openapi.json), whether a key is needed and which scope.
type route struct {
	method, pattern string
	scope           string // "" (no key), store.ScopeRead or store.ScopeWrite
	handle          func(http.ResponseWriter, *http.Request)
}

// routes is the API's route table, one line per endpoint; every line must
// be described in openapi.json (TestOpenAPICoversRoutes).
func (h *handler) routes() []route {
	return []route{
		{"GET", "/api/v1/health", "", h.health},
		{"GET", "/api/v1/openapi.json", "", serveOpenAPI}, // openapi.go
		{"GET", "/api/docs", "", serveDocs},               // openapi.go
		{"GET", "/api/v1/invoices", store.ScopeRead, h.listInvoices},
		{"GET", "/api/v1/invoices/{id}", store.ScopeRead, h.getInvoice},
		{"GET", "/api/v1/invoices/{id}/download", store.ScopeRead, h.downloadInvoice},
		{"GET", "/api/v1/invoices/{id}/xml", store.ScopeRead, h.invoiceXML},
		{"GET", "/api/v1/invoices/{id}/pdf", store.ScopeRead, h.invoicePDF},   // pdf.go
		{"GET", "/api/v1/invoices/export", store.ScopeRead, h.exportInvoices}, // export.go
		{"GET", "/api/v1/sync", store.ScopeRead, h.listSyncRuns},              // sync.go
		{"POST", "/api/v1/sync", store.ScopeWrite, h.startSync},               // sync.go
	}
}

// Routes lists the API's routes as "METHOD /pattern", in the order of
// the route table (for the security tests' access matrix).
func Routes() []string {
	var out []string
	for _, rt := range (&handler{}).routes() {
		out = append(out, rt.method+" "+rt.pattern)
	}
	return out
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
	h := &handler{Deps: d}
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

// ---- errors and JSON

type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// writeError writes the Flask gateway's error shape {"error","message","code"}.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{Error: http.StatusText(status), Message: message, Code: code})
}

func (h *handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.Logger.ErrorContext(r.Context(), "api error", slog.String("request_id", httpserver.RequestIDFrom(r.Context())),
		slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	writeError(w, http.StatusInternalServerError, "INTERNAL_ERROR", "An internal error occurred. Quote the X-Request-ID header when reporting it.")
}

// ---- API keys

type keyCtx struct{}

type principal struct {
	key     *store.APIKey
	company *store.Company
}

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
	k, err := h.Store.APIKeyByHash(ctx, auth.HashAPIKey(key))
	if err == nil {
		var c *store.Company
		if c, err = h.Store.CompanyByID(ctx, k.CompanyID); err == nil {
			return &principal{key: k, company: c}, 0, "", ""
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, http.StatusUnauthorized, "INVALID_API_KEY", "The API key is invalid or has been revoked."
	}
	h.Logger.ErrorContext(ctx, "api: looking up an API key failed", slog.String("request_id", httpserver.RequestIDFrom(ctx)),
		slog.String("error", err.Error()))
	return nil, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE",
		"The API key could not be checked because the database is unavailable; try again shortly."
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
		now := time.Now().UTC()
		if p.key.LastUsedAt == nil || now.Sub(*p.key.LastUsedAt) > time.Minute {
			if err := h.Store.TouchAPIKey(r.Context(), p.key.ID, now); err != nil {
				h.Logger.Warn("recording API key use", slog.String("error", err.Error()))
			}
		}
		next(w, r.WithContext(context.WithValue(r.Context(), keyCtx{}, p)))
	})
}

// ---- health

func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]any{}
	status := "healthy"
	code := http.StatusOK
	if err := h.Store.Ping(ctx); err != nil {
		checks["database"] = "unhealthy"
		status, code = "unhealthy", http.StatusServiceUnavailable
		h.Logger.Error("health: database", slog.String("error", err.Error()))
	} else {
		checks["database"] = "healthy"
	}
	for name, fn := range h.Checks {
		if err := fn(ctx); err != nil {
			checks[name] = "unhealthy"
			status, code = "unhealthy", http.StatusServiceUnavailable
		} else {
			checks[name] = "healthy"
		}
	}
	for name, fn := range h.Degradable {
		if err := fn(ctx); err != nil {
			checks[name] = "degraded"
			if status == "healthy" {
				status = "degraded"
			}
		} else {
			checks[name] = "healthy"
		}
	}
	if p := h.authOf(r).p; p != nil {
		checks["company"] = h.companyHealth(ctx, p.company)
	}
	writeJSON(w, code, map[string]any{
		"status":    status,
		"timestamp": time.Now().UTC().Format(time.RFC3339),
		"version":   version.Version,
		"checks":    checks,
	})
}

func (h *handler) companyHealth(ctx context.Context, c *store.Company) map[string]any {
	out := map[string]any{"cif": c.CIF, "status": c.Status, "anaf_connection": "not_connected"}
	// The connections sync may use: consenting members' (PRODUCT.md §1).
	members, _ := h.Store.ConsentingMembers(ctx, c.ID, time.Now())
	for _, uid := range members {
		t, err := h.Store.ANAFTokenByUser(ctx, uid)
		if err != nil {
			continue
		}
		out["anaf_connection"] = t.Status
		out["anaf_token_expires_at"] = t.ExpiresAt.UTC().Format(time.RFC3339)
		if t.Status == "connected" {
			break
		}
	}
	if run, err := h.Store.LastSyncRun(ctx, c.ID); err == nil {
		ls := map[string]any{"status": run.Status, "started_at": run.StartedAt.UTC().Format(time.RFC3339),
			"found": run.Found, "new": run.New, "failed": run.Failed}
		if run.Error != "" {
			ls["error"] = run.Error
		}
		if run.Warning != "" {
			ls["warning"] = run.Warning
		}
		out["last_sync"] = ls
		// Listed by ANAF but not archived, near its 60-day deletion (issue 4).
		out["at_risk_messages"] = run.AtRisk
	} else {
		out["last_sync"] = nil
	}
	return out
}

// ---- invoices

var typeFilter = map[string]string{
	"received": store.TypeReceived,
	"sent":     store.TypeSent,
	"error":    store.TypeErrors,
	"errors":   store.TypeErrors,
}

var sortFields = map[string]bool{"invoice_date": true, "total_amount": true, "synced_at": true, "anaf_id": true}

func (h *handler) listInvoices(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	page, perPage := 1, 50
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "page must be an integer ≥ 1.")
			return
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "per_page must be an integer between 1 and 100.")
			return
		}
		perPage = min(n, 100)
	}
	f, ok := invoiceFilter(w, r, p.company.ID) // filters.go
	if !ok {
		return
	}
	if !p.company.Verified() {
		f.CompanyID = 0 // unverified: nothing from ANAF (no company has id 0)
	}
	f.Limit, f.Offset = perPage, (page-1)*perPage
	if page-1 > math.MaxInt32/perPage {
		// Far past any real page: an empty page, without an int overflow
		// turning the offset negative (which would serve page 1).
		f.Offset = math.MaxInt32
	}
	rows, total, err := h.Store.Invoices(r.Context(), f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	data := make([]invoiceJSON, 0, len(rows))
	for i := range rows {
		data = append(data, h.toJSON(&rows[i]))
	}
	pages := (total + perPage - 1) / perPage
	writeJSON(w, http.StatusOK, map[string]any{
		"data": data,
		"pagination": map[string]any{
			"page": page, "per_page": perPage, "total": total, "pages": pages,
			"has_next": page < pages, "has_prev": page > 1,
		},
		"meta": map[string]any{"company_id": p.company.ID, "company_cif": p.company.CIF},
	})
}

func (h *handler) loadInvoice(w http.ResponseWriter, r *http.Request) (*store.Invoice, bool) {
	p := principalFrom(r.Context())
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusNotFound, "INVOICE_NOT_FOUND", "Invoice not found.")
		return nil, false
	}
	inv, err := h.Store.InvoiceByID(r.Context(), p.company.ID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.company.Verified()) {
		writeError(w, http.StatusNotFound, "INVOICE_NOT_FOUND", "Invoice not found.")
		return nil, false
	}
	if err != nil {
		h.internal(w, r, err)
		return nil, false
	}
	return inv, true
}

func (h *handler) getInvoice(w http.ResponseWriter, r *http.Request) {
	inv, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	out := struct {
		invoiceJSON
		Details    json.RawMessage `json:"details"`
		ParseError *string         `json:"parse_error"`
		ZIPSHA256  string          `json:"zip_sha256"`
		UploadID   *string         `json:"upload_id"`
		Detalii    *string         `json:"anaf_details"`
	}{invoiceJSON: h.toJSON(inv), Details: json.RawMessage("null"), ZIPSHA256: fmt.Sprintf("%x", inv.ZIPSHA256),
		UploadID: nullable(inv.UploadID), Detalii: nullable(inv.Details), ParseError: nullable(inv.ParseError)}
	if len(inv.ParsedJSON) > 0 {
		out.Details = inv.ParsedJSON
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (h *handler) downloadInvoice(w http.ResponseWriter, r *http.Request) {
	inv, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	zipBytes, err := h.Store.InvoiceZIP(r.Context(), inv.CompanyID, inv.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=invoice_%s.zip", safeName(inv.ANAFID)))
	w.Header().Set("Content-Length", strconv.Itoa(len(zipBytes)))
	w.Header().Set("X-Content-SHA256", fmt.Sprintf("%x", inv.ZIPSHA256))
	_, _ = w.Write(zipBytes)
}

func (h *handler) invoiceXML(w http.ResponseWriter, r *http.Request) {
	inv, ok := h.loadInvoice(w, r)
	if !ok {
		return
	}
	zipBytes, err := h.Store.InvoiceZIP(r.Context(), inv.CompanyID, inv.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	arch, err := invoice.ReadArchive(zipBytes)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "ARCHIVE_UNREADABLE", "The archived ZIP could not be read: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=invoice_%s.xml", safeName(inv.ANAFID)))
	_, _ = w.Write(arch.Document)
}

// maxTextParam is the most characters q and supplier_cif may have.
const maxTextParam = 200

// textParam reports whether v is acceptable free text: valid UTF-8, no
// control characters, at most maxTextParam characters.
func textParam(v string) bool {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxTextParam {
		return false
	}
	return !strings.ContainsFunc(v, unicode.IsControl)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
