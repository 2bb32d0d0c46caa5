package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

const testPassword = "correct horse battery"

// fakeSync records the companies SyncNow was asked for.
type fakeSync struct {
	mu  sync.Mutex
	ids []int64
}

func (f *fakeSync) SyncNow(_ context.Context, companyID int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids = append(f.ids, companyID)
	return nil
}

type testBundle struct {
	st   *store.Store
	srv  *httptest.Server
	sync *fakeSync
}

func setup(t *testing.T, mutate ...func(*Deps)) *testBundle {
	t.Helper()
	return setupOn(t, storetest.New(t), mutate...)
}

// setupOn is setup over an existing database: a second UI instance on it
// stands for another replica (its own sessions, its own process state).
func setupOn(t testing.TB, st *store.Store, mutate ...func(*Deps)) *testBundle {
	t.Helper()
	sessions := scs.New()
	sessions.Store = memstore.New()
	fs := &fakeSync{}
	d := Deps{
		// Cheap argon2id in tests; hashes record their parameters.
		Gateway:      &gateway.Service{Store: st, Logger: slog.New(slog.DiscardHandler), PasswordParams: auth.TestArgon2Params},
		Sessions:     sessions,
		Sync:         fs,
		Logger:       slog.New(slog.DiscardHandler),
		Registration: "open",
	}
	for _, m := range mutate {
		m(&d)
	}
	h, err := New(d)
	require.NoError(t, err)
	srv := httptest.NewServer(sessions.LoadAndSave(h))
	t.Cleanup(srv.Close)
	return &testBundle{st: st, srv: srv, sync: fs}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
}

