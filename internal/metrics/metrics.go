// Package metrics holds the gateway's Prometheus series (PRODUCT.md §9),
// all named efactura_…, on a registry passed in (never the global one):
//
//   - efactura_http_requests_total{route,method,status} and
//     efactura_http_request_duration_seconds{route,method} (route is the
//     ServeMux pattern, e.g. "GET /api/v1/invoices/{id}", never the path;
//     method is a standard one or "OTHER");
//   - efactura_db_connections{state="open|in_use|idle|max"},
//     efactura_db_wait_total, efactura_db_wait_seconds_total (sql.DBStats);
//   - efactura_jobs_total{kind,outcome}, efactura_job_duration_seconds{kind};
//   - efactura_sync_runs_total{status}, efactura_invoices_archived_total;
//   - efactura_sync_relists_total, efactura_sync_late_messages_total (the
//     daily re-list of the last 48 hours, and the messages it found that the
//     incremental runs had missed: ANAF's late publication);
//   - efactura_anaf_calls_total{endpoint,outcome},
//     efactura_anaf_call_duration_seconds{endpoint} (anaf.Config.Observer);
//   - efactura_anaf_quota_remaining{quota}, efactura_anaf_token_expiry_days,
//     efactura_anaf_reconnect_needed, efactura_anaf_connections{state}
//     (users' ANAF connections by state: connected, refresh_failed,
//     needs_attention, reconnect_needed, key_missing),
//     efactura_last_backup_timestamp_seconds (read from the store at scrape time);
//   - efactura_sync_oldest_success_age_seconds,
//     efactura_anaf_connection_expiry_days,
//     efactura_upload_oldest_unfinished_seconds{state},
//     efactura_uploads_past_deadline (the alerts' figures, read from the
//     store at most once per OpsEvery);
//   - the Go runtime's go_* and the process's process_* series;
//   - efactura_dependency_up{dependency} 1|0 (RegisterChecks, at scrape time);
//   - efactura_build_info{version,goversion} 1.
package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/httpserver"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tracing"
	"github.com/efactura-gateway/efactura/internal/tz"
	"github.com/efactura-gateway/efactura/internal/version"
)

// Metrics are the gateway's collectors, registered on one registry.
type Metrics struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	jobs         *prometheus.CounterVec
	jobDuration  *prometheus.HistogramVec
	syncRuns     *prometheus.CounterVec
	archived     prometheus.Counter
	anafCalls    *prometheus.CounterVec
	anafDuration *prometheus.HistogramVec
	relists      prometheus.Counter
	lateMessages prometheus.Counter
	checks       *checksCollector
	stores       []*storeCollector
}

// New registers the gateway's series (and build info) on reg; reg nil
// makes a fresh registry.
func New(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "efactura_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "efactura_http_request_duration_seconds", Help: "HTTP request latency in seconds, by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "efactura_jobs_total", Help: "Background job executions, by kind and outcome (ok, snoozed, cancelled, error).",
		}, []string{"kind", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "efactura_job_duration_seconds", Help: "Background job execution time in seconds, by kind.",
			Buckets: []float64{.01, .05, .1, .5, 1, 2.5, 5, 10, 15, 30, 60},
		}, []string{"kind"}),
		syncRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "efactura_sync_runs_total", Help: "Finished sync runs, by final status (ok, ok_with_warnings, partial, failed).",
		}, []string{"status"}),
		archived: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "efactura_invoices_archived_total", Help: "ANAF messages archived (new ZIPs stored).",
		}),
		anafCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "efactura_anaf_calls_total", Help: "ANAF call attempts, by endpoint and outcome (ok, or the error kind; local refusals included).",
		}, []string{"endpoint", "outcome"}),
		anafDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "efactura_anaf_call_duration_seconds", Help: "ANAF call attempt latency in seconds, by endpoint.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"endpoint"}),
		relists: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "efactura_sync_relists_total", Help: "Finished daily re-lists of the last 48 hours (one per company per day).",
		}),
		lateMessages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "efactura_sync_late_messages_total",
			Help: "Messages the daily re-list found that the incremental syncs had missed (ANAF published them late).",
		}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "efactura_build_info", Help: "Always 1; labels carry the version and Go version.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(version.String(), runtime.Version()).Set(1)
	reg.MustRegister(m.httpRequests, m.httpDuration, m.jobs, m.jobDuration, m.syncRuns, m.archived,
		m.anafCalls, m.anafDuration, m.relists, m.lateMessages, build)
	// Every sync status exists from the start at 0, so the first failure
	// of a replica is an increase Prometheus sees (increase() cannot see
	// the step from "no series" to 1).
	for _, st := range SyncStatuses {
		m.syncRuns.WithLabelValues(st)
	}
	// The Go runtime (go_*: goroutines, GC, memory) and the process
	// (process_*: CPU, resident memory, open file descriptors).
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// SyncStatuses are the final statuses of a sync run (anafsync's), the
// values of efactura_sync_runs_total's status label.
var SyncStatuses = []string{"ok", "ok_with_warnings", "partial", "failed"}

