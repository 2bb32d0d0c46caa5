package store_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

func TestInvoiceValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		other := mkCompany(t, st, "12345674")
		var mine, theirs []int64
		for i := range 5 {
			inv := sampleInvoice(c.ID, fmt.Sprintf("30100000%02d", i))
			_, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			mine = append(mine, inv.ID)
		}
		for i := range 2 {
			inv := sampleInvoice(other.ID, fmt.Sprintf("30200000%02d", i))
			_, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			theirs = append(theirs, inv.ID)
		}

		// A fresh invoice is not validated.
		v, err := st.InvoiceValidation(ctx, c.ID, mine[0])
		require.NoError(t, err)
		require.Equal(t, store.ValidationPending, v.State)
		require.Empty(t, v.ValidatedWith)
		require.Nil(t, v.ValidatedAt)
		require.Nil(t, v.Report)
		_, err = st.InvoiceValidation(ctx, other.ID, mine[0])
		require.ErrorIs(t, err, store.ErrNotFound)

		has, err := st.HasInvoicesToValidate(ctx, "ro 1.0.9")
		require.NoError(t, err)
		require.True(t, has)

		// A company walk: in id order, in batches, with the cursor.
		var walked []int64
		after := int64(0)
		for {
			batch, err := st.InvoicesToValidate(ctx, store.ValidationScan{Current: "ro 1.0.9", CompanyID: c.ID, AfterID: after, Limit: 2})
			require.NoError(t, err)
			if len(batch) == 0 {
				break
			}
			require.LessOrEqual(t, len(batch), 2)
			for _, b := range batch {
				walked = append(walked, b.ID)
				require.Equal(t, store.TypeReceived, b.MessageType)
				require.Equal(t, "380", b.DocumentType)
				require.Equal(t, c.ID, b.CompanyID)
			}
			after = batch[len(batch)-1].ID
		}
		require.Equal(t, mine, walked)
		// The archive-wide walk: any Limit rows needing validation, sorted by id.
		batch, err := st.InvoicesToValidate(ctx, store.ValidationScan{Current: "ro 1.0.9", Limit: 3, AfterID: 1 << 40})
		require.NoError(t, err)
		require.Len(t, batch, 3, "AfterID is ignored")
		require.IsIncreasing(t, []int64{batch[0].ID, batch[1].ID, batch[2].ID})
		batch, err = st.InvoicesToValidate(ctx, store.ValidationScan{Current: "ro 1.0.9"})
		require.NoError(t, err)
		require.Len(t, batch, 7)

		// Verdicts.
		report := []byte(`{"profile":"ro","errors":[],"warnings":[{"id":"BR-RO-W1","flag":"warning","message":"m"}]}`)
		for i, id := range mine {
			state := store.ValidationValid
			if i == 1 {
				state = store.ValidationInvalid
			}
			require.NoError(t, st.SetInvoiceValidation(ctx, id, &store.InvoiceValidation{
				State: state, Errors: i % 2, Warnings: 1, Report: report, ValidatedWith: "ro 1.0.9"}))
		}
		require.NoError(t, st.SetInvoiceValidation(ctx, theirs[0], &store.InvoiceValidation{
			State: store.ValidationNotApplicable, ValidatedWith: "ro 1.0.8"}))
		require.ErrorIs(t, st.SetInvoiceValidation(ctx, 1<<40, &store.InvoiceValidation{State: "valid", ValidatedWith: "ro 1.0.9"}), store.ErrNotFound)
		require.Error(t, st.SetInvoiceValidation(ctx, mine[0], &store.InvoiceValidation{State: "valid"}))

		mv, err := st.MessageValidation(ctx, "3010000001", "ro 1.0.9")
		require.NoError(t, err)
		require.Equal(t, store.ValidationInvalid, mv.State)
		_, err = st.MessageValidation(ctx, "3010000001", "ro 1.1.0")
		require.ErrorIs(t, err, store.ErrNotFound)

		v, err = st.InvoiceValidation(ctx, c.ID, mine[1])
		require.NoError(t, err)
		require.Equal(t, store.ValidationInvalid, v.State)
		require.Equal(t, 1, v.Errors)
		require.Equal(t, 1, v.Warnings)
		require.Equal(t, "ro 1.0.9", v.ValidatedWith)
		require.NotNil(t, v.ValidatedAt)
		require.JSONEq(t, string(report), string(v.Report))

		// Left: theirs[0] (older rules) and theirs[1] (never).
		batch, err = st.InvoicesToValidate(ctx, store.ValidationScan{Current: "ro 1.0.9"})
		require.NoError(t, err)
		require.Len(t, batch, 2)
		require.Equal(t, theirs, []int64{batch[0].ID, batch[1].ID})
		batch, err = st.InvoicesToValidate(ctx, store.ValidationScan{Current: "ro 1.0.9", CompanyID: c.ID})
		require.NoError(t, err)
		require.Empty(t, batch)
		batch, err = st.InvoicesToValidate(ctx, store.ValidationScan{Current: "ro 1.0.9", CompanyID: c.ID, All: true})
		require.NoError(t, err)
		require.Len(t, batch, 5)

		counts, err := st.InvoiceValidationCounts(ctx, c.ID, "ro 1.0.9")
		require.NoError(t, err)
		require.Equal(t, store.ValidationCounts{Valid: 4, Invalid: 1, Warnings: 5}, *counts)
		counts, err = st.InvoiceValidationCounts(ctx, 0, "ro 1.0.9")
		require.NoError(t, err)
		require.Equal(t, store.ValidationCounts{Pending: 2, Valid: 4, Invalid: 1, Warnings: 5}, *counts)

		for _, id := range theirs {
			require.NoError(t, st.SetInvoiceValidation(ctx, id, &store.InvoiceValidation{State: store.ValidationNotApplicable, ValidatedWith: "ro 1.0.9"}))
		}
		has, err = st.HasInvoicesToValidate(ctx, "ro 1.0.9")
		require.NoError(t, err)
		require.False(t, has)
		has, err = st.HasInvoicesToValidate(ctx, "ro 1.1.0") // a new bundle
		require.NoError(t, err)
		require.True(t, has)

		// Reset one company: its rows need validation again.
		n, err := st.ResetInvoiceValidation(ctx, other.ID)
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		batch, err = st.InvoicesToValidate(ctx, store.ValidationScan{Current: "ro 1.0.9"})
		require.NoError(t, err)
		require.Len(t, batch, 2)
		v, err = st.InvoiceValidation(ctx, other.ID, theirs[0])
		require.NoError(t, err)
		require.Equal(t, store.InvoiceValidation{}, *v)

		// The list does not carry the report (nor the ZIP).
		list, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID})
		require.NoError(t, err)
		require.Len(t, list, 5)
	})
}
