package api

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/invoice/render"
	"github.com/efactura-gateway/efactura/internal/locale"
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
			locale.Money("ro", parsed.doc.Totals.Payable, parsed.doc.Currency), parsed.inv.ANAFID, parsed.inv.UploadID, store.TypeReceived} {
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

// TestInvoicePDFGuard: GET /api/v1/invoices/{id}/pdf renders through a
// render.Guard (the web UI's too: both default to render.Shared()). With
// every render slot held, the answer is a 503 SERVICE_UNAVAILABLE with
// Retry-After, never a 500; a document of more lines than the limit
// (render.MaxPDFLines, stored through the sync engine's BuildInvoice) is
// a 422 DOCUMENT_TOO_LARGE naming the limit, and its ZIP and XML stay
// downloadable.
func TestInvoicePDFGuard(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	guard := render.NewGuard(render.GuardConfig{Concurrency: 2, Wait: 20 * time.Millisecond, RetryAfter: 3 * time.Second})
	h := New(Deps{Gateway: gw(f.st), BaseURL: testBaseURL, Logger: slog.New(slog.DiscardHandler), PDFGuard: guard})
	get := func(target string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("X-API-KEY", f.keyA)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	var parsed seeded
	for _, s := range f.a {
		if s.doc != nil && s.inv.MessageType == store.TypeReceived {
			parsed = s
			break
		}
	}
	path := "/api/v1/invoices/" + strconv.FormatInt(parsed.inv.ID, 10) + "/pdf"

	t.Run("Busy", func(t *testing.T) {
		var releases []func()
		for range 2 {
			release, err := guard.Acquire(t.Context())
			require.NoError(t, err)
			releases = append(releases, release)
		}
		rec := get(path)
		requireError(t, rec, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
		require.Equal(t, "3", rec.Header().Get("Retry-After"))
		releases[0]()
		rec = get(path)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.True(t, strings.HasPrefix(rec.Body.String(), "%PDF-"))
		releases[1]()
	})

	t.Run("TooLarge", func(t *testing.T) {
		file := invoicegen.Large(render.MaxPDFLines+1, 0, 1)
		doc, err := invoice.Parse(file.Data)
		require.NoError(t, err)
		require.Equal(t, cifA, invoice.PartyCIF(doc.Buyer))
		m := anaf.Message{ID: "3099990001", UploadID: "5099990001", CIF: cifA, Type: store.TypeReceived,
			CreatedAt: invoicegen.BaseDate, CIFEmitent: invoice.PartyCIF(doc.Seller), CIFBeneficiar: cifA,
			Details: "Factura cu id_incarcare=5099990001 emisa de cif_emitent=" + invoice.PartyCIF(doc.Seller) + " pentru cif_beneficiar=" + cifA}
		inv := anafsync.BuildInvoice(f.compA.ID, m, buildZIP(t, m.UploadID, file.Data))
		inserted, err := f.st.InsertInvoice(t.Context(), inv)
		require.NoError(t, err)
		require.True(t, inserted)
		base := "/api/v1/invoices/" + strconv.FormatInt(inv.ID, 10)
		rec := get(base + "/pdf")
		body := rec.Body.String()
		requireError(t, rec, http.StatusUnprocessableEntity, "DOCUMENT_TOO_LARGE")
		require.Contains(t, body, "The invoice has 5001 lines; PDFs are made for at most 5000 lines.")
		for _, dl := range []string{"/download", "/xml"} {
			rec := get(base + dl)
			require.Equal(t, http.StatusOK, rec.Code, dl)
		}
		rec = get(base + "/xml")
		require.Equal(t, file.Data, rec.Body.Bytes())
	})
}
