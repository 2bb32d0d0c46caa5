package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestWithUserTokenLock: the lock of one user's ANAF token excludes holders
// using other Store handles (other processes) on both dialects, leaves
// other users alone, and on SQLite a crashed holder's row is taken over
// once its lease expired.
func TestWithUserTokenLock(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			first, dbURL := storetest.Fresh(t, d)
			ctx := t.Context()
			require.NoError(t, first.Migrate(ctx))
			second, err := store.Open(ctx, dbURL, store.PoolConfig{MaxConns: 4})
			require.NoError(t, err)
			t.Cleanup(func() { _ = second.Close() })

			var inside, most, done atomic.Int32
			var wg sync.WaitGroup
			for i := range 6 {
				st := first
				if i%2 == 1 {
					st = second
				}
				wg.Go(func() {
					err := st.WithUserTokenLock(ctx, 7, func(*store.Store) error {
						n := inside.Add(1)
						if n > most.Load() {
							most.Store(n)
						}
						time.Sleep(20 * time.Millisecond)
						inside.Add(-1)
						done.Add(1)
						return nil
					})
					require.NoError(t, err)
				})
			}
			wg.Wait()
			require.EqualValues(t, 6, done.Load())
			require.EqualValues(t, 1, most.Load(), "two holders at once")

			// Another user's lock is independent.
			require.NoError(t, first.WithUserTokenLock(ctx, 7, func(*store.Store) error {
				return second.WithUserTokenLock(ctx, 8, func(*store.Store) error { return nil })
			}))

			if d != store.SQLite {
				return
			}
			// A holder that crashed left its row: it blocks until the lease ends.
			_, err = first.DB().ExecContext(ctx, `INSERT INTO anaf_token_locks (user_id, owner, lease_until) VALUES (9, 'crashed', $1)`,
				time.Now().UTC().Add(300*time.Millisecond).Format("2006-01-02T15:04:05.000000Z"))
			require.NoError(t, err)
			start := time.Now()
			require.NoError(t, second.WithUserTokenLock(ctx, 9, func(*store.Store) error { return nil }))
			require.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond)
			var n int
			require.NoError(t, first.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM anaf_token_locks`).Scan(&n))
			require.Zero(t, n, "released")

			// A canceled wait gives up at once.
			_, err = first.DB().ExecContext(ctx, `INSERT INTO anaf_token_locks (user_id, owner, lease_until) VALUES (9, 'live', $1)`,
				time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04:05.000000Z"))
			require.NoError(t, err)
			cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			require.ErrorIs(t, second.WithUserTokenLock(cctx, 9, func(*store.Store) error { return nil }), context.DeadlineExceeded)
		})
	}
}
