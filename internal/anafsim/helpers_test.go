package anafsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	testClientID     = "0123456789abcdef0123456789abcdef0123456789abcdef"
	testClientSecret = "s3cret"
	testRedirect     = "http://localhost:9999/callback"
	seller           = "12345674"
	buyer            = "98765438"
	third            = "31415920"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 1, 15, 10, 0, 0, 0, bucharest)}
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testBundle struct {
	sim   *Server
	srv   *httptest.Server
	clock *clock
	token string // access JWT
}

// setup starts a simulator (ClientID/secret set, auto-approve) on httptest
// and obtains an access token. mod may adjust the options.
func setup(t *testing.T, mod func(*Options)) *testBundle {
	t.Helper()
	c := newClock()
	opts := Options{ClientID: testClientID, ClientSecret: testClientSecret, AutoApprove: true, Now: c.Now,
		KnownCIFs: []string{seller, buyer}}
	if mod != nil {
		mod(&opts)
	}
	sim, err := New(opts)
	require.NoError(t, err)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	b := &testBundle{sim: sim, srv: srv, clock: c}
	if opts.AutoApprove {
		b.token = b.login(t).AccessToken
	}
	return b
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// authorize runs GET authorize (auto-approve) and returns the code.
func (b *testBundle) authorize(t *testing.T) string {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {testClientID}, "redirect_uri": {testRedirect},
		"token_content_type": {"jwt"}, "state": {"xyz"}}
	resp, err := noRedirect().Get(b.srv.URL + "/anaf-oauth2/v1/authorize?" + q.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "xyz", loc.Query().Get("state"))
	require.NotEmpty(t, loc.Query().Get("code"))
	return loc.Query().Get("code")
}

// tokenReq posts form to the token endpoint with Basic credentials.
func (b *testBundle) tokenReq(t *testing.T, form url.Values, id, secret string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/anaf-oauth2/v1/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

func (b *testBundle) login(t *testing.T) TokenResponse {
	t.Helper()
	code := b.authorize(t)
	status, body := b.tokenReq(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}, "token_content_type": {"jwt"}}, testClientID, testClientSecret)
	require.Equal(t, http.StatusOK, status, string(body))
	var tr TokenResponse
	require.NoError(t, json.Unmarshal(body, &tr))
	return tr
}

// api calls an FCTEL/rest endpoint with b.token.
func (b *testBundle) api(t *testing.T, method, pathQuery string, body []byte) (*http.Response, []byte) {
	t.Helper()
	return b.apiWith(t, b.token, method, pathQuery, body)
}

func (b *testBundle) apiWith(t *testing.T, token, method, pathQuery string, body []byte) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, b.srv.URL+pathQuery, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, out
}

// eroareOf decodes a family-B body and returns eroare and titlu.
func eroareOf(t *testing.T, body []byte) (string, string) {
	t.Helper()
	var e struct{ Eroare, Titlu string }
	require.NoError(t, json.Unmarshal(body, &e), string(body))
	return e.Eroare, e.Titlu
}

type listResp struct {
	Mesaje []struct {
		DataCreare   string `json:"data_creare"`
		CIF          string `json:"cif"`
		IDSolicitare string `json:"id_solicitare"`
		Detalii      string `json:"detalii"`
		Tip          string `json:"tip"`
		ID           string `json:"id"`
	} `json:"mesaje"`
	InPagina    int    `json:"numar_inregistrari_in_pagina"`
	PerPagina   int    `json:"numar_total_inregistrari_per_pagina"`
	Total       int    `json:"numar_total_inregistrari"`
	TotalPagini int    `json:"numar_total_pagini"`
	Pagina      int    `json:"index_pagina_curenta"`
	Serial      string `json:"serial"`
	CUI         string `json:"cui"`
	Titlu       string `json:"titlu"`
	Eroare      string `json:"eroare"`
}

func (b *testBundle) page(t *testing.T, cif string, start, end time.Time, pagina int) listResp {
	t.Helper()
	resp, body := b.api(t, http.MethodGet, fmt.Sprintf("/prod/FCTEL/rest/listaMesajePaginatieFactura?startTime=%d&endTime=%d&cif=%s&pagina=%d",
		start.UnixMilli(), end.UnixMilli(), cif, pagina), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var lr listResp
	require.NoError(t, json.Unmarshal(body, &lr), string(body))
	return lr
}

// jwtClaims decodes a JWT payload without verifying.
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// ublDoc is a small CIUS-RO-shaped invoice (root Invoice) or credit note.
func ublDoc(root, number, issueDate, sellerVAT, buyerVAT, buyerLegal string) []byte {
	ns := "urn:oasis:names:specification:ubl:schema:xsd:" + root + "-2"
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<` + root + ` xmlns="` + ns + `" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1</cbc:CustomizationID>
  <cbc:ID>` + number + `</cbc:ID>
  <cbc:IssueDate>` + issueDate + `</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>RON</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyTaxScheme><cbc:CompanyID>` + sellerVAT + `</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>ALFA SOFT SRL</cbc:RegistrationName><cbc:CompanyID>J40/1234/2020</cbc:CompanyID></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyTaxScheme><cbc:CompanyID>` + buyerVAT + `</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>BETA TRADING SRL</cbc:RegistrationName><cbc:CompanyID>` + buyerLegal + `</cbc:CompanyID></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="RON">121.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
</` + root + `>
`)
}

func invoiceDoc(number string) []byte {
	return ublDoc("Invoice", number, "2026-01-10", "RO"+seller, "RO"+buyer, buyer)
}
