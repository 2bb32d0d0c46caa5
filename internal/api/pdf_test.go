package api

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestInvoicePDF checks GET /api/v1/invoices/{id}/pdf on the seeded SQLite
// store: a parsed invoice renders, an unparsed one is a 422, another
// company's invoice is a 404.
func TestInvoicePDF(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	var parsed seeded
	for _, s := range f.a {
		if s.doc != nil && s.inv.MessageType == store.TypeReceived {
			parsed = s
			break
		}
	}
	require.NotNil(t, parsed.doc, "fixture has a parsed received invoice")
	path := func(s seeded) string { return "/api/v1/invoices/" + strconv.FormatInt(s.inv.ID, 10) + "/pdf" }

	t.Run("Parsed", func(t *testing.T) {
		rec := f.get(t, path(parsed))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Equal(t, "application/pdf", rec.Header().Get("Content-Type"))
		require.Equal(t, "attachment; filename=invoice_"+parsed.inv.ANAFID+".pdf", rec.Header().Get("Content-Disposition"))
		require.True(t, strings.HasPrefix(rec.Body.String(), "%PDF-"))

		text := pdfToText(t, rec.Body.Bytes())
		for _, want := range []string{parsed.doc.Number, parsed.doc.Seller.Name, parsed.doc.Buyer.Name,
			parsed.doc.Totals.Payable, parsed.inv.ANAFID, parsed.inv.UploadID, store.TypeReceived} {
			require.Contains(t, text, want)
		}
	})

	t.Run("English", func(t *testing.T) {
		rec := f.get(t, path(parsed)+"?lang=en")
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Contains(t, pdfToText(t, rec.Body.Bytes()), "Amount due")
	})

	t.Run("NotParsed", func(t *testing.T) {
		for _, id := range []string{anafIDUnparsable, anafIDErrors, anafIDBrokenZIP} {
			requireError(t, f.get(t, path(find(f.a, id))), http.StatusUnprocessableEntity, "INVOICE_NOT_PARSED")
		}
	})

	t.Run("OtherCompany", func(t *testing.T) {
		requireError(t, f.get(t, path(f.b[0])), http.StatusNotFound, "INVOICE_NOT_FOUND")
		requireError(t, f.get(t, "/api/v1/invoices/0/pdf"), http.StatusNotFound, "INVOICE_NOT_FOUND")
	})

	t.Run("NoKey", func(t *testing.T) {
		requireError(t, f.get(t, path(parsed), "X-Other", "x"), http.StatusUnauthorized, "MISSING_API_KEY")
	})
}

// pdfToText extracts a PDF's text with poppler-utils' pdftotext; skipped
// without it, unless CI is set.
func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is required in CI")
		}
		t.Skip("pdftotext (poppler-utils) is not installed: PDF text check skipped")
	}
	in := filepath.Join(t.TempDir(), "in.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o600))
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	require.NoError(t, err)
	return string(out)
}