// Registry returns the registry the series live on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ---- HTTP

type routeSlot struct{ pattern string }

type slotKey struct{}

// NoteRoute records r.Pattern (set by the ServeMux that routed r) as the
// route label of the request, for handlers behind a nested mux whose
// request copy the outer middleware cannot see (the request's trace span
// is named by it too). Harmless without Middleware.
func NoteRoute(r *http.Request) {
	tracing.NoteRoute(r)
	if s, ok := r.Context().Value(slotKey{}).(*routeSlot); ok && r.Pattern != "" {
		s.pattern = r.Pattern
	}
}

// Routed wraps a handler registered on a nested mux so its pattern becomes
// the route label (see NoteRoute).
func Routed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		NoteRoute(r)
		next.ServeHTTP(w, r)
	})
}

// Middleware counts and times requests. Put it directly around the root
// ServeMux: the label is the pattern that mux matched (r.Pattern), or the
// deeper one a nested mux recorded with NoteRoute/Routed; "unmatched" when
// no pattern matched (404s of unknown paths do not create series).
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		slot := &routeSlot{}
		r = r.WithContext(context.WithValue(r.Context(), slotKey{}, slot))
		sw := httpserver.NewStatusRecorder(w)
		defer func() {
			route := slot.pattern
			if route == "" {
				route = r.Pattern
			}
			if route == "" {
				route = "unmatched"
			}
			method := MethodLabel(r.Method)
			// A client that went away is 499 (httpserver.Outcome), not a 5xx.
			m.httpRequests.WithLabelValues(route, method, strconv.Itoa(sw.Outcome(r))).Inc()
			m.httpDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// MethodLabel is the method label of a request: one of RFC 9110's
// methods (and PATCH) as sent, anything else "OTHER", so a client making
// methods up cannot add series.
func MethodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// ---- ANAF, jobs, sync

// ObserveANAF is an anaf.Observer: one attempt of an ANAF call.
func (m *Metrics) ObserveANAF(c anaf.CallInfo) {
	outcome := c.Outcome
	if c.Local && outcome != "ok" {
		outcome = "local " + outcome
	}
	m.anafCalls.WithLabelValues(c.Endpoint, outcome).Inc()
	if !c.Local {
		m.anafDuration.WithLabelValues(c.Endpoint).Observe(c.Duration.Seconds())
	}
}

// ObserveJob records one job execution: kind (River's), outcome (ok,
// snoozed, cancelled, error) and how long it ran.
func (m *Metrics) ObserveJob(kind, outcome string, d time.Duration) {
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.jobDuration.WithLabelValues(kind).Observe(d.Seconds())
}

// ObserveSyncRun records a finished sync run with its final status and
// how many new messages it archived.
func (m *Metrics) ObserveSyncRun(status string, archived int) {
	m.syncRuns.WithLabelValues(status).Inc()
	if archived > 0 {
		m.archived.Add(float64(archived))
	}
}

// ObserveRelist records a finished daily re-list and how many messages it
// found that the incremental runs had missed (cif is logged by the engine,
// not a label).
func (m *Metrics) ObserveRelist(_ string, missed int) {
	m.relists.Inc()
	if missed > 0 {
		m.lateMessages.Add(float64(missed))
	}
}

// ---- database pool

type dbCollector struct {
	db                          *sql.DB
	conns, waits, waitDur, idle *prometheus.Desc
}

// RegisterDB exports db's pool statistics (sql.DBStats) at scrape time.
func (m *Metrics) RegisterDB(db *sql.DB) {
	m.reg.MustRegister(&dbCollector{
		db:      db,
		conns:   prometheus.NewDesc("efactura_db_connections", "Database pool connections by state (open, in_use, idle, max).", []string{"state"}, nil),
		waits:   prometheus.NewDesc("efactura_db_wait_total", "Times a request waited for a free database connection.", nil, nil),
		waitDur: prometheus.NewDesc("efactura_db_wait_seconds_total", "Total time spent waiting for a database connection, in seconds.", nil, nil),
		idle:    prometheus.NewDesc("efactura_db_closed_total", "Connections closed by the pool, by reason (max_idle, max_idle_time, max_lifetime).", []string{"reason"}, nil),
	})
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.conns
	ch <- c.waits
	ch <- c.waitDur
	ch <- c.idle
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.db.Stats()
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.OpenConnections), "open")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.InUse), "in_use")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.Idle), "idle")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.MaxOpenConnections), "max")
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(c.waitDur, prometheus.CounterValue, s.WaitDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.CounterValue, float64(s.MaxIdleClosed), "max_idle")
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.CounterValue, float64(s.MaxIdleTimeClosed), "max_idle_time")
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.CounterValue, float64(s.MaxLifetimeClosed), "max_lifetime")
}

