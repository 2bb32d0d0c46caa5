package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// E-mail notifications (issue 19): per-user choices, the outbox of
// composed mails and the items waiting for a daily digest.

// Notification modes of a user for a company. No row: DefaultNotifyMode.
const (
	NotifyInstant = "instant" // one mail per event
	NotifyDigest  = "digest"  // one mail a day grouping the day's events
	NotifyNone    = "none"    // no mail
	// DefaultNotifyMode is the mode of a user who never chose: the daily
	// digest (told without being flooded; one mail a day at most).
	DefaultNotifyMode = NotifyDigest
)

// ValidNotifyMode reports whether m is a notification mode.
func ValidNotifyMode(m string) bool {
	return m == NotifyInstant || m == NotifyDigest || m == NotifyNone
}

// Audit actions of the notification settings (issue 19).
const (
	ActionNotifySet         = "notify.set"         // a user changed a mode (or an admin their registration mails)
	ActionNotifyUnsubscribe = "notify.unsubscribe" // an unsubscribe link was used
)

// Outbox mail states.
const (
	MailPending = "pending"
	MailSent    = "sent"
	MailFailed  = "failed" // the send job's last attempt failed
)

// NotifySubscriber is a member of a company with their mode for it.
type NotifySubscriber struct {
	UserID int64
	Email  string
	Lang   string
	Mode   string
}

// CompanySubscribers lists the approved members of a company with their
// notification mode for it (the default when they never chose).
func (s *Store) CompanySubscribers(ctx context.Context, companyID int64) ([]NotifySubscriber, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT u.id, u.email, u.lang, COALESCE(p.mode, $2)
		FROM memberships m JOIN users u ON u.id = m.user_id
		LEFT JOIN notification_prefs p ON p.user_id = m.user_id AND p.company_id = m.company_id
		WHERE m.company_id = $1 AND u.status = $3
		ORDER BY u.id`, companyID, DefaultNotifyMode, UserApproved)
	if err != nil {
		return nil, s.wrap("company subscribers", err)
	}
	return collect(rows, "company subscribers", s, func(row interface{ Scan(...any) error }) (*NotifySubscriber, error) {
		var n NotifySubscriber
		return &n, row.Scan(&n.UserID, &n.Email, &n.Lang, &n.Mode)
	})
}

// NotifyPref is a user's mode for one company they are a member of.
type NotifyPref struct {
	CompanyID   int64
	CompanyCIF  string
	CompanyName string
	Mode        string
}

// NotifyPrefs lists the companies userID is a member of with the user's
// mode for each, by company name.
func (s *Store) NotifyPrefs(ctx context.Context, userID int64) ([]NotifyPref, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT c.id, c.cif, c.name, COALESCE(p.mode, $2)
		FROM memberships m JOIN companies c ON c.id = m.company_id
		LEFT JOIN notification_prefs p ON p.user_id = m.user_id AND p.company_id = m.company_id
		WHERE m.user_id = $1
		ORDER BY c.name, c.id`, userID, DefaultNotifyMode)
	if err != nil {
		return nil, s.wrap("notify prefs", err)
	}
	return collect(rows, "notify prefs", s, func(row interface{ Scan(...any) error }) (*NotifyPref, error) {
		var p NotifyPref
		return &p, row.Scan(&p.CompanyID, &p.CompanyCIF, &p.CompanyName, &p.Mode)
	})
}

// SetNotifyPref stores userID's mode for companyID.
func (s *Store) SetNotifyPref(ctx context.Context, userID, companyID int64, mode string, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO notification_prefs (user_id, company_id, mode, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, company_id) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at`,
		userID, companyID, mode, s.tv(at))
	return s.wrap("set notify pref", err)
}

// RegistrationMailsOn reports whether userID (an admin) is e-mailed about
// new registrations (on unless they turned it off).
func (s *Store) RegistrationMailsOn(ctx context.Context, userID int64) (bool, error) {
	var on bool
	err := s.q.QueryRowContext(ctx, `SELECT registrations FROM mail_settings WHERE user_id = $1`, userID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return on, s.wrap("registration mails", err)
}

// SetRegistrationMails turns userID's registration mails on or off.
func (s *Store) SetRegistrationMails(ctx context.Context, userID int64, on bool, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO mail_settings (user_id, registrations, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET registrations = excluded.registrations, updated_at = excluded.updated_at`,
		userID, on, s.tv(at))
	return s.wrap("set registration mails", err)
}

