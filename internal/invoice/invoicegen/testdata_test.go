package invoicegen_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
)

var update = flag.Bool("update", false, "rewrite the generated files in testdata/invoices")

// Testdata files produced by the generator: Generate(TestdataCount, TestdataSeed).
const (
	testdataCount = 12
	testdataSeed  = 1
)

// TestTestdataUpToDate checks that testdata/invoices/gen-*.xml are what
// the generator makes; run with -update to rewrite them.
func TestTestdataUpToDate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "..", "testdata", "invoices")
	files := invoicegen.Generate(testdataCount, testdataSeed)
	if *update {
		old, err := filepath.Glob(filepath.Join(dir, "gen-*.xml"))
		require.NoError(t, err)
		for _, f := range old {
			require.NoError(t, os.Remove(f))
		}
		for _, f := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644))
		}
	}
	onDisk, err := filepath.Glob(filepath.Join(dir, "gen-*.xml"))
	require.NoError(t, err)
	require.Len(t, onDisk, len(files), "run go test ./internal/invoice/invoicegen -run TestTestdataUpToDate -update")
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		require.NoError(t, err, "run with -update")
		require.Equal(t, string(f.Data), string(got), "%s is stale: run with -update", f.Name)
	}
}
