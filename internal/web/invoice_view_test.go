package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/view"
	"github.com/efactura-gateway/efactura/internal/store"
)

// corpusFiles are the invoices of the project's testdata and, when
// present, of ../shared/corpus (ciusro, en16931): every file the parser
// reads.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../testdata/invoices/*.xml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	files = append(files, "../invoice/testdata/full-terms.xml")
	shared := "../../../shared/corpus"
	if _, err := os.Stat(shared); err != nil {
		t.Logf("../shared/corpus is absent (it exists only on the project's machines): only the project's testdata is checked")
		return files
	}
	for _, dir := range []string{"ciusro", "en16931"} {
		entries, err := os.ReadDir(filepath.Join(shared, dir))
		require.NoError(t, err)
		for _, e := range entries {
			if strings.EqualFold(filepath.Ext(e.Name()), ".xml") {
				files = append(files, filepath.Join(shared, dir, e.Name()))
			}
		}
	}
	return files
}

var (
	tagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRE  = regexp.MustCompile(`\s+`)
	moneyRO  = regexp.MustCompile(`(?:^|\s)(-?\d{1,3}(?:\.\d{3})*,\d{2,} (?:lei|[A-Z]{3}))\b`)
	moneyEN  = regexp.MustCompile(`(?:^|\s)(-?\d{1,3}(?:,\d{3})*\.\d{2,} [A-Z]{3})\b`)
	isoDayRE = regexp.MustCompile(`(^|\s)\d{4}-\d{2}-\d{2}(\s|$)`) // a day on its own, not inside a reference
	roDayRE  = regexp.MustCompile(`\b\d{2}\.\d{2}\.\d{4}\b`)
)

// pageText is the text of the invoice page's main element: tags dropped,
// entities decoded, white space collapsed.
func pageText(body string) string {
	if i := strings.Index(body, `<main`); i >= 0 {
		body = body[i:]
	}
	if i := strings.Index(body, `</main>`); i >= 0 {
		body = body[:i]
	}
	return spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(body, " ")), " ")
}

// invoiceSection is the part of the page text the PDF also draws: from
// the title to the ANAF card (the validation verdict, the synced time and
// the buyer's answer are the page's own).
func invoiceSection(text string, lang string) string {
	for _, key := range []string{"inv.verdict", "inv.anaf"} {
		if i := strings.Index(text, " "+translate(lang, key)+" "); i > 0 {
			text = text[:i]
		}
	}
	return text
}

func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	require.NoError(t, err)
	return spaceRE.ReplaceAllString(string(out), " ")
}

