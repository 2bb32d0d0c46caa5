package anafsync_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestBackupDuringSync (issue 18 item 4): a PostgreSQL backup taken while
// a sync archives invoices is one snapshot — restored into a new
// database, every invoice it holds has its ZIP byte-identical to ANAF's
// and to its stored SHA-256 (verify-archive), none half written; a backup
// after the sync restores every table equal.
func TestBackupDuringSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.NewPostgres(t)

	// Downloads: the first few pass, then wait for the backup to begin,
	// then go on slowly so the sync writes while the backup copies.
	const before = 4
	var downloads atomic.Int64
	release := make(chan struct{})
	var once sync.Once
	gate := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/descarcare") && downloads.Add(1) > before {
				<-release
				time.Sleep(20 * time.Millisecond)
			}
			h.ServeHTTP(w, r)
		})
	}
	b := setup(t, st, options{invoices: 60, wrap: gate})
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	cif := b.busiestCIF(t)
	company := b.company(t, cif)
	raw := b.rawList(t, cif)
	require.Greater(t, len(raw), before+3, "enough messages to back up in the middle")

	done := make(chan error, 1)
	go func() {
		_, err := b.engine.SyncCompany(ctx, company.ID, nil)
		done <- err
	}()
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM invoices`).Scan(&n))
		return n >= before
	}, time.Minute, 10*time.Millisecond)

	during := filepath.Join(t.TempDir(), "during.bak")
	once.Do(func() { close(release) })
	m, err := store.Backup(ctx, st, during, store.BackupOptions{})
	require.NoError(t, err)
	require.NoError(t, <-done)

	var inBackup int64
	for _, tb := range m.Tables {
		if tb.Name == "invoices" {
			inBackup = tb.Rows
		}
	}
	t.Logf("the backup taken during the sync holds %d of the %d invoices", inBackup, len(raw))
	require.GreaterOrEqual(t, inBackup, int64(before))
	require.Less(t, inBackup, int64(len(raw)), "the backup was taken in the middle of the sync")

	dst, dstURL := storetest.Fresh(t, store.Postgres)
	require.NoError(t, store.Restore(ctx, dstURL, during, store.RestoreOptions{}))
	checked, bad, err := dst.VerifyArchive(ctx)
	require.NoError(t, err)
	require.Equal(t, int(inBackup), checked)
	require.Empty(t, bad, "every restored ZIP matches its SHA-256")
	restored := (&testBundle{st: dst}).invoices(t, company.ID)
	require.Len(t, restored, int(inBackup))
	source := b.invoices(t, company.ID)
	for id, inv := range restored {
		require.Equal(t, b.rawGet(t, "/test/FCTEL/rest/descarcare?id="+id), inv.ZIP, "ANAF's ZIP of %s, byte for byte", id)
		require.Equal(t, source[id].ZIP, inv.ZIP)
		require.Equal(t, source[id].ZIPSHA256, inv.ZIPSHA256)
	}

	// After the sync: every table equal, the whole archive verified.
	after := filepath.Join(t.TempDir(), "after.bak")
	_, err = store.Backup(ctx, st, after, store.BackupOptions{})
	require.NoError(t, err)
	dst2, dst2URL := storetest.Fresh(t, store.Postgres)
	require.NoError(t, store.Restore(ctx, dst2URL, after, store.RestoreOptions{}))
	require.Equal(t, storetest.TableDigests(t, st.DB()), storetest.TableDigests(t, dst2.DB()))
	checked, bad, err = dst2.VerifyArchive(ctx)
	require.NoError(t, err)
	require.Equal(t, len(raw), checked)
	require.Empty(t, bad)
}
