package gateway_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.gw.Throttle = gateway.NewLoginThrottle(gateway.LoginLimits{PerAccountIP: 2, PerIP: 50, PerAccount: 50, Window: time.Minute})
	ctx := t.Context()
	const ip = "192.0.2.7"
	started := 0
	start := func(*gateway.User) error { started++; return nil }

	_, _, err := b.gw.Login(ctx, ip, "Nobody@Example.ro", testPassword, start)
	require.ErrorIs(t, err, gateway.ErrLoginFailed, "an unknown e-mail")
	ev := b.lastAudit(t)
	require.Equal(t, store.ActionUserLoginFailed, ev.Action)
	require.Equal(t, "nobody@example.ro", ev.Target)
	require.Nil(t, ev.ActorID)

	_, _, err = b.gw.Login(ctx, ip, b.own.Email, "wrong password", start)
	require.ErrorIs(t, err, gateway.ErrLoginFailed, "a wrong password answers the same")
	ev = b.lastAudit(t)
	require.Equal(t, store.TargetUser(b.own.ID), ev.Target)
	require.Equal(t, "wrong password", ev.Details)

	u, notice, err := b.gw.Login(ctx, ip, b.own.Email, testPassword, start)
	require.NoError(t, err)
	require.Equal(t, b.own.ID, u.ID)
	require.Empty(t, notice)
	require.Equal(t, 1, started)
	ev = b.lastAudit(t)
	require.Equal(t, store.ActionUserLogin, ev.Action)
	require.Equal(t, ip, ev.IP)

	// Two failures of one account from one address: even the right
	// password waits, with the wait in whole seconds.
	for range 2 {
		_, _, err = b.gw.Login(ctx, ip, b.mem.Email, "wrong password", start)
		require.ErrorIs(t, err, gateway.ErrLoginFailed)
	}
	_, _, err = b.gw.Login(ctx, ip, b.mem.Email, testPassword, start)
	require.ErrorIs(t, err, gateway.ErrLoginThrottled)
	var ge *gateway.Error
	require.ErrorAs(t, err, &ge)
	require.Equal(t, 429, ge.HTTPStatus())
	require.Positive(t, ge.RetryAfter)
	require.LessOrEqual(t, ge.RetryAfter, 61)
	require.Equal(t, 1, ge.RetryMinutes())
	require.Equal(t, store.ActionUserLoginThrottled, b.lastAudit(t).Action)
	require.Equal(t, 1, started, "no session for a throttled attempt")

	// A rejected account is told so only after the right password; a
	// pending one gets a session but no login event.
	rej := b.user(t, "rejected@example.ro", store.UserRejected, false)
	_, _, err = b.gw.Login(ctx, ip, rej.Email, testPassword, start)
	require.ErrorIs(t, err, gateway.ErrLoginRejected)
	pend := b.user(t, "pending@example.ro", store.UserPending, false)
	u, _, err = b.gw.Login(ctx, ip, pend.Email, testPassword, start)
	require.NoError(t, err)
	require.Equal(t, gateway.UserPending, u.Status)
	require.Equal(t, 2, started)
	require.NotEqual(t, store.ActionUserLogin, b.lastAudit(t).Action)
}

func TestSessionUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	now := time.Now().UnixNano()

	res, err := b.gw.SessionUser(ctx, b.own.ID, 0, now)
	require.NoError(t, err)
	require.False(t, res.Ended)
	require.Equal(t, b.own.ID, res.User.ID)
	require.Nil(t, res.Impersonator)

	res, err = b.gw.SessionUser(ctx, b.own.ID, b.admin.ID, now)
	require.NoError(t, err)
	require.Equal(t, b.admin.ID, res.Impersonator.ID)

	res, err = b.gw.SessionUser(ctx, b.own.ID, b.mem.ID, now)
	require.NoError(t, err)
	require.True(t, res.Ended, "a non-admin cannot impersonate")

	res, err = b.gw.SessionUser(ctx, 1<<40, 0, now)
	require.NoError(t, err)
	require.True(t, res.Ended, "a vanished user")
}

// TestLoginRehash: a password hash made with other argon2id costs than
// the Service's (an earlier default) still logs in, and the right password
// replaces it by one at the Service's costs; a wrong password leaves it.
// The replacement only happens while the hash is the one checked.
func TestLoginRehash(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	start := func(*gateway.User) error { return nil }
	older := auth.Argon2Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	oldHash, err := older.Hash(testPassword)
	require.NoError(t, err)
	u, err := b.st.CreateUser(ctx, "older@example.ro", oldHash, false, store.UserApproved)
	require.NoError(t, err)
	stored := func() string {
		got, err := b.st.UserByID(ctx, u.ID)
		require.NoError(t, err)
		return got.PasswordHash
	}

	_, _, err = b.gw.Login(ctx, "192.0.2.8", u.Email, "wrong password", start)
	require.ErrorIs(t, err, gateway.ErrLoginFailed)
	require.Equal(t, oldHash, stored(), "a wrong password rehashes nothing")

	_, _, err = b.gw.Login(ctx, "192.0.2.8", u.Email, testPassword, start)
	require.NoError(t, err)
	now := stored()
	require.NotEqual(t, oldHash, now)
	require.False(t, auth.TestArgon2Params.NeedsRehash(now), now)
	ok, err := auth.CheckPassword(now, testPassword)
	require.NoError(t, err)
	require.True(t, ok)

	// At the Service's costs already: the next login keeps the hash.
	_, _, err = b.gw.Login(ctx, "192.0.2.8", u.Email, testPassword, start)
	require.NoError(t, err)
	require.Equal(t, now, stored())

	// A rehash racing a password change loses: the stored hash is no
	// longer the one it checked.
	replaced, err := b.st.ReplaceUserPasswordHash(ctx, u.ID, oldHash, "$argon2id$stale")
	require.NoError(t, err)
	require.False(t, replaced)
	require.Equal(t, now, stored())
}
