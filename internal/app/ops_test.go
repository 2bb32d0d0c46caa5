package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/app"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/httpserver"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/testbuf"
)

// serveDemo runs the demo in-process with env and the logger app.NewLogger
// builds from it (writing to logs); it returns the demo's lines.
func serveDemo(t *testing.T, env map[string]string, logs io.Writer) (*app.Env, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{
		"EFACTURA_DATA_DIR": dir,
		"DATABASE_URL":      "sqlite:" + filepath.Join(dir, "efactura.db"),
		"EFACTURA_ADDR":     "127.0.0.1:0",
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := config.Load(func(k string) string { return base[k] })
	require.NoError(t, err)
	logger := app.NewLogger(cfg, logs)
	ctx, cancel := context.WithCancel(context.Background())
	e, err := app.Open(ctx, cfg, logger, app.OpenOptions{Migrate: true})
	require.NoError(t, err)
	out := &testbuf.Buffer{}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, e, app.ServeOptions{Demo: true, DemoInvoices: "../../testdata/invoices", Stdout: out,
			Ready: func(u string) { ready <- u }})
	}()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve --demo stopped: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve --demo did not become ready in 60s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30s")
		}
		e.Close()
	})
	lines := map[string]string{}
	for _, l := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			lines[k] = v
		}
	}
	require.NotEmpty(t, lines["url"], out.String())
	return e, lines
}

