package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/client"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/testbuf"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// receiver is a real HTTPS webhook receiver that verifies each signature.
type receiver struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    map[string]int // event id → deliveries received
	bad    []string
	events []client.WebhookEvent
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{got: map[string]int{}}
	rc.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err := client.VerifySignature(rc.secret, r.Header.Get(client.SignatureHeader), body, time.Minute); err != nil {
			rc.bad = append(rc.bad, err.Error())
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var ev client.WebhookEvent
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID != r.Header.Get(webhook.HeaderEvent) ||
			!strings.HasPrefix(r.Header.Get(webhook.HeaderDelivery), "dlv_") {
			rc.bad = append(rc.bad, "envelope or headers: "+string(body))
			http.Error(w, "bad envelope", http.StatusBadRequest)
			return
		}
		rc.got[ev.ID]++
		rc.events = append(rc.events, ev)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) count() (events, deliveries int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, n := range rc.got {
		events++
		deliveries += n
	}
	return events, deliveries
}

// recordingSubscriber is a notify.Subscriber counting what it is told.
type recordingSubscriber struct {
	mu  sync.Mutex
	got map[string]notify.Event
}

func (s *recordingSubscriber) Notify(_ context.Context, ev notify.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got[ev.ID] = ev
	return nil
}

// TestWebhookReceivedInvoice: a sync through the ANAF simulator archives
// received invoices; each one produces exactly one signed delivery to the
// company's HTTPS endpoint (allowed by EFACTURA_WEBHOOK_ALLOW_CIDRS=
// 127.0.0.0/8 as config reads it), the subscribers hear of each event, a
// second sync (nothing new) delivers nothing more, and the endpoint's
// secret never reaches the logs.
func TestWebhookReceivedInvoice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		e := newEnv(t, st, 6, func(o *anafsim.Options) { o.NoQuotas = true })
		rc := newReceiver(t)
		rc.secret = webhook.NewSecret()
		enc, err := e.keys.Encrypt([]byte(rc.secret))
		require.NoError(t, err)
		eps := map[string]*store.WebhookEndpoint{}
		for cif, co := range e.cos {
			ep := &store.WebhookEndpoint{CompanyID: co.ID, URL: rc.srv.URL + "/hook", EventTypes: []string{notify.InvoiceReceived},
				SyncFailedThreshold: 3, SecretEnc: enc}
			require.NoError(t, st.CreateWebhookEndpoint(ctx, ep))
			eps[cif] = ep
		}

		allow, err := config.ParseCIDRs("127.0.0.0/8")
		require.NoError(t, err)
		var logs testbuf.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		sub := &recordingSubscriber{got: map[string]notify.Event{}}
		d := &webhook.Deliverer{Store: st, Keys: e.keys, Policy: webhook.Policy{AllowCIDRs: allow}, BaseURL: "https://gw.example",
			Logger: logger, Subscribers: []notify.Subscriber{sub},
			TLSConfig: rc.srv.Client().Transport.(*http.Transport).TLSClientConfig}
		require.NoError(t, jobs.Migrate(ctx, st, nil))
		r, err := jobs.New(jobs.Options{Store: st, Engine: e.engine(st), Logger: logger, Webhooks: d,
			StepDuration: 150 * time.Millisecond})
		require.NoError(t, err)
		require.NoError(t, r.Start(ctx))
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.Stop(sctx)
			st.SetEventQueue(nil)
		})
		syncAll(t, e, r)

		received, perCIF := 0, map[string]int{}
		for cif, co := range e.cos {
			_, n, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: co.ID, MessageType: store.TypeReceived, ExcludeDuplicates: true, Limit: 1000})
			require.NoError(t, err)
			received += n
			perCIF[cif] = n
		}
		require.Positive(t, received)
		require.Eventually(t, func() bool { ev, _ := rc.count(); return ev >= received }, 30*time.Second, 50*time.Millisecond)

		// A second sync stores nothing new: no event, no delivery.
		syncAll(t, e, r)
		time.Sleep(500 * time.Millisecond) // let a wrongly queued job run (not a timing assertion: the count must not move)
		events, deliveries := rc.count()
		rc.mu.Lock()
		require.Empty(t, rc.bad)
		for _, ev := range rc.events {
			require.Equal(t, notify.InvoiceReceived, ev.Type)
			require.Contains(t, e.cos, ev.CompanyCIF)
			var data map[string]any
			require.NoError(t, json.Unmarshal(ev.Data, &data))
			require.Contains(t, data["url"], "https://gw.example/api/v1/invoices/")
		}
		rc.mu.Unlock()
		require.Equal(t, received, events, "one event per received invoice")
		require.Equal(t, received, deliveries, "exactly one delivery per event")

		// The delivery log says delivered, once each.
		for cif, ep := range eps {
			dls, err := st.WebhookDeliveries(ctx, ep.ID, 1000)
			require.NoError(t, err)
			require.Len(t, dls, perCIF[cif])
			for _, dl := range dls {
				require.Equal(t, store.DeliveryDelivered, dl.Status)
				require.Equal(t, 1, dl.Attempts)
				require.Equal(t, http.StatusNoContent, dl.ResponseCode)
			}
		}
		// Every company's events reached the subscriber (sent invoices included).
		require.Eventually(t, func() bool {
			sub.mu.Lock()
			defer sub.mu.Unlock()
			return len(sub.got) >= received
		}, 30*time.Second, 50*time.Millisecond)
		require.NotContains(t, logs.String(), rc.secret)
		require.NotContains(t, logs.String(), strings.TrimPrefix(rc.secret, webhook.SecretPrefix))
	})
}

