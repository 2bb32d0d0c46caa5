package anafsync_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/cli"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestBackupDuringSync (issue 18, Done when: "a backup taken during a sync
// restores byte-identical ZIPs (verify-archive)"), on SQLite and on
// PostgreSQL: a sync of many messages from the ANAF simulator is stopped
// after a few downloads and let go again as `efactura backup` starts, so
// the sync writes while the backup reads. The commands are the CLI's own
// (cli.RunEnv: `migrate up`, `backup`, `restore` into a new empty
// database, `verify-archive`), as an operator runs them. The backup is one
// snapshot: restored, verify-archive finds no problem (every chain link,
// stored ZIP and row), and every restored invoice's ZIP is, byte for
// byte, the source database's ZIP of the same row and ANAF's. A backup
// after the sync restores the whole archive (PostgreSQL: every table equal).
func TestBackupDuringSync(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			backupDuringSync(t, d)
		})
	}
}

// cliRun runs one efactura command on dbURL (development settings, the
// secrets under dataDir) and returns its exit code and output.
func cliRun(t *testing.T, dataDir, dbURL string, args ...string) (int, string) {
	t.Helper()
	env := map[string]string{"DATABASE_URL": dbURL, "EFACTURA_DATA_DIR": dataDir, "EFACTURA_LOG_LEVEL": "warn"}
	out := &lockedBuffer{}
	code := cli.RunEnv(context.Background(), args, out, out, func(k string) string { return env[k] })
	t.Logf("efactura %s → exit %d\n%s", strings.Join(args, " "), code, out.String())
	return code, out.String()
}

// lockedBuffer: the CLI makes its logger slog's default, which parallel
// tests may still write to after the command returned.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func backupDuringSync(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	dataDir := t.TempDir()
	st, srcURL := storetest.Fresh(t, d)
	code, _ := cliRun(t, dataDir, srcURL, "migrate", "up") // ours and River's, as `efactura backup` expects
	require.Equal(t, 0, code)

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
				time.Sleep(25 * time.Millisecond)
			}
			h.ServeHTTP(w, r)
		})
	}
	// Small batches, one download at a time: the sync commits every two
	// messages for over a second, so the backup begins between two of its
	// transactions.
	b := setup(t, st, options{invoices: 200, wrap: gate, engine: func(e *anafsync.Engine) { e.BatchSize, e.Concurrency = 2, 1 }})
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	cif := b.busiestCIF(t)
	company := b.company(t, cif)
	raw := b.rawList(t, cif)
	require.Greater(t, len(raw), before+10, "enough messages to back up in the middle")

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

	// Let the sync go on; the backup starts once it is writing again.
	once.Do(func() { close(release) })
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM invoices`).Scan(&n))
		return n > before
	}, time.Minute, 5*time.Millisecond)
	during := filepath.Join(t.TempDir(), "during.bak")
	code, out := cliRun(t, dataDir, srcURL, "backup", "--out", during)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "backup written to "+during)
	require.NoError(t, <-done)
	code, out = cliRun(t, dataDir, srcURL, "restore", "--check", "--in", during)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, " is intact")

	// Restore into a new, empty database; verify-archive on it.
	dstURL := emptyDatabase(t, d)
	code, out = cliRun(t, dataDir, dstURL, "restore", "--in", during)
	require.Equal(t, 0, code, out)
	dst, err := store.Open(ctx, dstURL, store.PoolConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = dst.Close() })
	restored := (&testBundle{st: dst}).invoices(t, company.ID)
	inBackup := len(restored)
	t.Logf("%s: the backup taken during the sync holds %d of the %d invoices", d, inBackup, len(raw))
	require.Greater(t, inBackup, before, "the sync had written again when the backup began")
	require.Less(t, inBackup, len(raw), "the backup was taken in the middle of the sync")

	code, out = cliRun(t, dataDir, dstURL, "verify-archive")
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, "PROBLEM")
	require.Regexp(t, regexp.MustCompile(fmt.Sprintf(`(?m)^1 companies: %d chain entries checked, 0 exported heads compared, 0 problems$`, inBackup)), out)

	// Every restored stored ZIP, byte for byte: the source's of the same row, and ANAF's.
	source := b.invoices(t, company.ID)
	for id, inv := range restored {
		src, ok := source[id]
		require.True(t, ok, "restored message %s is in the source", id)
		require.Equal(t, src.ID, inv.ID, "the same row")
		require.True(t, bytes.Equal(src.ZIP, inv.ZIP), "the source's ZIP of %s, byte for byte", id)
		require.Equal(t, src.ZIPSHA256, inv.ZIPSHA256)
		require.True(t, bytes.Equal(b.rawGet(t, "/test/FCTEL/rest/descarcare?id="+id), inv.ZIP), "ANAF's ZIP of %s, byte for byte", id)
	}

	// After the sync: the whole archive restores and verifies.
	after := filepath.Join(t.TempDir(), "after.bak")
	code, out = cliRun(t, dataDir, srcURL, "backup", "--out", after)
	require.Equal(t, 0, code, out)
	dst2URL := emptyDatabase(t, d)
	code, out = cliRun(t, dataDir, dst2URL, "restore", "--in", after)
	require.Equal(t, 0, code, out)
	code, out = cliRun(t, dataDir, dst2URL, "verify-archive")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, fmt.Sprintf("1 companies: %d chain entries checked, 0 exported heads compared, 0 problems", len(raw)))
	dst2, err := store.Open(ctx, dst2URL, store.PoolConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = dst2.Close() })
	all := (&testBundle{st: dst2}).invoices(t, company.ID)
	require.Len(t, all, len(raw))
	for id, inv := range all {
		require.True(t, bytes.Equal(source[id].ZIP, inv.ZIP), "the source's ZIP of %s, byte for byte", id)
	}
	if d == store.Postgres {
		// The audit row of the second backup is written after its snapshot.
		src := storetest.TableDigests(t, st.DB())
		got := storetest.TableDigests(t, dst2.DB())
		delete(src, "audit_events")
		delete(got, "audit_events")
		require.Equal(t, src, got)
	}
}

// emptyDatabase is a new database with nothing in it (createdb; SQLite: a
// path whose directory does not exist yet).
func emptyDatabase(t *testing.T, d store.Dialect) string {
	t.Helper()
	if d == store.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "restored", "efactura.db")
	}
	_, u := storetest.Fresh(t, store.Postgres)
	return u
}
