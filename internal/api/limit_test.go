package api

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/ratelimit"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// do serves one GET from a client address with optional headers.
func do(h http.Handler, remote, target string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RemoteAddr = remote
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestRateLimits proves the limits of PRODUCT.md §4/§9 on one instance:
// per key, per IP without a key, wrong keys counted per IP, the headers,
// the 429 body and Retry-After, X-Forwarded-For believed only from
// trusted proxies.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	_, proxies, err := net.ParseCIDR("10.0.0.0/8")
	require.NoError(t, err)
	newAPI := func() http.Handler {
		return New(Deps{Gateway: gw(f.st), Limiter: ratelimit.NewMemory(nil), KeyPerMin: 3, IPPerMin: 2,
			TrustedProxies: []*net.IPNet{proxies}})
	}

	t.Run("PerKey", func(t *testing.T) {
		t.Parallel()
		h := newAPI()
		for i := range 3 {
			rec := do(h, "192.0.2.1:1000", "/api/v1/invoices", "X-API-KEY", f.keyA)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, "3", rec.Header().Get("X-RateLimit-Limit"))
			require.Equal(t, strconv.Itoa(2-i), rec.Header().Get("X-RateLimit-Remaining"))
			reset, err := strconv.ParseInt(rec.Header().Get("X-RateLimit-Reset"), 10, 64)
			require.NoError(t, err)
			require.InDelta(t, time.Now().Unix(), reset, 70, "Unix seconds within the minute")
			require.Empty(t, rec.Header().Get("Retry-After"))
		}
		// The same key from another IP shares the key's budget.
		rec := do(h, "192.0.2.99:1000", "/api/v1/invoices", "Authorization", "Bearer "+f.keyA)
		requireError(t, rec, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		retry, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		require.NoError(t, err)
		require.InDelta(t, 20, retry, 1, "one interval of 60s/3")
		require.Equal(t, "0", rec.Header().Get("X-RateLimit-Remaining"))
		// B's key has its own budget.
		require.Equal(t, http.StatusOK, do(h, "192.0.2.1:1000", "/api/v1/invoices", "X-API-KEY", f.keyB).Code)
	})

	t.Run("PerIPWithoutKey", func(t *testing.T) {
		t.Parallel()
		h := newAPI()
		require.Equal(t, http.StatusOK, do(h, "192.0.2.2:1", "/api/v1/health").Code)
		// A wrong key counts against the IP too: guessing keys is limited.
		requireError(t, do(h, "192.0.2.2:2", "/api/v1/invoices", "X-API-KEY", "efk_A"), http.StatusUnauthorized, "INVALID_API_KEY_FORMAT")
		rec := do(h, "192.0.2.2:3", "/api/v1/health")
		requireError(t, rec, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
		require.Equal(t, "2", rec.Header().Get("X-RateLimit-Limit"))
		// Another IP is not affected; a valid key from the limited IP is not either.
		require.Equal(t, http.StatusOK, do(h, "192.0.2.3:1", "/api/v1/health").Code)
		require.Equal(t, http.StatusOK, do(h, "192.0.2.2:4", "/api/v1/invoices", "X-API-KEY", f.keyA).Code)
	})

	t.Run("TrustedProxiesOnly", func(t *testing.T) {
		t.Parallel()
		h := newAPI()
		// Behind the trusted proxy each client has its own budget.
		for _, client := range []string{"198.51.100.1", "198.51.100.2"} {
			for range 2 {
				require.Equal(t, http.StatusOK, do(h, "10.1.1.1:80", "/api/v1/health", "X-Forwarded-For", client).Code)
			}
		}
		require.Equal(t, http.StatusTooManyRequests, do(h, "10.1.1.1:80", "/api/v1/health", "X-Forwarded-For", "198.51.100.1").Code)
		// An untrusted peer cannot pick a fresh budget by forging X-Forwarded-For.
		for i := range 3 {
			rec := do(h, "203.0.113.5:80", "/api/v1/health", "X-Forwarded-For", "198.51.100."+strconv.Itoa(50+i))
			if i < 2 {
				require.Equal(t, http.StatusOK, rec.Code)
			} else {
				require.Equal(t, http.StatusTooManyRequests, rec.Code)
			}
		}
	})

	t.Run("NoLimiter", func(t *testing.T) {
		t.Parallel()
		rec := f.get(t, "/api/v1/invoices")
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, rec.Header().Get("X-RateLimit-Limit"))
	})
}

