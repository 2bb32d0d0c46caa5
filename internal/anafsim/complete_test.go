package anafsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/efactura-gateway/efactura/internal/cif"
	"github.com/efactura-gateway/efactura/internal/invoice"
	"github.com/stretchr/testify/require"
)

// do sends a request with optional token and headers (k, v pairs).
func (b *testBundle) do(t *testing.T, token, method, pathQuery string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+pathQuery, bytes.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, out
}

// upload posts doc and returns the upload index (fails on a refusal).
func (b *testBundle) upload(t *testing.T, token, query string, doc []byte) string {
	t.Helper()
	_, body := b.do(t, token, http.MethodPost, "/prod/FCTEL/rest/upload?"+query, doc)
	attrs, errs := headerAttrs(t, body)
	require.Empty(t, errs)
	require.Equal(t, "0", attrs["ExecutionStatus"])
	return attrs["index_incarcare"]
}

// stare returns stare and id_descarcare of an upload.
func (b *testBundle) stare(t *testing.T, token, idx string) (string, string) {
	t.Helper()
	_, body := b.do(t, token, http.MethodGet, "/prod/FCTEL/rest/stareMesaj?id_incarcare="+idx, nil)
	attrs, errs := headerAttrs(t, body)
	require.Empty(t, errs, string(body))
	return attrs["stare"], attrs["id_descarcare"]
}

// scopedToken runs the consent page with the given CIFs checked.
func (b *testBundle) scopedToken(t *testing.T, cifs ...string) string {
	t.Helper()
	form := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect},
		"decision": {"approve"}, "cifs_shown": {"1"}, "cif": cifs}
	resp, err := noRedirect().PostForm(b.srv.URL+"/anaf-oauth2/v1/authorize", form)
	require.NoError(t, err)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	status, body := b.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {testRedirect}, "token_content_type": {"jwt"}}, testClientID, testClientSecret)
	require.Equal(t, http.StatusOK, status, string(body))
	var tr TokenResponse
	require.NoError(t, json.Unmarshal(body, &tr))
	return tr.AccessToken
}

func (b *testBundle) stats(t *testing.T) Stats {
	t.Helper()
	resp, body := b.do(t, "", http.MethodGet, "/__sim/stats", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st Stats
	require.NoError(t, json.Unmarshal(body, &st), string(body))
	return st
}

type validareResp struct {
	Stare    string `json:"stare"`
	Messages []struct {
		Message string `json:"message"`
	} `json:"Messages"`
	TraceID string `json:"trace_id"`
}

func TestValidare(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.Reject = func(doc []byte) string {
			if bytes.Contains(doc, []byte("REJECT")) {
				return "E: validari globale  SCHEMATRON   eroare: [BR-RO-110]-test"
			}
			return ""
		}
	})
	big := append(invoiceDoc("BIG"), bytes.Repeat([]byte(" "), maxValidateBytes)...)
	tests := []struct {
		name, path, token string
		body              []byte
		stare, message    string
	}{
		{"OK", "/prod/FCTEL/rest/validare/FACT1", b.token, invoiceDoc("V-1"), "ok", ""},
		{"PublicNoToken", "/prod/FCTEL/rest/validare/FACT1", "", invoiceDoc("V-1"), "ok", ""},
		{"CreditNote", "/prod/FCTEL/rest/validare/FCN", "", ublDoc("CreditNote", "CN-1", "2026-01-10", "RO"+seller, "RO"+buyer, buyer), "ok", ""},
		{"WrongRoot", "/prod/FCTEL/rest/validare/FCN", "", invoiceDoc("V-1"), "nok", "Fisierul transmis nu este valid. org.xml.sax.SAXParseException; lineNumber: 2; columnNumber: "},
		{"Malformed", "/test/FCTEL/rest/validare/FACT1", "", []byte("<Invoice><a></b>"), "nok", "Fisierul transmis nu este valid. org.xml.sax.SAXParseException;"},
		{"Standard", "/prod/FCTEL/rest/validare/UBL", "", invoiceDoc("V-1"), "nok", "Valorile acceptate pentru parametrul standard sunt FACT1 si FCN"},
		{"TooBig", "/prod/FCTEL/rest/validare/FACT1", "", big, "nok", "Marime fisier transmis mai mare de 5 MB."},
		{"Rejected", "/prod/FCTEL/rest/validare/FACT1", "", invoiceDoc("REJECT-1"), "nok", "E: validari globale  SCHEMATRON   eroare: [BR-RO-110]-test"},
		{"NoSeller", "/prod/FCTEL/rest/validare/FACT1", "", ublDoc("Invoice", "X", "2026-01-10", "", "RO"+buyer, buyer), "nok", "E: validari globale  SCHEMATRON   eroare: [BR-CO-26]"},
	}
	for _, tc := range tests {
		resp, body := b.do(t, tc.token, http.MethodPost, tc.path, tc.body, "Content-Type", "text/plain")
		require.Equal(t, http.StatusOK, resp.StatusCode, tc.name)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"), tc.name)
		var v validareResp
		require.NoError(t, json.Unmarshal(body, &v), tc.name)
		require.Equal(t, tc.stare, v.Stare, "%s: %s", tc.name, body)
		require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, v.TraceID)
		if tc.message == "" {
			require.Empty(t, v.Messages, tc.name)
			require.NotContains(t, string(body), "Messages", tc.name)
		} else {
			require.Len(t, v.Messages, 1, tc.name)
			require.True(t, strings.HasPrefix(v.Messages[0].Message, tc.message), "%s: %s", tc.name, v.Messages[0].Message)
		}
	}
	resp, body := b.do(t, "", http.MethodPost, "/prod/FCTEL/rest/validare/", invoiceDoc("V"))
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.JSONEq(t, `{"timestamp":"2026-01-15T08:00:00.000+00:00","status":404,"error":"Not Found","path":"/FCTEL/rest/validare/"}`, string(body))
	resp, _ = b.do(t, "not-a-token", http.MethodPost, "/prod/FCTEL/rest/validare/FACT1", invoiceDoc("V"))
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a token, when sent, must be valid")
}

