package store_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// Tenancy (issue 11): companies verified by ANAF, memberships with
// consent, invitations, join requests, take-over and one-time notices.

func TestCreateCompanyWithOwner(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		owner, other := mkUser(t, st, "owner@example.ro"), mkUser(t, st, "other@example.ro")
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", owner.ID)
		require.NoError(t, err)
		require.Equal(t, "12345674", c.CIF)
		require.Equal(t, store.RoleOwner, c.Role)
		require.True(t, c.Consent, "the creator lends their ANAF connection")
		require.Equal(t, store.CompanyUnverified, c.Status, "unverified until ANAF confirms")
		require.False(t, c.Verified())
		require.Nil(t, c.VerifiedAt)

		m, err := st.MembershipOf(ctx, c.ID, owner.ID)
		require.NoError(t, err)
		require.Equal(t, store.Membership{CompanyID: c.ID, UserID: owner.ID, Role: store.RoleOwner, Consent: true}, *m)
		_, err = st.MembershipOf(ctx, c.ID, other.ID)
		require.ErrorIs(t, err, store.ErrNotFound)

		mine, err := st.CompaniesForUser(ctx, owner.ID)
		require.NoError(t, err)
		require.Len(t, mine, 1)
		require.Equal(t, store.RoleOwner, mine[0].Role)
		require.True(t, mine[0].Consent)
		require.Equal(t, store.CompanyUnverified, mine[0].Status)

		// The CIF exists: nothing is created, no membership is left behind.
		_, err = st.CreateCompanyWithOwner(ctx, "12345674", "COPY", other.ID)
		require.ErrorIs(t, err, store.ErrAlreadyExists)
		theirs, err := st.CompaniesForUser(ctx, other.ID)
		require.NoError(t, err)
		require.Empty(t, theirs)
		n, err := st.CountOwners(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 1, n)

		// Memberships: insert once, roles, consent, not-found cases.
		require.NoError(t, st.InsertMembership(ctx, c.ID, other.ID, store.RoleMember, false))
		require.ErrorIs(t, st.InsertMembership(ctx, c.ID, other.ID, store.RoleOwner, true), store.ErrAlreadyExists)
		require.NoError(t, st.SetRole(ctx, c.ID, other.ID, store.RoleOwner))
		n, err = st.CountOwners(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.NoError(t, st.SetConsent(ctx, c.ID, other.ID, true))
		m, err = st.MembershipOf(ctx, c.ID, other.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleOwner, m.Role)
		require.True(t, m.Consent)
		require.ErrorIs(t, st.SetRole(ctx, c.ID, 999999, store.RoleOwner), store.ErrNotFound)
		require.ErrorIs(t, st.SetConsent(ctx, c.ID, 999999, true), store.ErrNotFound)

		// CompanyOfMember: the company with the member's role and consent
		// in one query (the dashboard's tenant check, issue 16).
		require.NoError(t, st.SetRole(ctx, c.ID, other.ID, store.RoleMember))
		require.NoError(t, st.SetConsent(ctx, c.ID, other.ID, false))
		got, err := st.CompanyOfMember(ctx, c.ID, other.ID)
		require.NoError(t, err)
		want, err := st.CompanyByID(ctx, c.ID)
		require.NoError(t, err)
		want.Role, want.Consent = store.RoleMember, false
		require.Equal(t, want, got)
		got, err = st.CompanyOfMember(ctx, c.ID, owner.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleOwner, got.Role)
		require.True(t, got.Consent)
		stranger := mkUser(t, st, "stranger@example.ro")
		_, err = st.CompanyOfMember(ctx, c.ID, stranger.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = st.CompanyOfMember(ctx, 999999, owner.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestSetCompanyVerified(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		first, second := mkUser(t, st, "first@example.ro"), mkUser(t, st, "second@example.ro")
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", first.ID)
		require.NoError(t, err)

		before := time.Now().Add(-time.Second)
		changed, err := st.SetCompanyVerified(ctx, c.ID, first.ID)
		require.NoError(t, err)
		require.True(t, changed)
		got, err := st.CompanyByID(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, store.CompanyVerified, got.Status)
		require.True(t, got.Verified())
		require.NotNil(t, got.VerifiedAt)
		require.True(t, got.VerifiedAt.After(before))
		verifiedAt := *got.VerifiedAt

		// Once: a later call changes nothing, neither the time nor who.
		changed, err = st.SetCompanyVerified(ctx, c.ID, second.ID)
		require.NoError(t, err)
		require.False(t, changed)
		got, err = st.CompanyByID(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, verifiedAt, *got.VerifiedAt)
		var by int64
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT verified_by FROM companies WHERE id = $1`, c.ID).Scan(&by))
		require.Equal(t, first.ID, by)

		// Another company is untouched; an unknown one is no error.
		other, err := st.CreateCompanyWithOwner(ctx, "98765438", "BETA", second.ID)
		require.NoError(t, err)
		got, err = st.CompanyByID(ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, store.CompanyUnverified, got.Status)
		changed, err = st.SetCompanyVerified(ctx, 999999, first.ID)
		require.NoError(t, err)
		require.False(t, changed)
	})
}

func TestConsentingMembers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		owner := mkUser(t, st, "owner@example.ro")
		plain := mkUser(t, st, "plain@example.ro")     // consents, never worked
		worked := mkUser(t, st, "worked@example.ro")   // consents, token worked earlier
		refuses := mkUser(t, st, "refuses@example.ro") // no consent
		latest := mkUser(t, st, "latest@example.ro")   // consents, token worked last
		owner2 := mkUser(t, st, "owner2@example.ro")   // a second owner, id above plain's
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", owner.ID)
		require.NoError(t, err)
		for _, m := range []struct {
			u       *store.User
			role    string
			consent bool
		}{
			{plain, store.RoleMember, true}, {worked, store.RoleMember, true}, {refuses, store.RoleMember, false},
			{latest, store.RoleMember, true}, {owner2, store.RoleOwner, true},
		} {
			require.NoError(t, st.InsertMembership(ctx, c.ID, m.u.ID, m.role, m.consent))
		}
		// Another company's memberships never count.
		other, err := st.CreateCompanyWithOwner(ctx, "98765438", "BETA", refuses.ID)
		require.NoError(t, err)
		require.NoError(t, st.MarkANAFOK(ctx, other.ID, refuses.ID))

		require.NoError(t, st.MarkANAFOK(ctx, c.ID, worked.ID))
		m, err := st.MembershipOf(ctx, c.ID, worked.ID)
		require.NoError(t, err)
		require.NotNil(t, m.ANAFOKAt)
		require.WithinDuration(t, time.Now(), *m.ANAFOKAt, time.Minute)
		// Fix the order of the two successes (both "now" otherwise).
		t0 := time.Now().UTC().Truncate(time.Second)
		setOK := func(u *store.User, at time.Time) {
			_, err := st.DB().ExecContext(ctx, `UPDATE memberships SET anaf_ok_at = $1 WHERE company_id = $2 AND user_id = $3`,
				st.TimeValue(at), c.ID, u.ID)
			require.NoError(t, err)
		}
		setOK(worked, t0.Add(-2*time.Hour))
		setOK(latest, t0.Add(-time.Hour))

		ids, err := st.ConsentingMembers(ctx, c.ID, t0)
		require.NoError(t, err)
		require.Equal(t, []int64{latest.ID, worked.ID, owner.ID, owner2.ID, plain.ID}, ids,
			"last worked first, then owners, then by id; never one without consent")

		// ANAF refuses the latest one's token: left out for 24 h, then tried again.
		until := t0.Add(24 * time.Hour)
		require.NoError(t, st.MarkANAFDenied(ctx, c.ID, latest.ID, until))
		m, err = st.MembershipOf(ctx, c.ID, latest.ID)
		require.NoError(t, err)
		require.NotNil(t, m.DeniedUntil)
		require.True(t, until.Equal(*m.DeniedUntil))
		for _, at := range []time.Time{t0, t0.Add(23 * time.Hour), until.Add(-time.Microsecond)} {
			ids, err = st.ConsentingMembers(ctx, c.ID, at)
			require.NoError(t, err)
			require.Equal(t, []int64{worked.ID, owner.ID, owner2.ID, plain.ID}, ids, "at %s", at)
		}
		for _, at := range []time.Time{until, until.Add(time.Hour)} {
			ids, err = st.ConsentingMembers(ctx, c.ID, at)
			require.NoError(t, err)
			require.Equal(t, []int64{latest.ID, worked.ID, owner.ID, owner2.ID, plain.ID}, ids, "at %s", at)
		}

		// A success clears the refusal and puts them first.
		require.NoError(t, st.MarkANAFOK(ctx, c.ID, latest.ID))
		m, err = st.MembershipOf(ctx, c.ID, latest.ID)
		require.NoError(t, err)
		require.Nil(t, m.DeniedUntil)
		ids, err = st.ConsentingMembers(ctx, c.ID, time.Now())
		require.NoError(t, err)
		require.Equal(t, []int64{latest.ID, worked.ID, owner.ID, owner2.ID, plain.ID}, ids)

		// Consent turned off (or on) takes effect at once.
		require.NoError(t, st.SetConsent(ctx, c.ID, latest.ID, false))
		require.NoError(t, st.SetConsent(ctx, c.ID, refuses.ID, true))
		ids, err = st.ConsentingMembers(ctx, c.ID, time.Now())
		require.NoError(t, err)
		require.Equal(t, []int64{worked.ID, owner.ID, owner2.ID, plain.ID, refuses.ID}, ids)

		ids, err = st.ConsentingMembers(ctx, 999999, time.Now())
		require.NoError(t, err)
		require.Empty(t, ids)
	})
}

func TestTakeOverCompany(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		squatter := mkUser(t, st, "z-squatter@example.ro")
		friend := mkUser(t, st, "a-friend@example.ro")
		asker := mkUser(t, st, "asker@example.ro")
		rightful := mkUser(t, st, "rightful@example.ro")
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", squatter.ID)
		require.NoError(t, err)
		require.NoError(t, st.InsertMembership(ctx, c.ID, friend.ID, store.RoleMember, false))
		key := func(name string, userID int64) *store.APIKey {
			k := &store.APIKey{CompanyID: c.ID, UserID: userID, Name: name, Prefix: "efk_" + name, Hash: []byte("hash-of-" + name), Scope: store.ScopeRead}
			require.NoError(t, st.CreateAPIKey(ctx, k))
			return k
		}
		key("squatter", squatter.ID)
		key("friend", friend.ID)
		key("cli", 0)
		invite := &store.Invitation{CompanyID: c.ID, Email: "invitee@example.ro", Role: store.RoleMember, InvitedBy: squatter.ID, ExpiresAt: time.Now().Add(time.Hour)}
		require.NoError(t, st.CreateInvitation(ctx, invite))
		join, err := st.CreateJoinRequest(ctx, c.ID, asker.ID)
		require.NoError(t, err)
		// Another company's members, keys and invitations stay as they are.
		other, err := st.CreateCompanyWithOwner(ctx, "98765438", "BETA", squatter.ID)
		require.NoError(t, err)
		otherKey := &store.APIKey{CompanyID: other.ID, UserID: squatter.ID, Name: "o", Prefix: "efk_o", Hash: []byte("hash-o"), Scope: store.ScopeRead}
		require.NoError(t, st.CreateAPIKey(ctx, otherKey))
		otherInvite := &store.Invitation{CompanyID: other.ID, Email: "invitee@example.ro", Role: store.RoleMember, ExpiresAt: time.Now().Add(time.Hour)}
		require.NoError(t, st.CreateInvitation(ctx, otherInvite))

		removed, err := st.TakeOverCompany(ctx, c.ID, rightful.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"a-friend@example.ro", "z-squatter@example.ro"}, removed)

		members, err := st.CompanyMembers(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, []store.Member{{UserID: rightful.ID, Email: "rightful@example.ro", Role: store.RoleOwner, Consent: true}}, members)
		m, err := st.MembershipOf(ctx, c.ID, rightful.ID)
		require.NoError(t, err)
		require.NotNil(t, m.ANAFOKAt, "their token just worked for the CIF")
		keys, err := st.APIKeys(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, keys, 3)
		for _, k := range keys {
			require.NotNil(t, k.RevokedAt, "key %s", k.Name)
		}
		inv, err := st.InvitationByID(ctx, invite.ID)
		require.NoError(t, err)
		require.Equal(t, store.InviteRevoked, inv.Status)
		j, err := st.JoinRequestByID(ctx, join.ID)
		require.NoError(t, err)
		require.Equal(t, store.InviteRevoked, j.Status)
		got, err := st.CompanyByID(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, store.CompanyVerified, got.Status)
		require.NotNil(t, got.VerifiedAt)
		var by int64
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT verified_by FROM companies WHERE id = $1`, c.ID).Scan(&by))
		require.Equal(t, rightful.ID, by)

		// The other company is untouched.
		role, err := st.MembershipRole(ctx, other.ID, squatter.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleOwner, role)
		keys, err = st.APIKeys(ctx, other.ID)
		require.NoError(t, err)
		require.Len(t, keys, 1)
		require.Nil(t, keys[0].RevokedAt)
		inv, err = st.InvitationByID(ctx, otherInvite.ID)
		require.NoError(t, err)
		require.Equal(t, store.InvitePending, inv.Status)

		// A verified company is never taken over; nothing changes.
		_, err = st.TakeOverCompany(ctx, c.ID, squatter.ID)
		require.ErrorIs(t, err, store.ErrAlreadyExists)
		_, err = st.MembershipOf(ctx, c.ID, squatter.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = st.TakeOverCompany(ctx, 999999, squatter.ID)
		require.ErrorIs(t, err, store.ErrNotFound)

		// A member of an unverified company taking it over becomes its owner.
		third, err := st.CreateCompanyWithOwner(ctx, "18547290", "GAMMA", squatter.ID)
		require.NoError(t, err)
		require.NoError(t, st.InsertMembership(ctx, third.ID, friend.ID, store.RoleMember, false))
		require.NoError(t, st.MarkANAFDenied(ctx, third.ID, friend.ID, time.Now().Add(time.Hour)))
		removed, err = st.TakeOverCompany(ctx, third.ID, friend.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"z-squatter@example.ro"}, removed)
		m, err = st.MembershipOf(ctx, third.ID, friend.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleOwner, m.Role)
		require.True(t, m.Consent)
		require.Nil(t, m.DeniedUntil)
		n, err := st.CountOwners(ctx, third.ID)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

func TestInvitations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		owner := mkUser(t, st, "owner@example.ro")
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", owner.ID)
		require.NoError(t, err)
		c2, err := st.CreateCompanyWithOwner(ctx, "98765438", "BETA TRADING SRL", owner.ID)
		require.NoError(t, err)
		in14 := time.Now().Add(14 * 24 * time.Hour)

		inv := &store.Invitation{CompanyID: c.ID, Email: "  Ana@Example.RO ", Role: store.RoleOwner, InvitedBy: owner.ID, ExpiresAt: in14}
		require.NoError(t, st.CreateInvitation(ctx, inv))
		require.NotZero(t, inv.ID)
		require.Equal(t, "ana@example.ro", inv.Email)
		require.Equal(t, store.InvitePending, inv.Status)
		require.WithinDuration(t, time.Now(), inv.CreatedAt, time.Minute)

		got, err := st.InvitationByID(ctx, inv.ID)
		require.NoError(t, err)
		require.Equal(t, inv.ID, got.ID)
		require.Equal(t, c.ID, got.CompanyID)
		require.Equal(t, "ana@example.ro", got.Email)
		require.Equal(t, store.RoleOwner, got.Role)
		require.Equal(t, owner.ID, got.InvitedBy)
		require.Equal(t, store.InvitePending, got.Status)
		require.True(t, in14.Truncate(time.Microsecond).Equal(got.ExpiresAt))
		require.Equal(t, "12345674", got.CompanyCIF)
		require.Equal(t, "ALFA SOFT SRL", got.CompanyName)
		require.Equal(t, "owner@example.ro", got.InviterMail)
		_, err = st.InvitationByID(ctx, 999999)
		require.ErrorIs(t, err, store.ErrNotFound)

		// One pending invitation per company and address.
		dup := &store.Invitation{CompanyID: c.ID, Email: "ANA@example.ro", Role: store.RoleMember, InvitedBy: owner.ID, ExpiresAt: in14}
		require.ErrorIs(t, st.CreateInvitation(ctx, dup), store.ErrAlreadyExists)
		cli := &store.Invitation{CompanyID: c2.ID, Email: "ana@example.ro", Role: store.RoleMember, ExpiresAt: in14} // from the CLI
		require.NoError(t, st.CreateInvitation(ctx, cli))
		bob := &store.Invitation{CompanyID: c.ID, Email: "bob@example.ro", Role: store.RoleMember, InvitedBy: owner.ID, ExpiresAt: in14}
		require.NoError(t, st.CreateInvitation(ctx, bob))
		got, err = st.InvitationByID(ctx, cli.ID)
		require.NoError(t, err)
		require.Zero(t, got.InvitedBy)
		require.Empty(t, got.InviterMail)

		// Listings: unexpired pending ones, newest first.
		mine, err := st.PendingInvitationsForEmail(ctx, "Ana@example.ro", time.Now())
		require.NoError(t, err)
		require.Len(t, mine, 2)
		require.Equal(t, cli.ID, mine[0].ID)
		require.Equal(t, "BETA TRADING SRL", mine[0].CompanyName)
		require.Equal(t, inv.ID, mine[1].ID)
		ofCompany, err := st.PendingInvitationsForCompany(ctx, c.ID, time.Now())
		require.NoError(t, err)
		require.Len(t, ofCompany, 2)
		require.Equal(t, bob.ID, ofCompany[0].ID)
		require.Equal(t, inv.ID, ofCompany[1].ID)

		// Expiry: listed until expires_at, not after, and no longer decidable.
		mine, err = st.PendingInvitationsForEmail(ctx, "ana@example.ro", in14.Add(time.Second))
		require.NoError(t, err)
		require.Empty(t, mine)
		_, err = st.DB().ExecContext(ctx, `UPDATE invitations SET expires_at = $1 WHERE id = $2`, st.TimeValue(time.Now().Add(-time.Minute)), bob.ID)
		require.NoError(t, err)
		ofCompany, err = st.PendingInvitationsForCompany(ctx, c.ID, time.Now())
		require.NoError(t, err)
		require.Len(t, ofCompany, 1)
		require.Equal(t, inv.ID, ofCompany[0].ID)
		require.ErrorIs(t, st.DecideInvitation(ctx, bob.ID, store.InviteAccepted), store.ErrNotFound)
		// An expired invitation does not block a new one to the same address.
		bob2 := &store.Invitation{CompanyID: c.ID, Email: "bob@example.ro", Role: store.RoleMember, InvitedBy: owner.ID, ExpiresAt: in14}
		require.NoError(t, st.CreateInvitation(ctx, bob2))
		got, err = st.InvitationByID(ctx, bob.ID)
		require.NoError(t, err)
		require.NotEqual(t, store.InvitePending, got.Status)

		// Decided only once, whatever the answer.
		require.NoError(t, st.DecideInvitation(ctx, inv.ID, store.InviteAccepted))
		got, err = st.InvitationByID(ctx, inv.ID)
		require.NoError(t, err)
		require.Equal(t, store.InviteAccepted, got.Status)
		for _, status := range []string{store.InviteAccepted, store.InviteDeclined, store.InviteRevoked} {
			require.ErrorIs(t, st.DecideInvitation(ctx, inv.ID, status), store.ErrNotFound, status)
		}
		got, err = st.InvitationByID(ctx, inv.ID)
		require.NoError(t, err)
		require.Equal(t, store.InviteAccepted, got.Status)
		require.NoError(t, st.DecideInvitation(ctx, bob2.ID, store.InviteDeclined))
		require.ErrorIs(t, st.DecideInvitation(ctx, bob2.ID, store.InviteAccepted), store.ErrNotFound)
		require.NoError(t, st.DecideInvitation(ctx, cli.ID, store.InviteRevoked))
		require.ErrorIs(t, st.DecideInvitation(ctx, 999999, store.InviteAccepted), store.ErrNotFound)
		mine, err = st.PendingInvitationsForEmail(ctx, "ana@example.ro", time.Now())
		require.NoError(t, err)
		require.Empty(t, mine)
		// A decided invitation does not block a new one either.
		again := &store.Invitation{CompanyID: c.ID, Email: "ana@example.ro", Role: store.RoleMember, InvitedBy: owner.ID, ExpiresAt: in14}
		require.NoError(t, st.CreateInvitation(ctx, again))

		// Deleting the company deletes its invitations.
		require.NoError(t, st.DeleteCompany(ctx, c.ID))
		_, err = st.InvitationByID(ctx, again.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestJoinRequestsStore(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		owner := mkUser(t, st, "owner@example.ro")
		ana, bob := mkUser(t, st, "ana@example.ro"), mkUser(t, st, "bob@example.ro")
		c, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", owner.ID)
		require.NoError(t, err)
		c2, err := st.CreateCompanyWithOwner(ctx, "98765438", "BETA TRADING SRL", owner.ID)
		require.NoError(t, err)

		ja, err := st.CreateJoinRequest(ctx, c.ID, ana.ID)
		require.NoError(t, err)
		require.NotZero(t, ja.ID)
		require.Equal(t, store.InvitePending, ja.Status)
		_, err = st.CreateJoinRequest(ctx, c.ID, ana.ID)
		require.ErrorIs(t, err, store.ErrAlreadyExists, "one pending request per company and user")
		jb, err := st.CreateJoinRequest(ctx, c.ID, bob.ID)
		require.NoError(t, err)
		ja2, err := st.CreateJoinRequest(ctx, c2.ID, ana.ID)
		require.NoError(t, err)

		got, err := st.JoinRequestByID(ctx, ja.ID)
		require.NoError(t, err)
		require.Equal(t, c.ID, got.CompanyID)
		require.Equal(t, ana.ID, got.UserID)
		require.Equal(t, "ana@example.ro", got.Email)
		require.Equal(t, "12345674", got.CompanyCIF)
		require.Equal(t, "ALFA SOFT SRL", got.CompanyName)
		require.Equal(t, store.InvitePending, got.Status)
		_, err = st.JoinRequestByID(ctx, 999999)
		require.ErrorIs(t, err, store.ErrNotFound)

		toDecide, err := st.PendingJoinRequestsToDecide(ctx, owner.ID)
		require.NoError(t, err)
		require.Len(t, toDecide, 3, "the owner decides on both companies' requests")
		require.Equal(t, []int64{ja.ID, jb.ID, ja2.ID}, []int64{toDecide[0].ID, toDecide[1].ID, toDecide[2].ID})
		toDecide, err = st.PendingJoinRequestsToDecide(ctx, ana.ID)
		require.NoError(t, err)
		require.Empty(t, toDecide, "a requester owns none of them")

		ofCompany, err := st.PendingJoinRequestsForCompany(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, ofCompany, 2)
		require.Equal(t, ja.ID, ofCompany[0].ID, "oldest first")
		require.Equal(t, jb.ID, ofCompany[1].ID)
		ofAna, err := st.PendingJoinRequestsForUser(ctx, ana.ID)
		require.NoError(t, err)
		require.Len(t, ofAna, 2)
		require.Equal(t, ja.ID, ofAna[0].ID)
		require.Equal(t, ja2.ID, ofAna[1].ID)
		require.Equal(t, "BETA TRADING SRL", ofAna[1].CompanyName)

		// Decided once, recording who decided.
		require.NoError(t, st.DecideJoinRequest(ctx, ja.ID, store.InviteAccepted, owner.ID))
		require.ErrorIs(t, st.DecideJoinRequest(ctx, ja.ID, store.InviteDeclined, owner.ID), store.ErrNotFound)
		got, err = st.JoinRequestByID(ctx, ja.ID)
		require.NoError(t, err)
		require.Equal(t, store.InviteAccepted, got.Status)
		var decidedBy sql.NullInt64
		require.NoError(t, st.DB().QueryRowContext(ctx, `SELECT decided_by FROM join_requests WHERE id = $1`, ja.ID).Scan(&decidedBy))
		require.Equal(t, owner.ID, decidedBy.Int64)
		require.NoError(t, st.DecideJoinRequest(ctx, jb.ID, store.InviteDeclined, owner.ID))
		require.ErrorIs(t, st.DecideJoinRequest(ctx, 999999, store.InviteDeclined, owner.ID), store.ErrNotFound)
		ofCompany, err = st.PendingJoinRequestsForCompany(ctx, c.ID)
		require.NoError(t, err)
		require.Empty(t, ofCompany)
		ofAna, err = st.PendingJoinRequestsForUser(ctx, ana.ID)
		require.NoError(t, err)
		require.Len(t, ofAna, 1)
		require.Equal(t, ja2.ID, ofAna[0].ID)

		// After a decision the user may ask again.
		_, err = st.CreateJoinRequest(ctx, c.ID, bob.ID)
		require.NoError(t, err)
	})
}

func TestTakeNotice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u, other := mkUser(t, st, "u@example.ro"), mkUser(t, st, "other@example.ro")
		n, err := st.TakeNotice(ctx, u.ID)
		require.NoError(t, err)
		require.Empty(t, n)
		_, err = st.DB().ExecContext(ctx, `UPDATE users SET notice = 'consent_off' WHERE id = $1 OR id = $2`, u.ID, other.ID)
		require.NoError(t, err)
		n, err = st.TakeNotice(ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, "consent_off", n)
		n, err = st.TakeNotice(ctx, u.ID)
		require.NoError(t, err)
		require.Empty(t, n, "shown once")
		n, err = st.TakeNotice(ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, "consent_off", n, "each user's own")
		_, err = st.TakeNotice(ctx, 999999)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

// TestMigrateTenancy puts data of the model before issue 11 into a schema
// at version 4 and migrates it: owners keep consent, members lose it and
// are told once; a company stays verified only when a sync succeeded and
// no member holding an ANAF token was left without consent.
func TestMigrateTenancy(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			st, _ := storetest.Fresh(t, d)
			ctx := t.Context()
			require.NoError(t, st.MigrateUpTo(ctx, 4))
			cur, _, err := st.MigrationStatus(ctx)
			require.NoError(t, err)
			require.Equal(t, int64(4), cur)

			db := st.DB()
			ts := st.TimeValue(time.Now().Add(-24 * time.Hour))
			exec := func(q string, args ...any) {
				t.Helper()
				_, err := db.ExecContext(ctx, q, args...)
				require.NoError(t, err, q)
			}
			insertID := func(q string, args ...any) int64 {
				t.Helper()
				var id int64
				require.NoError(t, db.QueryRowContext(ctx, q+` RETURNING id`, args...).Scan(&id), q)
				return id
			}
			user := func(email string) int64 {
				return insertID(`INSERT INTO users (email, password_hash, status, created_at) VALUES ($1, 'h', 'approved', $2)`, email, ts)
			}
			company := func(cif, name string) int64 {
				return insertID(`INSERT INTO companies (cif, name, created_at) VALUES ($1, $2, $3)`, cif, name, ts)
			}
			member := func(c, u int64, role string) {
				exec(`INSERT INTO memberships (company_id, user_id, role) VALUES ($1, $2, $3)`, c, u, role)
			}
			token := func(u int64) {
				exec(`INSERT INTO anaf_tokens (user_id, access_token_enc, refresh_token_enc, expires_at, status, updated_at)
					VALUES ($1, $2, $3, $4, 'connected', $4)`, u, []byte("a"), []byte("r"), ts)
			}
			syncRun := func(c int64, status string) {
				exec(`INSERT INTO sync_runs (company_id, started_at, finished_at, status) VALUES ($1, $2, $2, $3)`, c, ts, status)
			}

			// ALFA: owner and member both hold a token; a sync succeeded
			// (possibly with the member's token): unverified now.
			alfaOwner, alfaMember := user("alfa-owner@example.ro"), user("alfa-member@example.ro")
			alfa := company("12345674", "ALFA SOFT SRL")
			member(alfa, alfaOwner, "owner")
			member(alfa, alfaMember, "member")
			token(alfaOwner)
			token(alfaMember)
			syncRun(alfa, "ok")
			// BETA: the owner is the only member holding a token; its
			// member has none; a sync succeeded: it stays verified.
			betaOwner, betaMember := user("beta-owner@example.ro"), user("beta-member@example.ro")
			beta := company("98765438", "BETA TRADING SRL")
			member(beta, betaOwner, "owner")
			member(beta, betaMember, "member")
			token(betaOwner)
			syncRun(beta, "failed")
			syncRun(beta, "ok")
			// GAMMA: the owner holds a token but no sync ever succeeded.
			gammaOwner := user("gamma-owner@example.ro")
			gamma := company("18547290", "GAMMA SRL")
			member(gamma, gammaOwner, "owner")
			token(gammaOwner)
			syncRun(gamma, "failed")
			// A user without any company.
			loner := user("loner@example.ro")

			require.NoError(t, st.Migrate(ctx))
			cur, latest, err := st.MigrationStatus(ctx)
			require.NoError(t, err)
			require.Equal(t, latest, cur)

			for _, x := range []struct {
				c, u    int64
				consent bool
			}{{alfa, alfaOwner, true}, {alfa, alfaMember, false}, {beta, betaOwner, true}, {beta, betaMember, false}, {gamma, gammaOwner, true}} {
				m, err := st.MembershipOf(ctx, x.c, x.u)
				require.NoError(t, err)
				require.Equal(t, x.consent, m.Consent, "company %d user %d", x.c, x.u)
				require.Nil(t, m.ANAFOKAt)
				require.Nil(t, m.DeniedUntil)
			}
			for u, want := range map[int64]string{alfaOwner: "", alfaMember: "consent_off", betaOwner: "", betaMember: "consent_off", gammaOwner: "", loner: ""} {
				var notice string
				require.NoError(t, db.QueryRowContext(ctx, `SELECT notice FROM users WHERE id = $1`, u).Scan(&notice))
				require.Equal(t, want, notice, "user %d", u)
			}
			for c, want := range map[int64]string{alfa: store.CompanyUnverified, beta: store.CompanyVerified, gamma: store.CompanyUnverified} {
				got, err := st.CompanyByID(ctx, c)
				require.NoError(t, err)
				require.Equal(t, want, got.Status, got.Name)
				require.Equal(t, want == store.CompanyVerified, got.VerifiedAt != nil, got.Name)
			}

			// Audited as the system (no actor).
			rows, err := db.QueryContext(ctx, `SELECT actor_id, action, target, details FROM audit_events
				WHERE action IN ('membership.consent_migrated', 'company.status_migrated') ORDER BY action, target, details`)
			require.NoError(t, err)
			defer rows.Close()
			type event struct{ action, target, details string }
			var events []event
			for rows.Next() {
				var actor sql.NullInt64
				var e event
				require.NoError(t, rows.Scan(&actor, &e.action, &e.target, &e.details))
				require.False(t, actor.Valid, "actor_id is NULL: %+v", e)
				events = append(events, e)
			}
			require.NoError(t, rows.Err())
			require.Equal(t, []event{
				{"company.status_migrated", "company:12345674", "actor=system status=unverified"},
				{"company.status_migrated", "company:18547290", "actor=system status=unverified"},
				{"company.status_migrated", "company:98765438", "actor=system status=verified"},
				{"membership.consent_migrated", "company:12345674", "actor=system user=alfa-member@example.ro consent=off"},
				{"membership.consent_migrated", "company:12345674", "actor=system user=alfa-owner@example.ro consent=on"},
				{"membership.consent_migrated", "company:18547290", "actor=system user=gamma-owner@example.ro consent=on"},
				{"membership.consent_migrated", "company:98765438", "actor=system user=beta-member@example.ro consent=off"},
				{"membership.consent_migrated", "company:98765438", "actor=system user=beta-owner@example.ro consent=on"},
			}, events)

			// The migrated schema works with the new methods.
			ids, err := st.ConsentingMembers(ctx, beta, time.Now())
			require.NoError(t, err)
			require.Equal(t, []int64{betaOwner}, ids)
			n, err := st.TakeNotice(ctx, alfaMember)
			require.NoError(t, err)
			require.Equal(t, "consent_off", n)

			// The migration rolls back and applies again.
			require.NoError(t, st.MigrateDownTo(ctx, 4))
			cur, _, err = st.MigrationStatus(ctx)
			require.NoError(t, err)
			require.Equal(t, int64(4), cur)
			require.NoError(t, st.Migrate(ctx))
			got, err := st.CompanyByID(ctx, beta)
			require.NoError(t, err)
			require.Equal(t, store.CompanyVerified, got.Status)
		})
	}
}

func TestCompanyMembers(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := t.Context()
	c := mkCompany(t, st, "12345674")
	owner, member := mkUser(t, st, "z-owner@example.ro"), mkUser(t, st, "a-member@example.ro")
	require.NoError(t, st.AddMembership(ctx, c.ID, owner.ID, store.RoleOwner))
	require.NoError(t, st.AddMembership(ctx, c.ID, member.ID, store.RoleMember))
	got, err := st.CompanyMembers(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Member{
		{UserID: owner.ID, Email: "z-owner@example.ro", Role: store.RoleOwner, Consent: true},
		{UserID: member.ID, Email: "a-member@example.ro", Role: store.RoleMember},
	}, got)
}
