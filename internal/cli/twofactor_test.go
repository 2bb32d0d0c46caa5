package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
)

// TestUserReset2FA: the operator removes a user's second factor and
// recovery codes (lost phone), audited; a second run has nothing to do.
func TestUserReset2FA(t *testing.T) {
	t.Parallel()
	r := newRunner(t)
	code, _, errOut := r.run("user", "create", "--email", "ana@example.ro", "--password", "parola-lunga-1")
	require.Equal(t, 0, code, errOut)

	ctx := context.Background()
	st, err := store.Open(ctx, r.env["DATABASE_URL"], store.PoolConfig{})
	require.NoError(t, err)
	defer st.Close()
	u, err := st.UserByEmail(ctx, "ana@example.ro")
	require.NoError(t, err)
	require.NoError(t, st.StartTOTP(ctx, u.ID, []byte("sealed secret")))
	on, err := st.EnableTOTP(ctx, u.ID, []byte("sealed secret"), 1, [][]byte{[]byte("h1"), []byte("h2")})
	require.NoError(t, err)
	require.True(t, on)

	code, out, errOut := r.run("user", "reset-2fa", "ANA@example.ro")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "two-factor login of ana@example.ro removed")
	_, err = st.TOTPByUser(ctx, u.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	left, err := st.RecoveryCodesLeft(ctx, u.ID)
	require.NoError(t, err)
	require.Zero(t, left)
	events, err := st.AuditEvents(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, store.ActionTwoFactorReset, events[0].Action)
	require.True(t, strings.HasSuffix(events[0].Details, "(cli)"), events[0].Details)

	code, out, _ = r.run("user", "reset-2fa", "ana@example.ro")
	require.Equal(t, 0, code)
	require.Contains(t, out, "nothing to remove")
	code, _, _ = r.run("user", "reset-2fa", "nobody@example.ro")
	require.Equal(t, 1, code)
}
