package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/ratelimit"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestVATPaceSharedAcrossReplicas: two gateway processes (each with its
// own ratelimit.Open of one Redis and its own in-process limiter) asking ANAF's VAT-payer service at once keep ANAF's
// one request a second between them, not one each (a session found the
// pace per process: the Redis limiter was opened after the checkers).
func TestVATPaceSharedAcrossReplicas(t *testing.T) {
	redisURL := os.Getenv("EFACTURA_TEST_REDIS_URL")
	if redisURL == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("EFACTURA_TEST_REDIS_URL must be set in CI")
		}
		t.Skip("EFACTURA_TEST_REDIS_URL is not set")
	}
	var (
		mu sync.Mutex
		at []time.Time
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q []struct {
			CUI json.Number `json:"cui"`
		}
		_ = json.NewDecoder(r.Body).Decode(&q)
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		nf := []json.Number{}
		for _, x := range q {
			nf = append(nf, x.CUI)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound) // ANAF's "none found"
		_ = json.NewEncoder(w).Encode(map[string]any{"found": []any{}, "notFound": nf})
	}))
	t.Cleanup(srv.Close)
	t.Setenv(EnvVATURL, srv.URL+anaf.VATPath)
	// Replica A is an Env as Serve builds it; replica B stands for another
	// process: its own in-process limiter, the same Redis and bucket. The
	// pace's key is the product's: a concurrent run of this test sharing
	// the Redis only waits longer, like a third replica.
	const perReplica = 3
	var wg sync.WaitGroup
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "efactura.db"), store.PoolConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(t.Context()))
	open := func() ratelimit.Limiter {
		l, _, closeFn, err := ratelimit.Open(redisURL, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = closeFn() })
		return l
	}
	e := &Env{Store: st}
	e.ShareVATPace(open())
	a := e.RiskChecker()
	b := anaf.New(anaf.Config{VATURL: srv.URL + anaf.VATPath,
		VATLimiter: ratelimit.NewPacer(open(), VATPaceBucket, time.Second, anaf.NewVATLimiter())})
	for i := range perReplica {
		wg.Go(func() {
			_, found, err := a.Taxpayer(t.Context(), fmt.Sprintf("100%d", i+1), "2026-01-10")
			require.NoError(t, err)
			require.False(t, found)
		})
		wg.Go(func() {
			_, err := b.LookupVAT(t.Context(), []anaf.VATQuery{{CUI: fmt.Sprintf("200%d", i+1), Date: "2026-01-10"}})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Len(t, at, 2*perReplica)
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	for i := 1; i < len(at); i++ {
		require.GreaterOrEqual(t, at[i].Sub(at[i-1]), 900*time.Millisecond, "requests %d and %d reached ANAF %s apart", i-1, i, at[i].Sub(at[i-1]))
	}
}
