package httpserver

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bufferLogger returns a JSON logger writing to a buffer, at every level.
func bufferLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// logLines decodes the buffer's JSON lines.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestRequestID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, incoming string
		kept           bool
	}{
		{"none", "", false},
		{"sane", "abc-123_DEF", true},
		{"uuid", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("a", 65), false},
		{"header injection", "abc\r\nSet-Cookie: x=1", false},
		{"newline for log forging", "abc\nlevel=ERROR", false},
		{"html", "<script>alert(1)</script>", false},
		{"spaces", "a b", false},
		{"quote", `a"b`, false},
		{"non-ASCII", "îdentificator", false},
		{"very long", strings.Repeat("x", 10000), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var seen string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = RequestIDFrom(r.Context())
			}))
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tc.incoming != "" {
				req.Header.Set("X-Request-ID", tc.incoming)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			echoed := rec.Header().Get("X-Request-ID")
			require.Equal(t, seen, echoed, "the context and the header carry the same id")
			if tc.kept {
				require.Equal(t, tc.incoming, echoed)
			} else {
				require.Regexp(t, generatedID, echoed)
			}
		})
	}

	t.Run("unique", func(t *testing.T) {
		t.Parallel()
		h := RequestID(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		seen := map[string]bool{}
		for range 100 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			id := rec.Header().Get("X-Request-ID")
			require.False(t, seen[id])
			seen[id] = true
		}
	})

	t.Run("outside the middleware", func(t *testing.T) {
		t.Parallel()
		require.Empty(t, RequestIDFrom(httptest.NewRequest(http.MethodGet, "/", nil).Context()))
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	for _, production := range []bool{false, true} {
		rec := httptest.NewRecorder()
		SecurityHeaders(production, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("ok"))
		})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		h := rec.Header()

		csp := h.Get("Content-Security-Policy")
		require.Equal(t, ContentSecurityPolicy, csp)
		require.NotContains(t, csp, "unsafe-inline")
		require.NotContains(t, csp, "unsafe-eval")
		directives := map[string]string{}
		for _, d := range strings.Split(csp, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
			directives[name] = value
		}
		require.Equal(t, "'self'", directives["default-src"])
		require.Equal(t, "'self'", directives["script-src"])
		require.Equal(t, "'none'", directives["frame-ancestors"])
		require.Equal(t, "'none'", directives["object-src"])

		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		require.Equal(t, "DENY", h.Get("X-Frame-Options"))
		require.NotEmpty(t, h.Get("Referrer-Policy"))
		require.Equal(t, PermissionsPolicy, h.Get("Permissions-Policy"))
		require.Contains(t, h.Get("Permissions-Policy"), "camera=()")
		if production {
			require.Contains(t, h.Get("Strict-Transport-Security"), "max-age=")
		} else {
			require.Empty(t, h.Values("Strict-Transport-Security"), "no HSTS outside production (plain-HTTP development)")
		}
		require.Equal(t, "ok", rec.Body.String())
	}
}

