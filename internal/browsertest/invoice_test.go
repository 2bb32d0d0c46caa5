package browsertest

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/store"
)

// insertInvoice stores file as a received invoice of company c, parsed,
// in an ANAF-shaped ZIP.
func insertInvoice(t *testing.T, g *gateway, c *store.Company, anafID, file string) *store.Invoice {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	doc, err := invoice.Parse(data)
	require.NoError(t, err)
	parsed, err := json.Marshal(doc)
	require.NoError(t, err)
	zip, err := invoice.BuildArchive("55"+anafID, data, []byte("<Signature/>"))
	require.NoError(t, err)
	inv := &store.Invoice{CompanyID: c.ID, ANAFID: anafID, UploadID: "55" + anafID, MessageType: store.TypeReceived,
		ANAFCreatedAt: time.Date(2026, 1, 7, 8, 30, 0, 0, time.UTC), DocumentType: string(doc.DocumentType),
		InvoiceNumber: doc.Number, IssueDate: doc.IssueDate, Currency: doc.Currency, TotalAmount: doc.Totals.TaxInclusive,
		IssuerName: doc.Seller.Name, ReceiverName: doc.Buyer.Name, ParsedJSON: parsed, ZIP: zip}
	inserted, err := g.store.InsertInvoice(t.Context(), inv)
	require.NoError(t, err)
	require.True(t, inserted)
	return inv
}

// TestBrowserInvoicePage shows a rich invoice (payee, tax representative,
// delivery, allowances and charges, every code list) and a credit note at
// 1280 and 360 px, in Romanian and English: codes by their names, amounts
// with their currency, days as the language writes them, credit notes
// titled as such, nothing wider than the screen, a clean console.
func TestBrowserInvoicePage(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	u, err := g.store.CreateUser(t.Context(), userEmail, hash, false, store.UserApproved)
	require.NoError(t, err)
	c, err := g.store.CreateCompany(t.Context(), companyCIF, "BETA TRADING SRL")
	require.NoError(t, err)
	require.NoError(t, g.store.AddMembership(t.Context(), c.ID, u.ID, store.RoleOwner))
	_, err = g.store.SetCompanyVerified(t.Context(), c.ID, u.ID)
	require.NoError(t, err)
	rich := insertInvoice(t, g, c, "3200000001", "../invoice/testdata/full-terms.xml")
	credit := insertInvoice(t, g, c, "3200000002", "../../testdata/invoices/gen-05-creditnote-DLG-0001.xml")

	b := newBrowser(t, g.url)
	b.login(userEmail)
	want := map[string][]string{
		"ro": {"Factură FULL-0001", "Factură comercială", "Beneficiarul plății", "Reprezentant fiscal", "Livrare",
			"România", "București", "Transfer credit", "Cont (IBAN)", "Titular cont", "Reduceri și taxe suplimentare",
			"Cota standard", "Data livrării efective", "229,90 lei", "20,00 lei", "52,00 lei", "20.01.2026", "18.01.2026"},
		"en": {"Invoice FULL-0001", "Commercial invoice", "Payee", "Tax representative", "Delivery",
			"Romania", "Credit transfer", "Account (IBAN)", "Account name", "Allowances and charges",
			"Standard rate", "Actual delivery date", "229.90 RON", "20.00 RON", "52.00 RON", "20 Jan 2026", "18 Jan 2026"},
	}
	creditTitle := map[string]string{"ro": "Notă de credit DLG-0001", "en": "Credit note DLG-0001"}
	isoDay := regexp.MustCompile(`(^|\s)\d{4}-\d{2}-\d{2}(\s|$)`)
	var problems []string
	for _, width := range []int64{1280, 360} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		for _, lang := range []string{"ro", "en"} {
			b.open(fmt.Sprintf("/invoices/%d?lang=%s", rich.ID, lang))
			b.shot(fmt.Sprintf("invoice-%s-%d", lang, width))
			main := b.text("main")
			for _, w := range want[lang] {
				if !strings.Contains(main, w) {
					problems = append(problems, fmt.Sprintf("rich invoice (%s, %d px): %q missing", lang, width, w))
				}
			}
			for _, raw := range []string{"H87", "VATEX", "RO-CJ", "380 ", "1000.00"} {
				if strings.Contains(main, raw) {
					problems = append(problems, fmt.Sprintf("rich invoice (%s, %d px): raw %q shown", lang, width, raw))
				}
			}
			if lang == "ro" && isoDay.MatchString(main) {
				problems = append(problems, fmt.Sprintf("rich invoice (ro, %d px): an ISO day", width))
			}
			if sw := b.eval(`String(document.documentElement.scrollWidth)`); sw != fmt.Sprint(width) {
				problems = append(problems, fmt.Sprintf("rich invoice (%s) at %d px is %s px wide", lang, width, sw))
			}

			b.open(fmt.Sprintf("/invoices/%d?lang=%s", credit.ID, lang))
			b.shot(fmt.Sprintf("creditnote-%s-%d", lang, width))
			if h1 := b.text("main h1"); h1 != creditTitle[lang] {
				problems = append(problems, fmt.Sprintf("credit note (%s, %d px) titled %q", lang, width, h1))
			}
			if sw := b.eval(`String(document.documentElement.scrollWidth)`); sw != fmt.Sprint(width) {
				problems = append(problems, fmt.Sprintf("credit note (%s) at %d px is %s px wide", lang, width, sw))
			}
		}
	}
	// The credit note counts as −|BT-112| in the dashboard's figures and
	// list: 229,90 − 82.655,15 = −82.425,25 lei received.
	negative := map[string]*regexp.Regexp{
		"ro": regexp.MustCompile(`[-−][\s\x{a0}\x{202f}]?82\.425,25[\s\x{a0}\x{202f}]?lei`), "en": regexp.MustCompile(`[-−][\s\x{a0}\x{202f}]?82,425\.25[\s\x{a0}\x{202f}]?RON`)}
	row := map[string]*regexp.Regexp{
		"ro": regexp.MustCompile(`[-−][\s\x{a0}\x{202f}]?82\.655,15[\s\x{a0}\x{202f}]?lei`), "en": regexp.MustCompile(`[-−][\s\x{a0}\x{202f}]?82,655\.15[\s\x{a0}\x{202f}]?RON`)}
	label := map[string]string{"ro": "Notă de credit", "en": "Credit note"}
	for _, width := range []int64{1280, 360} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		for _, lang := range []string{"ro", "en"} {
			b.open(fmt.Sprintf("/?company=%d&lang=%s", c.ID, lang))
			b.shot(fmt.Sprintf("dashboard-creditnote-%s-%d", lang, width))
			if fig := b.text(".figures"); !negative[lang].MatchString(fig) {
				problems = append(problems, fmt.Sprintf("dashboard (%s, %d px): received figure without the credit note subtracted: %q", lang, width, fig))
			}
			tr := b.eval(`Array.from(document.querySelectorAll("table.invoices tbody tr")).map(tr => tr.innerText).filter(s => s.includes("DLG-0001")).join("|")`)
			if !row[lang].MatchString(tr) || !strings.Contains(tr, label[lang]) {
				problems = append(problems, fmt.Sprintf("dashboard (%s, %d px): the credit note's row is not labelled and negative: %q", lang, width, tr))
			}
		}
	}
	require.Empty(t, problems)
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.console, "console errors or CSP violations")
}