func (b *testBundle) browser(t testing.TB) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, base: b.srv.URL, c: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is a fetched response with its body read.
type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (br *browser) do(req *http.Request) page {
	br.t.Helper()
	resp, err := br.c.Do(req)
	require.NoError(br.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(br.t, err)
	return page{Status: resp.StatusCode, Body: string(body), Location: resp.Header.Get("Location"), Header: resp.Header}
}

func (br *browser) get(path string) page {
	br.t.Helper()
	req, err := http.NewRequest(http.MethodGet, br.base+path, nil)
	require.NoError(br.t, err)
	return br.do(req)
}

func (br *browser) post(path string, form url.Values) page {
	br.t.Helper()
	req, err := http.NewRequest(http.MethodPost, br.base+path, strings.NewReader(form.Encode()))
	require.NoError(br.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return br.do(req)
}

func (br *browser) login(email string) {
	br.t.Helper()
	p := br.post("/login", url.Values{"email": {email}, "password": {testPassword}})
	require.Equal(br.t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(br.t, "/", p.Location)
}

func (b *testBundle) user(t testing.TB, email, status string, admin bool) *store.User {
	t.Helper()
	hash, err := auth.TestArgon2Params.Hash(testPassword)
	require.NoError(t, err)
	u, err := b.st.CreateUser(t.Context(), email, hash, admin, status)
	require.NoError(t, err)
	return u
}

func (b *testBundle) company(t testing.TB, cifDigits, name string, owner *store.User) *store.Company {
	t.Helper()
	c, err := b.st.CreateCompany(t.Context(), cifDigits, name)
	require.NoError(t, err)
	require.NoError(t, b.st.AddMembership(t.Context(), c.ID, owner.ID, store.RoleOwner))
	_, err = b.st.SetCompanyVerified(t.Context(), c.ID, owner.ID) // ANAF confirmed the CIF: it shows its invoices
	require.NoError(t, err)
	c.Status = store.CompanyVerified
	return c
}

// invoiceOf inserts a parsed received invoice with a real ANAF-shaped ZIP.
func (b *testBundle) invoiceOf(t testing.TB, c *store.Company, anafID, number, issuer string) *store.Invoice {
	t.Helper()
	doc := []byte(`<?xml version="1.0" encoding="UTF-8"?><Invoice><ID>` + number + `</ID></Invoice>`)
	zip, err := invoice.BuildArchive("55"+anafID, doc, []byte("<Signature/>"))
	require.NoError(t, err)
	parsed, err := json.Marshal(invoice.Invoice{
		DocumentType: invoice.DocInvoice,
		Number:       number,
		IssueDate:    "2026-01-15",
		Currency:     "RON",
		Notes:        []string{"Mulțumim!"},
		Seller:       invoice.Party{Name: issuer, VATID: "RO12345674"},
		Buyer:        invoice.Party{Name: c.Name, VATID: "RO" + c.CIF},
		Totals:       invoice.Totals{TaxExclusive: "1000.00", VAT: "190.00", TaxInclusive: "1190.00", Payable: "1190.00"},
		VATBreakdown: []invoice.VATSubtotal{{Category: "S", Rate: "19", TaxableAmount: "1000.00", TaxAmount: "190.00"}},
		Lines:        []invoice.Line{{ID: "1", Name: "Servicii software", Quantity: "1", UnitCode: "H87", Price: "1000.00", NetAmount: "1000.00", VATCategory: "S", VATRate: "19"}},
		PaymentMeans: []invoice.PaymentMeans{{Code: "30", IBAN: "RO49AAAA1B31007593840000"}},
	})
	require.NoError(t, err)
	inv := &store.Invoice{
		CompanyID:     c.ID,
		ANAFID:        anafID,
		UploadID:      "55" + anafID,
		MessageType:   store.TypeReceived,
		CIFEmitent:    "12345674",
		CIFBeneficiar: c.CIF,
		ANAFCreatedAt: time.Date(2026, 1, 15, 8, 30, 0, 0, time.UTC),
		DocumentType:  "Invoice",
		InvoiceNumber: number,
		IssueDate:     "2026-01-15",
		Currency:      "RON",
		IssuerName:    issuer,
		ReceiverName:  c.Name,
		SupplierCIF:   "12345674",
		TotalAmount:   "1190.00",
		VATAmount:     "190.00",
		ParsedJSON:    parsed,
		ZIP:           zip,
	}
	inserted, err := b.st.InsertInvoice(t.Context(), inv)
	require.NoError(t, err)
	require.True(t, inserted)
	return inv
}

func TestJourneyFromRegistrationToDownload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.user(t, "admin@example.ro", store.UserApproved, true)

	// Register: the account is created pending, not logged in; after
	// logging in its owner sees /pending.
	alice := b.browser(t)
	p := alice.get("/register")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `<html lang="ro">`)
	p = alice.post("/register", url.Values{"email": {"alice@example.ro"}, "password": {testPassword}, "confirm": {testPassword}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/register/done", p.Location)
	p = alice.get("/register/done")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "un administrator va analiza cererea")
	require.Equal(t, "/login", alice.get("/pending").Location, "registering does not log in")
	p = alice.post("/login", url.Values{"email": {"alice@example.ro"}, "password": {testPassword}})
	require.Equal(t, "/pending", p.Location)
	p = alice.get("/pending")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "alice@example.ro")
	require.Contains(t, p.Body, "așteaptă aprobarea")
	u, err := b.st.UserByEmail(t.Context(), "alice@example.ro")
	require.NoError(t, err)
	require.Equal(t, store.UserPending, u.Status)
	require.False(t, u.IsAdmin)

	// A pending user cannot reach the dashboard.
	p = alice.get("/")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/pending", p.Location)

	// The admin approves her from the admin page.
	adm := b.browser(t)
	adm.login(admin.Email)
	p = adm.get("/admin/users")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "alice@example.ro")
	require.Contains(t, p.Body, "/admin/users/"+itoa(u.ID)+"/approve")
	p = adm.post("/admin/users/"+itoa(u.ID)+"/approve", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	u, err = b.st.UserByID(t.Context(), u.ID)
	require.NoError(t, err)
	require.Equal(t, store.UserApproved, u.Status)
	p = adm.get("/admin/users")
	require.Contains(t, p.Body, "a fost aprobat")

	// Alice logs in and sees her company's invoices.
	alice = b.browser(t)
	alice.login("alice@example.ro")
	c := b.company(t, "98765438", "BETA TRADING SRL", u)
	inv := b.invoiceOf(t, c, "3012345671", "AS-0042", "ALFA SOFT SRL")
	b.invoiceOf(t, c, "3012345672", "AS-0043", "GAMMA SRL")
	p = alice.get("/")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "BETA TRADING SRL")
	require.Contains(t, p.Body, "AS-0042")
	require.Contains(t, p.Body, "AS-0043")
	require.Contains(t, p.Body, "ALFA SOFT SRL")
	require.Contains(t, p.Body, "1.190,00 lei")
	require.Contains(t, p.Body, "Primită")
	require.Contains(t, p.Body, "/invoices/"+itoa(inv.ID))

	// Search narrows the list.
	p = alice.get("/?q=gamma")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "AS-0043")
	require.NotContains(t, p.Body, "AS-0042")

	// The sent tab is empty.
	p = alice.get("/?tab=sent&company=" + itoa(c.ID))
	require.Equal(t, http.StatusOK, p.Status)
	require.NotContains(t, p.Body, "AS-0042")

	// The invoice page shows the parsed document and ANAF's facts.
	p = alice.get("/invoices/" + itoa(inv.ID))
	require.Equal(t, http.StatusOK, p.Status)
	for _, want := range []string{"AS-0042", "ALFA SOFT SRL", "RO12345674", "Servicii software", "190,00 lei", "RO49AAAA1B31007593840000", "Mulțumim!", "3012345671", "15.01.2026 10:30"} {
		require.Contains(t, p.Body, want)
	}

	// Downloads: the ZIP byte for byte, and the XML inside it.
	p = alice.get("/invoices/" + itoa(inv.ID) + "/zip")
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, "application/zip", p.Header.Get("Content-Type"))
	require.Equal(t, "attachment; filename=invoice_3012345671.zip", p.Header.Get("Content-Disposition"))
	require.Equal(t, string(inv.ZIP), p.Body)
	p = alice.get("/invoices/" + itoa(inv.ID) + "/xml")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Header.Get("Content-Type"), "xml")
	require.Contains(t, p.Body, "<ID>AS-0042</ID>")

	// Sync now starts a sync of the company and flashes a message.
	p = alice.post("/companies/"+itoa(c.ID)+"/sync", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, []int64{c.ID}, b.sync.ids)
	p = alice.get(p.Location)
	require.Contains(t, p.Body, "Sincronizarea a pornit")

	// Logout ends the session.
	p = alice.post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	p = alice.get("/")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/login", p.Location)
}

