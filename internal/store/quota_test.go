package store_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestQuotaTake(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 1, 14, 22, 0, 0, 0, time.UTC) // Bucharest midnight
	next := day.Add(24 * time.Hour)

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()

		t.Run("CountsUpToTheLimit", func(t *testing.T) {
			for i := 1; i <= 3; i++ {
				used, ok, err := st.QuotaTake(ctx, "descarcare|3012345671", 3, day, next)
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, i, used)
			}
			used, ok, err := st.QuotaTake(ctx, "descarcare|3012345671", 3, day, next)
			require.NoError(t, err)
			require.False(t, ok, "the 4th take of a limit of 3 is refused")
			require.Equal(t, 3, used)
			n, err := st.QuotaUsed(ctx, "descarcare|3012345671", day)
			require.NoError(t, err)
			require.Equal(t, 3, n)
		})

		t.Run("KeysAreIndependent", func(t *testing.T) {
			used, ok, err := st.QuotaTake(ctx, "descarcare|3012345672", 3, day, next)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, 1, used)
		})

		t.Run("NextWindowResets", func(t *testing.T) {
			for range 2 {
				_, _, err := st.QuotaTake(ctx, "stareMesaj|1", 2, day, next)
				require.NoError(t, err)
			}
			_, ok, err := st.QuotaTake(ctx, "stareMesaj|1", 2, day, next)
			require.NoError(t, err)
			require.False(t, ok)
			used, ok, err := st.QuotaTake(ctx, "stareMesaj|1", 2, next, next.Add(24*time.Hour))
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, 1, used)
			// A lagging replica still asking for the old window counts
			// into the current one, never resets it.
			used, ok, err = st.QuotaTake(ctx, "stareMesaj|1", 2, day, next)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, 2, used)
			_, ok, err = st.QuotaTake(ctx, "stareMesaj|1", 2, day, next)
			require.NoError(t, err)
			require.False(t, ok)
		})

		t.Run("ZeroLimit", func(t *testing.T) {
			used, ok, err := st.QuotaTake(ctx, "x", 0, day, next)
			require.NoError(t, err)
			require.False(t, ok)
			require.Zero(t, used)
		})

		t.Run("ConcurrentTakesNeverExceedTheLimit", func(t *testing.T) {
			const limit, workers, each = 7, 8, 4
			var granted atomic.Int32
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for range each {
						_, ok, err := st.QuotaTake(ctx, "rate", limit, day, day.Add(time.Minute))
						if err != nil {
							t.Error(err)
							return
						}
						if ok {
							granted.Add(1)
						}
					}
				})
			}
			wg.Wait()
			require.Equal(t, int32(limit), granted.Load())
			n, err := st.QuotaUsed(ctx, "rate", day)
			require.NoError(t, err)
			require.Equal(t, limit, n)
		})

		t.Run("Prune", func(t *testing.T) {
			_, _, err := st.QuotaTake(ctx, "prune|old", 5, day.Add(-24*time.Hour), day)
			require.NoError(t, err)
			_, _, err = st.QuotaTake(ctx, "prune|new", 5, day, next)
			require.NoError(t, err)
			n, err := st.QuotaPrune(ctx, day)
			require.NoError(t, err)
			require.GreaterOrEqual(t, n, int64(1))
			used, err := st.QuotaUsed(ctx, "prune|old", day.Add(-24*time.Hour))
			require.NoError(t, err)
			require.Zero(t, used)
			used, err = st.QuotaUsed(ctx, "prune|new", day)
			require.NoError(t, err)
			require.Equal(t, 1, used)
		})
	})
}
