package gateway_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

const testPassword = "correct horse battery"

type testBundle struct {
	st              *store.Store
	gw              *gateway.Service
	admin, own, mem *store.User
	company         *store.Company
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	st := storetest.New(t)
	b := &testBundle{st: st, gw: &gateway.Service{Store: st, PasswordParams: auth.TestArgon2Params}}
	b.admin = b.user(t, "admin@example.ro", store.UserApproved, true)
	b.own = b.user(t, "owner@example.ro", store.UserApproved, false)
	b.mem = b.user(t, "member@example.ro", store.UserApproved, false)
	c, err := st.CreateCompanyWithOwner(t.Context(), "12345674", "ALFA SOFT SRL", b.own.ID)
	require.NoError(t, err)
	require.NoError(t, st.InsertMembership(t.Context(), c.ID, b.mem.ID, store.RoleMember, true))
	b.company = c
	return b
}

func (b *testBundle) user(t *testing.T, email, status string, admin bool) *store.User {
	t.Helper()
	hash, err := auth.TestArgon2Params.Hash(testPassword)
	require.NoError(t, err)
	u, err := b.st.CreateUser(t.Context(), email, hash, admin, status)
	require.NoError(t, err)
	return u
}

func actor(u *store.User) gateway.Actor { return gateway.Actor{UserID: u.ID, Email: u.Email} }

func (b *testBundle) lastAudit(t *testing.T) store.AuditEvent {
	t.Helper()
	events, err := b.st.AuditEvents(t.Context(), 1)
	require.NoError(t, err)
	require.Len(t, events, 1)
	return events[0]
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()

	t.Run("OwnersOnly", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.gw.CreateAPIKey(t.Context(), actor(b.mem), b.company.ID, "k", store.ScopeRead)
		require.ErrorIs(t, err, gateway.ErrNotFound)
		_, _, err = b.gw.CreateAPIKey(t.Context(), actor(b.admin), b.company.ID, "k", store.ScopeRead)
		require.ErrorIs(t, err, gateway.ErrNotFound, "an admin is no owner")
		_, err = b.gw.APIKeys(t.Context(), actor(b.mem), b.company.ID)
		require.ErrorIs(t, err, gateway.ErrNotFound)
	})

	t.Run("NotWhileImpersonating", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		a := actor(b.own)
		a.ImpersonatorID, a.ImpersonatorEmail = b.admin.ID, b.admin.Email
		_, _, err := b.gw.CreateAPIKey(t.Context(), a, b.company.ID, "k", store.ScopeRead)
		require.ErrorIs(t, err, gateway.ErrImpersonating)
	})

	t.Run("InputRefusedByField", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.gw.CreateAPIKey(t.Context(), actor(b.own), b.company.ID, "  ", "admin")
		var fe gateway.FieldErrors
		require.ErrorAs(t, err, &fe)
		require.Equal(t, gateway.FieldErrors{gateway.ErrKeyNameRequired, gateway.ErrKeyScope}, fe)
	})

	t.Run("CreateListRevoke", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		key, k, err := b.gw.CreateAPIKey(t.Context(), actor(b.own), b.company.ID, " ci ", store.ScopeWrite)
		require.NoError(t, err)
		require.NotEmpty(t, key)
		require.Equal(t, "ci", k.Name)
		e := b.lastAudit(t)
		require.Equal(t, store.ActionAPIKeyCreate, e.Action)
		require.Equal(t, store.TargetKey(k.ID), e.Target)
		require.Equal(t, `company:12345674 prefix=`+k.Prefix+` scope=write name="ci"`, e.Details)

		keys, err := b.gw.APIKeys(t.Context(), actor(b.own), b.company.ID)
		require.NoError(t, err)
		require.Len(t, keys, 1)

		require.ErrorIs(t, b.gw.RevokeAPIKey(t.Context(), actor(b.own), b.company.ID, k.ID+100), gateway.ErrNotFound)
		require.NoError(t, b.gw.RevokeAPIKey(t.Context(), actor(b.own), b.company.ID, k.ID))
		require.Equal(t, store.ActionAPIKeyRevoke, b.lastAudit(t).Action)
		require.ErrorIs(t, b.gw.RevokeAPIKey(t.Context(), actor(b.own), b.company.ID, k.ID), gateway.ErrNotFound, "revoked already")
	})
}