func TestNonMemberGets404(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	other := b.user(t, "other@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	b.company(t, "12345674", "ALFA SOFT SRL", other)
	inv := b.invoiceOf(t, c, "3012345671", "AS-0042", "ALFA SOFT SRL")

	br := b.browser(t)
	br.login(other.Email)
	for _, path := range []string{"/invoices/" + itoa(inv.ID), "/invoices/" + itoa(inv.ID) + "/zip", "/invoices/" + itoa(inv.ID) + "/xml", "/?company=" + itoa(c.ID), "/invoices/999999", "/invoices/abc"} {
		p := br.get(path)
		require.Equal(t, http.StatusNotFound, p.Status, path)
		require.NotContains(t, p.Body, "AS-0042", path)
	}
	p := br.post("/companies/"+itoa(c.ID)+"/sync", nil)
	require.Equal(t, http.StatusNotFound, p.Status)
	require.Empty(t, b.sync.ids)

	// Their own dashboard does not list the other company's invoices.
	p = br.get("/")
	require.Equal(t, http.StatusOK, p.Status)
	require.NotContains(t, p.Body, "AS-0042")
}

func TestAnonymousVisitorsAreSentToLogin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.browser(t)
	p := br.get("/")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/login", p.Location)
	p = br.get("/companies")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/login?next=%2Fcompanies", p.Location)
}

func TestAdminPagesAre404ForNonAdmins(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "user@example.ro", store.UserApproved, false)
	pending := b.user(t, "pending@example.ro", store.UserPending, false)
	br := b.browser(t)
	br.login(u.Email)
	p := br.get("/admin/users")
	require.Equal(t, http.StatusNotFound, p.Status)
	require.NotContains(t, p.Body, "pending@example.ro")
	p = br.post("/admin/users/"+itoa(pending.ID)+"/approve", nil)
	require.Equal(t, http.StatusNotFound, p.Status)
	got, err := b.st.UserByID(t.Context(), pending.ID)
	require.NoError(t, err)
	require.Equal(t, store.UserPending, got.Status)
	// The nav has no admin link either.
	p = br.get("/")
	require.NotContains(t, p.Body, `href="/admin/users"`)
}

