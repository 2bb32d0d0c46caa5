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

// TestBrowserUploadJourney sends invoices from the browser (issue 14):
// upload page → validation report of the invalid file → the valid one
// sent → its state followed live to ok → the invoice listed under sent;
// the pages at 1280 and 360 px, nothing overflowing sideways, and a
// clean console.
func TestBrowserUploadJourney(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	_, err = g.store.CreateUser(t.Context(), userEmail, hash, false, store.UserApproved)
	require.NoError(t, err)

	// Two files of EPSILON (27182818): a fresh valid invoice and an invalid one.
	src, err := os.ReadFile("../../testdata/invoices/gen-02-invoice-EPS-0001.xml")
	require.NoError(t, err)
	dir := t.TempDir()
	valid := filepath.Join(dir, "factura-EPS-0901.xml")
	require.NoError(t, os.WriteFile(valid, []byte(strings.ReplaceAll(string(src), "EPS-0001", "EPS-0901")), 0o600))
	invalid := filepath.Join(dir, "factura-EPS-0902.xml")
	bad := strings.Replace(strings.ReplaceAll(string(src), "EPS-0001", "EPS-0902"),
		"<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", "<cbc:InvoiceTypeCode>999</cbc:InvoiceTypeCode>", 1)
	require.NoError(t, os.WriteFile(invalid, []byte(bad), 0o600))

	b := newBrowser(t, g.url)
	b.login(userEmail)
	// The company, the ANAF connection, and a first sync that verifies it.
	b.open("/companies")
	b.fill("#cif", "RO27182818", "#name", "EPSILON SRL")
	b.submit("form[action='/companies'] button", ".flash-ok")
	b.open("/anaf")
	b.do("connect", chromedp.Click(chromedp.CSS("a[href='/anaf/connect']")), chromedp.WaitVisible(chromedp.CSS(".status-ok")))
	b.open("/")
	b.submit("form[action$='/sync'] button", ".flash")
	deadline := time.Now().Add(120 * time.Second)
	for {
		rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`String(document.querySelectorAll('table.invoices tbody tr').length)`))
		if err == nil && rows != "0" {
			break
		}
		if time.Now().After(deadline) {
			b.shot("failed-sync")
			t.Fatal("the company was not synced in 120s")
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Send: the upload page, linked from the dashboard.
	b.submit("a[href$='/upload']", "form[enctype='multipart/form-data']")
	uploadPath := b.eval(`location.pathname`)
	require.Regexp(t, `^/companies/\d+/upload$`, uploadPath)
	companyPath := strings.TrimSuffix(uploadPath, "/upload")
	b.shot("upload-form-1280")
	b.do("choose files", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{valid, invalid}))
	b.do("b2c off, executare off", chromedp.WaitVisible(chromedp.CSS("#opt-executare")))
	b.submit("main form[enctype] button[type=submit]", ".upload-results")
	results := b.text(".upload-results")
	for _, want := range []string{"factura-EPS-0901.xml", "factura-EPS-0902.xml", "BR-CL-01", "BR-RO-020", "Invalidă: 2 erori", "Validă și trimisă la ANAF"} {
		require.Contains(t, results, want)
	}
	b.shot("upload-result-1280")

	// The state follows ANAF's answer live (app.js polls), up to ok.
	deadline = time.Now().Add(90 * time.Second)
	for {
		state, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector('[data-upload-status] [data-field=state]') || {}).textContent || ""`))
		if err == nil && strings.Contains(state, "acceptată (ok)") {
			break
		}
		if time.Now().After(deadline) {
			b.shot("failed-upload-state")
			t.Fatalf("the upload did not reach ok on the page in 90s (state %q)", state)
		}
		time.Sleep(500 * time.Millisecond)
	}
	require.Regexp(t, `^\d+$`, b.text("[data-upload-status] [data-field=index]"), "ANAF's id_incarcare shown")
	b.shot("upload-ok-1280")

	// The Încărcări tab and the upload's page.
	b.open(companyPath + "/uploads")
	list := b.text("table.uploads")
	for _, want := range []string{"factura-EPS-0901.xml", "EPS-0901", "acceptată (ok)", "factura-EPS-0902.xml", "invalidă (netrimisă)", "22.01.2026", "întârziată"} {
		require.Contains(t, list, want)
	}
	b.shot("uploads-1280")
	b.open(b.eval(`Array.from(document.querySelectorAll("table.uploads a")).find(a => a.textContent.includes("EPS-0901.xml")).getAttribute("href")`))
	require.Contains(t, b.text(".upload-facts"), "id_descarcare")
	b.shot("upload-detail-1280")

	// The sent invoice is archived and listed under sent.
	b.submit(".upload-facts [data-field=invoice] a", "a[href$='/pdf']")
	require.Contains(t, b.text("h1"), "EPS-0901")
	b.open("/?tab=sent&q=EPS-0901")
	require.Contains(t, b.text("table.invoices"), "EPS-0901")
	b.shot("sent-list-1280")

	// A received invoice: the buyer's message to the seller (RASP).
	b.open("/?tab=received")
	b.submit("table.invoices tbody tr a", ".buyer-message")
	b.do("reject", chromedp.Click(chromedp.CSS("#rasp-reject")))
	b.fill("#rasp-note", "Cantitatea de pe linia 1 nu corespunde avizului.")
	b.shot("buyer-message-1280")
	b.submit(".buyer-message button[type=submit]", ".flash")
	require.Contains(t, b.eval(`document.querySelector('.flash').className`), "flash-ok", b.text(".flash"))
	require.Contains(t, b.text(".flash"), "Mesajul a fost trimis la ANAF")

	// The same pages at 360 px, in Romanian and English.
	var problems []string
	b.do("viewport 360", chromedp.EmulateViewport(360, 800))
	for _, lang := range []string{"ro", "en"} {
		for _, p := range []string{uploadPath, companyPath + "/uploads"} {
			b.open(p + "?lang=" + lang)
			b.shot(fmt.Sprintf("%s-%s-360", strings.TrimPrefix(p[strings.LastIndex(p, "/"):], "/"), lang))
			if over := b.eval(`String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`); over != "0" {
				problems = append(problems, fmt.Sprintf("%s (%s) at 360 px overflows sideways by %s px", p, lang, over))
			}
		}
	}
	b.open(uploadPath + "?lang=ro")
	b.do("choose files 360", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{invalid}))
	b.submit("main form[enctype] button[type=submit]", ".upload-results")
	b.shot("upload-result-360")
	if over := b.eval(`String(document.documentElement.scrollWidth - document.documentElement.clientWidth)`); over != "0" {
		problems = append(problems, "the upload result at 360 px overflows sideways by "+over+" px")
	}
	require.Empty(t, problems)

	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.console, "console errors or CSP violations")
}
