package gateway

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestLoginThrottleScopes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := storetest.New(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	th := NewLoginThrottle(LoginLimits{PerAccountIP: 2, PerIP: 3, PerAccount: 4, Window: 15 * time.Minute})
	th.now = func() time.Time { return now }
	wait := func(email, ip string) time.Duration {
		t.Helper()
		d, err := th.wait(ctx, st, email, ip)
		require.NoError(t, err)
		return d
	}
	fail := func(email, ip string) {
		t.Helper()
		require.NoError(t, th.fail(ctx, st, email, ip))
	}

	fail("a@example.ro", "192.0.2.1")
	require.Zero(t, wait("a@example.ro", "192.0.2.1"))
	now = now.Add(time.Minute)
	fail("A@Example.ro ", "192.0.2.1") // the same account, however typed
	require.Equal(t, 14*time.Minute, wait("a@example.ro", "192.0.2.1"), "per (account, address)")
	require.Zero(t, wait("a@example.ro", "192.0.2.9"), "the owner's own address is not locked")
	require.Zero(t, wait("b@example.ro", "192.0.2.1"))
	fail("b@example.ro", "192.0.2.1")
	require.Equal(t, 14*time.Minute, wait("c@example.ro", "192.0.2.1"), "per address, any account")
	require.Zero(t, wait("c@example.ro", "192.0.2.2"))

	// IPv6: one /64 is one address.
	fail("x@example.ro", "2001:db8:1:2::1")
	fail("x@example.ro", "2001:db8:1:2::ffff")
	require.Positive(t, wait("x@example.ro", "2001:db8:1:2:aaaa::1"))
	require.Zero(t, wait("x@example.ro", "2001:db8:1:3::1"))

	// Per account from any address: many addresses, 2 failures each.
	fail("a@example.ro", "198.51.100.1")
	fail("a@example.ro", "198.51.100.2")
	require.Positive(t, wait("a@example.ro", "198.51.100.77"), "4 failures of a, from anywhere")

	// A good login forgets only its own address's failures.
	require.NoError(t, th.succeeded(ctx, st, "a@example.ro", "192.0.2.1"))
	require.Zero(t, wait("a@example.ro", "192.0.2.1"), "a's own failures from here are forgiven; b's one remains")
	fail("a@example.ro", "198.51.100.3")
	fail("a@example.ro", "198.51.100.4")
	require.Positive(t, wait("a@example.ro", "192.0.2.1"), "the stranger's failures elsewhere still count")

	// Never a permanent lock; the rows that left the window are pruned.
	now = now.Add(16 * time.Minute)
	require.Zero(t, wait("a@example.ro", "198.51.100.3"))
	require.Zero(t, wait("c@example.ro", "192.0.2.1"))
	before, err := st.CountLoginFailures(ctx)
	require.NoError(t, err)
	require.Positive(t, before)
	fail("z@example.ro", "203.0.113.1") // the first failure after a minute prunes
	after, err := st.CountLoginFailures(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, after, "only the new failure is left")
}

func TestLoginThrottleAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::":       "2001:db8:1:2::/64",
		"not an address":       "not an address",
		"":                     "",
	} {
		require.Equal(t, want, throttleAddr(in), in)
	}
}
