package browsertest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
)

// insertSent stores testdata's ALF-0001 (seller ALFA SOFT, 12345674)
// renumbered and redated as a sent invoice of c, seen by the sync at
// created (Romanian time).
func insertSent(t *testing.T, g *gateway, c *store.Company, anafID, number, issue, created string) *store.Invoice {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/invoices/gen-01-invoice-ALF-0001.xml")
	require.NoError(t, err)
	data := []byte(strings.ReplaceAll(strings.ReplaceAll(string(raw), "ALF-0001", number), "2025-11-29", issue))
	doc, err := invoice.Parse(data)
	require.NoError(t, err)
	parsed, err := json.Marshal(doc)
	require.NoError(t, err)
	zip, err := invoice.BuildArchive("55"+anafID, data, []byte("<Signature/>"))
	require.NoError(t, err)
	ro, err := time.LoadLocation("Europe/Bucharest")
	require.NoError(t, err)
	at, err := time.ParseInLocation("2006-01-02 15:04", created, ro)
	require.NoError(t, err)
	inv := &store.Invoice{CompanyID: c.ID, ANAFID: anafID, UploadID: "55" + anafID, MessageType: store.TypeSent,
		CIFEmitent: c.CIF, CIFBeneficiar: "31415920", ANAFCreatedAt: at.UTC(), DocumentType: string(doc.DocumentType),
		InvoiceNumber: doc.Number, IssueDate: doc.IssueDate, Currency: doc.Currency, TotalAmount: doc.Totals.TaxInclusive,
		IssuerName: doc.Seller.Name, ReceiverName: doc.Buyer.Name, SupplierCIF: c.CIF, ParsedJSON: parsed, ZIP: zip}
	inserted, err := g.store.InsertInvoice(t.Context(), inv)
	require.NoError(t, err)
	require.True(t, inserted)
	return inv
}

