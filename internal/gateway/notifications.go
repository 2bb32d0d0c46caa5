package gateway

import (
	"context"
	"errors"
	"log/slog"
	"strconv"

	"github.com/efactura-gateway/efactura/internal/mail"
	"github.com/efactura-gateway/efactura/internal/store"
)

// E-mail notifications (issue 19): each user's choice per company, the
// one-click unsubscribe links, the admins' view of failed mails, and the
// registration mail. Service.Mail is the notifier (internal/mail); nil:
// the preferences are kept but nothing is mailed and no link verifies.

// Notification modes, as the doors show them.
const (
	NotifyInstant = store.NotifyInstant
	NotifyDigest  = store.NotifyDigest
	NotifyNone    = store.NotifyNone
)

// NotifyModes are the modes in display order.
var NotifyModes = []string{NotifyInstant, NotifyDigest, NotifyNone}

// NotifyPref is a user's mode for one company.
type NotifyPref = store.NotifyPref

// OutboxMail is a composed mail (the admins' list of failures).
type OutboxMail = store.OutboxMail

// The refusals of the notification use cases.
var (
	ErrBadNotifyMode  = &Error{Kind: KindInvalid, Code: "bad_notify_mode", Field: "mode", Msg: "the mode must be instant, digest or none"}
	ErrBadUnsubscribe = &Error{Kind: KindInvalid, Code: "bad_unsubscribe", Msg: "this unsubscribe link is not valid (it may have been altered or cut): open the notification settings instead"}
)

// NotifyPrefsPage is what the notification settings page shows.
type NotifyPrefsPage struct {
	MailOn    bool // EFACTURA_SMTP_URL is set
	Companies []NotifyPref
	// IsAdmin: the user may choose mails about new registrations (Registrations).
	IsAdmin       bool
	Registrations bool
	DefaultMode   string
}

