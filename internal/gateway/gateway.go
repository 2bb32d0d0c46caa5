// Package gateway holds the use cases that the web pages, the REST API and
// the command line share: who may see and change a company (tenancy:
// invitations, join requests, consent, verification by ANAF, leaving,
// roles), and what a Principal — a web user or an API key — may do with
// the invoices (list, get, ZIP/XML/PDF, export, sync), each use case with
// its own tenant check; checks, audit events and transactions in one place.
// The doors (internal/web, internal/api, internal/cli) parse input, call a
// use case, and present its answer; they never repeat its rules.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/mail"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Verifier asks ANAF, with one user's own token, whether it may act for a
// CIF (anafsync.Engine.VerifyCIF). nil: yes. It returns
// anafsync.ErrNotCovered (wrapped) for ANAF's rights refusal and
// anafsync.ErrNoConnection when the user has no ANAF connection; anything
// else is a failure to ask.
type Verifier interface {
	VerifyCIF(ctx context.Context, userID int64, cif string) error
}

// Service runs the use cases. Store is required; Verifier may be nil (no
// ANAF: companies stay unverified until a sync verifies them).
type Service struct {
	Store    *store.Store
	Verifier Verifier
	// ANAFClient returns a client configured with the ANAF OAuth
	// application (it fails when none is configured); nil: no ANAF.
	ANAFClient func(ctx context.Context) (*anaf.Client, error)
	// Secrets encrypts and decrypts ANAF tokens at rest; nil: no ANAF.
	Secrets Keyring
	Logger  *slog.Logger
	Now     func() time.Time

	// PDFGuard bounds PDF renders (concurrency, lines); nil: render.Shared(),
	// one guard for the pages and the API.
	PDFGuard *PDFGuard
	// ExportCap is the most invoices one export may hold (0: export.MaxRows).
	ExportCap int
	// BulkCap is the most invoices one bulk ZIP may hold (0:
	// BulkMaxInvoices, BulkMaxPDFs with PDFs).
	BulkCap int
	// SyncStarter queues a sync of a company now and returns its run
	// (jobs.Runner.StartSync); nil: StartSync answers ErrSyncUnavailable.
	SyncStarter func(ctx context.Context, companyID int64) (runID int64, err error)
	// UploadQueuer queues the send job of a new upload in the transaction
	// that creates it (jobs.Runner.EnqueueUpload); nil: UploadInvoice
	// answers ErrUploadUnavailable (an invalid document is still reported).
	UploadQueuer UploadQueue
	// Throttle limits failed logins (Login); nil: one with the default
	// limits, shared by the process.
	Throttle *LoginThrottle
	// PasswordParams are the argon2id costs of new password hashes; zero:
	// auth.DefaultArgon2Params. Tests pass auth.TestArgon2Params.
	PasswordParams auth.Argon2Params
	// Taxpayers answers ANAF's VAT-payer register (taxpayer.go); nil:
	// LookupTaxpayer answers ErrTaxpayerUnavailable.
	Taxpayers TaxpayerSource
	// Mail is the e-mail notifier (notifications.go): registration mails
	// and unsubscribe links; nil: no mail.
	Mail *mail.Service
	// Webhooks is the policy of webhook endpoint URLs (webhooks.go); the
	// zero policy is production's.
	WebhookPolicy WebhookPolicy
}

// Keyring encrypts secrets at rest (secretbox.Keyring).
type Keyring interface {
	Encrypt(plain []byte) ([]byte, error)
	Decrypt(sealed []byte) ([]byte, error)
}

// InvitationTTL is how long an invitation waits for its answer.
const InvitationTTL = 14 * 24 * time.Hour

// Actor is who asks for a use case: a user (maybe impersonated by an
// admin), or the operator at the command line (UserID 0, CLI true).
type Actor struct {
	UserID int64
	Email  string
	// ImpersonatorID and ImpersonatorEmail are the admin acting as the user.
	ImpersonatorID    int64
	ImpersonatorEmail string
	IP                string
	CLI               bool
}