// TestBrowserCompliancePage: the "Termene și numerotare" page of a company
// with made-up sent invoices, in Romanian and English, at 1280 and 360 px:
// late invoices with their days and links, missing numbers and a repeat,
// dd.mm.yyyy dates, the period filter, the numbering pattern set on the
// company page (a wrong one refused in the user's language), nothing wider
// than a phone, a clean console.
func TestBrowserCompliancePage(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	ctx := t.Context()
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	ana, err := g.store.CreateUser(ctx, userEmail, hash, false, store.UserApproved)
	require.NoError(t, err)
	alfa, err := g.store.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SRL", ana.ID)
	require.NoError(t, err)
	_, err = g.store.SetCompanyVerified(ctx, alfa.ID, ana.ID)
	require.NoError(t, err)

	insertSent(t, g, alfa, "3400000001", "ALF-0098", "2025-12-29", "2025-12-30 10:00")
	late := insertSent(t, g, alfa, "3400000002", "ALF-0099", "2025-12-30", "2026-01-09 10:00") // due 5.1.2026: 4 days late
	insertSent(t, g, alfa, "3400000003", "ALF-0001", "2026-01-05", "2026-01-06 10:00")         // the yearly restart
	insertSent(t, g, alfa, "3400000004", "ALF-0002", "2026-01-08", "2026-01-09 10:00")
	insertSent(t, g, alfa, "3400000005", "ALF-0005", "2026-01-12", "2026-01-13 10:00") // 0003–0004 missing
	rep1 := insertSent(t, g, alfa, "3400000006", "ALF-0006", "2026-01-13", "2026-01-14 10:00")
	rep2 := insertSent(t, g, alfa, "3400000007", "ALF-0006", "2026-01-20", "2026-01-21 10:00")  // the same number again
	late2 := insertSent(t, g, alfa, "3400000008", "ALF-0007", "2026-02-02", "2026-02-23 09:00") // due 9.2: 14 days late

	path := fmt.Sprintf("/companies/%d/compliance/numbering?from=01.12.2025&to=28.02.2026", alfa.ID)
	b := newBrowser(t, g.url)
	b.login(userEmail)
	for _, width := range []int64{1280, 360} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 800))
		for _, lang := range []string{"ro", "en"} {
			b.open(path + "&lang=" + lang)
			b.shot(fmt.Sprintf("compliance-%s-%d", lang, width))
			require.Equal(t, "2", b.text(`[data-figure="late"]`))
			require.Equal(t, "2", b.text(`[data-figure="missing"]`))
			require.Equal(t, "1", b.text(`[data-figure="repeats"]`))
			lateRow := b.text(`tr[data-late="ALF-0099"]`)
			repeat := b.text(`li[data-repeat="ALF-0006"]`)
			series := b.text(`table.compliance-series`)
			if lang == "ro" {
				require.Contains(t, lateRow, "30.12.2025")
				require.Contains(t, lateRow, "05.01.2026")
				require.Contains(t, lateRow, "4 zile")
				require.Contains(t, lateRow, "5 zile calendaristice")
				require.Contains(t, b.text(`tr[data-late="ALF-0007"]`), "14 zile")
				require.Contains(t, b.text(`tr[data-late="ALF-0007"]`), "5 zile lucrătoare")
				require.Contains(t, series, "lipsesc: 2")
				require.Contains(t, repeat, "13.01.2026")
				require.Equal(t, "01.12.2025", b.eval(`document.querySelector("#from").value`))
			} else {
				require.Contains(t, lateRow, "30 Dec 2025")
				require.Contains(t, lateRow, "5 Jan 2026")
				require.Contains(t, lateRow, "4 days")
				require.Contains(t, lateRow, "5 calendar days")
				require.Contains(t, series, "missing: 2")
				require.Contains(t, repeat, "20 Jan 2026")
			}
			require.Contains(t, series, "ALF-0003 – ALF-0004")
			require.Contains(t, series, "2025")
			require.Equal(t, fmt.Sprintf("/invoices/%d /invoices/%d", late.ID, late2.ID),
				b.eval(`Array.from(document.querySelectorAll("table.compliance-late a")).map(a => a.getAttribute("href")).sort().join(" ")`))
			require.Equal(t, fmt.Sprintf("/invoices/%d /invoices/%d", rep1.ID, rep2.ID),
				b.eval(`Array.from(document.querySelectorAll("li[data-repeat] a")).map(a => a.getAttribute("href")).join(" ")`))
			if width == 360 {
				require.Equal(t, "360", b.eval(`String(document.documentElement.scrollWidth)`), "the page fits a phone")
			}
		}
	}
	// A late invoice's link opens its page.
	b.do("viewport 1280", chromedp.EmulateViewport(1280, 800))
	b.open(path + "&lang=ro")
	b.submit(`tr[data-late="ALF-0099"] a`, "main h1")
	require.Contains(t, b.text("main"), "ALF-0099")

	// The period filter: only February.
	b.open(fmt.Sprintf("/companies/%d/compliance/numbering?lang=ro", alfa.ID))
	b.fill("#from", "01.02.2026", "#to", "28.02.2026")
	b.submit(`form.filters button[type=submit]`, `[data-figure="checked"]`)
	require.Equal(t, "1", b.text(`[data-figure="checked"]`))
	b.fill("#from", "ieri")
	b.submit(`form.filters button[type=submit]`, `#from-error`)
	require.Contains(t, b.text("#from-error"), "Scrieți o dată")

	// The numbering pattern, on the company page: a wrong one is refused, a right one used.
	b.open(fmt.Sprintf("/companies/%d?lang=ro", alfa.ID))
	b.fill("#pattern", `^ALF-(\d+)$`)
	b.submit(`#numbering button[type=submit]`, "#pattern-error")
	require.Contains(t, b.text("#pattern-error"), "(?P<number>…)")
	b.shot("compliance-pattern-error")
	// The refusal is a 422, which Chromium logs as a failed load: expected here, and only here.
	b.mu.Lock()
	kept := b.console[:0]
	for _, c := range b.console {
		if !strings.Contains(c, "/numbering") || !strings.Contains(c, "status of 422") {
			kept = append(kept, c)
		}
	}
	b.console = kept
	b.mu.Unlock()
	b.fill("#pattern", `^(?P<series>ALF)-(?P<number>\d+)$`)
	b.submit(`#numbering button[type=submit]`, "#numbering")
	b.open(path + "&lang=ro")
	require.Contains(t, b.text("#numbering"), `^(?P<series>ALF)-(?P<number>\d+)$`)
	require.Contains(t, b.text(`table.compliance-series`), "ALF")
	events, err := g.store.AuditEvents(ctx, 5)
	require.NoError(t, err)
	found := false
	for _, e := range events {
		found = found || e.Action == store.ActionCompanyNumberingPattern
	}
	require.True(t, found, "the pattern change is audited")

	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.console, "console errors or CSP violations")
}
