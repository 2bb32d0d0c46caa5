// Package mail tells users by e-mail what happened to their companies
// (issue 19): a notify.Subscriber that, per member and company, composes
// one mail per event (instant), keeps the event for a daily digest
// (digest, the default) or does nothing (none); the daily digest; the
// admins' mails about registrations waiting for approval; and signed
// one-click unsubscribe links (RFC 8058).
//
// Every mail is composed once into the outbox (store.OutboxMail, unique
// on its dedupe key: an event and a user, a digest day and a user, a
// registration and an admin), in Romanian or English (the user's
// language), as plain text plus HTML (multipart/alternative) without
// remote images, with links absolute to the gateway's public base URL.
// A River job (internal/jobs, send_mail) queued in the same transaction
// sends it with retries (Deliver); the last failed attempt marks it failed,
// which the admins see (/admin/mail).
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/efactura-gateway/efactura/internal/locale"
	"github.com/efactura-gateway/efactura/internal/notify"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Options configure a Service.
type Options struct {
	Store *store.Store
	// SMTPURL is EFACTURA_SMTP_URL (checked by internal/config); empty:
	// mail is off (Notify and the digest do nothing; preferences and
	// unsubscribe links still work).
	SMTPURL string
	From    string // EFACTURA_MAIL_FROM
	// BaseURL is the gateway's public URL (EFACTURA_BASE_URL): every link.
	BaseURL string
	// SecretKey is EFACTURA_SECRET_KEY; the unsubscribe links' HMAC key is
	// derived from it (HKDF).
	SecretKey string
	Logger    *slog.Logger
	// Now is the clock (tests inject one); nil: time.Now.
	Now func() time.Time
	// TLSConfig replaces the SMTP TLS settings (tests: a test CA); nil: system roots.
	TLSConfig *tls.Config
}

// Enqueuer queues the send_mail job of an outbox mail; within a store
// transaction (tx from store.WithTx) the job commits with the mail
// (jobs.Runner.EnqueueMail).
type Enqueuer func(ctx context.Context, tx *store.Store, mailID int64) error

// Service is the mail notifier.
type Service struct {
	st      *store.Store
	from    string
	baseURL string
	key     []byte
	log     *slog.Logger
	now     func() time.Time
	sender  *sender // nil: mail off

	// Enqueue queues the job sending a mail (set by the composition root
	// once the job runner exists); nil: mails stay pending in the outbox.
	Enqueue Enqueuer
}

var _ notify.Subscriber = (*Service)(nil)

//go:embed templates/mail.txt templates/mail.html
var templateFS embed.FS

var (
	textTmpl = texttemplate.Must(texttemplate.New("mail.txt").Funcs(texttemplate.FuncMap{"tr": func(string) string { return "" }}).
			ParseFS(templateFS, "templates/mail.txt"))
	htmlTmpl = htmltemplate.Must(htmltemplate.New("mail.html").Funcs(htmltemplate.FuncMap{"tr": func(string) string { return "" }}).
			ParseFS(templateFS, "templates/mail.html"))
)

// New builds the notifier. Mail is off when o.SMTPURL is empty.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("mail: Store is required")
	}
	key, err := deriveKey(o.SecretKey)
	if err != nil {
		return nil, err
	}
	s := &Service{st: o.Store, from: o.From, baseURL: strings.TrimRight(o.BaseURL, "/"), key: key, log: o.Logger, now: o.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if o.SMTPURL != "" {
		if s.sender, err = newSender(o.SMTPURL, o.TLSConfig); err != nil {
			return nil, err
		}
		if err := gomail.NewMsg().From(o.From); err != nil {
			return nil, fmt.Errorf("mail: EFACTURA_MAIL_FROM: %w", err)
		}
	}
	return s, nil
}

// On reports whether mail is configured.
func (s *Service) On() bool { return s != nil && s.sender != nil }

// Outbox mail kinds.
const (
	KindEvent        = "event"
	KindDigest       = "digest"
	KindRegistration = "registration"
)

// SyncFailedThreshold is the length of a streak of failed syncs of a
// company that is mailed (the webhooks' default threshold too).
const SyncFailedThreshold = 3

