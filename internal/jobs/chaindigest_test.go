package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/chain"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestSyncChainsAndDigests: a real sync (with faults, so batches are
// retried) chains every archived ZIP of each company once, in order; the
// periodic archive_digest job is scheduled by the leader, and its work
// records each chain's head as today's digest.
func TestSyncChainsAndDigests(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		e := newEnv(t, st, 12, func(o *anafsim.Options) {
			o.FaultRate, o.Seed, o.NoQuotas = 0.2, 7, true
		})
		require.NoError(t, jobs.Migrate(ctx, st, nil))
		r, err := jobs.New(jobs.Options{Store: st, Engine: e.engine(st), Logger: slog.New(slog.DiscardHandler),
			StepDuration: 150 * time.Millisecond, Schedule: true})
		require.NoError(t, err)
		require.NoError(t, r.Start(ctx))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.Stop(ctx)
		})
		syncAll(t, e, r)
		requireArchiveMatches(t, e)

		require.NoError(t, r.DigestOnce(ctx))
		for _, c := range e.cos {
			n, err := st.CountInvoices(ctx, c.ID)
			require.NoError(t, err)
			entries, err := st.ChainEntries(ctx, c.ID, 0, 10000)
			require.NoError(t, err)
			require.Len(t, entries, n, "one entry per archived ZIP")
			check := chain.Checker{CompanyID: c.ID}
			for _, en := range entries {
				require.Nil(t, check.Add(en))
			}
			ds, err := st.ChainDigests(ctx, c.ID)
			require.NoError(t, err)
			if n > 0 {
				require.Len(t, ds, 1)
				require.Equal(t, time.Now().UTC().Format(time.DateOnly), ds[0].Day)
				require.Equal(t, entries[n-1].EntryHash, ds[0].EntryHash)
			}
		}
		// The periodic job is inserted (on start) by the elected leader.
		require.Eventually(t, func() bool {
			var k int
			_ = st.DB().QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'archive_digest'`).Scan(&k)
			return k > 0
		}, 60*time.Second, 100*time.Millisecond)
	})
}