func TestLogin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "ok@example.ro", store.UserApproved, false)
	b.user(t, "pending@example.ro", store.UserPending, false)
	b.user(t, "rejected@example.ro", store.UserRejected, false)

	tests := []struct {
		name     string
		email    string
		password string
		status   int
		location string
		body     string
	}{
		{"Approved", "ok@example.ro", testPassword, http.StatusSeeOther, "/", ""},
		{"ApprovedCaseInsensitive", "OK@Example.ro", testPassword, http.StatusSeeOther, "/", ""},
		{"Pending", "pending@example.ro", testPassword, http.StatusSeeOther, "/pending", ""},
		{"Rejected", "rejected@example.ro", testPassword, http.StatusUnauthorized, "", "respinsă"},
		{"WrongPassword", "ok@example.ro", "wrong password!", http.StatusUnauthorized, "", "E-mail sau parolă greșită."},
		{"UnknownEmail", "nobody@example.ro", testPassword, http.StatusUnauthorized, "", "E-mail sau parolă greșită."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			br := b.browser(t)
			p := br.post("/login", url.Values{"email": {tt.email}, "password": {tt.password}})
			require.Equal(t, tt.status, p.Status, p.Body)
			require.Equal(t, tt.location, p.Location)
			require.Contains(t, p.Body, tt.body)
			if tt.status == http.StatusUnauthorized {
				require.Contains(t, p.Body, `value="`+tt.email+`"`, "the e-mail is kept")
				p = br.get("/")
				require.Equal(t, "/login", p.Location)
			}
		})
	}

	t.Run("PendingUserStaysOut", func(t *testing.T) {
		t.Parallel()
		br := b.browser(t)
		br.post("/login", url.Values{"email": {"pending@example.ro"}, "password": {testPassword}})
		require.Equal(t, "/pending", br.get("/").Location)
		require.Equal(t, "/pending", br.get("/companies").Location)
		require.Equal(t, http.StatusOK, br.get("/pending").Status)
	})

	t.Run("NextIsFollowedOnlyWhenLocal", func(t *testing.T) {
		t.Parallel()
		for next, want := range map[string]string{
			"/companies":            "/companies",
			"/?company=3&tab=a":     "/?company=3&tab=a",
			"//evil.example/":       "/",
			"https://evil.example/": "/",
			"/\\evil.example":       "/",
			"":                      "/",
		} {
			br := b.browser(t)
			p := br.post("/login", url.Values{"email": {"ok@example.ro"}, "password": {testPassword}, "next": {next}})
			require.Equal(t, http.StatusSeeOther, p.Status)
			require.Equal(t, want, p.Location, next)
		}
	})

	t.Run("SessionTokenIsRenewed", func(t *testing.T) {
		t.Parallel()
		br := b.browser(t)
		br.get("/login?lang=en") // creates an anonymous session
		u, _ := url.Parse(b.srv.URL)
		before := br.c.Jar.Cookies(u)
		require.NotEmpty(t, before)
		br.login("ok@example.ro")
		after := br.c.Jar.Cookies(u)
		require.NotEmpty(t, after)
		require.NotEqual(t, before[0].Value, after[0].Value)
	})
}

