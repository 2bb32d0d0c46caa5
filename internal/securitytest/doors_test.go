package securitytest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/anaf"
	"github.com/efactura-gateway/efactura/internal/anafsync"
	"github.com/efactura-gateway/efactura/internal/invoice/invoicegen"
	"github.com/efactura-gateway/efactura/internal/store"
)

// TestDoorsAgreeOnDownloads (issue 12): the web pages and the API serve an
// invoice's ZIP, XML and PDF through one use case, so a member of the
// company and the company's API key get the same bytes, file name,
// SHA-256 header and cache rules; and an archive that cannot be read is
// the same kind of answer on both (422, was 500 on the web).
func TestDoorsAgreeOnDownloads(t *testing.T) {
	t.Parallel()
	s := startStack(t, testDialect(), nil)
	w := s.seed(t, "doors", invoicegen.Generate(1, 11)[0].Data)
	alice := s.browser(t)
	alice.login(w.userA.Email, "/")
	id := strconv.FormatInt(w.invA.ID, 10)

	for _, tc := range []struct{ kind, web, api string }{
		{"zip", "/invoices/" + id + "/zip", "/api/v1/invoices/" + id + "/download"},
		{"xml", "/invoices/" + id + "/xml", "/api/v1/invoices/" + id + "/xml"},
		{"pdf", "/invoices/" + id + "/pdf?lang=ro", "/api/v1/invoices/" + id + "/pdf?lang=ro"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			web := alice.get(tc.web)
			api := s.apiReq(t, http.MethodGet, tc.api, w.keyARead, nil)
			require.Equal(t, http.StatusOK, web.Status, web.Body)
			require.Equal(t, http.StatusOK, api.Status, api.Body)
			if tc.kind == "pdf" {
				// One use case renders both, with the message's time as the
				// creation date; but gofpdf (inside maroto) writes its font
				// objects in map order, so two renders may list them in
				// another order: same length and content, other bytes.
				require.Equal(t, "%PDF-", web.Body[:5])
				require.Equal(t, len(api.Body), len(web.Body))
			} else {
				require.Equal(t, web.Body, api.Body, "same bytes")
				require.Equal(t, api.Header.Get("X-Content-SHA256"), web.Header.Get("X-Content-SHA256"))
			}
			sum := sha256.Sum256([]byte(api.Body))
			require.Equal(t, hex.EncodeToString(sum[:]), api.Header.Get("X-Content-SHA256"), "the API's hash is of its bytes")
			websum := sha256.Sum256([]byte(web.Body))
			require.Equal(t, hex.EncodeToString(websum[:]), web.Header.Get("X-Content-SHA256"), "the web's hash is of its bytes")
			if tc.kind == "zip" {
				require.Equal(t, hex.EncodeToString(w.invA.ZIPSHA256), web.Header.Get("X-Content-SHA256"), "the archived ZIP's hash")
			}
			for _, h := range []string{"Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options"} {
				require.Equal(t, api.Header.Get(h), web.Header.Get(h), h)
			}
			require.Equal(t, "attachment; filename=invoice_"+w.invA.ANAFID+"."+tc.kind, web.Header.Get("Content-Disposition"))
			require.Equal(t, "private, no-store", web.Header.Get("Cache-Control"))
			require.Equal(t, "nosniff", web.Header.Get("X-Content-Type-Options"))
		})
	}

	t.Run("unreadable archive", func(t *testing.T) {
		broken := anafsync.BuildInvoice(w.compA.ID, anaf.Message{ID: "3777777777", UploadID: "5777777777", CIF: w.compA.CIF,
			Type: store.TypeReceived, Details: "Factura", CreatedAt: invoicegen.BaseDate, CIFEmitent: "12345674", CIFBeneficiar: w.compA.CIF},
			[]byte("PK\x03\x04 this is not a ZIP archive"))
		ok, err := s.st.InsertInvoice(t.Context(), broken)
		require.NoError(t, err)
		require.True(t, ok)
		bid := strconv.FormatInt(broken.ID, 10)
		web := alice.get("/invoices/" + bid + "/xml")
		api := s.apiReq(t, http.MethodGet, "/api/v1/invoices/"+bid+"/xml", w.keyARead, nil)
		require.Equal(t, http.StatusUnprocessableEntity, api.Status, api.Body)
		require.Contains(t, api.Body, `"code":"ARCHIVE_UNREADABLE"`)
		require.Equal(t, api.Status, web.Status, "the same kind of answer on both doors")
		requireNoLeak(t, "web archive error", web.Body)
		// The original bytes stay downloadable through both doors, alike.
		webZIP := alice.get("/invoices/" + bid + "/zip")
		apiZIP := s.apiReq(t, http.MethodGet, "/api/v1/invoices/"+bid+"/download", w.keyARead, nil)
		require.Equal(t, http.StatusOK, webZIP.Status)
		require.Equal(t, webZIP.Body, apiZIP.Body)
		require.Equal(t, apiZIP.Header.Get("X-Content-SHA256"), webZIP.Header.Get("X-Content-SHA256"))
	})
}
