package gateway_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// twoFactorBundle is a Service with a keyring and a clock the test moves.
type twoFactorBundle struct {
	st      *store.Store
	gw      *gateway.Service
	now     time.Time
	user    *store.User
	admin   *store.User
	started int
}

const twoFactorIP = "192.0.2.44"

func twoFactorSetup(t *testing.T, st *store.Store) *twoFactorBundle {
	t.Helper()
	keys, err := secretbox.Parse("k1:" + strings.Repeat("A", 43) + "=")
	require.NoError(t, err)
	b := &twoFactorBundle{st: st, now: time.Date(2026, 12, 7, 10, 0, 5, 0, time.UTC)}
	b.gw = &gateway.Service{Store: st, Secrets: keys, PasswordParams: auth.TestArgon2Params, Now: func() time.Time { return b.now },
		Throttle: gateway.NewLoginThrottle(gateway.LoginLimits{PerAccountIP: 3, PerIP: 50, PerAccount: 50, Window: time.Hour})}
	mk := func(email string, admin bool) *store.User {
		hash, err := auth.TestArgon2Params.Hash(testPassword)
		require.NoError(t, err)
		u, err := st.CreateUser(t.Context(), email, hash, admin, store.UserApproved)
		require.NoError(t, err)
		return u
	}
	b.user, b.admin = mk("ana@example.ro", false), mk("admin@example.ro", true)
	return b
}

func (b *twoFactorBundle) start(*gateway.User) error { b.started++; return nil }

// code is the TOTP code of secret at the bundle's clock plus offset.
func (b *twoFactorBundle) code(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, b.now.Add(offset))
	require.NoError(t, err)
	return c
}

func (b *twoFactorBundle) lastAudit(t *testing.T) store.AuditEvent {
	t.Helper()
	events, err := b.st.AuditEvents(t.Context(), 1)
	require.NoError(t, err)
	require.Len(t, events, 1)
	return events[0]
}

// enrol switches the user's second factor on and returns the secret and
// the recovery codes.
func (b *twoFactorBundle) enrol(t *testing.T, u *store.User) (string, []string) {
	t.Helper()
	a := gateway.Actor{UserID: u.ID, Email: u.Email, IP: twoFactorIP}
	e, err := b.gw.StartTwoFactor(t.Context(), a)
	require.NoError(t, err)
	codes, _, err := b.gw.ConfirmTwoFactor(t.Context(), a, b.code(t, e.Secret, 0))
	require.NoError(t, err)
	return e.Secret, codes
}

