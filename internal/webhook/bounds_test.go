package webhook_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// TestAttemptBounds: one delivery attempt is bounded in time and in the
// answer it reads. A receiver that never answers is given up after the
// Deliverer's timeout (the attempt is retried later, logged as timed out);
// one that answers 2xx with an endless body is read up to MaxBody and the
// delivery counts; one that answers headers then trickles its body forever
// is cut at the timeout too.
func TestAttemptBounds(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	ctx := t.Context()
	c, err := st.CreateCompany(ctx, "12345674", "ALFA SRL")
	require.NoError(t, err)
	spec, err := secretbox.Generate("t")
	require.NoError(t, err)
	keys, err := secretbox.Parse(spec)
	require.NoError(t, err)

	const timeout = 500 * time.Millisecond
	var streamed atomic.Int64
	chunk := []byte(strings.Repeat("x", 4096))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the request first: the server then watches the connection,
		// and the request's context ends when the client hangs up.
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/silent": // never answers (until the client goes)
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
		case "/endless": // 200, then a body without end
			w.WriteHeader(http.StatusOK)
			for r.Context().Err() == nil {
				n, err := w.Write(chunk)
				streamed.Add(int64(n))
				if err != nil {
					return
				}
			}
		case "/trickle": // 200, then a byte now and then, forever
			w.WriteHeader(http.StatusOK)
			for r.Context().Err() == nil {
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
	}))
	t.Cleanup(srv.Close)
	d := &webhook.Deliverer{Store: st, Keys: keys, BaseURL: "https://gw", Logger: slog.New(slog.DiscardHandler),
		Policy:  webhook.Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Timeout: timeout, MaxBody: 64 << 10, TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}

	attempt := func(path string) (*store.WebhookDelivery, webhook.Result, time.Duration) {
		t.Helper()
		enc, err := keys.Encrypt([]byte(webhook.NewSecret()))
		require.NoError(t, err)
		ep := &store.WebhookEndpoint{CompanyID: c.ID, URL: srv.URL + path, EventTypes: []string{notify.UploadOK}, SecretEnc: enc}
		require.NoError(t, st.CreateWebhookEndpoint(ctx, ep))
		ev := &store.Event{CompanyID: c.ID, Type: notify.UploadOK, SubjectID: 1}
		_, err = st.RecordEvent(ctx, ev)
		require.NoError(t, err)
		require.NoError(t, d.Dispatch(ctx, ev.ID))
		dls, err := st.WebhookDeliveries(ctx, ep.ID, 10)
		require.NoError(t, err)
		require.Len(t, dls, 1)
		start := time.Now()
		res, err := d.Attempt(ctx, dls[0].ID)
		took := time.Since(start)
		require.NoError(t, err)
		dl, err := st.WebhookDeliveryByID(ctx, dls[0].ID)
		require.NoError(t, err)
		return dl, res, took
	}

	// Generous upper bounds: the machine may be loaded; unbounded would be forever.
	dl, res, took := attempt("/silent")
	require.False(t, res.Done)
	require.Equal(t, webhook.FirstBackoff, res.RetryAfter)
	require.Equal(t, store.DeliveryRetrying, dl.Status)
	require.Equal(t, "timed out", dl.LastError)
	require.Equal(t, 1, dl.Attempts)
	require.GreaterOrEqual(t, dl.LatencyMS, int(timeout/time.Millisecond)-50, "the log keeps the attempt's latency")
	require.Less(t, took, timeout+10*time.Second)
	require.GreaterOrEqual(t, took, timeout)

	dl, res, took = attempt("/endless")
	require.True(t, res.Done)
	require.Equal(t, store.DeliveryDelivered, dl.Status)
	require.Equal(t, http.StatusOK, dl.ResponseCode)
	require.Less(t, took, timeout+10*time.Second)
	// Read: at most MaxBody, plus what sits in the transport's buffers
	// and the socket's (well under a megabyte), not the stream's length.
	require.Less(t, streamed.Load(), int64(4<<20), "the answer is not read without end")

	dl, res, took = attempt("/trickle")
	require.True(t, res.Done, "the 2xx status counts; the trickling body is cut")
	require.Equal(t, store.DeliveryDelivered, dl.Status)
	require.Less(t, took, timeout+10*time.Second)
}