// instantTypes are the events mailed one by one to "instant" members;
// invoice.sent is not (the company sent it; upload.ok says it when it
// was sent through the gateway) and neither is the webhooks' test event.
var instantTypes = map[string]bool{
	notify.InvoiceReceived: true, notify.UploadOK: true, notify.UploadNOK: true, notify.SyncFailed: true,
	notify.ConnectionExpiring: true, notify.ConnectionNeedsAttention: true, notify.SPVAtRisk: true,
}

// digestTypes are the events a daily digest groups.
var digestTypes = map[string]bool{
	notify.InvoiceReceived: true, notify.UploadNOK: true, notify.SyncFailed: true,
	notify.ConnectionExpiring: true, notify.ConnectionNeedsAttention: true, notify.SPVAtRisk: true,
}

// Notify is the notify.Subscriber: for each approved member of the
// event's company, an instant mail (queued) or a digest item, by their
// mode. Idempotent on (event, user): a redelivered event adds nothing.
func (s *Service) Notify(ctx context.Context, ev notify.Event) error {
	if !s.On() || (!instantTypes[ev.Type] && !digestTypes[ev.Type]) {
		return nil
	}
	// sync.failed is recorded for every failed run with the length of the
	// streak; people are told once per streak, at SyncFailedThreshold.
	if ev.Type == notify.SyncFailed {
		if n := parseData(ev.Data).ConsecutiveFailures; n != 0 && n != SyncFailedThreshold {
			return nil
		}
	}
	c, err := s.st.CompanyByID(ctx, ev.CompanyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since: nobody to tell
	}
	if err != nil {
		return err
	}
	subs, err := s.st.CompanySubscribers(ctx, ev.CompanyID)
	if err != nil {
		return err
	}
	// A digest item is dated when it is learnt, not when it happened: an
	// event delivered late still reaches the next digest.
	created := s.now()
	return s.st.WithTx(ctx, func(tx *store.Store) error {
		for _, sub := range subs {
			switch {
			case sub.Mode == store.NotifyInstant && instantTypes[ev.Type]:
				m := s.composeEvent(ev, c, sub)
				if err := s.queue(ctx, tx, m); err != nil {
					return err
				}
			case sub.Mode == store.NotifyDigest && digestTypes[ev.Type]:
				data := string(ev.Data)
				if !json.Valid(ev.Data) {
					data = "{}"
				}
				if _, err := tx.InsertDigestItem(ctx, &store.DigestItem{UserID: sub.UserID, CompanyID: ev.CompanyID,
					EventID: ev.ID, EventType: ev.Type, Data: data, CreatedAt: created}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// queue inserts m into the outbox and, when it is new, its send job, in tx.
func (s *Service) queue(ctx context.Context, tx *store.Store, m *store.OutboxMail) error {
	inserted, err := tx.InsertMail(ctx, m)
	if err != nil || !inserted || s.Enqueue == nil {
		return err
	}
	return s.Enqueue(ctx, tx, m.ID)
}

// RegistrationPending mails every admin who wants it that u registered
// and waits for approval. The caller treats an error as best-effort
// (registration never waits for mail).
func (s *Service) RegistrationPending(ctx context.Context, u *store.User) error {
	if !s.On() {
		return nil
	}
	admins, err := s.st.RegistrationMailAdmins(ctx)
	if err != nil {
		return err
	}
	return s.st.WithTx(ctx, func(tx *store.Store) error {
		for _, a := range admins {
			lang := a.Lang
			v := &view{Lang: lang, Heading: tr(lang, "reg.heading"),
				Sections: []section{{Groups: []group{{Notes: []string{tr(lang, "reg.line", u.Email, locale.DateTime(lang, u.CreatedAt))}}}}},
				Link:     s.baseURL + "/admin/users", LinkLabel: tr(lang, "reg.open"), Footer: tr(lang, "footer.admin"),
				UnsubscribeURL: s.UnsubscribeURL(Unsubscribe{UserID: a.ID, Scope: ScopeRegistrations})}
			m := s.compose(v, tr(lang, "reg.subject", u.Email))
			m.DedupeKey = "registration:" + strconv.FormatInt(u.ID, 10) + ":" + strconv.FormatInt(a.ID, 10)
			m.Kind, m.UserID, m.To = KindRegistration, a.ID, a.Email
			if err := s.queue(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// Deliver sends outbox mail id (the send_mail job). A mail already sent
// is not sent again. A failure is recorded on the mail and returned (the
// job retries); final marks it failed for good.
func (s *Service) Deliver(ctx context.Context, id int64, final bool) error {
	m, err := s.st.MailByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.State == store.MailSent {
		return nil
	}
	if !s.On() {
		return errors.New("mail: e-mail is not configured (EFACTURA_SMTP_URL)")
	}
	msg, err := s.message(m)
	if err == nil {
		err = s.sender.send(ctx, msg)
	}
	if err != nil {
		s.log.Warn("sending a mail", slog.Int64("mail_id", id), slog.String("kind", m.Kind), slog.Bool("final", final),
			slog.String("error", err.Error()))
		if merr := s.st.MarkMailAttemptFailed(context.WithoutCancel(ctx), id, err.Error(), final, s.now()); merr != nil {
			return errors.Join(err, merr)
		}
		return err
	}
	return s.st.MarkMailSent(context.WithoutCancel(ctx), id, s.now())
}

// message builds the MIME message of an outbox mail: text/plain and
// text/html alternatives, a stable Message-ID (so a resend after a lost
// answer is recognised), and List-Unsubscribe with RFC 8058's one-click POST.
func (s *Service) message(m *store.OutboxMail) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", s.from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: recipient: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(m.CreatedAt)
	msg.SetMessageIDWithValue(fmt.Sprintf("efactura-mail-%d-%d@%s", m.ID, m.CreatedAt.UnixNano(), s.host()))
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	if m.UnsubscribeURL != "" {
		msg.SetListUnsubscribe(m.UnsubscribeURL)
		msg.SetListUnsubscribePost()
	}
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	return msg, nil
}

func (s *Service) host() string {
	h := strings.TrimPrefix(strings.TrimPrefix(s.baseURL, "https://"), "http://")
	if i := strings.IndexAny(h, ":/"); i >= 0 {
		h = h[:i]
	}
	if h == "" {
		return "efactura.invalid"
	}
	return h
}

// view is what mail.txt and mail.html show.
type view struct {
	Lang           string
	Subject        string
	Heading        string
	Sections       []section
	Link           string
	LinkLabel      string
	Footer         string
	PrefsURL       string
	UnsubscribeURL string
}

type section struct {
	Title  string
	Groups []group
}

type group struct {
	Title string
	Items []item
	Notes []string
}

type item struct {
	Text string
	URL  string
}

// compose renders v into an outbox mail with subject (the kind, key and
// recipient are the caller's).
func (s *Service) compose(v *view, subject string) *store.OutboxMail {
	if v.Lang != "en" {
		v.Lang = "ro" // the pages' default language
	}
	v.Subject = tr(v.Lang, "subject.prefix") + subject
	if v.PrefsURL == "" {
		v.PrefsURL = s.baseURL + "/account/notifications"
	}
	funcs := func(key string) string { return tr(v.Lang, key) }
	var tb, hb bytes.Buffer
	// The templates are embedded and their data typed: an error is a bug
	// caught by the tests; the mail then carries what was rendered.
	if err := texttemplate.Must(textTmpl.Clone()).Funcs(texttemplate.FuncMap{"tr": funcs}).Execute(&tb, v); err != nil {
		s.log.Error("rendering a mail's text", slog.String("error", err.Error()))
	}
	if err := htmltemplate.Must(htmlTmpl.Clone()).Funcs(htmltemplate.FuncMap{"tr": funcs}).Execute(&hb, v); err != nil {
		s.log.Error("rendering a mail's HTML", slog.String("error", err.Error()))
	}
	return &store.OutboxMail{Subject: v.Subject, Text: tb.String(), HTML: hb.String(), UnsubscribeURL: v.UnsubscribeURL,
		CreatedAt: s.now().UTC()}
}