func TestRecover(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, path string
		json       bool
	}{
		{"API", "/api/v1/invoices", true},
		{"page", "/companies", false},
		{"api without slash is a page", "/apidocs", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logger, buf := bufferLogger()
			h := RequestID(Recover(logger, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
				panic("secret detail: database password is hunter2")
			})))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			require.Equal(t, http.StatusInternalServerError, rec.Code)
			body := rec.Body.String()
			require.NotContains(t, body, "hunter2", "the panic value stays in the log")
			require.NotContains(t, body, "goroutine")
			require.NotContains(t, body, ".go:")
			if tc.json {
				require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				var e map[string]string
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
				require.Equal(t, map[string]string{"error": "Internal Server Error", "message": e["message"], "code": "INTERNAL_ERROR"}, e)
				require.NotEmpty(t, e["message"])
			} else {
				require.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain"))
			}

			lines := logLines(t, buf)
			require.Len(t, lines, 1)
			require.Equal(t, "ERROR", lines[0]["level"])
			require.Contains(t, lines[0]["panic"], "hunter2")
			require.Equal(t, rec.Header().Get("X-Request-ID"), lines[0]["request_id"])
			require.Equal(t, tc.path, lines[0]["path"])
			require.Contains(t, lines[0]["stack"], "goroutine", "the stack goes to the log")
		})
	}

	t.Run("no panic", func(t *testing.T) {
		t.Parallel()
		logger, buf := bufferLogger()
		rec := httptest.NewRecorder()
		Recover(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		require.Equal(t, http.StatusTeapot, rec.Code)
		require.Zero(t, buf.Len())
	})

	t.Run("ErrAbortHandler is re-raised", func(t *testing.T) {
		t.Parallel()
		logger, buf := bufferLogger()
		h := Recover(logger, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
		require.PanicsWithValue(t, http.ErrAbortHandler, func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		})
		require.Zero(t, buf.Len())
	})
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int // 0: the handler writes a body without WriteHeader
		level  string
	}{
		{"implicit 200", 0, "INFO"},
		{"201", http.StatusCreated, "INFO"},
		{"404", http.StatusNotFound, "WARN"},
		{"500", http.StatusInternalServerError, "ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logger, buf := bufferLogger()
			h := RequestID(AccessLog(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.status != 0 {
					w.WriteHeader(tc.status)
				}
				_, _ = w.Write([]byte("hello"))
			})))
			req := httptest.NewRequest(http.MethodPost,
				"/anaf/callback?code=SECRET-OAUTH-CODE&state=xyz&api_key=efk_leak", nil)
			req.Header.Set("X-API-KEY", "efk_header_secret")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			require.NotContains(t, buf.String(), "SECRET-OAUTH-CODE", "never the query string")
			require.NotContains(t, buf.String(), "efk_", "never a key")
			lines := logLines(t, buf)
			require.Len(t, lines, 1, "one line per request")
			l := lines[0]
			want := tc.status
			if want == 0 {
				want = http.StatusOK
			}
			require.EqualValues(t, want, l["status"])
			require.Equal(t, tc.level, l["level"])
			require.Equal(t, rec.Header().Get("X-Request-ID"), l["request_id"])
			require.NotEmpty(t, l["request_id"])
			require.Equal(t, http.MethodPost, l["method"])
			require.Equal(t, "/anaf/callback", l["path"])
			require.EqualValues(t, 5, l["bytes"])
			require.Contains(t, l, "duration")
		})
	}

	t.Run("handler writes nothing", func(t *testing.T) {
		t.Parallel()
		logger, buf := bufferLogger()
		AccessLog(logger, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).
			ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		lines := logLines(t, buf)
		require.Len(t, lines, 1)
		require.EqualValues(t, http.StatusOK, lines[0]["status"])
	})

	t.Run("a recovered panic is logged as 500", func(t *testing.T) {
		t.Parallel()
		logger, buf := bufferLogger()
		h := RequestID(AccessLog(logger, Recover(logger, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("boom")
		}))))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/v1/x?q=secret", nil))
		lines := logLines(t, buf)
		require.Len(t, lines, 2) // the panic, then the access line
		require.EqualValues(t, http.StatusInternalServerError, lines[1]["status"])
		require.Equal(t, lines[0]["request_id"], lines[1]["request_id"])
		require.NotContains(t, buf.String(), "q=secret")
	})

	t.Run("ResponseController reaches the writer", func(t *testing.T) {
		t.Parallel()
		logger, _ := bufferLogger()
		rec := httptest.NewRecorder()
		AccessLog(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.NoError(t, http.NewResponseController(w).Flush())
		})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		require.True(t, rec.Flushed)
	})
}

