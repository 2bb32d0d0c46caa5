package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func (br *browser) upload(path, field, name string, data []byte, fields url.Values) page {
	br.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			require.NoError(br.t, mw.WriteField(k, v))
		}
	}
	if name != "" {
		fw, err := mw.CreateFormFile(field, name)
		require.NoError(br.t, err)
		_, err = fw.Write(data)
		require.NoError(br.t, err)
	}
	require.NoError(br.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, br.base+path, &body)
	require.NoError(br.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return br.do(req)
}

const badInvoice = `<?xml version="1.0"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cac:InvoiceLine><cbc:ID>L&lt;7&gt;</cbc:ID><cbc:InvoicedQuantity>x</cbc:InvoicedQuantity></cac:InvoiceLine>
</Invoice>`

func TestValidatePage(t *testing.T) {
	t.Parallel()
	b := setupOn(t, storetest.NewSQLite(t))
	b.user(t, "val@example.ro", store.UserApproved, false)
	br := b.browser(t)
	br.login("val@example.ro")

	p := br.get("/validate?lang=ro")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, `enctype="multipart/form-data"`)
	require.Contains(t, p.Body, `href="/validate" aria-current="page"`)

	p = br.upload("/validate", "file", "rea.xml", []byte(badInvoice), url.Values{"profile": {"ro"}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Contains(t, p.Body, "Invalid: rea.xml")
	require.Contains(t, p.Body, "XSD")
	require.Contains(t, p.Body, "BR-RO-")                  // CIUS-RO rules ran past the XSD failure
	require.Contains(t, p.Body, "L&lt;7&gt;")              // BT-126 of the line, escaped
	require.Contains(t, p.Body, "Linia facturii (BT-126)") // the user's language
	assertNoInlineCode(t, p.Body)

	p = br.upload("/validate?lang=en", "file", "x.xml", []byte("not xml"), url.Values{"profile": {"en"}})
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "Invalid: x.xml has 1 errors")

	p = br.upload("/validate", "file", "", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)

	// Larger than the forms' 1 MiB, within 10 MB: accepted.
	big := strings.Replace(badInvoice, "<cac:InvoiceLine>", "<!--"+strings.Repeat("x", 2<<20)+"--><cac:InvoiceLine>", 1)
	p = br.upload("/validate", "file", "big.xml", []byte(big), nil)
	require.Equal(t, http.StatusOK, p.Status)
	// Beyond the upload limit: refused.
	p = br.upload("/validate", "file", "huge.xml", bytes.Repeat([]byte(" "), MaxUploadBytes+1), nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, p.Status)
	// Other forms keep 1 MiB.
	p = br.post("/companies", url.Values{"name": {strings.Repeat("x", MaxFormBytes+1)}})
	require.Equal(t, http.StatusRequestEntityTooLarge, p.Status)
}
