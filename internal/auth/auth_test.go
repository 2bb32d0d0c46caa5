package auth_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestPassword(t *testing.T) {
	t.Parallel()
	h, err := auth.TestArgon2Params.Hash("corect cal baterie capsă")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$"), h)

	h2, err := auth.TestArgon2Params.Hash("corect cal baterie capsă")
	require.NoError(t, err)
	require.NotEqual(t, h, h2, "random salt")

	ok, err := auth.CheckPassword(h, "corect cal baterie capsă")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = auth.CheckPassword(h, "corect cal baterie capsa")
	require.NoError(t, err)
	require.False(t, ok)

	t.Run("ParamsReadFromHash", func(t *testing.T) {
		t.Parallel()
		// A hash made with other parameters (an older cost) still verifies.
		salt := []byte("0123456789abcdef")
		key := argon2.IDKey([]byte("pw"), salt, 2, 128, 1, 24)
		h := "$argon2id$v=19$m=128,t=2,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
		ok, err := auth.CheckPassword(h, "pw")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, uint32(19*1024), auth.DefaultArgon2Params.Memory)
	})

	t.Run("Malformed", func(t *testing.T) {
		t.Parallel()
		for _, bad := range []string{
			"",
			"plain",
			"$2a$10$abcdefghijklmnopqrstuu",
			"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5",
			"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5",
			"$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5",
			"$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5",
			"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5",
			"$argon2id$v=19$m=64,t=1,p=1$!!!$a2V5a2V5",
			"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$",
		} {
			ok, err := auth.CheckPassword(bad, "pw")
			require.ErrorIs(t, err, auth.ErrMalformedHash, bad)
			require.False(t, ok)
		}
	})
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	key, prefix, hash, err := auth.NewAPIKey()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(key, "efk_"))
	require.Len(t, key, 47)
	require.Equal(t, key[:12], prefix)
	require.Equal(t, auth.HashAPIKey(key), hash)
	require.Len(t, hash, 32)
	require.True(t, auth.LooksLikeAPIKey(key))

	key2, _, hash2, err := auth.NewAPIKey()
	require.NoError(t, err)
	require.NotEqual(t, key, key2)
	require.NotEqual(t, hash, hash2)

	for _, bad := range []string{
		"",
		"efk_",
		"efk_short",
		strings.Replace(key, "efk_", "efx_", 1),
		key + "A",
		key[:len(key)-1],
		key[:len(key)-1] + "=",
		key[:10] + "+" + key[11:],
		key[:10] + " " + key[11:],
	} {
		require.False(t, auth.LooksLikeAPIKey(bad), bad)
	}
}

func TestSessionStore(t *testing.T) {
	t.Parallel()
	var _ scs.CtxStore = (*auth.SessionStore)(nil)

	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ss := auth.NewSessionStore(st, nil)
		_, found, err := ss.Find("tok")
		require.NoError(t, err)
		require.False(t, found)

		require.NoError(t, ss.Commit("tok", []byte("data"), time.Now().Add(time.Hour)))
		b, found, err := ss.FindCtx(t.Context(), "tok")
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, []byte("data"), b)

		// The raw token is not what is stored.
		var n int
		require.NoError(t, st.DB().QueryRowContext(t.Context(),
			`SELECT count(*) FROM sessions WHERE token_hash = $1`, []byte("tok")).Scan(&n))
		require.Zero(t, n)
		_, found, err = st.SessionFind(t.Context(), auth.HashAPIKey("tok")) // same SHA-256
		require.NoError(t, err)
		require.True(t, found)

		require.NoError(t, ss.Delete("tok"))
		_, found, err = ss.Find("tok")
		require.NoError(t, err)
		require.False(t, found)

		// Cleanup removes expired rows and stops with its context.
		require.NoError(t, ss.CommitCtx(t.Context(), "old", []byte("x"), time.Now().Add(-time.Minute)))
		require.NoError(t, ss.CommitCtx(t.Context(), "live", []byte("y"), time.Now().Add(time.Hour)))
		ctx, cancel := context.WithCancel(t.Context())
		done := ss.StartCleanup(ctx, 10*time.Millisecond)
		require.Eventually(t, func() bool {
			var n int
			err := st.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM sessions`).Scan(&n)
			return err == nil && n == 1
		}, 5*time.Second, 10*time.Millisecond)
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("cleanup goroutine did not stop")
		}
		_, found, err = ss.Find("live")
		require.NoError(t, err)
		require.True(t, found)
	})
}

// TestPasswordDefaults: production hashes use DefaultArgon2Params, and the
// zero Argon2Params (an unset options field) stands for them.
func TestPasswordDefaults(t *testing.T) {
	t.Parallel()
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	h, err := auth.HashPassword("corect cal baterie capsă")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, prefix), h)
	h, err = auth.Argon2Params{}.Hash("corect cal baterie capsă")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, prefix), h)
}

// TestNeedsRehash: a hash made with other costs than the service's (the
// earlier 64 MiB default among them) verifies with its own costs and is
// to be rehashed; one made with the same costs is not.
func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	salt := []byte("0123456789abcdef")
	// The earlier production default, m=65536,t=3,p=2, at its full cost.
	key := argon2.IDKey([]byte("pw"), salt, 3, 64*1024, 2, 32)
	old := "$argon2id$v=19$m=65536,t=3,p=2$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	ok, err := auth.CheckPassword(old, "pw")
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, auth.DefaultArgon2Params.NeedsRehash(old))
	require.True(t, auth.Argon2Params{}.NeedsRehash(old))
	require.True(t, auth.TestArgon2Params.NeedsRehash(old))

	h, err := auth.HashPassword("pw")
	require.NoError(t, err)
	require.False(t, auth.DefaultArgon2Params.NeedsRehash(h))
	require.False(t, auth.Argon2Params{}.NeedsRehash(h))
	require.True(t, auth.TestArgon2Params.NeedsRehash(h))

	for _, p := range []auth.Argon2Params{
		{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 8, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 16},
	} {
		h, err := auth.TestArgon2Params.Hash("pw")
		require.NoError(t, err)
		require.False(t, auth.TestArgon2Params.NeedsRehash(h))
		require.True(t, p.NeedsRehash(h), "%+v", p)
	}
	require.True(t, auth.TestArgon2Params.NeedsRehash("plain"))
}

// TestHashesBounded: many parallel hashes and checks all complete (the
// semaphore of MaxConcurrentHashes queues them, it does not refuse).
func TestHashesBounded(t *testing.T) {
	t.Parallel()
	const n = 4 * auth.MaxConcurrentHashes
	errs := make(chan error, n)
	for i := range n {
		go func() {
			h, err := auth.TestArgon2Params.Hash("pw")
			if err == nil {
				var ok bool
				ok, err = auth.CheckPassword(h, "pw")
				if err == nil && !ok {
					err = fmt.Errorf("hash %d: password not verified", i)
				}
			}
			errs <- err
		}()
	}
	for range n {
		require.NoError(t, <-errs)
	}
}
