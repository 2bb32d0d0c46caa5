package metrics

import (
	"context"
	"fmt"
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

// labelValues gathers reg: every series (family and labels) and, per
// family and label name, the set of values seen.
func labelValues(t *testing.T, reg *prometheus.Registry) (series map[string]bool, values map[string]map[string]bool) {
	t.Helper()
	fams, err := reg.Gather()
	require.NoError(t, err)
	series, values = map[string]bool{}, map[string]map[string]bool{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			var b strings.Builder
			b.WriteString(f.GetName())
			for _, lp := range m.GetLabel() {
				key := f.GetName() + "." + lp.GetName()
				if values[key] == nil {
					values[key] = map[string]bool{}
				}
				values[key][lp.GetValue()] = true
				fmt.Fprintf(&b, ",%s=%q", lp.GetName(), lp.GetValue())
			}
			series[b.String()] = true
		}
	}
	return series, values
}

// TestEveryLabelIsBounded drives every series of the gateway — HTTP
// (routes with wildcards, unknown paths, made-up methods, every status,
// clients that go away), ANAF calls (every endpoint and error kind, local
// refusals), jobs, sync runs and re-lists (many companies), the store's
// figures (many companies, users and uploads) — twice, each round with
// fresh random paths, CIFs, users and error texts (all carrying a marker).
// The second round adds no series, no label value carries the marker, and
// each label has few values.
func TestEveryLabelIsBounded(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := t.Context()
	m := New(prometheus.NewRegistry())
	m.RegisterDB(st.DB())
	m.RegisterStore(st, nil)
	m.RegisterChecks(map[string]func(context.Context) error{
		"database": func(context.Context) error { return nil },
		"redis":    func(context.Context) error { return fmt.Errorf("zqmark %d", rand.IntN(1e9)) },
	})
	inner := http.NewServeMux()
	inner.Handle("GET /api/v1/companies/{id}/invoices/{inv}", Routed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.PathValue("inv"), "7") || r.Context().Err() != nil {
			http.Error(w, "zqmark failure "+r.PathValue("inv"), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})))
	root := http.NewServeMux()
	root.Handle("/api/", inner)
	root.HandleFunc("GET /invoices/{id}", func(w http.ResponseWriter, r *http.Request) {
		code := []int{200, 400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 502, 503}[rand.IntN(13)]
		w.WriteHeader(code)
	})
	h := m.Middleware(root)

	kinds := []anaf.ErrorKind{}
	for k := range anaf.ErrorKind(32) {
		if !strings.HasPrefix(k.String(), "kind(") {
			kinds = append(kinds, k)
		}
	}
	round := func(r int) {
		for i := range 300 {
			id := fmt.Sprintf("zqmark%d-%d", r, rand.IntN(1e9))
			method := []string{"GET", "POST", "DELETE", "ZQMARK" + id, "get"}[i%5]
			path := []string{"/api/v1/companies/" + id + "/invoices/" + fmt.Sprint(i),
				"/invoices/" + id, "/" + id, "/api/" + id, "/static/" + id + "/" + strings.Repeat("x", i)}[i%5]
			req := httptest.NewRequest(method, path, nil)
			if i%7 == 0 { // the client went away
				cctx, cancel := context.WithCancel(req.Context())
				cancel()
				req = req.WithContext(cctx)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)

			cif := fmt.Sprint(rand.IntN(1e9))
			k := kinds[i%len(kinds)]
			m.ObserveANAF(anaf.CallInfo{Endpoint: []string{"listaMesajeFactura", "descarcare", "upload", "stareMesaj", "token"}[i%5],
				Outcome: k.String(), Kind: k, Local: i%3 == 0, Duration: time.Millisecond})
			m.ObserveJob([]string{"sync_step", "sync_schedule", "token_refresh", "upload"}[i%4],
				[]string{"ok", "snoozed", "cancelled", "error"}[i%4], time.Millisecond)
			m.ObserveSyncRun(SyncStatuses[i%len(SyncStatuses)], i%3)
			m.ObserveRelist(cif, i%2)
		}
		// Companies, users, connections and uploads in the database.
		for i := range 20 {
			c, err := st.CreateCompany(ctx, fmt.Sprint(r*1000+i+10), "zqmark company "+fmt.Sprint(i))
			require.NoError(t, err)
			u, err := st.CreateUser(ctx, fmt.Sprintf("zqmark%d-%d@example.ro", r, i), "h", false, "approved")
			require.NoError(t, err)
			exp := time.Now().Add(time.Duration(i) * 24 * time.Hour)
			require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
				ExpiresAt: exp, RefreshExpiresAt: &exp, Status: []string{"connected", "reconnect_needed", "needs_attention"}[i%3], UpdatedAt: time.Now()}))
			require.NoError(t, st.CreateUpload(ctx, &store.Upload{CompanyID: c.ID, SellerCIF: c.CIF, InvoiceNumber: "zqmark" + fmt.Sprint(i),
				IssueDate: time.Now().AddDate(0, 0, -i).Format(time.DateOnly), State: []string{"sending", "pending", "nok", "unknown", "invalid"}[i%5],
				DocSHA256: []byte{1}}))
		}
		m.storeOpsReset()
	}
	round(1)
	first, _ := labelValues(t, m.Registry())
	round(2)
	second, values := labelValues(t, m.Registry())
	for s := range second {
		require.True(t, first[s], "a new series in the second round: %s", s)
	}
	require.Len(t, second, len(first))
	for key, vals := range values {
		require.LessOrEqual(t, len(vals), 40, "label %s has %d values", key, len(vals))
		for v := range vals {
			require.NotContains(t, strings.ToLower(v), "zqmark", "label %s carries input: %q", key, v)
		}
	}
	_, ok := values["efactura_http_requests_total.status"]["499"]
	require.True(t, ok, "clients gone: 499")
	t.Logf("%d series, %d labels", len(second), len(values))
}

