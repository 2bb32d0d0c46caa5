package web

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// sendForm posts the send form with files (name → content) and fields.
func (br *browser) sendForm(path string, files [][2]string, fields url.Values) page {
	br.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			require.NoError(br.t, mw.WriteField(k, v))
		}
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile("file", f[0])
		require.NoError(br.t, err)
		_, err = fw.Write([]byte(f[1]))
		require.NoError(br.t, err)
	}
	require.NoError(br.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, br.base+path, &body)
	require.NoError(br.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return br.do(req)
}

// epsInvoice is a valid invoice of EPS (27182818) from testdata, renumbered.
func epsInvoice(t *testing.T, number string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "invoices", "gen-02-invoice-EPS-0001.xml"))
	require.NoError(t, err)
	return strings.ReplaceAll(string(b), "EPS-0001", number)
}

var uploadLinkRE = regexp.MustCompile(`href="/uploads/(\d+)"`)

// TestSendPage drives the upload page, the Încărcări tab, an upload's page
// and its status on SQLite: a valid and an invalid file sent together, the
// same form sent twice (one upload), a new form with the same invoice (a
// duplicate), and strangers' 404s.
func TestSendPage(t *testing.T) {
	t.Parallel()
	queued := 0
	b := setupOn(t, storetest.NewSQLite(t), func(d *Deps) {
		d.Gateway.UploadQueuer = func(context.Context, *store.Store, int64) error { queued++; return nil }
	})
	u := b.user(t, "ana@example.ro", store.UserApproved, false)
	c := b.company(t, "27182818", "EPSILON SRL", u)
	b.user(t, "other@example.ro", store.UserApproved, false)
	br := b.browser(t)
	br.login(u.Email)
	base := "/companies/" + itoa(c.ID)

	p := br.get(base + "/upload?lang=ro")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "Trimite factură")
	require.Contains(t, p.Body, `type="file" multiple`)
	for _, opt := range []string{"b2c", "extern", "autofactura", "executare"} {
		require.Contains(t, p.Body, `name="`+opt+`"`)
		require.Contains(t, p.Body, `id="opt-`+opt+`-help"`)
	}
	require.Contains(t, p.Body, "Executare silită")
	require.Contains(t, p.Body, `href="`+base+`/uploads"`) // the Încărcări tab
	token := regexp.MustCompile(`name="token" value="([0-9a-f]{32})"`).FindStringSubmatch(p.Body)
	require.NotNil(t, token, "a one-time form token")
	assertNoInlineCode(t, p.Body)

	valid := epsInvoice(t, "EPS-0901")
	invalid := strings.Replace(epsInvoice(t, "EPS-0902"), "<cbc:InvoiceTypeCode>380<", "<cbc:InvoiceTypeCode>999<", 1)
	files := [][2]string{{"EPS-0901.xml", valid}, {"rea <b>.xml", invalid}}
	form := url.Values{"token": {token[1]}}
	p = br.sendForm(base+"/upload", files, form)
	require.Equal(t, http.StatusOK, p.Status, "a result per file, the invalid one included")
	require.Contains(t, p.Body, "Invalidă: 2 erori") // the report, in Romanian
	require.Contains(t, p.Body, "BR-CL-01")
	require.Contains(t, p.Body, "BR-RO-020")
	require.Contains(t, p.Body, "rea &lt;b&gt;.xml")
	require.Contains(t, p.Body, "Validă și trimisă la ANAF")
	require.Contains(t, p.Body, "se trimite") // the live state
	require.Regexp(t, `data-upload-status="/uploads/\d+/status"`, p.Body)
	assertNoInlineCode(t, p.Body)
	ids := uploadLinkRE.FindStringSubmatch(p.Body)
	require.NotNil(t, ids)
	require.Equal(t, 1, queued)

	// A double click: the same form again sends nothing new.
	again := br.sendForm(base+"/upload", files, form)
	require.Equal(t, http.StatusOK, again.Status)
	require.Equal(t, ids, uploadLinkRE.FindStringSubmatch(again.Body), "the same upload")
	require.NotContains(t, again.Body, "a mai fost trimisă")
	require.Equal(t, 1, queued, "sent once")

	// A new form with the same invoice: a duplicate, naming the upload.
	p = br.sendForm(base+"/upload?lang=en", [][2]string{{"copy.xml", valid}}, url.Values{"token": {"another-token"}, "b2c": {"1"}})
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "was already sent: upload "+ids[1])
	require.Contains(t, p.Body, `href="/uploads/`+ids[1]+`"`)
	require.Contains(t, p.Body, `name="b2c" value="1" checked`)

	// No file; B2C with Extern.
	p = br.sendForm(base+"/upload", nil, url.Values{"token": {"t"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Body, "Choose an XML file.")
	p = br.sendForm(base+"/upload", [][2]string{{"x.xml", valid}}, url.Values{"b2c": {"1"}, "extern": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Body, "at most one of B2C and Extern")

	// The Încărcări tab: file, number, buyer, total, state with its time,
	// deadline in dd.mm.yyyy and the late mark.
	p = br.get(base + "/uploads?lang=ro")
	require.Equal(t, http.StatusOK, p.Status)
	for _, s := range []string{"EPS-0901.xml", "EPS-0901", "98765438", "51.958,13", "se trimite", "invalidă (netrimisă)",
		"22.01.2026", "întârziată", "BR-CL-01", `aria-current="page">Încărcări`} {
		require.Contains(t, p.Body, s)
	}
	require.Regexp(t, `\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}`, p.Body, "times as dd.mm.yyyy HH:MM")
	assertNoInlineCode(t, p.Body)
	p = br.get(base + "/uploads?state=invalid")
	require.Equal(t, http.StatusOK, p.Status)
	require.NotContains(t, p.Body, "EPS-0901.xml")
	require.Contains(t, br.get("/?company="+itoa(c.ID)).Body, `href="`+base+`/uploads"`, "the dashboard links the tab")

	// An upload's page (refreshing itself while followed) and its status.
	p = br.get("/uploads/" + ids[1])
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "Încărcarea "+ids[1])
	require.Contains(t, p.Body, `<noscript><meta http-equiv="refresh"`)
	assertNoInlineCode(t, p.Body)
	p = br.get("/uploads/" + ids[1] + "/status")
	require.Equal(t, http.StatusOK, p.Status)
	var st struct {
		State string `json:"state"`
		Done  bool   `json:"done"`
	}
	require.NoError(t, json.Unmarshal([]byte(p.Body), &st))
	require.Equal(t, "sending", st.State)
	require.False(t, st.Done)

	// Someone else: 404 everywhere, never the data.
	other := b.browser(t)
	other.login("other@example.ro")
	for _, path := range []string{base + "/upload", base + "/uploads", "/uploads/" + ids[1], "/uploads/" + ids[1] + "/status"} {
		p := other.get(path)
		require.Equal(t, http.StatusNotFound, p.Status, path)
		require.NotContains(t, p.Body, "EPS-0901")
	}
	p = other.sendForm(base+"/upload", [][2]string{{"x.xml", epsInvoice(t, "EPS-0903")}}, nil)
	require.Equal(t, http.StatusNotFound, p.Status)
	require.Equal(t, 1, queued)
}

// TestBuyerMessage: a received invoice's page offers the message to the
// seller; it is sent as an upload (RASP), refused without a decision or
// a message; another company's invoice is 404.
func TestBuyerMessage(t *testing.T) {
	t.Parallel()
	queued := 0
	b := setupOn(t, storetest.NewSQLite(t), func(d *Deps) {
		d.Gateway.UploadQueuer = func(context.Context, *store.Store, int64) error { queued++; return nil }
	})
	u := b.user(t, "ana@example.ro", store.UserApproved, false)
	c := b.company(t, "98765438", "BETA", u)
	inv := b.invoiceOf(t, c, "3012345671", "AS-1", "ALFA")
	br := b.browser(t)
	br.login(u.Email)
	path := "/invoices/" + itoa(inv.ID)

	p := br.get(path + "?lang=ro")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "Mesaj către vânzător")
	require.Contains(t, p.Body, `action="`+path+`/message"`)
	assertNoInlineCode(t, p.Body)

	p = br.post(path+"/message", url.Values{"note": {"x"}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, path, p.Location)
	require.Contains(t, br.get(path).Body, "Alegeți: acceptați sau respingeți factura.")
	p = br.post(path+"/message", url.Values{"decision": {"reject"}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, br.get(path).Body, "Scrieți mesajul către vânzător.")
	require.Equal(t, 0, queued)

	p = br.post(path+"/message", url.Values{"decision": {"reject"}, "note": {"Cantitate greșită la linia 1."}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Contains(t, br.get(path).Body, "Mesajul a fost trimis la ANAF")
	require.Equal(t, 1, queued)

	b.user(t, "other@example.ro", store.UserApproved, false)
	other := b.browser(t)
	other.login("other@example.ro")
	p = other.post(path+"/message", url.Values{"decision": {"accept"}, "note": {"ok"}})
	require.Equal(t, http.StatusNotFound, p.Status)
	require.Equal(t, 1, queued)
}
