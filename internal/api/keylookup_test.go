package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/httpserver"
	"github.com/efactura-gateway/efactura/internal/ratelimit"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestKeyLookupDatabaseDown: a key that cannot be looked up because the
// database is closed is 503 SERVICE_UNAVAILABLE with Retry-After (never
// 401 INVALID_API_KEY, which makes clients disable a good key), logged
// with the request id; an unknown key on a live database stays 401.
func TestKeyLookupDatabaseDown(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			st, _ := storetest.Fresh(t, d)
			require.NoError(t, st.Migrate(t.Context()))
			ctx := context.Background()
			c, err := st.CreateCompany(ctx, cifA, "BETA TRADING SRL")
			require.NoError(t, err)
			key, prefix, hash, err := auth.NewAPIKey()
			require.NoError(t, err)
			require.NoError(t, st.CreateAPIKey(ctx, &store.APIKey{CompanyID: c.ID, Name: "t", Prefix: prefix, Hash: hash, Scope: store.ScopeRead}))
			unknown, _, _, err := auth.NewAPIKey()
			require.NoError(t, err)

			var logs strings.Builder
			h := httpserver.RequestID(New(Deps{Gateway: gw(st), Limiter: ratelimit.NewMemory(nil),
				Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
			get := func(key, id string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, "/api/v1/invoices", nil)
				req.Header.Set("X-API-KEY", key)
				req.Header.Set("X-Request-ID", id)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			require.Equal(t, http.StatusOK, get(key, "live-ok").Code)
			requireError(t, get(unknown, "live-unknown"), http.StatusUnauthorized, "INVALID_API_KEY")

			require.NoError(t, st.Close())
			// More than the per-IP budget (60/min): a 503 is not counted against the IP.
			for range 70 {
				require.Equal(t, http.StatusServiceUnavailable, get(key, "db-closed-0").Code)
			}
			for _, k := range []string{key, unknown} {
				rec := get(k, "db-closed-1")
				require.NotContains(t, rec.Body.String(), "sql", "no driver message leaks")
				require.Equal(t, "5", rec.Header().Get("Retry-After"))
				requireError(t, rec, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
			}
			require.Contains(t, logs.String(), "request_id=db-closed-1")
			require.Contains(t, logs.String(), "looking up an API key failed")
		})
	}
}
