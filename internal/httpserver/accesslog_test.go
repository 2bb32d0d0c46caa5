package httpserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAccessLogClientIP: client_ip is the peer, or behind a trusted proxy
// the right-most untrusted X-Forwarded-For entry (ClientIP's rules).
func TestAccessLogClientIP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, remote, xff, want string
		trusted                 []string
	}{
		{"peer", "203.0.113.7:4711", "", "203.0.113.7", nil},
		{"untrusted proxy's header ignored", "203.0.113.7:4711", "198.51.100.1", "203.0.113.7", nil},
		{"trusted proxy", "10.0.0.2:4711", "198.51.100.1", "198.51.100.1", []string{"10.0.0.0/8"}},
		{"spoofed left-most entry", "10.0.0.2:4711", "1.2.3.4, 198.51.100.1", "198.51.100.1", []string{"10.0.0.0/8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logger, buf := bufferLogger()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.remote
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			AccessLogTrusting(logger, mustCIDRs(t, tc.trusted...), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).
				ServeHTTP(httptest.NewRecorder(), req)
			lines := logLines(t, buf)
			require.Len(t, lines, 1)
			require.Equal(t, tc.want, lines[0]["client_ip"])
		})
	}
}

// TestAccessLogCapsFields: a 48 KB path and a 4 KB made-up method write
// a line of about a kilobyte, the path's length in path_bytes; a
// recovered panic's line caps the path too.
func TestAccessLogCapsFields(t *testing.T) {
	t.Parallel()
	logger, buf := bufferLogger()
	long := "/" + strings.Repeat("ă", 24<<10) // 48 KB of two-byte runes: the cut keeps runes whole
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL.Path = long
	req.Method = strings.Repeat("X", 4096)
	h := RequestID(AccessLog(logger, Recover(logger, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))))
	h.ServeHTTP(httptest.NewRecorder(), req)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	access := lines[1]
	require.Less(t, len(access), 1500, "access line: %d bytes", len(access))
	l := logLines(t, buf)[1]
	require.EqualValues(t, len(long), l["path_bytes"])
	path := l["path"].(string)
	require.True(t, strings.HasSuffix(path, "…"))
	require.LessOrEqual(t, len(path), MaxLoggedPath+len("…"))
	require.NotContains(t, path, "\uFFFD", "no rune cut in half")
	require.LessOrEqual(t, len(l["method"].(string)), MaxLoggedMethod+len("…"))
	require.Less(t, len(logLines(t, buf)[0]["path"].(string)), MaxLoggedPath+8, "the panic line's path")
}

// TestAccessLogClientGone: a client that disconnects while the handler
// works (the handler then fails with 500 because its context ended, as a
// database call would) is logged as 499 at INFO, through a real server.
func TestAccessLogClientGone(t *testing.T) {
	t.Parallel()
	logger, buf := bufferLogger()
	started := make(chan struct{})
	done := make(chan struct{})
	h := RequestID(AccessLog(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		http.Error(w, "query failed: context canceled", http.StatusInternalServerError)
	})))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done) // after the access line is written
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/invoices", nil)
	require.NoError(t, err)
	go func() {
		<-started
		cancel()
	}()
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never saw the client leave")
	}
	lines := logLines(t, buf)
	require.Len(t, lines, 1)
	require.EqualValues(t, StatusClientClosedRequest, lines[0]["status"])
	require.Equal(t, "INFO", lines[0]["level"])
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
	here := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, tc := range []struct {
		r      *http.Request
		status int // 0: nothing written
		want   int
	}{
		{gone, 0, StatusClientClosedRequest},
		{gone, 500, StatusClientClosedRequest},
		{gone, 503, StatusClientClosedRequest},
		{gone, 200, 200}, // answered before it left
		{gone, 404, 404},
		{here, 500, 500},
		{here, 0, 200},
	} {
		w := NewStatusRecorder(httptest.NewRecorder())
		if tc.status != 0 {
			w.WriteHeader(tc.status)
		}
		require.Equal(t, tc.want, w.Outcome(tc.r), "gone=%v status=%d", tc.r == gone, tc.status)
	}
}
