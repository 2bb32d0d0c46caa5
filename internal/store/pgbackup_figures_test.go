package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestBackupFigures measures the PostgreSQL backup and restore on
// EFACTURA_BACKUP_FIGURES invoices of 100 kB ZIPs each (skipped when
// unset): wall and CPU time of this process (the server's is its own),
// the file's size, and the largest Go heap seen while they run (sampled
// every 5 ms), for both COPY formats. docs/operations.md quotes it.
func TestBackupFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("EFACTURA_BACKUP_FIGURES"))
	if n <= 0 {
		t.Skip("set EFACTURA_BACKUP_FIGURES=<invoices> to measure")
	}
	ctx := context.Background()
	src, _ := populated(t, 0)
	c, err := src.CompanyByCIF(ctx, "12345674")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	zip := make([]byte, 100_000)
	for i := range n {
		for j := range zip {
			zip[j] = byte(rng.UintN(256))
		}
		inv := sampleInvoice(c.ID, fmt.Sprintf("34%08d", i))
		inv.ZIP = zip
		_, err := src.InsertInvoice(ctx, inv)
		require.NoError(t, err)
	}
	for _, format := range []string{store.CopyBinary, store.CopyText} {
		out := filepath.Join(t.TempDir(), "figures.bak")
		d, cpu, heap := measure(t, func() {
			_, err := store.Backup(ctx, src, out, store.BackupOptions{Parts: parts, CopyFormat: format})
			require.NoError(t, err)
		})
		fi, err := os.Stat(out)
		require.NoError(t, err)
		t.Logf("backup %s: %d invoices, file %.1f MB, wall %v, CPU %v, peak heap %.1f MB, load %s",
			format, n, float64(fi.Size())/1e6, d.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(heap)/1e6, loadavg())
		_, dstURL := storetest.Fresh(t, store.Postgres)
		d, cpu, heap = measure(t, func() {
			require.NoError(t, store.Restore(ctx, dstURL, out, store.RestoreOptions{Parts: parts}))
		})
		t.Logf("restore %s: wall %v, CPU %v, peak heap %.1f MB, load %s",
			format, d.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(heap)/1e6, loadavg())
	}
}

func measure(t *testing.T, fn func()) (wall, cpu time.Duration, peakHeap uint64) {
	t.Helper()
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var r0, r1 syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &r0))
	start := time.Now()
	fn()
	wall = time.Since(start)
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &r1))
	close(stop)
	<-done
	tv := func(v syscall.Timeval) time.Duration { return time.Duration(v.Nano()) }
	cpu = tv(r1.Utime) + tv(r1.Stime) - tv(r0.Utime) - tv(r0.Stime)
	return wall, cpu, peak.Load()
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	var one, five, fifteen string
	_, _ = fmt.Sscan(string(b), &one, &five, &fifteen)
	return one + " " + five + " " + fifteen
}
