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

// TestInvoiceDetailByID: the one-query detail reads what InvoiceByID,
// InvoiceValidation and RiskCheckOf read, says whether there are flags,
// and is ErrNotFound for another company's invoice.
func TestInvoiceDetailByID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		other := mkCompany(t, st, "12345674")
		bulkInvoices(t, st, c.ID, 3)
		list, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID})
		require.NoError(t, err)
		require.Len(t, list, 3)
		a, b, none := list[0].ID, list[1].ID, list[2].ID
		require.NoError(t, st.SetInvoiceValidation(ctx, a, &store.InvoiceValidation{State: store.ValidationInvalid,
			Errors: 2, Warnings: 1, Report: []byte(`{"errors":[]}`), ValidatedWith: "ro test"}))
		next := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
		require.NoError(t, st.SaveRiskCheck(ctx, &store.RiskCheck{InvoiceID: a, CompanyID: c.ID, Attempts: 2, NextTryAt: &next, LastError: "offline"},
			[]store.RiskFlag{{Code: "new_iban", Details: []byte(`{"iban":"RO49"}`)}}))
		require.NoError(t, st.SaveRiskCheck(ctx, &store.RiskCheck{InvoiceID: b, CompanyID: c.ID, VATDone: true}, nil))
		for _, id := range []int64{a, b, none} {
			d, err := st.InvoiceDetailByID(ctx, c.ID, id)
			require.NoError(t, err)
			inv, err := st.InvoiceByID(ctx, c.ID, id)
			require.NoError(t, err)
			require.Equal(t, *inv, d.Invoice)
			v, err := st.InvoiceValidation(ctx, c.ID, id)
			require.NoError(t, err)
			require.Equal(t, *v, d.Validation)
			chk, err := st.RiskCheckOf(ctx, c.ID, id)
			if id == none {
				require.ErrorIs(t, err, store.ErrNotFound)
				require.Nil(t, d.Risk)
			} else {
				require.NoError(t, err)
				require.Equal(t, *chk, *d.Risk)
			}
			require.Equal(t, id == a, d.HasFlags)
		}
		_, err = st.InvoiceDetailByID(ctx, other.ID, a)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