// NotifyPrefs returns the actor's choices: one row per company they are a
// member of.
func (s *Service) NotifyPrefs(ctx context.Context, a Actor) (*NotifyPrefsPage, error) {
	if a.UserID == 0 {
		return nil, ErrNotFound
	}
	u, err := s.Store.UserByID(ctx, a.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	prefs, err := s.Store.NotifyPrefs(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	p := &NotifyPrefsPage{MailOn: s.Mail.On(), Companies: prefs, IsAdmin: u.IsAdmin, DefaultMode: store.DefaultNotifyMode}
	if u.IsAdmin {
		if p.Registrations, err = s.Store.RegistrationMailsOn(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// SetNotifyPrefs stores the actor's modes (company id → mode) for
// companies they are a member of, and, for an admin, whether they get
// mails about new registrations (nil: unchanged). Each change is audited
// (notify.set). ErrBadNotifyMode; ErrNotFound for a company the actor is
// not a member of.
func (s *Service) SetNotifyPrefs(ctx context.Context, a Actor, modes map[int64]string, registrations *bool) error {
	page, err := s.NotifyPrefs(ctx, a)
	if err != nil {
		return err
	}
	current := map[int64]NotifyPref{}
	for _, p := range page.Companies {
		current[p.CompanyID] = p
	}
	for id, m := range modes {
		if !store.ValidNotifyMode(m) {
			return ErrBadNotifyMode
		}
		if _, ok := current[id]; !ok {
			return ErrNotFound
		}
	}
	now := s.now()
	for id, m := range modes {
		p := current[id]
		if p.Mode == m {
			continue
		}
		if err := s.Store.SetNotifyPref(ctx, a.UserID, id, m, now); err != nil {
			return err
		}
		s.auditTarget(ctx, a, store.ActionNotifySet, store.TargetCompany(p.CompanyCIF), "mode="+m)
	}
	if registrations != nil && page.IsAdmin && *registrations != page.Registrations {
		if err := s.Store.SetRegistrationMails(ctx, a.UserID, *registrations, now); err != nil {
			return err
		}
		s.auditTarget(ctx, a, store.ActionNotifySet, store.TargetUser(a.UserID), "registrations="+strconv.FormatBool(*registrations))
	}
	return nil
}

// UnsubscribeLink is what a verified unsubscribe link turns off.
type UnsubscribeLink struct {
	Scope       string // mail.ScopeCompany | mail.ScopeAll | mail.ScopeRegistrations
	Email       string // the recipient
	CompanyName string // ScopeCompany
	CompanyCIF  string
}

// Unsubscribe scopes, as the doors show them.
const (
	UnsubscribeCompany       = mail.ScopeCompany
	UnsubscribeAll           = mail.ScopeAll
	UnsubscribeRegistrations = mail.ScopeRegistrations
)

// CheckUnsubscribe verifies an unsubscribe link (no login: the signature
// is the authority) and says what it would turn off. ErrBadUnsubscribe
// for a tampered, cut or foreign link, or one whose user or company is gone.
func (s *Service) CheckUnsubscribe(ctx context.Context, token string) (*UnsubscribeLink, error) {
	if s.Mail == nil {
		return nil, ErrBadUnsubscribe
	}
	u, err := s.Mail.VerifyToken(token)
	if err != nil {
		return nil, ErrBadUnsubscribe
	}
	user, err := s.Store.UserByID(ctx, u.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadUnsubscribe
	}
	if err != nil {
		return nil, err
	}
	link := &UnsubscribeLink{Scope: u.Scope, Email: user.Email}
	if u.Scope == mail.ScopeCompany {
		c, err := s.Store.CompanyByID(ctx, u.CompanyID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrBadUnsubscribe
		}
		if err != nil {
			return nil, err
		}
		link.CompanyName, link.CompanyCIF = c.Name, c.CIF
	}
	return link, nil
}

// Unsubscribe applies a verified link (a click on the confirmation page,
// or a mail client's RFC 8058 one-click POST): the company's mode, or
// every company's, becomes none, or an admin's registration mails stop.
// Audited as notify.unsubscribe by the link's user from ip.
func (s *Service) Unsubscribe(ctx context.Context, ip, token string) (*UnsubscribeLink, error) {
	link, err := s.CheckUnsubscribe(ctx, token)
	if err != nil {
		return nil, err
	}
	u, _ := s.Mail.VerifyToken(token) // verified just above
	now := s.now()
	a := Actor{UserID: u.UserID, Email: link.Email, IP: ip}
	switch u.Scope {
	case mail.ScopeCompany:
		if _, err := s.Store.MembershipOf(ctx, u.CompanyID, u.UserID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return link, nil // no longer a member: nothing is mailed anyway
			}
			return nil, err
		}
		if err := s.Store.SetNotifyPref(ctx, u.UserID, u.CompanyID, store.NotifyNone, now); err != nil {
			return nil, err
		}
		s.auditTarget(ctx, a, store.ActionNotifyUnsubscribe, store.TargetCompany(link.CompanyCIF), "mode=none (unsubscribe link)")
	case mail.ScopeAll:
		prefs, err := s.Store.NotifyPrefs(ctx, u.UserID)
		if err != nil {
			return nil, err
		}
		err = s.Store.WithTx(ctx, func(tx *store.Store) error {
			for _, p := range prefs {
				if err := tx.SetNotifyPref(ctx, u.UserID, p.CompanyID, store.NotifyNone, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		s.auditTarget(ctx, a, store.ActionNotifyUnsubscribe, store.TargetUser(u.UserID), "every company: mode=none (unsubscribe link)")
	case mail.ScopeRegistrations:
		if err := s.Store.SetRegistrationMails(ctx, u.UserID, false, now); err != nil {
			return nil, err
		}
		s.auditTarget(ctx, a, store.ActionNotifyUnsubscribe, store.TargetUser(u.UserID), "registrations=false (unsubscribe link)")
	}
	return link, nil
}

// MailStatus is the admins' view of e-mail: whether it is on, the outbox
// by state, and the mails given up on.
type MailStatus struct {
	MailOn bool
	Counts map[string]int // pending, sent, failed
	Failed []OutboxMail
}

// MailStatus is for administrators (ErrNotAdmin).
func (s *Service) MailStatus(ctx context.Context, a Actor) (*MailStatus, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	counts, err := s.Store.MailCounts(ctx)
	if err != nil {
		return nil, err
	}
	failed, err := s.Store.FailedMails(ctx, 100)
	if err != nil {
		return nil, err
	}
	return &MailStatus{MailOn: s.Mail.On(), Counts: counts, Failed: failed}, nil
}

// registrationMail tells the admins about a new registration; best-effort:
// a failure is logged and never fails the registration.
func (s *Service) registrationMail(ctx context.Context, u *store.User) {
	if !s.Mail.On() {
		return
	}
	if err := s.Mail.RegistrationPending(ctx, u); err != nil {
		s.logger().Warn("queueing the admins' mail about a registration", slog.Int64("user_id", u.ID), slog.String("error", err.Error()))
	}
}
