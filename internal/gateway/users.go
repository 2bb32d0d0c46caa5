package gateway

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// MinPasswordLen is the shortest password accepted anywhere.
const MinPasswordLen = 10

// Refusals of the user administration and account use cases.
var (
	ErrNotAdmin            = &Error{Kind: KindForbidden, Code: "not_admin", Msg: "only an administrator may do this"}
	ErrAdminSelf           = &Error{Kind: KindConflict, Code: "admin_self", Msg: "administrators cannot change their own account here"}
	ErrNotApproved         = &Error{Kind: KindConflict, Code: "not_approved", Msg: "the user is not approved"}
	ErrImpersonateAdmin    = &Error{Kind: KindConflict, Code: "impersonate_admin", Msg: "an administrator cannot be impersonated"}
	ErrNotImpersonating    = &Error{Kind: KindConflict, Code: "not_impersonating", Msg: "no user is being impersonated"}
	ErrUserExists          = &Error{Kind: KindConflict, Code: "user_exists", Field: "email", Msg: "a user with that e-mail already exists"}
	ErrPasswordShort       = &Error{Kind: KindInvalid, Code: "password_short", Field: "password", Msg: "the password must have at least 10 characters"}
	ErrPasswordSame        = &Error{Kind: KindInvalid, Code: "password_same", Field: "password", Msg: "the new password must differ from the current one"}
	ErrPasswordWrong       = &Error{Kind: KindInvalid, Code: "password_wrong", Field: "current", Msg: "the current password is not correct"}
	ErrPasswordConfirm     = &Error{Kind: KindInvalid, Code: "password_confirm", Field: "confirm", Msg: "the passwords differ"}
	ErrBadStatus           = &Error{Kind: KindInvalid, Code: "bad_status", Field: "status", Msg: "the status must be pending, approved or rejected"}
	ErrPasswordImpersonate = &Error{Kind: KindNotFound, Code: "not_found", Msg: "an administrator impersonating a user never changes their password"}
)

// admin refuses anyone but an approved administrator acting as
// themselves, or the operator at the command line.
func (s *Service) admin(ctx context.Context, a Actor) error {
	if a.CLI {
		return nil
	}
	if a.Impersonated() || a.UserID == 0 {
		return ErrNotAdmin
	}
	u, err := s.Store.UserByID(ctx, a.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotAdmin
	}
	if err != nil {
		return err
	}
	if !u.IsAdmin || u.Status != store.UserApproved {
		return ErrNotAdmin
	}
	return nil
}

// otherUser loads the user an administrator acts on; never their own account.
func (s *Service) otherUser(ctx context.Context, a Actor, userID int64) (*store.User, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	if !a.CLI && userID == a.UserID {
		return nil, ErrAdminSelf
	}
	u, err := s.Store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	return u, err
}

// Users lists every user (administrators only).
func (s *Service) Users(ctx context.Context, a Actor) ([]store.User, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	return s.Store.Users(ctx, "")
}

// UserByEmail finds a user for an administrator. ErrNotFound.
func (s *Service) UserByEmail(ctx context.Context, a Actor, email string) (*store.User, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	u, err := s.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	return u, err
}

// ApproveUser lets an account log in.
func (s *Service) ApproveUser(ctx context.Context, a Actor, userID int64) (*store.User, error) {
	return s.setStatus(ctx, a, userID, store.UserApproved, store.ActionUserApprove)
}

// RejectUser refuses an account (it cannot log in).
func (s *Service) RejectUser(ctx context.Context, a Actor, userID int64) (*store.User, error) {
	return s.setStatus(ctx, a, userID, store.UserRejected, store.ActionUserReject)
}

func (s *Service) setStatus(ctx context.Context, a Actor, userID int64, status, action string) (*store.User, error) {
	u, err := s.otherUser(ctx, a, userID)
	if err != nil {
		return nil, err
	}
	if err := s.Store.SetUserStatus(ctx, u.ID, status); err != nil {
		return nil, err
	}
	u.Status = status
	s.auditTarget(ctx, a, action, store.TargetUser(u.ID), "email="+u.Email)
	return u, nil
}

// SetAdmin grants (on) or removes the admin role; granting needs an
// approved account.
func (s *Service) SetAdmin(ctx context.Context, a Actor, userID int64, on bool) (*store.User, error) {
	u, err := s.otherUser(ctx, a, userID)
	if err != nil {
		return nil, err
	}
	if on && u.Status != store.UserApproved {
		return nil, ErrNotApproved
	}
	if err := s.Store.SetUserAdmin(ctx, u.ID, on); err != nil {
		return nil, err
	}
	u.IsAdmin = on
	details := "email=" + u.Email + " admin=false"
	if on {
		details = "email=" + u.Email + " admin=true"
	}
	s.auditTarget(ctx, a, store.ActionUserSetAdmin, store.TargetUser(u.ID), details)
	return u, nil
}

// StartImpersonation checks that the administrator may act as the user
// (approved, not an administrator, not themselves) and audits the start.
// The door keeps the impersonation (the web session).
func (s *Service) StartImpersonation(ctx context.Context, a Actor, userID int64) (*store.User, error) {
	if a.CLI {
		return nil, ErrNotAdmin
	}
	u, err := s.otherUser(ctx, a, userID)
	if err != nil {
		return nil, err
	}
	switch {
	case u.IsAdmin:
		return nil, ErrImpersonateAdmin
	case u.Status != store.UserApproved:
		return nil, ErrNotApproved
	}
	s.auditTarget(ctx, a, store.ActionImpersonateStart, store.TargetUser(u.ID), "email="+u.Email)
	return u, nil
}