func TestTransformare(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	resp, pdf := b.do(t, "", http.MethodPost, "/prod/FCTEL/rest/transformare/FACT1", invoiceDoc("PDF-1"), "Content-Type", "text/plain")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")))
	require.True(t, bytes.HasSuffix(pdf, []byte("%%EOF\n")))
	require.Contains(t, string(pdf), "(Factura nr. PDF-1 din 2026-01-10) Tj")
	require.Less(t, len(pdf), 4096)
	// the xref offsets point at the objects
	xref := bytes.LastIndex(pdf, []byte("startxref\n"))
	var off int
	_, err := fmt.Sscanf(string(pdf[xref+len("startxref\n"):]), "%d", &off)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(pdf[off:], []byte("xref\n0 6\n")))
	var o1 int
	_, err = fmt.Sscanf(string(pdf[off+len("xref\n0 6\n0000000000 65535 f \n"):]), "%d", &o1)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(pdf[o1:], []byte("1 0 obj\n")))

	bad := []byte("<Invoice><a></b>")
	resp, body := b.do(t, "", http.MethodPost, "/prod/FCTEL/rest/transformare/FACT1", bad)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.Contains(t, string(body), `"stare":"nok"`)
	resp, body = b.do(t, b.token, http.MethodPost, "/prod/FCTEL/rest/transformare/FACT1/DA", ublDoc("Invoice", "X", "2026-01-10", "", "RO"+buyer, buyer))
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"), "DA skips validation")
	require.True(t, bytes.HasPrefix(body, []byte("%PDF")))
	resp, body = b.do(t, "", http.MethodPost, "/prod/FCTEL/rest/transformare/FACT2/DA", invoiceDoc("X"))
	require.Contains(t, string(body), "Valorile acceptate pentru parametrul standard sunt FACT1 si FCN")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = b.do(t, "", http.MethodPost, "/prod/FCTEL/rest/transformare/FACT1/NU", invoiceDoc("X"))
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func multipartBody(t *testing.T, parts map[string][]byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, data := range parts {
		fw, err := mw.CreateFormFile(name, name+".xml")
		require.NoError(t, err)
		_, err = fw.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return buf.Bytes(), mw.FormDataContentType()
}

func TestValidateSignature(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	var a *archive
	for _, x := range b.sim.st.Archives {
		a = x
	}
	_, z := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+a.DownloadID, nil)
	_, files := unzip(t, z)
	doc, sig := files[a.UploadIndex+".xml"], files["semnatura_"+a.UploadIndex+".xml"]
	tampered := bytes.Replace(doc, []byte("121.00"), []byte("999.00"), 1)
	tests := []struct {
		name   string
		token  string
		parts  map[string][]byte
		status int
		msg    string
	}{
		{"OK", "", map[string][]byte{"file": doc, "signature": sig}, 200, SignatureOKText},
		{"OKWithToken", b.token, map[string][]byte{"file": doc, "signature": sig}, 200, SignatureOKText},
		{"Tampered", "", map[string][]byte{"file": tampered, "signature": sig}, 200, SignatureNOKText},
		{"NotASignature", "", map[string][]byte{"file": doc, "signature": doc}, 200, SignatureNOKText},
		{"MissingPart", "", map[string][]byte{"file": doc}, 400, ""},
	}
	for _, tc := range tests {
		body, ct := multipartBody(t, tc.parts)
		resp, out := b.do(t, tc.token, http.MethodPost, "/api/validate/signature", body, "Content-Type", ct)
		require.Equal(t, tc.status, resp.StatusCode, tc.name)
		var m struct{ Msg string }
		require.NoError(t, json.Unmarshal(out, &m), tc.name)
		if tc.msg != "" {
			require.Equal(t, tc.msg, m.Msg, tc.name)
		} else {
			require.NotEmpty(t, m.Msg)
		}
	}
	require.True(t, strings.HasPrefix(SignatureOKText, "Fișierele încărcate au fost validate cu succes"))
	require.True(t, strings.HasPrefix(SignatureNOKText, "Fișierele încărcate NU au putut fi validate cu succes"))
}

