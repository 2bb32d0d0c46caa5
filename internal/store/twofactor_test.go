package store_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestTwoFactorStore: a pending secret is replaced by a new set-up but an
// enabled one never is; enabling needs the secret that was shown; a time
// step and a recovery code are each accepted once, also when two requests
// bring them at the same time; the policy defaults to off; forgetting an
// undecryptable secret removes that user's second factor.
func TestTwoFactorStore(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u, err := st.CreateUser(ctx, "ana@example.ro", "hash", false, store.UserApproved)
		require.NoError(t, err)

		_, err = st.TOTPByUser(ctx, u.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, st.StartTOTP(ctx, u.ID, []byte("first")))
		require.NoError(t, st.StartTOTP(ctx, u.ID, []byte("second")), "a new set-up replaces a pending one")
		on, err := st.EnableTOTP(ctx, u.ID, []byte("first"), 5, [][]byte{[]byte("h1"), []byte("h2")})
		require.NoError(t, err)
		require.False(t, on, "the replaced secret cannot be enabled")
		on, err = st.EnableTOTP(ctx, u.ID, []byte("second"), 5, [][]byte{[]byte("h1"), []byte("h2")})
		require.NoError(t, err)
		require.True(t, on)
		row, err := st.TOTPByUser(ctx, u.ID)
		require.NoError(t, err)
		require.True(t, row.Enabled())
		require.Equal(t, int64(5), row.LastStep)
		require.ErrorIs(t, st.StartTOTP(ctx, u.ID, []byte("third")), store.ErrAlreadyExists)

		// Each step once, each recovery code once, under concurrency.
		ok, err := st.UseTOTPStep(ctx, u.ID, 5)
		require.NoError(t, err)
		require.False(t, ok, "the confirming step")
		var (
			wg              sync.WaitGroup
			mu              sync.Mutex
			steps, recovers int
		)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err1 := st.UseTOTPStep(ctx, u.ID, 6)
				r, err2 := st.UseRecoveryCode(ctx, u.ID, []byte("h1"))
				mu.Lock()
				defer mu.Unlock()
				require.NoError(t, err1)
				require.NoError(t, err2)
				if s {
					steps++
				}
				if r {
					recovers++
				}
			}()
		}
		wg.Wait()
		require.Equal(t, 1, steps)
		require.Equal(t, 1, recovers)
		left, err := st.RecoveryCodesLeft(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, 1, left)
		require.NoError(t, st.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{[]byte("n1"), []byte("n2"), []byte("n3")}))
		ok, err = st.UseRecoveryCode(ctx, u.ID, []byte("h2"))
		require.NoError(t, err)
		require.False(t, ok, "replaced")
		left, err = st.RecoveryCodesLeft(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, 3, left)

		p, at, err := st.TwoFactorPolicy(ctx)
		require.NoError(t, err)
		require.Equal(t, store.TwoFactorOff, p)
		require.True(t, at.IsZero())
		require.NoError(t, st.SetTwoFactorPolicy(ctx, store.TwoFactorAdmins))
		p, at, err = st.TwoFactorPolicy(ctx)
		require.NoError(t, err)
		require.Equal(t, store.TwoFactorAdmins, p)
		require.False(t, at.IsZero())

		fs, err := st.ForgetSecrets(ctx, func(ct []byte) bool { return string(ct) == "second" })
		require.NoError(t, err)
		require.Equal(t, 1, fs.TOTP)
		_, err = st.TOTPByUser(ctx, u.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		left, err = st.RecoveryCodesLeft(ctx, u.ID)
		require.NoError(t, err)
		require.Zero(t, left)
	})
}