func get(t *testing.T, c *http.Client, u string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestProbesAndMetrics(t *testing.T) {
	t.Parallel()
	_, lines := serveDemo(t, map[string]string{"EFACTURA_METRICS_TOKEN": "scrape-token-0123456789"}, io.Discard)
	base, key := lines["url"], lines["api key"]
	c := http.DefaultClient

	code, body := get(t, c, base+"/healthz", nil)
	require.Equal(t, 200, code)
	require.Equal(t, "ok\n", body)
	code, body = get(t, c, base+"/readyz", nil)
	require.Equal(t, 200, code, body)

	var h struct {
		Status string         `json:"status"`
		Checks map[string]any `json:"checks"`
	}
	code, body = get(t, c, base+"/api/v1/health", nil)
	require.Equal(t, 200, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &h))
	require.Equal(t, "healthy", h.Checks["database"])
	require.Equal(t, "healthy", h.Checks["jobs"])
	require.Equal(t, "healthy", h.Checks["anaf"], "the demo's simulator answers")

	code, _ = get(t, c, base+"/api/v1/invoices", map[string]string{"X-API-KEY": key})
	require.Equal(t, 200, code)

	// Loopback clients read /metrics; a proxied request does not, a token holder does.
	// The demo's first sync runs in the background: wait for its ANAF calls
	// to be counted (a loaded machine may take a while).
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body = get(t, c, base+"/metrics", nil)
		require.Equal(t, 200, code)
		if strings.Contains(body, `efactura_anaf_calls_total{endpoint=`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, want := range []string{
		`efactura_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
		`efactura_http_requests_total{method="GET",route="GET /api/v1/invoices",status="200"} 1`,
		`efactura_db_connections{state="max"}`,
		`efactura_anaf_token_expiry_days`,
		`efactura_anaf_calls_total{endpoint=`,
		`efactura_build_info{`,
		`efactura_anaf_quota_remaining{quota="rate"}`,
	} {
		require.Contains(t, body, want)
	}
	code, _ = get(t, c, base+"/metrics", map[string]string{"X-Forwarded-For": "203.0.113.9"})
	require.Equal(t, 404, code)
	code, _ = get(t, c, base+"/metrics", map[string]string{"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer scrape-token-0123456789"})
	require.Equal(t, 200, code)
}

func TestMetricsOnTheirOwnListener(t *testing.T) {
	t.Parallel()
	// A free port for the metrics listener.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	_, lines := serveDemo(t, map[string]string{"EFACTURA_METRICS_ADDR": addr}, io.Discard)
	code, _ := get(t, http.DefaultClient, lines["url"]+"/metrics", nil)
	require.Equal(t, 404, code, "not on the main listener when EFACTURA_METRICS_ADDR is set")
	code, body := get(t, http.DefaultClient, "http://"+addr+"/metrics", nil)
	require.Equal(t, 200, code)
	require.Contains(t, body, "efactura_build_info")
}

// TestLogsCarryNoSecrets runs a full flow — demo start, web login, API
// calls, an ANAF OAuth connect — with every log line captured at debug
// level, and proves no password, API key, OAuth code or token was logged,
// and that request lines carry a request id.
func TestLogsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	logs := &testbuf.Buffer{}
	e, lines := serveDemo(t, map[string]string{"EFACTURA_LOG_LEVEL": "debug", "EFACTURA_LOG_FORMAT": "json"}, logs)
	base, key := lines["url"], lines["api key"]
	email, password, _ := strings.Cut(lines["admin"], " ")
	require.NotEmpty(t, password)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// Web login (and a failed one, whose password must not show either).
	resp, err := noFollow.PostForm(base+"/login", url.Values{"email": {email}, "password": {"wrong-" + password}})
	require.NoError(t, err)
	resp.Body.Close()
	resp, err = noFollow.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// API calls, one with a wrong key.
	for _, k := range []string{key, key + "x"} {
		get(t, http.DefaultClient, base+"/api/v1/invoices?per_page=5", map[string]string{"X-API-KEY": k})
		get(t, http.DefaultClient, base+"/api/v1/health", map[string]string{"X-API-KEY": k})
	}

	// ANAF OAuth connect: gateway → simulator's authorize → callback with a code.
	resp, err = noFollow.Get(base + "/anaf/connect")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, err = noFollow.Get(resp.Header.Get("Location"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	oauthCode := back.Query().Get("code")
	require.NotEmpty(t, oauthCode)
	resp, err = noFollow.Get(back.String())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	u, err := e.Store.UserByEmail(context.Background(), email)
	require.NoError(t, err)
	tok, err := e.Store.ANAFTokenByUser(context.Background(), u.ID)
	require.NoError(t, err)
	access, err := e.Secrets.Decrypt(tok.AccessTokenEnc)
	require.NoError(t, err)
	refresh, err := e.Secrets.Decrypt(tok.RefreshTokenEnc)
	require.NoError(t, err)

	out := logs.String()
	require.Contains(t, out, `"msg":"http request"`, "the flow was logged")
	secrets := map[string]string{
		"admin password": password, "API key": key, "API key body": strings.TrimPrefix(key, "efk_"),
		"OAuth code": oauthCode, "access token": string(access), "refresh token": string(refresh),
		"secret key": e.Cfg.SecretKey, "encryption key": e.Cfg.EncryptionKey,
	}
	for name, s := range secrets {
		require.NotEmpty(t, s, name)
		require.NotContains(t, out, s, "the %s appears in the logs", name)
	}
	// Every access line carries a request id.
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, `"msg":"http request"`) {
			n++
			require.Contains(t, l, `"request_id":"`, l)
		}
	}
	require.Greater(t, n, 5)
}

func TestRequestIDOnEveryLineOfARequest(t *testing.T) {
	t.Parallel()
	var buf testbuf.Buffer
	cfg := &config.Config{LogFormat: "json", LogLevel: "debug"}
	logger := app.NewLogger(cfg, &buf)
	h := httpserver.RequestID(httpserver.AccessLog(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "inside the handler")
		logger.With(slog.String("component", "x")).WarnContext(r.Context(), "derived logger")
	})))
	req, _ := http.NewRequest("GET", "/x", nil)
	req.Header.Set("X-Request-ID", "req-abc-123")
	h.ServeHTTP(discardWriter{}, req)
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, got, 3)
	for _, l := range got {
		require.Contains(t, l, `"request_id":"req-abc-123"`)
		require.Equal(t, 1, strings.Count(l, `"request_id"`), l)
	}
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}

var _ = store.SQLite

// TestRedisHealthyWhenConfigured: with REDIS_URL set and Redis up, the
// gateway is ready and health reports redis "healthy". (Redis down is
// "degraded", never a readiness failure: TestRedisOutageDegrades.)
func TestRedisHealthyWhenConfigured(t *testing.T) {
	t.Parallel()
	redisURL := os.Getenv("EFACTURA_TEST_REDIS_URL")
	if redisURL == "" {
		t.Skip("EFACTURA_TEST_REDIS_URL is not set")
	}
	_, lines := serveDemo(t, map[string]string{"REDIS_URL": redisURL}, io.Discard)
	code, body := get(t, http.DefaultClient, lines["url"]+"/readyz", nil)
	require.Equal(t, 200, code, body)
	var h struct {
		Checks map[string]any `json:"checks"`
	}
	code, body = get(t, http.DefaultClient, lines["url"]+"/api/v1/health", nil)
	require.Equal(t, 200, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &h))
	require.Equal(t, "healthy", h.Checks["redis"])
}
