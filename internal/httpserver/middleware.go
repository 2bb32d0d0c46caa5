// Package httpserver holds the HTTP plumbing shared by the web pages and the
// API: request ids, the access log, panic recovery, security headers and the
// client address behind trusted proxies.
package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestIDFrom returns the request id stored by RequestID, or "".
func RequestIDFrom(ctx context.Context) string {
	v, _ := ctx.Value(requestIDKey).(string)
	return v
}

// RequestID gives every request an id (a sane incoming X-Request-ID is
// kept), stores it in the context and echoes it in the response header.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !saneID(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func saneID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// StatusRecorder is a ResponseWriter that remembers the status and the
// number of body bytes sent through it, for the access log and the
// metrics middleware. Unwrap lets http.ResponseController reach the
// writer beneath.
type StatusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// NewStatusRecorder wraps w.
func NewStatusRecorder(w http.ResponseWriter) *StatusRecorder {
	return &StatusRecorder{ResponseWriter: w}
}

// Status is the first status written, 200 when the handler wrote none.
func (w *StatusRecorder) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Bytes is the number of body bytes written.
func (w *StatusRecorder) Bytes() int64 { return w.bytes }

// WriteHeader records the first status and passes it on.
func (w *StatusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and counts the bytes written.
func (w *StatusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *StatusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// StatusClientClosedRequest (499, nginx's) is the status recorded for a
// request whose client went away before it was answered: logged at INFO,
// never counted as a server error.
const StatusClientClosedRequest = 499

// Outcome is the status to record for r answered through w: w's status,
// or 499 when the client disconnected (r's context cancelled) before an
// answer was written or while the handler failed with a 5xx because of it.
func (w *StatusRecorder) Outcome(r *http.Request) int {
	if errors.Is(r.Context().Err(), context.Canceled) && (w.status == 0 || w.status >= 500) {
		return StatusClientClosedRequest
	}
	return w.Status()
}

// Caps of the access log's fields: a 48 KB path or a made-up method
// must not write a 48 KB line.
const (
	MaxLoggedPath   = 512
	MaxLoggedMethod = 16
)

// Truncate returns s cut to at most max bytes (at a rune boundary) with
// "…" appended when it was cut.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// AccessLog is AccessLogTrusting without trusted proxies: client_ip is
// the connection's peer.
func AccessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return AccessLogTrusting(logger, nil, next)
}

// AccessLogTrusting writes one line per request after the response, at a
// level that follows the status (5xx error, 4xx warn, else info; a client
// that went away, 499, info). client_ip is ClientIP behind the trusted
// proxies. The query string is never logged (it may carry OAuth codes);
// the path and the method are capped (MaxLoggedPath, MaxLoggedMethod; a
// longer path adds path_bytes, its length).
func AccessLogTrusting(logger *slog.Logger, trusted []*net.IPNet, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := NewStatusRecorder(w)
		next.ServeHTTP(sw, r)
		status := sw.Outcome(r)
		level := slog.LevelInfo
		switch {
		case status == StatusClientClosedRequest:
			level = slog.LevelInfo // the client's doing, not an error of ours
		case status == http.StatusNotImplemented:
			level = slog.LevelWarn // a made-up method (KnownMethods): the client's doing
		case status >= 500:
			level = slog.LevelError
		case status >= 400:
			level = slog.LevelWarn
		}
		attrs := []slog.Attr{
			slog.String("request_id", RequestIDFrom(r.Context())),
			slog.String("client_ip", ClientIP(r, trusted)),
			slog.String("method", Truncate(r.Method, MaxLoggedMethod)),
			slog.String("path", Truncate(r.URL.Path, MaxLoggedPath)),
		}
		if len(r.URL.Path) > MaxLoggedPath {
			attrs = append(attrs, slog.Int("path_bytes", len(r.URL.Path)))
		}
		attrs = append(attrs,
			slog.Int("status", status),
			slog.Int64("bytes", sw.Bytes()),
			slog.Duration("duration", time.Since(start)),
		)
		logger.LogAttrs(r.Context(), level, "http request", attrs...)
	})
}

