package app_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/testbuf"
)

// TestDemoStartsOverUndecryptableSecrets: `serve` refuses secrets its key
// cannot open, but the demo (whose development key goes with its data
// directory) says so in the log and goes on, connecting its admin again.
func TestDemoStartsOverUndecryptableSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "efactura.db")
	st, err := store.Open(ctx, dbURL, store.PoolConfig{})
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	gone, err := secretbox.Parse(config.NewEncryptionKey("gone"))
	require.NoError(t, err)
	seal := func(s string) []byte {
		ct, err := gone.Encrypt([]byte(s))
		require.NoError(t, err)
		return ct
	}
	u, err := st.CreateUser(ctx, "someone@example.test", "x", false, store.UserApproved)
	require.NoError(t, err)
	require.NoError(t, st.SaveANAFToken(ctx, &store.ANAFToken{UserID: u.ID, AccessTokenEnc: seal("a"), RefreshTokenEnc: seal("r"),
		ExpiresAt: time.Now().Add(time.Hour), Status: "connected"}))
	require.NoError(t, st.Close())

	logs := &testbuf.Buffer{}
	_, lines := serveDemo(t, map[string]string{"DATABASE_URL": dbURL}, logs)
	require.NotEmpty(t, lines["api key"])
	require.Contains(t, logs.String(), `2 under key \"gone\"`)
}
