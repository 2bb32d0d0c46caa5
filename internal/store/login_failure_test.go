package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	limits := store.LoginFailureLimits{PerAccountIP: 2, PerIP: 3, PerAccount: 4}

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		blocks := func(account, ip string, since time.Time) store.LoginFailureBlocks {
			t.Helper()
			b, err := st.LoginFailureBlocks(ctx, account, ip, since, limits)
			require.NoError(t, err)
			return b
		}
		fail := func(account, ip string, at time.Time) {
			t.Helper()
			require.NoError(t, st.RecordLoginFailure(ctx, account, ip, at))
		}

		require.Zero(t, blocks("a", "1.1.1.1", t0), "empty table")
		fail("a", "1.1.1.1", t0)
		require.Zero(t, blocks("a", "1.1.1.1", t0))
		fail("a", "1.1.1.1", t0.Add(time.Minute))
		b := blocks("a", "1.1.1.1", t0)
		require.Equal(t, t0, b.AccountIP, "the 2nd newest of (a, 1.1.1.1) is the oldest counted")
		require.Zero(t, b.IP)
		require.Zero(t, b.Account)
		require.Zero(t, blocks("a", "1.1.1.1", t0.Add(time.Second)).AccountIP, "older failures leave the window")
		require.Zero(t, blocks("a", "2.2.2.2", t0).AccountIP, "another address of the account is free")

		fail("b", "1.1.1.1", t0.Add(2*time.Minute))
		b = blocks("c", "1.1.1.1", t0)
		require.Equal(t, t0, b.IP, "3 failures from 1.1.1.1, any account")
		require.Zero(t, b.AccountIP)

		fail("a", "3.3.3.3", t0.Add(3*time.Minute))
		fail("a", "4.4.4.4", t0.Add(4*time.Minute))
		b = blocks("a", "5.5.5.5", t0)
		require.Equal(t, t0, b.Account, "4 failures of a from any address")
		require.Zero(t, b.AccountIP)
		require.Zero(t, b.IP)

		none, err := st.LoginFailureBlocks(ctx, "a", "1.1.1.1", t0, store.LoginFailureLimits{})
		require.NoError(t, err)
		require.Zero(t, none, "zero limits never block")

		require.NoError(t, st.ClearLoginFailures(ctx, "a", "1.1.1.1"))
		b = blocks("a", "1.1.1.1", t0)
		require.Zero(t, b.AccountIP, "a good login clears its own address")
		require.Zero(t, b.IP)
		require.Zero(t, b.Account, "…and only that: 2 failures of a from elsewhere remain")
		n, err := st.CountLoginFailures(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 3, n)

		pruned, err := st.PruneLoginFailures(ctx, t0.Add(3*time.Minute+time.Second))
		require.NoError(t, err)
		require.EqualValues(t, 2, pruned)
		n, err = st.CountLoginFailures(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
	})
}
