package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/mail"
	"github.com/efactura-gateway/efactura/internal/mail/mailtest"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestTransports: the three ways EFACTURA_SMTP_URL reaches a real SMTP
// server in the test process. smtps:// speaks TLS from the first byte and
// logs in; smtp:// requires STARTTLS, so a server that does not offer it
// gets no mail (never sent in clear); and with no EFACTURA_SMTP_URL, mail is
// off: nothing is composed, queued or sent, while unsubscribe links still work.
func TestTransports(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	t.Run("ImplicitTLS", func(t *testing.T) {
		t.Parallel()
		b := setup(t, storetest.NewSQLite(t), mailtest.Options{ImplicitTLS: true, User: "relay", Password: "s3cret"})
		require.True(t, strings.HasPrefix(b.smtp.URL(), "smtps://relay:s3cret@127.0.0.1:"), b.smtp.URL())
		ev := received("evt_tls", "T-1", "10", "RON", b.clk.Now())
		ev.CompanyID = b.company.ID
		require.NoError(t, b.svc.Notify(ctx, ev))
		b.q.deliverAll(t, b.svc)
		msgs := b.smtp.Messages()
		require.Len(t, msgs, 1)
		require.Equal(t, []string{"instant@example.com"}, msgs[0].To)
		require.Contains(t, msgs[0].Text, "T-1")
	})

	t.Run("STARTTLSRequired", func(t *testing.T) {
		t.Parallel()
		st := storetest.NewSQLite(t)
		b := setup(t, st, mailtest.Options{}) // a server without STARTTLS
		plain := strings.Replace(b.smtp.URL(), "smtp+plain://", "smtp://", 1)
		svc, err := mail.New(mail.Options{Store: st, SMTPURL: plain, From: "eFactura <efactura@gw.example.ro>",
			BaseURL: baseURL, SecretKey: secretKey, Now: b.clk.Now, TLSConfig: b.smtp.ClientTLS()})
		require.NoError(t, err)
		svc.Enqueue = b.q.enqueue
		ev := received("evt_clear", "C-1", "10", "RON", b.clk.Now())
		ev.CompanyID = b.company.ID
		require.NoError(t, svc.Notify(ctx, ev))
		require.Len(t, b.q.ids, 1)
		require.Error(t, svc.Deliver(ctx, b.q.ids[0], true))
		require.Empty(t, b.smtp.Messages(), "nothing sent without TLS")
		failed, err := st.FailedMails(ctx, 10)
		require.NoError(t, err)
		require.Len(t, failed, 1, "the failure is what admins see on /admin/mail")
	})

	t.Run("OffWhenUnset", func(t *testing.T) {
		t.Parallel()
		st := storetest.NewSQLite(t)
		b := setup(t, st, mailtest.Options{})
		off, err := mail.New(mail.Options{Store: st, BaseURL: baseURL, SecretKey: secretKey, Now: b.clk.Now})
		require.NoError(t, err)
		require.False(t, off.On())
		require.True(t, b.svc.On())
		off.Enqueue = b.q.enqueue
		ev := received("evt_off", "O-1", "10", "RON", b.clk.Now())
		ev.CompanyID = b.company.ID
		require.NoError(t, off.Notify(ctx, ev))
		nu, err := st.CreateUser(ctx, "new@example.com", "x", false, store.UserPending)
		require.NoError(t, err)
		_, err = st.CreateUser(ctx, "admin@example.com", "x", true, store.UserApproved)
		require.NoError(t, err)
		require.NoError(t, off.RegistrationPending(ctx, nu))
		b.clk.Set(b.clk.Now().Add(48 * time.Hour))
		n, err := off.SendDigests(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Empty(t, b.q.ids, "nothing queued")
		counts, err := st.MailCounts(ctx)
		require.NoError(t, err)
		for state, c := range counts {
			require.Zero(t, c, state)
		}
		items, err := st.OpenDigestItems(ctx, b.digest.ID, b.clk.Now())
		require.NoError(t, err)
		require.Empty(t, items, "no digest item kept")
		require.Empty(t, b.smtp.Messages())
		// The links of mails sent before still work.
		tok := strings.TrimPrefix(off.UnsubscribeURL(mail.Unsubscribe{UserID: b.instant.ID, CompanyID: b.company.ID, Scope: mail.ScopeCompany}),
			baseURL+"/unsubscribe?t=")
		u, err := b.svc.VerifyToken(tok)
		require.NoError(t, err)
		require.Equal(t, b.instant.ID, u.UserID)
	})
}
