package app_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGracefulShutdownOnSIGTERM builds the binary, starts `efactura serve`,
// begins a request whose body arrives slowly, sends SIGTERM, then finishes
// the body: the request is answered and the process exits 0.
func TestGracefulShutdownOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "efactura")
	build := exec.Command("go", "build", "-o", bin, "./cmd/efactura")
	build.Dir = "../.."
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"EFACTURA_ENV=development", "EFACTURA_ADDR="+addr, "EFACTURA_DATA_DIR="+dir,
		"DATABASE_URL=sqlite:"+filepath.Join(dir, "efactura.db"), "EFACTURA_LOG_FILE=", "REDIS_URL=", "EFACTURA_METRICS_ADDR=")
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "not ready in 60s: %s", stderr.String())
		time.Sleep(200 * time.Millisecond)
	}

	// A login whose body is sent in two halves, SIGTERM in between.
	body := "email=nobody%40example.com&password=not-the-password"
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		addr, len(body), body[:10])
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond) // the handler is now reading the body
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	time.Sleep(700 * time.Millisecond)
	select {
	case err := <-exited:
		t.Fatalf("the process exited (%v) before the in-flight request finished: %s", err, stderr.String())
	default:
	}
	// New connections are refused while the request is in flight.
	_, err = net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err, "the listener is closed")

	_, err = conn.Write([]byte(body[10:]))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Less(t, resp.StatusCode, 500, "the in-flight request was answered")

	select {
	case err := <-exited:
		require.NoError(t, err, "exit status; stderr: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit within 30s of SIGTERM: %s", stderr.String())
	}
	require.True(t, strings.Contains(stderr.String(), "shutdown complete"), stderr.String())
}
