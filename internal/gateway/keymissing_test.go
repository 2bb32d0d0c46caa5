package gateway_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestConnectionStateKeyMissing: a grant this process's keyring cannot
// decrypt is key_missing on the pages and in the API's health (whatever
// its stored status, connected or key_missing), and connected again as
// soon as the keyring holds its key — no reconnect (issue 15 item 11).
func TestConnectionStateKeyMissing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		ring := func(kid string) *secretbox.Keyring {
			spec, err := secretbox.Generate(kid)
			require.NoError(t, err)
			kr, err := secretbox.Parse(spec)
			require.NoError(t, err)
			return kr
		}
		right, other := ring("k20260101-aaaaaa"), ring("k20260101-aaaaaa") // the same kid, another key
		owner, err := st.CreateUser(ctx, "owner@example.ro", "x", false, store.UserApproved)
		require.NoError(t, err)
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", owner.ID)
		require.NoError(t, err)
		seal := func(s string) []byte {
			ct, err := right.Encrypt([]byte(s))
			require.NoError(t, err)
			return ct
		}
		for _, status := range []string{gateway.TokenConnected, gateway.TokenKeyMissing} {
			require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: owner.ID, AccessTokenEnc: seal("a"), RefreshTokenEnc: seal("r"),
				ExpiresAt: time.Now().Add(time.Hour), Status: status}))

			gw := &gateway.Service{Store: st, PasswordParams: auth.TestArgon2Params, Secrets: other}
			cs, err := gw.ConnectionState(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, gateway.TokenKeyMissing, cs.Status, "stored %s", status)
			require.Zero(t, cs.UserID)
			h := gw.CompanyHealth(ctx, &gateway.KeyAuth{Company: c})
			require.Equal(t, gateway.TokenKeyMissing, h.ANAFConnection)
			conn, err := gw.MyANAFConnection(ctx, gateway.Actor{UserID: owner.ID})
			require.NoError(t, err)
			require.Equal(t, gateway.TokenKeyMissing, conn.Token.Status)
			_, err = gw.TestANAF(ctx, gateway.Actor{UserID: owner.ID})
			require.ErrorIs(t, err, gateway.ErrANAFKeyMissing)

			gw.Secrets = right
			cs, err = gw.ConnectionState(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, gateway.TokenConnected, cs.Status, "stored %s: the key is back", status)
			require.Equal(t, owner.ID, cs.UserID)
			ok, err := gw.HasANAFConnection(ctx, gateway.Actor{UserID: owner.ID})
			require.NoError(t, err)
			require.True(t, ok)
		}
	})
}
