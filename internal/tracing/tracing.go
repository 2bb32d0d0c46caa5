// Package tracing is the gateway's OpenTelemetry tracing (APM). It is off
// by default: without OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) nothing is installed, the HTTP
// middleware is not even added, and the spans the code starts elsewhere
// (ANAF calls, sync steps, jobs) are OpenTelemetry's no-op spans. With an
// endpoint, spans are batched and sent over OTLP/HTTP (protobuf); every
// standard OTEL_* variable the SDK and the exporter read applies
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG, OTEL_EXPORTER_OTLP_HEADERS, OTEL_BSP_*, …).
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/efactura-gateway/efactura/internal/httpserver"
	"github.com/efactura-gateway/efactura/internal/version"
)

// DefaultServiceName is service.name when OTEL_SERVICE_NAME is unset.
const DefaultServiceName = "efactura-gateway"

// Instrumentation is the name of the tracer the gateway's own spans use.
const Instrumentation = "github.com/efactura-gateway/efactura"

var enabled atomic.Bool

// Enabled reports whether a tracer provider was installed (Setup with an
// endpoint, or Install).
func Enabled() bool { return enabled.Load() }

// Configured reports whether the environment asks for tracing: an OTLP
// endpoint is set and OTEL_SDK_DISABLED is not "true".
func Configured() bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs the OTLP/HTTP exporter with a batch span processor as
// the global tracer provider when the environment configures one
// (Configured), and returns the function that flushes and stops it (call
// it once, on exit). Unconfigured, it installs nothing and the returned
// function does nothing. Export failures are logged at WARN.
func Setup(ctx context.Context, logger *slog.Logger) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if !Configured() {
		return noop, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return noop, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := Resource(ctx)
	if err != nil {
		_ = exp.Shutdown(ctx)
		return noop, err
	}
	// The sampler is the SDK's default, read from OTEL_TRACES_SAMPLER
	// (parentbased_always_on when unset).
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing: " + err.Error())
	}))
	restore := Install(tp)
	logger.Info("tracing on: spans are exported over OTLP/HTTP",
		slog.String("service", serviceName(res)))
	return func(ctx context.Context) error {
		restore()
		return tp.Shutdown(ctx)
	}, nil
}

// Resource describes this process: service.name (OTEL_SERVICE_NAME, else
// DefaultServiceName), service.version, the SDK, and OTEL_RESOURCE_ATTRIBUTES.
func Resource(ctx context.Context) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(
			attribute.String("service.name", DefaultServiceName),
			attribute.String("service.version", version.Version)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return res, nil
}

func serviceName(res *resource.Resource) string {
	v, _ := res.Set().Value("service.name")
	return v.AsString()
}

// Install makes tp the global tracer provider (W3C trace context
// propagation) and turns the HTTP middleware on; restore turns it off,
// with a no-op provider and the previous propagator. Setup calls it; tests
// call it with an SDK provider over an in-memory exporter.
func Install(tp trace.TracerProvider) (restore func()) {
	prevProp := otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	enabled.Store(true)
	return func() {
		enabled.Store(false)
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(prevProp)
	}
}

// Tracer is the gateway's tracer from the current global provider (a
// no-op one while tracing is off). Looked up per use, so a provider
// installed later (tests) is the one used.
func Tracer() trace.Tracer { return otel.Tracer(Instrumentation) }

// Start starts a span of the gateway's tracer (while tracing is off, a
// no-op span at once, without asking the global provider).
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !Enabled() {
		return ctx, noop.Span{}
	}
	return Tracer().Start(ctx, name, opts...)
}

// End ends span, recording err (nil: success) as its status.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// ---- HTTP

// Handler wraps the whole HTTP stack (outermost, so the access log and
// every log line of the request see the span) in a server span per
// request: W3C traceparent from the client is continued, the status code
// is recorded, and the span is named "METHOD route" after routing by
// Routes. While tracing is off it returns next unchanged.
func Handler(next http.Handler) http.Handler {
	if !Enabled() {
		return next
	}
	return otelhttp.NewHandler(next, "http",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return spanName(r.Method, r.Pattern) // renamed by Routes once the route is known
		}))
}

type routeSlot struct{ pattern string }

type slotKey struct{}

// NoteRoute records r.Pattern (set by the ServeMux that routed r) as the
// route of the request's span, for handlers behind a nested mux
// (metrics.NoteRoute calls it). Harmless without Routes.
func NoteRoute(r *http.Request) {
	if s, ok := r.Context().Value(slotKey{}).(*routeSlot); ok && r.Pattern != "" {
		s.pattern = r.Pattern
	}
}

// Routes goes directly around the root ServeMux: once it has answered,
// the request's span is named "METHOD route" and gets http.route (the
// pattern matched, the deepest noted by NoteRoute, without its method)
// and request.id. Unmatched requests keep the method alone as name. While
// tracing is off it returns next unchanged.
func Routes(next http.Handler) http.Handler {
	if !Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slot := &routeSlot{}
		r = r.WithContext(context.WithValue(r.Context(), slotKey{}, slot))
		defer func() {
			span := trace.SpanFromContext(r.Context())
			if id := httpserver.RequestIDFrom(r.Context()); id != "" {
				span.SetAttributes(attribute.String("request.id", id))
			}
			route := slot.pattern
			if route == "" {
				route = r.Pattern
			}
			if route == "" {
				return
			}
			span.SetName(spanName(r.Method, route))
			span.SetAttributes(attribute.String("http.route", routePath(route)))
		}()
		next.ServeHTTP(w, r)
	})
}

// routePath is a ServeMux pattern without its method: "GET /x/{id}" → "/x/{id}".
func routePath(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return strings.TrimSpace(pattern[i+1:])
	}
	return pattern
}

// spanName is "METHOD route", or the method alone before routing (or
// when nothing matched). A method that is not RFC 9110's is "HTTP", so a
// client cannot make names up.
func spanName(method, pattern string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
	default:
		method = "HTTP"
	}
	if pattern == "" {
		return method
	}
	return method + " " + routePath(pattern)
}
