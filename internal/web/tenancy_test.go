package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
)

// The tenancy pages of issue 11: invitations the invitee accepts, join
// requests the owners decide, consent to lend one's ANAF connection,
// leaving, roles, unverified companies and the one-time notice.

// pendingInvitation returns the one pending invitation of email.
func (b *testBundle) pendingInvitation(t *testing.T, email string) store.Invitation {
	t.Helper()
	invs, err := b.st.PendingInvitationsForEmail(t.Context(), email, time.Now())
	require.NoError(t, err)
	require.Len(t, invs, 1, "pending invitations of %s", email)
	return invs[0]
}

// auditActions lists the actions of the last audit events, newest first.
func (b *testBundle) auditActions(t *testing.T) []string {
	t.Helper()
	events, err := b.st.AuditEvents(t.Context(), 100)
	require.NoError(t, err)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	return actions
}

// sqlTime is a time as the dialect stores it (TEXT on SQLite).
func (b *testBundle) sqlTime(t time.Time) any {
	if b.st.Dialect() == store.SQLite {
		return t.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	return t
}

func TestInvitationAcceptAndConsent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	acct := b.user(t, "accountant@example.ro", store.UserApproved, false)
	other := b.user(t, "other@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	inv := b.invoiceOf(t, c, "4001", "AS-1", "ALFA SOFT SRL")
	id := itoa(c.ID)
	ob, ab, xb := b.browser(t), b.browser(t), b.browser(t)
	ob.login(owner.Email)
	ab.login(acct.Email)
	xb.login(other.Email)

	// Before any invitation the page says there is none.
	p := ab.get("/invitations")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "Nu aveți invitații în așteptare.")

	p = ob.post("/companies/"+id+"/members", url.Values{"email": {" Accountant@Example.ro "}, "role": {"member"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	invitation := b.pendingInvitation(t, acct.Email)
	require.Equal(t, c.ID, invitation.CompanyID)
	require.Equal(t, "accountant@example.ro", invitation.Email)
	require.Equal(t, store.RoleMember, invitation.Role)
	require.WithinDuration(t, time.Now().Add(14*24*time.Hour), invitation.ExpiresAt, time.Minute, "valid 14 days")
	// Nothing changes for the invitee before they answer.
	_, err := b.st.MembershipOf(t.Context(), c.ID, acct.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Equal(t, http.StatusNotFound, ab.get("/invoices/"+itoa(inv.ID)).Status)
	// The owner sees it pending, with a revoke button.
	body := ob.get("/companies/" + id).Body
	require.Contains(t, body, "Invitații în așteptare")
	require.Contains(t, body, "/companies/"+id+"/invitations/"+itoa(invitation.ID)+"/revoke")

	// The invitee sees it on their invitations page, in Romanian...
	p = ab.get("/invitations")
	require.Equal(t, http.StatusOK, p.Status)
	for _, want := range []string{"Invitații", "BETA TRADING SRL", "98765438", "owner@example.ro", "membru", "Acceptă", "Refuză",
		"Invitat de", "Valabilă până la", "/invitations/" + itoa(invitation.ID) + "/accept", "/invitations/" + itoa(invitation.ID) + "/decline"} {
		require.Contains(t, p.Body, want)
	}
	require.Regexp(t, `<td>\d{2}\.\d{2}\.\d{4}</td>`, p.Body, "dd.mm.yyyy on Romanian pages")
	// ...and in English.
	p = ab.get("/invitations?lang=en")
	require.Equal(t, http.StatusOK, p.Status)
	for _, want := range []string{"Invitations", "BETA TRADING SRL", "owner@example.ro", "member", "Accept", "Decline", "Invited by", "Valid until"} {
		require.Contains(t, p.Body, want)
	}
	require.NotContains(t, p.Body, "Acceptă")
	require.Regexp(t, `<td>\d{1,2} [A-Z][a-z]{2} \d{4}</td>`, p.Body, "7 Jan 2026 on English pages")
	ab.get("/invitations?lang=ro")
	// Nobody else sees it or can answer it.
	require.NotContains(t, xb.get("/invitations").Body, "BETA TRADING SRL")
	require.Equal(t, http.StatusNotFound, xb.post("/invitations/"+itoa(invitation.ID)+"/accept", nil).Status)
	require.Equal(t, http.StatusNotFound, xb.post("/invitations/"+itoa(invitation.ID)+"/decline", nil).Status)
	require.Equal(t, http.StatusNotFound, xb.post("/invitations/999999/accept", nil).Status)
	require.Equal(t, http.StatusNotFound, xb.post("/invitations/abc/accept", nil).Status)
	_, err = b.st.MembershipOf(t.Context(), c.ID, other.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Accepting makes them a member with consent off.
	p = ab.post("/invitations/"+itoa(invitation.ID)+"/accept", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/companies", p.Location)
	body = ab.get(p.Location).Body
	require.Contains(t, body, "Ați acceptat invitația: sunteți membru al companiei BETA TRADING SRL.")
	require.Contains(t, body, "nefolosită")
	require.Contains(t, body, "Folosește conexiunea mea ANAF")
	m, err := b.st.MembershipOf(t.Context(), c.ID, acct.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleMember, m.Role)
	require.False(t, m.Consent, "an invited member does not lend their ANAF connection by default")
	require.Equal(t, http.StatusOK, ab.get("/invoices/"+itoa(inv.ID)).Status)
	// The invitation is answered: gone from the page, and not twice.
	require.Contains(t, ab.get("/invitations").Body, "Nu aveți invitații în așteptare.")
	require.Equal(t, http.StatusNotFound, ab.post("/invitations/"+itoa(invitation.ID)+"/accept", nil).Status)
	require.Equal(t, http.StatusNotFound, ab.post("/invitations/"+itoa(invitation.ID)+"/decline", nil).Status)
	require.NotContains(t, ob.get("/companies/"+id).Body, "/invitations/"+itoa(invitation.ID)+"/revoke")

	// Consent on, then off again.
	p = ab.post("/companies/"+id+"/consent", url.Values{"consent": {"on"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	body = ab.get(p.Location).Body
	require.Contains(t, body, "Conexiunea dvs. ANAF poate fi folosită pentru BETA TRADING SRL")
	require.Contains(t, body, "Nu mai folosi")
	m, err = b.st.MembershipOf(t.Context(), c.ID, acct.ID)
	require.NoError(t, err)
	require.True(t, m.Consent)
	require.Contains(t, ob.get("/companies/"+id).Body, "accountant@example.ro <span class=\"muted\"", "the owner sees who lends their connection")
	p = ab.post("/companies/"+id+"/consent", url.Values{"consent": {"off"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, ab.get(p.Location).Body, "Conexiunea dvs. ANAF nu mai este folosită pentru BETA TRADING SRL.")
	m, err = b.st.MembershipOf(t.Context(), c.ID, acct.ID)
	require.NoError(t, err)
	require.False(t, m.Consent)
	// Only one's own consent, only as a member.
	require.Equal(t, http.StatusNotFound, xb.post("/companies/"+id+"/consent", url.Values{"consent": {"on"}}).Status)
	_, err = b.st.MembershipOf(t.Context(), c.ID, other.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	actions := b.auditActions(t)
	for _, want := range []string{"company.invite", "company.invite_accept", "company.consent"} {
		require.Contains(t, actions, want)
	}
}

func TestInvitationDeclineRevokeAndExpiry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	dana := b.user(t, "dana@example.ro", store.UserApproved, false)
	emil := b.user(t, "emil@example.ro", store.UserApproved, false)
	flor := b.user(t, "flor@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	id := itoa(c.ID)
	ob, db, eb, fb := b.browser(t), b.browser(t), b.browser(t), b.browser(t)
	ob.login(owner.Email)
	db.login(dana.Email)
	eb.login(emil.Email)
	fb.login(flor.Email)
	for _, e := range []string{dana.Email, emil.Email, flor.Email} {
		p := ob.post("/companies/"+id+"/members", url.Values{"email": {e}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	}

	t.Run("Decline", func(t *testing.T) {
		inv := b.pendingInvitation(t, dana.Email)
		p := db.post("/invitations/"+itoa(inv.ID)+"/decline", nil)
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		require.Equal(t, "/invitations", p.Location)
		body := db.get(p.Location).Body
		require.Contains(t, body, "Ați refuzat invitația companiei BETA TRADING SRL.")
		require.Contains(t, body, "Nu aveți invitații în așteptare.")
		_, err := b.st.MembershipOf(t.Context(), c.ID, dana.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		got, err := b.st.InvitationByID(t.Context(), inv.ID)
		require.NoError(t, err)
		require.Equal(t, store.InviteDeclined, got.Status)
		require.Equal(t, http.StatusNotFound, db.post("/invitations/"+itoa(inv.ID)+"/accept", nil).Status, "a declined invitation cannot be accepted")
		require.Contains(t, b.auditActions(t), "company.invite_decline")
	})

	t.Run("Revoke", func(t *testing.T) {
		inv := b.pendingInvitation(t, emil.Email)
		// Only an owner of the company revokes it.
		require.Equal(t, http.StatusNotFound, eb.post("/companies/"+id+"/invitations/"+itoa(inv.ID)+"/revoke", nil).Status)
		p := ob.post("/companies/"+id+"/invitations/"+itoa(inv.ID)+"/revoke", nil)
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		require.Equal(t, "/companies/"+id, p.Location)
		body := ob.get(p.Location).Body
		require.Contains(t, body, "Invitația a fost retrasă.")
		require.NotContains(t, body, "emil@example.ro")
		got, err := b.st.InvitationByID(t.Context(), inv.ID)
		require.NoError(t, err)
		require.Equal(t, store.InviteRevoked, got.Status)
		require.NotContains(t, eb.get("/invitations").Body, "BETA TRADING SRL")
		require.Equal(t, http.StatusNotFound, eb.post("/invitations/"+itoa(inv.ID)+"/accept", nil).Status)
		_, err = b.st.MembershipOf(t.Context(), c.ID, emil.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		// Revoking twice, or through another company's path, is a 404.
		require.Equal(t, http.StatusNotFound, ob.post("/companies/"+id+"/invitations/"+itoa(inv.ID)+"/revoke", nil).Status)
		other := b.company(t, "12345674", "ALFA SOFT SRL", owner)
		p = ob.post("/companies/"+id+"/members", url.Values{"email": {emil.Email}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body, "a revoked invitation does not block a new one")
		again := b.pendingInvitation(t, emil.Email)
		require.Equal(t, http.StatusNotFound, ob.post("/companies/"+itoa(other.ID)+"/invitations/"+itoa(again.ID)+"/revoke", nil).Status)
		require.Contains(t, b.auditActions(t), "company.invite_revoke")
	})

	t.Run("ExpiresAfter14Days", func(t *testing.T) {
		inv := b.pendingInvitation(t, flor.Email)
		require.Contains(t, fb.get("/invitations").Body, "/invitations/"+itoa(inv.ID)+"/accept")
		_, err := b.st.DB().ExecContext(t.Context(), `UPDATE invitations SET expires_at = $1 WHERE id = $2`,
			b.sqlTime(time.Now().Add(-time.Hour)), inv.ID)
		require.NoError(t, err)
		body := fb.get("/invitations").Body
		require.NotContains(t, body, "BETA TRADING SRL")
		require.Contains(t, body, "Nu aveți invitații în așteptare.")
		require.NotContains(t, ob.get("/companies/"+id).Body, "flor@example.ro", "the owner no longer sees it pending")
		require.Equal(t, http.StatusNotFound, fb.post("/invitations/"+itoa(inv.ID)+"/accept", nil).Status)
		_, err = b.st.MembershipOf(t.Context(), c.ID, flor.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		// The owner may invite the address again.
		p := ob.post("/companies/"+id+"/members", url.Values{"email": {flor.Email}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		fresh := b.pendingInvitation(t, flor.Email)
		require.NotEqual(t, inv.ID, fresh.ID)
		require.Equal(t, http.StatusSeeOther, fb.post("/invitations/"+itoa(fresh.ID)+"/accept", nil).Status)
		_, err = b.st.MembershipOf(t.Context(), c.ID, flor.ID)
		require.NoError(t, err)
	})
}

func TestJoinRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	gina := b.user(t, "gina@example.ro", store.UserApproved, false)
	horia := b.user(t, "horia@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	id := itoa(c.ID)
	ob, gb, hb := b.browser(t), b.browser(t), b.browser(t)
	ob.login(owner.Email)
	gb.login(gina.Email)
	hb.login(horia.Email)

	for _, br := range []*browser{gb, hb} {
		p := br.post("/companies", url.Values{"cif": {"RO98765438"}, "name": {"BETA"}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		require.Contains(t, br.get(p.Location).Body, "cerere de alăturare")
	}
	// Asking twice keeps one request.
	require.Equal(t, http.StatusSeeOther, gb.post("/companies", url.Values{"cif": {"98765438"}, "name": {"BETA"}}).Status)
	joins, err := b.st.PendingJoinRequestsForCompany(t.Context(), c.ID)
	require.NoError(t, err)
	require.Len(t, joins, 2)
	require.Equal(t, gina.ID, joins[0].UserID)
	require.Equal(t, horia.ID, joins[1].UserID)
	// The requester sees their own pending request.
	body := gb.get("/invitations").Body
	require.Contains(t, body, "Cererile dvs. de alăturare (în așteptare)")
	require.Contains(t, body, "CIF 98765438")
	require.NotContains(t, body, "BETA TRADING SRL", "a requester learns no more than the CIF they typed")
	// The owner sees both on the company page; nobody else decides.
	body = ob.get("/companies/" + id).Body
	require.Contains(t, body, "Cereri de alăturare")
	require.Contains(t, body, "gina@example.ro")
	require.Contains(t, body, "/companies/"+id+"/join-requests/"+itoa(joins[0].ID)+"/accept")
	require.Equal(t, http.StatusNotFound, gb.post("/companies/"+id+"/join-requests/"+itoa(joins[0].ID)+"/accept", nil).Status)
	require.Equal(t, http.StatusNotFound, hb.post("/companies/"+id+"/join-requests/"+itoa(joins[0].ID)+"/accept", nil).Status)

	// Accept Gina: member, consent off.
	p := ob.post("/companies/"+id+"/join-requests/"+itoa(joins[0].ID)+"/accept", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, ob.get(p.Location).Body, "gina@example.ro a devenit membru.")
	m, err := b.st.MembershipOf(t.Context(), c.ID, gina.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleMember, m.Role)
	require.False(t, m.Consent)
	require.NotContains(t, gb.get("/invitations").Body, "Cererile dvs. de alăturare")
	// Decline Horia: not a member; the request is gone.
	horiaReqID := joins[1].ID
	horiaReq := itoa(horiaReqID)
	p = ob.post("/companies/"+id+"/join-requests/"+horiaReq+"/decline", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, ob.get(p.Location).Body, "Cererea lui horia@example.ro a fost refuzată.")
	_, err = b.st.MembershipOf(t.Context(), c.ID, horia.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	joins, err = b.st.PendingJoinRequestsForCompany(t.Context(), c.ID)
	require.NoError(t, err)
	require.Empty(t, joins)
	// A decided request is not decided again.
	jr, err := b.st.JoinRequestByID(t.Context(), horiaReqID)
	require.NoError(t, err)
	require.Equal(t, store.InviteDeclined, jr.Status)
	require.Equal(t, http.StatusNotFound, ob.post("/companies/"+id+"/join-requests/"+horiaReq+"/accept", nil).Status)
	_, err = b.st.MembershipOf(t.Context(), c.ID, horia.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	actions := b.auditActions(t)
	for _, want := range []string{"company.join_request", "company.join_accept", "company.join_decline"} {
		require.Contains(t, actions, want)
	}
}

func TestLeaveRolesAndHandOver(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	ion := b.user(t, "ion@example.ro", store.UserApproved, false)
	jana := b.user(t, "jana@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	id := itoa(c.ID)
	ob, ib, jb := b.browser(t), b.browser(t), b.browser(t)
	ob.login(owner.Email)
	ib.login(ion.Email)
	jb.login(jana.Email)
	for _, x := range []struct {
		br *browser
		u  *store.User
	}{{ib, ion}, {jb, jana}} {
		require.Equal(t, http.StatusSeeOther, ob.post("/companies/"+id+"/members", url.Values{"email": {x.u.Email}}).Status)
		inv := b.pendingInvitation(t, x.u.Email)
		require.Equal(t, http.StatusSeeOther, x.br.post("/invitations/"+itoa(inv.ID)+"/accept", nil).Status)
	}
	role := func(u *store.User) string {
		t.Helper()
		r, err := b.st.MembershipRole(t.Context(), c.ID, u.ID)
		if err != nil {
			require.ErrorIs(t, err, store.ErrNotFound)
			return ""
		}
		return r
	}

	// The last owner cannot leave, nor step down.
	p := ob.post("/companies/"+id+"/leave", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, ob.get(p.Location).Body, "Ultimul proprietar nu poate pleca")
	require.Equal(t, store.RoleOwner, role(owner))
	p = ob.post("/companies/"+id+"/members/"+itoa(owner.ID)+"/role", url.Values{"role": {"member"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, ob.get(p.Location).Body, "Ultimul proprietar nu poate pleca și nu poate renunța la rol")
	require.Equal(t, store.RoleOwner, role(owner))

	// Members change no roles.
	require.Equal(t, http.StatusNotFound, ib.post("/companies/"+id+"/members/"+itoa(ion.ID)+"/role", url.Values{"role": {"owner"}}).Status)
	require.Equal(t, http.StatusNotFound, ib.post("/companies/"+id+"/members/"+itoa(ion.ID)+"/handover", nil).Status)
	require.Equal(t, store.RoleMember, role(ion))

	// The owner makes Ion owner and member again; a bad role is refused.
	p = ob.post("/companies/"+id+"/members/"+itoa(ion.ID)+"/role", url.Values{"role": {"owner"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, ob.get(p.Location).Body, "Rolul lui ion@example.ro este acum: proprietar.")
	require.Equal(t, store.RoleOwner, role(ion))
	require.Equal(t, http.StatusOK, ib.get("/companies/"+id).Status, "an owner reaches the settings")
	p = ob.post("/companies/"+id+"/members/"+itoa(ion.ID)+"/role", url.Values{"role": {"member"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, store.RoleMember, role(ion))
	require.Equal(t, http.StatusNotFound, ib.get("/companies/"+id).Status)
	p = ob.post("/companies/"+id+"/members/"+itoa(ion.ID)+"/role", url.Values{"role": {"admin"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, ob.get(p.Location).Body, "Rolul trebuie să fie proprietar sau membru.")
	require.Equal(t, store.RoleMember, role(ion))
	require.Equal(t, http.StatusNotFound, ob.post("/companies/"+id+"/members/999999/role", url.Values{"role": {"owner"}}).Status)

	// A member leaves: out, and their API keys of the company revoked.
	key := &store.APIKey{CompanyID: c.ID, UserID: jana.ID, Name: "ERP", Prefix: "efk_jana", Hash: []byte("jana-key-hash-32-bytes-long-....."), Scope: store.ScopeRead}
	require.NoError(t, b.st.CreateAPIKey(t.Context(), key))
	p = jb.post("/companies/"+id+"/leave", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/companies", p.Location)
	require.Contains(t, jb.get(p.Location).Body, "Ați părăsit compania BETA TRADING SRL")
	require.Equal(t, "", role(jana))
	keys, err := b.st.APIKeys(t.Context(), c.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.NotNil(t, keys[0].RevokedAt)
	require.Equal(t, http.StatusNotFound, jb.post("/companies/"+id+"/leave", nil).Status, "not a member any more")

	// Hand-over: Ion becomes owner, the owner a member without settings.
	p = ob.post("/companies/"+id+"/members/"+itoa(owner.ID)+"/handover", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, ob.get(p.Location).Body, "Pentru a pleca dintr-o companie folosiți „Părăsește”.", "not to oneself")
	p = ob.post("/companies/"+id+"/members/"+itoa(ion.ID)+"/handover", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/companies", p.Location)
	require.Contains(t, ob.get(p.Location).Body, "ion@example.ro este acum proprietar; dvs. ați rămas membru.")
	require.Equal(t, store.RoleOwner, role(ion))
	require.Equal(t, store.RoleMember, role(owner))
	require.Equal(t, http.StatusNotFound, ob.get("/companies/"+id).Status)
	require.Equal(t, http.StatusOK, ib.get("/companies/"+id).Status)
	// Now a member, the former owner may leave.
	p = ob.post("/companies/"+id+"/leave", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "", role(owner))

	actions := b.auditActions(t)
	for _, want := range []string{"company.role", "company.leave", "company.handover"} {
		require.Contains(t, actions, want)
	}
}

func TestUnverifiedCompanyShowsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	verified := b.company(t, "12345674", "ALFA SOFT SRL", owner)
	b.invoiceOf(t, verified, "4001", "AS-1", "GAMMA SRL")
	c, err := b.st.CreateCompanyWithOwner(t.Context(), "98765438", "BETA TRADING SRL", owner.ID)
	require.NoError(t, err)
	require.Equal(t, store.CompanyUnverified, c.Status)
	inv := b.invoiceOf(t, c, "4002", "AS-2", "DELTA SRL") // e.g. synced before the company lost its verification
	br := b.browser(t)
	br.login(owner.Email)

	p := br.get("/?company=" + itoa(c.ID))
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "Compania nu este verificată de ANAF")
	require.Contains(t, p.Body, "/companies/"+itoa(c.ID)+"/sync", "the page offers the way out")
	require.NotContains(t, p.Body, "AS-2")
	require.NotContains(t, p.Body, "DELTA SRL")
	require.NotContains(t, p.Body, "/invoices/"+itoa(inv.ID))
	for _, path := range []string{"/invoices/" + itoa(inv.ID), "/invoices/" + itoa(inv.ID) + "/zip", "/invoices/" + itoa(inv.ID) + "/xml"} {
		p = br.get(path)
		require.Equal(t, http.StatusNotFound, p.Status, path)
		require.NotContains(t, p.Body, "AS-2", path)
	}
	p = br.get("/?company=" + itoa(c.ID) + "&lang=en")
	require.Contains(t, p.Body, "This company is not verified by ANAF")
	br.get("/?lang=ro")
	body := br.get("/companies").Body
	require.Contains(t, body, `class="status status-unverified"`)
	require.Contains(t, body, `class="status status-verified"`)
	require.Contains(t, body, "neverificată")

	// The verified company shows its invoices and no such notice.
	p = br.get("/?company=" + itoa(verified.ID))
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "AS-1")
	require.NotContains(t, p.Body, "nu este verificată de ANAF")

	// Once verified, the invoices appear.
	changed, err := b.st.SetCompanyVerified(t.Context(), c.ID, owner.ID)
	require.NoError(t, err)
	require.True(t, changed)
	p = br.get("/?company=" + itoa(c.ID))
	require.Contains(t, p.Body, "AS-2")
	require.NotContains(t, p.Body, "nu este verificată de ANAF")
	require.Equal(t, http.StatusOK, br.get("/invoices/"+itoa(inv.ID)).Status)
}

func TestConsentOffNoticeShownOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "member@example.ro", store.UserApproved, false)
	quiet := b.user(t, "quiet@example.ro", store.UserApproved, false)
	_, err := b.st.DB().ExecContext(t.Context(), `UPDATE users SET notice = 'consent_off' WHERE id = $1`, u.ID)
	require.NoError(t, err)
	notice := regexp.MustCompile(`class="flash flash-info"[^>]*>Regulile de acces s-au schimbat: conexiunea dvs. ANAF nu mai este folosită`)

	br := b.browser(t)
	br.login(u.Email)
	p := br.get("/")
	require.Equal(t, http.StatusOK, p.Status)
	require.Regexp(t, notice, p.Body)
	require.NotRegexp(t, notice, br.get("/").Body, "a flash shows once")
	var stored string
	require.NoError(t, b.st.DB().QueryRowContext(t.Context(), `SELECT notice FROM users WHERE id = $1`, u.ID).Scan(&stored))
	require.Empty(t, stored, "taken at login")

	// The next login shows nothing.
	require.Equal(t, http.StatusSeeOther, br.post("/logout", nil).Status)
	br.login(u.Email)
	require.NotContains(t, br.get("/").Body, "Regulile de acces s-au schimbat")
	// Nor does anyone else's login.
	qb := b.browser(t)
	qb.login(quiet.Email)
	require.NotContains(t, qb.get("/").Body, "Regulile de acces s-au schimbat")
}

func TestImpersonatorLendsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.user(t, "admin@example.ro", store.UserApproved, true)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	member := b.user(t, "member@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	id := itoa(c.ID)
	ob := b.browser(t)
	ob.login(owner.Email)
	require.Equal(t, http.StatusSeeOther, ob.post("/companies/"+id+"/members", url.Values{"email": {member.Email}}).Status)
	inv := b.pendingInvitation(t, member.Email)

	br := b.browser(t)
	br.login(admin.Email)
	require.Equal(t, http.StatusSeeOther, br.post("/admin/users/"+itoa(member.ID)+"/impersonate", nil).Status)
	require.Equal(t, http.StatusForbidden, br.post("/invitations/"+itoa(inv.ID)+"/accept", nil).Status)
	_, err := b.st.MembershipOf(t.Context(), c.ID, member.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Equal(t, http.StatusSeeOther, br.post("/impersonate/stop", nil).Status)

	require.Equal(t, http.StatusSeeOther, br.post("/admin/users/"+itoa(owner.ID)+"/impersonate", nil).Status)
	p := br.post("/companies/"+id+"/members", url.Values{"email": {"someone@example.ro"}})
	require.Equal(t, http.StatusForbidden, p.Status)
	p = br.post("/companies/"+id+"/consent", url.Values{"consent": {"off"}})
	require.Equal(t, http.StatusForbidden, p.Status)
	m, err := b.st.MembershipOf(t.Context(), c.ID, owner.ID)
	require.NoError(t, err)
	require.True(t, m.Consent, "unchanged")
	invs, err := b.st.PendingInvitationsForEmail(t.Context(), "someone@example.ro", time.Now())
	require.NoError(t, err)
	require.Empty(t, invs)
}
