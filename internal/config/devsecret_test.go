package config

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDevSecretConcurrent: processes starting at the same moment on a new
// data directory (serve --demo and a CLI command) all get the one secret
// written, never an empty one read while the winner was still writing it
// ("EFACTURA_SECRET_KEY must be at least 32 characters" in CI).
func TestDevSecretConcurrent(t *testing.T) {
	t.Parallel()
	for round := range 20 {
		dir := filepath.Join(t.TempDir(), "data")
		var wg sync.WaitGroup
		got := make([]string, 8)
		errs := make([]error, 8)
		for i := range got {
			wg.Go(func() {
				got[i], errs[i] = devSecret(dir, "secret.key", func() string { return "dev-" + randomB64(36) })
			})
		}
		wg.Wait()
		for i := range got {
			require.NoError(t, errs[i], "round %d", round)
			require.Len(t, got[i], 52, "round %d: %q", round, got[i])
			require.Equal(t, got[0], got[i], "round %d: one secret", round)
		}
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, "no temporary file left")
		info, err := os.Stat(filepath.Join(dir, "secret.key"))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	}
}
