package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/mail"
	"github.com/efactura-gateway/efactura/internal/mail/mailtest"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// mailQueue stands for the send_mail job: it records the queued mails and
// sends them on deliver.
type mailQueue struct {
	mu  sync.Mutex
	ids []int64
}

func (q *mailQueue) enqueue(_ context.Context, _ *store.Store, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = append(q.ids, id)
	return nil
}

func (q *mailQueue) deliver(t *testing.T, svc *mail.Service) {
	t.Helper()
	q.mu.Lock()
	ids := q.ids
	q.ids = nil
	q.mu.Unlock()
	for _, id := range ids {
		require.NoError(t, svc.Deliver(t.Context(), id, false))
	}
}

const mailBase = "https://gw.example.ro"

// TestNotificationsJourney: an admin is mailed about a registration; a
// member chooses instant mails on the settings page, gets one per event,
// unsubscribes with the mail's one-click link (a tampered link is refused)
// and gets no more; the admins' mail page shows the outbox.
func TestNotificationsJourney(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		smtp := mailtest.New(t, mailtest.Options{})
		svc, err := mail.New(mail.Options{Store: st, SMTPURL: smtp.URL(), From: "efactura@gw.example.ro", BaseURL: mailBase,
			SecretKey: "web-test-secret-key-0123456789abcdef"})
		require.NoError(t, err)
		q := &mailQueue{}
		svc.Enqueue = q.enqueue
		b := setupOn(t, st, func(d *Deps) { d.Gateway.Mail = svc })
		admin := b.user(t, "admin@example.com", store.UserApproved, true)
		ana := b.user(t, "ana@example.com", store.UserApproved, false)
		c := b.company(t, "12345674", "ALFA SOFT SRL", ana)

		// A registration: the admin is told, the registration is not held up.
		anon := b.browser(t)
		p := anon.post("/register", url.Values{"email": {"nou@example.com"}, "password": {testPassword}, "confirm": {testPassword}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		q.deliver(t, svc)
		msgs := smtp.Messages()
		require.Len(t, msgs, 1)
		require.Equal(t, []string{admin.Email}, msgs[0].To)
		require.Contains(t, msgs[0].Text, "nou@example.com")

		// The settings page: the default is the daily digest; Ana picks instant.
		br := b.browser(t)
		br.login(ana.Email)
		p = br.get("/account/notifications")
		require.Equal(t, http.StatusOK, p.Status)
		require.Contains(t, p.Body, "ALFA SOFT SRL")
		require.Regexp(t, `name="mode_\d+" value="digest" checked`, p.Body)
		require.NotContains(t, p.Body, "Trimiterea de e-mailuri nu este configurată", "mail is on")
		modeField := "mode_" + strconv.FormatInt(c.ID, 10)
		p = br.post("/account/notifications", url.Values{modeField: {"bogus"}})
		require.Equal(t, http.StatusSeeOther, p.Status)
		require.Contains(t, br.get("/account/notifications").Body, "Alegeți imediat, rezumat zilnic sau niciunul.")
		p = br.post("/account/notifications", url.Values{modeField: {"instant"}})
		require.Equal(t, http.StatusSeeOther, p.Status)
		p = br.get("/account/notifications?lang=en")
		require.Contains(t, p.Body, "Preferințele de notificare au fost salvate.") // the flash is in the language it was set in
		require.Regexp(t, `value="instant" checked`, p.Body)

		// An event: one mail, in English (Ana's language now).
		ev := notify.Event{ID: "evt_web", Type: notify.InvoiceReceived, CreatedAt: time.Now().UTC(), CompanyID: c.ID, CompanyCIF: c.CIF,
			Data: json.RawMessage(`{"id":5,"invoice_number":"X-1","supplier_name":"BETA SRL","total_amount":10.5,"currency":"EUR"}`)}
		require.NoError(t, svc.Notify(t.Context(), ev))
		q.deliver(t, svc)
		msgs = smtp.Messages()
		require.Len(t, msgs, 2)
		m := msgs[1]
		require.Equal(t, []string{ana.Email}, m.To)
		require.Equal(t, "[eFactura] New invoice from BETA SRL", m.Subject())
		link := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
		path := strings.TrimPrefix(link, mailBase)
		require.NotEqual(t, link, path)

		// A tampered link is refused, on GET and POST.
		stranger := b.browser(t)
		tampered := path[:len(path)-3] + "AAA"
		if tampered == path {
			tampered = path[:len(path)-3] + "BBB"
		}
		p = stranger.get(tampered)
		require.Equal(t, http.StatusBadRequest, p.Status)
		require.Contains(t, p.Body, "Linkul de dezabonare nu este valid")
		p = stranger.post(tampered, url.Values{"List-Unsubscribe": {"One-Click"}})
		require.Equal(t, http.StatusBadRequest, p.Status)

		// The real link: GET only asks (mail scanners follow links) ...
		p = stranger.get(path)
		require.Equal(t, http.StatusOK, p.Status)
		require.Contains(t, p.Body, "ALFA SOFT SRL")
		prefs, err := st.NotifyPrefs(t.Context(), ana.ID)
		require.NoError(t, err)
		require.Equal(t, store.NotifyInstant, prefs[0].Mode)
		// ... and RFC 8058's one-click POST (no cookie, no login) applies it.
		p = stranger.post(path, url.Values{"List-Unsubscribe": {"One-Click"}})
		require.Equal(t, http.StatusOK, p.Status, p.Body)
		require.Contains(t, p.Body, "nu mai primiți aceste e-mailuri")
		prefs, err = st.NotifyPrefs(t.Context(), ana.ID)
		require.NoError(t, err)
		require.Equal(t, store.NotifyNone, prefs[0].Mode)

		ev.ID = "evt_web_2"
		require.NoError(t, svc.Notify(t.Context(), ev))
		q.deliver(t, svc)
		require.Len(t, smtp.Messages(), 2, "no mail after unsubscribing")

		events, err := st.AuditEvents(t.Context(), 50)
		require.NoError(t, err)
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		require.Contains(t, actions, store.ActionNotifySet)
		require.Contains(t, actions, store.ActionNotifyUnsubscribe)

		// The admins' page.
		ab := b.browser(t)
		ab.login(admin.Email)
		p = ab.get("/admin/mail")
		require.Equal(t, http.StatusOK, p.Status)
		require.Contains(t, p.Body, "Niciun e-mail eșuat.")
		require.Equal(t, http.StatusNotFound, br.get("/admin/mail").Status)
	})
}
