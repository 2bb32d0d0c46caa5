package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestComplianceEndpoints: GET /api/v1/compliance/deadlines and
// /numbering answer the key's company's check in the documented shape, and
// refuse a wrong period and an unverified company as documented.
func TestComplianceEndpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	d := loadDoc(t)
	sc, err := newSchemaChecker(OpenAPIJSON)
	require.NoError(t, err)
	unverified, err := f.st.CreateCompany(t.Context(), "31415920", "GAMMA SRL")
	require.NoError(t, err)
	keyU := f.newKey(t, unverified.ID)

	get := func(pattern, target, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("X-API-KEY", key)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		checkAgainstDoc(t, d, sc, "GET", pattern, rec)
		return rec
	}
	for _, pattern := range []string{"/api/v1/compliance/deadlines", "/api/v1/compliance/numbering"} {
		rec := get(pattern, pattern+"?from=2026-01-01&to=2026-02-28", f.keyA)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var body struct {
			Data struct {
				Checked int `json:"checked"`
			} `json:"data"`
			Meta complianceMeta `json:"meta"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		require.Positive(t, body.Data.Checked, "A sent invoices in January 2026")
		require.Equal(t, complianceMeta{CompanyCIF: f.compA.CIF, CompanyID: f.compA.ID, From: "2026-01-01", To: "2026-02-28"}, body.Meta)

		requireError(t, get(pattern, pattern+"?from=01.01.2026", f.keyA), http.StatusBadRequest, "INVALID_DATE")
		requireError(t, get(pattern, pattern+"?from=2026-03-01&to=2026-01-01", f.keyA), http.StatusBadRequest, "INVALID_PERIOD")
		requireError(t, get(pattern, pattern, keyU), http.StatusConflict, "COMPANY_UNVERIFIED")
		requireError(t, get(pattern, pattern, ""), http.StatusUnauthorized, "MISSING_API_KEY")
	}
}

// TestComplianceSPV: GET /api/v1/compliance/spv answers the key's
// company's SPV 60-day edge in the documented shape, and refuses an
// unverified company and a missing key as documented.
func TestComplianceSPV(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	d := loadDoc(t)
	sc, err := newSchemaChecker(OpenAPIJSON)
	require.NoError(t, err)
	unverified, err := f.st.CreateCompany(t.Context(), "31415920", "GAMMA SRL")
	require.NoError(t, err)
	keyU := f.newKey(t, unverified.ID)
	get := func(key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/api/v1/compliance/spv", nil)
		req.Header.Set("X-API-KEY", key)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		checkAgainstDoc(t, d, sc, "GET", "/api/v1/compliance/spv", rec)
		return rec
	}
	rec := get(f.keyA)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var body struct {
		Data spvJSON `json:"data"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	require.Equal(t, f.compA.CIF, body.Data.CompanyCIF)
	require.Equal(t, f.compA.ID, body.Data.CompanyID)
	require.Equal(t, 50, body.Data.AtRiskAgeDays)
	require.Zero(t, body.Data.AtRiskMessages)
	requireError(t, get(keyU), http.StatusConflict, "COMPANY_UNVERIFIED")
	requireError(t, get(""), http.StatusUnauthorized, "MISSING_API_KEY")

	// The Go client's twin reads the same answer.
	edge, err := f.client(f.keyA).ComplianceSPV(t.Context())
	require.NoError(t, err)
	require.Equal(t, body.Data.CompanyCIF, edge.CompanyCIF)
	require.Equal(t, 50, edge.AtRiskAgeDays)
	require.Equal(t, body.Data.Stale, edge.Stale)
}
