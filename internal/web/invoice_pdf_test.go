package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/invoice"
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
	require.Equal(t, `attachment; filename="invoice_3012345671.pdf"`, p.Header.Get("Content-Disposition"))
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
