package gateway_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestUnverifiedSyncRunsShowNoCounts: while a company is unverified its
// sync runs keep their status and error but show nothing a run learnt from
// ANAF (an installation older than verification may have listed messages
// with a token that did not consent); verified, the counts are back.
func TestUnverifiedSyncRunsShowNoCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	run, err := b.st.StartSyncRun(ctx, b.company.ID)
	require.NoError(t, err)
	run.Status, run.Found, run.New, run.Pages, run.Error = store.SyncOK, 11, 11, 1, "first error: x"
	require.NoError(t, b.st.FinishSyncRun(ctx, run))
	p := gateway.UserPrincipal(actor(b.own))

	last, err := b.gw.LastSync(ctx, p, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, store.SyncOK, last.Status)
	require.Zero(t, last.Found)
	require.Zero(t, last.New)
	runs, err := b.gw.SyncRuns(ctx, p, b.company.ID, 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Zero(t, runs[0].Found)

	_, err = b.st.SetCompanyVerified(ctx, b.company.ID, b.own.ID)
	require.NoError(t, err)
	last, err = b.gw.LastSync(ctx, p, b.company.ID)
	require.NoError(t, err)
	require.Equal(t, 11, last.Found)
}

// TestLastOwnerUnderConcurrency: two owners leaving (or stepping down) at
// the same moment never leave a company without an owner, on both
// databases; accepting an invitation or a join request of someone already
// a member answers without error (PostgreSQL aborts a transaction whose
// INSERT failed, so the use case must not rely on that error).
func TestLastOwnerUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		gw := &gateway.Service{Store: st, PasswordParams: auth.TestArgon2Params}
		mk := func(email string) *store.User {
			hash, err := auth.TestArgon2Params.Hash(testPassword)
			require.NoError(t, err)
			u, err := st.CreateUser(ctx, email, hash, false, store.UserApproved)
			require.NoError(t, err)
			return u
		}
		a, b := mk("a@example.ro"), mk("b@example.ro")
		for round := range 15 {
			c, err := st.CreateCompanyWithOwner(ctx, fmt.Sprintf("%d", 50000000+round), "CO", a.ID)
			require.NoError(t, err)
			require.NoError(t, st.InsertMembership(ctx, c.ID, b.ID, store.RoleOwner, false))
			var wg sync.WaitGroup
			for _, u := range []*store.User{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if round%2 == 0 {
						_, _ = gw.Leave(ctx, actor(u), c.ID)
					} else {
						_, _ = gw.SetRole(ctx, actor(u), c.ID, u.ID, store.RoleMember)
					}
				}()
			}
			wg.Wait()
			n, err := st.CountOwners(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, 1, n, "round %d: exactly one owner remains", round)
		}

		// Someone already a member accepts an owner invitation: they become owner.
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA", a.ID)
		require.NoError(t, err)
		inv, err := gw.Invite(ctx, actor(a), c.ID, b.Email, store.RoleOwner)
		require.NoError(t, err)
		// …and joins as a member through another way before answering it.
		require.NoError(t, st.InsertMembership(ctx, c.ID, b.ID, store.RoleMember, false))
		_, err = gw.AnswerInvitation(ctx, actor(b), inv.ID, true)
		require.NoError(t, err)
		role, err := st.MembershipRole(ctx, c.ID, b.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleOwner, role)
		// A join request of someone who is a member already is accepted without error.
		j, err := st.CreateJoinRequest(ctx, c.ID, b.ID)
		require.NoError(t, err)
		_, err = gw.DecideJoinRequest(ctx, actor(a), c.ID, j.ID, true)
		require.NoError(t, err)
	})
}
