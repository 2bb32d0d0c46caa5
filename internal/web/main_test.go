package web

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/secretbox"
)

func TestMain(m *testing.M) {
	// Cheap argon2id in tests; hashes record their parameters.
	auth.PasswordParams = auth.TestArgon2Params
	os.Exit(m.Run())
}

// testKeyring returns a keyring with a fresh random key.
func testKeyring(t *testing.T) *secretbox.Keyring {
	t.Helper()
	entry, err := secretbox.Generate("test1")
	require.NoError(t, err)
	kr, err := secretbox.Parse(entry)
	require.NoError(t, err)
	return kr
}
