package store_test

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func mkUser(t *testing.T, st *store.Store, email string) *store.User {
	t.Helper()
	u, err := st.CreateUser(t.Context(), email, "hash", false, store.UserApproved)
	require.NoError(t, err)
	return u
}

func mkCompany(t *testing.T, st *store.Store, cif string) *store.Company {
	t.Helper()
	c, err := st.CreateCompany(t.Context(), cif, "Company "+cif)
	require.NoError(t, err)
	return c
}

func TestOpen(t *testing.T) {
	t.Parallel()

	t.Run("SQLiteURLForms", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for _, u := range []string{
			"sqlite:" + filepath.Join(dir, "a", "b", "one.db"),
			"sqlite://" + filepath.Join(dir, "c", "two.db"),
			"file:" + filepath.Join(dir, "d", "three.db"),
			"sqlite:" + filepath.Join(dir, "four.db") + "?_pragma=cache_size(-2000)",
		} {
			st, err := store.Open(t.Context(), u, store.PoolConfig{})
			require.NoError(t, err, u)
			require.Equal(t, store.SQLite, st.Dialect())
			var mode string
			require.NoError(t, st.DB().QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode))
			require.Equal(t, "wal", mode)
			var fk int
			require.NoError(t, st.DB().QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&fk))
			require.Equal(t, 1, fk)
			require.NoError(t, st.Migrate(t.Context()))
			require.NoError(t, st.Close())
		}
	})

	t.Run("Memory", func(t *testing.T) {
		t.Parallel()
		st, err := store.Open(t.Context(), "sqlite::memory:", store.PoolConfig{})
		require.NoError(t, err)
		defer st.Close()
		require.NoError(t, st.Migrate(t.Context()))
		mkUser(t, st, "a@b.ro")
	})

	t.Run("BadURL", func(t *testing.T) {
		t.Parallel()
		_, err := store.Open(t.Context(), "mysql://user:secret@host/db", store.PoolConfig{})
		require.Error(t, err)
		require.NotContains(t, err.Error(), "secret")
	})
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		cur, latest, err := st.MigrationStatus(ctx)
		require.NoError(t, err)
		require.Equal(t, latest, cur)
		require.GreaterOrEqual(t, latest, int64(1))
		pending, err := st.Pending(ctx)
		require.NoError(t, err)
		require.False(t, pending)
		require.NoError(t, st.Migrate(ctx), "migrating twice is a no-op")
	})

	t.Run("Fresh", func(t *testing.T) {
		t.Parallel()
		for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
			t.Run(string(d), func(t *testing.T) {
				t.Parallel()
				st, _ := storetest.Fresh(t, d)
				pending, err := st.Pending(t.Context())
				require.NoError(t, err)
				require.True(t, pending)
				cur, latest, err := st.MigrationStatus(t.Context())
				require.NoError(t, err)
				require.Equal(t, int64(0), cur)
				require.GreaterOrEqual(t, latest, int64(1))
			})
		}
	})

	// Several replicas (or, on SQLite, the server and a CLI command)
	// starting together: each Migrate waits on the lock (PostgreSQL's
	// advisory lock, SQLite's PATH.migrate-lock) and exactly one applies
	// each migration. Without the SQLite lock the second writer failed with
	// "duplicate column name" (seen in CI at load 25).
	for _, d := range []store.Dialect{store.Postgres, store.SQLite} {
		t.Run("Concurrent"+map[store.Dialect]string{store.Postgres: "Postgres", store.SQLite: "SQLite"}[d], func(t *testing.T) {
			t.Parallel()
			_, dbURL := storetest.Fresh(t, d)
			const replicas = 12
			var wg sync.WaitGroup
			errs := make([]error, replicas)
			for i := range replicas {
				wg.Go(func() {
					st, err := store.Open(t.Context(), dbURL, store.PoolConfig{MaxConns: 2})
					if err != nil {
						errs[i] = err
						return
					}
					defer st.Close()
					errs[i] = st.Migrate(t.Context())
				})
			}
			wg.Wait()
			for _, err := range errs {
				require.NoError(t, err)
			}
			st, err := store.Open(t.Context(), dbURL, store.PoolConfig{MaxConns: 1})
			require.NoError(t, err)
			defer st.Close()
			var applied int
			require.NoError(t, st.DB().QueryRowContext(t.Context(),
				`SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied))
			// Count the migration files: numbers may have gaps (a number taken
			// by a change on another branch), so the latest version is no count.
			files, err := filepath.Glob("migrations/" + map[store.Dialect]string{store.Postgres: "postgres", store.SQLite: "sqlite"}[d] + "/*.sql")
			require.NoError(t, err)
			require.NotEmpty(t, files)
			require.Equal(t, len(files), applied, "each migration recorded exactly once")
		})
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u, err := st.CreateUser(ctx, "  Ana@Example.RO ", "h1", true, store.UserPending)
		require.NoError(t, err)
		require.Equal(t, "ana@example.ro", u.Email)
		require.True(t, u.IsAdmin)
		require.Equal(t, time.UTC, u.CreatedAt.Location())
		require.WithinDuration(t, time.Now(), u.CreatedAt, time.Minute)

		_, err = st.CreateUser(ctx, "ANA@example.ro", "h2", false, store.UserPending)
		require.ErrorIs(t, err, store.ErrAlreadyExists)

		got, err := st.UserByEmail(ctx, "ana@EXAMPLE.ro")
		require.NoError(t, err)
		require.Equal(t, u, got)
		got, err = st.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, u, got)

		_, err = st.UserByID(ctx, u.ID+1000)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = st.UserByEmail(ctx, "nobody@example.ro")
		require.ErrorIs(t, err, store.ErrNotFound)

		require.NoError(t, st.SetUserStatus(ctx, u.ID, store.UserApproved))
		require.NoError(t, st.SetUserAdmin(ctx, u.ID, false))
		require.NoError(t, st.SetUserPassword(ctx, u.ID, "h3"))
		require.NoError(t, st.SetUserLang(ctx, u.ID, "en"))
		got, err = st.UserByID(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, store.UserApproved, got.Status)
		require.False(t, got.IsAdmin)
		require.Equal(t, "h3", got.PasswordHash)
		require.Equal(t, "en", got.Lang)

		require.ErrorIs(t, st.SetUserStatus(ctx, 9999, store.UserApproved), store.ErrNotFound)
		require.ErrorIs(t, st.SetUserAdmin(ctx, 9999, true), store.ErrNotFound)
		require.ErrorIs(t, st.SetUserPassword(ctx, 9999, "x"), store.ErrNotFound)

		u2 := mkUser(t, st, "bob@example.ro")
		all, err := st.Users(ctx, "")
		require.NoError(t, err)
		require.Len(t, all, 2)
		require.Equal(t, u2.ID, all[0].ID, "newest first")
		pending, err := st.Users(ctx, store.UserPending)
		require.NoError(t, err)
		require.Empty(t, pending)
		approved, err := st.Users(ctx, store.UserApproved)
		require.NoError(t, err)
		require.Len(t, approved, 2)
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		h1 := sha256.Sum256([]byte("token-1"))
		h2 := sha256.Sum256([]byte("token-2"))

		_, found, err := st.SessionFind(ctx, h1[:])
		require.NoError(t, err)
		require.False(t, found)

		require.NoError(t, st.SessionCommit(ctx, h1[:], []byte("one"), time.Now().Add(time.Hour)))
		data, found, err := st.SessionFind(ctx, h1[:])
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, []byte("one"), data)

		require.NoError(t, st.SessionCommit(ctx, h1[:], []byte("uno"), time.Now().Add(time.Hour)))
		data, _, err = st.SessionFind(ctx, h1[:])
		require.NoError(t, err)
		require.Equal(t, []byte("uno"), data)

		require.NoError(t, st.SessionCommit(ctx, h2[:], []byte("two"), time.Now().Add(-time.Second)))
		_, found, err = st.SessionFind(ctx, h2[:])
		require.NoError(t, err)
		require.False(t, found, "expired")

		n, err := st.SessionDeleteExpired(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)

		require.NoError(t, st.SessionDelete(ctx, h1[:]))
		require.NoError(t, st.SessionDelete(ctx, h1[:]), "absent is fine")
		_, found, err = st.SessionFind(ctx, h1[:])
		require.NoError(t, err)
		require.False(t, found)
	})
}

func TestCompanies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c, err := st.CreateCompany(ctx, "12345674", "Beta SRL")
		require.NoError(t, err)
		require.True(t, c.AutoSync)
		require.Equal(t, store.DefaultSyncIntervalMinutes, c.SyncIntervalMinutes)
		require.Nil(t, c.LastSyncedUntil)

		_, err = st.CreateCompany(ctx, "12345674", "Dup")
		require.ErrorIs(t, err, store.ErrAlreadyExists)

		a := mkCompany(t, st, "10000008")
		got, err := st.CompanyByCIF(ctx, "12345674")
		require.NoError(t, err)
		require.Equal(t, c, got)
		got, err = st.CompanyByID(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c, got)
		_, err = st.CompanyByCIF(ctx, "999")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = st.CompanyByID(ctx, 999)
		require.ErrorIs(t, err, store.ErrNotFound)

		all, err := st.Companies(ctx)
		require.NoError(t, err)
		require.Equal(t, []int64{a.ID, c.ID}, []int64{all[0].ID, all[1].ID}, "by CIF")

		c.Name, c.AutoSync, c.SyncIntervalMinutes = "Beta Renamed SRL", false, 15
		require.NoError(t, st.UpdateCompany(ctx, c))
		got, err = st.CompanyByID(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Beta Renamed SRL", got.Name)
		require.False(t, got.AutoSync)
		require.Equal(t, 15, got.SyncIntervalMinutes)
		require.ErrorIs(t, st.UpdateCompany(ctx, &store.Company{ID: 999}), store.ErrNotFound)

		until := time.Date(2026, 1, 15, 9, 41, 7, 123456789, time.FixedZone("EET", 2*3600))
		require.NoError(t, st.SetCompanySyncedUntil(ctx, c.ID, until))
		got, err = st.CompanyByID(ctx, c.ID)
		require.NoError(t, err)
		require.NotNil(t, got.LastSyncedUntil)
		require.Equal(t, until.UTC().Truncate(time.Microsecond), *got.LastSyncedUntil)
		require.Equal(t, time.UTC, got.LastSyncedUntil.Location())

		require.NoError(t, st.DeleteCompany(ctx, a.ID))
		require.ErrorIs(t, st.DeleteCompany(ctx, a.ID), store.ErrNotFound)
	})
}

func TestMemberships(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		owner := mkUser(t, st, "owner@x.ro")
		acct := mkUser(t, st, "acct@x.ro")
		zeta, err := st.CreateCompany(ctx, "20000002", "Zeta SRL")
		require.NoError(t, err)
		alfa, err := st.CreateCompany(ctx, "30000003", "Alfa SRL")
		require.NoError(t, err)

		require.NoError(t, st.AddMembership(ctx, zeta.ID, acct.ID, store.RoleMember))
		require.NoError(t, st.AddMembership(ctx, zeta.ID, owner.ID, store.RoleOwner))
		require.NoError(t, st.AddMembership(ctx, alfa.ID, acct.ID, store.RoleOwner))

		role, err := st.MembershipRole(ctx, zeta.ID, acct.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleMember, role)
		require.NoError(t, st.AddMembership(ctx, zeta.ID, acct.ID, store.RoleOwner), "upsert")
		role, err = st.MembershipRole(ctx, zeta.ID, acct.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleOwner, role)
		require.NoError(t, st.AddMembership(ctx, zeta.ID, acct.ID, store.RoleMember))

		_, err = st.MembershipRole(ctx, alfa.ID, owner.ID)
		require.ErrorIs(t, err, store.ErrNotFound)

		cs, err := st.CompaniesForUser(ctx, acct.ID)
		require.NoError(t, err)
		require.Len(t, cs, 2)
		require.Equal(t, "Alfa SRL", cs[0].Name, "by name")
		require.Equal(t, store.RoleOwner, cs[0].Role)
		require.Equal(t, store.RoleMember, cs[1].Role)

		ids, err := st.CompanyMemberIDs(ctx, zeta.ID)
		require.NoError(t, err)
		require.Equal(t, []int64{owner.ID, acct.ID}, ids, "owners first")

		// Removing a member revokes the keys they created.
		k := &store.APIKey{CompanyID: zeta.ID, UserID: acct.ID, Name: "erp", Prefix: "efk_aaaaaaaa", Hash: []byte("h-acct"), Scope: store.ScopeRead}
		require.NoError(t, st.CreateAPIKey(ctx, k))
		require.NoError(t, st.RemoveMembership(ctx, zeta.ID, acct.ID))
		require.ErrorIs(t, st.RemoveMembership(ctx, zeta.ID, acct.ID), store.ErrNotFound)
		_, err = st.APIKeyByHash(ctx, []byte("h-acct"))
		require.ErrorIs(t, err, store.ErrNotFound)

		// Foreign keys are enforced.
		require.Error(t, st.AddMembership(ctx, 9999, acct.ID, store.RoleMember))
	})
}

func TestANAF(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		_, err := st.ANAFApp(ctx)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, st.SetANAFApp(ctx, &store.ANAFApp{ClientID: "c1", ClientSecretEnc: []byte{1, 2}, RedirectURI: "https://a/cb"}))
		require.NoError(t, st.SetANAFApp(ctx, &store.ANAFApp{ClientID: "c2", ClientSecretEnc: []byte{3}, RedirectURI: "https://b/cb"}))
		app, err := st.ANAFApp(ctx)
		require.NoError(t, err)
		require.Equal(t, "c2", app.ClientID)
		require.Equal(t, []byte{3}, app.ClientSecretEnc)
		require.Equal(t, "https://b/cb", app.RedirectURI)

		u := mkUser(t, st, "t@x.ro")
		_, err = st.ANAFTokenByUser(ctx, u.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		exp := time.Date(2026, 3, 1, 10, 0, 0, 1500, time.UTC)
		tok := &store.ANAFToken{UserID: u.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"), ExpiresAt: exp, Status: "connected"}
		require.NoError(t, st.SaveANAFToken(ctx, tok))
		got, err := st.ANAFTokenByUser(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, exp.Truncate(time.Microsecond), got.ExpiresAt)
		require.Nil(t, got.RefreshExpiresAt)
		require.Nil(t, got.LastRefreshAt)

		rexp := exp.Add(90 * 24 * time.Hour)
		last := exp.Add(-time.Hour)
		tok.AccessTokenEnc, tok.RefreshExpiresAt, tok.LastRefreshAt, tok.Status = []byte("a2"), &rexp, &last, "reconnect_needed"
		require.NoError(t, st.SaveANAFToken(ctx, tok))
		got, err = st.ANAFTokenByUser(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, []byte("a2"), got.AccessTokenEnc)
		require.Equal(t, rexp.Truncate(time.Microsecond), *got.RefreshExpiresAt)
		require.Equal(t, last.Truncate(time.Microsecond), *got.LastRefreshAt)
		require.Equal(t, "reconnect_needed", got.Status)

		expiring, err := st.ANAFTokensExpiringBefore(ctx, exp.Add(time.Minute))
		require.NoError(t, err)
		require.Len(t, expiring, 1)
		expiring, err = st.ANAFTokensExpiringBefore(ctx, exp.Add(-time.Minute))
		require.NoError(t, err)
		require.Empty(t, expiring)

		require.NoError(t, st.DeleteANAFToken(ctx, u.ID))
		require.NoError(t, st.DeleteANAFToken(ctx, u.ID))
		_, err = st.ANAFTokenByUser(ctx, u.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "12345674")
		other := mkCompany(t, st, "10000008")
		u := mkUser(t, st, "k@x.ro")

		k1 := &store.APIKey{CompanyID: c.ID, UserID: u.ID, Name: "erp", Prefix: "efk_AAAAAAAA", Hash: []byte("hash-1"), Scope: store.ScopeWrite}
		require.NoError(t, st.CreateAPIKey(ctx, k1))
		require.NotZero(t, k1.ID)
		require.False(t, k1.CreatedAt.IsZero())
		k2 := &store.APIKey{CompanyID: c.ID, Name: "cli", Prefix: "efk_BBBBBBBB", Hash: []byte("hash-2"), Scope: store.ScopeRead}
		require.NoError(t, st.CreateAPIKey(ctx, k2))
		require.ErrorIs(t, st.CreateAPIKey(ctx, &store.APIKey{CompanyID: c.ID, Name: "dup", Prefix: "x", Hash: []byte("hash-1"), Scope: store.ScopeRead}), store.ErrAlreadyExists)

		got, err := st.APIKeyByHash(ctx, []byte("hash-1"))
		require.NoError(t, err)
		require.Equal(t, k1, got)
		got, err = st.APIKeyByHash(ctx, []byte("hash-2"))
		require.NoError(t, err)
		require.Zero(t, got.UserID, "CLI key has no user")

		at := time.Now().Add(-time.Minute)
		require.NoError(t, st.TouchAPIKey(ctx, k1.ID, at))
		got, err = st.APIKeyByHash(ctx, []byte("hash-1"))
		require.NoError(t, err)
		require.Equal(t, at.UTC().Truncate(time.Microsecond), *got.LastUsedAt)

		require.ErrorIs(t, st.RevokeAPIKey(ctx, other.ID, k1.ID), store.ErrNotFound, "another company's key")
		require.NoError(t, st.RevokeAPIKey(ctx, c.ID, k1.ID))
		require.ErrorIs(t, st.RevokeAPIKey(ctx, c.ID, k1.ID), store.ErrNotFound, "already revoked")
		_, err = st.APIKeyByHash(ctx, []byte("hash-1"))
		require.ErrorIs(t, err, store.ErrNotFound)

		keys, err := st.APIKeys(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, keys, 2)
		require.Equal(t, k2.ID, keys[0].ID, "newest first")
		require.NotNil(t, keys[1].RevokedAt)
		none, err := st.APIKeys(ctx, other.ID)
		require.NoError(t, err)
		require.Empty(t, none)
	})
}

func TestSyncRunsAndAudit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "12345674")
		_, err := st.LastSyncRun(ctx, c.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		r1, err := st.StartSyncRun(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, store.SyncRunning, r1.Status)
		r2, err := st.StartSyncRun(ctx, c.ID)
		require.NoError(t, err)
		r2.Status, r2.Found, r2.New, r2.Failed, r2.Error = store.SyncFailed, 10, 7, 3, "boom"
		require.NoError(t, st.FinishSyncRun(ctx, r2))
		last, err := st.LastSyncRun(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, r2, last)
		require.ErrorIs(t, st.FinishSyncRun(ctx, &store.SyncRun{ID: 9999, Status: store.SyncOK}), store.ErrNotFound)

		actor := int64(42)
		require.NoError(t, st.Audit(ctx, &store.AuditEvent{Action: "user.login", IP: "127.0.0.1"}))
		e2 := &store.AuditEvent{ActorID: &actor, Action: "apikey.create", Target: "company:1", Details: "scope=read"}
		require.NoError(t, st.Audit(ctx, e2))
		evs, err := st.AuditEvents(ctx, 10)
		require.NoError(t, err)
		require.Len(t, evs, 2)
		require.Equal(t, *e2, evs[0])
		require.Nil(t, evs[1].ActorID)
		evs, err = st.AuditEvents(ctx, 1)
		require.NoError(t, err)
		require.Len(t, evs, 1)
	})
}

func TestWithTx(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		boom := fmt.Errorf("boom")
		err := st.WithTx(ctx, func(tx *store.Store) error {
			_, err := tx.CreateUser(ctx, "rolled@back.ro", "h", false, "")
			require.NoError(t, err)
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = st.UserByEmail(ctx, "rolled@back.ro")
		require.ErrorIs(t, err, store.ErrNotFound)

		require.NoError(t, st.WithTx(ctx, func(tx *store.Store) error {
			u, err := tx.CreateUser(ctx, "kept@x.ro", "h", false, "")
			if err != nil {
				return err
			}
			c, err := tx.CreateCompany(ctx, "12345674", "C")
			if err != nil {
				return err
			}
			return tx.AddMembership(ctx, c.ID, u.ID, store.RoleOwner)
		}))
		u, err := st.UserByEmail(ctx, "kept@x.ro")
		require.NoError(t, err)
		require.Equal(t, store.UserPending, u.Status)
	})
}