func TestTwoFactorEnrolLoginRecover(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := twoFactorSetup(t, st)
		b.gw.Throttle = gateway.NewLoginThrottle(gateway.LoginLimits{PerAccountIP: 50, PerIP: 50, PerAccount: 50, Window: time.Hour})
		ctx := t.Context()
		a := gateway.Actor{UserID: b.user.ID, Email: b.user.Email, IP: twoFactorIP}

		state, err := b.gw.TwoFactor(ctx, a)
		require.NoError(t, err)
		require.False(t, state.Enabled)
		require.Nil(t, state.Pending)
		_, _, err = b.gw.ConfirmTwoFactor(ctx, a, "123456")
		require.ErrorIs(t, err, gateway.ErrTwoFactorNotStarted)

		// Start: a secret waiting for its code, sealed at rest, with a QR code.
		e, err := b.gw.StartTwoFactor(ctx, a)
		require.NoError(t, err)
		require.Len(t, e.Secret, 32)
		require.True(t, bytes.HasPrefix(e.QRPNG, []byte("\x89PNG\r\n")))
		require.Contains(t, e.URL, "otpauth://totp/")
		row, err := st.TOTPByUser(ctx, b.user.ID)
		require.NoError(t, err)
		require.False(t, row.Enabled())
		require.NotContains(t, string(row.SecretEnc), e.Secret, "the secret is encrypted at rest")
		state, err = b.gw.TwoFactor(ctx, a)
		require.NoError(t, err)
		require.Equal(t, e.Secret, state.Pending.Secret)

		// A wrong code is refused by field; the right one switches it on
		// and gives ten distinct recovery codes, audited.
		_, _, err = b.gw.ConfirmTwoFactor(ctx, a, "000000")
		require.ErrorIs(t, err, gateway.ErrTwoFactorCode)
		codes, _, err := b.gw.ConfirmTwoFactor(ctx, a, b.code(t, e.Secret, 0))
		require.NoError(t, err)
		require.Len(t, codes, 10)
		for _, c := range codes {
			require.Regexp(t, `^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`, c)
		}
		ev := b.lastAudit(t)
		require.Equal(t, store.ActionTwoFactorEnable, ev.Action)
		require.Equal(t, store.TargetUser(b.user.ID), ev.Target)
		_, err = b.gw.StartTwoFactor(ctx, a)
		require.ErrorIs(t, err, gateway.ErrTwoFactorOn, "an enabled secret is never replaced by a new set-up")

		// The password alone logs nobody in.
		u, _, err := b.gw.Login(ctx, twoFactorIP, b.user.Email, testPassword, b.start)
		require.ErrorIs(t, err, gateway.ErrSecondFactorRequired)
		require.Equal(t, b.user.ID, u.ID)
		require.Zero(t, b.started)
		require.NotEqual(t, store.ActionUserLogin, b.lastAudit(t).Action)

		// The code that confirmed the set-up is spent for its time step;
		// the next step's code is accepted once.
		_, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, b.code(t, e.Secret, 0), b.start)
		require.ErrorIs(t, err, gateway.ErrTwoFactorCode, "a replayed code")
		next := b.code(t, e.Secret, 30*time.Second)
		u, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, next, b.start)
		require.NoError(t, err)
		require.Equal(t, b.user.ID, u.ID)
		require.Equal(t, 1, b.started)
		ev = b.lastAudit(t)
		require.Equal(t, store.ActionUserLogin, ev.Action)
		require.Equal(t, "2fa", ev.Details)
		_, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, next, b.start)
		require.ErrorIs(t, err, gateway.ErrTwoFactorCode, "a code is accepted once per time step")

		// A recovery code, typed in any case without dashes, works once.
		typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", ""))
		_, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, typed, b.start)
		require.NoError(t, err)
		require.Equal(t, 2, b.started)
		require.Equal(t, "2fa recovery code", b.lastAudit(t).Details)
		events, err := st.AuditEvents(ctx, 3)
		require.NoError(t, err)
		require.Equal(t, store.ActionTwoFactorRecovery, events[1].Action)
		require.Equal(t, "login; 9 left", events[1].Details)
		_, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, codes[3], b.start)
		require.ErrorIs(t, err, gateway.ErrTwoFactorCode, "a recovery code is spent")
		state, err = b.gw.TwoFactor(ctx, a)
		require.NoError(t, err)
		require.True(t, state.Enabled)
		require.Equal(t, 9, state.RecoveryLeft)

		// New recovery codes after a current code: the old ones stop working.
		b.now = b.now.Add(2 * time.Minute)
		fresh, err := b.gw.NewRecoveryCodes(ctx, a, b.code(t, e.Secret, 0))
		require.NoError(t, err)
		require.Len(t, fresh, 10)
		require.Equal(t, store.ActionTwoFactorNewCodes, b.lastAudit(t).Action)
		_, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, codes[4], b.start)
		require.ErrorIs(t, err, gateway.ErrTwoFactorCode, "an old recovery code")

		// Disabling needs the password and a code.
		err = b.gw.DisableTwoFactor(ctx, a, "wrong password", fresh[0])
		require.ErrorIs(t, err, gateway.ErrPasswordWrong)
		err = b.gw.DisableTwoFactor(ctx, a, testPassword, "111111")
		require.ErrorIs(t, err, gateway.ErrTwoFactorCode)
		require.NoError(t, b.gw.DisableTwoFactor(ctx, a, testPassword, fresh[0]))
		require.Equal(t, store.ActionTwoFactorDisable, b.lastAudit(t).Action)
		_, err = st.TOTPByUser(ctx, b.user.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		left, err := st.RecoveryCodesLeft(ctx, b.user.ID)
		require.NoError(t, err)
		require.Zero(t, left)
		u, _, err = b.gw.Login(ctx, twoFactorIP, b.user.Email, testPassword, b.start)
		require.NoError(t, err, "the password is enough again")
		require.Equal(t, b.user.ID, u.ID)
	})
}

