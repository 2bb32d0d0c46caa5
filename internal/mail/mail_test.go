package mail_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/deadline"
	"github.com/efactura-gateway/efactura/internal/mail"
	"github.com/efactura-gateway/efactura/internal/mail/mailtest"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
	"github.com/efactura-gateway/efactura/internal/tz"
)

const (
	baseURL   = "https://gw.example.ro"
	secretKey = "test-secret-key-0123456789-abcdefghijklmnop"
)

// clock is an injected, settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func bucharest(s string) time.Time {
	t, _ := time.ParseInLocation("2006-01-02 15:04", s, tz.Bucharest())
	return t
}

// queue is the test's job queue: it records the mails to send, and
// deliverAll sends them the way the send_mail job does.
type queue struct {
	mu  sync.Mutex
	ids []int64
}

func (q *queue) enqueue(_ context.Context, _ *store.Store, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = append(q.ids, id)
	return nil
}

func (q *queue) deliverAll(t *testing.T, svc *mail.Service) {
	t.Helper()
	q.mu.Lock()
	ids := q.ids
	q.ids = nil
	q.mu.Unlock()
	for _, id := range ids {
		require.NoError(t, svc.Deliver(t.Context(), id, false))
	}
}

type testBundle struct {
	st      *store.Store
	smtp    *mailtest.Server
	svc     *mail.Service
	q       *queue
	clk     *clock
	company *store.Company
	instant *store.User // English, instant
	digest  *store.User // Romanian, default (digest)
	none    *store.User // nothing
}

func setup(t *testing.T, st *store.Store, smtpOpts mailtest.Options) *testBundle {
	t.Helper()
	ctx := t.Context()
	b := &testBundle{st: st, smtp: mailtest.New(t, smtpOpts), q: &queue{}, clk: &clock{t: bucharest("2026-03-10 10:00")}}
	mk := func(email, lang string) *store.User {
		u, err := st.CreateUser(ctx, email, "x", false, store.UserApproved)
		require.NoError(t, err)
		if lang != "" {
			require.NoError(t, st.SetUserLang(ctx, u.ID, lang))
			u.Lang = lang
		}
		return u
	}
	b.instant, b.digest, b.none = mk("instant@example.com", "en"), mk("digest@example.com", ""), mk("none@example.com", "ro")
	c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", b.instant.ID)
	require.NoError(t, err)
	b.company = c
	require.NoError(t, st.InsertMembership(ctx, c.ID, b.digest.ID, store.RoleMember, false))
	require.NoError(t, st.InsertMembership(ctx, c.ID, b.none.ID, store.RoleMember, false))
	require.NoError(t, st.SetNotifyPref(ctx, b.instant.ID, c.ID, store.NotifyInstant, time.Now()))
	require.NoError(t, st.SetNotifyPref(ctx, b.none.ID, c.ID, store.NotifyNone, time.Now()))
	// A pending user who is a member is never mailed.
	pend, err := st.CreateUser(ctx, "pending@example.com", "x", false, store.UserPending)
	require.NoError(t, err)
	require.NoError(t, st.InsertMembership(ctx, c.ID, pend.ID, store.RoleMember, false))

	var tlsConf = b.smtp.ClientTLS()
	b.svc, err = mail.New(mail.Options{Store: st, SMTPURL: b.smtp.URL(), From: "eFactura <efactura@gw.example.ro>",
		BaseURL: baseURL, SecretKey: secretKey, Now: b.clk.Now, TLSConfig: tlsConf})
	require.NoError(t, err)
	b.svc.Enqueue = b.q.enqueue
	return b
}

func received(id, number, total, currency string, at time.Time) notify.Event {
	data, _ := json.Marshal(map[string]any{"id": 42, "invoice_number": number, "invoice_date": "2026-03-09",
		"supplier_name": "BETA TRADING SRL", "supplier_cif": "98765438", "total_amount": json.Number(total), "currency": currency,
		"url": baseURL + "/api/v1/invoices/42/download"})
	return notify.Event{ID: id, Type: notify.InvoiceReceived, CreatedAt: at.UTC(), CompanyCIF: "12345674", Data: data}
}

