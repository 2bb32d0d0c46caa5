package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store"
)

// fieldError asserts the page shows msg next to the field with this id.
func fieldError(t *testing.T, body, id, msg string) {
	t.Helper()
	require.Contains(t, body, `id="`+id+`-error">`+msg, "error next to #%s", id)
	require.Regexp(t, `id="`+id+`"[^>]*aria-invalid="true"`, body)
}

func TestFormValidationKeepsInput(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.Gateway.Secrets = testKeyring(t) })
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	admin := b.user(t, "admin@example.ro", store.UserApproved, true)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	id := itoa(c.ID)
	ob, ab := b.browser(t), b.browser(t)
	ob.login(owner.Email)
	ab.login(admin.Email)

	tests := []struct {
		name    string
		br      *browser
		path    string
		form    url.Values
		field   string // id of the field
		message string
		kept    string // input echoed back
	}{
		{"settings name", ob, "/companies/" + id, url.Values{"name": {""}, "interval": {"60"}}, "name", "Câmp obligatoriu.", `value="60"`},
		{"settings interval", ob, "/companies/" + id, url.Values{"name": {"Beta Nou"}, "interval": {"5"}}, "interval", "Intervalul trebuie să fie între 15 și 1440 minute.", `value="Beta Nou"`},
		{"member bad email", ob, "/companies/" + id + "/members", url.Values{"email": {"not an address"}}, "member-email", "Introduceți o adresă de e-mail validă.", `value="not an address"`},
		{"member already", ob, "/companies/" + id + "/members", url.Values{"email": {owner.Email}}, "member-email", "Utilizatorul este deja membru al companiei.", `value="owner@example.ro"`},
		{"member invited twice", ob, "/companies/" + id + "/members", url.Values{"email": {"Ghost@example.ro"}}, "member-email", "Această adresă are deja o invitație în așteptare la companie.", `value="Ghost@example.ro"`},
		{"key name", ob, "/companies/" + id + "/keys", url.Values{"name": {""}, "scope": {"write"}}, "key-name", "Câmp obligatoriu.", `value="write" checked`},
		{"delete cif", ob, "/companies/" + id + "/delete", url.Values{"confirm_cif": {"12345674"}}, "confirm_cif", "CIF-ul scris nu este al acestei companii.", `value="12345674"`},
		{"password current", ob, "/account/password", url.Values{"current": {"wrong"}, "password": {"a new long password"}, "confirm": {"a new long password"}}, "current", "Parola actuală nu este corectă.", ""},
		{"password short", ob, "/account/password", url.Values{"current": {testPassword}, "password": {"short"}, "confirm": {"short"}}, "password", "Parola trebuie să aibă cel puțin 10 caractere.", ""},
		{"password confirm", ob, "/account/password", url.Values{"current": {testPassword}, "password": {"a new long password"}, "confirm": {"other"}}, "confirm", "Parolele nu coincid.", ""},
		{"anaf app client", ab, "/admin/anaf", url.Values{"client_id": {""}, "redirect_uri": {"https://gw.example.ro/anaf/callback"}, "client_secret": {"s"}}, "client_id", "Câmp obligatoriu.", `value="https://gw.example.ro/anaf/callback"`},
		{"anaf app redirect", ab, "/admin/anaf", url.Values{"client_id": {"cid"}, "redirect_uri": {"javascript:alert(1)"}, "client_secret": {"s"}}, "redirect_uri", "Trebuie să fie o adresă http(s) completă.", `value="cid"`},
		{"anaf app secret", ab, "/admin/anaf", url.Values{"client_id": {"cid"}}, "client_secret", "Câmp obligatoriu.", `value="cid"`},
	}
	// Inviting an address without an account is no error: it creates a
	// pending invitation that waits for that person to register and accept.
	p := ob.post("/companies/"+id+"/members", url.Values{"email": {"ghost@example.ro"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/companies/"+id, p.Location)
	require.Contains(t, ob.get(p.Location).Body, "Invitația pentru ghost@example.ro a fost trimisă")
	invs, err := b.st.PendingInvitationsForCompany(t.Context(), c.ID, time.Now())
	require.NoError(t, err)
	require.Len(t, invs, 1)
	require.Equal(t, "ghost@example.ro", invs[0].Email)
	require.Equal(t, store.RoleMember, invs[0].Role)
	require.Equal(t, owner.ID, invs[0].InvitedBy)
	_, err = b.st.UserByEmail(t.Context(), "ghost@example.ro")
	require.ErrorIs(t, err, store.ErrNotFound, "no account is made for the invitee")

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.br.post(tt.path, tt.form)
			require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
			fieldError(t, p.Body, tt.field, tt.message)
			if tt.kept != "" {
				require.Contains(t, p.Body, tt.kept)
			}
			require.NotContains(t, p.Body, "wrong\"", "passwords are never echoed")
		})
	}
	// Audit filters: a bad date is shown next to its field.
	p = ab.get("/admin/audit?from=2026-13-01&action=user.")
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	fieldError(t, p.Body, "from", "Scrieți data ca ZZ.LL.AAAA (de exemplu 07.01.2026).")
	require.Contains(t, p.Body, `value="user."`)
	// ...and a day as the page writes it is taken.
	p = ab.get("/admin/audit?from=07.01.2026&to=2026-01-08")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `value="07.01.2026"`)
	require.Contains(t, p.Body, `value="08.01.2026"`)
}

