package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestBrowserEveryPageFitsAPhone visits every page a user and an admin can
// reach (dashboard with its tabs, an invoice, a credit note, the upload
// page, uploads and an upload, companies, a company with members and
// invitations, invitations, API keys, the ANAF connection, the account,
// validation, the archive, compliance, webhooks and a webhook's log, two-factor
// login, deleting a company, a 404, the admin pages (two-factor policy
// included), /api/docs, login, register, unsubscribe and an account waiting
// for approval) at 360 px and
// at 1280 px: at 360 px no page is wider than the screen
// (document.documentElement.scrollWidth <= 360), and the console stays
// clean. Screenshots of both widths go to the artifacts folder.
func TestBrowserEveryPageFitsAPhone(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	ctx := t.Context()
	st := g.store
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	ana, err := st.CreateUser(ctx, userEmail, hash, false, store.UserApproved)
	require.NoError(t, err)
	radu, err := st.CreateUser(ctx, "radu.popescu-contabilitate@example.ro", hash, false, store.UserApproved)
	require.NoError(t, err)
	const waiting = "asteapta.aprobarea-contului@example.ro" // an account waiting for approval: /pending
	_, err = st.CreateUser(ctx, waiting, hash, false, store.UserPending)
	require.NoError(t, err)

	// Ana's verified company with invoices (a rich one, a credit note,
	// several months for the chart), a member, an invitation, a key and
	// two uploads; a second company with a long name for the switcher; an
	// invitation to a third.
	beta := verifiedCompany(t, st, companyCIF, "BETA TRADING SRL", ana)
	_, err = st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SOLUȚII INFORMATICE ȘI CONSULTANȚĂ PENTRU CONTABILITATE SRL", ana.ID)
	require.NoError(t, err)
	require.NoError(t, st.InsertMembership(ctx, beta.ID, radu.ID, store.RoleMember, false))
	in14 := time.Now().Add(14 * 24 * time.Hour)
	require.NoError(t, st.CreateInvitation(ctx, &store.Invitation{CompanyID: beta.ID, Email: "maria.ionescu-expert-contabil@example.ro", Role: store.RoleMember, InvitedBy: ana.ID, ExpiresAt: in14}))
	gamma, err := st.CreateCompanyWithOwner(ctx, "18547290", "GAMMA DISTRIBUȚIE ȘI LOGISTICĂ SRL", radu.ID)
	require.NoError(t, err)
	require.NoError(t, st.CreateInvitation(ctx, &store.Invitation{CompanyID: gamma.ID, Email: userEmail, Role: store.RoleOwner, InvitedBy: radu.ID, ExpiresAt: in14}))

	rich := insertInvoice(t, g, beta, "3300000001", "../invoice/testdata/full-terms.xml")
	credit := insertInvoice(t, g, beta, "3300000002", "../../testdata/invoices/gen-05-creditnote-DLG-0001.xml")
	for i, f := range []string{"gen-01-invoice-ALF-0001.xml", "gen-02-invoice-EPS-0001.xml", "gen-03-invoice-eur-GMC-0001.xml",
		"gen-04-invoice-BTR-0001.xml", "gen-06-invoice-ZTA-0001.xml", "gen-07-invoice-ALF-0002.xml", "gen-08-invoice-EPS-0002.xml",
		"gen-09-invoice-GMC-0002.xml", "gen-11-invoice-DLG-0002.xml", "gen-12-invoice-ZTA-0002.xml"} {
		insertInvoice(t, g, beta, fmt.Sprintf("33000001%02d", i), "../../testdata/invoices/"+f)
	}
	require.NoError(t, st.CreateAPIKey(ctx, &store.APIKey{CompanyID: beta.ID, UserID: ana.ID, Name: "ERP contabilitate — sincronizare zilnică",
		Prefix: "efk_abcd1234", Hash: []byte("0123456789abcdef0123456789abcdef"), Scope: "write"}))
	nok := &store.Upload{CompanyID: beta.ID, FileName: "factura-lunga-cu-nume-foarte-lung-BTR-0042-decembrie-2026.xml", State: store.UploadNOK,
		SellerCIF: companyCIF, InvoiceNumber: "BTR-0042", IssueDate: "2026-12-01", BuyerCIF: "12345674", BuyerName: "ALFA SOFT SRL",
		TotalAmount: "1190.00", Currency: "RON", Document: []byte("<Invoice/>"), DocSHA256: []byte("0123456789abcdef0123456789abcdef"),
		IDIncarcare: "5001234567", Errors: []store.UploadError{{ID: "BR-RO-020", Message: "Codul de identificare fiscală al cumpărătorului nu este valid pentru o persoană înregistrată în scopuri de TVA."}},
		CreatedByUser: ana.ID}
	require.NoError(t, st.CreateUpload(ctx, nok))
	hook := &store.WebhookEndpoint{CompanyID: beta.ID, URL: "https://erp.contabilitate-exemplu.ro/efactura/webhooks/primire-facturi-noi",
		EventTypes: []string{"invoice.received", "sync.failed"}, SyncFailedThreshold: 3, SecretEnc: []byte("sealed"), CreatedBy: ana.ID}
	require.NoError(t, st.CreateWebhookEndpoint(ctx, hook))

	type page struct{ name, path string }
	id := func(format string, v int64) string { return fmt.Sprintf(format, v) }
	userPages := []page{
		{"portfolio", "/"}, // Ana has two companies: the portfolio
		{"search", "/search?q=alfa"},
		{"dashboard", id("/?company=%d", beta.ID)},
		{"dashboard-en", id("/?company=%d&lang=en", beta.ID)},
		{"invoice", id("/invoices/%d?lang=ro", rich.ID)},
		{"creditnote", id("/invoices/%d", credit.ID)},
		{"upload", id("/companies/%d/upload", beta.ID)},
		{"uploads", id("/companies/%d/uploads", beta.ID)},
		{"upload-detail", id("/uploads/%d", nok.ID)},
		{"companies", "/companies"},
		{"company-members", id("/companies/%d", beta.ID)},
		{"invitations", "/invitations"},
		{"apikeys", id("/companies/%d/keys", beta.ID)},
		{"anaf", "/anaf"},
		{"account", "/account/password"},
		{"notifications", "/account/notifications"},
		{"validate", "/validate"},
		{"api-docs", "/api/docs"},
		// Pages added since (issues 18-20): the archive, compliance, webhooks, two-factor login, deleting a company, a 404.
		{"archive", id("/companies/%d/archive", beta.ID)},
		{"compliance", id("/companies/%d/compliance/numbering", beta.ID)},
		{"webhooks", id("/companies/%d/webhooks", beta.ID)},
		{"webhook-log", fmt.Sprintf("/companies/%d/webhooks/%d", beta.ID, hook.ID)},
		{"twofa", "/account/2fa"},
		{"company-delete", id("/companies/%d/delete", beta.ID)},
		{"not-found", "/no-such-page"},
	}
	adminPages := []page{
		{"admin-users", "/admin/users"},
		{"admin-anaf", "/admin/anaf"},
		{"admin-audit", "/admin/audit"},
		{"admin-system", "/admin/system"},
		{"admin-mail", "/admin/mail"},
		{"admin-2fa", "/admin/2fa"},
	}
	publicPages := []page{{"login", "/login"}, {"register", "/register"}, {"register-done", "/register/done"}, {"unsubscribe", "/unsubscribe?t=bad"}}

	b := newBrowser(t, g.url)
	var problems []string // collected, so every page gets its screenshot
	visit := func(width int64, pages []page) {
		for _, pg := range pages {
			b.open(pg.path)
			b.shot(fmt.Sprintf("phone-%s-%d", pg.name, width))
			// What the screen shows first, at its real size.
			saveShot(b, fmt.Sprintf("phone-%s-%d-top", pg.name, width), chromedp.CaptureScreenshot())
			sw := b.eval(`String(document.documentElement.scrollWidth)`)
			if sw != fmt.Sprint(width) {
				wide := b.eval(`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
					.slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "")).join(", ")`)
				problems = append(problems, fmt.Sprintf("%s at %d px is %s px wide (%s)", pg.path, width, sw, wide))
			}
			// Every button is within the screen, not cut off in a table scrolled sideways.
			cut := b.eval(`Array.from(document.querySelectorAll("main button")).filter(e => {
				const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < 0 || r.right > document.documentElement.clientWidth + 0.5)
			}).map(e => e.textContent.trim()).join(" | ")`)
			if cut != "" {
				problems = append(problems, fmt.Sprintf("%s at %d px: buttons outside the screen: %s", pg.path, width, cut))
			}
		}
	}
	for _, width := range []int64{360, 1280} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 800))
		visit(width, publicPages)
		b.login(userEmail)
		if width == 360 {
			// The ANAF connection, made once: the page then shows its state.
			b.open("/anaf")
			b.do("connect", chromedp.Click(chromedp.CSS("a[href='/anaf/connect']")), chromedp.WaitVisible(chromedp.CSS(".status-ok")))
		}
		visit(width, userPages)
		// Every tab of the invoice list.
		b.open(id("/?company=%d", beta.ID))
		tabs := strings.Fields(b.eval(`Array.from(document.querySelectorAll("nav.tabs a")).map(a => a.getAttribute("href")).join(" ")`))
		require.NotEmpty(t, tabs)
		var tabPages []page
		for i, href := range tabs {
			tabPages = append(tabPages, page{fmt.Sprintf("tab%d", i+1), href})
		}
		visit(width, tabPages)
		b.logout()
		b.login(adminEmail)
		visit(width, adminPages)
		b.logout()
		b.open("/login")
		b.fill("#email", waiting, "#password", password)
		b.submit("main form button[type=submit]", "form[action='/logout']")
		visit(width, []page{{"pending", "/pending"}})
		b.logout()
	}
	// The chart, the invoice list and a code block of /api/docs at phone size, close up.
	b.do("viewport 360", chromedp.EmulateViewport(360, 800))
	b.login(userEmail)
	b.open(id("/?company=%d", beta.ID))
	saveShot(b, "phone-chart-360", chromedp.Screenshot(chromedp.CSS(".chart-card")))
	saveShot(b, "phone-invoice-list-360", chromedp.Screenshot(chromedp.CSS("table.invoices")))
	b.open("/api/docs")
	saveShot(b, "phone-api-docs-op-360", chromedp.Screenshot(chromedp.CSS("section.op")))
	saveShot(b, "phone-api-docs-schema-360", chromedp.Screenshot(chromedp.CSS("#schemas pre")))
	require.Empty(t, problems)
	b.mu.Lock()
	defer b.mu.Unlock()
	var console []string
	for _, c := range b.console {
		// The 404 page and a refused unsubscribe link answer with their
		// status on purpose; Chromium logs that as a failed load.
		if strings.Contains(c, "Failed to load resource") && (strings.Contains(c, "/no-such-page") || strings.Contains(c, "/unsubscribe?t=bad")) {
			continue
		}
		console = append(console, c)
	}
	require.Empty(t, console, "console errors or CSP violations")
}

// saveShot saves the PNG an action captures as NN-name.png.
func saveShot(b *browser, name string, capture chromedp.Action[[]byte]) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, capture)
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.shots++
	require.NoError(b.t, os.WriteFile(filepath.Join(b.artifacts, fmt.Sprintf("%02d-%s.png", b.shots, name)), png, 0o644))
}