func TestTwoFactorPolicyAndReset(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := twoFactorSetup(t, st)
		ctx := t.Context()
		ua := gateway.Actor{UserID: b.user.ID, Email: b.user.Email, IP: twoFactorIP}
		aa := gateway.Actor{UserID: b.admin.ID, Email: b.admin.Email, IP: twoFactorIP}

		// Only administrators set the policy, to one of three values.
		require.ErrorIs(t, b.gw.SetTwoFactorPolicy(ctx, ua, gateway.TwoFactorEveryone), gateway.ErrNotAdmin)
		require.ErrorIs(t, b.gw.SetTwoFactorPolicy(ctx, aa, "sometimes"), gateway.ErrTwoFactorPolicy)
		p, _, err := b.gw.TwoFactorPolicy(ctx, aa)
		require.NoError(t, err)
		require.Equal(t, gateway.TwoFactorOff, p)
		must, err := b.gw.MustEnrolTwoFactor(ctx, b.admin)
		require.NoError(t, err)
		require.False(t, must)

		require.NoError(t, b.gw.SetTwoFactorPolicy(ctx, aa, gateway.TwoFactorAdmins))
		ev := b.lastAudit(t)
		require.Equal(t, store.ActionTwoFactorPolicySave, ev.Action)
		require.Equal(t, "required=admins (was off)", ev.Details)
		must, err = b.gw.MustEnrolTwoFactor(ctx, b.admin)
		require.NoError(t, err)
		require.True(t, must, "an admin without a second factor must enrol")
		must, err = b.gw.MustEnrolTwoFactor(ctx, b.user)
		require.NoError(t, err)
		require.False(t, must, "a user need not")

		require.NoError(t, b.gw.SetTwoFactorPolicy(ctx, aa, gateway.TwoFactorEveryone))
		must, err = b.gw.MustEnrolTwoFactor(ctx, b.user)
		require.NoError(t, err)
		require.True(t, must)
		secret, codes := b.enrol(t, b.user)
		must, err = b.gw.MustEnrolTwoFactor(ctx, b.user)
		require.NoError(t, err)
		require.False(t, must, "enrolled")
		state, err := b.gw.TwoFactor(ctx, ua)
		require.NoError(t, err)
		require.True(t, state.Required)
		require.ErrorIs(t, b.gw.DisableTwoFactor(ctx, ua, testPassword, b.code(t, secret, 30*time.Second)), gateway.ErrTwoFactorRequired)

		// An admin impersonating the user never touches their second factor.
		imp := ua
		imp.ImpersonatorID, imp.ImpersonatorEmail = b.admin.ID, b.admin.Email
		_, err = b.gw.TwoFactor(ctx, imp)
		require.ErrorIs(t, err, gateway.ErrTwoFactorImpersonate)
		_, err = b.gw.StartTwoFactor(ctx, imp)
		require.ErrorIs(t, err, gateway.ErrTwoFactorImpersonate)

		// The TOTP secret is one of the secrets rotate-key re-encrypts.
		stats, err := st.RotateSecrets(ctx, func(ct []byte) ([]byte, bool, error) { return ct, false, nil })
		require.NoError(t, err)
		require.Equal(t, 1, stats.Secrets)

		// Lost phone: the operator removes the second factor; the recovery
		// codes go with it, and the password logs in again.
		_, err = b.gw.ResetTwoFactor(ctx, ua, b.user.ID)
		require.ErrorIs(t, err, gateway.ErrNotAdmin)
		on, err := b.gw.ResetTwoFactor(ctx, gateway.Actor{CLI: true}, b.user.ID)
		require.NoError(t, err)
		require.True(t, on)
		ev = b.lastAudit(t)
		require.Equal(t, store.ActionTwoFactorReset, ev.Action)
		require.Equal(t, "email=ana@example.ro (cli)", ev.Details)
		_, _, err = b.gw.Login(ctx, twoFactorIP, b.user.Email, testPassword, b.start)
		require.NoError(t, err)
		_, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, codes[0], b.start)
		require.NoError(t, err, "no second factor any more: the step is passed")
		left, err := st.RecoveryCodesLeft(ctx, b.user.ID)
		require.NoError(t, err)
		require.Zero(t, left)
		on, err = b.gw.ResetTwoFactor(ctx, gateway.Actor{CLI: true}, b.user.ID)
		require.NoError(t, err)
		require.False(t, on)
	})
}

// TestTwoFactorThrottle: wrong codes at the second step count as failed
// logins; the right password does not forget them (only the right code
// does), so the throttle covers the second step.
func TestTwoFactorThrottle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := twoFactorSetup(t, st)
		ctx := t.Context()
		secret, _ := b.enrol(t, b.user)

		_, _, err := b.gw.Login(ctx, twoFactorIP, b.user.Email, testPassword, b.start)
		require.ErrorIs(t, err, gateway.ErrSecondFactorRequired)
		for range 2 {
			_, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, "000000", b.start)
			require.ErrorIs(t, err, gateway.ErrTwoFactorCode)
		}
		require.Equal(t, store.ActionTwoFactorFailed, b.lastAudit(t).Action)
		// The password again: still the second step, failures kept.
		_, _, err = b.gw.Login(ctx, twoFactorIP, b.user.Email, testPassword, b.start)
		require.ErrorIs(t, err, gateway.ErrSecondFactorRequired)
		_, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, "not a code", b.start)
		require.ErrorIs(t, err, gateway.ErrTwoFactorCode)
		// Three failures: even the right code waits, and so does the password.
		_, _, err = b.gw.VerifySecondFactor(ctx, twoFactorIP, b.user.ID, b.code(t, secret, 30*time.Second), b.start)
		require.ErrorIs(t, err, gateway.ErrLoginThrottled)
		require.Equal(t, store.ActionUserLoginThrottled, b.lastAudit(t).Action)
		_, _, err = b.gw.Login(ctx, twoFactorIP, b.user.Email, testPassword, b.start)
		require.ErrorIs(t, err, gateway.ErrLoginThrottled)
		require.Zero(t, b.started)

		// Another address is not held by this one's failures; the right
		// code there logs in.
		_, _, err = b.gw.VerifySecondFactor(ctx, "198.51.100.9", b.user.ID, b.code(t, secret, 30*time.Second), b.start)
		require.NoError(t, err)
		require.Equal(t, 1, b.started)
	})
}