func TestCompanyAccess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	member := b.user(t, "member@example.ro", store.UserApproved, false)
	stranger := b.user(t, "stranger@example.ro", store.UserApproved, false)
	admin := b.user(t, "admin@example.ro", store.UserApproved, true)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	require.NoError(t, b.st.AddMembership(t.Context(), c.ID, member.ID, store.RoleMember))
	inv := b.invoiceOf(t, c, "4001", "AS-1", "ALFA SOFT SRL")
	id := itoa(c.ID)

	browsers := map[string]*browser{}
	for name, u := range map[string]*store.User{"owner": owner, "member": member, "stranger": stranger, "admin": admin} {
		browsers[name] = b.browser(t)
		browsers[name].login(u.Email)
	}
	pages := []struct {
		path string
		who  map[string]int // expected status per visitor
	}{
		{"/companies/" + id, map[string]int{"owner": 200, "member": 404, "stranger": 404, "admin": 404}},
		{"/companies/" + id + "/keys", map[string]int{"owner": 200, "member": 404, "stranger": 404, "admin": 404}},
		{"/companies/" + id + "/delete", map[string]int{"owner": 200, "member": 404, "stranger": 404, "admin": 404}},
		{"/invoices/" + itoa(inv.ID), map[string]int{"owner": 200, "member": 200, "stranger": 404, "admin": 404}},
		{"/companies/" + id + "/sync/status", map[string]int{"owner": 200, "member": 200, "stranger": 404, "admin": 404}},
		{"/admin/audit", map[string]int{"owner": 404, "member": 404, "stranger": 404, "admin": 200}},
		{"/admin/system", map[string]int{"owner": 404, "member": 404, "stranger": 404, "admin": 200}},
		{"/admin/anaf", map[string]int{"owner": 404, "member": 404, "stranger": 404, "admin": 200}},
	}
	for _, pg := range pages {
		for who, want := range pg.who {
			require.Equal(t, want, browsers[who].get(pg.path).Status, "%s GET %s", who, pg.path)
		}
	}
	// State-changing actions of the owner are 404 for the others.
	for _, who := range []string{"member", "stranger", "admin"} {
		br := browsers[who]
		require.Equal(t, 404, br.post("/companies/"+id, url.Values{"name": {"X"}, "interval": {"60"}}).Status, who)
		require.Equal(t, 404, br.post("/companies/"+id+"/delete", url.Values{"confirm_cif": {c.CIF}}).Status, who)
		require.Equal(t, 404, br.post("/companies/"+id+"/keys", url.Values{"name": {"k"}, "scope": {"read"}}).Status, who)
		require.Equal(t, 404, br.post("/companies/"+id+"/members/"+itoa(owner.ID)+"/remove", nil).Status, who)
	}
	// The member sees the invoices on the dashboard but no settings link.
	body := browsers["member"].get("/companies").Body
	require.NotContains(t, body, `href="/companies/`+id+`"`)
	require.Contains(t, browsers["owner"].get("/companies").Body, `href="/companies/`+id+`"`)
}

func TestMembersKeysAndDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	acct := b.user(t, "accountant@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	b.invoiceOf(t, c, "4001", "AS-1", "ALFA SOFT SRL")
	id := itoa(c.ID)
	ob, ab := b.browser(t), b.browser(t)
	ob.login(owner.Email)
	ab.login(acct.Email)

	// Invite the accountant: a pending invitation, no access yet.
	p := ob.post("/companies/"+id+"/members", url.Values{"email": {"Accountant@example.ro"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, ob.get(p.Location).Body, "accountant@example.ro")
	_, err := b.st.MembershipOf(t.Context(), c.ID, acct.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "nothing changes before the invitee accepts")
	require.Equal(t, 404, ab.get("/invoices/1").Status)
	// The accountant accepts it in their own browser and becomes a member.
	invs, err := b.st.PendingInvitationsForEmail(t.Context(), acct.Email, time.Now())
	require.NoError(t, err)
	require.Len(t, invs, 1)
	p = ab.post("/invitations/"+itoa(invs[0].ID)+"/accept", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	m, err := b.st.MembershipOf(t.Context(), c.ID, acct.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleMember, m.Role)
	require.Equal(t, 200, ab.get("/invoices/1").Status)

	// Made owner for a while, they create a key; the key shows once.
	p = ob.post("/companies/"+id+"/members/"+itoa(acct.ID)+"/role", url.Values{"role": {"owner"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	p = ab.post("/companies/"+id+"/keys", url.Values{"name": {"ERP"}, "scope": {"write"}})
	require.Equal(t, http.StatusCreated, p.Status, p.Body)
	require.Regexp(t, `value="efk_[A-Za-z0-9_-]{43}"`, p.Body)
	require.Equal(t, 0, strings.Count(ab.get("/companies/"+id+"/keys").Body, `id="new-key"`), "the key is shown once")
	p = ob.post("/companies/"+id+"/members/"+itoa(acct.ID)+"/role", url.Values{"role": {"member"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)

	// Removing the member revokes their key.
	p = ob.post("/companies/"+id+"/members/"+itoa(acct.ID)+"/remove", nil)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	_, err = b.st.MembershipOf(t.Context(), c.ID, acct.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	keys, err := b.st.APIKeys(t.Context(), c.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.NotNil(t, keys[0].RevokedAt)
	require.Equal(t, 404, ab.get("/invoices/1").Status)
	// The owner cannot remove themself: leaving is another action.
	p = ob.post("/companies/"+id+"/members/"+itoa(owner.ID)+"/remove", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, ob.get(p.Location).Body, "Pentru a pleca dintr-o companie folosiți „Părăsește”.")
	role, err := b.st.MembershipRole(t.Context(), c.ID, owner.ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleOwner, role)

	// Settings are saved.
	p = ob.post("/companies/"+id, url.Values{"name": {"Beta Nou"}, "interval": {"30"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	got, err := b.st.CompanyByID(t.Context(), c.ID)
	require.NoError(t, err)
	require.Equal(t, "Beta Nou", got.Name)
	require.False(t, got.AutoSync)
	require.Equal(t, 30, got.SyncIntervalMinutes)

	// Delete after typing the CIF removes the company and its invoices.
	p = ob.post("/companies/"+id+"/delete", url.Values{"confirm_cif": {"RO98765438"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	_, err = b.st.CompanyByID(t.Context(), c.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	n, err := b.st.CountInvoices(t.Context(), c.ID)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	here, there := b.browser(t), b.browser(t)
	here.login(u.Email)
	there.login(u.Email)
	p := here.post("/account/password", url.Values{"current": {testPassword}, "password": {"a brand new password"}, "confirm": {"a brand new password"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, http.StatusOK, here.get("/").Status, "this session stays")
	require.Equal(t, http.StatusSeeOther, there.get("/").Status, "the other session is logged out")
	p = b.browser(t).post("/login", url.Values{"email": {u.Email}, "password": {"a brand new password"}})
	require.Equal(t, http.StatusSeeOther, p.Status)
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	limits := func(d *Deps) {
		d.Gateway.Throttle = gateway.NewLoginThrottle(gateway.LoginLimits{PerAccountIP: 3, PerIP: 5, PerAccount: 7, Window: time.Minute})
	}
	b := setup(t, limits)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	br := b.browser(t)
	for range 3 {
		p := br.post("/login", url.Values{"email": {u.Email}, "password": {"wrong password"}})
		require.Equal(t, http.StatusUnauthorized, p.Status)
	}
	// Even the right password waits now, with a readable message.
	p := br.post("/login", url.Values{"email": {u.Email}, "password": {testPassword}})
	require.Equal(t, http.StatusTooManyRequests, p.Status)
	require.Contains(t, p.Body, "Prea multe încercări eșuate")
	require.NotEmpty(t, p.Header.Get("Retry-After"))
	// The counts are in the database: a second UI instance on it (another
	// replica) sees them.
	other := setupOn(t, b.st, limits)
	p = other.browser(t).post("/login", url.Values{"email": {u.Email}, "password": {testPassword}})
	require.Equal(t, http.StatusTooManyRequests, p.Status, "shared by every replica")
}

func TestImpersonation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.user(t, "admin@example.ro", store.UserApproved, true)
	other := b.user(t, "other-admin@example.ro", store.UserApproved, true)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	br := b.browser(t)
	br.login(admin.Email)

	p := br.post("/admin/users/"+itoa(other.ID)+"/impersonate", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, br.get("/admin/users").Body, "Un administrator nu poate fi impersonat.")

	p = br.post("/admin/users/"+itoa(u.ID)+"/impersonate", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	for _, path := range []string{"/", "/companies", "/anaf"} {
		body := br.get(path).Body
		require.Contains(t, body, `class="impersonation"`, path)
		require.Contains(t, body, "admin@example.ro acționează ca u@example.ro", path)
	}
	require.Equal(t, 404, br.get("/admin/users").Status, "the admin's pages are out of reach meanwhile")
	require.Equal(t, 404, br.get("/account/password").Status, "never the user's password")

	p = br.post("/impersonate/stop", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	body := br.get("/admin/users").Body
	require.NotContains(t, body, `class="impersonation"`)

	events, err := b.st.AuditEventsFiltered(t.Context(), store.AuditFilter{Action: "impersonate."})
	require.NoError(t, err)
	require.Len(t, events, 2)
	require.Equal(t, "impersonate.stop", events[0].Action)
	require.Equal(t, "impersonate.start", events[1].Action)
	require.Equal(t, admin.Email, events[1].ActorEmail)
}

func TestAdminRoleAndANAFApp(t *testing.T) {
	t.Parallel()
	keys := testKeyring(t)
	b := setup(t, func(d *Deps) { d.Gateway.Secrets = keys })
	admin := b.user(t, "admin@example.ro", store.UserApproved, true)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	br := b.browser(t)
	br.login(admin.Email)

	require.Equal(t, http.StatusSeeOther, br.post("/admin/users/"+itoa(u.ID)+"/admin", url.Values{"admin": {"on"}}).Status)
	got, err := b.st.UserByID(t.Context(), u.ID)
	require.NoError(t, err)
	require.True(t, got.IsAdmin)
	require.Equal(t, http.StatusSeeOther, br.post("/admin/users/"+itoa(admin.ID)+"/admin", url.Values{"admin": {"off"}}).Status)
	got, err = b.st.UserByID(t.Context(), admin.ID)
	require.NoError(t, err)
	require.True(t, got.IsAdmin, "never one's own role")

	p := br.post("/admin/anaf", url.Values{"client_id": {"cid"}, "client_secret": {"top-secret"}, "redirect_uri": {""}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	app, err := b.st.ANAFApp(t.Context())
	require.NoError(t, err)
	secret, err := keys.Decrypt(app.ClientSecretEnc)
	require.NoError(t, err)
	require.Equal(t, "top-secret", string(secret))
	body := br.get("/admin/anaf").Body
	require.NotContains(t, body, "top-secret", "write-only")
	// An empty secret keeps the stored one.
	require.Equal(t, http.StatusSeeOther, br.post("/admin/anaf", url.Values{"client_id": {"cid2"}}).Status)
	app, err = b.st.ANAFApp(t.Context())
	require.NoError(t, err)
	secret, err = keys.Decrypt(app.ClientSecretEnc)
	require.NoError(t, err)
	require.Equal(t, "top-secret", string(secret))
	require.Equal(t, "cid2", app.ClientID)
}

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	tests := []struct{ lang, amount, currency, want string }{
		{"ro", "1234.56", "RON", "1.234,56 lei"},
		{"en", "1234.56", "RON", "1,234.56 RON"},
		{"ro", "1234567.5", "EUR", "1.234.567,50 EUR"},
		{"en", "-0.125", "EUR", "-0.125 EUR"},
		{"ro", "12", "RON", "12,00 lei"},
		{"ro", "n/a", "RON", "n/a RON"},
		{"ro", "", "RON", ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, formatMoney(tt.lang, tt.amount, tt.currency), tt)
	}
	require.Equal(t, "12.345", formatInt("ro", 12345))
	require.Equal(t, "12,345", formatInt("en", 12345))
}

func TestFiguresAndChart(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f := buildFigures("ro", []store.InvoiceMonthTotal{
		{Month: "2026-03", MessageType: store.TypeReceived, Currency: "RON", Invoices: 2, Counted: 2, Total: decimal.RequireFromString("1001.00")},
		{Month: "2026-02", MessageType: store.TypeSent, Currency: "EUR", Invoices: 1, Counted: 1, Total: decimal.RequireFromString("10")},
		{Month: "2026-03", MessageType: store.TypeErrors, Currency: "RON", Invoices: 1, Counted: 1, Total: decimal.RequireFromString("5")},
	}, now)
	require.Equal(t, 3, f.ThisMonth)
	require.Len(t, f.Received, 1)
	require.Equal(t, "1001", f.Received[0].Amount.String())
	require.Equal(t, "EUR", f.Sent[0].Currency)
	svg := string(f.Chart)
	require.True(t, strings.HasPrefix(svg, `<svg class="chart"`))
	require.Contains(t, svg, "mar. 26 — primite: 1.001,00 lei")
	// The phone's chart: newest month first, each value written beside its bar.
	require.Contains(t, svg, `<svg class="chart-phone"`)
	phone := svg[strings.Index(svg, `<svg class="chart-phone"`):]
	require.Less(t, strings.Index(phone, ">mar. 26<"), strings.Index(phone, ">feb. 26<"), "newest first")
	require.Contains(t, phone, `text-anchor="end">1.001</text>`)
	require.NotContains(t, svg, "style=")
	require.NotContains(t, svg, "<script")
}
