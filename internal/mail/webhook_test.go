package mail_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/mail/mailtest"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/webhook"
)

// TestWebhookDisabledMail: when the gateway disables a webhook endpoint,
// each approved owner of its company (whatever their notification mode)
// gets one mail in their language, text and HTML, through a real SMTP
// server; members who are not owners get none; telling the same
// disablement again mails nobody, a later disablement of the endpoint
// mails again.
func TestWebhookDisabledMail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		b := setup(t, st, mailtest.Options{TLS: true})
		// A second owner, Romanian, who wants no event mails.
		ro, err := st.CreateUser(ctx, "proprietar@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		require.NoError(t, st.SetUserLang(ctx, ro.ID, "ro"))
		require.NoError(t, st.InsertMembership(ctx, b.company.ID, ro.ID, store.RoleOwner, false))
		require.NoError(t, st.SetNotifyPref(ctx, ro.ID, b.company.ID, store.NotifyNone, time.Now()))

		ep := &store.WebhookEndpoint{CompanyID: b.company.ID, URL: "https://erp.example.com/hooks/efactura",
			EventTypes: []string{notify.InvoiceReceived}, SyncFailedThreshold: 3, SecretEnc: []byte("sealed")}
		require.NoError(t, st.CreateWebhookEndpoint(ctx, ep))
		at := bucharest("2026-03-11 09:30").UTC()
		off, err := st.DisableWebhookEndpoint(ctx, ep.ID, webhook.DisabledTimeout, at)
		require.NoError(t, err)
		require.True(t, off)
		off, err = st.DisableWebhookEndpoint(ctx, ep.ID, webhook.DisabledTimeout, at.Add(time.Minute))
		require.NoError(t, err)
		require.False(t, off, "an endpoint already off is not disabled again")

		de := webhook.DisabledEndpoint{ID: ep.ID, CompanyID: b.company.ID, URL: ep.URL, Reason: webhook.DisabledTimeout, At: at}
		require.NoError(t, b.svc.WebhookDisabled(ctx, de))
		b.q.deliverAll(t, b.svc)
		require.NoError(t, b.svc.WebhookDisabled(ctx, de)) // told again: nothing more
		b.q.deliverAll(t, b.svc)

		msgs := b.smtp.Messages()
		require.Len(t, msgs, 2, "one mail per owner")
		byTo := map[string]int{}
		for i, m := range msgs {
			require.Len(t, m.To, 1)
			byTo[m.To[0]] = i
			require.Contains(t, m.Text, ep.URL)
			require.Contains(t, m.HTML, ep.URL)
			require.Contains(t, m.Text, baseURL+"/companies/"+strconv.FormatInt(b.company.ID, 10)+"/webhooks/"+strconv.FormatInt(ep.ID, 10))
			require.NotContains(t, m.HTML, "<img")
		}
		require.Contains(t, byTo, "instant@example.com")
		require.Contains(t, byTo, "proprietar@example.com")

		en := msgs[byTo["instant@example.com"]]
		require.Equal(t, "[eFactura] Webhook disabled: ALFA SOFT SRL", en.Subject())
		require.Contains(t, en.Text, "A webhook endpoint of the company was disabled")
		require.Contains(t, en.Text, "failed for 24 hours")
		require.Contains(t, en.Text, "Disabled at: ")
		require.Contains(t, en.HTML, `lang="en"`)

		rom := msgs[byTo["proprietar@example.com"]]
		require.Equal(t, "[eFactura] Webhook dezactivat: ALFA SOFT SRL", rom.Subject())
		require.Contains(t, rom.Text, "Un webhook al firmei a fost dezactivat")
		require.Contains(t, rom.Text, "Dezactivat la: 11.03.2026 09:30") // Bucharest time, dd.mm.yyyy
		require.Contains(t, rom.HTML, `lang="ro"`)
		require.Contains(t, rom.HTML, "au eșuat timp de 24 de ore")

		// Enabled again and disabled later: a new disablement, a new mail each.
		require.NoError(t, st.SetWebhookEndpointEnabled(ctx, ep.ID, true, ""))
		de.At = at.Add(48 * time.Hour)
		require.NoError(t, b.svc.WebhookDisabled(ctx, de))
		b.q.deliverAll(t, b.svc)
		require.Len(t, b.smtp.Messages(), 4)
	})
}
