package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/store"
)

// mountTmpfs mounts a tmpfs of size (e.g. "32m") on a fresh directory and
// unmounts it at the end. It skips, saying why, where mount is not
// permitted (not root, not Linux, a container without CAP_SYS_ADMIN); the
// same check by hand: bench/diskfull.sh.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("disk-full test: needs root on Linux to mount a small tmpfs (see bench/diskfull.sh); skipped")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("disk-full test: mount -t tmpfs is not permitted here (%v: %s); skipped", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			_ = exec.Command("umount", "-l", dir).Run()
			t.Logf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes dir/filler until the file system is full (any other
// write error is returned).
func fillDisk(dir string) error {
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		return err
	}
	defer f.Close()
	for _, size := range []int{1 << 20, 4 << 10, 512} {
		chunk := make([]byte, size)
		for {
			if _, err := f.Write(chunk); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					return err
				}
				break
			}
		}
	}
	return nil
}

// lockedLog collects the log lines of every goroutine.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSyncBacksOffOnFullDisk: with the SQLite archive on a tmpfs that
// fills up at the first download, the sync step stops at the first refused
// write (no warning per remaining message, no further download), the job
// snoozes and says so once, the runner's StorageCheck reports it (health:
// storage degraded); once space is freed the run resumes and archives
// every message, logged once.
func TestSyncBacksOffOnFullDisk(t *testing.T) {
	t.Parallel()
	dir := mountTmpfs(t, "48m")
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(dir, "efactura.db"), store.PoolConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(t.Context()))
	e := newEnv(t, st, 40, nil)
	cif := firstCIF(e)

	logs := &lockedLog{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	eng := e.engine(st)
	eng.Logger = logger
	require.NoError(t, jobs.Migrate(t.Context(), st, nil))
	var mu sync.Mutex
	outcomes := map[string]int{}
	r, err := jobs.New(jobs.Options{Store: st, Engine: eng, Logger: logger, StepDuration: 2 * time.Second,
		StorageBackoff: 200 * time.Millisecond,
		Observe: func(kind, outcome string, d time.Duration) {
			if kind == "sync_company" {
				mu.Lock()
				outcomes[outcome]++
				mu.Unlock()
			}
		}})
	require.NoError(t, err)
	require.NoError(t, r.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(ctx)
	})

	// The disk fills up when ANAF is first asked for a ZIP: the run is
	// open, the list read, the first archive write is refused.
	var fillOnce sync.Once
	var downloads atomic.Int32
	fillErr := make(chan error, 1)
	sim := e.sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "descarcare") {
			downloads.Add(1)
			fillOnce.Do(func() { fillErr <- fillDisk(dir) })
		}
		sim.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	e.srv = srv
	run, err := r.StartSync(t.Context(), e.cos[cif].ID)
	require.NoError(t, err)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		snoozed := outcomes["snoozed"]
		mu.Unlock()
		if snoozed >= 1 {
			break
		}
		require.False(t, time.Now().After(deadline), "no back-off within 30 s; logs:\n%s", logs.String())
		time.Sleep(50 * time.Millisecond)
	}
	// River cannot record the snooze on the full disk either (its
	// completer retries with its own back-off): the job stays parked, and
	// nothing asks ANAF for more while the disk is full.
	time.Sleep(2 * time.Second)
	require.Equal(t, int32(1), downloads.Load(), "one download, then the step stopped")
	require.NoError(t, <-fillErr)
	require.Error(t, r.StorageCheck(t.Context()))
	require.True(t, store.IsStorageError(r.StorageCheck(t.Context())), "%v", r.StorageCheck(t.Context()))
	cur, err := st.SyncRunByID(t.Context(), run.ID)
	require.NoError(t, err)
	require.Nil(t, cur.FinishedAt, "the run stays open")
	out := logs.String()
	require.Equal(t, 1, strings.Count(out, "sync stopped: the archive's storage refuses writes"), out)
	require.Zero(t, strings.Count(out, "archiving message failed"), "no warning per message")
	mu.Lock()
	require.Zero(t, outcomes["error"], "backed off, not retried as a failure")
	mu.Unlock()
	t.Logf("while full: %d log lines, outcomes %v", strings.Count(out, "\n"), outcomes)

	require.NoError(t, os.Remove(filepath.Join(dir, "filler")))
	freed := time.Now()
	runs := waitRuns(t, st, []int64{run.ID}, 120*time.Second)
	t.Logf("run finished %v after the space was freed", time.Since(freed).Round(100*time.Millisecond))
	require.Equal(t, store.SyncOK, runs[0].Status, runs[0].Error)
	require.Positive(t, runs[0].New)
	require.Zero(t, runs[0].Failed)
	require.NoError(t, r.StorageCheck(t.Context()))
	require.Equal(t, 1, strings.Count(logs.String(), "storage accepts writes again"))
}
