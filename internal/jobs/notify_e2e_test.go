package jobs_test

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/config"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/mail"
	"github.com/efactura-gateway/efactura/internal/mail/mailtest"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

var invoiceLink = regexp.MustCompile(`https://gw\.example/invoices/(\d+)`)

// TestNotifyReceivedInvoiceEndToEnd is issue 19's "Done when": a sync
// from the ANAF simulator archives received invoices, and each one
// produces exactly one signed delivery at a real HTTPS receiver (which
// verifies the signature) and exactly one e-mail, through a real SMTP
// server, to each member who chose "instant" — none to the member who
// chose "none", a digest item for the one who chose "digest". The runner
// is wired as serve.go wires it: the mail notifier is a subscriber of the
// webhook Deliverer, the runner sends its mails, and its Enqueue is the
// runner's. Dispatching every event again (the River job queued anew,
// then the dispatch's work replayed as after a crash before it was marked
// done) adds neither a delivery nor a mail nor a digest item.
func TestNotifyReceivedInvoiceEndToEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		e := newEnv(t, st, 6, func(o *anafsim.Options) { o.NoQuotas = true })

		// Three members of each company: the owner (instant), an English
		// member (digest) and one who wants nothing.
		digestU, err := st.CreateUser(ctx, "digest@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		require.NoError(t, st.SetUserLang(ctx, digestU.ID, "en"))
		noneU, err := st.CreateUser(ctx, "none@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		for _, co := range e.cos {
			require.NoError(t, st.AddMembership(ctx, co.ID, digestU.ID, store.RoleMember))
			require.NoError(t, st.AddMembership(ctx, co.ID, noneU.ID, store.RoleMember))
			require.NoError(t, st.SetNotifyPref(ctx, e.userID, co.ID, store.NotifyInstant, time.Now()))
			require.NoError(t, st.SetNotifyPref(ctx, digestU.ID, co.ID, store.NotifyDigest, time.Now()))
			require.NoError(t, st.SetNotifyPref(ctx, noneU.ID, co.ID, store.NotifyNone, time.Now()))
		}

		// The HTTPS receiver and an endpoint per company.
		rc := newReceiver(t)
		rc.secret = webhook.NewSecret()
		enc, err := e.keys.Encrypt([]byte(rc.secret))
		require.NoError(t, err)
		for _, co := range e.cos {
			require.NoError(t, st.CreateWebhookEndpoint(ctx, &store.WebhookEndpoint{CompanyID: co.ID, URL: rc.srv.URL + "/hook",
				EventTypes: []string{notify.InvoiceReceived}, SyncFailedThreshold: 3, SecretEnc: enc}))
		}

		// The SMTP server and the mail notifier.
		smtp := mailtest.New(t, mailtest.Options{TLS: true})
		svc, err := mail.New(mail.Options{Store: st, SMTPURL: smtp.URL(), From: "efactura@gw.example",
			BaseURL: "https://gw.example", SecretKey: "notify-e2e-secret-key-0123456789abcdef", TLSConfig: smtp.ClientTLS()})
		require.NoError(t, err)

		allow, err := config.ParseCIDRs("127.0.0.0/8")
		require.NoError(t, err)
		logger := slog.New(slog.DiscardHandler)
		d := &webhook.Deliverer{Store: st, Keys: e.keys, Policy: webhook.Policy{AllowCIDRs: allow}, BaseURL: "https://gw.example",
			Logger: logger, Subscribers: []notify.Subscriber{svc},
			TLSConfig: rc.srv.Client().Transport.(*http.Transport).TLSClientConfig}
		require.NoError(t, jobs.Migrate(ctx, st, nil))
		r, err := jobs.New(jobs.Options{Store: st, Engine: e.engine(st), Logger: logger, Webhooks: d, Mail: svc,
			StepDuration: 150 * time.Millisecond})
		require.NoError(t, err)
		svc.Enqueue = r.EnqueueMail
		require.NoError(t, r.Start(ctx))
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.Stop(sctx)
			st.SetEventQueue(nil)
		})
		syncAll(t, e, r)

		// What the sync archived: the received invoices and their events.
		received := map[string]bool{} // invoice id
		var events []store.Event      // invoice.received
		for _, co := range e.cos {
			invs, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: co.ID, MessageType: store.TypeReceived,
				ExcludeDuplicates: true, Limit: 1000})
			require.NoError(t, err)
			for _, inv := range invs {
				received[itoa(inv.ID)] = true
			}
			evs, err := st.CompanyEvents(ctx, co.ID, 1000)
			require.NoError(t, err)
			for _, ev := range evs {
				if ev.Type == notify.InvoiceReceived {
					events = append(events, ev)
				}
			}
		}
		n := len(received)
		require.Positive(t, n)
		require.Len(t, events, n, "one invoice.received event per received invoice")

		// Every event dispatched, delivered and mailed.
		require.Eventually(t, func() bool {
			for _, ev := range events {
				got, err := st.EventByID(ctx, ev.ID)
				if err != nil || got.DispatchedAt == nil {
					return false
				}
			}
			evs, _ := rc.count()
			return evs >= n
		}, 60*time.Second, 50*time.Millisecond)
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		_, err = smtp.Wait(wctx, n)
		require.NoError(t, err)
		waitMailsSent(t, st, n)

		check := func(stage string) {
			t.Helper()
			evs, deliveries := rc.count()
			rc.mu.Lock()
			require.Empty(t, rc.bad, stage)
			rc.mu.Unlock()
			require.Equal(t, n, evs, "%s: one event per received invoice at the receiver", stage)
			require.Equal(t, n, deliveries, "%s: exactly one signed delivery per event", stage)

			msgs := smtp.Messages()
			require.Len(t, msgs, n, "%s: one mail per received invoice, to the instant member only", stage)
			mailed := map[string]int{}
			for _, m := range msgs {
				require.Equal(t, []string{"owner@example.com"}, m.To, stage)
				require.Contains(t, m.Subject(), "Factură nouă", stage) // the owner's language: Romanian
				require.NotEmpty(t, m.HTML, stage)
				l := invoiceLink.FindStringSubmatch(m.Text)
				require.NotNil(t, l, "%s: the mail links its invoice: %s", stage, m.Text)
				mailed[l[1]]++
			}
			for id := range received {
				require.Equal(t, 1, mailed[id], "%s: invoice %s mailed once", stage, id)
			}

			items, err := st.OpenDigestItems(ctx, digestU.ID, time.Now().Add(time.Hour))
			require.NoError(t, err)
			require.Len(t, items, n, "%s: one digest item per received invoice for the digest member", stage)
			none, err := st.OpenDigestItems(ctx, noneU.ID, time.Now().Add(time.Hour))
			require.NoError(t, err)
			require.Empty(t, none, stage)
			counts, err := st.MailCounts(ctx)
			require.NoError(t, err)
			require.Equal(t, n, counts[store.MailSent], stage)
			require.Zero(t, counts[store.MailPending]+counts[store.MailFailed], stage)
		}
		check("after the sync")

		// Redelivery 1: the dispatch_event job of every event queued again
		// (as the sweep or a lost job's retry would); wait until they ran.
		var ids []int64
		for _, ev := range events {
			res, err := r.Client().Insert(ctx, jobs.DispatchEventArgs{EventID: ev.ID}, &river.InsertOpts{
				UniqueOpts: river.UniqueOpts{}}) // not unique: a second job for the same event
			require.NoError(t, err)
			ids = append(ids, res.Job.ID)
		}
		require.Eventually(t, func() bool {
			for _, id := range ids {
				j, err := r.Client().JobGet(ctx, id)
				if err != nil || j.State != rivertype.JobStateCompleted {
					return false
				}
			}
			return true
		}, 60*time.Second, 50*time.Millisecond)

		// Redelivery 2: the dispatch's work replayed as if the process died
		// before marking the event dispatched — the deliveries recreated
		// and the subscribers told again.
		for _, ev := range events {
			full, err := st.EventByID(ctx, ev.ID)
			require.NoError(t, err)
			co, err := st.CompanyByID(ctx, ev.CompanyID)
			require.NoError(t, err)
			eps, err := st.WebhookEndpoints(ctx, ev.CompanyID)
			require.NoError(t, err)
			for _, ep := range eps {
				created, err := st.CreateWebhookDelivery(ctx, ep.ID, ev.ID)
				require.NoError(t, err)
				require.False(t, created, "the delivery of an event to an endpoint exists once")
			}
			require.NoError(t, svc.Notify(ctx, webhook.Envelope(full, co)))
		}
		// Let a wrongly queued job run (not a timing assertion: the counts must not move).
		time.Sleep(time.Second)
		check("after redelivery")
	})
}

func waitMailsSent(t *testing.T, st *store.Store, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		c, err := st.MailCounts(t.Context())
		return err == nil && c[store.MailSent] >= n
	}, 60*time.Second, 20*time.Millisecond)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
