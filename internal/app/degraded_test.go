package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/app"
	"github.com/efactura-gateway/efactura/internal/testbuf"
)

// httpSeries returns the efactura_http_* series (name and labels, no
// value) the gateway's /metrics exposes.
func httpSeries(t *testing.T, base string) map[string]bool {
	t.Helper()
	code, body := get(t, http.DefaultClient, base+"/metrics", nil)
	require.Equal(t, 200, code)
	out := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "efactura_http_") {
			out[l[:strings.LastIndexByte(l, ' ')]] = true
		}
	}
	return out
}

func do(t *testing.T, method, u string) int {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestMadeUpMethodsAddNoSeries: on the running gateway, after one request
// with a made-up method (501, method="OTHER", route="unmatched"), 100
// requests with random made-up methods and random paths (web and API)
// add no metrics series.
func TestMadeUpMethodsAddNoSeries(t *testing.T) {
	t.Parallel()
	_, lines := serveDemo(t, nil, io.Discard)
	base := lines["url"]
	require.Equal(t, http.StatusNotImplemented, do(t, "MADEUP", base+"/"))
	httpSeries(t, base)           // a first scrape creates the series of /metrics itself
	before := httpSeries(t, base) // the scrape's own series included
	for i := range 100 {
		method := fmt.Sprintf("X%dQ%d", i, rand.IntN(1e9))
		path := []string{"/", "/api/v1/", "/invoices/", "/static/", "/api/v1/invoices/"}[i%5] + fmt.Sprint(rand.IntN(1e9))
		do(t, method, base+path)
	}
	after := httpSeries(t, base)
	for s := range after {
		_ = s
	}
	t.Logf("series before %d after %d", len(before), len(after))
	_, body := get(t, http.DefaultClient, base+"/metrics", nil)
	require.Contains(t, body, `efactura_http_requests_total{method="OTHER",route="unmatched",status="501"} 101`)
}

// freePort returns a loopback address nothing listens on (just now).
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// startRedis runs a throwaway redis-server on addr (never the shared one)
// and returns a function stopping it; it is stopped at the end anyway.
func startRedis(t *testing.T, addr string) (stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is needed in CI")
		}
		t.Skip("redis-server not installed: skipping the Redis outage test")
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	require.NoError(t, cmd.Start())
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			return stop
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type healthBody struct {
	Status string         `json:"status"`
	Checks map[string]any `json:"checks"`
}

func health(t *testing.T, base string) (int, healthBody) {
	t.Helper()
	code, body := get(t, http.DefaultClient, base+"/api/v1/health", nil)
	var h healthBody
	require.NoError(t, json.Unmarshal([]byte(body), &h), body)
	return code, h
}

// waitRedisCheck waits (the probe is cached RedisProbeEvery) until health
// reports Redis as want.
func waitRedisCheck(t *testing.T, base, want string) healthBody {
	t.Helper()
	deadline := time.Now().Add(3*app.RedisProbeEvery + 5*time.Second)
	for {
		code, h := health(t, base)
		require.Equal(t, 200, code, "Redis never makes health 503")
		if h.Checks["redis"] == want || time.Now().After(deadline) {
			require.Equal(t, want, h.Checks["redis"], "%+v", h)
			return h
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestRedisOutageDegrades: with Redis stopped, /readyz stays 200 (a Redis
// outage must not pull every replica), /api/v1/health says "degraded"
// (redis: degraded), efactura_dependency_up{dependency="redis"} is 0, the
// API keeps answering with rate limits kept in the process, and the
// outage is logged once, not per request; when Redis is back, all of it
// turns back (logged once).
func TestRedisOutageDegrades(t *testing.T) {
	t.Parallel()
	addr := freePort(t)
	stop := startRedis(t, addr)
	logs := &testbuf.Buffer{}
	_, lines := serveDemo(t, map[string]string{"REDIS_URL": "redis://" + addr + "/0"}, logs)
	base, key := lines["url"], lines["api key"]

	code, body := get(t, http.DefaultClient, base+"/readyz", nil)
	require.Equal(t, 200, code, body)
	h := waitRedisCheck(t, base, "healthy")
	require.NotEqual(t, "unhealthy", h.Status)

	stop()
	for i := range 30 {
		code, body = get(t, http.DefaultClient, base+"/api/v1/invoices", map[string]string{"X-API-KEY": key})
		require.Equal(t, 200, code, "request %d with Redis down: %s", i, body)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/invoices", nil)
	req.Header.Set("X-API-KEY", key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.NotEmpty(t, resp.Header.Get("X-RateLimit-Remaining"), "limits still apply, in the process")
	code, body = get(t, http.DefaultClient, base+"/readyz", nil)
	require.Equal(t, 200, code, "readiness ignores Redis: %s", body)
	h = waitRedisCheck(t, base, "degraded")
	require.Equal(t, "degraded", h.Status)
	require.Equal(t, "healthy", h.Checks["database"])
	_, body = get(t, http.DefaultClient, base+"/metrics", nil)
	require.Contains(t, body, `efactura_dependency_up{dependency="redis"} 0`)
	require.Equal(t, 1, strings.Count(logs.String(), "Redis is unavailable"), "logged once per state change")
	require.NotContains(t, logs.String(), "rate limiter unavailable", "no line per request")

	startRedis(t, addr) // back on the same address
	waitRedisCheck(t, base, "healthy")
	code, _ = get(t, http.DefaultClient, base+"/api/v1/invoices", map[string]string{"X-API-KEY": key})
	require.Equal(t, 200, code)
	_, body = get(t, http.DefaultClient, base+"/metrics", nil)
	require.Contains(t, body, `efactura_dependency_up{dependency="redis"} 1`)
	require.Equal(t, 1, strings.Count(logs.String(), "Redis is reachable again"))
	require.Equal(t, 1, strings.Count(logs.String(), "Redis is unavailable"))
}

// TestRedisDownAtStart: a gateway whose Redis is unreachable from the
// start starts anyway, ready, degraded, with in-process limits.
func TestRedisDownAtStart(t *testing.T) {
	t.Parallel()
	addr := freePort(t) // nothing listens there
	logs := &testbuf.Buffer{}
	_, lines := serveDemo(t, map[string]string{"REDIS_URL": "redis://" + addr + "/0"}, logs)
	base, key := lines["url"], lines["api key"]
	code, body := get(t, http.DefaultClient, base+"/readyz", nil)
	require.Equal(t, 200, code, body)
	h := waitRedisCheck(t, base, "degraded")
	require.Equal(t, "degraded", h.Status)
	for range 10 {
		code, _ = get(t, http.DefaultClient, base+"/api/v1/invoices", map[string]string{"X-API-KEY": key})
		require.Equal(t, 200, code)
	}
	require.Equal(t, 1, strings.Count(logs.String(), "Redis is unavailable"), logs.String())
}
