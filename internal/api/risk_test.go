package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/client"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestRiskAPI: the invoice's "risk" field and POST …/risk/checked, each
// answer checked against openapi.json; the Go client's twin reads them;
// another company's invoice is 404; a read key 403; a bad code 422.
func TestRiskAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	ctx := t.Context()
	d := loadDoc(t)
	sc, err := newSchemaChecker(OpenAPIJSON)
	require.NoError(t, err)
	target := f.a[0].inv
	require.NoError(t, f.st.SaveRiskCheck(ctx, &store.RiskCheck{InvoiceID: target.ID, CompanyID: f.compA.ID, VATDone: true},
		[]store.RiskFlag{{Code: "iban_changed", Details: []byte(`{"iban":"RO09BCYP0000001234567890","previous":"RO49AAAA1B31007593840000"}`)},
			{Code: "supplier_inactive", Details: []byte(`{"date":"2026-01-10","since":"2025-12-15"}`)}}))
	writeKey := f.newKeyScope(t, f.compA.ID, store.ScopeWrite)
	id := strconv.FormatInt(target.ID, 10)
	do := func(method, path, pattern, key string, want int) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("X-API-KEY", key)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		require.Equal(t, want, rec.Code, rec.Body.String())
		checkAgainstDoc(t, d, sc, method, pattern, rec)
		return rec
	}
	rec := do("GET", "/api/v1/invoices/"+id, "/api/v1/invoices/{id}", f.keyA, 200)
	require.Contains(t, rec.Body.String(), `"code":"supplier_inactive"`)
	require.Contains(t, rec.Body.String(), `"unchecked":2`)
	const p = "/api/v1/invoices/{id}/risk/checked"
	do("POST", "/api/v1/invoices/"+id+"/risk/checked", p, f.keyA, http.StatusForbidden)
	do("POST", "/api/v1/invoices/"+id+"/risk/checked?code=nope", p, writeKey, http.StatusUnprocessableEntity)
	do("POST", "/api/v1/invoices/"+strconv.FormatInt(f.b[0].inv.ID, 10)+"/risk/checked", p, writeKey, http.StatusNotFound)
	rec = do("POST", "/api/v1/invoices/"+id+"/risk/checked?code=iban_changed", p, writeKey, 200)
	require.Contains(t, rec.Body.String(), `"marked":1`)

	// The Go client's twin.
	c := client.New(f.srv.URL, writeKey)
	inv, err := c.Invoice(context.Background(), target.ID)
	require.NoError(t, err)
	require.True(t, inv.Risk.Checked)
	require.Equal(t, 1, inv.Risk.Unchecked)
	require.Len(t, inv.Risk.Flags, 2)
	require.Equal(t, "supplier_inactive", inv.Risk.Flags[0].Code, "most serious first")
	require.Equal(t, "high", inv.Risk.Flags[0].Severity)
	n, risk, err := c.MarkRiskChecked(context.Background(), target.ID, "")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, risk.Unchecked)
	for _, fl := range risk.Flags {
		require.NotNil(t, fl.CheckedAt)
	}
	events, err := f.st.AuditEvents(ctx, 50)
	require.NoError(t, err)
	found := 0
	for _, e := range events {
		if e.Action == store.ActionInvoiceRiskChecked {
			found++
			require.True(t, strings.Contains(e.Details, "api key"), e.Details)
		}
	}
	require.Equal(t, 2, found)
}
