package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/gateway"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestInvoiceValidationJSON: GET /api/v1/invoices/{id} carries the native
// validator's verdict: pending before, then state, counts, rules version
// and the report, as openapi.json documents them.
func TestInvoiceValidationJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t, storetest.NewSQLite(t))
	d := loadDoc(t)
	sc, err := newSchemaChecker(OpenAPIJSON)
	require.NoError(t, err)

	type verdict struct {
		State         string  `json:"state"`
		Errors        int     `json:"errors"`
		Warnings      int     `json:"warnings"`
		ValidatedWith *string `json:"validated_with"`
		ValidatedAt   *string `json:"validated_at"`
		Report        *struct {
			Profile  string            `json:"profile"`
			Errors   []json.RawMessage `json:"errors"`
			Warnings []json.RawMessage `json:"warnings"`
		} `json:"report"`
	}
	get := func(id int64) verdict {
		t.Helper()
		rec := f.get(t, fmt.Sprintf("/api/v1/invoices/%d", id))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		checkAgainstDoc(t, d, sc, "GET", "/api/v1/invoices/{id}", rec)
		var out struct {
			Data struct {
				Validation verdict `json:"validation"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
		return out.Data.Validation
	}
	parsed := filter(f.a, func(s seeded) bool { return s.doc != nil })[0]
	v := get(parsed.inv.ID)
	require.Equal(t, "pending", v.State)
	require.Nil(t, v.ValidatedWith)
	require.Nil(t, v.ValidatedAt)
	require.Nil(t, v.Report)

	_, err = gw(f.st).RevalidateArchive(t.Context(), gateway.Actor{CLI: true}, "", false, nil)
	require.NoError(t, err)

	v = get(parsed.inv.ID)
	require.Contains(t, []string{"valid", "invalid"}, v.State)
	require.NotNil(t, v.ValidatedWith)
	require.Equal(t, gateway.ValidatedWith, *v.ValidatedWith)
	require.NotNil(t, v.ValidatedAt)
	require.NotNil(t, v.Report)
	require.Equal(t, "ro", v.Report.Profile)
	require.Len(t, v.Report.Errors, v.Errors)
	require.Len(t, v.Report.Warnings, v.Warnings)

	v = get(find(f.a, anafIDErrors).inv.ID)
	require.Equal(t, "not_applicable", v.State)
	require.Nil(t, v.Report)
	v = get(find(f.a, anafIDBrokenZIP).inv.ID)
	require.Equal(t, "not_applicable", v.State)

	// The list stays as it was: no verdict in it.
	rec := f.get(t, "/api/v1/invoices")
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotContains(t, rec.Body.String(), `"validation"`)
}