func TestRegister(t *testing.T) {
	t.Parallel()

	t.Run("ValidationKeepsInput", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		br := b.browser(t)
		p := br.post("/register", url.Values{"email": {"not-an-email"}, "password": {"short"}, "confirm": {"short"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Contains(t, p.Body, `value="not-an-email"`)
		require.Contains(t, p.Body, "Adresa de e-mail nu este validă.")
		require.Contains(t, p.Body, "cel puțin 10 caractere")

		p = br.post("/register", url.Values{"email": {"a@example.ro"}, "password": {testPassword}, "confirm": {testPassword + "x"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Contains(t, p.Body, "Parolele nu coincid.")

		p = br.post("/register", url.Values{"email": {""}, "password": {""}, "confirm": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, "empty fields")
	})

	// A new and an existing e-mail get the same answer: a 303 to
	// /register/done, no cookie, the same headers and body; nothing changes
	// for the existing account (docs/security.md).
	t.Run("SameAnswerForExistingEmail", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		taken := b.user(t, "taken@example.ro", store.UserApproved, false)
		pending := b.user(t, "waiting@example.ro", store.UserPending, false)
		send := func(email, lang string) page {
			br := b.browser(t)
			if lang != "" {
				br.get("/login?lang=" + lang) // a browser that already has a session
			}
			return br.post("/register", url.Values{"email": {email}, "password": {"another password 123"}, "confirm": {"another password 123"}})
		}
		for _, lang := range []string{"", "en"} {
			fresh := send("new-"+lang+"@example.ro", lang)
			for _, existing := range []string{"taken@example.ro", "Taken@Example.ro", "waiting@example.ro"} {
				p := send(existing, lang)
				require.Equal(t, http.StatusSeeOther, p.Status, existing)
				require.Equal(t, "/register/done", p.Location)
				require.Empty(t, p.Header.Values("Set-Cookie"), "no login cookie, no session change")
				require.Equal(t, fresh.Body, p.Body)
				h1, h2 := fresh.Header.Clone(), p.Header.Clone()
				h1.Del("Date")
				h2.Del("Date")
				require.Equal(t, h1, h2, existing)
			}
			require.Equal(t, http.StatusSeeOther, fresh.Status)
			require.Equal(t, "/register/done", fresh.Location)
			require.Empty(t, fresh.Header.Values("Set-Cookie"))
		}
		for _, u := range []*store.User{taken, pending} {
			got, err := b.st.UserByID(t.Context(), u.ID)
			require.NoError(t, err)
			require.Equal(t, u.PasswordHash, got.PasswordHash, "nothing changes for an existing account")
			require.Equal(t, u.Status, got.Status)
		}
		created, err := b.st.UserByEmail(t.Context(), "new-en@example.ro")
		require.NoError(t, err)
		require.Equal(t, store.UserPending, created.Status)

		p := b.browser(t).get("/register/done?lang=en")
		require.Equal(t, http.StatusOK, p.Status)
		require.Contains(t, p.Body, "If the address can be registered, an administrator will review the request.")
		require.Contains(t, p.Body, `href="/login"`)
	})

	t.Run("Closed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(d *Deps) { d.Registration = "closed" })
		br := b.browser(t)
		p := br.get("/register")
		require.Equal(t, http.StatusOK, p.Status)
		require.Contains(t, p.Body, "Înregistrarea conturilor noi este închisă")
		require.NotContains(t, p.Body, `name="password"`)
		p = br.post("/register", url.Values{"email": {"a@example.ro"}, "password": {testPassword}, "confirm": {testPassword}})
		require.Equal(t, http.StatusForbidden, p.Status)
		_, err := b.st.UserByEmail(t.Context(), "a@example.ro")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestAddCompany(t *testing.T) {
	t.Parallel()
	b := setup(t)
	alice := b.user(t, "alice@example.ro", store.UserApproved, false)
	bob := b.user(t, "bob@example.ro", store.UserApproved, false)
	br := b.browser(t)
	br.login(alice.Email)

	t.Run("BadCheckDigit", func(t *testing.T) {
		p := br.post("/companies", url.Values{"cif": {"RO12345675"}, "name": {"ALFA <SOFT> SRL"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Regexp(t, `(?s)id="cif"[^>]*value="RO12345675".*Cifra de control a CIF-ului este greșită.`, p.Body)
		require.Contains(t, p.Body, `value="ALFA &lt;SOFT&gt; SRL"`)
		require.Contains(t, p.Body, `aria-invalid="true"`)
	})

	t.Run("NotACIF", func(t *testing.T) {
		p := br.post("/companies", url.Values{"cif": {"RO12AB"}, "name": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Contains(t, p.Body, "Nu este un CIF")
		require.Contains(t, p.Body, "Câmp obligatoriu.")
	})

	t.Run("Created", func(t *testing.T) {
		p := br.post("/companies", url.Values{"cif": {"RO 1234567 4"}, "name": {"ALFA SOFT SRL"}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		c, err := b.st.CompanyByCIF(t.Context(), "12345674")
		require.NoError(t, err)
		role, err := b.st.MembershipRole(t.Context(), c.ID, alice.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleOwner, role)
		p = br.get("/companies")
		require.Contains(t, p.Body, "ALFA SOFT SRL")
		require.Contains(t, p.Body, "proprietar")
		require.Contains(t, p.Body, "a fost adăugată")
		events, err := b.st.AuditEvents(t.Context(), 10)
		require.NoError(t, err)
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		require.Contains(t, actions, "company.create")
	})

	t.Run("ExistingCIFIsNotDuplicated", func(t *testing.T) {
		bobBrowser := b.browser(t)
		bobBrowser.login(bob.Email)
		// An existing CIF is not copied: its owners get a join request
		// from Bob, who stays outside until one of them accepts it.
		p := bobBrowser.post("/companies", url.Values{"cif": {"12345674"}, "name": {"ALFA COPY"}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		require.Equal(t, "/companies", p.Location)
		body := bobBrowser.get(p.Location).Body
		require.Contains(t, body, "cerere de alăturare")
		require.Contains(t, body, "12345674")
		require.NotContains(t, body, "ALFA COPY")
		all, err := b.st.Companies(t.Context())
		require.NoError(t, err)
		require.Len(t, all, 1)
		require.Equal(t, "ALFA SOFT SRL", all[0].Name, "the existing company is untouched")
		_, err = b.st.MembershipRole(t.Context(), all[0].ID, bob.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		joins, err := b.st.PendingJoinRequestsForCompany(t.Context(), all[0].ID)
		require.NoError(t, err)
		require.Len(t, joins, 1)
		require.Equal(t, bob.ID, joins[0].UserID)
		require.Equal(t, bob.Email, joins[0].Email)
		// The owner sees it on the companies page, with the way to decide.
		page := br.get("/companies").Body
		require.Contains(t, page, "Cereri de alăturare de decis")
		require.Contains(t, page, "bob@example.ro cere să se alăture companiei ALFA SOFT SRL (CIF 12345674).")
		require.Contains(t, page, `href="/companies/`+strconv.FormatInt(all[0].ID, 10)+`"`)
		require.NotContains(t, bobBrowser.get("/companies").Body, "Cereri de alăturare de decis", "not the requester's to decide")
		// Bob does not reach the company meanwhile.
		require.NotContains(t, bobBrowser.get("/?company="+itoa(all[0].ID)).Body, "ALFA SOFT SRL")
		require.NotContains(t, bobBrowser.get("/companies").Body, "ALFA SOFT SRL")

		// The owner adding it again is told they already have it.
		p = br.post("/companies", url.Values{"cif": {"RO12345674"}, "name": {"ALFA"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Contains(t, p.Body, "Aveți deja acces")
	})
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.user(t, "u@example.ro", store.UserApproved, false)
	br := b.browser(t)
	p := br.get("/login")
	require.Contains(t, p.Body, `<html lang="ro">`)
	require.Contains(t, p.Body, "Intrați în cont")

	p = br.get("/login?lang=en")
	require.Contains(t, p.Body, `<html lang="en">`)
	require.Contains(t, p.Body, "Log in")
	require.NotContains(t, p.Body, "Intrați în cont")

	// Remembered in the session, through login.
	br.login("u@example.ro")
	p = br.get("/")
	require.Contains(t, p.Body, `<html lang="en">`)
	require.Contains(t, p.Body, "Invoices")
	require.Contains(t, p.Body, "Companies")
	p = br.post("/login", url.Values{"email": {"u@example.ro"}, "password": {"nope nope nope"}})
	require.Contains(t, p.Body, "Wrong e-mail or password.")

	p = br.get("/companies?lang=ro")
	require.Contains(t, p.Body, `<html lang="ro">`)
	require.Contains(t, p.Body, "Adăugați o companie")

	// Once logged in, the choice is saved for the user: a new browser gets it.
	br.get("/?lang=en")
	other := b.browser(t)
	other.login("u@example.ro")
	require.Contains(t, other.get("/").Body, `<html lang="en">`)
}

func TestTemplatesEscapeHostileData(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const evil = `<script>alert("x")</script>`
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", `BETA `+evil, u)
	inv := b.invoiceOf(t, c, "3012345671", `AS-42`+evil, `ALFA `+evil)
	br := b.browser(t)
	br.login(u.Email)
	for _, path := range []string{"/", "/invoices/" + itoa(inv.ID), "/companies", "/?q=" + url.QueryEscape(evil)} {
		p := br.get(path)
		require.Equal(t, http.StatusOK, p.Status, path)
		require.NotContains(t, p.Body, evil, path)
		require.Contains(t, p.Body, `&lt;script&gt;`, path)
		assertNoInlineCode(t, p.Body)
	}
}

// assertNoInlineCode checks the page obeys the strict CSP: scripts only by
// src, no style attributes or style elements, no inline event handlers.
func assertNoInlineCode(t *testing.T, body string) {
	t.Helper()
	require.NotRegexp(t, `<script(?:\s[^>]*)?>[^<]`, body)
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		require.Contains(t, m, "src=", m)
	}
	require.NotContains(t, body, " style=")
	require.NotContains(t, body, "<style")
	require.NotRegexp(t, `\son[a-z]+=`, body)
}

func TestPagesObeyCSP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "admin@example.ro", store.UserApproved, true)
	c := b.company(t, "98765438", "BETA", u)
	inv := b.invoiceOf(t, c, "3012345671", "AS-1", "ALFA")
	anon := b.browser(t)
	for _, path := range []string{"/login", "/register", "/nope"} {
		assertNoInlineCode(t, anon.get(path).Body)
	}
	br := b.browser(t)
	br.login(u.Email)
	for _, path := range []string{"/", "/companies", "/anaf", "/admin/users", "/invoices/" + itoa(inv.ID)} {
		p := br.get(path)
		require.Equal(t, http.StatusOK, p.Status, path)
		assertNoInlineCode(t, p.Body)
		require.Contains(t, p.Body, "/static/app.css?v=")
		require.Contains(t, p.Body, "/static/app.js?v=")
	}
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.browser(t)
	p := br.get("/static/app.css?v=" + staticVersions["app.css"])
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Header.Get("Content-Type"), "text/css")
	require.Contains(t, p.Header.Get("Cache-Control"), "immutable")
	p = br.get("/static/app.js")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Header.Get("Content-Type"), "javascript")
	require.Equal(t, "public, max-age=3600", p.Header.Get("Cache-Control"))
	require.Equal(t, http.StatusNotFound, br.get("/static/nope.css").Status)
	require.Equal(t, http.StatusNotFound, br.get("/static/").Status)
}

func TestANAFConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	br := b.browser(t)
	br.login(u.Email)

	p := br.get("/anaf")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "Nu sunteți conectat la ANAF.")

	// Without an OAuth application the user is told so.
	p = br.post("/anaf/connect", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/anaf", p.Location)
	require.Contains(t, br.get("/anaf").Body, "nu este configurată")

	// A callback without a matching state is refused.
	p = br.get("/anaf/callback?code=abc&state=forged")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, br.get("/anaf").Body, "nu corespunde")

	// ANAF's own error is shown.
	p = br.get("/anaf/callback?error=access_denied&error_description=" + url.QueryEscape("<b>no</b>"))
	require.Equal(t, http.StatusSeeOther, p.Status)
	body := br.get("/anaf").Body
	require.Contains(t, body, "access_denied")
	require.Contains(t, body, "&lt;b&gt;no&lt;/b&gt;")

	// A stored token shows as connected, with its expiry in Bucharest time; disconnect removes it.
	require.NoError(t, b.st.SaveANAFToken(t.Context(), &store.ANAFToken{
		UserID: u.ID, AccessTokenEnc: []byte("x"), RefreshTokenEnc: []byte("y"),
		ExpiresAt: time.Date(2036, 7, 1, 9, 0, 0, 0, time.UTC), Status: "connected",
	}))
	body = br.get("/anaf").Body
	require.Contains(t, body, "Conectat la ANAF.")
	require.Contains(t, body, "01.07.2036 12:00")
	// Every other state says what happened and what to do, in the user's language.
	for _, tc := range []struct {
		status  string
		expires time.Time
		ro, en  string
	}{
		{"needs_attention", time.Date(2036, 7, 1, 9, 0, 0, 0, time.UTC), "ANAF refuză tokenul de acces deși nu a expirat", "reconnect with your digital certificate"},
		{"reconnect_needed", time.Date(2036, 7, 1, 9, 0, 0, 0, time.UTC), "ANAF a refuzat reîmprospătarea", "reconnect with your digital certificate"},
		{"connected", time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC), "ANAF nu a putut fi contactat", "The gateway keeps trying"},
	} {
		require.NoError(t, b.st.SaveANAFToken(t.Context(), &store.ANAFToken{
			UserID: u.ID, AccessTokenEnc: []byte("x"), RefreshTokenEnc: []byte("y"), ExpiresAt: tc.expires, Status: tc.status,
		}))
		body = br.get("/anaf").Body
		require.Contains(t, body, tc.ro, tc.status)
		require.NotContains(t, body, "Conectat la ANAF.")
		require.Contains(t, br.get("/anaf?lang=en").Body, tc.en, tc.status)
		br.get("/anaf?lang=ro")
	}
	p = br.post("/anaf/disconnect", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	_, err := b.st.ANAFTokenByUser(t.Context(), u.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestParseFailureStillOffersZIP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA", u)
	zip, err := invoice.BuildArchive("5001", []byte("<broken"), []byte("<sig/>"))
	require.NoError(t, err)
	inv := &store.Invoice{CompanyID: c.ID, ANAFID: "3001", MessageType: store.TypeErrors, ParseError: "XML syntax error on line 1", ZIP: zip}
	_, err = b.st.InsertInvoice(t.Context(), inv)
	require.NoError(t, err)
	br := b.browser(t)
	br.login(u.Email)
	p := br.get("/invoices/" + itoa(inv.ID))
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "XML syntax error on line 1")
	require.Contains(t, p.Body, "/invoices/"+itoa(inv.ID)+"/zip")
	require.Equal(t, string(zip), br.get("/invoices/"+itoa(inv.ID)+"/zip").Body)
	require.Contains(t, br.get("/?tab=errors").Body, "#3001")
}

func TestDashboardPagination(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, "u@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA", u)
	for i := range perPage + 3 {
		_, err := b.st.InsertInvoice(t.Context(), &store.Invoice{
			CompanyID: c.ID, ANAFID: itoa(int64(4000 + i)), MessageType: store.TypeReceived,
			InvoiceNumber: "N-" + itoa(int64(1000+i)), IssueDate: "2026-01-15", ZIP: []byte("z"),
		})
		require.NoError(t, err)
	}
	br := b.browser(t)
	br.login(u.Email)
	p := br.get("/?sort=anaf&order=asc")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "N-1000")
	require.NotContains(t, p.Body, "N-1052")
	require.Contains(t, p.Body, "Pagina 1 din 2")
	require.Contains(t, p.Body, `rel="next"`)
	p = br.get("/?sort=anaf&order=asc&page=2")
	require.Contains(t, p.Body, "N-1052")
	require.NotContains(t, p.Body, "N-1000")
	require.Contains(t, p.Body, `rel="prev"`)

	p = br.get("/?sort=number&order=desc")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "N-1052")
	require.NotContains(t, p.Body, "N-1002<")
	require.Contains(t, p.Body, `<option value="number" selected>`)

	p = br.get("/?from=31.02.2026")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "Scrieți data ca ZZ.LL.AAAA (de exemplu 07.01.2026).")
	// The date filters take what the page shows (dd.mm.yyyy in Romanian,
	// "7 Jan 2026" in English) and ISO, and show it back the page's way;
	// links carry ISO.
	p = br.get("/?from=01.01.2026&to=2026-12-31")
	require.Equal(t, http.StatusOK, p.Status)
	require.NotContains(t, p.Body, "Scrieți data ca")
	require.Contains(t, p.Body, `value="01.01.2026"`)
	require.Contains(t, p.Body, `value="31.12.2026"`)
	require.Contains(t, p.Body, "from=2026-01-01")
	require.Regexp(t, `<td class="nowrap">\d{2}\.\d{2}\.\d{4}</td>`, p.Body, "issue days dd.mm.yyyy")
	p = br.get("/?from=1+Jan+2026&lang=en")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `value="1 Jan 2026"`)
	require.NotContains(t, p.Body, "Write the date as")
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/invoices/3", "/invoices/3"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"", "/"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, safeNext(tt.in), tt.in)
	}
}

func TestNewRequiresGatewayAndSessions(t *testing.T) {
	t.Parallel()
	_, err := New(Deps{})
	require.Error(t, err)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// unknownTaxpayers is a VAT-payer register that knows no CIF.
type unknownTaxpayers struct{}

func (unknownTaxpayers) Taxpayer(context.Context, string, string) (*anaf.VATRecord, bool, error) {
	return nil, false, nil
}

// TestAddCompanyNameNotInRegister: a CIF whose name was left empty (to be
// filled from ANAF's register) that the register does not know is refused
// with the register's answer and what to do, not a bare "required"; with
// no register at all the form says it did not answer.
func TestAddCompanyNameNotInRegister(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.Gateway.Taxpayers = unknownTaxpayers{} })
	alice := b.user(t, "alice@example.ro", store.UserApproved, false)
	br := b.browser(t)
	br.login(alice.Email)
	p := br.post("/companies", url.Values{"cif": {"14399840"}, "name": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Body, "ANAF nu cunoaște acest CIF. Scrieți denumirea companiei.")
	require.NotContains(t, p.Body, "Câmp obligatoriu.")

	b = setup(t)
	bob := b.user(t, "bob@example.ro", store.UserApproved, false)
	br = b.browser(t)
	br.login(bob.Email)
	p = br.post("/companies", url.Values{"cif": {"14399840"}, "name": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Body, "Registrul ANAF nu a răspuns; scrieți numele.")
}