// TestRateLimitsSharedThroughRedis proves that two API instances (two
// replicas) with the Redis limiter share one budget per key and per IP.
// It needs EFACTURA_TEST_REDIS_URL (required under CI).
func TestRateLimitsSharedThroughRedis(t *testing.T) {
	t.Parallel()
	u := os.Getenv("EFACTURA_TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("EFACTURA_TEST_REDIS_URL must be set in CI")
		}
		t.Skip("EFACTURA_TEST_REDIS_URL not set: skipping the shared rate-limit test")
	}
	opts, err := redis.ParseURL(u)
	require.NoError(t, err)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "efactura-test:" + hex.EncodeToString(b) + ":"
	f := newFixture(t, storetest.NewSQLite(t))
	replica := func() http.Handler {
		rdb := redis.NewClient(opts) // each replica its own connection pool
		t.Cleanup(func() { _ = rdb.Close() })
		return New(Deps{Gateway: gw(f.st), Limiter: ratelimit.NewRedis(rdb, prefix), KeyPerMin: 4, IPPerMin: 2})
	}
	r1, r2 := replica(), replica()
	for i := range 4 {
		h := []http.Handler{r1, r2}[i%2]
		rec := do(h, "192.0.2.10:1", "/api/v1/invoices", "X-API-KEY", f.keyA)
		require.Equal(t, http.StatusOK, rec.Code, "request %d", i+1)
		require.Equal(t, strconv.Itoa(3-i), rec.Header().Get("X-RateLimit-Remaining"))
	}
	requireError(t, do(r1, "192.0.2.10:1", "/api/v1/invoices", "X-API-KEY", f.keyA), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	requireError(t, do(r2, "192.0.2.10:1", "/api/v1/invoices", "X-API-KEY", f.keyA), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")

	require.Equal(t, http.StatusOK, do(r1, "192.0.2.11:1", "/api/v1/health").Code)
	require.Equal(t, http.StatusOK, do(r2, "192.0.2.11:1", "/api/v1/health").Code)
	rec := do(r1, "192.0.2.11:1", "/api/v1/health")
	requireError(t, rec, http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED")
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
}

// TestScopes: write includes read; a read key cannot start a sync.
func TestScopes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	write := f.newKeyScope(t, f.compA.ID, store.ScopeWrite)
	require.Equal(t, http.StatusOK, f.get(t, "/api/v1/invoices", "X-API-KEY", write).Code, "write includes read")
	require.Equal(t, http.StatusOK, f.get(t, "/api/v1/sync", "X-API-KEY", write).Code)
	req := httptest.NewRequest(http.MethodPost, "/api/v1/sync", nil)
	req.Header.Set("X-API-KEY", f.keyA)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	requireError(t, rec, http.StatusForbidden, "INSUFFICIENT_SCOPE")

	for _, tc := range []struct {
		have, needs string
		ok          bool
	}{
		{store.ScopeRead, store.ScopeRead, true}, {store.ScopeWrite, store.ScopeRead, true},
		{store.ScopeWrite, store.ScopeWrite, true}, {store.ScopeRead, store.ScopeWrite, false},
		{"", store.ScopeRead, false}, {"admin", store.ScopeWrite, false},
	} {
		require.Equal(t, tc.ok, scopeAllows(tc.have, tc.needs), "%s for %s", tc.have, tc.needs)
	}
}
