package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/secretbox"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestSecondStep: after the right password of an account with a second
// factor the session is not logged in; wrong codes at /login/2fa count in
// the login throttle until even the right code gets 429 with Retry-After
// (and the password cannot reset the count); for another account the
// right code logs in and goes where the login was headed.
func TestSecondStep(t *testing.T) {
	t.Parallel()
	keys, err := secretbox.Parse("k1:" + strings.Repeat("B", 43) + "=")
	require.NoError(t, err)
	var gw *gateway.Service
	b := setup(t, func(d *Deps) {
		d.Gateway.Secrets = keys
		d.Gateway.Throttle = gateway.NewLoginThrottle(gateway.LoginLimits{PerAccountIP: 3, PerIP: 50, PerAccount: 50, Window: time.Hour})
		gw = d.Gateway
	})
	enrol := func(u *store.User) string {
		t.Helper()
		a := gateway.Actor{UserID: u.ID, Email: u.Email}
		e, err := gw.StartTwoFactor(t.Context(), a)
		require.NoError(t, err)
		code, err := totp.GenerateCode(e.Secret, time.Now())
		require.NoError(t, err)
		_, _, err = gw.ConfirmTwoFactor(t.Context(), a, code)
		require.NoError(t, err)
		return e.Secret
	}
	next := func(secret string) string {
		t.Helper()
		code, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		require.NoError(t, err)
		return code
	}

	ana := b.user(t, "ana@example.ro", store.UserApproved, false)
	secret := enrol(ana)
	br := b.browser(t)
	p := br.post("/login", url.Values{"email": {ana.Email}, "password": {testPassword}, "next": {"/companies"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/login/2fa", p.Location)
	require.Equal(t, "/login", br.get("/").Location, "not logged in before the code")
	require.Equal(t, http.StatusOK, br.get("/login/2fa").Status)
	for range 3 {
		p = br.post("/login/2fa", url.Values{"code": {"000000"}})
		require.Equal(t, http.StatusUnauthorized, p.Status)
	}
	p = br.post("/login/2fa", url.Values{"code": {next(secret)}})
	require.Equal(t, http.StatusTooManyRequests, p.Status, "the right code waits too")
	require.NotEmpty(t, p.Header.Get("Retry-After"))
	p = br.post("/login", url.Values{"email": {ana.Email}, "password": {testPassword}})
	require.Equal(t, http.StatusTooManyRequests, p.Status, "the password does not reset the count")

	radu := b.user(t, "radu@example.ro", store.UserApproved, false)
	secret = enrol(radu)
	br = b.browser(t)
	p = br.post("/login", url.Values{"email": {radu.Email}, "password": {testPassword}, "next": {"/companies"}})
	require.Equal(t, "/login/2fa", p.Location)
	p = br.post("/login/2fa", url.Values{"code": {next(secret)}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/companies", p.Location)
	require.Equal(t, http.StatusOK, br.get("/companies").Status)
	require.Equal(t, "/", br.get("/login/2fa").Location, "logged in: nothing to wait for")
	require.Equal(t, "/login", b.browser(t).get("/login/2fa").Location, "no login waiting")
}

// TestEnableTwoFactorEndsOtherSessions: switching the second factor on
// logs out every other session of the user (logged in with the password
// alone), as a password change does; the session that switched it on goes
// on, and another user's session is untouched.
func TestEnableTwoFactorEndsOtherSessions(t *testing.T) {
	t.Parallel()
	keys, err := secretbox.Parse("k1:" + strings.Repeat("C", 43) + "=")
	require.NoError(t, err)
	var gw *gateway.Service
	b := setup(t, func(d *Deps) {
		d.Gateway.Secrets = keys
		gw = d.Gateway
	})
	ana := b.user(t, "ana@example.ro", store.UserApproved, false)
	radu := b.user(t, "radu@example.ro", store.UserApproved, false)
	here, phone, other := b.browser(t), b.browser(t), b.browser(t)
	here.login(ana.Email)
	phone.login(ana.Email)
	other.login(radu.Email)

	e, err := gw.StartTwoFactor(t.Context(), gateway.Actor{UserID: ana.ID, Email: ana.Email})
	require.NoError(t, err)
	code, err := totp.GenerateCode(e.Secret, time.Now())
	require.NoError(t, err)
	p := here.post("/account/2fa/confirm", url.Values{"code": {code}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)

	require.Equal(t, http.StatusOK, here.get("/account/2fa").Status, "the session that switched it on goes on")
	require.True(t, strings.HasPrefix(phone.get("/account/2fa").Location, "/login"), "the other session of the user is logged out")
	require.Equal(t, http.StatusOK, other.get("/account/2fa").Status, "another user's session is untouched")
}