func TestInstantMail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, mailtest.Options{TLS: true, User: "gw", Password: "smtp-pass"})
		ev := received("evt_1", "F-0042", "1190.00", "RON", b.clk.Now())
		ev.CompanyID = b.company.ID
		require.NoError(t, b.svc.Notify(t.Context(), ev))
		b.q.deliverAll(t, b.svc)
		// Redelivery of the same event: nothing more.
		require.NoError(t, b.svc.Notify(t.Context(), ev))
		b.q.deliverAll(t, b.svc)

		msgs := b.smtp.Messages()
		require.Len(t, msgs, 1, "exactly one mail: the instant member, once")
		m := msgs[0]
		require.Equal(t, []string{"instant@example.com"}, m.To)
		require.Equal(t, "[eFactura] New invoice from BETA TRADING SRL", m.Subject())
		require.Contains(t, m.Text, "Total: 1,190.00 RON")
		require.Contains(t, m.Text, "Number: F-0042")
		require.Contains(t, m.Text, baseURL+"/invoices/42")
		require.Contains(t, m.HTML, `href="`+baseURL+`/invoices/42"`)
		require.Contains(t, m.HTML, "1,190.00 RON")
		require.NotContains(t, strings.ToLower(m.HTML), "<img", "no remote (or any) images")
		require.Contains(t, m.Header.Get("Content-Type"), "multipart/alternative")
		unsub := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
		require.True(t, strings.HasPrefix(unsub, baseURL+"/unsubscribe?t="), unsub)
		require.Equal(t, "List-Unsubscribe=One-Click", m.Header.Get("List-Unsubscribe-Post"))
		require.Contains(t, m.Text, unsub, "the unsubscribe link is in the body too")

		tok := strings.TrimPrefix(unsub, baseURL+"/unsubscribe?t=")
		u, err := b.svc.VerifyToken(tok)
		require.NoError(t, err)
		require.Equal(t, mail.Unsubscribe{UserID: b.instant.ID, CompanyID: b.company.ID, Scope: mail.ScopeCompany}, u)

		// The digest member got a digest item, the others none.
		items, err := st.OpenDigestItems(t.Context(), b.digest.ID, b.clk.Now().Add(time.Hour))
		require.NoError(t, err)
		require.Len(t, items, 1)
		for _, other := range []int64{b.instant.ID, b.none.ID} {
			items, err := st.OpenDigestItems(t.Context(), other, b.clk.Now().Add(time.Hour))
			require.NoError(t, err)
			require.Empty(t, items)
		}
		sent, err := st.MailCounts(t.Context())
		require.NoError(t, err)
		require.Equal(t, map[string]int{store.MailSent: 1}, sent)
	})
}