// RegistrationMailAdmins lists the approved admins who want mails about
// new registrations.
func (s *Store) RegistrationMailAdmins(ctx context.Context) ([]User, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT `+prefixed("u.", userColumns)+` FROM users u LEFT JOIN mail_settings ms ON ms.user_id = u.id
		WHERE u.is_admin AND u.status = $1 AND COALESCE(ms.registrations, TRUE)
		ORDER BY u.id`, UserApproved)
	if err != nil {
		return nil, s.wrap("registration mail admins", err)
	}
	return collect(rows, "registration mail admins", s, scanUser)
}

// OutboxMail is one composed mail.
type OutboxMail struct {
	ID             int64
	DedupeKey      string // unique: the same key is never mailed twice
	Kind           string // event | digest | registration
	UserID         int64  // the recipient's user (0: none)
	To             string
	Subject        string
	Text, HTML     string
	UnsubscribeURL string
	State          string
	Attempts       int
	LastError      string
	CreatedAt      time.Time
	SentAt         *time.Time
	FailedAt       *time.Time
}

const outboxColumns = `id, dedupe_key, kind, user_id, to_addr, subject, text_body, html_body, unsubscribe_url,
	state, attempts, last_error, created_at, sent_at, failed_at`

func scanOutbox(row interface{ Scan(...any) error }) (*OutboxMail, error) {
	var (
		m    OutboxMail
		user sql.NullInt64
	)
	if err := row.Scan(&m.ID, &m.DedupeKey, &m.Kind, &user, &m.To, &m.Subject, &m.Text, &m.HTML, &m.UnsubscribeURL,
		&m.State, &m.Attempts, &m.LastError, timeCol{&m.CreatedAt}, nullTimeCol{&m.SentAt}, nullTimeCol{&m.FailedAt}); err != nil {
		return nil, err
	}
	m.UserID = user.Int64
	return &m, nil
}

// InsertMail adds m to the outbox (state pending) and sets m.ID; inserted
// is false, and nothing changes, when a mail with m.DedupeKey exists.
func (s *Store) InsertMail(ctx context.Context, m *OutboxMail) (inserted bool, err error) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now()
	}
	err = s.q.QueryRowContext(ctx, `
		INSERT INTO mail_outbox (dedupe_key, kind, user_id, to_addr, subject, text_body, html_body, unsubscribe_url, state, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (dedupe_key) DO NOTHING
		RETURNING id`, m.DedupeKey, m.Kind, nullInt64(m.UserID), m.To, m.Subject, m.Text, m.HTML, m.UnsubscribeURL,
		MailPending, s.tv(m.CreatedAt)).Scan(&m.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.wrap("insert mail", err)
	}
	m.State = MailPending
	return true, nil
}

// MailByID returns one outbox mail. ErrNotFound.
func (s *Store) MailByID(ctx context.Context, id int64) (*OutboxMail, error) {
	m, err := scanOutbox(s.q.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM mail_outbox WHERE id = $1`, id))
	if err != nil {
		return nil, s.wrap("mail by id", err)
	}
	return m, nil
}

// MarkMailSent records a delivered mail.
func (s *Store) MarkMailSent(ctx context.Context, id int64, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE mail_outbox SET state = $1, sent_at = $2, attempts = attempts + 1, last_error = ''
		WHERE id = $3`, MailSent, s.tv(at), id)
	return s.mustAffect("mark mail sent", res, err)
}

// MarkMailAttemptFailed records a failed attempt; final marks the mail
// failed for good (the job gives up).
func (s *Store) MarkMailAttemptFailed(ctx context.Context, id int64, msg string, final bool, at time.Time) error {
	state, failedAt := MailPending, any(nil)
	if final {
		state, failedAt = MailFailed, s.tv(at)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE mail_outbox SET state = $1, failed_at = $2, attempts = attempts + 1, last_error = $3
		WHERE id = $4 AND state <> $5`, state, failedAt, msg, id, MailSent)
	return s.mustAffect("mark mail failed", res, err)
}

// FailedMails lists the mails given up on, newest first (at most limit).
func (s *Store) FailedMails(ctx context.Context, limit int) ([]OutboxMail, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+outboxColumns+` FROM mail_outbox WHERE state = $1
		ORDER BY failed_at DESC, id DESC LIMIT $2`, MailFailed, limit)
	if err != nil {
		return nil, s.wrap("failed mails", err)
	}
	return collect(rows, "failed mails", s, scanOutbox)
}