func mustCIDRs(t *testing.T, cidrs ...string) []*net.IPNet {
	t.Helper()
	out := make([]*net.IPNet, 0, len(cidrs))
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		require.NoError(t, err)
		out = append(out, n)
	}
	return out
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies := mustCIDRs(t, "10.0.0.0/8", "fd00::/8", "127.0.0.1/32")
	for _, tc := range []struct {
		name    string
		remote  string
		xff     []string // X-Forwarded-For header lines
		trusted []*net.IPNet
		want    string
	}{
		{"no proxies configured", "203.0.113.7:4711", []string{"198.51.100.1"}, nil, "203.0.113.7"},
		{"no proxies, no header", "203.0.113.7:4711", nil, nil, "203.0.113.7"},
		{"untrusted peer's header ignored", "203.0.113.7:4711", []string{"198.51.100.1"}, proxies, "203.0.113.7"},
		{"trusted proxy, one hop", "10.0.0.2:80", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"trusted proxy, spoofed left entries ignored", "10.0.0.2:80",
			[]string{"1.2.3.4, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"right-most untrusted behind two proxies", "10.0.0.2:80",
			[]string{"6.6.6.6, 198.51.100.1, 10.0.0.9"}, proxies, "198.51.100.1"},
		{"several header lines are one list", "10.0.0.2:80",
			[]string{"6.6.6.6", "198.51.100.1", "10.0.0.9"}, proxies, "198.51.100.1"},
		{"trusted proxy, no header", "10.0.0.2:80", nil, proxies, "10.0.0.2"},
		{"trusted proxy, empty entries", "10.0.0.2:80", []string{" , ,"}, proxies, "10.0.0.2"},
		{"every entry trusted: the left-most", "10.0.0.2:80", []string{"10.1.1.1, 10.0.0.9"}, proxies, "10.1.1.1"},
		{"garbage stops the walk", "10.0.0.2:80", []string{"198.51.100.1, not-an-ip, 10.0.0.9"}, proxies, "10.0.0.9"},
		{"garbage right-most: the peer", "10.0.0.2:80", []string{"198.51.100.1, <script>"}, proxies, "10.0.0.2"},
		{"entry with a port", "10.0.0.2:80", []string{"198.51.100.1:5555"}, proxies, "198.51.100.1"},
		{"IPv6 peer", "[2001:db8::1]:4711", []string{"198.51.100.1"}, proxies, "2001:db8::1"},
		{"IPv6 peer, no proxies", "[2001:db8::1]:4711", nil, nil, "2001:db8::1"},
		{"IPv6 proxy and client", "[fd00::2]:443", []string{"2001:db8::7, fd00::3"}, proxies, "2001:db8::7"},
		{"IPv6 client in brackets with port", "[fd00::2]:443", []string{"[2001:db8::7]:1234"}, proxies, "2001:db8::7"},
		{"IPv6 client in brackets", "10.0.0.2:80", []string{"[2001:db8::7]"}, proxies, "2001:db8::7"},
		{"IPv6 written in capitals is canonical", "10.0.0.2:80", []string{"2001:DB8:0:0::7"}, proxies, "2001:db8::7"},
		{"IPv4-mapped IPv6 peer", "[::ffff:10.0.0.2]:80", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"IPv4-mapped IPv6 client", "10.0.0.2:80", []string{"::ffff:198.51.100.1"}, proxies, "198.51.100.1"},
		{"loopback proxy", "127.0.0.1:9000", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"remote without port", "203.0.113.7", nil, proxies, "203.0.113.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			require.Equal(t, tc.want, ClientIP(req, tc.trusted))
		})
	}
}

// TestKnownMethods: a made-up method is 501 before the handler runs (JSON
// under /api/), the standard ones reach it.
func TestKnownMethods(t *testing.T) {
	t.Parallel()
	reached := 0
	h := KnownMethods(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(m, "/x", nil))
		require.Equal(t, http.StatusOK, rec.Code, m)
	}
	require.Equal(t, 8, reached)
	for _, p := range []string{"/login", "/api/v1/invoices"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("FROBNICATE", p, nil))
		require.Equal(t, http.StatusNotImplemented, rec.Code)
		if p == "/api/v1/invoices" {
			require.JSONEq(t, `{"error":"Not Implemented","message":"This HTTP method is not implemented.","code":"METHOD_NOT_IMPLEMENTED"}`, rec.Body.String())
		}
	}
	require.Equal(t, 8, reached)
}

func TestStatusRecorder(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	sw := NewStatusRecorder(rec)
	require.Equal(t, http.StatusOK, sw.Status(), "nothing written: 200")
	sw.WriteHeader(http.StatusTeapot)
	sw.WriteHeader(http.StatusInternalServerError) // superfluous: the first one counts
	_, err := sw.Write([]byte("hello"))
	require.NoError(t, err)
	require.Equal(t, http.StatusTeapot, sw.Status())
	require.Equal(t, int64(5), sw.Bytes())
	require.NoError(t, http.NewResponseController(sw).Flush(), "Unwrap reaches the Flusher")
}
