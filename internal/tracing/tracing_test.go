package tracing

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/efactura-gateway/efactura/internal/httpserver"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestOffByDefault: without an endpoint Setup installs nothing, the HTTP
// middleware is not added, and spans are no-op ones.
func TestOffByDefault(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	shutdown, err := Setup(t.Context(), discard)
	require.NoError(t, err)
	require.NoError(t, shutdown(t.Context()))
	require.False(t, Enabled())
	next := http.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	require.Equal(t, fmtPtr(next), fmtPtr(Handler(next)), "Handler must return next itself while off")
	require.Equal(t, fmtPtr(next), fmtPtr(Routes(next)), "Routes must return next itself while off")
	_, span := Start(t.Context(), "x")
	require.False(t, span.IsRecording())
	require.False(t, span.SpanContext().IsValid())
	span.End()

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_SDK_DISABLED", "true")
	require.False(t, Configured())
}

func fmtPtr(h http.Handler) string { return fmt.Sprintf("%T %p", h, h) }

func TestSpanName(t *testing.T) {
	require.Equal(t, "GET", spanName("GET", ""))
	require.Equal(t, "GET /api/v1/invoices/{id}", spanName("GET", "GET /api/v1/invoices/{id}"))
	require.Equal(t, "POST /", spanName("POST", "/"))
	require.Equal(t, "HTTP /", spanName("BREW", "/"), "a made-up method names no span")
}

// TestResourceFromEnv: OTEL_SERVICE_NAME wins over the default name.
func TestResourceFromEnv(t *testing.T) {
	res, err := Resource(t.Context())
	require.NoError(t, err)
	if os.Getenv("OTEL_SERVICE_NAME") == "" {
		require.Equal(t, DefaultServiceName, serviceName(res))
	}
	t.Setenv("OTEL_SERVICE_NAME", "gw-eu-1")
	res, err = Resource(t.Context())
	require.NoError(t, err)
	require.Equal(t, "gw-eu-1", serviceName(res))
}

// cpu is this process's user+system CPU time.
func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return string(b)
}

// stack is the middleware order of app.Serve around a small mux.
func stack() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /x/{id}", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	h := Routes(mux)
	h = httpserver.AccessLog(discard, h)
	h = httpserver.RequestID(h)
	return Handler(h)
}

// BenchmarkHandler measures the per-request cost of the tracing
// middleware off (the default) and on (SDK, every span sampled, batched
// to an exporter that drops them), with CPU time and the load average.
func BenchmarkHandler(b *testing.B) {
	run := func(b *testing.B) {
		h := stack()
		r := httptest.NewRequest(http.MethodGet, "/x/1", nil)
		c0 := cpu()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			h.ServeHTTP(httptest.NewRecorder(), r)
		}
		b.ReportMetric(float64(cpu()-c0)/float64(b.N), "cpu-ns/op")
		b.Logf("load average: %s", loadavg())
	}
	b.Run("off", run)
	b.Run("on", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		restore := Install(tp)
		defer func() { restore(); _ = tp.Shutdown(context.Background()) }()
		run(b)
	})
}

// TestRoutesNamesSpan: the span of a request is renamed after routing.
func TestRoutesNamesSpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	restore := Install(tp)
	t.Cleanup(func() { restore(); _ = tp.Shutdown(context.Background()) })
	rec := httptest.NewRecorder()
	stack().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x/42", nil))
	require.Equal(t, 200, rec.Code)
	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	require.Equal(t, "GET /x/{id}", spans[0].Name)
	require.Equal(t, trace.SpanKindServer, spans[0].SpanKind)
}

// TestCollectorDownCostsNoRequest: with the endpoint on a port where
// nothing listens, requests are answered as fast as ever and the failed
// export is logged as a warning; shutdown keeps to its deadline.
func TestCollectorDownCostsNoRequest(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := l.Addr().String()
	require.NoError(t, l.Close())
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+dead)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "10")
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "200")
	var logs syncBuf
	shutdown, err := Setup(t.Context(), slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	require.True(t, Enabled())
	h := stack()
	start := time.Now()
	for range 100 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x/1", nil))
		require.Equal(t, 200, rec.Code)
	}
	require.Less(t, time.Since(start), 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start = time.Now()
	_ = shutdown(ctx) // the last batch cannot be sent: an error, within the deadline
	require.Less(t, time.Since(start), 3*time.Second)
	require.False(t, Enabled())
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "tracing: ") }, 5*time.Second, 50*time.Millisecond,
		"the failed export is logged: %s", logs.String())
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// BenchmarkSpanOff is the cost of a span the code starts while tracing
// is off (ANAF calls, jobs, sync steps).
func BenchmarkSpanOff(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, span := Start(ctx, "anaf descarcare", trace.WithSpanKind(trace.SpanKindClient))
		End(span, nil)
	}
}