// MailCounts counts the outbox by state.
func (s *Store) MailCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT state, COUNT(*) FROM mail_outbox GROUP BY state`)
	if err != nil {
		return nil, s.wrap("mail counts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, s.wrap("mail counts", err)
		}
		out[st] = n
	}
	return out, s.wrap("mail counts", rows.Err())
}

// DigestItem is one event waiting for a user's daily digest.
type DigestItem struct {
	ID        int64
	UserID    int64
	CompanyID int64
	EventID   string
	EventType string
	Data      string // the event's data (JSON)
	CreatedAt time.Time
}

// InsertDigestItem keeps an event for a user's digest; false when this
// (event, user) is already kept.
func (s *Store) InsertDigestItem(ctx context.Context, it *DigestItem) (bool, error) {
	err := s.q.QueryRowContext(ctx, `
		INSERT INTO mail_digest_items (user_id, company_id, event_id, event_type, data, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (event_id, user_id) DO NOTHING
		RETURNING id`, it.UserID, it.CompanyID, it.EventID, it.EventType, it.Data, s.tv(it.CreatedAt)).Scan(&it.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, s.wrap("insert digest item", err)
}

// DigestUsers lists the users with digest items created before before
// that no digest took yet.
func (s *Store) DigestUsers(ctx context.Context, before time.Time) ([]int64, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT DISTINCT user_id FROM mail_digest_items
		WHERE outbox_id IS NULL AND created_at < $1 ORDER BY user_id`, s.tv(before))
	if err != nil {
		return nil, s.wrap("digest users", err)
	}
	return collect(rows, "digest users", s, func(row interface{ Scan(...any) error }) (*int64, error) {
		var id int64
		return &id, row.Scan(&id)
	})
}

// OpenDigestItems lists userID's digest items created before before that
// no digest took yet, oldest first.
func (s *Store) OpenDigestItems(ctx context.Context, userID int64, before time.Time) ([]DigestItem, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT id, user_id, company_id, event_id, event_type, data, created_at
		FROM mail_digest_items WHERE user_id = $1 AND outbox_id IS NULL AND created_at < $2
		ORDER BY created_at, id`, userID, s.tv(before))
	if err != nil {
		return nil, s.wrap("open digest items", err)
	}
	return collect(rows, "open digest items", s, func(row interface{ Scan(...any) error }) (*DigestItem, error) {
		var it DigestItem
		return &it, row.Scan(&it.ID, &it.UserID, &it.CompanyID, &it.EventID, &it.EventType, &it.Data, timeCol{&it.CreatedAt})
	})
}

// CloseDigestItems marks userID's open items created before before as
// taken by the digest mail outboxID.
func (s *Store) CloseDigestItems(ctx context.Context, userID int64, before time.Time, outboxID int64) error {
	_, err := s.q.ExecContext(ctx, `UPDATE mail_digest_items SET outbox_id = $1
		WHERE user_id = $2 AND outbox_id IS NULL AND created_at < $3`, outboxID, userID, s.tv(before))
	return s.wrap("close digest items", err)
}

// DropDigestItems deletes userID's open items created before before (none
// of their companies is in digest mode any more).
func (s *Store) DropDigestItems(ctx context.Context, userID int64, before time.Time) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM mail_digest_items WHERE user_id = $1 AND outbox_id IS NULL AND created_at < $2`,
		userID, s.tv(before))
	return s.wrap("drop digest items", err)
}

// UploadsAwaitingAcceptance lists the uploads not accepted by ANAF (any
// state but ok, buyer messages left out) issued on or after issuedSince
// (YYYY-MM-DD) whose invoice has no accepted upload either: the invoices
// whose legal deadline may still be running out.
func (s *Store) UploadsAwaitingAcceptance(ctx context.Context, issuedSince string) ([]Upload, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+prefixed("u.", uploadColumns)+` FROM uploads u
		WHERE u.state <> $1 AND u.standard <> 'RASP' AND u.issue_date >= $2 AND u.duplicate_of IS NULL
		AND NOT EXISTS (SELECT 1 FROM uploads o WHERE o.company_id = u.company_id AND o.seller_cif = u.seller_cif
			AND o.invoice_number = u.invoice_number AND o.issue_date = u.issue_date AND o.state = $1)
		AND NOT EXISTS (SELECT 1 FROM uploads n WHERE n.company_id = u.company_id AND n.seller_cif = u.seller_cif
			AND n.invoice_number = u.invoice_number AND n.issue_date = u.issue_date AND n.id > u.id)
		ORDER BY u.company_id, u.issue_date, u.id`, UploadOK, issuedSince)
	if err != nil {
		return nil, s.wrap("uploads awaiting acceptance", err)
	}
	return collect(rows, "uploads awaiting acceptance", s, func(row interface{ Scan(...any) error }) (*Upload, error) {
		return scanUpload(row)
	})
}
