package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// Two-factor login (TOTP, RFC 6238): 6 digits, SHA-1, 30-second steps —
// what every authenticator app reads from the QR code — with one step of
// clock skew either way. A code is accepted once: the step it was for is
// stored (user_totp.last_step) and only later steps are accepted after it.
const (
	totpPeriod = 30
	totpIssuer = "eFactura Gateway"
	// RecoveryCodeCount is how many recovery codes a user gets at once.
	RecoveryCodeCount = 10
	// maxCodeInput bounds what is read of a typed code.
	maxCodeInput = 64
)

// Two-factor policies: who must use a second factor to log in.
const (
	TwoFactorOff      = store.TwoFactorOff
	TwoFactorAdmins   = store.TwoFactorAdmins
	TwoFactorEveryone = store.TwoFactorEveryone
)

// Refusals of two-factor login.
var (
	// ErrSecondFactorRequired is Login's answer after the right password of
	// an account with a second factor: the session is not logged in; the
	// door asks for the code and calls VerifySecondFactor.
	ErrSecondFactorRequired = &Error{Kind: KindForbidden, Code: "second_factor_required", Msg: "enter the code of your authenticator app"}
	ErrTwoFactorCode        = &Error{Kind: KindInvalid, Code: "twofa_code", Field: "code", Msg: "the code is not correct, or was used already"}
	ErrTwoFactorOn          = &Error{Kind: KindConflict, Code: "twofa_on", Msg: "two-factor login is already on"}
	ErrTwoFactorOff         = &Error{Kind: KindConflict, Code: "twofa_off", Msg: "two-factor login is not on"}
	ErrTwoFactorNotStarted  = &Error{Kind: KindConflict, Code: "twofa_not_started", Msg: "start the set-up again: no secret waits for its code"}
	ErrTwoFactorRequired    = &Error{Kind: KindConflict, Code: "twofa_required", Msg: "an administrator requires two-factor login for this account: it cannot be turned off"}
	ErrTwoFactorPolicy      = &Error{Kind: KindInvalid, Code: "twofa_policy", Field: "policy", Msg: "the policy must be off, admins or everyone"}
	ErrTwoFactorImpersonate = &Error{Kind: KindNotFound, Code: "not_found", Msg: "an administrator impersonating a user never changes their two-factor login"}
	ErrTwoFactorUnavailable = &Error{Kind: KindUnavailable, Code: "twofa_unavailable", Msg: "two-factor login needs the encryption key (EFACTURA_ENCRYPTION_KEY)"}
)

// TwoFactorState is what the account page shows of the user's second factor.
type TwoFactorState struct {
	Enabled      bool
	EnabledAt    *time.Time
	RecoveryLeft int  // unused recovery codes
	Required     bool // the administrators' policy requires a second factor of this user
	// Pending is the enrolment waiting for its confirming code (nil when
	// none, or when the second factor is on).
	Pending *TwoFactorEnrolment
}

// TwoFactorEnrolment is a new secret as the user adds it to an
// authenticator app: a QR code, or the secret typed in by hand.
type TwoFactorEnrolment struct {
	Secret string // base32, as apps take it typed in
	URL    string // the otpauth:// URL the QR code holds
	QRPNG  []byte // the QR code, a PNG image made here (no outside service)
}

