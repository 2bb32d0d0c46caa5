package app_test

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/testbuf"
)

// mountTmpfs mounts a tmpfs of size on a fresh directory, unmounted at the
// end; it skips, saying why, where mount is not permitted (the same check
// by hand: bench/diskfull.sh).
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

// fillDisk writes dir/filler until the file system is full.
func fillDisk(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	require.NoError(t, err)
	defer f.Close()
	for _, size := range []int{1 << 20, 4 << 10, 512} {
		chunk := make([]byte, size)
		for {
			if _, err := f.Write(chunk); err != nil {
				require.True(t, errors.Is(err, syscall.ENOSPC), "filling: %v", err)
				break
			}
		}
	}
}

// TestFullDiskFailsReadiness: the gateway on SQLite with its data
// directory on a tmpfs; once the tmpfs is full, /readyz is 503 naming
// "disk" (the replica leaves the load balancer), /api/v1/health stays 200
// with disk "degraded", efactura_dependency_up{dependency="disk"} is 0;
// once space is freed all is green again.
func TestFullDiskFailsReadiness(t *testing.T) {
	t.Parallel()
	dir := mountTmpfs(t, "64m")
	logs := &testbuf.Buffer{}
	_, lines := serveDemo(t, map[string]string{
		"EFACTURA_DATA_DIR": dir,
		"DATABASE_URL":      "sqlite:" + filepath.Join(dir, "efactura.db"),
	}, logs)
	base := lines["url"]
	code, body := get(t, http.DefaultClient, base+"/readyz", nil)
	require.Equal(t, 200, code, body)

	fillDisk(t, dir)
	code, body = get(t, http.DefaultClient, base+"/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "disk")
	code, h := health(t, base)
	require.Equal(t, 200, code, "the database still answers")
	require.Equal(t, "degraded", h.Status)
	require.Equal(t, "degraded", h.Checks["disk"])
	require.Equal(t, "healthy", h.Checks["database"])
	_, body = get(t, http.DefaultClient, base+"/metrics", nil)
	require.Contains(t, body, `efactura_dependency_up{dependency="disk"} 0`)

	require.NoError(t, os.Remove(filepath.Join(dir, "filler")))
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body = get(t, http.DefaultClient, base+"/readyz", nil)
		if code == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, 200, code, body)
	_, body = get(t, http.DefaultClient, base+"/metrics", nil)
	require.Contains(t, body, `efactura_dependency_up{dependency="disk"} 1`)
	require.Equal(t, 1, strings.Count(logs.String(), "local disk not writable"), "logged once, not per probe")
	require.Equal(t, 1, strings.Count(logs.String(), "local disk writable again"))
}