func TestDigest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := setup(t, st, mailtest.Options{})
		ctx := t.Context()
		// Tuesday 10 March 2026: three invoices, a rejected upload, a failed sync, an
		// ANAF connection expiring in 14 days and one needing its user.
		for _, ev := range []notify.Event{
			received("evt_a", "A-1", "1190.00", "RON", b.clk.Now()),
			received("evt_b", "B-2", "100.5", "RON", b.clk.Now()),
			received("evt_c", "C-3", "50", "EUR", b.clk.Now()),
			{ID: "evt_n", Type: notify.UploadNOK, Data: json.RawMessage(`{"id":7,"invoice_number":"OUT-9","issue_date":"2026-03-09","errors":[{"id":"BR-RO-010","message":"lipsește"}]}`)},
			{ID: "evt_s", Type: notify.SyncFailed, Data: json.RawMessage(`{"error":"ANAF nu răspunde"}`)},
			{ID: "evt_e14", Type: notify.ConnectionExpiring, Data: json.RawMessage(`{"expires_at":"2026-03-24T09:00:00Z","days":14}`)},
			{ID: "evt_na", Type: notify.ConnectionNeedsAttention, Data: json.RawMessage(`{"status":"reconnect_needed"}`)},
			{ID: "evt_x", Type: notify.InvoiceSent, Data: json.RawMessage(`{}`)}, // not in digests
		} {
			ev.CompanyID = b.company.ID
			require.NoError(t, b.svc.Notify(ctx, ev))
		}
		b.q.deliverAll(t, b.svc) // the instant member's mails
		instant := len(b.smtp.Messages())
		require.Equal(t, 7, instant, "instant: 3 invoices, the rejected upload, the failed sync, the two connection notices")

		// Same day, and the next morning before 07:00: no digest yet.
		n, err := b.svc.SendDigests(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		// An upload not accepted yet whose legal deadline is Wednesday 11 March, due on the next digest's day.
		issue := issueDueOn(t, time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC))
		require.NoError(t, st.CreateUpload(ctx, &store.Upload{CompanyID: b.company.ID, State: store.UploadPending,
			SellerCIF: "12345674", InvoiceNumber: "OUT-77", IssueDate: issue, DocSHA256: []byte{1}}))

		b.clk.Set(bucharest("2026-03-11 06:59"))
		n, err = b.svc.SendDigests(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		// An event of the 11th stays for the next digest.
		late := received("evt_d", "D-4", "1", "RON", b.clk.Now())
		late.CompanyID = b.company.ID
		require.NoError(t, b.svc.Notify(ctx, late))
		b.q.deliverAll(t, b.svc)
		instant++

		b.clk.Set(bucharest("2026-03-11 07:05"))
		n, err = b.svc.SendDigests(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "one digest: the digest member")
		n, err = b.svc.SendDigests(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "once per day")
		b.q.deliverAll(t, b.svc)

		msgs := b.smtp.Messages()
		require.Len(t, msgs, instant+1)
		d := msgs[len(msgs)-1]
		require.Equal(t, []string{"digest@example.com"}, d.To)
		require.Equal(t, "[eFactura] Rezumatul zilei: 10.03.2026", d.Subject())
		for _, want := range []string{
			"ALFA SOFT SRL (CIF 12345674)",
			"Facturi primite (3)",
			"BETA TRADING SRL, nr. A-1, 1.190,00 lei",
			"Total: 50,00 EUR; 1.290,50 lei",
			"Încărcări respinse de ANAF (1)",
			"Factura OUT-9 din 09.03.2026 — BR-RO-010 lipsește",
			"Sincronizări eșuate (1)",
			"ANAF nu răspunde",
			"Conexiunea ANAF (2)", // expiring and needing attention: one group
			"Reconectați-vă la ANAF înainte de 24.03.2026",
			"Deschideți pagina ANAF și reconectați-vă.",
			"Facturi netrimise cu termenul legal aproape (1)",
			"OUT-77",
			"termen 11.03.2026",
		} {
			require.Contains(t, d.Text, want)
			require.Contains(t, d.HTML, want)
		}
		require.NotContains(t, d.Text, "D-4", "the 11th's event waits for the 12th's digest")
		require.Contains(t, d.Header.Get("List-Unsubscribe"), baseURL+"/unsubscribe?t=")

		// The next day: D-4 alone (the upload's deadline has passed).
		b.clk.Set(bucharest("2026-03-12 07:30"))
		n, err = b.svc.SendDigests(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		b.q.deliverAll(t, b.svc)
		msgs = b.smtp.Messages()
		last := msgs[len(msgs)-1]
		require.Contains(t, last.Text, "Facturi primite (1)")
		require.Contains(t, last.Text, "D-4")
		require.NotContains(t, last.Text, "OUT-77")

		// A member who leaves the digest after an event was kept for it gets
		// no digest for it, and the kept item is dropped.
		more := received("evt_e", "E-5", "2", "RON", b.clk.Now())
		more.CompanyID = b.company.ID
		require.NoError(t, b.svc.Notify(ctx, more))
		require.NoError(t, st.SetNotifyPref(ctx, b.digest.ID, b.company.ID, store.NotifyInstant, time.Now()))
		b.clk.Set(bucharest("2026-03-13 07:30"))
		n, err = b.svc.SendDigests(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		items, err := st.OpenDigestItems(ctx, b.digest.ID, b.clk.Now())
		require.NoError(t, err)
		require.Empty(t, items)
	})
}

// issueDueOn finds an issue date whose legal deadline is due.
func issueDueOn(t *testing.T, due time.Time) string {
	t.Helper()
	for d := due.AddDate(0, 0, -1); d.After(due.AddDate(0, 0, -20)); d = d.AddDate(0, 0, -1) {
		if got, _ := deadline.Due(d); got.Equal(due) {
			return d.Format(time.DateOnly)
		}
	}
	t.Fatal("no issue date")
	return ""
}

func TestRegistrationMail(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	b := setup(t, st, mailtest.Options{})
	ctx := t.Context()
	a1, err := st.CreateUser(ctx, "admin1@example.com", "x", true, store.UserApproved)
	require.NoError(t, err)
	a2, err := st.CreateUser(ctx, "admin2@example.com", "x", true, store.UserApproved)
	require.NoError(t, err)
	require.NoError(t, st.SetRegistrationMails(ctx, a2.ID, false, time.Now()))
	nu, err := st.CreateUser(ctx, "nou@example.com", "x", false, store.UserPending)
	require.NoError(t, err)
	require.NoError(t, b.svc.RegistrationPending(ctx, nu))
	require.NoError(t, b.svc.RegistrationPending(ctx, nu)) // twice: one mail
	b.q.deliverAll(t, b.svc)
	msgs := b.smtp.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, []string{a1.Email}, msgs[0].To)
	require.Equal(t, "[eFactura] Cont nou de aprobat: nou@example.com", msgs[0].Subject())
	require.Contains(t, msgs[0].Text, baseURL+"/admin/users")
	u, err := b.svc.VerifyToken(strings.TrimPrefix(strings.Trim(msgs[0].Header.Get("List-Unsubscribe"), "<>"), baseURL+"/unsubscribe?t="))
	require.NoError(t, err)
	require.Equal(t, mail.Unsubscribe{UserID: a1.ID, Scope: mail.ScopeRegistrations}, u)
}

