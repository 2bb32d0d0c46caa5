package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestDuplicateOf (issue 15 item 8): an invoice ANAF listed again under
// another message id is kept and marked duplicate_of the first in the list
// and the detail, and left out of exports unless include_duplicates=true.
func TestDuplicateOf(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		var orig *store.Invoice
		for _, s := range f.a {
			if s.doc != nil {
				orig = s.inv
				break
			}
		}
		require.NotNil(t, orig)
		again := *orig
		again.ID, again.ANAFID, again.ANAFCreatedAt = 0, "3077777777", orig.ANAFCreatedAt.Add(3*time.Hour)
		inserted, err := st.InsertInvoice(ctx, &again)
		require.NoError(t, err)
		require.True(t, inserted)
		require.Equal(t, orig.ID, again.DuplicateOf)

		// List: both rows, the later one marked.
		list := map[int64]map[string]json.RawMessage{}
		rec := f.get(t, "/api/v1/invoices?per_page=100")
		require.Equal(t, http.StatusOK, rec.Code)
		var page struct {
			Data []map[string]json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
		require.Len(t, page.Data, len(f.a)+1)
		for _, item := range page.Data {
			var id int64
			require.NoError(t, json.Unmarshal(item["id"], &id))
			list[id] = item
		}
		require.Equal(t, fmt.Sprint(orig.ID), string(list[again.ID]["duplicate_of"]))
		require.Equal(t, "null", string(list[orig.ID]["duplicate_of"]))
		require.Equal(t, "null", string(list[again.ID]["conflict_of"]))

		// Detail.
		rec = f.get(t, fmt.Sprintf("/api/v1/invoices/%d", again.ID))
		require.Equal(t, http.StatusOK, rec.Code)
		var detail struct {
			Data map[string]json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &detail))
		require.Equal(t, fmt.Sprint(orig.ID), string(detail.Data["duplicate_of"]))

		// Export: counted once, unless asked for.
		recs := f.exportCSV(t, "format=csv")
		require.Len(t, recs, len(f.a)+1)
		for _, r := range recs[1:] {
			require.NotEqual(t, again.ANAFID, r[1])
		}
		recs = f.exportCSV(t, "format=csv&include_duplicates=true")
		require.Len(t, recs, len(f.a)+2)
		rec = f.get(t, "/api/v1/invoices/export?include_duplicates=maybe")
		require.Equal(t, http.StatusBadRequest, rec.Code)
	})
}
