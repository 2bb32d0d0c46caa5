package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

type archived struct {
	number string
	zip    []byte
	sum    []byte
}

func archiveOf(t *testing.T, st *store.Store, companyID int64) map[string]archived {
	t.Helper()
	ctx := context.Background()
	list, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: companyID, Limit: 1000})
	require.NoError(t, err)
	out := map[string]archived{}
	for _, inv := range list {
		zip, err := st.InvoiceZIP(ctx, companyID, inv.ID)
		require.NoError(t, err)
		full, err := st.InvoiceByID(ctx, companyID, inv.ID)
		require.NoError(t, err)
		out[inv.ANAFID] = archived{inv.InvoiceNumber, zip, full.ZIPSHA256}
	}
	return out
}

// TestBackupRestoreRoundTrip: backup → wipe → restore gives the same
// invoices, byte-identical ZIPs and the same hashes, on both databases.
func TestBackupRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			src, srcURL := storetest.Fresh(t, d)
			require.NoError(t, src.Migrate(ctx))
			c, err := src.CreateCompany(ctx, "12345674", "ALFA SOFT SRL")
			require.NoError(t, err)
			for i := range 25 {
				inv := sampleInvoice(c.ID, fmt.Sprintf("30%08d", i))
				inv.ZIP = append([]byte("PK\x03\x04"), make([]byte, 1000+i)...)
				inv.ZIP[10] = byte(i)
				_, err := src.InsertInvoice(ctx, inv)
				require.NoError(t, err)
			}
			before := archiveOf(t, src, c.ID)
			require.Len(t, before, 25)

			out := filepath.Join(t.TempDir(), "efactura.backup")
			require.NoError(t, store.Backup(ctx, src, srcURL, out))
			require.Error(t, store.Backup(ctx, src, srcURL, out), "never overwrites")
			fi, err := os.Stat(out)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

			// Restoring over data is refused.
			require.ErrorContains(t, store.Restore(ctx, srcURL, out), "empty database")

			// Wipe: a new, empty database.
			var dstURL string
			if d == store.SQLite {
				dstURL = "sqlite:" + filepath.Join(t.TempDir(), "restored.db")
			} else {
				_, dstURL = storetest.Fresh(t, d)
			}
			require.NoError(t, store.Restore(ctx, dstURL, out))
			dst, err := store.Open(ctx, dstURL, store.PoolConfig{})
			require.NoError(t, err)
			defer dst.Close()
			pending, err := dst.Pending(ctx)
			require.NoError(t, err)
			require.False(t, pending, "the schema came with the backup")
			rc, err := dst.CompanyByCIF(ctx, "12345674")
			require.NoError(t, err)
			after := archiveOf(t, dst, rc.ID)
			require.Equal(t, before, after)
			checked, bad, err := dst.VerifyArchive(ctx)
			require.NoError(t, err)
			require.Equal(t, 25, checked)
			require.Empty(t, bad)

			// A backup of the other kind is refused.
			other := filepath.Join(t.TempDir(), "other")
			require.NoError(t, os.WriteFile(other, []byte("this is not a backup file"), 0o600))
			require.ErrorContains(t, store.Restore(ctx, dstURL, other), "not a")
		})
	}
}

func TestVerifyArchiveFindsMismatches(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c, err := st.CreateCompany(ctx, "12345674", "ALFA SOFT SRL")
		require.NoError(t, err)
		for _, id := range []string{"3001", "3002", "3003"} {
			_, err := st.InsertInvoice(ctx, sampleInvoice(c.ID, id))
			require.NoError(t, err)
		}
		checked, bad, err := st.VerifyArchive(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, checked)
		require.Empty(t, bad)

		// Corrupt one stored ZIP behind the store's back.
		corrupt := []byte("PK\x03\x04 altered")
		_, err = st.DB().ExecContext(ctx, `UPDATE invoices SET zip = $1 WHERE anaf_id = '3002'`, corrupt)
		require.NoError(t, err)
		checked, bad, err = st.VerifyArchive(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, checked)
		require.Len(t, bad, 1)
		require.Equal(t, "3002", bad[0].ANAFID)
		sum := sha256.Sum256(corrupt)
		require.Equal(t, sum[:], bad[0].Actual)
	})
}
