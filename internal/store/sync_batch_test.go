package store_test

import (
	"fmt"
	"sort"
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

// TestArchiveBatchAsInserts: a batch writes each kind of row in a few
// statements (issue 16) with the outcome of inserting its invoices one
// after the other: the same identity marks (duplicates and conflicts
// within the batch and against the archive), the same per-invoice
// DuplicateOf, ConflictOf and Marked* counts, one row for a message listed
// twice, one event per announced invoice, the chain in the batch's order;
// and batches of any size (chunks of 64, 16, 4, 1 rows).
func TestArchiveBatchAsInserts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		base := time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC)
		type spec struct {
			anafID string
			number string
			hours  int
			total  string
			typ    string
		}
		specs := []spec{
			{"3000000010", "X-1", 5, "10.00", store.TypeReceived}, // in the archive before the batch
			{"3000000002", "AS-1", 2, "1190.00", store.TypeReceived},
			{"3000000001", "AS-1", 0, "1190.0", store.TypeReceived}, // earlier: the original, the one above its duplicate
			{"3000000003", "AS-1", 3, "1200.00", store.TypeReceived},
			{"3000000005", "AS-1", 5, "1190.00", store.TypeReceived}, // a duplicate at its turn: not announced
			{"3000000004", "AS-1", 4, "1190.00", store.TypeSent},
			{"3000000002", "AS-1", 2, "1190.00", store.TypeReceived}, // listed twice
			{"3000000011", "X-1", 1, "10.00", store.TypeReceived},    // earlier than the archived X-1
			{"3000000012", "X-1", 6, "11.00", store.TypeReceived},
			{"3000000013", "", 6, "11.00", store.TypeReceived}, // no identity
			{"3000000014", "E-1", 6, "11.00", store.TypeErrors},
		}
		mk := func(companyID int64, sp spec) *store.Invoice {
			inv := sampleInvoice(companyID, sp.anafID)
			inv.InvoiceNumber, inv.TotalAmount, inv.MessageType = sp.number, sp.total, sp.typ
			inv.ANAFCreatedAt = base.Add(time.Duration(sp.hours) * time.Hour)
			inv.SyncedAt = base.Add(time.Duration(len(sp.anafID)) * time.Minute)
			return inv
		}
		one, batch := mkCompany(t, st, "98765438"), mkCompany(t, st, "12345674")
		type outcome struct {
			inserted           bool
			dupOf, conflOf     string // the ANAF id marked against
			marked, conflicted int
		}
		anafOf := func(companyID, id int64) string {
			if id == 0 {
				return ""
			}
			inv, err := st.InvoiceByID(ctx, companyID, id)
			require.NoError(t, err)
			return inv.ANAFID
		}
		var want []outcome
		for _, sp := range specs {
			inv := mk(one.ID, sp)
			ins, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			want = append(want, outcome{ins, anafOf(one.ID, inv.DuplicateOf), anafOf(one.ID, inv.ConflictOf), inv.MarkedDuplicates, inv.MarkedConflicts})
		}
		_, err := st.InsertInvoice(ctx, mk(batch.ID, specs[0]))
		require.NoError(t, err)
		items := make([]store.ArchiveItem, len(specs)-1)
		for i, sp := range specs[1:] {
			items[i] = store.ArchiveItem{Invoice: mk(batch.ID, sp)}
		}
		require.NoError(t, st.ArchiveBatch(ctx, items, "w"))
		got := []outcome{want[0]}
		for _, it := range items {
			inv := it.Invoice
			got = append(got, outcome{it.Inserted, anafOf(batch.ID, inv.DuplicateOf), anafOf(batch.ID, inv.ConflictOf), inv.MarkedDuplicates, inv.MarkedConflicts})
		}
		require.Equal(t, want, got)

		// The rows' marks and the events, the same in both companies.
		marks := func(companyID int64) map[string][2]string {
			list, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: companyID, Limit: 100})
			require.NoError(t, err)
			out := map[string][2]string{}
			for _, inv := range list {
				out[inv.ANAFID] = [2]string{anafOf(companyID, inv.DuplicateOf), anafOf(companyID, inv.ConflictOf)}
			}
			return out
		}
		require.Equal(t, marks(one.ID), marks(batch.ID))
		require.Equal(t, [2]string{"3000000001", ""}, marks(batch.ID)["3000000002"])
		require.Equal(t, [2]string{"3000000011", ""}, marks(batch.ID)["3000000010"])
		subjects := func(companyID int64) []string {
			evs, err := st.CompanyEvents(ctx, companyID, 100)
			require.NoError(t, err)
			var out []string
			for _, ev := range evs {
				out = append(out, ev.Type+" "+anafOf(companyID, ev.SubjectID))
			}
			sort.Strings(out)
			return out
		}
		require.Equal(t, subjects(one.ID), subjects(batch.ID))
		// 3000000002 is announced: at its turn it was the first of its identity.
		require.Len(t, subjects(batch.ID), 8, "the duplicate, the repeated message and the error list announce nothing")
		chained := checkChain(t, st, batch.ID)
		require.Len(t, chained, 10)
		require.Equal(t, "3000000002", chained[1].ANAFID)
		require.Equal(t, "3000000001", chained[2].ANAFID)

		// Batches of every chunk size, and one row at a time.
		for _, n := range []int{1, 3, 5, 21, 64, 85, 150} {
			items := make([]store.ArchiveItem, n)
			for i := range items {
				items[i] = store.ArchiveItem{Invoice: sampleInvoice(batch.ID, fmt.Sprintf("6%03d%05d", n, i)),
					Validation: &store.InvoiceValidation{State: store.ValidationValid, ValidatedWith: "ro test"}}
			}
			require.NoError(t, st.ArchiveBatch(ctx, items, "w"))
			seen := map[int64]bool{}
			for _, it := range items {
				require.True(t, it.Inserted)
				require.False(t, seen[it.Invoice.ID])
				seen[it.Invoice.ID] = true
				zip, err := st.InvoiceZIP(ctx, batch.ID, it.Invoice.ID)
				require.NoError(t, err)
				require.Equal(t, it.Invoice.ZIP, zip)
			}
		}
		require.Len(t, checkChain(t, st, batch.ID), 10+1+3+5+21+64+85+150)
	})
}