// GroupedSecret is the secret in groups of four, easier to type.
func (e *TwoFactorEnrolment) GroupedSecret() string {
	var b strings.Builder
	for i, r := range e.Secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// selfOnly refuses an admin impersonating the user and the operator: a
// user's second factor is theirs to change.
func selfOnly(a Actor) error {
	if a.Impersonated() || a.UserID == 0 {
		return ErrTwoFactorImpersonate
	}
	return nil
}

// TwoFactor returns the actor's second-factor state; a pending enrolment
// comes with its QR code.
func (s *Service) TwoFactor(ctx context.Context, a Actor) (*TwoFactorState, error) {
	if err := selfOnly(a); err != nil {
		return nil, err
	}
	u, err := s.Store.UserByID(ctx, a.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	st := &TwoFactorState{}
	if st.Required, err = s.twoFactorRequired(ctx, u); err != nil {
		return nil, err
	}
	t, err := s.Store.TOTPByUser(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if t.Enabled() {
		st.Enabled, st.EnabledAt = true, t.EnabledAt
		st.RecoveryLeft, err = s.Store.RecoveryCodesLeft(ctx, u.ID)
		return st, err
	}
	secret, err := s.openTOTPSecret(t)
	if err != nil {
		return nil, err
	}
	st.Pending, err = enrolment(u.Email, secret)
	return st, err
}

// StartTwoFactor makes a new secret for the actor, waiting for a code
// from it (ConfirmTwoFactor); it replaces an earlier unconfirmed one.
func (s *Service) StartTwoFactor(ctx context.Context, a Actor) (*TwoFactorEnrolment, error) {
	if err := selfOnly(a); err != nil {
		return nil, err
	}
	if s.Secrets == nil {
		return nil, ErrTwoFactorUnavailable
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: a.Email, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	sealed, err := s.Secrets.Encrypt([]byte(key.Secret()))
	if err != nil {
		return nil, err
	}
	if err := s.Store.StartTOTP(ctx, a.UserID, sealed); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, ErrTwoFactorOn
		}
		return nil, err
	}
	return enrolment(a.Email, key.Secret())
}

// ConfirmTwoFactor switches the actor's pending secret on when code is a
// current code of it, and returns the ten recovery codes, shown once
// (only their SHA-256 is stored). Every other session of the actor ends
// with it, as on a password change: sessions that logged in before the
// returned cut, with the password alone, are logged out (the door renews
// its own after it). Audited.
func (s *Service) ConfirmTwoFactor(ctx context.Context, a Actor, code string) ([]string, time.Time, error) {
	if err := selfOnly(a); err != nil {
		return nil, time.Time{}, err
	}
	t, err := s.Store.TOTPByUser(ctx, a.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, time.Time{}, ErrTwoFactorNotStarted
	case err != nil:
		return nil, time.Time{}, err
	case t.Enabled():
		return nil, time.Time{}, ErrTwoFactorOn
	}
	secret, err := s.openTOTPSecret(t)
	if err != nil {
		return nil, time.Time{}, err
	}
	digits, _, ok := parseSecondFactor(code)
	step, matched := int64(0), false
	if ok && digits != "" {
		step, matched = s.matchTOTP(secret, digits, 0)
	}
	if !matched {
		return nil, time.Time{}, FieldErrors{ErrTwoFactorCode}
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, time.Time{}, err
	}
	cut := s.now().UTC().Truncate(time.Microsecond)
	var on bool
	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if on, err = tx.EnableTOTP(ctx, a.UserID, t.SecretEnc, step, hashes); err != nil || !on {
			return err
		}
		return tx.SetUserSessionsValidAfter(ctx, a.UserID, cut)
	})
	if err != nil {
		return nil, time.Time{}, err
	}
	if !on { // replaced by another set-up meanwhile
		return nil, time.Time{}, ErrTwoFactorNotStarted
	}
	s.auditTarget(ctx, a, store.ActionTwoFactorEnable, store.TargetUser(a.UserID), fmt.Sprintf("%d recovery codes; other sessions ended", len(codes)))
	return codes, cut, nil
}

// DisableTwoFactor switches the actor's second factor off after their
// password and a current code or an unused recovery code; refused while
// the administrators' policy requires one of the actor. Wrong
// credentials count as failed logins (the login throttle). Audited.
func (s *Service) DisableTwoFactor(ctx context.Context, a Actor, password, code string) error {
	u, t, err := s.enabledTwoFactor(ctx, a)
	if err != nil {
		return err
	}
	if req, err := s.twoFactorRequired(ctx, u); err != nil || req {
		if err == nil {
			err = ErrTwoFactorRequired
		}
		return err
	}
	if err := s.throttled(ctx, a, u); err != nil {
		return err
	}
	pwOK, err := auth.CheckPassword(u.PasswordHash, password)
	if err != nil {
		return err
	}
	var bad FieldErrors
	if !pwOK {
		bad = append(bad, ErrPasswordWrong)
	}
	recovered := false
	if pwOK { // a code is spent only with the right password
		ok, rec, err := s.checkSecondFactor(ctx, u.ID, t, code)
		if err != nil {
			return err
		}
		if !ok {
			bad = append(bad, ErrTwoFactorCode)
		}
		recovered = rec
	}
	if len(bad) > 0 {
		s.failedSecondFactor(ctx, a, u, "disabling: wrong password or code")
		return bad
	}
	if recovered {
		s.auditRecovery(ctx, a, u.ID, "disabling")
	}
	if _, err := s.Store.DeleteTOTP(ctx, u.ID); err != nil {
		return err
	}
	s.auditTarget(ctx, a, store.ActionTwoFactorDisable, store.TargetUser(u.ID), "")
	return nil
}