// ---- dependency checks

type checksCollector struct {
	mu     sync.Mutex
	checks map[string]func(context.Context) error
	up     *prometheus.Desc
}

// RegisterChecks exports efactura_dependency_up{dependency}: 1 when the
// check passes at scrape time, 0 when it fails (in parallel, bounded by
// checkBudget; pass
// cached or cheap checks — the health endpoint's own). The degraded states
// of /api/v1/health (Redis, ANAF, storage) and the readiness conditions
// (database, jobs, local disk) all show here.
// A second call (Serve run again with the same Metrics) replaces the checks.
func (m *Metrics) RegisterChecks(checks map[string]func(context.Context) error) {
	if m.checks != nil {
		m.checks.mu.Lock()
		m.checks.checks = checks
		m.checks.mu.Unlock()
		return
	}
	m.checks = &checksCollector{checks: checks,
		up: prometheus.NewDesc("efactura_dependency_up",
			"1 when the dependency's check passes at scrape time, 0 when it fails (database, jobs, disk: readiness; redis, anaf, storage: degraded in /api/v1/health).",
			[]string{"dependency"}, nil)}
	m.reg.MustRegister(m.checks)
}

func (c *checksCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.up }

func (c *checksCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	checks := c.checks
	c.mu.Unlock()
	// All at once, each within the scrape's budget.
	ctx, cancel := context.WithTimeout(context.Background(), checkBudget)
	defer cancel()
	var wg sync.WaitGroup
	for name, check := range checks {
		wg.Go(func() {
			v := 1.0
			if check(ctx) != nil {
				v = 0
			}
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, v, name)
		})
	}
	wg.Wait()
}

// checkBudget bounds the dependency checks of one scrape (run in
// parallel; Prometheus's default scrape timeout is 10 s).
const checkBudget = 5 * time.Second

// ---- figures read from the store at scrape time

type storeCollector struct {
	st                                   *store.Store
	log                                  *slog.Logger
	tokenDays, reconnect, backup, quota  *prometheus.Desc
	connections                          *prometheus.Desc
	quotaLimitPerMinute, quotaLimitDaily int

	syncAge, connDays, uploadAge, pastDeadline *prometheus.Desc
	spvAtRisk, spvStale                        *prometheus.Desc // the SPV 60-day edge
	opsMu                                      sync.Mutex
	ops                                        []prometheus.Metric // the last ops figures
	opsAt                                      time.Time
}