func TestRASP(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RASPPerDay = 2 })
	inv := b.upload(t, b.token, "standard=UBL&cif="+seller, invoiceDoc("R-1"))
	rasp := []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<header xmlns="mfp:anaf:dgti:spv:reqMesaj:v1" index_incarcare="` + inv + `" message="Va rugam sa emiteti factura storno"/>`)
	idx := b.upload(t, b.token, "standard=RASP&cif="+buyer, rasp)
	stare, dl := b.stare(t, b.token, idx)
	require.Equal(t, "ok", stare)
	now := b.clock.Now()
	for cif, tip := range map[string]string{seller: "MESAJ CUMPARATOR PRIMIT", buyer: "MESAJ CUMPARATOR TRANSMIS"} {
		_, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=1&filtru=R&cif="+cif, nil)
		var lr listResp
		require.NoError(t, json.Unmarshal(body, &lr), string(body))
		require.Len(t, lr.Mesaje, 1, cif)
		require.Equal(t, tip, lr.Mesaje[0].Tip)
		require.Equal(t, dl, lr.Mesaje[0].ID)
		require.Equal(t, idx, lr.Mesaje[0].IDSolicitare)
		require.Equal(t, "Mesaj RASP primit de la cumparator pentru factura cu id_incarcare="+inv, lr.Mesaje[0].Detalii)
	}
	_ = now
	_, z := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+dl, nil)
	_, files := unzip(t, z)
	require.Equal(t, rasp, files[idx+".xml"])

	// a RASP about an unknown invoice: accepted, then nok (ERORI FACTURA for the sender)
	bad := bytes.Replace(rasp, []byte(inv), []byte("5099999999"), 1)
	idx2 := b.upload(t, b.token, "standard=RASP&cif="+buyer, bad)
	stare, _ = b.stare(t, b.token, idx2)
	require.Equal(t, "nok", stare)
	// third RASP of the day for buyer: quota (2/day here)
	_, body := b.api(t, http.MethodPost, "/prod/FCTEL/rest/upload?standard=RASP&cif="+buyer, rasp)
	_, errs := headerAttrs(t, body)
	require.Equal(t, []string{"S-au incarcat deja 2 de mesaje de tip RASP pentru cui=" + buyer + " in cursul zile"}, errs)
	// not a RASP body
	_, body = b.api(t, http.MethodPost, "/prod/FCTEL/rest/upload?standard=RASP&cif="+seller, invoiceDoc("X"))
	_, errs = headerAttrs(t, body)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0], "cvc-elt.1.a: Cannot find the declaration of element 'Invoice'.")
	// combined tip, configurable
	c := setup(t, func(o *Options) {
		o.RASPTipSeller, o.RASPTipBuyer = "MESAJ CUMPARATOR PRIMIT / MESAJ CUMPARATOR TRANSMIS", "MESAJ CUMPARATOR PRIMIT / MESAJ CUMPARATOR TRANSMIS"
	})
	inv = c.upload(t, c.token, "standard=UBL&cif="+seller, invoiceDoc("R-1"))
	c.upload(t, c.token, "standard=RASP&cif="+buyer, []byte(`<header xmlns="mfp:anaf:dgti:spv:reqMesaj:v1" index_incarcare="`+inv+`" message="x"/>`))
	_, body = c.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=1&filtru=R&cif="+seller, nil)
	var lr listResp
	require.NoError(t, json.Unmarshal(body, &lr), string(body))
	require.Len(t, lr.Mesaje, 1)
	require.Equal(t, "MESAJ CUMPARATOR PRIMIT / MESAJ CUMPARATOR TRANSMIS", lr.Mesaje[0].Tip)
}

func TestGrants(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.AutoApprove = false })
	loadN(t, b.sim, 1)
	// consent page lists the known CIFs as checkboxes
	q := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect}}
	resp, page := b.do(t, "", http.MethodGet, "/anaf-oauth2/v1/authorize?"+q.Encode(), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, c := range []string{seller, buyer} {
		require.Contains(t, string(page), `<input type="checkbox" name="cif" value="`+c+`" checked>`)
	}
	tok := b.scopedToken(t, seller)
	_, body := b.do(t, tok, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+buyer, nil)
	e, _ := eroareOf(t, body)
	require.Equal(t, "Nu aveti drept in SPV pentru CIF="+buyer, e)
	_, body = b.do(t, tok, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+seller, nil)
	require.Contains(t, string(body), `"mesaje"`)
	// upload for a CIF outside the grant
	_, body = b.do(t, tok, http.MethodPost, "/prod/FCTEL/rest/upload?standard=UBL&cif="+buyer, invoiceDoc("G-1"))
	_, errs := headerAttrs(t, body)
	require.Equal(t, []string{"Nu aveti drept in SPV pentru CIF=" + buyer}, errs)
	// stareMesaj of an upload the grant does not cover
	idx := b.upload(t, tok, "standard=UBL&cif="+seller, invoiceDoc("G-2"))
	buyerTok := b.scopedToken(t, buyer)
	_, body = b.do(t, buyerTok, http.MethodGet, "/prod/FCTEL/rest/stareMesaj?id_incarcare="+idx, nil)
	_, errs = headerAttrs(t, body)
	require.Equal(t, []string{"Nu aveti dreptul de inteorgare pentru id_incarcare= " + idx}, errs)
	// nothing checked: no CIF at all
	none := b.scopedToken(t)
	_, body = b.do(t, none, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+seller, nil)
	e, _ = eroareOf(t, body)
	require.Equal(t, "Nu exista niciun CIF pentru care sa aveti drept in SPV", e)
	// the grant survives a refresh
	form := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect},
		"decision": {"approve"}, "cifs_shown": {"1"}, "cif": {buyer}}
	r2, err := noRedirect().PostForm(b.srv.URL+"/anaf-oauth2/v1/authorize", form)
	require.NoError(t, err)
	r2.Body.Close()
	loc, _ := url.Parse(r2.Header.Get("Location"))
	_, tb := b.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {testRedirect}, "token_content_type": {"jwt"}}, testClientID, testClientSecret)
	var tr TokenResponse
	require.NoError(t, json.Unmarshal(tb, &tr))
	_, tb = b.tokenReq(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, testClientID, testClientSecret)
	require.NoError(t, json.Unmarshal(tb, &tr))
	_, body = b.do(t, tr.AccessToken, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+seller, nil)
	e, _ = eroareOf(t, body)
	require.Equal(t, "Nu aveti drept in SPV pentru CIF="+seller, e)
}

func TestRedirectURIs(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RedirectURIs = []string{testRedirect, "https://app.example.ro/cb"} })
	for _, tc := range []struct {
		uri string
		ok  bool
	}{{testRedirect, true}, {"https://app.example.ro/cb", true}, {testRedirect + "/", false}, {"HTTP://localhost:9999/callback", false}} {
		q := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {tc.uri}}
		resp, err := noRedirect().Get(b.srv.URL + "/anaf-oauth2/v1/authorize?" + q.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		if tc.ok {
			require.NotEmpty(t, loc.Query().Get("code"), tc.uri)
		} else {
			require.Equal(t, "access_denied", loc.Query().Get("error"), tc.uri)
		}
	}
}

func TestUploadChecks(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.KnownCIFs = append(o.KnownCIFs, third); o.ExecutareCIFs = []string{third} })
	foreign := ublDoc("Invoice", "F-1", "2026-01-10", "RO"+seller, "DE123456789", "HRB 1234")
	selfBilled := ublDoc("Invoice", "A-1", "2026-01-10", "RO"+seller, "RO"+buyer, buyer)
	tests := []struct {
		name, query string
		doc         []byte
		stare       string
		errText     string         // in the ERORI FACTURA ZIP
		msgs        map[string]int // listable messages afterwards, by CIF (cumulative)
	}{
		{"CIFNotSeller", "standard=UBL&cif=" + buyer, invoiceDoc("C-1"), "nok", "nu corespunde cu parametrul cif=" + buyer, map[string]int{buyer: 1}},
		{"ForeignBuyerWithoutExtern", "standard=UBL&cif=" + seller, foreign, "nok", "extern=DA", map[string]int{seller: 1, buyer: 1}},
		{"ForeignBuyerExtern", "standard=UBL&extern=DA&cif=" + seller, foreign, "ok", "", map[string]int{seller: 2, buyer: 1}},
		{"Autofactura", "standard=UBL&autofactura=DA&cif=" + buyer, selfBilled, "ok", "", map[string]int{seller: 3, buyer: 2}},
		{"AutofacturaBySeller", "standard=UBL&autofactura=DA&cif=" + seller, invoiceDoc("A-2"), "nok", "la autofactura", map[string]int{seller: 4, buyer: 2}},
	}
	for _, tc := range tests {
		idx := b.upload(t, b.token, tc.query, tc.doc)
		stare, dl := b.stare(t, b.token, idx)
		require.Equal(t, tc.stare, stare, tc.name)
		if tc.errText != "" {
			_, z := b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+dl, nil)
			_, files := unzip(t, z)
			errs, err := invoice.ParseANAFErrors(files[idx+".xml"])
			require.NoError(t, err, tc.name)
			require.Contains(t, fmt.Sprint(errs), tc.errText, tc.name)
		}
		require.Equal(t, tc.msgs, b.sim.Stats().Messages, tc.name)
	}
	now := b.clock.Now()
	lr := b.page(t, seller, now.Add(-time.Hour), now, 1)
	var self []string
	for _, m := range lr.Mesaje {
		if strings.Contains(m.Detalii, "autofactutra") {
			self = append(self, m.Tip+": "+m.Detalii)
		}
	}
	require.Len(t, self, 1)
	require.Regexp(t, `^FACTURA PRIMITA: Factura cu id_incarcare=\d+ transmisa de cif=`+buyer+`  ca autofactutra in numele cif=`+seller+`$`, self[0])
	lr = b.page(t, seller, now.Add(-time.Hour), now, 1)
	require.Equal(t, "Erori de validare identificate la factura de tip declarat=AUTOFACTURA, transmisa cu id_incarcare="+lr.Mesaje[0].IDSolicitare, lr.Mesaje[0].Detalii)

	// executare: only CIFs of the register
	_, body := b.api(t, http.MethodPost, "/prod/FCTEL/rest/upload?standard=UBL&executare=DA&cif="+seller, invoiceDoc("E-1"))
	_, errs := headerAttrs(t, body)
	require.Equal(t, []string{"CIF introdus= " + seller + " nu este inregistrat in Registrul RO e-Factura executari silite"}, errs)
	_, body = b.api(t, http.MethodPost, "/prod/FCTEL/rest/upload?standard=UBL&autofactura=da&cif="+seller, invoiceDoc("E-1"))
	_, errs = headerAttrs(t, body)
	require.Equal(t, []string{"Daca parametrul autofacturare trebuie completat, valoarea acceptata este DA"}, errs)
}

func TestSixtyDays(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 1)
	var id string
	for k := range b.sim.st.Archives {
		id = k
	}
	b.clock.Advance(61 * 24 * time.Hour)
	// the token (90 days) is still valid
	_, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+seller, nil)
	e, _ := eroareOf(t, body)
	require.Equal(t, "Nu exista mesaje in ultimele 60 zile", e)
	_, body = b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+id, nil)
	e, titlu := eroareOf(t, body)
	require.Equal(t, "Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile in care este disponibil", e)
	require.Equal(t, "Descarcare mesaj", titlu)
	require.Empty(t, b.stats(t).Messages)
}

func TestQuotas(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.ListPerDay, o.PaginatedPerDay, o.StatusPerDay, o.DownloadsPerDay = 2, 2, 2, 2 })
	loadN(t, b.sim, 1)
	idx := b.upload(t, b.token, "standard=UBL&cif="+seller, invoiceDoc("Q-1"))
	now := b.clock.Now()
	paging := fmt.Sprintf("/prod/FCTEL/rest/listaMesajePaginatieFactura?startTime=%d&endTime=%d&pagina=1&cif=%s", now.Add(-time.Hour).UnixMilli(), now.UnixMilli(), seller)
	dl := b.sim.st.Uploads[idx].DownloadID // processed at once (no delay)
	tests := []struct {
		name, path, want string
	}{
		{"Lista", "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif=" + seller, "S-au facut deja 2 interogari de lista mesaje de catre utilizator in cursul zilei"},
		{"Paginatie", paging, "S-au facut deja 2 interogari de lista mesaje de catre utilizator in cursul zilei"},
		{"Descarcare", "/prod/FCTEL/rest/descarcare?id=" + dl, "S-au facut deja 2 descarcari de mesaj in cursul zilei"},
		{"Stare", "/prod/FCTEL/rest/stareMesaj?id_incarcare=" + idx, "S-au facut deja 2 descarcari de mesaj in cursul zilei"},
	}
	for _, tc := range tests {
		for range 2 {
			_, body := b.api(t, http.MethodGet, tc.path, nil)
			require.NotContains(t, string(body), "S-au facut deja", tc.name)
		}
		_, body := b.api(t, http.MethodGet, tc.path, nil)
		require.Contains(t, string(body), tc.want, tc.name)
	}
	// a new day (Bucharest) resets them
	b.clock.Advance(24 * time.Hour)
	_, body := b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+seller, nil)
	require.Contains(t, string(body), `"mesaje"`)

	// --quotas off
	c := setup(t, func(o *Options) { o.NoQuotas = true; o.ListPerDay = 1; o.RatePerMinute = 1 })
	loadN(t, c.sim, 1)
	for range 5 {
		resp, body := c.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+seller, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(body), `"mesaje"`)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RatePerMinute = 3 })
	codes := []int{}
	for range 7 { // split over two minutes, one of them still holds 4 > 3 calls
		resp, _ := b.api(t, http.MethodGet, "/prod/FCTEL/rest/stareMesaj?id_incarcare=1", nil)
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			require.NotEmpty(t, resp.Header.Get("Retry-After"))
		}
	}
	require.Contains(t, codes, http.StatusTooManyRequests)
	// OAuth is not limited
	b.login(t)
}

func TestFaultHeader(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Hang = 5 * time.Second })
	loadN(t, b.sim, 1)
	var id string
	for k := range b.sim.st.Archives {
		id = k
	}
	dlPath := "/prod/FCTEL/rest/descarcare?id=" + id
	tests := []struct {
		fault, path string
		status      int
		want        string
	}{
		{"500", dlPath, 500, `"status":500`},
		{"502", dlPath, 502, "Bad Gateway"},
		{"504", "/prod/FCTEL/rest/listaMesajeFactura?zile=1&cif=" + seller, 504, "Gateway Timeout"},
		{"expired", dlPath, 401, `{"message":"Unauthorized","status":"401"}`},
		{"quota", dlPath, 200, `"eroare":"S-au facut deja 10 descarcari de mesaj in cursul zilei"`},
		{"quota", "/prod/FCTEL/rest/listaMesajeFactura?zile=1&cif=" + seller, 200, "S-au facut deja 1500 interogari de lista mesaje"},
		{"quota", "/prod/FCTEL/rest/stareMesaj?id_incarcare=1", 200, `errorMessage="S-au facut deja 100 descarcari de mesaj in cursul zilei"`},
		{"norights", dlPath, 200, "Nu aveti dreptul sa descarcati acesta factura"},
		{"norights", "/prod/FCTEL/rest/listaMesajeFactura?zile=1&cif=" + seller, 200, "Nu aveti drept in SPV pentru CIF=" + seller},
		{"norights", "/prod/FCTEL/rest/stareMesaj?id_incarcare=5012345678", 200, "Nu aveti dreptul de inteorgare pentru id_incarcare= 5012345678"},
		{"bogus", dlPath, 400, "unknown X-Sim-Fault"},
	}
	for _, tc := range tests {
		resp, body := b.do(t, b.token, http.MethodGet, tc.path, nil, FaultHeader, tc.fault)
		require.Equal(t, tc.status, resp.StatusCode, tc.fault)
		require.Contains(t, string(body), tc.want, tc.fault)
	}
	// badzip: a complete answer whose ZIP does not open
	resp, body := b.do(t, b.token, http.MethodGet, dlPath, nil, FaultHeader, "badzip")
	require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
	_, err := invoice.ReadArchive(body)
	require.Error(t, err)
	// truncate: the connection ends before Content-Length bytes
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+dlPath, nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set(FaultHeader, "truncate")
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, err = io.ReadAll(r2.Body)
	r2.Body.Close()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	// timeout: the client gives up long before Hang; the server honours it
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, b.srv.URL+dlPath, nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set(FaultHeader, "timeout")
	start := time.Now()
	_, err = http.DefaultClient.Do(req)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	require.Less(t, time.Since(start), 2*time.Second)
	// never on OAuth or /__sim/*
	q := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect}}
	req, _ = http.NewRequest(http.MethodGet, b.srv.URL+"/anaf-oauth2/v1/authorize?"+q.Encode(), nil)
	req.Header.Set(FaultHeader, "500")
	resp, err = noRedirect().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	resp, _ = b.do(t, "", http.MethodGet, "/__sim/stats", nil, FaultHeader, "500")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	st := b.stats(t)
	require.Zero(t, st.OKCalls["descarcare"], "faulted answers are not ok")
}

func TestRandomFaults(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.FaultRate = 1; o.Seed = 7; o.Hang = 10 * time.Millisecond })
	loadN(t, b.sim, 1)
	statuses := map[int]int{}
	for range 40 {
		req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+seller, nil)
		req.Header.Set("Authorization", "Bearer "+b.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			statuses[-1]++
			continue
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			statuses[-2]++ // truncated
		} else {
			statuses[resp.StatusCode]++
		}
		resp.Body.Close()
	}
	require.Positive(t, statuses[500])
	require.Positive(t, statuses[502]+statuses[504])
	require.Positive(t, statuses[-2])
	require.Positive(t, statuses[200], "hang (short here) and badzip on a non-ZIP answer end normally")
	b.login(t) // OAuth never faulted
	require.Equal(t, http.StatusOK, func() int { r, _ := b.do(t, "", http.MethodGet, "/__sim/stats", nil); return r.StatusCode }())
	st := b.stats(t)
	require.Equal(t, 40, st.Calls["listaMesajeFactura"])
	// a badzip fault on a JSON answer leaves it whole but is not counted as ok
	require.Positive(t, st.OKCalls["listaMesajeFactura"])
	require.LessOrEqual(t, st.OKCalls["listaMesajeFactura"], statuses[200])
}

func TestStatsAndReset(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	loadN(t, b.sim, 2)
	var ids []string
	for k := range b.sim.st.Archives {
		ids = append(ids, k)
	}
	for range 3 {
		b.api(t, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+ids[0], nil)
	}
	b.api(t, http.MethodGet, "/test/FCTEL/rest/descarcare?id="+ids[1], nil)
	b.api(t, http.MethodGet, "/test/FCTEL/rest/descarcare?id=99", nil) // eroare: not ok
	b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+seller, nil)
	b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif=aaa", nil)
	idx := b.upload(t, b.token, "standard=UBL&cif="+seller, invoiceDoc("S-1"))
	b.stare(t, b.token, idx)
	st := b.stats(t)
	require.Equal(t, 5, st.Calls["descarcare"])
	require.Equal(t, 4, st.OKCalls["descarcare"])
	require.Equal(t, 2, st.Calls["listaMesajeFactura"])
	require.Equal(t, 1, st.OKCalls["listaMesajeFactura"])
	require.Equal(t, 1, st.OKCalls["upload"])
	require.Equal(t, 1, st.OKCalls["stareMesaj"])
	require.Equal(t, 3, st.MaxDownloadsPerMessage)
	require.Equal(t, map[string]int{seller: 3, buyer: 3}, st.Messages)

	resp, _ := b.do(t, "", http.MethodPost, "/__sim/reset", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	st = b.stats(t)
	require.Empty(t, st.Calls)
	require.Zero(t, st.MaxDownloadsPerMessage)
	require.Equal(t, map[string]int{seller: 2, buyer: 2}, st.Messages, "upload gone, loaded files back")
	resp, _ = b.api(t, http.MethodGet, "/prod/FCTEL/rest/listaMesajeFactura?zile=60&cif="+seller, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "grants cleared")
	tok := b.login(t).AccessToken
	_, body := b.apiWith(t, tok, http.MethodGet, "/prod/FCTEL/rest/descarcare?id="+ids[0], nil)
	require.True(t, bytes.HasPrefix(body, []byte("PK")), "same ids after reset")
}

func TestGenerateLoad(t *testing.T) {
	t.Parallel()
	cifs := SyntheticCIFs(20)
	require.Len(t, cifs, 20)
	seen := map[string]bool{}
	for _, c := range cifs {
		_, err := cif.Check(c)
		require.NoError(t, err, c)
		require.False(t, seen[c])
		seen[c] = true
	}
	files, err := GenerateLoad(150, 20, 3)
	require.NoError(t, err)
	require.Len(t, files, 150)
	for _, f := range files[:25] {
		inv, err := invoice.Parse(f.Data)
		require.NoError(t, err, f.Name)
		s, bu := invoice.PartyCIF(inv.Seller), invoice.PartyCIF(inv.Buyer)
		require.True(t, seen[s] && seen[bu] && s != bu, "%s: %s → %s", f.Name, s, bu)
		require.Equal(t, "COMPANIA "+s+" SRL", inv.Seller.Name)
	}
	again, err := GenerateLoad(150, 20, 3)
	require.NoError(t, err)
	require.Equal(t, files, again, "deterministic")
	_, err = GenerateLoad(10, 1, 3)
	require.Error(t, err)

	b := setup(t, func(o *Options) { o.KnownCIFs = nil })
	n, err := b.sim.LoadSources("", 150, 20, 3)
	require.NoError(t, err)
	require.Equal(t, 150, n)
	total := 0
	st := b.sim.Stats()
	require.Len(t, st.Messages, 20)
	for _, v := range st.Messages {
		total += v
	}
	require.Equal(t, 300, total, "each invoice is listed for its seller and its buyer")

	d := setup(t, func(o *Options) { o.KnownCIFs = nil })
	n, err = d.sim.LoadSources("", 0, 0, 1)
	require.NoError(t, err)
	require.Equal(t, DefaultGenerated, n, "the project's generator by default")
}

func TestAuthorizeRefusesNonHTTPRedirect(t *testing.T) {
	t.Parallel()
	sim, err := New(Options{AutoApprove: true})
	require.NoError(t, err)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, target := range []string{"javascript:alert(1)", "data:text/html,x", "//evil.example/cb", "file:///etc/passwd"} {
		resp, err := hc.Get(srv.URL + "/anaf-oauth2/v1/authorize?response_type=code&client_id=x&redirect_uri=" + url.QueryEscape(target))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, target)
		require.Empty(t, resp.Header.Get("Location"), target)
	}
}
