package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// Audit appends an audit event (At set to now when zero; ID set on e).
func (s *Store) Audit(ctx context.Context, e *AuditEvent) error {
	if e.At.IsZero() {
		e.At = now()
	}
	e.At = utcMicro(e.At)
	var actor any
	if e.ActorID != nil {
		actor = *e.ActorID
	}
	err := s.q.QueryRowContext(ctx, `
		INSERT INTO audit_events (at, actor_id, action, target, details, ip)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		s.tv(e.At), actor, e.Action, e.Target, e.Details, e.IP).Scan(&e.ID)
	return s.wrap("audit", err)
}

// AuditEvents lists the latest events, newest first (limit <= 0: 100).
func (s *Store) AuditEvents(ctx context.Context, limit int) ([]AuditEvent, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.q.QueryContext(ctx, `
		SELECT id, at, actor_id, action, target, details, ip
		FROM audit_events ORDER BY at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, s.wrap("audit events", err)
	}
	return collect(rows, "audit events", s, func(row interface{ Scan(...any) error }) (*AuditEvent, error) {
		var (
			e     AuditEvent
			actor sql.NullInt64
		)
		if err := row.Scan(&e.ID, timeCol{&e.At}, &actor, &e.Action, &e.Target, &e.Details, &e.IP); err != nil {
			return nil, err
		}
		if actor.Valid {
			e.ActorID = &actor.Int64
		}
		return &e, nil
	})
}

// Audit actions, named once. An action is "<thing>.<verb>"; the admin audit
// page filters by prefix ("user.", "company.").
const (
	ActionUserRegister         = "user.register"
	ActionUserRegisterExisting = "user.register_existing"
	ActionUserCreate           = "user.create"
	ActionUserApprove          = "user.approve"
	ActionUserReject           = "user.reject"
	ActionUserSetAdmin         = "user.set_admin"
	ActionUserResetPassword    = "user.reset_password"
	ActionUserPasswordChange   = "user.password_change"
	ActionUserPasswordFailed   = "user.password_change_failed"
	ActionUserLogin            = "user.login"
	ActionUserLoginFailed      = "user.login_failed"
	ActionUserLoginThrottled   = "user.login_throttled"
	ActionUserLogout           = "user.logout"

	ActionImpersonateStart = "impersonate.start"
	ActionImpersonateStop  = "impersonate.stop"

	ActionCompanyCreate             = "company.create"
	ActionCompanyUpdate             = "company.update"
	ActionCompanyDelete             = "company.delete"
	ActionCompanySync               = "company.sync"
	ActionCompanyVerified           = "company.verified"
	ActionCompanyTakeover           = "company.takeover"
	ActionCompanyInvite             = "company.invite"
	ActionCompanyInviteRevoke       = "company.invite_revoke"
	ActionCompanyInviteAccept       = "company.invite_accept"
	ActionCompanyInviteDecline      = "company.invite_decline"
	ActionCompanyJoinRequest        = "company.join_request"
	ActionCompanyJoinAccept         = "company.join_accept"
	ActionCompanyJoinDecline        = "company.join_decline"
	ActionCompanyLeave              = "company.leave"
	ActionCompanyMemberRemove       = "company.member_remove"
	ActionCompanyRole               = "company.role"
	ActionCompanyHandover           = "company.handover"
	ActionCompanyConsent            = "company.consent"
	ActionCompanyStatusMigrated     = "company.status_migrated"     // written by migration 00005
	ActionMembershipConsentMigrated = "membership.consent_migrated" // written by migration 00005

	ActionUploadCreate = "upload.create" // an upload received (sending or invalid)
	ActionUploadSent   = "upload.sent"   // ANAF answered the upload with an index (or the answer was lost: unknown)
	ActionUploadState  = "upload.state"  // ANAF's verdict: ok or nok, or reconciled

	ActionAPIKeyCreate = "apikey.create"
	ActionAPIKeyRevoke = "apikey.revoke"

	ActionANAFConnect            = "anaf.connect"
	ActionANAFConnectFailed      = "anaf.connect_failed"
	ActionANAFDisconnect         = "anaf.disconnect"
	ActionANAFAppUpdate          = "anaf.app_update"
	ActionANAFRefreshFailed      = "anaf.refresh_failed"
	ActionANAFNeedsAttention     = "anaf.needs_attention"
	ActionANAFTokenUndecryptable = "anaf.token_undecryptable"
	ActionANAFTokenKeyRestored   = "anaf.token_key_restored"
	// ActionSecretsForgotten: `efactura rotate-key --forget-undecryptable`
	// deleted the secrets whose key is lost (target "encryption_key").
	ActionSecretsForgotten = "system.secrets_forgotten"

	// ActionInvoiceRiskChecked: a member (or a write key) marked supplier
	// risk flags of an invoice checked (issue 20; target the company).
	ActionInvoiceRiskChecked = "invoice.risk_checked"
)

// Audit targets have one format: "<kind>:<id>", e.g. "company:12345674",
// "user:42", "key:7".

// TargetCompany is the audit target of a company.
func TargetCompany(cif string) string { return "company:" + cif }

// TargetUser is the audit target of a user.
func TargetUser(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// TargetUpload names an upload in audit targets.
func TargetUpload(id int64) string { return "upload:" + strconv.FormatInt(id, 10) }

// TargetKey is the audit target of an API key.
func TargetKey(id int64) string { return "key:" + strconv.FormatInt(id, 10) }

// AuditFilter selects audit events. Zero fields do not filter.
type AuditFilter struct {
	Action     string    // prefix of the action, e.g. "user." or "apikey.create"
	ActorEmail string    // exact e-mail of the actor (case-insensitive)
	From, To   time.Time // At >= From, At < To (UTC)
	Limit      int       // <= 0: 200
}

// AuditEntry is an audit event with its actor's e-mail ("" when the actor
// is unknown or was deleted).
type AuditEntry struct {
	AuditEvent
	ActorEmail string
}

// AuditEventsFiltered lists the events matching f, newest first.
func (s *Store) AuditEventsFiltered(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Action != "" {
		conds = append(conds, "a.action LIKE "+arg(escapeLike(f.Action)+"%")+` ESCAPE '\'`)
	}
	if f.ActorEmail != "" {
		conds = append(conds, "u.email = "+arg(normEmail(f.ActorEmail)))
	}
	if !f.From.IsZero() {
		conds = append(conds, "a.at >= "+arg(s.tv(f.From)))
	}
	if !f.To.IsZero() {
		conds = append(conds, "a.at < "+arg(s.tv(f.To)))
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.q.QueryContext(ctx, `
		SELECT a.id, a.at, a.actor_id, a.action, a.target, a.details, a.ip, COALESCE(u.email, '')
		FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id
		`+where+` ORDER BY a.at DESC, a.id DESC LIMIT `+arg(f.Limit), args...)
	if err != nil {
		return nil, s.wrap("audit events filtered", err)
	}
	return collect(rows, "audit events filtered", s, func(row interface{ Scan(...any) error }) (*AuditEntry, error) {
		var (
			e     AuditEntry
			actor sql.NullInt64
		)
		if err := row.Scan(&e.ID, timeCol{&e.At}, &actor, &e.Action, &e.Target, &e.Details, &e.IP, &e.ActorEmail); err != nil {
			return nil, err
		}
		if actor.Valid {
			e.ActorID = &actor.Int64
		}
		return &e, nil
	})
}
