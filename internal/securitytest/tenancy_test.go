package securitytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
)

const (
	simClientID     = "tenancy-client"
	simClientSecret = "tenancy-secret"
	// victimCIF has invoices in the simulator; otherCIF too.
	victimCIF = "98765438"
	otherCIF  = "12345674"
)

// tenancyRig is a gateway wired to an ANAF simulator loaded with generated
// invoices, counting the calls made with each access token.
type tenancyRig struct {
	*stack
	simURL string
	calls  map[string]*atomic.Int64 // access token → e-Factura calls made with it
}

func newTenancyRig(t *testing.T, d store.Dialect) *tenancyRig {
	t.Helper()
	sim, err := anafsim.New(anafsim.Options{ClientID: simClientID, ClientSecret: simClientSecret, NoQuotas: true, Logger: discard})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	_, err = sim.LoadFiles(invoicegen.Generate(40, 11))
	require.NoError(t, err)
	require.Positive(t, sim.CIFs()[victimCIF], "the simulator holds invoices of %s", victimCIF)
	rig := &tenancyRig{calls: map[string]*atomic.Int64{}}
	h := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := rig.calls[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; ok {
			c.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rig.simURL = srv.URL
	rig.stack = startStack(t, d, map[string]string{
		"EFACTURA_ANAF_BASE_URL": srv.URL, "EFACTURA_ANAF_OAUTH_URL": srv.URL, "EFACTURA_ANAF_ENV": "test",
		"EFACTURA_ANAF_CLIENT_ID": simClientID, "EFACTURA_ANAF_CLIENT_SECRET": simClientSecret,
	})
	return rig
}

// user creates an approved user.
func (r *tenancyRig) user(t *testing.T, name string) *store.User {
	t.Helper()
	hash, err := auth.TestArgon2Params.Hash(password)
	require.NoError(t, err)
	u, err := r.st.CreateUser(t.Context(), name+"@example.test", hash, false, store.UserApproved)
	require.NoError(t, err)
	return u
}

// connect gives u an ANAF connection whose grant covers exactly cifs (the
// simulator's consent page with those boxes ticked) and returns its
// access token, whose calls are counted.
func (r *tenancyRig) connect(t *testing.T, u *store.User, cifs ...string) string {
	t.Helper()
	redirect := r.url + "/anaf/callback"
	form := url.Values{"response_type": {"code"}, "client_id": {simClientID}, "redirect_uri": {redirect},
		"state": {"s"}, "cifs_shown": {"1"}, "cif": cifs, "decision": {"approve"}}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(r.simURL+"/anaf-oauth2/v1/authorize", form)
	require.NoError(t, err)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	code := loc.Query().Get("code")
	require.NotEmpty(t, code, "authorize answered %d %s", resp.StatusCode, resp.Header.Get("Location"))
	client := anaf.New(anaf.Config{OAuthURL: r.simURL, BaseURL: r.simURL, Env: anaf.EnvTest,
		ClientID: simClientID, ClientSecret: simClientSecret, RedirectURI: redirect})
	tok, err := client.Exchange(t.Context(), code)
	require.NoError(t, err)
	require.NoError(t, anafsync.SaveToken(t.Context(), r.st, r.env.Secrets, u.ID, tok))
	r.calls[tok.AccessToken] = &atomic.Int64{}
	return tok.AccessToken
}

// syncNow presses "Sync now" as b and waits for the run to finish.
func (r *tenancyRig) syncNow(t *testing.T, b *browser, companyID int64) *store.SyncRun {
	t.Helper()
	before, _ := r.st.LastSyncRun(t.Context(), companyID)
	resp := b.post(fmt.Sprintf("/companies/%d/sync", companyID), nil)
	require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		run, err := r.st.LastSyncRun(t.Context(), companyID)
		if err == nil && run.FinishedAt != nil && (before == nil || run.ID != before.ID) {
			return run
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the sync of company %d did not finish in 60 s", companyID)
	return nil
}

// requireSeesNothing proves that b (and an API key of the company) gets
// no invoice, ZIP, PDF, export row or listed message of the company.
func (r *tenancyRig) requireSeesNothing(t *testing.T, b *browser, c *store.Company, key string) {
	t.Helper()
	n, err := r.st.CountInvoices(t.Context(), c.ID)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is archived for the company")
	id := strconv.FormatInt(c.ID, 10)
	resp := b.get("/?company=" + id)
	if resp.Status == http.StatusOK {
		require.Contains(t, resp.Body, "nu este verificată de ANAF")
		require.NotContains(t, resp.Body, "/invoices/")
	} else {
		require.Equal(t, http.StatusNotFound, resp.Status)
	}
	require.Equal(t, http.StatusNotFound, b.get("/export?format=csv&company="+id).Status)
	if key != "" {
		api := r.apiReq(t, "GET", "/api/v1/invoices", key, nil)
		if api.Status == http.StatusOK {
			var body struct {
				Data       []json.RawMessage   `json:"data"`
				Pagination struct{ Total int } `json:"pagination"`
			}
			require.NoError(t, json.Unmarshal([]byte(api.Body), &body))
			require.Empty(t, body.Data)
			require.Zero(t, body.Pagination.Total)
			exp := r.apiReq(t, "GET", "/api/v1/invoices/export?format=csv", key, nil)
			require.Equal(t, http.StatusOK, exp.Status)
			require.Equal(t, 1, strings.Count(strings.TrimSpace(exp.Body), "\n")+1, "the export holds its header only: %q", exp.Body)
		} else {
			require.Equal(t, http.StatusUnauthorized, api.Status, "a revoked key")
		}
	}
	runs, err := r.st.SyncRuns(t.Context(), c.ID, 50)
	require.NoError(t, err)
	for _, run := range runs {
		require.Zero(t, run.Found, "no sync run listed a message of the company")
	}
}

// TestTenancyAttack walks the attack of issue 11 on both databases: B (no
// ANAF connection) adds a CIF nobody holds yet, invites the victim whose
// ANAF grant covers that CIF, and syncs. B sees nothing and the victim's
// token is never used; after the victim accepts without consenting, still
// nothing; after the victim consents, the company syncs.
func TestTenancyAttack(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			r := newTenancyRig(t, d)
			ctx := t.Context()
			victim, attacker := r.user(t, "victim"), r.user(t, "attacker")
			victimToken := r.connect(t, victim, victimCIF)
			victimRow, err := r.st.ANAFTokenByUser(ctx, victim.ID)
			require.NoError(t, err)

			b := r.browser(t)
			b.login(attacker.Email, "/")
			resp := b.post("/companies", url.Values{"cif": {"RO" + victimCIF}, "name": {"VICTIMA SRL"}})
			require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
			c, err := r.st.CompanyByCIF(ctx, victimCIF)
			require.NoError(t, err)
			require.Equal(t, store.CompanyUnverified, c.Status)

			// Inviting the victim imposes nothing: a pending invitation only.
			resp = b.post(fmt.Sprintf("/companies/%d/members", c.ID), url.Values{"email": {victim.Email}})
			require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
			_, err = r.st.MembershipOf(ctx, c.ID, victim.ID)
			require.ErrorIs(t, err, store.ErrNotFound)
			invs, err := r.st.PendingInvitationsForEmail(ctx, victim.Email, time.Now())
			require.NoError(t, err)
			require.Len(t, invs, 1)

			keyB, _ := r.key(t, c, attacker, store.ScopeRead)
			run := r.syncNow(t, b, c.ID)
			require.Equal(t, store.SyncFailed, run.Status, run.Error)
			require.Zero(t, r.calls[victimToken].Load(), "the victim's token was used")
			r.requireSeesNothing(t, b, c, keyB)

			// The victim accepts, without consent: still nothing.
			v := r.browser(t)
			v.login(victim.Email, "/")
			resp = v.get("/invitations")
			require.Equal(t, http.StatusOK, resp.Status)
			require.Contains(t, resp.Body, "VICTIMA SRL")
			resp = v.post(fmt.Sprintf("/invitations/%d/accept", invs[0].ID), nil)
			require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
			m, err := r.st.MembershipOf(ctx, c.ID, victim.ID)
			require.NoError(t, err)
			require.False(t, m.Consent)
			run = r.syncNow(t, b, c.ID)
			require.Equal(t, store.SyncFailed, run.Status, run.Error)
			require.Zero(t, r.calls[victimToken].Load(), "the victim's token was used without consent")
			r.requireSeesNothing(t, b, c, keyB)
			row, err := r.st.ANAFTokenByUser(ctx, victim.ID)
			require.NoError(t, err)
			require.Equal(t, victimRow.AccessTokenEnc, row.AccessTokenEnc, "the victim's token was not refreshed either")

			// The victim consents: the company syncs with their connection.
			resp = v.post(fmt.Sprintf("/companies/%d/consent", c.ID), url.Values{"consent": {"on"}})
			require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
			run = r.syncNow(t, b, c.ID)
			require.Equal(t, store.SyncOK, run.Status, run.Error)
			require.Positive(t, run.New)
			require.Positive(t, r.calls[victimToken].Load())
			c, err = r.st.CompanyByID(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, store.CompanyVerified, c.Status)
			require.Equal(t, http.StatusOK, r.apiReq(t, "GET", "/api/v1/invoices", keyB, nil).Status)

			// The victim can leave again; then their token is never used.
			resp = v.post(fmt.Sprintf("/companies/%d/leave", c.ID), nil)
			require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
			used := r.calls[victimToken].Load()
			run = r.syncNow(t, b, c.ID)
			require.Equal(t, store.SyncFailed, run.Status)
			require.Equal(t, used, r.calls[victimToken].Load())
			requireAudit(t, r.stack, "company.invite", "company.invite_accept", "company.consent", "company.verified", "company.leave")
		})
	}
}

