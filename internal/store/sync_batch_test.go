package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestArchiveBatch: one transaction stores the batch with each verdict in
// its row, releases the owner's download claims, is idempotent like
// InsertInvoice, and stores nothing (releases nothing) when a row fails.
func TestArchiveBatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		ok, err := st.ClaimDownload(ctx, "3000000001", "w1", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)

		v := &store.InvoiceValidation{State: store.ValidationInvalid, Errors: 2, Warnings: 1, Report: []byte(`{"errors":[]}`), ValidatedWith: "ro test"}
		items := []store.ArchiveItem{
			{Invoice: sampleInvoice(c.ID, "3000000001"), Validation: v, Claimed: true},
			{Invoice: sampleInvoice(c.ID, "3000000002")},
		}
		require.NoError(t, st.ArchiveBatch(ctx, items, "w1"))
		require.True(t, items[0].Inserted)
		require.True(t, items[1].Inserted)
		got, err := st.InvoiceValidation(ctx, c.ID, items[0].Invoice.ID)
		require.NoError(t, err)
		require.Equal(t, store.ValidationInvalid, got.State)
		require.Equal(t, 2, got.Errors)
		require.Equal(t, 1, got.Warnings)
		require.Equal(t, "ro test", got.ValidatedWith)
		require.NotNil(t, got.ValidatedAt)
		zip, err := st.ArchivedZIP(ctx, "3000000001")
		require.NoError(t, err)
		require.Equal(t, items[0].Invoice.ZIP, zip)
		// The claim went with the commit: another owner claims at once.
		ok, err = st.ClaimDownload(ctx, "3000000001", "w2", time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "w1's claim released by the batch")

		// Again: nothing inserted, ids reported.
		again := []store.ArchiveItem{{Invoice: sampleInvoice(c.ID, "3000000002")}, {Invoice: sampleInvoice(c.ID, "3000000003")}}
		require.NoError(t, st.ArchiveBatch(ctx, again, "w1"))
		require.False(t, again[0].Inserted)
		require.Equal(t, items[1].Invoice.ID, again[0].Invoice.ID)
		require.True(t, again[1].Inserted)

		// A row the database refuses (unknown company): nothing of the batch is stored.
		ok, err = st.ClaimDownload(ctx, "3000000004", "w1", time.Minute)
		require.NoError(t, err)
		require.True(t, ok)
		bad := []store.ArchiveItem{{Invoice: sampleInvoice(c.ID, "3000000004"), Claimed: true}, {Invoice: sampleInvoice(c.ID+1000, "3000000005")}}
		require.Error(t, st.ArchiveBatch(ctx, bad, "w1"))
		require.False(t, bad[0].Inserted)
		_, err = st.ArchivedZIP(ctx, "3000000004")
		require.ErrorIs(t, err, store.ErrNotFound)
		ok, err = st.ClaimDownload(ctx, "3000000004", "w2", time.Minute)
		require.NoError(t, err)
		require.False(t, ok, "the claim stays with w1 when the batch failed")

		require.NoError(t, st.AnalyzeInvoices(ctx))
	})
}

// TestSyncLookupPlans: the sync's lookups by ANAF id probe the (anaf_id,
// id) index, whatever the planner's statistics (none here, as after a large
// first sync with autovacuum off), instead of walking the primary key in
// id order (issue 16: the whole archive per message not yet archived).
func TestSyncLookupPlans(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		items := make([]store.ArchiveItem, 300)
		for i := range items {
			items[i] = store.ArchiveItem{Invoice: sampleInvoice(c.ID, "30000"+string(rune('0'+i%10))+string(rune('0'+i/10%10))+string(rune('0'+i/100)))}
		}
		require.NoError(t, st.ArchiveBatch(ctx, items, "w"))
		explain := `EXPLAIN `
		if st.Dialect() == store.SQLite {
			explain = `EXPLAIN QUERY PLAN `
		}
		for _, q := range []string{
			`SELECT b.zip FROM invoices i JOIN invoice_blobs b ON b.invoice_id = i.id WHERE i.anaf_id = '3099999999' ORDER BY i.id LIMIT 1`,
			`SELECT validation_state, validated_with FROM invoices WHERE anaf_id = '3099999999' ORDER BY id`,
		} {
			plan := explainPlan(t, st, explain+q)
			require.Contains(t, plan, "invoices_anaf_id_id_idx", q)
			require.NotContains(t, plan, "Sort", q)
		}
	})
}

// explainPlan is the text of a plan's rows, joined.
func explainPlan(t *testing.T, st *store.Store, q string) string {
	t.Helper()
	rows, err := st.DB().QueryContext(t.Context(), q)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var plan string
	for rows.Next() {
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(any)
		}
		require.NoError(t, rows.Scan(vals...))
		for _, v := range vals {
			plan += " " + toString(*(v.(*any)))
		}
	}
	require.NoError(t, rows.Err())
	return plan
}

func toString(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	default:
		return ""
	}
}