// NewRecoveryCodes replaces the actor's recovery codes after a current
// code (or an unused recovery code) and returns the new ones, shown once.
// Audited.
func (s *Service) NewRecoveryCodes(ctx context.Context, a Actor, code string) ([]string, error) {
	u, t, err := s.enabledTwoFactor(ctx, a)
	if err != nil {
		return nil, err
	}
	if err := s.throttled(ctx, a, u); err != nil {
		return nil, err
	}
	ok, recovered, err := s.checkSecondFactor(ctx, u.ID, t, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.failedSecondFactor(ctx, a, u, "new recovery codes: wrong code")
		return nil, FieldErrors{ErrTwoFactorCode}
	}
	if recovered {
		s.auditRecovery(ctx, a, u.ID, "new recovery codes")
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, err
	}
	if err := s.Store.ReplaceRecoveryCodes(ctx, u.ID, hashes); err != nil {
		return nil, err
	}
	s.auditTarget(ctx, a, store.ActionTwoFactorNewCodes, store.TargetUser(u.ID), fmt.Sprintf("%d recovery codes", len(codes)))
	return codes, nil
}

// VerifySecondFactor is the second step of a login whose password was
// right (Login answered ErrSecondFactorRequired for userID): code is a
// current TOTP code or an unused recovery code. It shares the login
// throttle: a throttled attempt is refused before the code is looked at,
// a wrong code counts as a failed login, and only the right code forgets
// this address's failures. Then, as Login, start binds the session and
// the login is audited (with the use of a recovery code, if one was).
func (s *Service) VerifySecondFactor(ctx context.Context, ip string, userID int64, code string, start func(*User) error) (*User, string, error) {
	u, err := s.Store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", ErrLoginFailed
	}
	if err != nil {
		return nil, "", err
	}
	if u.Status == store.UserRejected {
		return nil, "", ErrLoginRejected
	}
	a := Actor{UserID: u.ID, Email: u.Email, IP: ip}
	if err := s.throttled(ctx, a, u); err != nil {
		return nil, "", err
	}
	t, err := s.Store.TOTPByUser(ctx, u.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	if !t.Enabled() { // removed meanwhile (an operator's reset): the password was enough
		return s.finishLogin(ctx, ip, u, start, "")
	}
	ok, recovered, err := s.checkSecondFactor(ctx, u.ID, t, code)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		s.failedSecondFactor(ctx, a, u, "login: wrong code")
		return nil, "", ErrTwoFactorCode
	}
	how := "2fa"
	if recovered {
		s.auditRecovery(ctx, a, u.ID, "login")
		how = "2fa recovery code"
	}
	return s.finishLogin(ctx, ip, u, start, how)
}

// ResetTwoFactor removes a user's second factor and recovery codes (a
// lost phone): the operator at the command line, or an administrator for
// another user. It reports whether one was on; the user enrols again
// (at once, when the policy requires it). Audited.
func (s *Service) ResetTwoFactor(ctx context.Context, a Actor, userID int64) (bool, error) {
	u, err := s.otherUser(ctx, a, userID)
	if err != nil {
		return false, err
	}
	wasOn, err := s.Store.DeleteTOTP(ctx, u.ID)
	if err != nil {
		return false, err
	}
	if wasOn {
		s.auditTarget(ctx, a, store.ActionTwoFactorReset, store.TargetUser(u.ID), "email="+u.Email)
	}
	return wasOn, nil
}

// TwoFactorPolicy returns who must use a second factor and when that was
// last set (administrators only).
func (s *Service) TwoFactorPolicy(ctx context.Context, a Actor) (string, time.Time, error) {
	if err := s.admin(ctx, a); err != nil {
		return "", time.Time{}, err
	}
	return s.Store.TwoFactorPolicy(ctx)
}

