package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestTokenStatusChanges: a status moves only from the expected one, the
// ciphertexts untouched (key_missing is set and cleared this way).
func TestTokenStatusChanges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var users []int64
		for _, email := range []string{"a@example.test", "b@example.test"} {
			u, err := st.CreateUser(ctx, email, "x", false, store.UserApproved)
			require.NoError(t, err)
			users = append(users, u.ID)
			require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte("acc-" + email),
				RefreshTokenEnc: []byte("ref-" + email), ExpiresAt: time.Now().Add(time.Hour), Status: "connected"}))
		}
		changed, err := st.SetANAFTokenStatusIf(ctx, users[0], "connected", "key_missing")
		require.NoError(t, err)
		require.True(t, changed)
		changed, err = st.SetANAFTokenStatusIf(ctx, users[0], "connected", "key_missing")
		require.NoError(t, err)
		require.False(t, changed, "only from the expected status")
		tok, err := st.ANAFTokenByUser(ctx, users[0])
		require.NoError(t, err)
		require.Equal(t, "key_missing", tok.Status)
		require.Equal(t, []byte("acc-a@example.test"), tok.AccessTokenEnc)
		require.Equal(t, []byte("ref-a@example.test"), tok.RefreshTokenEnc)

		n, err := st.ChangeANAFTokenStatuses(ctx, "key_missing", "connected")
		require.NoError(t, err)
		require.Equal(t, 1, n)
		for _, uid := range users {
			tok, err := st.ANAFTokenByUser(ctx, uid)
			require.NoError(t, err)
			require.Equal(t, "connected", tok.Status)
		}
	})
}

// TestForgetSecrets deletes exactly the grants and the OAuth application
// whose secrets are unusable, in one go.
func TestForgetSecrets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lost := func(ct []byte) bool { return bytes.HasPrefix(ct, []byte("lost")) }
		require.NoError(t, st.SetANAFApp(ctx, &store.ANAFApp{ClientID: "cid", ClientSecretEnc: []byte("lost-secret")}))
		var users []int64
		for i, email := range []string{"a@example.test", "b@example.test", "c@example.test"} {
			u, err := st.CreateUser(ctx, email, "x", false, store.UserApproved)
			require.NoError(t, err)
			users = append(users, u.ID)
			acc, ref := []byte("good-acc"), []byte("good-ref")
			switch i {
			case 0:
				acc = []byte("lost-acc")
			case 1:
				ref = []byte("lost-ref")
			}
			require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: acc, RefreshTokenEnc: ref,
				ExpiresAt: time.Now().Add(time.Hour), Status: "connected"}))
		}
		stats, err := st.ForgetSecrets(ctx, lost)
		require.NoError(t, err)
		require.Equal(t, store.ForgetStats{Tokens: 2, ClientSecret: true}, stats)
		_, err = st.ANAFApp(ctx)
		require.ErrorIs(t, err, store.ErrNotFound)
		for i, uid := range users {
			_, err := st.ANAFTokenByUser(ctx, uid)
			if i < 2 {
				require.ErrorIs(t, err, store.ErrNotFound)
			} else {
				require.NoError(t, err, "a grant that decrypts is kept")
			}
		}
		stats, err = st.ForgetSecrets(ctx, lost)
		require.NoError(t, err)
		require.Equal(t, store.ForgetStats{}, stats)
	})
}