// TestTenancySquatting: a user whose ANAF grant does not cover a CIF is
// refused when adding it; a CIF added by a user without a connection stays
// unverified and shows nothing; the rightful user's own ANAF grant
// verifies it and they take it over; the squatter then gets 404 on
// everything of it and their key of it is revoked. A later user asking
// for the CIF sends a join request to the owner.
func TestTenancySquatting(t *testing.T) {
	t.Parallel()
	r := newTenancyRig(t, testDialect())
	ctx := t.Context()
	squatter, rightful, joiner := r.user(t, "squatter"), r.user(t, "rightful"), r.user(t, "joiner")
	r.connect(t, rightful, victimCIF)

	// With an ANAF connection, a CIF the grant does not cover is refused
	// at once (issue 17's guided add): nothing is added.
	prober := r.user(t, "prober")
	proberToken := r.connect(t, prober, otherCIF)
	p := r.browser(t)
	p.login(prober.Email, "/")
	resp := p.post("/companies", url.Values{"cif": {victimCIF}, "name": {"PROBE SRL"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.Status, resp.Body)
	require.Contains(t, resp.Body, "nu are drept în SPV pentru CIF "+victimCIF)
	require.Positive(t, r.calls[proberToken].Load(), "the prober's own token was asked")
	_, err := r.st.CompanyByCIF(ctx, victimCIF)
	require.ErrorIs(t, err, store.ErrNotFound, "a refused CIF is not added")

	// Without one, the CIF is added unverified; the squatter then connects
	// a grant that does not cover it.
	s := r.browser(t)
	s.login(squatter.Email, "/")
	resp = s.post("/companies", url.Values{"cif": {victimCIF}, "name": {"SQUAT SRL"}})
	require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
	c, err := r.st.CompanyByCIF(ctx, victimCIF)
	require.NoError(t, err)
	require.Equal(t, store.CompanyUnverified, c.Status, "nobody's grant verified the CIF")
	squatterToken := r.connect(t, squatter, otherCIF) // a grant, but not for victimCIF
	keyS, _ := r.key(t, c, squatter, store.ScopeRead)
	run := r.syncNow(t, s, c.ID)
	require.Equal(t, store.SyncFailed, run.Status)
	m, err := r.st.MembershipOf(ctx, c.ID, squatter.ID)
	require.NoError(t, err)
	require.NotNil(t, m.DeniedUntil, "ANAF's refusal is remembered for 24 h")
	calls := r.calls[squatterToken].Load()
	require.Positive(t, calls, "the squatter's own token was asked by the sync")
	run = r.syncNow(t, s, c.ID)
	require.Equal(t, store.SyncFailed, run.Status)
	require.Equal(t, calls, r.calls[squatterToken].Load(), "a refused token is not tried again within 24 h")
	require.Equal(t, "refused", gateway.SyncErrorCode(run.Error), run.Error)
	require.Contains(t, s.get(fmt.Sprintf("/?company=%d", c.ID)).Body, "ANAF a refuzat în ultimele 24 de ore", "the page says why, in Romanian")
	r.requireSeesNothing(t, s, c, keyS)

	// The rightful user adds the same CIF: ANAF verifies it with their grant.
	g := r.browser(t)
	g.login(rightful.Email, "/")
	resp = g.post("/companies", url.Values{"cif": {victimCIF}, "name": {"REAL SRL"}})
	require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
	require.Contains(t, g.get("/companies").Body, "sunteți acum proprietarul ei") // the flash: you own it now
	c, err = r.st.CompanyByID(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, store.CompanyVerified, c.Status)
	require.Equal(t, "REAL SRL", c.Name)
	role, err := r.st.MembershipRole(ctx, c.ID, rightful.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleOwner, role)
	_, err = r.st.MembershipOf(ctx, c.ID, squatter.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	run = r.syncNow(t, g, c.ID)
	require.Equal(t, store.SyncOK, run.Status, run.Error)
	invs, _, err := r.st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID, Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, invs)

	// The squatter: 404 on everything of it, and their key is revoked.
	id, inv := strconv.FormatInt(c.ID, 10), strconv.FormatInt(invs[0].ID, 10)
	for _, p := range []string{"/?company=" + id, "/companies/" + id, "/companies/" + id + "/keys", "/companies/" + id + "/sync/status",
		"/export?format=csv&company=" + id, "/invoices/" + inv, "/invoices/" + inv + "/zip", "/invoices/" + inv + "/xml", "/invoices/" + inv + "/pdf"} {
		resp := s.get(p)
		require.Equal(t, http.StatusNotFound, resp.Status, p)
		require.NotContains(t, resp.Body, invs[0].ANAFID)
	}
	for _, p := range []string{"/companies/" + id + "/sync", "/companies/" + id + "/leave", "/companies/" + id + "/consent"} {
		require.Equal(t, http.StatusNotFound, s.post(p, nil).Status, p)
	}
	require.NotContains(t, s.get("/companies").Body, victimCIF)
	require.Equal(t, http.StatusUnauthorized, r.apiReq(t, "GET", "/api/v1/invoices", keyS, nil).Status)
	requireAudit(t, r.stack, "company.takeover")

	// A third user asking for the CIF sends a join request to the owner.
	j := r.browser(t)
	j.login(joiner.Email, "/")
	resp = j.post("/companies", url.Values{"cif": {victimCIF}, "name": {"ME TOO SRL"}})
	require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
	_, err = r.st.MembershipOf(ctx, c.ID, joiner.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	joins, err := r.st.PendingJoinRequestsForCompany(ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, joins, 1)
	require.Contains(t, g.get("/companies/"+id).Body, joiner.Email)
	resp = g.post(fmt.Sprintf("/companies/%d/join-requests/%d/accept", c.ID, joins[0].ID), nil)
	require.Equal(t, http.StatusSeeOther, resp.Status, resp.Body)
	m, err = r.st.MembershipOf(ctx, c.ID, joiner.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleMember, m.Role)
	require.False(t, m.Consent, "a joiner does not lend their connection until they choose to")
	// The last owner cannot leave; after handing over, they can.
	resp = g.post("/companies/"+id+"/leave", nil)
	require.Equal(t, http.StatusSeeOther, resp.Status)
	role, err = r.st.MembershipRole(ctx, c.ID, rightful.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleOwner, role)
	resp = g.post(fmt.Sprintf("/companies/%d/members/%d/handover", c.ID, joiner.ID), nil)
	require.Equal(t, http.StatusSeeOther, resp.Status)
	require.Equal(t, http.StatusSeeOther, g.post("/companies/"+id+"/leave", nil).Status)
	_, err = r.st.MembershipOf(ctx, c.ID, rightful.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	requireAudit(t, r.stack, "company.join_request", "company.join_accept", "company.handover", "company.leave")
}

// TestImpersonationMintsNoCredentials: an admin acting as a user gets 403
// with a reason for API keys, invitations, ANAF connections and consent;
// nothing is created.
func TestImpersonationMintsNoCredentials(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "imp", nil)
	b := s.loginAs(t, w, adminAsA)
	id := strconv.FormatInt(w.compA.ID, 10)
	keysBefore, err := s.st.APIKeys(t.Context(), w.compA.ID)
	require.NoError(t, err)
	for _, c := range []struct {
		method, path string
		form         url.Values
	}{
		{"POST", "/companies/" + id + "/keys", url.Values{"name": {"minted"}, "scope": {"write"}}},
		{"POST", "/companies/" + id + "/members", url.Values{"email": {"accomplice@example.test"}}},
		{"POST", "/companies/" + id + "/consent", url.Values{"consent": {"off"}}},
		{"POST", "/anaf/connect", nil},
		{"GET", "/anaf/connect", nil},
		{"GET", "/anaf/callback?code=x&state=y", nil},
		{"POST", fmt.Sprintf("/companies/%s/join-requests/%d/accept", id, w.joinAccept.ID), nil},
		// Adding a company lends the user's connection and sends their token to ANAF.
		{"POST", "/companies", url.Values{"cif": {nextCIF()}, "name": {"MINTED SRL"}}},
	} {
		resp := b.request(c.method, c.path, c.form)
		require.Equal(t, http.StatusForbidden, resp.Status, "%s %s", c.method, c.path)
		require.Contains(t, resp.Body, "impersonarea", "%s %s says why", c.method, c.path)
	}
	keysAfter, err := s.st.APIKeys(t.Context(), w.compA.ID)
	require.NoError(t, err)
	require.Len(t, keysAfter, len(keysBefore))
	invs, err := s.st.PendingInvitationsForEmail(t.Context(), "accomplice@example.test", time.Now())
	require.NoError(t, err)
	require.Empty(t, invs)
	m, err := s.st.MembershipOf(t.Context(), w.compA.ID, w.userA.ID)
	require.NoError(t, err)
	require.True(t, m.Consent)
}

// requireAudit fails unless each action was audited.
func requireAudit(t *testing.T, s *stack, actions ...string) {
	t.Helper()
	events, err := s.st.AuditEvents(context.Background(), 1000)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Action] = true
	}
	for _, a := range actions {
		require.True(t, seen[a], "audit event %q", a)
	}
}

// TestInvitationIsForItsAddressOnly: an invitation is accepted only by the
// account of exactly its address — not by a look-alike that Unicode case
// folding would match ("ſam" folds to "sam") — only while its sender is
// still an owner, and an owner invitation makes an existing member owner.
func TestInvitationIsForItsAddressOnly(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "lookalike", nil)
	ctx := t.Context()
	hash, err := auth.TestArgon2Params.Hash(password)
	require.NoError(t, err)
	sam, err := s.st.CreateUser(ctx, "sam-lookalike@example.test", hash, false, store.UserApproved)
	require.NoError(t, err)
	fake, err := s.st.CreateUser(ctx, "\u017fam-lookalike@example.test", hash, false, store.UserApproved)
	require.NoError(t, err)
	inv := &store.Invitation{CompanyID: w.compA.ID, Email: sam.Email, Role: store.RoleOwner, InvitedBy: w.userA.ID, ExpiresAt: time.Now().Add(time.Hour)}
	require.NoError(t, s.st.CreateInvitation(ctx, inv))

	f := s.browser(t)
	f.login(fake.Email, "/")
	require.NotContains(t, f.get("/invitations").Body, w.compA.Name)
	require.Equal(t, http.StatusNotFound, f.post(fmt.Sprintf("/invitations/%d/accept", inv.ID), nil).Status)
	_, err = s.st.MembershipOf(ctx, w.compA.ID, fake.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	// The real invitee, already a member through a join request, becomes owner.
	require.NoError(t, s.st.InsertMembership(ctx, w.compA.ID, sam.ID, store.RoleMember, false))
	b := s.browser(t)
	b.login(sam.Email, "/")
	require.Equal(t, http.StatusSeeOther, b.post(fmt.Sprintf("/invitations/%d/accept", inv.ID), nil).Status)
	role, err := s.st.MembershipRole(ctx, w.compA.ID, sam.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleOwner, role)

	// An invitation whose sender is no longer an owner no longer stands.
	carol, err := s.st.CreateUser(ctx, "carol-lookalike@example.test", hash, false, store.UserApproved)
	require.NoError(t, err)
	other := &store.Invitation{CompanyID: w.compA.ID, Email: carol.Email, Role: store.RoleMember, InvitedBy: sam.ID, ExpiresAt: time.Now().Add(time.Hour)}
	require.NoError(t, s.st.CreateInvitation(ctx, other))
	require.NoError(t, s.st.SetRole(ctx, w.compA.ID, sam.ID, store.RoleMember))
	bb := s.browser(t)
	bb.login(carol.Email, "/")
	require.Equal(t, http.StatusNotFound, bb.post(fmt.Sprintf("/invitations/%d/accept", other.ID), nil).Status)
}
