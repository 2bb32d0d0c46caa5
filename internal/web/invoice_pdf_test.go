package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
	"github.com/efactura-gateway/efactura/internal/store"
)

func TestInvoicePDFDownload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	other := b.user(t, "other@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	b.company(t, "12345674", "ALFA SOFT SRL", other)
	inv := b.invoiceOf(t, c, "3012345671", "AS-0042", "ALFA SOFT SRL")
	pdfPath := "/invoices/" + itoa(inv.ID) + "/pdf"

	br := b.browser(t)
	br.login(owner.Email)
	p := br.get("/invoices/" + itoa(inv.ID))
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `href="`+pdfPath+`"`)
	require.Contains(t, p.Body, "Descarcă PDF")

	p = br.get(pdfPath)
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, "application/pdf", p.Header.Get("Content-Type"))
	require.Equal(t, "attachment; filename=invoice_3012345671.pdf", p.Header.Get("Content-Disposition"))
	require.True(t, strings.HasPrefix(p.Body, "%PDF-"))

	// Not a member: 404, as for the ZIP.
	br2 := b.browser(t)
	br2.login(other.Email)
	p = br2.get(pdfPath)
	require.Equal(t, http.StatusNotFound, p.Status)
	require.False(t, strings.HasPrefix(p.Body, "%PDF-"))

	// No parsed invoice: no button, and the route answers 422.
	zip, err := invoice.BuildArchive("5001", []byte("<broken"), []byte("<sig/>"))
	require.NoError(t, err)
	broken := &store.Invoice{CompanyID: c.ID, ANAFID: "3001", MessageType: store.TypeErrors, ParseError: "XML syntax error", ZIP: zip}
	_, err = b.st.InsertInvoice(t.Context(), broken)
	require.NoError(t, err)
	p = br.get("/invoices/" + itoa(broken.ID))
	require.Equal(t, http.StatusOK, p.Status)
	require.NotContains(t, p.Body, "/invoices/"+itoa(broken.ID)+"/pdf")
	p = br.get("/invoices/" + itoa(broken.ID) + "/pdf")
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Body, "ZIP")
}

// TestInvoicePDFGuard: the web route renders through a render.Guard, the
// API's (both default to render.Shared()). With every render slot held,
// the page is a 503 with Retry-After (no 500, no PDF); a document of more
// lines than the limit is a 422 naming it, in Romanian and English, while
// its ZIP and XML stay downloadable.
func TestInvoicePDFGuard(t *testing.T) {
	t.Parallel()
	guard := render.NewGuard(render.GuardConfig{Concurrency: 1, Wait: 20 * time.Millisecond, RetryAfter: 7 * time.Second})
	b := setup(t, func(d *Deps) { d.PDFGuard = guard })
	owner := b.user(t, "owner@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA TRADING SRL", owner)
	inv := b.invoiceOf(t, c, "3012345671", "AS-0042", "ALFA SOFT SRL")
	br := b.browser(t)
	br.login(owner.Email)

	release, err := guard.Acquire(t.Context())
	require.NoError(t, err)
	p := br.get("/invoices/" + itoa(inv.ID) + "/pdf")
	require.Equal(t, http.StatusServiceUnavailable, p.Status)
	require.Equal(t, "7", p.Header.Get("Retry-After"))
	require.Contains(t, p.Body, "Toate generatoarele de PDF sunt ocupate. Încercați din nou peste 7 secunde.")
	require.False(t, strings.HasPrefix(p.Body, "%PDF-"))
	release()
	p = br.get("/invoices/" + itoa(inv.ID) + "/pdf")
	require.Equal(t, http.StatusOK, p.Status)
	require.True(t, strings.HasPrefix(p.Body, "%PDF-"))

	// One line more than the limit.
	big := b.invoiceOf(t, c, "3012345672", "AS-0043", "ALFA SOFT SRL")
	var doc invoice.Invoice
	require.NoError(t, json.Unmarshal(big.ParsedJSON, &doc))
	line := doc.Lines[0]
	doc.Lines = make([]invoice.Line, render.MaxPDFLines+1)
	for i := range doc.Lines {
		doc.Lines[i] = line
	}
	parsed, err := json.Marshal(doc)
	require.NoError(t, err)
	_, err = b.st.DB().ExecContext(t.Context(), `UPDATE invoice_blobs SET parsed_json = $1 WHERE invoice_id = $2`, parsed, big.ID)
	require.NoError(t, err)
	p = br.get("/invoices/" + itoa(big.ID) + "/pdf")
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Body, "Factura are 5001 linii; PDF-ul se face pentru cel mult 5000 linii.")
	p = br.get("/invoices/" + itoa(big.ID) + "/pdf?lang=en")
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Body, "The invoice has 5001 lines; PDFs are made for at most 5000 lines.")
	for _, dl := range []string{"/zip", "/xml"} {
		p = br.get("/invoices/" + itoa(big.ID) + dl)
		require.Equal(t, http.StatusOK, p.Status, dl)
	}
}