// SetTwoFactorPolicy sets who must use a second factor: TwoFactorOff,
// TwoFactorAdmins or TwoFactorEveryone (administrators only). Those who
// must and have not enrolled are sent to enrol at their next page.
// Audited when it changes.
func (s *Service) SetTwoFactorPolicy(ctx context.Context, a Actor, policy string) error {
	old, _, err := s.TwoFactorPolicy(ctx, a)
	if err != nil {
		return err
	}
	switch policy = strings.TrimSpace(policy); policy {
	case TwoFactorOff, TwoFactorAdmins, TwoFactorEveryone:
	default:
		return FieldErrors{ErrTwoFactorPolicy}
	}
	if policy == old {
		return nil
	}
	if err := s.Store.SetTwoFactorPolicy(ctx, policy); err != nil {
		return err
	}
	s.auditTarget(ctx, a, store.ActionTwoFactorPolicySave, store.TargetTwoFactorPolicy, "required="+policy+" (was "+old+")")
	return nil
}

// MustEnrolTwoFactor reports whether the policy requires a second factor
// of u and u has none on yet: the pages then send u to enrol.
func (s *Service) MustEnrolTwoFactor(ctx context.Context, u *User) (bool, error) {
	req, err := s.twoFactorRequired(ctx, u)
	if err != nil || !req {
		return false, err
	}
	t, err := s.Store.TOTPByUser(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return !t.Enabled(), nil
}

// twoFactorRequired reports whether the policy requires a second factor of u.
func (s *Service) twoFactorRequired(ctx context.Context, u *User) (bool, error) {
	p, _, err := s.Store.TwoFactorPolicy(ctx)
	if err != nil {
		return false, err
	}
	return p == TwoFactorEveryone || p == TwoFactorAdmins && u.IsAdmin, nil
}

// twoFactorOn reports whether the user logs in with a second factor.
func (s *Service) twoFactorOn(ctx context.Context, userID int64) (bool, error) {
	t, err := s.Store.TOTPByUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return t.Enabled(), err
}

// enabledTwoFactor loads the actor and their enabled second factor.
func (s *Service) enabledTwoFactor(ctx context.Context, a Actor) (*User, *store.TOTP, error) {
	if err := selfOnly(a); err != nil {
		return nil, nil, err
	}
	u, err := s.Store.UserByID(ctx, a.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	t, err := s.Store.TOTPByUser(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !t.Enabled() {
		return nil, nil, ErrTwoFactorOff
	}
	return u, t, err
}

// throttled answers a copy of ErrLoginThrottled (audited) while the login
// throttle holds the user's account from the actor's address.
func (s *Service) throttled(ctx context.Context, a Actor, u *User) error {
	wait, err := s.throttle().wait(ctx, s.Store, u.Email, a.IP)
	if err != nil {
		return err
	}
	if wait <= 0 {
		return nil
	}
	s.auditTarget(ctx, a, store.ActionUserLoginThrottled, store.TargetUser(u.ID), "second factor")
	e := *ErrLoginThrottled
	e.RetryAfter = int(wait.Seconds()) + 1
	return &e
}

// failedSecondFactor counts a wrong code (or password) as a failed login
// of the account from the actor's address, and audits it.
func (s *Service) failedSecondFactor(ctx context.Context, a Actor, u *User, details string) {
	if err := s.throttle().fail(ctx, s.Store, u.Email, a.IP); err != nil {
		s.logger().ErrorContext(ctx, "login throttle: record failure", "error", err.Error())
	}
	s.auditTarget(ctx, a, store.ActionTwoFactorFailed, store.TargetUser(u.ID), details)
}

// auditRecovery records that a recovery code was spent, with how many are left.
func (s *Service) auditRecovery(ctx context.Context, a Actor, userID int64, where string) {
	left, err := s.Store.RecoveryCodesLeft(ctx, userID)
	if err != nil {
		s.logger().WarnContext(ctx, "counting recovery codes", "error", err.Error())
	}
	s.auditTarget(ctx, a, store.ActionTwoFactorRecovery, store.TargetUser(userID), fmt.Sprintf("%s; %d left", where, left))
}

func (s *Service) throttle() *LoginThrottle {
	if s.Throttle != nil {
		return s.Throttle
	}
	return defaultThrottle
}

// checkSecondFactor accepts a current TOTP code of t (once per time step)
// or an unused recovery code (spent); recovered says which.
func (s *Service) checkSecondFactor(ctx context.Context, userID int64, t *store.TOTP, code string) (ok, recovered bool, err error) {
	digits, recovery, valid := parseSecondFactor(code)
	switch {
	case !valid:
		return false, false, nil
	case recovery != "":
		ok, err := s.Store.UseRecoveryCode(ctx, userID, hashRecoveryCode(recovery))
		return ok, ok, err
	}
	secret, err := s.openTOTPSecret(t)
	if err != nil {
		return false, false, err
	}
	step, matched := s.matchTOTP(secret, digits, t.LastStep)
	if !matched {
		return false, false, nil
	}
	ok, err = s.Store.UseTOTPStep(ctx, userID, step)
	return ok, false, err
}

// matchTOTP finds the time step, after lastStep and within one step of
// now, whose code is digits (compared in constant time by the library).
func (s *Service) matchTOTP(secret, digits string, lastStep int64) (int64, bool) {
	now := s.now().Unix() / totpPeriod
	for _, step := range []int64{now - 1, now, now + 1} {
		if step <= lastStep {
			continue
		}
		ok, err := hotp.ValidateCustom(digits, uint64(step), secret, hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// openTOTPSecret decrypts a stored secret.
func (s *Service) openTOTPSecret(t *store.TOTP) (string, error) {
	if s.Secrets == nil {
		return "", ErrTwoFactorUnavailable
	}
	b, err := s.Secrets.Decrypt(t.SecretEnc)
	if err != nil {
		return "", fmt.Errorf("two-factor secret of user %d: %w", t.UserID, err)
	}
	return string(b), nil
}

// enrolment is a secret as an authenticator app takes it, with its QR code.
func enrolment(email, secret string) (*TwoFactorEnrolment, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("two-factor secret: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: email, Period: totpPeriod,
		Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &TwoFactorEnrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

// recoveryEncoding is the lower-case base32 alphabet recovery codes are
// written in (no 0, 1, 8, 9: nothing to confuse with o, l, b, g).
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCodes makes RecoveryCodeCount codes of 80 random bits each,
// shown as xxxx-xxxx-xxxx-xxxx, and their hashes.
//
// They are stored as a plain SHA-256 rather than with argon2id: 80 random
// bits cannot be guessed offline from a hash whatever its cost (2^80
// SHA-256 evaluations), as with API keys; a slow hash would only make
// every second step cost ten argon2id checks.
func newRecoveryCodes() (codes []string, hashes [][]byte, err error) {
	for range RecoveryCodeCount {
		raw := make([]byte, 10)
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, err
		}
		c := recoveryEncoding.EncodeToString(raw) // 16 characters
		codes = append(codes, c[0:4]+"-"+c[4:8]+"-"+c[8:12]+"-"+c[12:16])
		hashes = append(hashes, hashRecoveryCode(c))
	}
	return codes, hashes, nil
}

// hashRecoveryCode is the stored form of a normalised recovery code.
func hashRecoveryCode(normalised string) []byte {
	sum := sha256.Sum256([]byte("efactura-recovery-code:" + normalised))
	return sum[:]
}

// parseSecondFactor reads what a user typed at the second step: six
// digits are a TOTP code, sixteen letters of the recovery alphabet a
// recovery code (spaces and dashes ignored, any case); anything else is
// not valid.
func parseSecondFactor(in string) (digits, recovery string, valid bool) {
	if len(in) > maxCodeInput {
		return "", "", false
	}
	var b strings.Builder
	for _, r := range strings.ToLower(in) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r >= '0' && r <= '9' || r >= 'a' && r <= 'z':
			b.WriteRune(r)
		default:
			return "", "", false
		}
	}
	c := b.String()
	switch {
	case len(c) == 6 && strings.Trim(c, "0123456789") == "":
		return c, "", true
	case len(c) == 16 && strings.Trim(c, "abcdefghijklmnopqrstuvwxyz234567") == "":
		return "", c, true
	}
	return "", "", false
}
