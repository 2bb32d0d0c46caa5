package jobs_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// TestWebhookDisabledMailsOwners: with the mail notifier as the
// Deliverer's DisabledNotifier (as serve wires it when mail is on), a
// receiver failing for the whole 24-hour window (an injected clock) gets
// its endpoint disabled, and each owner of the company — not the plain
// member — receives one mail through a real SMTP server, sent by the
// send_mail job; a second delivery to the same endpoint, failing too,
// neither disables it again nor mails again.
func TestWebhookDisabledMailsOwners(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusBadGateway)
		}))
		t.Cleanup(srv.Close)
		owner, err := st.CreateUser(ctx, "owner@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		require.NoError(t, st.SetUserLang(ctx, owner.ID, "en"))
		member, err := st.CreateUser(ctx, "member@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		co, err := st.CreateCompanyWithOwner(ctx, "14399840", "Retry SRL", owner.ID)
		require.NoError(t, err)
		require.NoError(t, st.AddMembership(ctx, co.ID, member.ID, store.RoleMember))
		require.NoError(t, st.SetNotifyPref(ctx, member.ID, co.ID, store.NotifyInstant, time.Now()))

		keys, err := secretboxGenerate()
		require.NoError(t, err)
		enc, err := keys.Encrypt([]byte(webhook.NewSecret()))
		require.NoError(t, err)
		ep := &store.WebhookEndpoint{CompanyID: co.ID, URL: srv.URL, EventTypes: []string{notify.UploadNOK}, SyncFailedThreshold: 3, SecretEnc: enc}
		require.NoError(t, st.CreateWebhookEndpoint(ctx, ep))

		// The runner only sends mails here: the deliveries are attempted
		// by hand, on the injected clock.
		smtp, svc, _ := startMailRunner(t, st, "https://gw.example")

		clock := time.Now().UTC()
		d := &webhook.Deliverer{Store: st, Keys: keys, BaseURL: "https://gw.example",
			Policy: webhook.Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
			Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return clock }, Disabled: svc,
			TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
		// Two failing deliveries to the same endpoint.
		for _, subject := range []int64{7, 8} {
			ev := &store.Event{CompanyID: co.ID, Type: notify.UploadNOK, SubjectID: subject}
			_, err = st.RecordEvent(ctx, ev)
			require.NoError(t, err)
			require.NoError(t, d.Dispatch(ctx, ev.ID))
		}
		dls, err := st.WebhookDeliveries(ctx, ep.ID, 10)
		require.NoError(t, err)
		require.Len(t, dls, 2)
		done := map[int64]bool{}
		for steps := 0; len(done) < len(dls); steps++ {
			require.Less(t, steps, 200)
			var wait time.Duration
			for _, dl := range dls {
				if done[dl.ID] {
					continue
				}
				res, err := d.Attempt(ctx, dl.ID)
				require.NoError(t, err)
				if res.Done {
					done[dl.ID] = true
				} else if wait == 0 || res.RetryAfter > wait {
					wait = res.RetryAfter
				}
			}
			clock = clock.Add(wait)
		}
		got, err := st.WebhookEndpointByID(ctx, ep.ID)
		require.NoError(t, err)
		require.False(t, got.Enabled)
		audit, err := st.AuditEvents(ctx, 20)
		require.NoError(t, err)
		disables := 0
		for _, a := range audit {
			if a.Action == store.ActionWebhookDisable {
				disables++
			}
		}
		require.Equal(t, 1, disables, "disabled once")

		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err = smtp.Wait(wctx, 1)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			n, err := st.MailCounts(ctx)
			return err == nil && n[store.MailSent] == 1
		}, 30*time.Second, 20*time.Millisecond)
		msgs := smtp.Messages()
		require.Len(t, msgs, 1, "one mail: the owner, once")
		require.Equal(t, []string{"owner@example.com"}, msgs[0].To)
		require.Equal(t, "[eFactura] Webhook disabled: Retry SRL", msgs[0].Subject())
		require.Contains(t, msgs[0].Text, srv.URL)
		require.Contains(t, msgs[0].HTML, srv.URL)
	})
}