// KnownMethods answers a request whose method is not one of RFC 9110's
// (or PATCH) with 501 Not Implemented (RFC 9110 §9.1; under /api/ in the
// API's JSON error shape, code METHOD_NOT_IMPLEMENTED) before any handler
// or mux sees it, so a made-up method always gets the same answer
// (and the same metrics series, whatever the path).
func KnownMethods(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
			http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			// The API's error shape.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotImplemented)
			_, _ = io.WriteString(w, `{"error":"Not Implemented","message":"This HTTP method is not implemented.","code":"METHOD_NOT_IMPLEMENTED"}`+"\n")
			return
		}
		http.Error(w, "This HTTP method is not implemented.", http.StatusNotImplemented)
	})
}

// Recover turns a panic into a logged 500 without a stack trace in the answer.
func Recover(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic serving request",
					slog.Any("panic", v), slog.String("request_id", RequestIDFrom(r.Context())), slog.String("path", Truncate(r.URL.Path, MaxLoggedPath)),
					slog.String("stack", string(debug.Stack()))) // for the operator's log only, never the answer
				if strings.HasPrefix(r.URL.Path, "/api/") {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusInternalServerError)
					_, _ = w.Write([]byte(`{"error":"Internal Server Error","message":"An internal error occurred.","code":"INTERNAL_ERROR"}`))
					return
				}
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// ContentSecurityPolicy is sent with every response: no inline scripts or styles.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// PermissionsPolicy turns off the powerful browser features no page of the gateway uses.
const PermissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), " +
	"microphone=(), payment=(), usb=(), interest-cohort=()"

// SecurityHeaders sets CSP, framing, sniffing, referrer and permissions
// headers, and HSTS in production.
func SecurityHeaders(production bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", PermissionsPolicy)
		if production {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// ClientIP returns the client's address (canonical text, e.g. "203.0.113.7"
// or "2001:db8::1"): the connection's peer, or, when that peer is a trusted
// proxy, the right-most untrusted address of X-Forwarded-For (the left-most
// entries are the client's own claims and are never believed). When every
// entry is trusted the left-most one is the client; an entry that is not an
// address stops the walk at the last good one. Entries may carry a port
// ("203.0.113.7:4711", "[2001:db8::1]:4711"), as some proxies write them.
func ClientIP(r *http.Request, trusted []*net.IPNet) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer := parseIP(host)
	if peer == nil {
		return host
	}
	client := peer.String()
	if !ipIn(peer, trusted) {
		return client
	}
	// Several X-Forwarded-For lines are one list, in order.
	parts := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(parts) - 1; i >= 0; i-- {
		p := strings.TrimSpace(parts[i])
		if p == "" {
			continue
		}
		ip := parseIP(p)
		if ip == nil {
			break
		}
		client = ip.String()
		if !ipIn(ip, trusted) {
			break
		}
	}
	return client
}

// parseIP reads an address written alone, in brackets, or with a port.
func parseIP(s string) net.IP {
	if ip := net.ParseIP(s); ip != nil {
		return ip
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		return net.ParseIP(h)
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return net.ParseIP(s[1 : len(s)-1])
	}
	return nil
}

func ipIn(ip net.IP, nets []*net.IPNet) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// FormBodies guards a surface that takes HTML forms only: a request body
// larger than maxBytes is refused with 413 (and a body sent in chunks is
// cut at maxBytes by http.MaxBytesReader, so parsing it fails), and a
// POST, PUT or PATCH with a body that is not application/x-www-form-urlencoded
// or multipart/form-data is refused with 415. An empty body passes.
func FormBodies(maxBytes int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBytes {
			http.Error(w, "Request body too large.", http.StatusRequestEntityTooLarge)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
		}
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			if r.ContentLength != 0 {
				mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
				if err != nil || (mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data") {
					http.Error(w, "Unsupported content type: send a form.", http.StatusUnsupportedMediaType)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
