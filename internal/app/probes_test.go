package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/api"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestHealthReportsANAFDownAsDegraded(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	down := errors.New("unreachable")
	cases := []struct {
		name       string
		required   error
		anaf       error
		wantCode   int
		wantStatus string
	}{
		{"all healthy", nil, nil, 200, "healthy"},
		{"ANAF down", nil, down, 200, "degraded"},
		{"required down", down, nil, 503, "unhealthy"},
		{"both down", down, down, 503, "unhealthy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := api.New(api.Deps{Gateway: &gateway.Service{Store: st},
				Checks:     map[string]func(context.Context) error{"redis": func(context.Context) error { return c.required }},
				Degradable: map[string]func(context.Context) error{"anaf": func(context.Context) error { return c.anaf }},
			})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/health", nil))
			require.Equal(t, c.wantCode, rec.Code)
			var body struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			require.Equal(t, c.wantStatus, body.Status)
			require.Equal(t, "healthy", body.Checks["database"])
			if c.anaf != nil {
				require.Equal(t, "degraded", body.Checks["anaf"])
			}
		})
	}
}

func TestCachedProbeCallsOncePerTTL(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	p := &cachedProbe{ttl: time.Hour, check: func(context.Context) error { calls.Add(1); return errors.New("down") }}
	for range 5 {
		require.Error(t, p.Check(context.Background()))
	}
	require.EqualValues(t, 1, calls.Load())
}

func TestANAFReachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler()) // any answer counts
	require.NoError(t, anafReachable(srv.URL, nil)(context.Background()))
	srv.Close()
	require.Error(t, anafReachable(srv.URL, nil)(context.Background()))
}

func TestReadyzNamesFailingDependencies(t *testing.T) {
	t.Parallel()
	ok := func(context.Context) error { return nil }
	bad := func(context.Context) error { return errors.New("no") }
	rec := httptest.NewRecorder()
	readyHandler(map[string]check{"database": ok, "jobs": ok}).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	require.Equal(t, 200, rec.Code)
	rec = httptest.NewRecorder()
	readyHandler(map[string]check{"database": ok, "redis": bad, "jobs": bad}).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	require.Equal(t, 503, rec.Code)
	require.Equal(t, "unavailable: jobs, redis\n", rec.Body.String())
}

// TestExhaustedPoolAnswers503 holds the only connection of a one-connection
// pool: a request waits DBWait (here 300 ms), then gets 503, never hangs;
// once the connection is back, requests pass again.
func TestExhaustedPoolAnswers503(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			_, url := storetest.Fresh(t, d)
			st, err := store.Open(context.Background(), url, store.PoolConfig{MaxConns: 1})
			require.NoError(t, err)
			defer st.Close()
			if d == store.SQLite {
				st.DB().SetMaxOpenConns(1) // SQLite's pool ignores PoolConfig
			}
			h := dbGate(st, 300*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.NoError(t, st.Ping(r.Context()))
				w.WriteHeader(http.StatusNoContent)
			}))
			conn, err := st.DB().Conn(context.Background())
			require.NoError(t, err)
			for _, path := range []string{"/api/v1/invoices", "/"} {
				start := time.Now()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				require.Equal(t, http.StatusServiceUnavailable, rec.Code)
				require.Equal(t, "5", rec.Header().Get("Retry-After"))
				require.Less(t, time.Since(start), 3*time.Second)
				require.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond)
				if path == "/api/v1/invoices" {
					require.JSONEq(t, `{"error":"Service Unavailable","message":"Every database connection is busy; try again shortly.","code":"SERVICE_UNAVAILABLE"}`, rec.Body.String())
				}
			}
			require.NoError(t, conn.Close())
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			require.Equal(t, http.StatusNoContent, rec.Code)
		})
	}
}

// TestLocalWriteDirs: the SQLite database's directory, the log file's and
// the temp dir, each once; never anything for a PostgreSQL database.
func TestLocalWriteDirs(t *testing.T) {
	t.Parallel()
	tmp := os.TempDir()
	require.Equal(t, []string{tmp}, localWriteDirs("postgres://u@db.example/efactura", ""))
	require.Equal(t, []string{"/var/lib/efactura", "/var/log/efactura", tmp},
		localWriteDirs("sqlite:/var/lib/efactura/efactura.db", "/var/log/efactura/gw.log"))
	require.Equal(t, []string{tmp}, localWriteDirs("sqlite:"+filepath.Join(tmp, "e.db"), filepath.Join(tmp, "gw.log")))
}

// TestDiskWritable: a writable directory passes and keeps no probe file;
// a missing one fails naming it; the state change is logged once.
func TestDiskWritable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	require.NoError(t, diskWritable([]string{dir}, logger)(context.Background()))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "the probe file is removed")

	gone := filepath.Join(dir, "gone")
	c := diskWritable([]string{dir, gone}, logger)
	for range 3 {
		err := c(context.Background())
		require.ErrorContains(t, err, gone)
	}
	require.Equal(t, 1, strings.Count(logs.String(), "local disk not writable"))
	require.NoError(t, os.Mkdir(gone, 0o700))
	require.NoError(t, c(context.Background()))
	require.Equal(t, 1, strings.Count(logs.String(), "local disk writable again"))
}
