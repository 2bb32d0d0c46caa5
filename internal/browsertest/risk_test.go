package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsim"
	"github.com/efactura-gateway/efactura/internal/auth"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/riskcheck"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestBrowserRiskFlags: a received invoice from GAMMA (inactive and out
// of the VAT register since 2025-12-15 in the simulator), dated
// 2026-01-10, is checked against the simulator's VAT-payer service; its
// page shows the risk box with both flags explained in Romanian and
// English (days as the language writes them), the dashboard's filter
// lists it, and "mark as checked" records who checked it.
func TestBrowserRiskFlags(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	ctx := t.Context()
	hash, err := auth.HashPassword(password)
	require.NoError(t, err)
	u, err := g.store.CreateUser(ctx, userEmail, hash, false, store.UserApproved)
	require.NoError(t, err)
	c, err := g.store.CreateCompany(ctx, companyCIF, "BETA TRADING SRL")
	require.NoError(t, err)
	require.NoError(t, g.store.AddMembership(ctx, c.ID, u.ID, store.RoleOwner))
	_, err = g.store.SetCompanyVerified(ctx, c.ID, u.ID)
	require.NoError(t, err)

	data, err := os.ReadFile("../../testdata/invoices/gen-03-invoice-eur-GMC-0001.xml")
	require.NoError(t, err)
	doc, err := invoice.Parse(data)
	require.NoError(t, err)
	parsed, err := json.Marshal(doc)
	require.NoError(t, err)
	zip, err := invoice.BuildArchive("553300000001", data, []byte("<Signature/>"))
	require.NoError(t, err)
	inv := &store.Invoice{CompanyID: c.ID, ANAFID: "3300000001", UploadID: "553300000001", MessageType: store.TypeReceived,
		ANAFCreatedAt: time.Date(2026, 1, 10, 8, 30, 0, 0, time.UTC), DocumentType: string(doc.DocumentType),
		InvoiceNumber: doc.Number, IssueDate: doc.IssueDate, Currency: doc.Currency, TotalAmount: doc.Totals.TaxInclusive,
		VATAmount: doc.Totals.VAT, IssuerName: doc.Seller.Name, ReceiverName: doc.Buyer.Name,
		SupplierCIF: invoice.PartyCIF(doc.Seller), ParsedJSON: parsed, ZIP: zip}
	ok, err := g.store.InsertInvoice(ctx, inv)
	require.NoError(t, err)
	require.True(t, ok)

	sim, err := anafsim.New(anafsim.Options{})
	require.NoError(t, err)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	ch := riskcheck.New(riskcheck.Options{Store: g.store,
		ANAF: anaf.New(anaf.Config{PublicBaseURL: srv.URL, VATLimiter: rate.NewLimiter(rate.Inf, 1)})})
	_, err = ch.Step(ctx) // the gateway's own check_risks may have been first: the same flags
	require.NoError(t, err)

	b := newBrowser(t, g.url)
	b.login(userEmail)
	want := map[string][]string{
		"ro": {"Semnale de risc privind furnizorul", "Furnizor inactiv", "Furnizor neînregistrat în scopuri de TVA", "10.01.2026", "15.12.2025", "Important"},
		"en": {"Supplier risk flags", "Inactive supplier", "Supplier not registered for VAT", "10 Jan 2026", "15 Dec 2025", "Important"},
	}
	var problems []string
	for _, width := range []int64{1280, 360} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 900))
		for _, lang := range []string{"ro", "en"} {
			b.open(fmt.Sprintf("/invoices/%d?lang=%s", inv.ID, lang))
			b.shot(fmt.Sprintf("risk-%s-%d", lang, width))
			box := b.text("#risk")
			for _, w := range want[lang] {
				if !strings.Contains(box, w) {
					problems = append(problems, fmt.Sprintf("risk box (%s, %d px): %q missing in %q", lang, width, w, box))
				}
			}
			if sw := b.eval(`String(document.documentElement.scrollWidth)`); sw != fmt.Sprint(width) {
				problems = append(problems, fmt.Sprintf("risk box (%s) at %d px is %s px wide", lang, width, sw))
			}
		}
	}
	require.Empty(t, problems)

	// The dashboard's filter lists it.
	b.do("viewport 1280", chromedp.EmulateViewport(1280, 900))
	b.open(fmt.Sprintf("/?company=%d&risk=1&lang=ro", c.ID))
	require.Contains(t, b.text("main"), doc.Number)
	require.Equal(t, "true", b.eval(`String(document.querySelector("input[name=risk]").checked)`))

	// Mark the inactive flag checked.
	b.open(fmt.Sprintf("/invoices/%d?lang=ro", inv.ID))
	b.submit(`li[data-code="supplier_inactive"] form button`, "#risk")
	b.shot("risk-checked")
	flag := b.text(`li[data-code="supplier_inactive"]`)
	require.Contains(t, flag, "Verificat la")
	require.Contains(t, flag, userEmail)

	// "Fill in from ANAF" on the add-company form (issue 17): the name from
	// the (simulated) VAT-payer register, the inactive status said.
	b.open("/companies?lang=ro")
	b.fill("#cif", "RO31415920")
	b.submit(`button[name="lookup"]`, "#found-hint")
	b.shot("taxpayer-lookup")
	require.Equal(t, "GAMMA CONSTRUCŢII SA", b.eval(`document.querySelector("#name").value`))
	require.Contains(t, b.text("#found-hint"), "contribuabil inactiv")
	b.open("/companies?lang=en&lookup=1&cif=13579240")
	require.Contains(t, b.text("#cif-error"), "ANAF does not know this CIF")

	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.console, "console errors or CSP violations")
}