// StopImpersonation audits the end of an impersonation, as the administrator.
func (s *Service) StopImpersonation(ctx context.Context, a Actor) error {
	if !a.Impersonated() {
		return ErrNotImpersonating
	}
	admin := Actor{UserID: a.ImpersonatorID, Email: a.ImpersonatorEmail, IP: a.IP}
	s.auditTarget(ctx, admin, store.ActionImpersonateStop, store.TargetUser(a.UserID), "email="+a.Email)
	return nil
}

// NewUser is an account an administrator creates.
type NewUser struct {
	Email    string
	Password string
	Admin    bool
	Status   string // "": approved
}

// CreateUser makes an account (administrators and the CLI).
func (s *Service) CreateUser(ctx context.Context, a Actor, n NewUser) (*store.User, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	email := strings.ToLower(strings.TrimSpace(n.Email))
	var bad FieldErrors
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		bad = append(bad, ErrBadEmail)
	}
	if utf8.RuneCountInString(n.Password) < MinPasswordLen {
		bad = append(bad, ErrPasswordShort)
	}
	switch n.Status {
	case "":
		n.Status = store.UserApproved
	case store.UserApproved, store.UserPending, store.UserRejected:
	default:
		bad = append(bad, ErrBadStatus)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	hash, err := s.PasswordParams.Hash(n.Password)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.CreateUser(ctx, email, hash, n.Admin, n.Status)
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, ErrUserExists
	}
	if err != nil {
		return nil, err
	}
	details := "email=" + u.Email + " status=" + u.Status
	if u.IsAdmin {
		details += " admin=true"
	}
	s.auditTarget(ctx, a, store.ActionUserCreate, store.TargetUser(u.ID), details)
	return u, nil
}

// Register creates a pending account for a visitor; an existing address
// changes nothing (the admins' audit log says so) and answers the same,
// so registering reveals no account. Input is checked by the door (its
// form says which field is wrong).
func (s *Service) Register(ctx context.Context, ip, email, password string) error {
	hash, err := s.PasswordParams.Hash(password) // for an existing address too: same time
	if err != nil {
		return err
	}
	u, err := s.Store.CreateUser(ctx, email, hash, false, store.UserPending)
	switch {
	case err == nil:
		s.auditTarget(ctx, Actor{UserID: u.ID, Email: u.Email, IP: ip}, store.ActionUserRegister, store.TargetUser(u.ID), "email="+u.Email)
		s.registrationMail(ctx, u) // notifications.go; best-effort
	case errors.Is(err, store.ErrAlreadyExists):
		s.auditTarget(ctx, Actor{IP: ip}, store.ActionUserRegisterExisting, strings.ToLower(email), "registration for an existing account ignored")
	default:
		return err
	}
	return nil
}

// ResetPassword sets a user's password (administrators and the CLI).
func (s *Service) ResetPassword(ctx context.Context, a Actor, userID int64, password string) (*store.User, error) {
	if err := s.admin(ctx, a); err != nil {
		return nil, err
	}
	u, err := s.Store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return nil, FieldErrors{ErrPasswordShort}
	}
	hash, err := s.PasswordParams.Hash(password)
	if err != nil {
		return nil, err
	}
	// A reset ends every session of the user (a session someone took over
	// does not outlive the operator's reset).
	if err := s.setPasswordEndingSessions(ctx, u.ID, hash, s.now().UTC().Truncate(time.Microsecond)); err != nil {
		return nil, err
	}
	s.auditTarget(ctx, a, store.ActionUserResetPassword, store.TargetUser(u.ID), "email="+u.Email+"; sessions ended")
	return u, nil
}

// setPasswordEndingSessions stores a new password hash and logs out every
// session that logged in before cut, in one transaction.
func (s *Service) setPasswordEndingSessions(ctx context.Context, userID int64, hash string, cut time.Time) error {
	return s.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.SetUserPassword(ctx, userID, hash); err != nil {
			return err
		}
		return tx.SetUserSessionsValidAfter(ctx, userID, cut)
	})
}

// ChangePassword changes the actor's own password after checking the
// current one, then ends every other session of theirs: sessions that
// logged in before the returned cut are logged out (the door renews its
// own after it). Never while impersonating (ErrNotFound). FieldErrors for
// wrong input; a wrong current password is audited.
func (s *Service) ChangePassword(ctx context.Context, a Actor, current, password, confirm string) (time.Time, error) {
	if a.Impersonated() || a.UserID == 0 {
		return time.Time{}, ErrPasswordImpersonate
	}
	u, err := s.Store.UserByID(ctx, a.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, ErrNotFound
	}
	if err != nil {
		return time.Time{}, err
	}
	ok, err := auth.CheckPassword(u.PasswordHash, current)
	if err != nil {
		return time.Time{}, err
	}
	var bad FieldErrors
	if !ok {
		bad = append(bad, ErrPasswordWrong)
	}
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		bad = append(bad, ErrPasswordShort)
	case password == current:
		bad = append(bad, ErrPasswordSame)
	case password != confirm:
		bad = append(bad, ErrPasswordConfirm)
	}
	if len(bad) > 0 {
		if !ok {
			s.auditTarget(ctx, a, store.ActionUserPasswordFailed, store.TargetUser(u.ID), "wrong current password")
		}
		return time.Time{}, bad
	}
	hash, err := s.PasswordParams.Hash(password)
	if err != nil {
		return time.Time{}, err
	}
	cut := s.now().UTC().Truncate(time.Microsecond)
	if err := s.setPasswordEndingSessions(ctx, u.ID, hash, cut); err != nil {
		return time.Time{}, err
	}
	s.auditTarget(ctx, a, store.ActionUserPasswordChange, store.TargetUser(u.ID), "other sessions ended")
	return cut, nil
}
