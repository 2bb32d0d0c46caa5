package web

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/secretbox"
)

// testKeyring returns a keyring with a fresh random key.
func testKeyring(t *testing.T) *secretbox.Keyring {
	t.Helper()
	entry, err := secretbox.Generate("test1")
	require.NoError(t, err)
	kr, err := secretbox.Parse(entry)
	require.NoError(t, err)
	return kr
}
