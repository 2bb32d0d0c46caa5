package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestKeyAuthCache: KeyAuthByHash reuses a lookup for its TTL; a key
// revoked through the same Store (a replica) fails at once, directly or
// in a transaction (a member removed with their keys); another replica
// (another Store on the database) stops accepting it within its TTL; an
// unknown key is never cached, so a key created after a failed lookup
// works at once; a touch is recorded in the cached lookup.
func TestKeyAuthCache(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			a, url := storetest.Fresh(t, d)
			ctx := context.Background()
			require.NoError(t, a.Migrate(ctx))
			b, err := store.Open(ctx, url, store.PoolConfig{MaxConns: 2})
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			const ttl = 500 * time.Millisecond
			a.SetKeyAuthTTL(time.Hour)
			b.SetKeyAuthTTL(ttl)

			c := mkCompany(t, a, "98765438")
			u, err := a.CreateUser(ctx, "member@example.com", "x", false, store.UserApproved)
			require.NoError(t, err)
			require.NoError(t, a.AddMembership(ctx, c.ID, u.ID, store.RoleMember))
			newKey := func(userID int64) ([]byte, *store.APIKey) {
				_, prefix, hash, err := auth.NewAPIKey()
				require.NoError(t, err)
				k := &store.APIKey{CompanyID: c.ID, UserID: userID, Name: "k", Prefix: prefix, Hash: hash, Scope: store.ScopeRead}
				require.NoError(t, a.CreateAPIKey(ctx, k))
				return hash, k
			}
			lookup := func(st *store.Store, hash []byte) error {
				ka, err := st.KeyAuthByHash(ctx, hash)
				if err == nil {
					require.Equal(t, c.ID, ka.Company.ID)
					require.Equal(t, c.CIF, ka.Company.CIF)
				}
				return err
			}

			// Unknown keys are not cached.
			_, prefix, hash, err := auth.NewAPIKey()
			require.NoError(t, err)
			require.ErrorIs(t, lookup(a, hash), store.ErrNotFound)
			k := &store.APIKey{CompanyID: c.ID, Name: "late", Prefix: prefix, Hash: hash, Scope: store.ScopeWrite}
			require.NoError(t, a.CreateAPIKey(ctx, k))
			ka, err := a.KeyAuthByHash(ctx, hash)
			require.NoError(t, err)
			require.Equal(t, k.ID, ka.Key.ID)
			require.Equal(t, store.ScopeWrite, ka.Key.Scope)
			require.Nil(t, ka.Key.LastUsedAt)

			// A touch shows in the cached lookup; the caller's copy is its own.
			at := time.Now().UTC().Truncate(time.Second)
			require.NoError(t, a.TouchAPIKey(ctx, k.ID, at))
			ka.Key.Name = "changed by the caller"
			ka, err = a.KeyAuthByHash(ctx, hash)
			require.NoError(t, err)
			require.NotNil(t, ka.Key.LastUsedAt)
			require.True(t, at.Equal(*ka.Key.LastUsedAt))
			require.Equal(t, "late", ka.Key.Name)

			// Revoked through replica a: a refuses it at once, b (which
			// looked it up) within its TTL.
			require.NoError(t, lookup(b, hash))
			require.NoError(t, a.RevokeAPIKey(ctx, c.ID, k.ID))
			require.ErrorIs(t, lookup(a, hash), store.ErrNotFound)
			require.Eventually(t, func() bool { return lookup(b, hash) != nil }, 3*ttl, 20*time.Millisecond)
			require.ErrorIs(t, lookup(b, hash), store.ErrNotFound)

			// A member removed (their keys revoked in a transaction).
			mh, _ := newKey(u.ID)
			require.NoError(t, lookup(a, mh))
			require.NoError(t, a.RemoveMembership(ctx, c.ID, u.ID))
			require.ErrorIs(t, lookup(a, mh), store.ErrNotFound)

			// The company deleted (its keys by cascade).
			dh, _ := newKey(0)
			require.NoError(t, lookup(a, dh))
			require.NoError(t, a.DeleteCompany(ctx, c.ID))
			require.ErrorIs(t, lookup(a, dh), store.ErrNotFound)
		})
	}
}
