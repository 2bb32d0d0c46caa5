package browsertest

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
)

// TestBrowserPortfolioSearchBulk: an accountant with three companies sees
// the portfolio at / (sortable, filterable, each number a link), searches
// every company at /search (a company column) and downloads the filtered
// list as one ZIP (read back: the original ZIPs, and PDFs when asked), in
// Romanian and English, at 1280 and 360 px (nothing wider than the
// screen), with a clean console.
func TestBrowserPortfolioSearchBulk(t *testing.T) {
	needChromium(t)
	g := startGateway(t)
	ctx := t.Context()
	st := g.store
	ana := approvedUser(t, st)
	beta, err := st.CreateCompanyWithOwner(ctx, companyCIF, "BETA TRADING SRL", ana.ID)
	require.NoError(t, err)
	alfa, err := st.CreateCompanyWithOwner(ctx, "12345674", "ALFA SOFT SOLUȚII INFORMATICE ȘI CONSULTANȚĂ PENTRU CONTABILITATE SRL", ana.ID)
	require.NoError(t, err)
	_, err = st.CreateCompanyWithOwner(ctx, "18547290", "GAMMA DISTRIBUȚIE SRL", ana.ID) // unverified
	require.NoError(t, err)
	for _, c := range []*store.Company{beta, alfa} {
		_, err = st.SetCompanyVerified(ctx, c.ID, ana.ID)
		require.NoError(t, err)
	}
	insertInvoice(t, g, beta, "3400000001", "../../testdata/invoices/gen-01-invoice-ALF-0001.xml")
	insertInvoice(t, g, beta, "3400000002", "../../testdata/invoices/gen-05-creditnote-DLG-0001.xml")
	insertInvoice(t, g, beta, "3400000003", "../../testdata/invoices/gen-02-invoice-EPS-0001.xml")
	insertInvoice(t, g, alfa, "3400000004", "../../testdata/invoices/gen-07-invoice-ALF-0002.xml")
	nok := &store.Upload{CompanyID: alfa.ID, FileName: "BTR-0042.xml", State: store.UploadNOK,
		SellerCIF: "12345674", InvoiceNumber: "BTR-0042", IssueDate: "2026-12-01", BuyerCIF: companyCIF, BuyerName: "BETA TRADING SRL",
		TotalAmount: "1190.00", Currency: "RON", Document: []byte("<Invoice/>"), DocSHA256: []byte("0123456789abcdef0123456789abcdef"),
		IDIncarcare: "5001234568", CreatedByUser: ana.ID}
	require.NoError(t, st.CreateUpload(ctx, nok))

	b := newBrowser(t, g.url)
	b.login(userEmail)
	fits := func(width int64, what string) {
		if width != 360 {
			return
		}
		require.Equal(t, "360", b.eval(`String(document.documentElement.scrollWidth)`), "%s at 360 px", what)
	}
	// fetchZIP downloads href with the page's session and returns the
	// ZIP's entries.
	fetchZIP := func(href string) map[string][]byte {
		t.Helper()
		b64 := b.eval(fmt.Sprintf(`fetch(%q).then(r => { if (!r.ok || r.headers.get("Content-Type") !== "application/zip") throw new Error("status " + r.status + " " + r.headers.get("Content-Type")); return r.arrayBuffer(); })
			.then(buf => { let s = ""; const u = new Uint8Array(buf); for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); })`, href))
		raw, err := base64.StdEncoding.DecodeString(b64)
		require.NoError(t, err)
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		require.NoError(t, err, "a complete ZIP")
		out := map[string][]byte{}
		for _, f := range zr.File {
			rc, err := f.Open()
			require.NoError(t, err)
			var body bytes.Buffer
			_, err = body.ReadFrom(rc)
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			out[f.Name] = body.Bytes()
		}
		return out
	}
	names := func(m map[string][]byte) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}

	for _, width := range []int64{1280, 360} {
		b.do(fmt.Sprintf("viewport %d", width), chromedp.EmulateViewport(width, 800))
		for _, lang := range []string{"ro", "en"} {
			tag := fmt.Sprintf("%s-%d", lang, width)
			_, err := st.DB().ExecContext(ctx, `DELETE FROM company_visits`) // each pass starts unvisited
			require.NoError(t, err)
			// The store skips rewriting a visit mark it wrote within a minute
			// while a company's invoices stay the same (their version): a new
			// version makes the next pass's visit be written again, as a
			// real change to the invoices would.
			_, err = st.DB().ExecContext(ctx, `UPDATE invoice_counts SET version = version + 1`)
			require.NoError(t, err)
			// The portfolio is the default page.
			b.open("/?lang=" + lang)
			require.Equal(t, "3", b.eval(`String(document.querySelectorAll("table.portfolio tbody tr").length)`))
			head := b.text("main h1")
			require.Equal(t, map[string]string{"ro": "Portofoliu", "en": "Portfolio"}[lang], head)
			body := b.text("table.portfolio")
			require.Contains(t, body, "BETA TRADING SRL")
			require.Contains(t, body, map[string]string{"ro": "neverificată", "en": "unverified"}[lang])
			// Each number is a link to its list: Beta's 3 new invoices, Alfa's refused upload.
			require.Contains(t, b.eval(`Array.from(document.querySelectorAll("table.portfolio a")).map(a => a.getAttribute("href") + "=" + a.textContent.trim()).join(" ")`),
				fmt.Sprintf("/?company=%d&sort=synced=3", beta.ID))
			require.Contains(t, b.eval(`Array.from(document.querySelectorAll("table.portfolio a")).map(a => a.getAttribute("href") + "=" + a.textContent.trim()).join(" ")`),
				fmt.Sprintf("/companies/%d/uploads?state=nok=1", alfa.ID))
			b.shot("portfolio-" + tag)
			fits(width, "portfolio")
			// Sorted by new invoices (largest first), then filtered.
			if width == 360 { // the column headers are hidden on a phone: the form's sort
				b.do("sort by new", chromedp.SetValue(chromedp.CSS("#sort"), "new"), chromedp.SetValue(chromedp.CSS("#order"), "desc"))
				b.submit("form.filters button[type=submit]", "table.portfolio")
			} else {
				b.do("sort by new", chromedp.Click(chromedp.CSS(`th a[href*="sort=new"]`)), chromedp.WaitVisible(chromedp.CSS(`th[aria-sort] a[href*="sort=new"]`)))
			}
			require.Contains(t, b.text("table.portfolio tbody tr:first-child td:first-child"), "BETA TRADING SRL")
			b.open("/?find=alfa&lang=" + lang)
			require.Equal(t, "1", b.eval(`String(document.querySelectorAll("table.portfolio tbody tr").length)`))
			b.open("/?attention=1&lang=" + lang)
			require.Equal(t, "3", b.eval(`String(document.querySelectorAll("table.portfolio tbody tr").length)`), "no ANAF connection: all need attention")
			b.shot("portfolio-attention-" + tag)
			fits(width, "portfolio filtered")

			// Search every company by partner name, then by CIF.
			b.open("/search?lang=" + lang)
			b.fill("#q", "alfa")
			b.submit("form.filters button[type=submit]", "#search-count")
			b.shot("search-" + tag)
			fits(width, "search")
			rows := b.eval(`Array.from(document.querySelectorAll("table.invoices tbody tr td.company")).map(td => td.textContent.trim()).join("|")`)
			require.Contains(t, rows, "BETA TRADING SRL")
			require.Contains(t, rows, "ALFA SOFT")
			href := b.eval(`document.querySelector("#bulk-zip").getAttribute("href")`)
			got := fetchZIP(href)
			require.Equal(t, []string{"12345674/primite/3400000004.zip", "98765438/primite/3400000001.zip"}, names(got), "the ALF invoices of both companies")
			withPDF := fetchZIP(b.eval(`document.querySelector("#bulk-zip-pdf").getAttribute("href")`))
			require.Len(t, withPDF, 4)
			require.True(t, bytes.HasPrefix(withPDF["98765438/primite/3400000001.pdf"], []byte("%PDF")))
			// The export of the same search.
			csv := b.eval(fmt.Sprintf(`fetch(%q).then(r => r.text())`, b.eval(`document.querySelector("a[href^='/search/export?'][href*='format=csv']").getAttribute("href")`)))
			require.Equal(t, 3, len(strings.Split(strings.TrimSpace(csv), "\n")), "a header and two rows:\n%s", csv)

			// The dashboard's bulk download: one company, its filter.
			b.open(fmt.Sprintf("/?company=%d&tab=received&lang=%s", beta.ID, lang))
			dash := fetchZIP(b.eval(`document.querySelector("a[href^='/export/bulk.zip']").getAttribute("href")`))
			require.Equal(t, []string{"98765438/primite/3400000001.zip", "98765438/primite/3400000002.zip", "98765438/primite/3400000003.zip"}, names(dash))
			fits(width, "dashboard")
			// Opening the dashboard was a visit: nothing is new since.
			b.open("/?sort=new&order=desc&lang=" + lang)
			require.Contains(t, b.text("table.portfolio tbody tr:first-child td:first-child"), "ALFA SOFT")
			require.Equal(t, "0", b.text("table.portfolio tbody tr:nth-child(2) td:nth-child(4)"), "Beta, visited")
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(t, b.console, "console errors or CSP violations")
}
