package anafsync_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestSyncToken(t *testing.T) {
	t.Parallel()

	t.Run("RefreshesExpiringTokenFirst", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			ctx := t.Context()
			b := setup(t, st, options{invoices: 6})
			company := b.company(t, b.busiestCIF(t))
			_, oldAccess, oldRefresh := b.storedToken(t)
			b.setToken(t, oldAccess, oldRefresh, b.clock.Now().Add(time.Hour)) // expires within the margin
			calls := b.sim.Stats().Calls

			res, err := b.engine.SyncCompany(ctx, company.ID, nil)
			require.NoError(t, err)
			require.Positive(t, res.New)
			require.Equal(t, calls["token"]+1, b.sim.Stats().Calls["token"])

			row, access, refresh := b.storedToken(t)
			require.Equal(t, anafsync.StatusConnected, row.Status)
			require.NotEqual(t, oldAccess, access)
			require.NotEqual(t, oldRefresh, refresh)
			require.True(t, row.ExpiresAt.After(b.clock.Now().Add(24*time.Hour)), "new expiry %v", row.ExpiresAt)
			require.NotNil(t, row.LastRefreshAt)
			// Encrypted at rest.
			require.False(t, bytes.Contains(row.AccessTokenEnc, []byte(access)))
			require.False(t, bytes.Contains(row.RefreshTokenEnc, []byte(refresh)))
			// ANAF (the simulator) invalidated the refresh token it consumed.
			_, err = b.client.Refresh(ctx, oldRefresh)
			require.ErrorIs(t, err, anaf.ErrUnauthorized)
		})
	})

	t.Run("UnauthorizedMidSync", func(t *testing.T) {
		t.Parallel()
		for _, endpoint := range []string{"listaMesajePaginatieFactura", "descarcare"} {
			t.Run(endpoint, func(t *testing.T) {
				t.Parallel()
				b := setup(t, storetest.New(t), options{invoices: 6})
				cif := b.busiestCIF(t)
				n := b.sim.CIFs()[cif]
				company := b.company(t, cif)
				require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: endpoint, Kind: anafsim.FaultExpiredToken, Count: 1}))
				calls := b.sim.Stats().Calls

				res, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
				require.NoError(t, err)
				require.Equal(t, n, res.New)
				require.Zero(t, res.Failed)
				require.Equal(t, calls["token"]+1, b.sim.Stats().Calls["token"], "exactly one refresh")
				row, _, _ := b.storedToken(t)
				require.Equal(t, anafsync.StatusConnected, row.Status)
			})
		}
	})

	t.Run("RepeatedUnauthorizedStopsAfterOneRefresh", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{invoices: 6})
		company := b.company(t, b.busiestCIF(t))
		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "descarcare", Kind: anafsim.FaultExpiredToken, Count: 100}))
		calls := b.sim.Stats().Calls

		_, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
		require.ErrorIs(t, err, anaf.ErrUnauthorized)
		require.ErrorIs(t, err, anafsync.ErrNeedsAttention)
		after := b.sim.Stats().Calls
		require.Equal(t, calls["token"]+1, after["token"])
		require.Equal(t, calls["descarcare"]+2, after["descarcare"], "one try with each token, then stop")
		run := b.lastRun(t, company.ID)
		require.Equal(t, store.SyncFailed, run.Status)
		require.Contains(t, run.Error, anafsync.ErrNeedsAttention.Error())
	})

	// ANAF keeps answering 401 invalid_token to a token that has not
	// expired, a freshly refreshed one too: one refresh and one retry,
	// then the connection is needs_attention (stored, audited) and no
	// later run calls ANAF with it until the user connects again.
	t.Run("PersistentInvalidTokenNeedsAttention", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			ctx := t.Context()
			b := setup(t, st, options{invoices: 4})
			company := b.company(t, b.busiestCIF(t))
			require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "listaMesajePaginatieFactura", Kind: anafsim.FaultInvalidToken}))
			calls := b.sim.Stats().Calls

			_, err := b.engine.SyncCompany(ctx, company.ID, nil)
			require.ErrorIs(t, err, anafsync.ErrNeedsAttention)
			require.ErrorIs(t, err, anaf.ErrUnauthorized)
			after := b.sim.Stats().Calls
			require.Equal(t, calls["token"]+1, after["token"], "one refresh")
			require.Equal(t, calls["listaMesajePaginatieFactura"]+2, after["listaMesajePaginatieFactura"], "one retry")
			row, _, _ := b.storedToken(t)
			require.Equal(t, anafsync.StatusNeedsAttention, row.Status)
			require.True(t, row.ExpiresAt.After(b.clock.Now()), "the token had not expired")
			events, err := st.AuditEvents(ctx, 10)
			require.NoError(t, err)
			var audited int
			for _, e := range events {
				if e.Action == store.ActionANAFNeedsAttention {
					audited++
					require.Equal(t, store.TargetUser(b.userID), e.Target)
					require.Contains(t, e.Details, "invalid_token")
				}
			}
			require.Equal(t, 1, audited)
			require.Equal(t, store.SyncFailed, b.lastRun(t, company.ID).Status)

			// Later runs do not use it (no ANAF call), whatever the clock says.
			b.clock.Advance(2 * time.Hour)
			_, err = b.engine.SyncCompany(ctx, company.ID, nil)
			require.ErrorIs(t, err, anafsync.ErrNeedsAttention)
			require.Equal(t, after, b.sim.Stats().Calls)
			require.Error(t, b.engine.RefreshUser(ctx, b.client, b.userID))
			require.Equal(t, after, b.sim.Stats().Calls)

			// The user connects again: connected, and the sync works once ANAF does.
			b.sim.ClearFaults()
			b.connect(t, b.userID)
			res, err := b.engine.SyncCompany(ctx, company.ID, nil)
			require.NoError(t, err)
			require.Positive(t, res.New)
			row, _, _ = b.storedToken(t)
			require.Equal(t, anafsync.StatusConnected, row.Status)
		})
	})

	t.Run("RefreshRefused", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, st *store.Store) {
			ctx := t.Context()
			b := setup(t, st, options{invoices: 6})
			company := b.company(t, b.busiestCIF(t))
			b.setToken(t, "expired-access", "garbage-refresh", b.clock.Now().Add(-time.Hour))
			calls := b.sim.Stats().Calls

			res, err := b.engine.SyncCompany(ctx, company.ID, nil)
			require.ErrorIs(t, err, anafsync.ErrReconnectNeeded)
			require.ErrorIs(t, err, anaf.ErrUnauthorized)
			require.Zero(t, res.New)
			after := b.sim.Stats().Calls
			require.Equal(t, calls["token"]+1, after["token"], "one refresh attempt, no loop")
			require.Equal(t, calls["listaMesajePaginatieFactura"], after["listaMesajePaginatieFactura"])

			row, _, _ := b.storedToken(t)
			require.Equal(t, anafsync.StatusReconnectNeeded, row.Status)
			events, err := st.AuditEvents(ctx, 10)
			require.NoError(t, err)
			var found bool
			for _, e := range events {
				if e.Action == "anaf.refresh_failed" {
					found = true
					require.Equal(t, fmt.Sprintf("user:%d", b.userID), e.Target)
					require.NotNil(t, e.ActorID)
					require.Equal(t, b.userID, *e.ActorID)
					require.NotEmpty(t, e.Details)
				}
			}
			require.True(t, found, "audit event anaf.refresh_failed missing: %+v", events)
			run := b.lastRun(t, company.ID)
			require.Equal(t, store.SyncFailed, run.Status)
			require.Contains(t, run.Error, "reconnect on the ANAF page")

			// The next run does not call ANAF's token endpoint again.
			_, err = b.engine.SyncCompany(ctx, company.ID, nil)
			require.ErrorIs(t, err, anafsync.ErrReconnectNeeded)
			require.Equal(t, after["token"], b.sim.Stats().Calls["token"])
		})
	})

	t.Run("TransientRefreshFailureKeepsValidToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{invoices: 6})
		company := b.company(t, b.busiestCIF(t))
		_, access, refresh := b.storedToken(t)
		b.setToken(t, access, refresh, b.clock.Now().Add(time.Hour))
		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "token", Kind: anafsim.FaultHTTP500, Count: 1}))

		res, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
		require.NoError(t, err)
		require.Positive(t, res.New)
		row, gotAccess, gotRefresh := b.storedToken(t)
		require.Equal(t, anafsync.StatusConnected, row.Status)
		require.Equal(t, access, gotAccess)
		require.Equal(t, refresh, gotRefresh)
	})

	t.Run("TransientRefreshFailureWithExpiredToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{invoices: 3})
		company := b.company(t, b.busiestCIF(t))
		_, access, refresh := b.storedToken(t)
		b.setToken(t, access, refresh, b.clock.Now().Add(-time.Minute))
		require.NoError(t, b.sim.InjectFault(anafsim.Fault{Endpoint: "token", Kind: anafsim.FaultHTTP500, Count: 1}))

		_, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
		require.ErrorIs(t, err, anaf.ErrTransient)
		require.NotErrorIs(t, err, anafsync.ErrReconnectNeeded)
		row, _, _ := b.storedToken(t)
		require.Equal(t, anafsync.StatusConnected, row.Status, "a transient failure is not a refusal")
		require.Equal(t, store.SyncFailed, b.lastRun(t, company.ID).Status)

		// ANAF is back: the next run refreshes and syncs.
		res, err := b.engine.SyncCompany(t.Context(), company.ID, nil)
		require.NoError(t, err)
		require.Positive(t, res.New)
	})

	t.Run("ConcurrentSyncsShareOneRefresh", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.New(t), options{invoices: 12})
		var companies []*store.Company
		for cif := range b.sim.CIFs() {
			companies = append(companies, b.company(t, cif))
			if len(companies) == 3 {
				break
			}
		}
		_, access, refresh := b.storedToken(t)
		b.setToken(t, access, refresh, b.clock.Now().Add(time.Hour))
		calls := b.sim.Stats().Calls

		var wg sync.WaitGroup
		errs := make([]error, len(companies))
		for i, c := range companies {
			wg.Go(func() { _, errs[i] = b.engine.SyncCompany(t.Context(), c.ID, nil) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.Equal(t, calls["token"]+1, b.sim.Stats().Calls["token"])
		row, _, _ := b.storedToken(t)
		require.Equal(t, anafsync.StatusConnected, row.Status)
	})
}
