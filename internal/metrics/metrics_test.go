package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

// copiedKey marks the request copy a middleware makes.
type copiedKey struct{}

func TestHTTPSeriesUseRoutePatterns(t *testing.T) {
	t.Parallel()
	m := New(prometheus.NewRegistry())
	inner := http.NewServeMux()
	inner.Handle("GET /api/v1/invoices/{id}", Routed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})))
	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	// A nested mux behind a middleware that copies the request, like the API's.
	root.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copiedKey{}, 1)))
	}))
	h := m.Middleware(root)
	for _, p := range []string{"/healthz", "/healthz", "/api/v1/invoices/41", "/api/v1/invoices/42", "/nothing"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	out := scrape(t, m)
	require.Contains(t, out, `efactura_http_requests_total{method="GET",route="GET /healthz",status="200"} 2`)
	require.Contains(t, out, `efactura_http_requests_total{method="GET",route="GET /api/v1/invoices/{id}",status="418"} 2`)
	require.Contains(t, out, `efactura_http_requests_total{method="GET",route="unmatched",status="404"} 1`)
	require.Contains(t, out, `efactura_http_request_duration_seconds_bucket{method="GET",route="GET /healthz",le="+Inf"} 2`)
	require.NotContains(t, out, "/api/v1/invoices/41", "paths never become labels")
	require.Contains(t, out, "efactura_build_info{")
}

func TestObserversCountANAFJobsAndSync(t *testing.T) {
	t.Parallel()
	m := New(nil)
	m.ObserveANAF(anaf.CallInfo{Endpoint: "descarcare", Outcome: "ok", HTTPStatus: 200, Duration: 300 * time.Millisecond})
	m.ObserveANAF(anaf.CallInfo{Endpoint: "descarcare", Outcome: "quota exceeded", Local: true})
	m.ObserveJob("sync_company", "snoozed", time.Second)
	m.ObserveSyncRun("ok", 3)
	m.ObserveSyncRun("failed", 0)
	m.ObserveRelist("12345674", 2)
	m.ObserveRelist("98765438", 0)
	out := scrape(t, m)
	for _, want := range []string{
		`efactura_anaf_calls_total{endpoint="descarcare",outcome="ok"} 1`,
		`efactura_anaf_calls_total{endpoint="descarcare",outcome="local quota exceeded"} 1`,
		`efactura_anaf_call_duration_seconds_count{endpoint="descarcare"} 1`,
		`efactura_jobs_total{kind="sync_company",outcome="snoozed"} 1`,
		`efactura_sync_runs_total{status="ok"} 1`,
		`efactura_sync_runs_total{status="failed"} 1`,
		`efactura_invoices_archived_total 3`,
		`efactura_sync_relists_total 2`,
		`efactura_sync_late_messages_total 2`,
	} {
		require.Contains(t, out, want)
	}
}

func TestStoreAndPoolFigures(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	m := New(nil)
	m.RegisterDB(st.DB())
	m.RegisterStore(st, nil)

	out := scrape(t, m)
	require.Contains(t, out, `efactura_db_connections{state="max"}`)
	require.Contains(t, out, `efactura_anaf_quota_remaining{quota="rate"} 1000`)
	require.NotContains(t, out, "efactura_anaf_token_expiry_days ", "no connection, no series")
	require.NotContains(t, out, "efactura_last_backup_timestamp_seconds ")

	u, err := st.CreateUser(ctx, "ops@example.com", "x", false, "active")
	require.NoError(t, err)
	require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
		ExpiresAt: time.Now().Add(10 * 24 * time.Hour), Status: "connected"}))
	require.NoError(t, st.Audit(ctx, &store.AuditEvent{Action: store.AuditBackup, Target: "backup.db"}))
	_, _, err = st.QuotaTake(ctx, "rate", 1000, time.Now().UTC().Truncate(time.Minute), time.Now().UTC().Truncate(time.Minute).Add(time.Minute))
	require.NoError(t, err)

	out = scrape(t, m)
	require.Contains(t, out, "efactura_anaf_token_expiry_days 9.99")
	require.Contains(t, out, "efactura_last_backup_timestamp_seconds ")
	require.Contains(t, out, `efactura_anaf_quota_remaining{quota="rate"} 999`)
	require.Contains(t, out, "efactura_anaf_reconnect_needed 0")
}

