package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestInvoicesBrief: a brief list (the API's and the dashboard's) has the
// rows and order of the full one, with every listed column; the ones it
// leaves out are zero. A deep page (from the cached ids) too.
func TestInvoicesBrief(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		bulkInvoices(t, st, c.ID, 1200)
		for _, f := range []store.InvoiceFilter{
			{CompanyID: c.ID, Limit: 50},
			{CompanyID: c.ID, Limit: 50, Offset: 1100, SortBy: "total_amount", SortDesc: true},
			{CompanyID: c.ID, Limit: 20, MessageType: store.TypeSent},
		} {
			full, n, err := st.Invoices(ctx, f)
			require.NoError(t, err)
			f.Brief = true
			brief, nb, err := st.Invoices(ctx, f)
			require.NoError(t, err)
			require.Equal(t, n, nb)
			require.Len(t, brief, len(full))
			require.NotEmpty(t, brief)
			for i := range full {
				want := full[i]
				want.UploadID, want.Details, want.ANAFCreatedAt, want.ZIPSHA256 = "", "", time.Time{}, nil
				require.Equal(t, want, brief[i])
			}
		}
	})
}
