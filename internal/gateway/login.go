package gateway

import (
	"context"
	"errors"
	"sync"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// The refusals of Login. Unknown e-mails and wrong passwords are the same
// ErrLoginFailed; ErrLoginRejected comes only after the right password.
var (
	ErrLoginFailed    = &Error{Kind: KindInvalid, Code: "login_failed", Msg: "wrong e-mail or password"}
	ErrLoginRejected  = &Error{Kind: KindForbidden, Code: "login_rejected", Msg: "this account was not approved"}
	ErrLoginThrottled = &Error{Kind: KindThrottled, Code: "login_throttled", Msg: "too many failed logins: wait before trying again"}
)

// Login checks a visitor's credentials, typed from ip. The throttle looks
// only at what was typed and where from, before the account is looked up,
// so its answer is the same whether or not the account exists: a copy of
// ErrLoginThrottled whose RetryAfter is the wait in seconds. An unknown
// e-mail costs one password check, as a wrong password does; both answer
// ErrLoginFailed and count as a failure. The right password forgets this
// address's failures of the account; a rejected user then gets
// ErrLoginRejected. Audit targets are the one format of the use cases: the
// account (store.TargetUser) when it exists, else the address as typed
// (trimmed, lower-cased). For a pending or approved user, start binds the
// session (it may fail: the error is returned); for an approved one the
// login is audited and the user's one-time notice ("" when none) taken.
// A user with a second factor gets u and ErrSecondFactorRequired instead:
// nothing is bound until VerifySecondFactor accepts the code.
func (s *Service) Login(ctx context.Context, ip, email, password string, start func(*User) error) (u *User, notice string, err error) {
	th := s.throttle()
	wait, err := th.wait(ctx, s.Store, email, ip)
	if err != nil {
		return nil, "", err
	}
	if wait > 0 {
		s.auditTarget(ctx, Actor{IP: ip}, store.ActionUserLoginThrottled, normEmail(email), "")
		e := *ErrLoginThrottled
		e.RetryAfter = int(wait.Seconds()) + 1
		return nil, "", &e
	}
	failed := func() {
		if err := th.fail(ctx, s.Store, email, ip); err != nil {
			s.logger().ErrorContext(ctx, "login throttle: record failure", "error", err.Error())
		}
	}
	u, err = s.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		s.wastePasswordCheck(password) // same cost as a wrong password
		failed()
		s.auditTarget(ctx, Actor{IP: ip}, store.ActionUserLoginFailed, normEmail(email), "unknown e-mail")
		return nil, "", ErrLoginFailed
	}
	if err != nil {
		return nil, "", err
	}
	ok, err := auth.CheckPassword(u.PasswordHash, password)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		failed()
		s.auditTarget(ctx, Actor{UserID: u.ID, IP: ip}, store.ActionUserLoginFailed, store.TargetUser(u.ID), "wrong password")
		return nil, "", ErrLoginFailed
	}
	s.rehashPassword(ctx, u, password)
	if u.Status == store.UserRejected {
		return nil, "", ErrLoginRejected
	}
	// With a second factor the password is not enough: the failures stay
	// counted until the code is right too (VerifySecondFactor), so the
	// password cannot be used to reset the throttle of the second step.
	if on, err := s.twoFactorOn(ctx, u.ID); err != nil || on {
		if err == nil {
			err = ErrSecondFactorRequired
		}
		return u, "", err
	}
	return s.finishLogin(ctx, ip, u, start, "")
}

// finishLogin ends a login whose credentials were right: it forgets this
// address's failures of the account, binds the session (start) and, for
// an approved user, audits the login (details say how: "" or "2fa") and
// takes the user's one-time notice.
func (s *Service) finishLogin(ctx context.Context, ip string, u *User, start func(*User) error, details string) (*User, string, error) {
	if err := s.throttle().succeeded(ctx, s.Store, u.Email, ip); err != nil {
		s.logger().ErrorContext(ctx, "login throttle: clear failures", "error", err.Error())
	}
	if err := start(u); err != nil {
		return nil, "", err
	}
	if u.Status == store.UserPending {
		return u, "", nil
	}
	s.auditTarget(ctx, Actor{UserID: u.ID, Email: u.Email, IP: ip}, store.ActionUserLogin, store.TargetUser(u.ID), details)
	// A one-time notice (e.g. the tenancy migration turned off this
	// member's consent to lend their ANAF connection).
	n, err := s.Store.TakeNotice(ctx, u.ID)
	if err != nil {
		s.logger().WarnContext(ctx, "reading the user's notice", "error", err.Error())
		n = ""
	}
	return u, n, nil
}