// OpsEvery is how long the alert figures read from the database (sync
// age, ANAF connection end, uploads) are reused between scrapes.
const OpsEvery = time.Minute

// RegisterStore exports figures computed from the database at each scrape
// (bounded by a 2 s timeout; a failing query omits its series and logs):
// days to the nearest ANAF token expiry, connections needing a reconnect,
// the last backup's time, and the ANAF quota left (per minute, all calls;
// per day, the busiest CIF's message lists).
func (m *Metrics) RegisterStore(st *store.Store, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &storeCollector{
		st: st, log: logger,
		tokenDays: prometheus.NewDesc("efactura_anaf_token_expiry_days",
			"Days until the nearest connected ANAF access token expires (negative: expired).", nil, nil),
		reconnect: prometheus.NewDesc("efactura_anaf_reconnect_needed",
			"ANAF connections whose token refresh was refused: their owner must connect again.", nil, nil),
		connections: prometheus.NewDesc("efactura_anaf_connections",
			"Users' ANAF connections by state (connected, refresh_failed, needs_attention, reconnect_needed, key_missing).", []string{"state"}, nil),
		backup: prometheus.NewDesc("efactura_last_backup_timestamp_seconds",
			"Unix time of the last successful `efactura backup` (absent: never).", nil, nil),
		quota: prometheus.NewDesc("efactura_anaf_quota_remaining",
			"ANAF calls left in the current window, by quota (rate: all calls this minute; listaMesajeFactura: the busiest CIF today).", []string{"quota"}, nil),
		quotaLimitPerMinute: anaf.DefaultPerMinute,
		quotaLimitDaily:     anaf.DefaultListPerCIFPerDay,
		syncAge: prometheus.NewDesc("efactura_sync_oldest_success_age_seconds",
			"Among verified companies that sync automatically, the longest time since a sync ended ok, ok_with_warnings or partial (never: since the company was added); absent without such companies.", nil, nil),
		connDays: prometheus.NewDesc("efactura_anaf_connection_expiry_days",
			"Days until the first connected user's ANAF authorization ends (refresh token exp, else consent + 365 days); the owner must connect again before.", nil, nil),
		uploadAge: prometheus.NewDesc("efactura_upload_oldest_unfinished_seconds",
			"How long the oldest upload has been in its state, by unfinished state (sending, unknown, pending); 0 when none.", []string{"state"}, nil),
		pastDeadline: prometheus.NewDesc("efactura_uploads_past_deadline",
			"Invoices issued in the last 60 days, uploaded but never accepted by ANAF, whose legal deadline is over.", nil, nil),
		spvAtRisk: prometheus.NewDesc("efactura_spv_messages_at_risk",
			"Messages ANAF listed that are not archived and are over 50 days old (ANAF deletes them at 60), over the verified companies.", nil, nil),
		spvStale: prometheus.NewDesc("efactura_spv_companies_stale",
			"Verified companies that sync automatically and had no successful sync for over 50 days (never: since added): messages may already be lost.", nil, nil),
	}
	m.stores = append(m.stores, c)
	m.reg.MustRegister(c)
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tokenDays
	ch <- c.reconnect
	ch <- c.connections
	ch <- c.backup
	ch <- c.quota
	ch <- c.syncAge
	ch <- c.connDays
	ch <- c.uploadAge
	ch <- c.pastDeadline
	ch <- c.spvAtRisk
	ch <- c.spvStale
}

