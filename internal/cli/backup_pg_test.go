package cli

import (
	"archive/zip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestBackupRestorePostgresCommands: `efactura backup` and `restore` on
// PostgreSQL, as an operator sees them — what was written, a restore over
// data refused with the way out, --force, a damaged file refused by name.
func TestBackupRestorePostgresCommands(t *testing.T) {
	t.Parallel()
	_, srcURL := storetest.Fresh(t, store.Postgres)
	r := newRunner(t)
	r.env["DATABASE_URL"] = srcURL
	code, _, errOut := r.run("migrate", "up")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = r.run("company", "add", "RO12345674", "--name", "ALFA SOFT SRL")
	require.Equal(t, 0, code, errOut)

	backup := filepath.Join(t.TempDir(), "efactura.bak")
	code, out, errOut := r.run("backup", "--out", backup)
	require.Equal(t, 0, code, errOut)
	out0 := out
	require.Regexp(t, `^backup written to `+regexp.QuoteMeta(backup)+` \([0-9]+ tables, [0-9]+ rows, [0-9.]+ [kM]?B of data, schema version [0-9]+\)\n$`, out)

	code, _, errOut = r.run("restore", "--in", backup)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "restore only into an empty database (or pass --force")

	_, dstURL := storetest.Fresh(t, store.Postgres)
	r2 := newRunner(t)
	r2.env["DATABASE_URL"] = dstURL
	code, out, errOut = r2.run("restore", "--in", backup)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "restored "+backup)
	code, out, errOut = r2.run("company", "list")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "12345674")
	code, _, errOut = r2.run("migrate", "up")
	require.Equal(t, 0, code, errOut)

	// The same backup again over the restored data: only with --force.
	code, _, _ = r2.run("restore", "--in", backup)
	require.Equal(t, 1, code)
	code, _, errOut = r2.run("restore", "--in", backup, "--force")
	require.Equal(t, 0, code, errOut)

	// A damaged file: a byte of the largest table's data flipped.
	b, err := os.ReadFile(backup)
	require.NoError(t, err)
	zr, err := zip.OpenReader(backup)
	require.NoError(t, err)
	var largest *zip.File
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "data/") && (largest == nil || f.UncompressedSize64 > largest.UncompressedSize64) {
			largest = f
		}
	}
	off, err := largest.DataOffset()
	require.NoError(t, err)
	require.NoError(t, zr.Close())
	b[off+int64(largest.UncompressedSize64)/2] ^= 0x01
	damaged := filepath.Join(t.TempDir(), "damaged.bak")
	require.NoError(t, os.WriteFile(damaged, b, 0o600))
	_, emptyURL := storetest.Fresh(t, store.Postgres)
	r3 := newRunner(t)
	r3.env["DATABASE_URL"] = emptyURL
	code, _, errOut = r3.run("restore", "--in", damaged)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "is damaged")
	code, _, errOut = r3.run("restore", "--in", damaged, "--check")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "is damaged")
	code, out, errOut = r3.run("restore", "--in", backup, "--check")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `is intact: [0-9]+ tables, [0-9]+ rows, .* schema version [0-9]+, made 20[0-9-]+T[0-9:]+Z by `, out)
	t.Logf("backup: %srestore of a damaged file: %s", out0, errOut)
}
