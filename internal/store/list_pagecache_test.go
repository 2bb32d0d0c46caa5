package store_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestBriefPagesFollowWrites: a brief page served from the page cache is
// the page an uncached read (in a transaction) gives, row for row, after
// every kind of write a list can see: an insert, an update of a listed
// column, duplicates marked, a delete.
func TestBriefPagesFollowWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		other := mkCompany(t, st, "12345674")
		bulkInvoices(t, st, c.ID, 1300)
		bulkInvoices(t, st, other.ID, 60)
		filters := []store.InvoiceFilter{
			{CompanyID: c.ID},
			{CompanyID: c.ID, SortBy: "total_amount", SortDesc: true},
			{CompanyID: c.ID, MessageType: store.TypeReceived},
			{CompanyID: c.ID, DateFrom: "2024-02-01", DateTo: "2024-12-31"},
			{CompanyID: c.ID, Query: "alfa 3"},
			{CompanyID: other.ID},
		}
		check := func(when string) {
			t.Helper()
			for _, f := range filters {
				for _, off := range []int{0, 50, 1000, 1250} {
					f.Limit, f.Offset, f.Brief = 50, off, true
					for range 2 { // the second read is the cached page
						got, total, err := st.Invoices(ctx, f)
						require.NoError(t, err)
						want, wantTotal := uncachedInvoices(t, st, f)
						require.Equal(t, wantTotal, total, "%s: total of %+v", when, f)
						require.Equal(t, want, got, "%s: page of %+v", when, f)
					}
				}
			}
		}
		check("bulk")
		// A caller changing its page does not change the cached one.
		f := store.InvoiceFilter{CompanyID: c.ID, Limit: 50, Brief: true}
		page, _, err := st.Invoices(ctx, f)
		require.NoError(t, err)
		page[0].IssuerName = "changed by the caller"
		again, _, err := st.Invoices(ctx, f)
		require.NoError(t, err)
		require.NotEqual(t, page[0].IssuerName, again[0].IssuerName)

		inv := sampleInvoice(c.ID, "3999999999")
		inv.IssueDate, inv.TotalAmount = "2025-12-31", "99999999.99"
		_, err = st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		check("after an insert")
		_, err = st.DB().ExecContext(ctx, `UPDATE invoices SET issuer_name = 'Renamed SRL', invoice_number = 'X-1' WHERE company_id = $1 AND id % 7 = 0`, c.ID)
		require.NoError(t, err)
		check("after renaming")
		_, err = st.DB().ExecContext(ctx, `UPDATE invoices SET duplicate_of = $1 WHERE company_id = $2 AND search_text LIKE '%alfa 3%' AND id <> $1`, inv.ID, c.ID)
		require.NoError(t, err)
		check("after marking duplicates")
		_, err = st.DB().ExecContext(ctx, `DELETE FROM invoices WHERE id = $1`, inv.ID)
		require.NoError(t, err)
		check("after a delete")
	})
}

// briefInsertOnly are the brief columns written only when an invoice is
// inserted: their updates do not bump the version (migration 00011's
// trigger), so nothing may update them (checked below).
var briefInsertOnly = []string{"id", "document_type", "due_date", "vat_amount", "parse_error"}

// TestBriefColumnsBumpVersion guards the page cache: an update of any
// column a brief page shows bumps the company's invoice version, on both
// databases, but for the insert-only columns, which no statement of the
// store updates.
func TestBriefColumnsBumpVersion(t *testing.T) {
	t.Parallel()
	cols := strings.Split(strings.Join(strings.Fields(store.InvoiceBriefColumns), ""), ",")
	require.Len(t, cols, 19)
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		bulkInvoices(t, st, c.ID, 3)
		for _, col := range cols {
			if slices.Contains(briefInsertOnly, col) {
				continue
			}
			before, err := st.InvoiceVersion(ctx, c.ID)
			require.NoError(t, err)
			_, err = st.DB().ExecContext(ctx, `UPDATE invoices SET `+col+` = `+col+` WHERE company_id = $1`, c.ID)
			require.NoError(t, err)
			after, err := st.InvoiceVersion(ctx, c.ID)
			require.NoError(t, err)
			require.Greater(t, after, before, "an update of %s must bump the invoice version", col)
		}
	})
	// No statement of the store updates an insert-only column.
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	update := regexp.MustCompile(`(?is)UPDATE\s+invoices\s+(?:AS\s+\w+\s+|\w+\s+)?SET\s+(.*?)(?:\sWHERE\s|` + "`" + `)`)
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, m := range update.FindAllStringSubmatch(string(src), -1) {
			found++
			for _, col := range briefInsertOnly {
				require.NotRegexp(t, `(?i)(^|[\s,(])`+col+`\s*=`, m[1], "%s updates %s, which does not bump the invoice version", name, col)
			}
		}
	}
	require.GreaterOrEqual(t, found, 3, "the store's UPDATE invoices statements (validation, duplicates)")
}

// uncachedInvoices is st.Invoices(f) read in a transaction, where no list
// cache is read or filled: what a cached read must equal.
func uncachedInvoices(t *testing.T, st *store.Store, f store.InvoiceFilter) ([]store.Invoice, int) {
	t.Helper()
	var want []store.Invoice
	var total int
	require.NoError(t, st.WithTx(t.Context(), func(tx *store.Store) error {
		var err error
		want, total, err = tx.Invoices(t.Context(), f)
		return err
	}))
	return want, total
}