func TestDeliveryFailure(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	b := setup(t, st, mailtest.Options{})
	b.smtp.Fail = func() error { return errFull }
	ev := received("evt_f", "F-1", "1", "RON", b.clk.Now())
	ev.CompanyID = b.company.ID
	require.NoError(t, b.svc.Notify(t.Context(), ev))
	require.Len(t, b.q.ids, 1)
	id := b.q.ids[0]
	require.Error(t, b.svc.Deliver(t.Context(), id, false))
	m, err := st.MailByID(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, store.MailPending, m.State)
	require.Error(t, b.svc.Deliver(t.Context(), id, true))
	failed, err := st.FailedMails(t.Context(), 10)
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, 2, failed[0].Attempts)
	require.Contains(t, failed[0].LastError, "mailbox full")
	b.smtp.Fail = nil
}

var errFull = errString("mailbox full")

type errString string

func (e errString) Error() string { return string(e) }

func TestUnsubscribeTokens(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	svc, err := mail.New(mail.Options{Store: st, BaseURL: baseURL, SecretKey: secretKey})
	require.NoError(t, err)
	other, err := mail.New(mail.Options{Store: st, BaseURL: baseURL, SecretKey: secretKey + "-other"})
	require.NoError(t, err)
	tok := svc.Token(mail.Unsubscribe{UserID: 7, CompanyID: 3, Scope: mail.ScopeCompany})
	u, err := svc.VerifyToken(tok)
	require.NoError(t, err)
	require.Equal(t, int64(7), u.UserID)
	for name, bad := range map[string]string{
		"ForeignKey":     other.Token(mail.Unsubscribe{UserID: 7, CompanyID: 3, Scope: mail.ScopeCompany}),
		"OtherUser":      strings.Replace(tok, tok[:strings.Index(tok, ".")], svcPayload(svc, 8), 1),
		"FlippedSig":     tok[:len(tok)-2] + flip(tok[len(tok)-2:]),
		"Truncated":      tok[:len(tok)-5],
		"NoSignature":    tok[:strings.Index(tok, ".")],
		"Empty":          "",
		"Garbage":        "a.b",
		"ScopeWithoutID": svc.Token(mail.Unsubscribe{UserID: 7, Scope: mail.ScopeCompany}),
	} {
		_, err := svc.VerifyToken(bad)
		require.ErrorIs(t, err, mail.ErrBadToken, name)
	}
}

// svcPayload is the payload half of a token for another user.
func svcPayload(svc *mail.Service, uid int64) string {
	t := svc.Token(mail.Unsubscribe{UserID: uid, CompanyID: 3, Scope: mail.ScopeCompany})
	return t[:strings.Index(t, ".")]
}

func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func FuzzVerifyToken(f *testing.F) {
	st := storetest.NewSQLite(f)
	svc, err := mail.New(mail.Options{Store: st, BaseURL: baseURL, SecretKey: secretKey})
	require.NoError(f, err)
	f.Add(svc.Token(mail.Unsubscribe{UserID: 1, Scope: mail.ScopeAll}))
	f.Add("dTE6MTox.abc")
	f.Fuzz(func(t *testing.T, tok string) {
		u, err := svc.VerifyToken(tok)
		if err == nil && svc.Token(u) != tok {
			t.Fatalf("accepted a token it did not sign: %q", tok)
		}
	})
}

// TestSPVAtRiskMail: spv.messages_at_risk is mailed to the instant member
// in their language with the count and the stale warning.
func TestSPVAtRiskMail(t *testing.T) {
	t.Parallel()
	st := storetest.NewSQLite(t)
	b := setup(t, st, mailtest.Options{})
	ev := notify.Event{ID: "evt_spv", Type: notify.SPVAtRisk, CreatedAt: b.clk.Now().UTC(), CompanyID: b.company.ID, CompanyCIF: "12345674",
		Data: json.RawMessage(`{"at_risk_messages":3,"at_risk_age_days":50,"stale":true,"last_successful_sync_at":null,"url":"` + baseURL + `/companies/1"}`)}
	require.NoError(t, b.svc.Notify(t.Context(), ev))
	b.q.deliverAll(t, b.svc)
	msgs := b.smtp.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, []string{"instant@example.com"}, msgs[0].To)
	require.Contains(t, msgs[0].Subject(), "SPV messages near the 60-day limit")
	require.Contains(t, msgs[0].Text, "3 messages ANAF listed are not archived")
	require.Contains(t, msgs[0].Text, "No successful sync for over 50 days")
}
