package anafsync_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestKeyMissing: a stored token the keyring cannot decrypt (its key
// removed, or replaced under the same kid) makes the connection
// key_missing — not reconnect_needed, the row and ANAF's grant untouched,
// no ANAF call — and once the right key is back the same connection syncs
// again without reconnecting (issue 15 item 11).
func TestKeyMissing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		wrong func(t *testing.T, b *testBundle) *secretbox.Keyring
	}{
		{"KeyRemoved", func(t *testing.T, _ *testBundle) *secretbox.Keyring {
			spec, err := secretbox.Generate("other")
			require.NoError(t, err)
			kr, err := secretbox.Parse(spec)
			require.NoError(t, err)
			return kr
		}},
		{"KeyReplacedUnderSameKID", func(t *testing.T, b *testBundle) *secretbox.Keyring {
			spec, err := secretbox.Generate(b.keys.NewestKID())
			require.NoError(t, err)
			kr, err := secretbox.Parse(spec)
			require.NoError(t, err)
			return kr
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := t.Context()
				b := setup(t, st, options{invoices: 6})
				cif := b.busiestCIF(t)
				company := b.company(t, cif)
				before, _, _ := b.storedToken(t)
				right := b.keys
				calls := b.sim.Stats().Calls

				b.engine.Secrets = tc.wrong(t, b)
				_, err := b.engine.SyncCompany(ctx, company.ID, nil)
				require.ErrorIs(t, err, anafsync.ErrKeyMissing)
				require.NotErrorIs(t, err, anafsync.ErrReconnectNeeded)
				require.Equal(t, calls, b.sim.Stats().Calls, "nothing asked of ANAF")
				row, err := st.ANAFTokenByUser(ctx, b.userID)
				require.NoError(t, err)
				require.Equal(t, anafsync.StatusKeyMissing, row.Status)
				require.Equal(t, before.AccessTokenEnc, row.AccessTokenEnc, "the connection is kept as it was")
				require.Equal(t, before.RefreshTokenEnc, row.RefreshTokenEnc)
				run := b.lastRun(t, company.ID)
				require.Equal(t, store.SyncFailed, run.Status)
				require.Contains(t, run.Error, "encryption key is missing")
				events, err := st.AuditEvents(ctx, 20)
				require.NoError(t, err)
				require.True(t, hasAction(events, store.ActionANAFTokenUndecryptable))

				// Still the wrong key: still key_missing, not audited again.
				_, err = b.engine.SyncCompany(ctx, company.ID, nil)
				require.ErrorIs(t, err, anafsync.ErrKeyMissing)

				// The right key is back: the same connection works, no reconnect.
				b.engine.Secrets = right
				res, err := b.engine.SyncCompany(ctx, company.ID, nil)
				require.NoError(t, err)
				require.Equal(t, b.sim.CIFs()[cif], res.New)
				row, err = st.ANAFTokenByUser(ctx, b.userID)
				require.NoError(t, err)
				require.Equal(t, anafsync.StatusConnected, row.Status)
				events, err = st.AuditEvents(ctx, 50)
				require.NoError(t, err)
				require.True(t, hasAction(events, store.ActionANAFTokenKeyRestored))
				n := 0
				for _, e := range events {
					if e.Action == store.ActionANAFTokenUndecryptable {
						n++
					}
				}
				require.Equal(t, 1, n, "audited once while it lasted")
			})
		})
	}
}

func hasAction(events []store.AuditEvent, action string) bool {
	for _, e := range events {
		if e.Action == action {
			return true
		}
	}
	return false
}