func moneySet(re *regexp.Regexp, s string) []string {
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		seen[m[1]] = true
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// names are the code names, the title and the parties' names of v: what
// both views must show.
func names(v *view.View) []string {
	out := []string{v.Title}
	for _, kv := range v.Meta {
		if kv.Code != "" {
			out = append(out, kv.V)
		}
	}
	for _, p := range v.Parties() {
		out = append(out, p.Role)
		for _, kv := range p.Rows {
			if kv.Code != "" {
				out = append(out, kv.V)
			}
		}
	}
	for _, l := range v.Lines {
		out = append(out, l.Unit, l.VAT)
	}
	for _, r := range v.VAT {
		out = append(out, r.Category, r.Exemption)
	}
	for _, c := range v.Charges {
		out = append(out, c.Kind, c.Reason)
	}
	for _, p := range v.Payments {
		out = append(out, p.Means)
		for _, kv := range p.Rows {
			out = append(out, kv.V)
		}
	}
	return out
}

func squeeze(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }

// TestInvoicePageMatchesPDF: for every corpus invoice, the invoice page
// and its PDF, in Romanian and in English, show the same amounts (every
// amount of one is in the other) and the same names for the codes; no
// "-0.00"; a credit note is titled as one; Romanian pages write days
// dd.mm.yyyy, never ISO.
func TestInvoicePageMatchesPDF(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed: the PDF's text cannot be read")
	}
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	br := b.browser(t)
	br.login(owner.Email)

	start := time.Now()
	checked := 0
	for i, file := range corpusFiles(t) {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		doc, err := invoice.Parse(data)
		if err != nil {
			continue // refused-* files: no invoice to show
		}
		if len(doc.Lines) > 200 {
			continue // the 999-line file: the PDF test of internal/invoice/render pages it
		}
		name := filepath.Base(file)
		parsed, err := json.Marshal(doc)
		require.NoError(t, err)
		anafID := fmt.Sprintf("%d", 3100000000+i)
		zip, err := invoice.BuildArchive("55"+anafID, data, []byte("<Signature/>"))
		require.NoError(t, err)
		inv := &store.Invoice{CompanyID: c.ID, ANAFID: anafID, UploadID: "55" + anafID, MessageType: store.TypeReceived,
			ANAFCreatedAt: time.Date(2026, 1, 7, 8, 30, 0, 0, time.UTC), DocumentType: string(doc.DocumentType),
			InvoiceNumber: doc.Number, IssueDate: doc.IssueDate, Currency: doc.Currency, TotalAmount: doc.Totals.TaxInclusive,
			IssuerName: doc.Seller.Name, ReceiverName: doc.Buyer.Name, ParsedJSON: parsed, ZIP: zip}
		inserted, err := b.st.InsertInvoice(t.Context(), inv)
		require.NoError(t, err)
		require.True(t, inserted, name)

		for _, lang := range []string{"ro", "en"} {
			br.get("/?lang=" + lang)
			p := br.get("/invoices/" + itoa(inv.ID))
			require.Equal(t, 200, p.Status, name)
			text := pageText(p.Body)
			section := invoiceSection(text, lang)
			pdf := br.get("/invoices/" + itoa(inv.ID) + "/pdf")
			require.Equal(t, 200, pdf.Status, name)
			ptext := pdfToText(t, []byte(pdf.Body))

			re := moneyRO
			if lang == "en" {
				re = moneyEN
			}
			require.Equal(t, moneySet(re, ptext), moneySet(re, section), "%s (%s): the amounts of the PDF and of the page", name, lang)
			for _, s := range []string{text, ptext} {
				require.NotRegexp(t, `-0[.,]0+\b`, s, "%s (%s): a negative zero", name, lang)
			}

			v := view.New(doc, nil, view.Lang(lang))
			sp, sq := squeeze(section), squeeze(ptext)
			for _, n := range names(v) {
				if n == "" {
					continue
				}
				require.Contains(t, sp, squeeze(html.UnescapeString(n)), "%s (%s): the page shows %q", name, lang, n)
				require.Contains(t, sq, squeeze(n), "%s (%s): the PDF shows %q", name, lang, n)
			}
			// The codes stay on the page, in title attributes.
			for _, code := range []string{doc.TypeCode, sellerCountry(doc)} {
				if code != "" {
					require.Contains(t, p.Body, `title="`+html.EscapeString(code)+`"`, "%s (%s): code %s", name, lang, code)
				}
			}
			if doc.DocumentType == invoice.DocCreditNote {
				want := map[string]string{"ro": "Notă de credit", "en": "Credit note"}[lang]
				require.Contains(t, p.Body, "<h1>"+want+" ", name)
				require.True(t, strings.HasPrefix(strings.TrimSpace(ptext), want), "%s (%s): PDF title", name, lang)
			}
			if lang == "ro" {
				require.NotRegexp(t, isoDayRE, text, "%s: an ISO day on a Romanian page", name)
				if doc.IssueDate != "" {
					require.Regexp(t, roDayRE, text, name)
				}
			}
		}
		checked++
	}
	t.Logf("%d invoices checked, page and PDF in ro and en, in %s", checked, time.Since(start).Round(time.Millisecond))
	require.Positive(t, checked)
}

// sellerCountry is the seller's country code when the page names it
// (a code outside ISO 3166 is shown as written, without a title).
func sellerCountry(doc *invoice.Invoice) string {
	if a := doc.Seller.Address; a != nil && len(a.Country) == 2 {
		return a.Country
	}
	return ""
}
