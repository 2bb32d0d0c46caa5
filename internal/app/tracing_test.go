package app_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/efactura-gateway/efactura/internal/testbuf"
	"github.com/efactura-gateway/efactura/internal/tracing"
)

// getWithID sends GET u with X-Request-ID id (and the API key when set).
func getWithID(t *testing.T, u, id, key string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	req.Header.Set("X-Request-ID", id)
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) (string, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String(), true
		}
	}
	return "", false
}

// TestTracingSpansAndLogIDs installs an SDK provider over the in-memory
// exporter and runs the real server (serve --demo): a request gets a
// server span named by its route (the nested API mux's pattern for the
// API) with its status; the access log line carries the span's trace and
// span ids; the demo's sync yields job, sync step and ANAF spans with the
// endpoint and outcome, and database spans inside them. Not parallel: the provider is global.
func TestTracingSpansAndLogIDs(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	restore := tracing.Install(tp)
	t.Cleanup(func() { restore(); _ = tp.Shutdown(t.Context()) })

	logs := &testbuf.Buffer{}
	_, lines := serveDemo(t, map[string]string{"EFACTURA_LOG_FORMAT": "json"}, logs)
	base, key := lines["url"], lines["api key"]

	require.Equal(t, 200, getWithID(t, base+"/healthz", "trace-healthz", ""))
	_ = getWithID(t, base+"/api/v1/invoices/does-not-exist", "trace-api", key) // its status does not matter here
	require.Equal(t, 404, getWithID(t, base+"/no/such/page", "trace-404", ""))

	byID := func(id string) sdktrace.ReadOnlySpan {
		for _, s := range exp.GetSpans().Snapshots() {
			if v, ok := spanAttr(s, "request.id"); ok && v == id {
				return s
			}
		}
		return nil
	}
	hz := byID("trace-healthz")
	require.NotNil(t, hz, "no span for /healthz")
	require.Equal(t, "GET /healthz", hz.Name())
	require.Equal(t, trace.SpanKindServer, hz.SpanKind())
	route, _ := spanAttr(hz, "http.route")
	require.Equal(t, "/healthz", route)
	status, _ := spanAttr(hz, "http.response.status_code")
	require.Equal(t, "200", status)

	api := byID("trace-api")
	require.NotNil(t, api)
	require.Equal(t, "GET /api/v1/invoices/{id}", api.Name(), "the nested API mux's pattern names the span")

	nf := byID("trace-404")
	require.NotNil(t, nf)
	status, _ = spanAttr(nf, "http.response.status_code")
	require.Equal(t, "404", status)

	// The access log line of /healthz carries the span's ids.
	var found bool
	for _, l := range strings.Split(logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) != nil || rec["msg"] != "http request" || rec["request_id"] != "trace-healthz" {
			continue
		}
		found = true
		require.Equal(t, hz.SpanContext().TraceID().String(), rec["trace_id"], l)
		require.Equal(t, hz.SpanContext().SpanID().String(), rec["span_id"], l)
	}
	require.True(t, found, "no access log line for /healthz:\n%s", logs.String())

	// The demo's sync: River jobs, a sync step, ANAF calls.
	names := func() map[string]sdktrace.ReadOnlySpan {
		m := map[string]sdktrace.ReadOnlySpan{}
		for _, s := range exp.GetSpans().Snapshots() {
			m[s.Name()] = s
		}
		return m
	}
	require.Eventually(t, func() bool {
		m := names()
		return m["job sync_company"] != nil && m["sync step"] != nil && m["anaf descarcare"] != nil
	}, 90*time.Second, 200*time.Millisecond, "spans seen: %v", func() []string {
		var n []string
		for k := range names() {
			n = append(n, k)
		}
		return n
	}())
	m := names()
	ep, _ := spanAttr(m["anaf descarcare"], "anaf.endpoint")
	require.Equal(t, "descarcare", ep)
	out, ok := spanAttr(m["anaf descarcare"], "anaf.outcome")
	require.True(t, ok)
	require.NotEmpty(t, out)
	require.Equal(t, trace.SpanKindClient, m["anaf descarcare"].SpanKind())
	kind, _ := spanAttr(m["job sync_company"], "job.kind")
	require.Equal(t, "sync_company", kind)
	// The step runs inside its job's span.
	step := m["sync step"]
	require.True(t, step.Parent().IsValid())
	// Database calls (otelsql) are spans inside the traced work.
	var db sdktrace.ReadOnlySpan
	for name, s := range m {
		if strings.HasPrefix(name, "sql.") && s.Parent().IsValid() {
			db = s
		}
	}
	require.NotNil(t, db, "a database span")
	sys, _ := spanAttr(db, "db.system.name")
	require.Equal(t, "sqlite", sys)
}

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes every POST
// /v1/traces (protobuf, gzip or not) and keeps the spans with their
// resource's service.name.
type otlpReceiver struct {
	mu    sync.Mutex
	spans map[string]string // span name → service.name
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		svc := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				svc = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				if s.GetKind() == tracepb.Span_SPAN_KIND_SERVER || o.spans[s.GetName()] == "" {
					o.spans[s.GetName()] = svc
				}
			}
		}
	}
	o.mu.Unlock()
	resp, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = io.Copy(w, bytes.NewReader(resp))
}

func (o *otlpReceiver) service(name string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.spans[name]
}

// TestTracingExportsOverOTLP points OTEL_EXPORTER_OTLP_ENDPOINT at an
// OTLP/HTTP receiver served in-process: with only the standard variables
// set, the server's spans arrive there, under OTEL_SERVICE_NAME.
func TestTracingExportsOverOTLP(t *testing.T) {
	rcv := &otlpReceiver{spans: map[string]string{}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "efactura-otlp-test")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "100") // ms: export soon

	_, lines := serveDemo(t, nil, io.Discard)
	require.True(t, tracing.Enabled())
	require.Equal(t, 200, getWithID(t, lines["url"]+"/healthz", "otlp-healthz", ""))
	require.Eventually(t, func() bool { return rcv.service("GET /healthz") != "" }, 30*time.Second, 100*time.Millisecond)
	require.Equal(t, "efactura-otlp-test", rcv.service("GET /healthz"))
}
