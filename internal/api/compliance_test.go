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