// Impersonated reports whether an admin acts as the user.
func (a Actor) Impersonated() bool { return a.ImpersonatorID != 0 }

// Kind says what sort of refusal an Error is; each door maps it to its
// own answer in one place (web: a page or a flash, API: a status and
// code, CLI: exit 1 with one line).
type Kind int

// Kinds of Error.
const (
	// KindNotFound: it does not exist, or the principal may not know it does (404).
	KindNotFound Kind = iota + 1
	// KindForbidden: the principal may see it but not do this (403).
	KindForbidden
	// KindInvalid: the input is wrong; Field names the input when one is to blame (422).
	KindInvalid
	// KindConflict: the state does not allow it (409, or 422 on a form).
	KindConflict
	// KindUnavailable: a dependency is down; try again later (503).
	KindUnavailable
	// KindThrottled: too many attempts; wait Error.RetryAfter seconds (429).
	KindThrottled
)

// Error is a refusal the principal can act on. Code names the message in
// the page catalogs ("tenancy." + Code) and in API error codes; Msg is the
// safe English sentence (CLI, logs, API); Cause, when set, is the internal
// error, logged and never shown.
type Error struct {
	Kind  Kind
	Code  string
	Field string
	Msg   string
	Cause error
	// RetryAfter is, for KindUnavailable, the seconds after which to try
	// again (0: unknown).
	RetryAfter int
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is matches errors of the same Code, so a wrapped copy still is ErrLastOwner.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// HTTPStatus is the status a web or API answer carries for the error.
func (e *Error) HTTPStatus() int {
	switch e.Kind {
	case KindNotFound:
		return http.StatusNotFound
	case KindForbidden:
		return http.StatusForbidden
	case KindConflict, KindInvalid:
		return http.StatusUnprocessableEntity
	case KindUnavailable:
		return http.StatusServiceUnavailable
	case KindThrottled:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// FieldErrors are several refusals of one form's inputs (each an Error
// with a Field), reported together.
type FieldErrors []*Error

func (f FieldErrors) Error() string {
	msgs := make([]string, len(f))
	for i, e := range f {
		msgs[i] = e.Msg
	}
	return strings.Join(msgs, "; ")
}

// HTTPStatus is 422: the input is wrong.
func (f FieldErrors) HTTPStatus() int { return http.StatusUnprocessableEntity }

// Unwrap lets errors.Is and errors.As find each refusal.
func (f FieldErrors) Unwrap() []error {
	out := make([]error, len(f))
	for i, e := range f {
		out[i] = e
	}
	return out
}

// The refusals of the tenancy use cases. ErrNotFound covers everything a
// user may not know exists (another company, someone else's invitation).
var (
	ErrNotFound      = &Error{Kind: KindNotFound, Code: "not_found", Msg: "not found"}
	ErrImpersonating = &Error{Kind: KindForbidden, Code: "impersonating", Msg: "an administrator impersonating a user cannot create credentials or lend ANAF connections: " +
		"no API keys, invitations, ANAF connections or consent changes while impersonating"}
	ErrLastOwner     = &Error{Kind: KindConflict, Code: "last_owner", Msg: "the last owner cannot leave or step down: make another member owner first, or delete the company"}
	ErrAlreadyMember = &Error{Kind: KindConflict, Code: "already_member", Field: "email", Msg: "that user is already a member of the company"}
	ErrInvitePending = &Error{Kind: KindConflict, Code: "invite_pending", Field: "email", Msg: "that address already has a pending invitation to the company"}
	ErrBadRole       = &Error{Kind: KindInvalid, Code: "bad_role", Field: "role", Msg: "the role must be owner or member"}
	ErrBadEmail      = &Error{Kind: KindInvalid, Code: "bad_email", Field: "email", Msg: "enter a valid e-mail address"}
	ErrSelf          = &Error{Kind: KindInvalid, Code: "self", Msg: "use Leave to leave a company yourself"}
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// audit records an event of the actor; details name the target user and
// the impersonating admin, if any. A failure to audit is logged, not fatal.
func (s *Service) audit(ctx context.Context, a Actor, action string, c *store.Company, details string) {
	target := ""
	if c != nil {
		target = store.TargetCompany(c.CIF)
	}
	s.auditTarget(ctx, a, action, target, details)
}

// auditTarget records an event of the actor about target (store.TargetCompany,
// TargetUser or TargetKey), in the one format every door shares: details
// end with "(impersonated by <admin>)" when an admin acts as the user and
// with "(cli)" for the operator at the command line.
func (s *Service) auditTarget(ctx context.Context, a Actor, action, target, details string) {
	if a.Impersonated() {
		details = strings.TrimSpace(details + " (impersonated by " + a.ImpersonatorEmail + ")")
	}
	if a.CLI {
		details = strings.TrimSpace(details + " (cli)")
	}
	e := &store.AuditEvent{Action: action, Target: target, Details: details, IP: a.IP}
	if a.UserID > 0 {
		id := a.UserID
		e.ActorID = &id
	}
	if err := s.Store.Audit(ctx, e); err != nil {
		s.logger().ErrorContext(ctx, "audit failed", "action", action, "error", err.Error())
	}
}

// membership returns the actor's membership of the company and the
// company. ErrNotFound when the company does not exist or the actor is
// not a member (a non-member never learns it exists).
func (s *Service) membership(ctx context.Context, a Actor, companyID int64) (*store.Company, *store.Membership, error) {
	m, err := s.Store.MembershipOf(ctx, companyID, a.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := s.Store.CompanyByID(ctx, companyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	c.Role, c.Consent = m.Role, m.Consent
	return c, m, nil
}

// owned is membership for owners only (anyone else: ErrNotFound).
func (s *Service) owned(ctx context.Context, a Actor, companyID int64) (*store.Company, error) {
	c, m, err := s.membership(ctx, a, companyID)
	if err != nil {
		return nil, err
	}
	if m.Role != store.RoleOwner {
		return nil, ErrNotFound
	}
	return c, nil
}

// Company returns a company the actor belongs to, with their role and
// consent. ErrNotFound otherwise.
func (s *Service) Company(ctx context.Context, a Actor, companyID int64) (*store.Company, error) {
	c, _, err := s.membership(ctx, a, companyID)
	return c, err
}

// OwnedCompany returns a company the actor owns. ErrNotFound otherwise.
func (s *Service) OwnedCompany(ctx context.Context, a Actor, companyID int64) (*store.Company, error) {
	return s.owned(ctx, a, companyID)
}

// ViewableCompany returns a company whose ANAF data the actor may see: a
// member's, and verified. ErrNotFound for non-members; ErrUnverified for
// an unverified company (it shows nothing from ANAF).
func (s *Service) ViewableCompany(ctx context.Context, a Actor, companyID int64) (*store.Company, error) {
	c, err := s.Store.CompanyOfMember(ctx, companyID, a.UserID) // membership's check in one query
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !c.Verified() {
		return c, ErrUnverified
	}
	return c, nil
}

// ErrUnverified: the company is not verified by ANAF yet, so it shows nothing from ANAF.
var ErrUnverified = &Error{Kind: KindNotFound, Code: "unverified", Msg: "this company is not verified by ANAF yet: it shows nothing from ANAF until an ANAF call " +
	"made with the connection of a member who lends it (consent) succeeds for its CIF"}

// normRole checks a role name ("" is member).
func normRole(role string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(role)) {
	case "", store.RoleMember:
		return store.RoleMember, nil
	case store.RoleOwner:
		return store.RoleOwner, nil
	}
	return "", ErrBadRole
}

// normEmail is an address as the store keeps it: trimmed, lower-cased.
func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// userName is how audit details name a user.
func (s *Service) userName(ctx context.Context, id int64) string {
	if u, err := s.Store.UserByID(ctx, id); err == nil {
		return u.Email
	}
	return fmt.Sprintf("user:%d", id)
}