// rehashPassword replaces u's password hash, made with other argon2id
// costs than the Service's (an earlier default: 64 MiB), by one at the
// Service's costs, after the right password was typed. Only while the
// stored hash is still the one checked, so a password change in the
// meantime stands. A failure is logged: the old hash keeps working.
func (s *Service) rehashPassword(ctx context.Context, u *User, password string) {
	if !s.PasswordParams.NeedsRehash(u.PasswordHash) {
		return
	}
	hash, err := s.PasswordParams.Hash(password)
	if err == nil {
		var replaced bool
		if replaced, err = s.Store.ReplaceUserPasswordHash(ctx, u.ID, u.PasswordHash, hash); replaced {
			u.PasswordHash = hash
		}
	}
	if err != nil {
		s.logger().WarnContext(ctx, "login: rehash the password at the current costs", "user_id", u.ID, "error", err.Error())
	}
}

// RetryMinutes is the wait of a throttled login in whole minutes, rounded
// up as the login page says it (RetryAfter is in seconds, rounded up).
func (e *Error) RetryMinutes() int {
	if e.RetryAfter <= 0 {
		return 0
	}
	return (e.RetryAfter-1)/60 + 1
}

// Logout records that the actor logged out.
func (s *Service) Logout(ctx context.Context, a Actor) {
	s.auditTarget(ctx, a, store.ActionUserLogout, store.TargetUser(a.UserID), "")
}

// SessionUsers are who a session stands for: the user, and the admin
// impersonating them (or nil). Ended: the session is no longer valid and
// is to be logged out.
type SessionUsers struct {
	User         *User
	Impersonator *User
	Ended        bool
}

// SessionUser resolves a session of userID (impersonated by impID when
// > 0) that logged in at authAt (Unix nanoseconds). The session has ended
// when the user vanished, when the impersonating admin vanished or is no
// longer an approved admin, or when it logged in before the
// sessions_valid_after (a password change) of whoever logged in: the
// admin when impersonating, else the user. A failure to check the
// password change ends the session too (with the error); any other
// failure leaves it as it is.
func (s *Service) SessionUser(ctx context.Context, userID, impID, authAt int64) (*SessionUsers, error) {
	ended := &SessionUsers{Ended: true}
	u, err := s.Store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return ended, nil
	}
	if err != nil {
		return nil, err
	}
	res := &SessionUsers{User: u}
	loggedIn := u.ID
	if impID > 0 {
		admin, err := s.Store.UserByID(ctx, impID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return ended, nil
		case err != nil:
			return nil, err
		case !admin.IsAdmin || admin.Status != store.UserApproved:
			return ended, nil
		}
		// The admin logged in, not the user: the admin's password change
		// ends the impersonation too.
		loggedIn, res.Impersonator = admin.ID, admin
	}
	if ok, err := s.sessionStillValid(ctx, loggedIn, authAt); err != nil || !ok {
		return ended, err
	}
	return res, nil
}

// sessionStillValid reports whether a session that logged in at authAt
// did so after the user's sessions_valid_after.
func (s *Service) sessionStillValid(ctx context.Context, userID, authAt int64) (bool, error) {
	cut, err := s.Store.UserSessionsValidAfter(ctx, userID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	if cut == nil {
		return true, nil
	}
	return authAt >= cut.UnixNano(), nil
}

// SetUserLang saves the user's page language.
func (s *Service) SetUserLang(ctx context.Context, userID int64, lang string) error {
	return s.Store.SetUserLang(ctx, userID, lang)
}

// wastePasswordCheck spends the time of one verification at the
// Service's costs, so an unknown e-mail answers as slowly as a wrong
// password.
func (s *Service) wastePasswordCheck(password string) {
	h, ok := dummyHashes.Load(s.PasswordParams)
	if !ok {
		made, err := s.PasswordParams.Hash("not-a-real-password-0123456789")
		if err != nil {
			return
		}
		h, _ = dummyHashes.LoadOrStore(s.PasswordParams, made)
	}
	_, _ = auth.CheckPassword(h.(string), password)
}

// dummyHashes holds one valid argon2id hash of a throw-away password per
// set of costs (auth.Argon2Params), made on first use.
var dummyHashes sync.Map