func TestGuard(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "metrics") })
	cases := []struct {
		name, remote, auth, xff, token string
		want                           int
	}{
		{"loopback v4", "127.0.0.1:5000", "", "", "", 200},
		{"loopback v6", "[::1]:5000", "", "", "", 200},
		{"remote without token", "203.0.113.7:5000", "", "", "", 404},
		{"remote, token unset, bearer sent", "203.0.113.7:5000", "Bearer ", "", "", 404},
		{"remote with token", "203.0.113.7:5000", "Bearer s3cret-token", "", "s3cret-token", 200},
		{"remote with wrong token", "203.0.113.7:5000", "Bearer nope", "", "s3cret-token", 404},
		{"proxied through a local proxy", "127.0.0.1:5000", "", "203.0.113.7", "", 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.RemoteAddr = c.remote
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			rec := httptest.NewRecorder()
			Guard(c.token, ok).ServeHTTP(rec, r)
			require.Equal(t, c.want, rec.Code)
			if c.want == 404 {
				require.False(t, strings.Contains(rec.Body.String(), "metrics"))
			}
		})
	}
}

// seriesCount counts the efactura_http_* samples a scrape exposes.
func seriesCount(t *testing.T, m *Metrics) int {
	t.Helper()
	n := 0
	for _, l := range strings.Split(scrape(t, m), "\n") {
		if strings.HasPrefix(l, "efactura_http_") {
			n++
		}
	}
	return n
}

// TestMadeUpMethodsAddNoSeries: methods outside the standard set are
// labelled OTHER, so after one request with a made-up method, 100 more
// with random methods (and random paths under a catch-all) add no series.
func TestMadeUpMethodsAddNoSeries(t *testing.T) {
	t.Parallel()
	m := New(prometheus.NewRegistry())
	root := http.NewServeMux()
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	h := m.Middleware(root)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("FIRSTMADEUP", "/a", nil))
	before := seriesCount(t, m)
	for i := range 100 {
		req := httptest.NewRequest(fmt.Sprintf("M%dX%d", i, rand.IntN(1e6)), fmt.Sprintf("/p%d/%d", i, rand.IntN(1e6)), nil)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	require.Equal(t, before, seriesCount(t, m))
	require.Contains(t, scrape(t, m), `efactura_http_requests_total{method="OTHER",route="/",status="404"} 101`)
	for _, std := range []string{"GET", "PATCH", "OPTIONS"} {
		require.Equal(t, std, MethodLabel(std))
	}
	require.Equal(t, "OTHER", MethodLabel("get"), "methods are case-sensitive")
}

// TestDependencyUp: efactura_dependency_up is 1 for a passing check and 0
// for a failing one, at scrape time; a second registration replaces the checks.
func TestDependencyUp(t *testing.T) {
	t.Parallel()
	m := New(nil)
	down := errors.New("down")
	m.RegisterChecks(map[string]func(context.Context) error{
		"database": func(context.Context) error { return nil },
		"redis":    func(context.Context) error { return down },
	})
	out := scrape(t, m)
	require.Contains(t, out, `efactura_dependency_up{dependency="database"} 1`)
	require.Contains(t, out, `efactura_dependency_up{dependency="redis"} 0`)
	m.RegisterChecks(map[string]func(context.Context) error{"redis": func(context.Context) error { return nil }})
	out = scrape(t, m)
	require.Contains(t, out, `efactura_dependency_up{dependency="redis"} 1`)
	require.NotContains(t, out, `dependency="database"`)
}

// TestANAFConnectionStates: efactura_anaf_connections{state} counts the
// users' ANAF connections by product state, every state present.
func TestANAFConnectionStates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		m := New(nil)
		m.RegisterStore(st, nil)
		out := scrape(t, m)
		for _, s := range []string{"connected", "refresh_failed", "needs_attention", "reconnect_needed", "key_missing"} {
			require.Contains(t, out, `efactura_anaf_connections{state="`+s+`"} 0`)
		}
		rows := []struct {
			status  string
			expires time.Duration
		}{
			{store.ANAFConnected, 24 * time.Hour},
			{store.ANAFConnected, 48 * time.Hour},
			{store.ANAFConnected, -time.Hour}, // expired: the refresh did not get through
			{store.ANAFNeedsAttention, 24 * time.Hour},
			{store.ANAFReconnectNeeded, -time.Hour},
		}
		for i, r := range rows {
			u, err := st.CreateUser(ctx, fmt.Sprintf("u%d@example.com", i), "x", false, "active")
			require.NoError(t, err)
			require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
				ExpiresAt: time.Now().Add(r.expires), Status: r.status}))
		}
		out = scrape(t, m)
		require.Contains(t, out, `efactura_anaf_connections{state="connected"} 2`)
		require.Contains(t, out, `efactura_anaf_connections{state="refresh_failed"} 1`)
		require.Contains(t, out, `efactura_anaf_connections{state="needs_attention"} 1`)
		require.Contains(t, out, `efactura_anaf_connections{state="reconnect_needed"} 1`)
		require.Contains(t, out, `efactura_anaf_connections{state="key_missing"} 0`)
	})
}