// opsFigures reads the alert figures, at most once per OpsEvery; a
// failing query omits its series (and logs).
func (c *storeCollector) opsFigures(ctx context.Context, now time.Time, fail func(string, error)) []prometheus.Metric {
	c.opsMu.Lock()
	defer c.opsMu.Unlock()
	if c.ops != nil && now.Sub(c.opsAt) < OpsEvery {
		return c.ops
	}
	out := []prometheus.Metric{}
	if age, n, err := c.st.OldestSyncSuccess(ctx, now); err != nil {
		fail("sync age", err)
	} else if n > 0 {
		out = append(out, prometheus.MustNewConstMetric(c.syncAge, prometheus.GaugeValue, age.Seconds()))
	}
	if end, err := c.st.EarliestANAFConnectionEnd(ctx); err != nil {
		fail("ANAF connection end", err)
	} else if end != nil {
		out = append(out, prometheus.MustNewConstMetric(c.connDays, prometheus.GaugeValue, end.Sub(now).Hours()/24))
	}
	if ages, err := c.st.OldestUnfinishedUploads(ctx, now); err != nil {
		fail("unfinished uploads", err)
	} else {
		for _, st := range store.UnfinishedUploadStates {
			out = append(out, prometheus.MustNewConstMetric(c.uploadAge, prometheus.GaugeValue, ages[st].Seconds(), st))
		}
	}
	if n, err := c.st.PastDeadlineUploads(ctx, now); err != nil {
		fail("uploads past deadline", err)
	} else {
		out = append(out, prometheus.MustNewConstMetric(c.pastDeadline, prometheus.GaugeValue, float64(n)))
	}
	if msgs, stale, err := c.st.SPVAtRisk(ctx, now); err != nil {
		fail("SPV messages at risk", err)
	} else {
		out = append(out, prometheus.MustNewConstMetric(c.spvAtRisk, prometheus.GaugeValue, float64(msgs)),
			prometheus.MustNewConstMetric(c.spvStale, prometheus.GaugeValue, float64(stale)))
	}
	c.ops, c.opsAt = out, now
	return out
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	fail := func(what string, err error) {
		c.log.Warn("metrics: reading "+what, slog.String("error", err.Error()))
	}
	now := time.Now()
	for _, m := range c.opsFigures(ctx, now, fail) {
		ch <- m
	}
	if t, err := c.st.NearestTokenExpiry(ctx); err != nil {
		fail("token expiry", err)
	} else if t != nil {
		ch <- prometheus.MustNewConstMetric(c.tokenDays, prometheus.GaugeValue, t.Sub(now).Hours()/24)
	}
	if n, err := c.st.ReconnectNeeded(ctx); err != nil {
		fail("reconnects", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.reconnect, prometheus.GaugeValue, float64(n))
	}
	if counts, err := c.st.ANAFConnectionCounts(ctx, now); err != nil {
		fail("connection states", err)
	} else {
		for state, n := range counts {
			ch <- prometheus.MustNewConstMetric(c.connections, prometheus.GaugeValue, float64(n), state)
		}
	}
	if t, err := c.st.LastBackupAt(ctx); err != nil {
		fail("last backup", err)
	} else if t != nil {
		ch <- prometheus.MustNewConstMetric(c.backup, prometheus.GaugeValue, float64(t.UnixNano())/1e9)
	}
	minute := now.UTC().Truncate(time.Minute)
	if used, err := c.st.QuotaUsed(ctx, string(anaf.QuotaRate), minute); err != nil {
		fail("quota", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.quota, prometheus.GaugeValue, float64(c.quotaLimitPerMinute-used), string(anaf.QuotaRate))
	}
	l := now.In(tz.Bucharest())
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, l.Location()).UTC()
	if used, err := c.st.QuotaMaxUsed(ctx, string(anaf.QuotaList)+"|", day); err != nil {
		fail("quota", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.quota, prometheus.GaugeValue, float64(c.quotaLimitDaily-used), string(anaf.QuotaList))
	}
}

// ---- who may read /metrics on the main listener

// Guard lets loopback clients and holders of "Authorization: Bearer token"
// (token non-empty) through to next; anyone else gets 404, as if /metrics
// did not exist. The peer address is the connection's (X-Forwarded-For is
// ignored: a proxy on the same host would otherwise make everyone local).
func Guard(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && bearerMatches(r.Header.Get("Authorization"), token) {
			next.ServeHTTP(w, r)
			return
		}
		if len(r.Header.Values("X-Forwarded-For")) == 0 && isLoopback(r.RemoteAddr) {
			next.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
}

func isLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func bearerMatches(header, token string) bool {
	const prefix = "Bearer "
	if len(header) <= len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(header[len(prefix):]))
	want := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
