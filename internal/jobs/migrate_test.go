package jobs_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestMigrateConcurrentSQLite: River's schema migrated at the same moment
// by four processes' stores on one SQLite file (serve and a CLI command
// started together) is applied once, and every one of them succeeds —
// before the cross-process lock the losers failed with "table
// river_notification already exists".
func TestMigrateConcurrentSQLite(t *testing.T) {
	t.Parallel()
	first, url := storetest.Fresh(t, store.SQLite)
	require.NoError(t, first.Migrate(t.Context()))
	stores := []*store.Store{first}
	for range 3 {
		st, err := store.Open(context.Background(), url, store.PoolConfig{MaxConns: 4})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		stores = append(stores, st)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, st := range stores {
		wg.Go(func() { errs[i] = jobs.Migrate(t.Context(), st, nil) })
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "store %d", i)
	}
	require.NoError(t, jobs.Migrate(t.Context(), first, nil), "again: nothing to apply")
}
