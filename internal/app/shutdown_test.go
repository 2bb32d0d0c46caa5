package app_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
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

// TestGracefulShutdownOnSIGTERM builds the binary, starts `efactura serve`
// with a 2 s drain (EFACTURA_SHUTDOWN_DRAIN), begins a request whose body
// arrives slowly and sends SIGTERM: /readyz answers 503 at once while new
// requests on new connections are still answered 200 during the drain;
// then the listener closes, the in-flight request is answered when its
// body is finished, and the process exits 0.
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
		"DATABASE_URL=sqlite:"+filepath.Join(dir, "efactura.db"), "EFACTURA_LOG_FILE=", "REDIS_URL=", "EFACTURA_METRICS_ADDR=",
		"EFACTURA_SHUTDOWN_DRAIN=2s")
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
	signalled := time.Now()

	// Draining: /readyz is 503 at once, other requests still succeed, each
	// on a new connection (as a load balancer's would).
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	get := func(path string) (int, string) {
		resp, err := fresh.Get("http://" + addr + path)
		require.NoError(t, err, "GET %s while draining", path)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var code int
	var text string
	for time.Since(signalled) < time.Second {
		if code, text = get("/readyz"); code == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, http.StatusServiceUnavailable, code, "readyz after SIGTERM: %s", text)
	require.Contains(t, text, "draining")
	t.Logf("readyz 503 %v after SIGTERM", time.Since(signalled).Round(time.Millisecond))
	served := 0
	for time.Since(signalled) < 1500*time.Millisecond {
		c, _ := get("/login")
		require.Equal(t, http.StatusOK, c, "a page while draining")
		c, _ = get("/healthz")
		require.Equal(t, http.StatusOK, c, "healthz while draining")
		c, _ = get("/readyz")
		require.Equal(t, http.StatusServiceUnavailable, c, "readyz stays 503")
		served += 3
	}
	t.Logf("%d requests answered during the first 1.5 s of the drain", served)
	select {
	case err := <-exited:
		t.Fatalf("the process exited (%v) during the drain: %s", err, stderr.String())
	default:
	}
	// After the drain new connections are refused while the request is in flight.
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		require.Less(t, time.Since(signalled), 6*time.Second, "the listener still accepts 6 s after SIGTERM (drain 2 s)")
		time.Sleep(50 * time.Millisecond)
	}
	require.GreaterOrEqual(t, time.Since(signalled), 2*time.Second, "the listener closed before the drain ended")
	t.Logf("listener closed %v after SIGTERM", time.Since(signalled).Round(time.Millisecond))
	select {
	case err := <-exited:
		t.Fatalf("the process exited (%v) before the in-flight request finished: %s", err, stderr.String())
	default:
	}

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
	require.True(t, strings.Contains(stderr.String(), "draining"), stderr.String())
}
