package cli

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestRotateKey proves `efactura rotate-key`: secrets sealed under an old
// key are re-encrypted under the newest one (same plaintext), secrets
// already under it are left alone, the old key can then be dropped, and a
// keyring that cannot open a secret changes nothing.
func TestRotateKey(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	oldKey, newKey := config.NewEncryptionKey("old"), config.NewEncryptionKey("new")
	r.env["EFACTURA_ENCRYPTION_KEY"] = oldKey
	code, _, errOut := r.run("migrate", "up")
	require.Equal(t, 0, code, errOut)

	ctx := context.Background()
	st, err := store.Open(ctx, r.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	oldRing, err := secretbox.Parse(oldKey)
	require.NoError(t, err)
	seal := func(s string) []byte {
		ct, err := oldRing.Encrypt([]byte(s))
		require.NoError(t, err)
		return ct
	}
	require.NoError(t, st.SetANAFApp(ctx, &store.ANAFApp{ClientID: "cid", ClientSecretEnc: seal("client-secret"), RedirectURI: "https://gw.example/anaf/callback"}))
	var users []int64
	for i, email := range []string{"a@example.test", "b@example.test"} {
		u, err := st.CreateUser(ctx, email, "x", false, store.UserApproved)
		require.NoError(t, err)
		users = append(users, u.ID)
		require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: seal("access-" + email),
			RefreshTokenEnc: seal("refresh-" + email), ExpiresAt: time.Now().Add(time.Duration(i+1) * time.Hour), Status: "connected"}))
	}

	// A keyring without the old key cannot open them: an error, nothing changed.
	r.env["EFACTURA_ENCRYPTION_KEY"] = newKey
	code, _, errOut = r.run("rotate-key")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "nothing was changed")
	app, err := st.ANAFApp(ctx)
	require.NoError(t, err)
	kid, err := secretbox.KIDOf(app.ClientSecretEnc)
	require.NoError(t, err)
	require.Equal(t, "old", kid)

	// Newest first, the old one still there: everything moves to "new".
	r.env["EFACTURA_ENCRYPTION_KEY"] = newKey + "," + oldKey
	code, out, errOut := r.run("rotate-key", "--dry-run")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "5 secrets, 5 would be re-encrypted")
	code, out, errOut = r.run("rotate-key")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "5 secrets, 5 re-encrypted with key \"new\"")
	code, out, _ = r.run("rotate-key")
	require.Equal(t, 0, code)
	require.Contains(t, out, "5 secrets, 0 re-encrypted", "idempotent")

	// Only the new key is needed now.
	newRing, err := secretbox.Parse(newKey)
	require.NoError(t, err)
	open := func(ct []byte) string {
		k, err := secretbox.KIDOf(ct)
		require.NoError(t, err)
		require.Equal(t, "new", k)
		pt, err := newRing.Decrypt(ct)
		require.NoError(t, err)
		return string(pt)
	}
	app, err = st.ANAFApp(ctx)
	require.NoError(t, err)
	require.Equal(t, "client-secret", open(app.ClientSecretEnc))
	for i, uid := range users {
		tok, err := st.ANAFTokenByUser(ctx, uid)
		require.NoError(t, err)
		email := []string{"a@example.test", "b@example.test"}[i]
		require.Equal(t, "access-"+email, open(tok.AccessTokenEnc))
		require.Equal(t, "refresh-"+email, open(tok.RefreshTokenEnc))
	}
}
