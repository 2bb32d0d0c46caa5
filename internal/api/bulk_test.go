package api

import (
	"archive/zip"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestBulkZIP: GET /api/v1/invoices/bulk.zip gives the key's company's
// filtered invoices (never another's) as one ZIP of their original ZIPs,
// with the list's filters; bad parameters are 400s.
func TestBulkZIP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		rec := f.get(t, "/api/v1/invoices/bulk.zip")
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Equal(t, "application/zip", rec.Header().Get("Content-Type"))
		require.Regexp(t, `^attachment; filename=facturi_`+cifA+`_\d{4}-\d{2}-\d{2}\.zip$`, rec.Header().Get("Content-Disposition"))
		require.Equal(t, "private, no-store", rec.Header().Get("Cache-Control"))
		zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
		require.NoError(t, err)
		require.NotEmpty(t, zr.File)
		for _, e := range zr.File {
			require.True(t, strings.HasPrefix(e.Name, cifA+"/"), "only the key's company: %s", e.Name)
		}
		all := len(zr.File)

		rec = f.get(t, "/api/v1/invoices/bulk.zip?type=received")
		require.Equal(t, http.StatusOK, rec.Code)
		zr, err = zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
		require.NoError(t, err)
		require.Less(t, len(zr.File), all)
		for _, e := range zr.File {
			require.Contains(t, e.Name, "/primite/")
		}

		requireError(t, f.get(t, "/api/v1/invoices/bulk.zip?pdf=maybe"), http.StatusBadRequest, "INVALID_PARAMETER")
		requireError(t, f.get(t, "/api/v1/invoices/bulk.zip?date_from=1.1.2026"), http.StatusBadRequest, "INVALID_DATE_FORMAT")
		requireError(t, f.get(t, "/api/v1/invoices/bulk.zip", "X-API-KEY", "efk_nope"), http.StatusUnauthorized, "INVALID_API_KEY_FORMAT")
	})
}