// TestWebhookRetriesThenDisables: a receiver that always fails gets
// attempts with growing back-off for the 24-hour window (an injected
// clock), then the delivery fails, the endpoint is disabled with an audit
// row, and the owners' hook is called.
func TestWebhookRetriesThenDisables(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		var mu sync.Mutex
		hits := 0
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits++
			mu.Unlock()
			http.Error(w, strings.Repeat("x", 200<<10), http.StatusServiceUnavailable) // a body larger than what is read
		}))
		t.Cleanup(srv.Close)
		co, err := st.CreateCompany(ctx, "14399840", "Retry SRL")
		require.NoError(t, err)
		spec, err := secretboxGenerate()
		require.NoError(t, err)
		secret := webhook.NewSecret()
		enc, err := spec.Encrypt([]byte(secret))
		require.NoError(t, err)
		ep := &store.WebhookEndpoint{CompanyID: co.ID, URL: srv.URL, EventTypes: []string{notify.UploadNOK}, SyncFailedThreshold: 3, SecretEnc: enc}
		require.NoError(t, st.CreateWebhookEndpoint(ctx, ep))

		clock := time.Now().UTC()
		var disabled []string
		d := &webhook.Deliverer{Store: st, Keys: spec, BaseURL: "https://gw.example",
			Policy: webhook.Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
			Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return clock },
			Disabled:  disabledFunc(func(url string) { disabled = append(disabled, url) }),
			TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
		ev := &store.Event{CompanyID: co.ID, Type: notify.UploadNOK, SubjectID: 7}
		_, err = st.RecordEvent(ctx, ev)
		require.NoError(t, err)
		require.NoError(t, d.Dispatch(ctx, ev.ID))
		dls, err := st.WebhookDeliveries(ctx, ep.ID, 10)
		require.NoError(t, err)
		require.Len(t, dls, 1)
		start := clock
		var waits []time.Duration
		for {
			res, err := d.Attempt(ctx, dls[0].ID)
			require.NoError(t, err)
			if res.Done {
				break
			}
			waits = append(waits, res.RetryAfter)
			clock = clock.Add(res.RetryAfter)
			require.Less(t, len(waits), 100)
		}
		require.GreaterOrEqual(t, clock.Sub(start), 24*time.Hour, "retried for the whole window")
		require.Less(t, clock.Sub(start), 25*time.Hour)
		require.Equal(t, webhook.FirstBackoff, waits[0])
		for i := 1; i < len(waits); i++ {
			require.GreaterOrEqual(t, waits[i], waits[i-1], "back-off never shrinks")
		}
		require.Equal(t, webhook.MaxBackoff, waits[len(waits)-1])
		mu.Lock()
		require.Equal(t, len(waits)+1, hits)
		mu.Unlock()
		dl, err := st.WebhookDeliveryByID(ctx, dls[0].ID)
		require.NoError(t, err)
		require.Equal(t, store.DeliveryFailed, dl.Status)
		require.Equal(t, len(waits)+1, dl.Attempts)
		require.Equal(t, http.StatusServiceUnavailable, dl.ResponseCode)
		got, err := st.WebhookEndpointByID(ctx, ep.ID)
		require.NoError(t, err)
		require.False(t, got.Enabled)
		require.Equal(t, webhook.DisabledTimeout, got.DisabledReason)
		require.Equal(t, []string{srv.URL}, disabled)
		audit, err := st.AuditEvents(ctx, 10)
		require.NoError(t, err)
		require.Equal(t, store.ActionWebhookDisable, audit[0].Action)

		// A disabled endpoint gets no new deliveries.
		ev2 := &store.Event{CompanyID: co.ID, Type: notify.UploadNOK, SubjectID: 8}
		_, err = st.RecordEvent(ctx, ev2)
		require.NoError(t, err)
		require.NoError(t, d.Dispatch(ctx, ev2.ID))
		dls, err = st.WebhookDeliveries(ctx, ep.ID, 10)
		require.NoError(t, err)
		require.Len(t, dls, 1)
	})
}

type disabledFunc func(url string)

func (f disabledFunc) WebhookDisabled(_ context.Context, ep webhook.DisabledEndpoint) error {
	f(ep.URL)
	return nil
}

func secretboxGenerate() (*secretbox.Keyring, error) {
	spec, err := secretbox.Generate("test")
	if err != nil {
		return nil, err
	}
	return secretbox.Parse(spec)
}
