package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/app"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/httpserver"
)

// TestProcessLogIsJSON runs `efactura serve` with JSON logs at debug level
// and REDIS_URL naming a port where nothing listens (go-redis then logs
// its failed dials), behind a trusted proxy: every line the process
// writes to stderr, until it has stopped, is one JSON object (go-redis's
// own logger goes through slog); the access log carries the client's
// address from X-Forwarded-For; a 48 KB path writes a short line.
func TestProcessLogIsJSON(t *testing.T) {
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
	dead, err := net.Listen("tcp", "127.0.0.1:0") // a port with nothing behind it once closed
	require.NoError(t, err)
	redisAddr := dead.Addr().String()
	require.NoError(t, dead.Close())

	var stderr, stdout bytes.Buffer
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"EFACTURA_ENV=development", "EFACTURA_ADDR="+addr, "EFACTURA_DATA_DIR="+dir,
		"DATABASE_URL=sqlite:"+filepath.Join(dir, "efactura.db"), "EFACTURA_LOG_FILE=", "EFACTURA_METRICS_ADDR=",
		"EFACTURA_LOG_FORMAT=json", "EFACTURA_LOG_LEVEL=debug", "REDIS_URL=redis://"+redisAddr+"/0",
		"EFACTURA_TRUSTED_PROXIES=127.0.0.1", "EFACTURA_SHUTDOWN_DRAIN=0s")
	cmd.Stderr = &stderr
	cmd.Stdout = &stdout
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
	get := func(path string) {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		require.NoError(t, err)
		req.Header.Set("X-Forwarded-For", "198.51.100.9")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	get("/healthz")
	get("/api/v1/health") // asks Redis: go-redis fails to dial
	longPath := "/" + strings.Repeat("a", 48<<10)
	get(longPath)
	time.Sleep(300 * time.Millisecond)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "exit status; stderr: %.2000s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit within 30s of SIGTERM")
	}

	var redisLines, goRedis, longest int
	var sawClient, sawLong bool
	for i, line := range strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "stderr line %d is not JSON: %.300s", i+1, line)
		longest = max(longest, len(line))
		msg, _ := m["msg"].(string)
		if strings.Contains(strings.ToLower(msg), "redis") {
			redisLines++
		}
		if strings.HasPrefix(msg, "redis client: ") { // go-redis's own logger, through slog
			goRedis++
		}
		if msg == "http request" && m["path"] == "/healthz" {
			require.Equal(t, "198.51.100.9", m["client_ip"], line)
			sawClient = true
		}
		if msg == "http request" && m["path_bytes"] != nil {
			require.EqualValues(t, len(longPath), m["path_bytes"])
			require.Less(t, len(line), 2048, "the 48 KB path's line")
			sawLong = true
		}
	}
	require.True(t, sawClient, "an access line with client_ip")
	require.True(t, sawLong, "the long path's access line")
	require.Positive(t, redisLines, "lines about Redis")
	require.Positive(t, goRedis, "go-redis's own lines, as JSON")
	require.NotContains(t, stderr.String(), strings.Repeat("a", 4096), "no field of 4 KB")
	t.Logf("%d JSON lines, %d about Redis (%d from go-redis), longest %d bytes", strings.Count(stderr.String(), "\n"), redisLines, goRedis, longest)
}

// TestLoggerCapsFields: any string value (and the message) over
// app.MaxLogField is cut, "stack" excepted; short records are untouched.
func TestLoggerCapsFields(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := app.NewLogger(&config.Config{LogFormat: "json", LogLevel: "debug"}, &buf)
	huge := strings.Repeat("x", 48<<10)
	logger.Warn(huge, "error", "quoting "+huge, "stack", huge, "n", 3)
	logger.Info("short", "error", "fine")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
	require.LessOrEqual(t, len(m["msg"].(string)), app.MaxLogField+len("…"))
	require.LessOrEqual(t, len(m["error"].(string)), app.MaxLogField+len("…"))
	require.Len(t, m["stack"].(string), len(huge), "the stack is kept whole")
	require.EqualValues(t, 3, m["n"])
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &m))
	require.Equal(t, "fine", m["error"])
}

// TestErrorOfAGoneClientIsInfo: an error logged with the context of a
// request whose client went away is written at INFO with client_gone; the
// same error for a client still there stays ERROR, and so does a panic.
func TestErrorOfAGoneClientIsInfo(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := app.NewLogger(&config.Config{LogFormat: "json", LogLevel: "info"}, &buf)
	var reqCtx context.Context
	httpserver.RequestID(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { reqCtx = r.Context() })).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	gone, cancel := context.WithCancel(reqCtx)
	cancel()
	logger.ErrorContext(gone, "api error", "error", "listing invoices: context canceled")
	logger.ErrorContext(reqCtx, "api error", "error", "listing invoices: disk I/O error")
	logger.ErrorContext(gone, "panic serving request", "panic", "boom")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3)
	for i, want := range []struct {
		level string
		gone  bool
	}{{"INFO", true}, {"ERROR", false}, {"ERROR", false}} {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &m))
		require.Equal(t, want.level, m["level"], lines[i])
		require.Equal(t, want.gone, m["client_gone"] == true, lines[i])
		require.NotEmpty(t, m["request_id"])
	}
}
