package securitytest

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
)

// payload is markup that would run if a page inserted it unescaped.
const payload = `<script>alert("xss")</script><img src=x onerror=alert(1)>`

// xmlEscaped is payload as it sits inside an XML document.
var xmlEscaped = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(payload)

// hostileInvoice returns a generated invoice whose party names, note,
// line names and descriptions and an attachment (id, description, file
// name) all carry the payload.
func hostileInvoice(t *testing.T) []byte {
	t.Helper()
	doc := string(invoicegen.Generate(1, 7)[0].Data)
	for _, tag := range []string{"cbc:RegistrationName", "cbc:Name", "cbc:Note", "cbc:Description"} {
		re := regexp.MustCompile(`<` + tag + `>[^<]*</` + tag + `>`)
		doc = re.ReplaceAllString(doc, "<"+tag+">"+strings.ReplaceAll(xmlEscaped, "$", "$$")+"</"+tag+">")
	}
	att := `<cac:AdditionalDocumentReference><cbc:ID>` + xmlEscaped + `</cbc:ID><cbc:DocumentDescription>` + xmlEscaped +
		`</cbc:DocumentDescription><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="` +
		xmlEscaped + `.pdf">JVBERi0=</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>`
	require.Contains(t, doc, "<cac:AccountingSupplierParty>")
	doc = strings.Replace(doc, "<cac:AccountingSupplierParty>", att+"<cac:AccountingSupplierParty>", 1)
	return []byte(doc)
}

// requireInert fails when body carries the payload as live markup.
func requireInert(t *testing.T, what, body string) {
	t.Helper()
	lower := strings.ToLower(body)
	require.NotContains(t, lower, `<script>alert`, what)
	require.NotContains(t, lower, `<img src=x`, what)
	// An onerror attribute of a real tag (attribute values are quoted, so
	// an escaped payload inside one does not count).
	require.NotRegexp(t, `(?i)<[a-z]+(\s+[a-z-]+(="[^"]*"|=[^\s>"]+)?)*\s+onerror=`, body, what)
}

// TestXSS stores an invoice whose names, notes, line texts, attachment and
// ANAF message text carry markup and a company named with it, then
// fetches every page that shows them (logged in as the owner, and as an
// admin impersonating), the API answers, and the PDF: the markup is always
// text, never markup; the PDF has no script or launch actions.
func TestXSS(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	doc := hostileInvoice(t)
	w := s.seed(t, "xss", doc)
	ctx := context.Background()
	// ANAF's texts and the company's name carry the payload too.
	hostile := s.invoice(t, w.compA, "3"+strconv.FormatInt(900000000+cifCounter.Add(1), 10), doc, "Factura "+payload)
	c := *w.compA
	c.Name = payload
	require.NoError(t, s.st.UpdateCompany(ctx, &c))
	require.Contains(t, string(hostile.ParsedJSON), "onerror", "the parsed invoice holds the payload")

	// An upload whose file name, number, buyer and errors carry it (issue 14).
	up := &store.Upload{CompanyID: w.compA.ID, FileName: payload + ".xml", State: store.UploadNOK, SellerCIF: w.compA.CIF,
		InvoiceNumber: payload, IssueDate: "2026-01-15", BuyerName: payload, BuyerCIF: payload, TotalAmount: "1.00", Currency: "RON",
		Document: []byte("<Invoice/>"), DocSHA256: []byte("fedcba9876543210fedcba9876543210"),
		Errors: []store.UploadError{{ID: payload, Message: payload}}}
	require.NoError(t, s.st.CreateUpload(ctx, up))
	upID := strconv.FormatInt(up.ID, 10)

	id := strconv.FormatInt(hostile.ID, 10)
	cid := strconv.FormatInt(w.compA.ID, 10)
	webPages := []string{"/companies/" + cid + "/uploads", "/uploads/" + upID, "/uploads/" + upID + "/status", "/companies/" + cid + "/upload", "/", "/?q=" + url.QueryEscape(payload), "/?partner=" + url.QueryEscape(payload), "/?tab=" + url.QueryEscape(payload),
		"/invoices/" + id, "/companies", "/companies/" + cid, "/companies/" + cid + "/keys", "/companies/" + cid + "/delete",
		"/anaf", "/login?next=" + url.QueryEscape(payload), "/export?format=csv&company=" + cid,
		"/companies/" + cid + "/compliance/numbering?from=2026-01-01&to=2026-02-28", "/companies/" + cid + "/compliance/numbering?from=" + url.QueryEscape(payload)}
	for _, role := range []string{userA, adminAsA} {
		b := s.loginAs(t, w, role)
		for _, p := range webPages {
			r := b.get(p)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				require.NotContains(t, r.Body, "<script", p) // an upload's live state
				continue
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				// Data (the CSV export) holds the text as it is, as a
				// download that no browser renders as a page.
				require.Contains(t, r.Header.Get("Content-Disposition"), "attachment", p)
				require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"), p)
				continue
			}
			requireInert(t, role+" "+p, r.Body)
			require.NotContains(t, r.Header.Get("Content-Security-Policy"), "unsafe-inline")
		}
		page := b.get("/invoices/" + id)
		require.Equal(t, 200, page.Status)
		require.Contains(t, page.Body, "&lt;script&gt;alert(", "the payload is shown, as text")
		page = b.get("/companies/" + cid + "/compliance/numbering?from=2026-01-01&to=2026-02-28")
		require.Contains(t, page.Body, "&lt;script&gt;alert(", "the refused upload's number is on the compliance page, as text")
	}
	admin := s.loginAs(t, w, admin)
	for _, p := range []string{"/admin/users", "/admin/audit", "/admin/system"} {
		requireInert(t, "admin "+p, admin.get(p).Body)
	}

	// The API's JSON escapes markup; answers are never HTML.
	for _, p := range []string{"/api/v1/invoices", "/api/v1/invoices/" + id, "/api/v1/health", "/api/v1/invoices?q=" + url.QueryEscape(payload),
		"/api/v1/uploads", "/api/v1/uploads/" + upID, "/api/v1/compliance/deadlines?from=2026-01-01&to=2026-02-28",
		"/api/v1/compliance/numbering?from=2026-01-01&to=2026-02-28"} {
		r := s.apiReq(t, "GET", p, w.keyARead, nil)
		require.Equal(t, 200, r.Status, p)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
		require.NotContains(t, r.Body, "<script", p)
	}

	// The PDF: the payload is text; no script, launch or open actions.
	for _, p := range []string{"/invoices/" + id + "/pdf"} {
		pdf := s.loginAs(t, w, userA).get(p).Body
		require.True(t, strings.HasPrefix(pdf, "%PDF-"), p)
		for _, action := range []string{"/JavaScript", "/JS ", "/JS(", "/Launch", "/OpenAction", "/AA "} {
			require.NotContains(t, pdf, action, p)
		}
		apiPDF := s.apiReq(t, "GET", "/api/v1/invoices/"+id+"/pdf", w.keyARead, nil)
		require.Equal(t, 200, apiPDF.Status)
		if text, ok := pdfText(t, []byte(apiPDF.Body)); ok {
			require.Contains(t, text, `alert("xss")`, "the payload is printed as text")
		}
	}
}

// pdfText extracts a PDF's text with poppler's pdftotext (ok=false
// without it, except under CI where it is required).
func pdfText(t *testing.T, pdf []byte) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is required in CI")
		}
		t.Log("pdftotext not installed: PDF text not checked")
		return "", false
	}
	in := filepath.Join(t.TempDir(), "in.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o600))
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	require.NoError(t, err)
	return string(out), true
}