// storeOpsReset drops the cached alert figures (tests).
func (m *Metrics) storeOpsReset() {
	for _, c := range m.stores {
		c.opsMu.Lock()
		c.ops = nil
		c.opsMu.Unlock()
	}
}

// TestRuntimeProcessAndZeroCounters: go_* and process_* series, and every
// sync status at 0 before any run (the first failure is an increase).
func TestRuntimeProcessAndZeroCounters(t *testing.T) {
	t.Parallel()
	out := scrape(t, New(nil))
	for _, s := range []string{"go_goroutines ", "go_memstats_heap_alloc_bytes ", "process_resident_memory_bytes ",
		"process_cpu_seconds_total ", "process_open_fds ", `efactura_sync_runs_total{status="failed"} 0`,
		`efactura_sync_runs_total{status="ok"} 0`} {
		require.Contains(t, out, s)
	}
}

// TestClientGoneIsNot5xx: a request whose client went away while the
// handler failed is counted with status 499, never 500.
func TestClientGoneIsNot5xx(t *testing.T) {
	t.Parallel()
	m := New(nil)
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "context canceled", http.StatusInternalServerError)
	}))
	req := httptest.NewRequest("GET", "/x", nil)
	cctx, cancel := context.WithCancel(req.Context())
	cancel()
	h.ServeHTTP(httptest.NewRecorder(), req.WithContext(cctx))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	out := scrape(t, m)
	require.Contains(t, out, `efactura_http_requests_total{method="GET",route="unmatched",status="499"} 1`)
	require.Contains(t, out, `efactura_http_requests_total{method="GET",route="unmatched",status="500"} 1`)
}

// TestOpsFigures: the alerts' figures from the store, cached for OpsEvery.
func TestOpsFigures(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := t.Context()
	m := New(nil)
	m.RegisterStore(st, nil)
	out := scrape(t, m)
	require.Contains(t, out, `efactura_upload_oldest_unfinished_seconds{state="sending"} 0`)
	require.Contains(t, out, "efactura_uploads_past_deadline 0")
	require.Contains(t, out, "efactura_spv_messages_at_risk 0")
	require.Contains(t, out, "efactura_spv_companies_stale 0")
	require.NotContains(t, out, "efactura_sync_oldest_success_age_seconds ", "no company, no series")
	require.NotContains(t, out, "efactura_anaf_connection_expiry_days ")

	c, err := st.CreateCompany(ctx, "12345674", "ALFA")
	require.NoError(t, err)
	_, err = st.DB().ExecContext(ctx, `UPDATE companies SET status = 'verified' WHERE id = $1`, c.ID)
	require.NoError(t, err)
	u, err := st.CreateUser(ctx, "ops@example.com", "x", false, "active")
	require.NoError(t, err)
	exp := time.Now().Add(10 * 24 * time.Hour)
	require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
		ExpiresAt: time.Now().Add(time.Hour), RefreshExpiresAt: &exp, Status: "connected", UpdatedAt: time.Now()}))
	require.NotContains(t, scrape(t, m), "efactura_anaf_connection_expiry_days ", "cached")
	m.storeOpsReset()
	out = scrape(t, m)
	require.Contains(t, out, "efactura_anaf_connection_expiry_days 9.99")
	require.Contains(t, out, "efactura_sync_oldest_success_age_seconds ")
}
