package jobs_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/jobs"
	"github.com/efactura-gateway/efactura/internal/mail"
	"github.com/efactura-gateway/efactura/internal/mail/mailtest"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestSendMailJob: an event's mail is sent by the send_mail River job
// (queued in the transaction that composed it) to a real SMTP server in
// the test process, once, also when the event is delivered again.
func TestSendMailJob(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		smtp, svc, r := startMailRunner(t, st, "https://gw.example.ro")

		u, err := st.CreateUser(ctx, "ana@example.com", "x", false, store.UserApproved)
		require.NoError(t, err)
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", u.ID)
		require.NoError(t, err)
		require.NoError(t, st.SetNotifyPref(ctx, u.ID, c.ID, store.NotifyInstant, time.Now()))
		ev := notify.Event{ID: "evt_job", Type: notify.UploadNOK, CreatedAt: time.Now().UTC(), CompanyID: c.ID, CompanyCIF: c.CIF,
			Data: json.RawMessage(`{"id":3,"invoice_number":"F-9","errors":[{"id":"BR-RO-010","message":"lipsește"}]}`)}
		require.NoError(t, svc.Notify(ctx, ev))
		require.NoError(t, svc.Notify(ctx, ev)) // redelivered

		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		msgs, err := smtp.Wait(wctx, 1)
		require.NoError(t, err)
		require.Equal(t, "[eFactura] Factura F-9 a fost respinsă de ANAF", msgs[0].Subject())
		require.Contains(t, msgs[0].Text, "BR-RO-010 lipsește")
		// The job marks the mail sent after the SMTP answer: wait for it,
		// then the queue holds no other mail job.
		require.Eventually(t, func() bool {
			n, err := st.MailCounts(ctx)
			return err == nil && n[store.MailSent] == 1
		}, 30*time.Second, 20*time.Millisecond)
		res, err := r.Client().JobList(ctx, riverList().Kinds(jobs.SendMailArgs{}.Kind()))
		require.NoError(t, err)
		require.Len(t, res.Jobs, 1, "one send_mail job for the redelivered event")
		require.Len(t, smtp.Messages(), 1)
	})
}

// startMailRunner starts a real SMTP server (TLS), the mail service
// sending to it and a River runner whose send_mail jobs it enqueues,
// stopped at the test's end.
func startMailRunner(t *testing.T, st *store.Store, baseURL string) (*mailtest.Server, *mail.Service, *jobs.Runner) {
	t.Helper()
	ctx := t.Context()
	smtp := mailtest.New(t, mailtest.Options{TLS: true})
	svc, err := mail.New(mail.Options{Store: st, SMTPURL: smtp.URL(), From: "efactura@gw.example.ro",
		BaseURL: baseURL, SecretKey: "jobs-test-secret-key-0123456789abcdef", TLSConfig: smtp.ClientTLS()})
	require.NoError(t, err)
	require.NoError(t, jobs.Migrate(ctx, st, nil))
	r, err := jobs.New(jobs.Options{Store: st, Engine: &anafsync.Engine{Store: st}, Logger: slog.New(slog.DiscardHandler), Mail: svc})
	require.NoError(t, err)
	svc.Enqueue = r.EnqueueMail
	require.NoError(t, r.Start(ctx))
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(c)
	})
	return smtp, svc, r
}