func TestUserAdministration(t *testing.T) {
	t.Parallel()

	t.Run("AdministratorsOnly", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		pending := b.user(t, "new@example.ro", store.UserPending, false)
		_, err := b.gw.ApproveUser(t.Context(), actor(b.own), pending.ID)
		require.ErrorIs(t, err, gateway.ErrNotAdmin)
		imp := actor(b.own)
		imp.ImpersonatorID, imp.ImpersonatorEmail = b.admin.ID, b.admin.Email
		_, err = b.gw.Users(t.Context(), imp)
		require.ErrorIs(t, err, gateway.ErrNotAdmin, "an admin acting as a user is that user")
	})

	t.Run("NeverTheirOwnAccount", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.gw.RejectUser(t.Context(), actor(b.admin), b.admin.ID)
		require.ErrorIs(t, err, gateway.ErrAdminSelf)
		_, err = b.gw.SetAdmin(t.Context(), actor(b.admin), b.admin.ID, false)
		require.ErrorIs(t, err, gateway.ErrAdminSelf)
	})

	t.Run("ApproveSetAdminAudited", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		pending := b.user(t, "new@example.ro", store.UserPending, false)
		_, err := b.gw.SetAdmin(t.Context(), gateway.Actor{CLI: true}, pending.ID, true)
		require.ErrorIs(t, err, gateway.ErrNotApproved, "the same rule at the command line")
		u, err := b.gw.ApproveUser(t.Context(), actor(b.admin), pending.ID)
		require.NoError(t, err)
		require.Equal(t, store.UserApproved, u.Status)
		e := b.lastAudit(t)
		require.Equal(t, store.ActionUserApprove, e.Action)
		require.Equal(t, store.TargetUser(pending.ID), e.Target)
		require.Equal(t, "email=new@example.ro", e.Details)

		_, err = b.gw.SetAdmin(t.Context(), gateway.Actor{CLI: true}, pending.ID, true)
		require.NoError(t, err)
		e = b.lastAudit(t)
		require.Equal(t, store.ActionUserSetAdmin, e.Action)
		require.Equal(t, "email=new@example.ro admin=true (cli)", e.Details)
	})

	t.Run("Impersonation", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other := b.user(t, "admin2@example.ro", store.UserApproved, true)
		_, err := b.gw.StartImpersonation(t.Context(), actor(b.admin), other.ID)
		require.ErrorIs(t, err, gateway.ErrImpersonateAdmin)
		_, err = b.gw.StartImpersonation(t.Context(), gateway.Actor{CLI: true}, b.own.ID)
		require.ErrorIs(t, err, gateway.ErrNotAdmin)
		_, err = b.gw.StartImpersonation(t.Context(), actor(b.admin), b.own.ID)
		require.NoError(t, err)
		require.Equal(t, store.ActionImpersonateStart, b.lastAudit(t).Action)

		a := actor(b.own)
		a.ImpersonatorID, a.ImpersonatorEmail = b.admin.ID, b.admin.Email
		require.NoError(t, b.gw.StopImpersonation(t.Context(), a))
		e := b.lastAudit(t)
		require.Equal(t, store.ActionImpersonateStop, e.Action)
		require.Equal(t, b.admin.ID, *e.ActorID, "the admin stops it")
		require.Equal(t, store.TargetUser(b.own.ID), e.Target)
	})

	t.Run("CreateUserAndResetPassword", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cli := gateway.Actor{CLI: true}
		u, err := b.gw.CreateUser(t.Context(), cli, gateway.NewUser{Email: "Ion@Example.ro", Password: "parola-lunga-1"})
		require.NoError(t, err)
		require.Equal(t, "ion@example.ro", u.Email)
		require.Equal(t, store.UserApproved, u.Status)
		_, err = b.gw.CreateUser(t.Context(), cli, gateway.NewUser{Email: "ion@example.ro", Password: "parola-lunga-1"})
		require.ErrorIs(t, err, gateway.ErrUserExists)
		_, err = b.gw.ResetPassword(t.Context(), cli, u.ID, "short")
		require.ErrorIs(t, err, gateway.ErrPasswordShort)
		_, err = b.gw.ResetPassword(t.Context(), cli, u.ID, "another-long-one")
		require.NoError(t, err)
		e := b.lastAudit(t)
		require.Equal(t, store.ActionUserResetPassword, e.Action)
		require.Equal(t, store.TargetUser(u.ID), e.Target)
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := actor(b.own)

	imp := a
	imp.ImpersonatorID = b.admin.ID
	_, err := b.gw.ChangePassword(t.Context(), imp, testPassword, "a new long password", "a new long password")
	require.ErrorIs(t, err, gateway.ErrNotFound)

	_, err = b.gw.ChangePassword(t.Context(), a, "wrong", "a new long password", "a new long password")
	var fe gateway.FieldErrors
	require.ErrorAs(t, err, &fe)
	require.Equal(t, gateway.FieldErrors{gateway.ErrPasswordWrong}, fe)
	require.Equal(t, store.ActionUserPasswordFailed, b.lastAudit(t).Action)

	_, err = b.gw.ChangePassword(t.Context(), a, testPassword, testPassword, testPassword)
	require.ErrorAs(t, err, &fe)
	require.Equal(t, gateway.FieldErrors{gateway.ErrPasswordSame}, fe)

	cut, err := b.gw.ChangePassword(t.Context(), a, testPassword, "a new long password", "a new long password")
	require.NoError(t, err)
	require.False(t, cut.IsZero())
	require.Equal(t, store.ActionUserPasswordChange, b.lastAudit(t).Action)
}

func TestCompanySettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	_, err := b.gw.UpdateSettings(ctx, actor(b.mem), b.company.ID, gateway.Settings{Name: "X", SyncIntervalMinutes: 60})
	require.ErrorIs(t, err, gateway.ErrNotFound, "members never change settings")

	_, err = b.gw.UpdateSettings(ctx, actor(b.own), b.company.ID, gateway.Settings{Name: "", SyncIntervalMinutes: 5})
	var fe gateway.FieldErrors
	require.ErrorAs(t, err, &fe)
	require.Equal(t, gateway.FieldErrors{gateway.ErrNameRequired, gateway.ErrIntervalRange}, fe)

	c, err := b.gw.UpdateSettings(ctx, actor(b.own), b.company.ID, gateway.Settings{Name: " BETA ", AutoSync: true, SyncIntervalMinutes: 60})
	require.NoError(t, err)
	require.Equal(t, "BETA", c.Name)
	require.Equal(t, store.ActionCompanyUpdate, b.lastAudit(t).Action)

	_, err = b.gw.DeleteCompany(ctx, actor(b.own), b.company.ID, "RO99")
	require.ErrorIs(t, err, gateway.ErrConfirmMismatch)
	_, err = b.gw.DeleteCompany(ctx, actor(b.mem), b.company.ID, "RO12345674")
	require.ErrorIs(t, err, gateway.ErrNotFound)
	_, err = b.gw.DeleteCompany(ctx, actor(b.own), b.company.ID, "ro12345674")
	require.NoError(t, err)
	e := b.lastAudit(t)
	require.Equal(t, store.ActionCompanyDelete, e.Action)
	require.Equal(t, store.TargetCompany("12345674"), e.Target)
	_, err = b.st.CompanyByID(ctx, b.company.ID)
	require.True(t, errors.Is(err, store.ErrNotFound))
}

// TestConnectionState: one rule for the pages and the API: the first
// consenting member (in the sync engine's order) with a connected grant
// serves the company; without one, the first grant found says why.
func TestConnectionState(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	grant := func(u *store.User, status string) {
		now := time.Now().UTC()
		require.NoError(t, b.st.SaveANAFToken(ctx, &store.ANAFToken{
			UserID: u.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
			ExpiresAt: now.Add(time.Hour), Status: status, UpdatedAt: now,
		}))
	}
	st, err := b.gw.ConnectionState(ctx, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, &gateway.ConnState{Status: gateway.NotConnected}, st)

	grant(b.mem, "reconnect_needed")
	st, err = b.gw.ConnectionState(ctx, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, "reconnect_needed", st.Status)
	require.Zero(t, st.UserID)
	require.NotNil(t, st.ExpiresAt)

	grant(b.own, gateway.TokenConnected)
	st, err = b.gw.ConnectionState(ctx, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, gateway.TokenConnected, st.Status)
	require.Equal(t, b.own.ID, st.UserID)

	conn, err := b.gw.MyANAFConnection(ctx, actor(b.own))
	require.NoError(t, err)
	require.Len(t, conn.Served, 1)
	conn, err = b.gw.MyANAFConnection(ctx, actor(b.mem))
	require.NoError(t, err)
	require.Empty(t, conn.Served, "the owner's grant serves the company")

	require.NoError(t, b.st.SetConsent(ctx, b.company.ID, b.own.ID, false))
	st, err = b.gw.ConnectionState(ctx, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, "reconnect_needed", st.Status, "only consenting members' grants count")

	// The product's states (PRODUCT.md §5): needs_attention as stored; a
	// connected grant whose access token expired is refresh_failed and
	// still serves the company (the sync tries it) unless another is connected.
	require.Equal(t, []string{"connected", "refresh_failed", "needs_attention", "reconnect_needed", "key_missing", "disconnected"}, gateway.ConnStates)
	grant(b.mem, gateway.ConnNeedsAttention)
	st, err = b.gw.ConnectionState(ctx, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, gateway.ConnNeedsAttention, st.Status)
	require.Zero(t, st.UserID)
	conn, err = b.gw.MyANAFConnection(ctx, actor(b.mem))
	require.NoError(t, err)
	require.Equal(t, gateway.ConnNeedsAttention, conn.State)

	require.NoError(t, b.st.SaveANAFToken(ctx, &store.ANAFToken{UserID: b.mem.ID, AccessTokenEnc: []byte("a"), RefreshTokenEnc: []byte("r"),
		ExpiresAt: time.Now().Add(-time.Hour), Status: gateway.ConnConnected}))
	st, err = b.gw.ConnectionState(ctx, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, gateway.ConnRefreshFailed, st.Status)
	require.Equal(t, b.mem.ID, st.UserID)

	require.NoError(t, b.st.SetConsent(ctx, b.company.ID, b.own.ID, true))
	st, err = b.gw.ConnectionState(ctx, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, gateway.ConnConnected, st.Status, "a connected grant is preferred")
	require.Equal(t, b.own.ID, st.UserID)
}
