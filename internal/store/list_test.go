package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// bulkInvoices inserts n invoices of the company with raw SQL (fast):
// issue dates over two years, one in 50 without a date; totals, one in 40
// unparseable; a third sent, the rest received.
func bulkInvoices(t testing.TB, st *store.Store, companyID int64, n int) {
	t.Helper()
	ctx := context.Background()
	created := st.TimeValue(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	const batch = 500
	for start := 0; start < n; start += batch {
		var (
			rows []string
			args []any
		)
		for i := start; i < min(start+batch, n); i++ {
			date := any(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%730).Format(time.DateOnly))
			if i%50 == 7 {
				date = nil
			}
			total, num := fmt.Sprintf("%d.%02d", (i*7919)%100000, i%100), any(fmt.Sprintf("%d.%02d", (i*7919)%100000, i%100))
			if i%40 == 3 {
				total, num = "n/a", nil
			}
			typ := store.TypeReceived
			if i%3 == 0 {
				typ = store.TypeSent
			}
			k := len(args)
			rows = append(rows, fmt.Sprintf("($%d, $%d, $%d, $%d, $%d, $%d, 'RON', $%d, $%d, $%d, $%d, $%d)",
				k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9, k+10, k+11))
			args = append(args, companyID, fmt.Sprintf("%d", 4000000000+i), typ, created, fmt.Sprintf("F-%06d", (i*31)%n),
				date, total, num, []byte{1}, st.TimeValue(time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)),
				fmt.Sprintf("f-%06d\nalfa %d\nbeta", i, i%17))
		}
		_, err := st.DB().ExecContext(ctx, `INSERT INTO invoices (company_id, anaf_id, message_type, anaf_created_at,
			invoice_number, issue_date, currency, total_amount, total_amount_num, zip_sha256, synced_at, search_text) VALUES `+
			strings.Join(rows, ", "), args...)
		require.NoError(t, err)
	}
	_, err := st.DB().ExecContext(ctx, `ANALYZE`)
	require.NoError(t, err)
}

// TestListPlansUseIndexes: on both databases the list query of every
// sort_by, in both directions, and of the date and type filters reads an
// index in the list's order instead of sorting the company's rows.
func TestListPlansUseIndexes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		other := mkCompany(t, st, "12345674")
		bulkInvoices(t, st, c.ID, 3000)
		bulkInvoices(t, st, other.ID, 300)
		type tc struct {
			name   string
			f      store.InvoiceFilter
			sorted bool // an index is used, but sorting a small match is fine
		}
		var cases []tc
		for _, sortBy := range []string{"", "invoice_date", "issue_date", "total_amount", "synced_at", "anaf_id", "invoice_number"} {
			for _, desc := range []bool{false, true} {
				cases = append(cases, tc{name: fmt.Sprintf("sort %q desc=%v", sortBy, desc),
					f: store.InvoiceFilter{CompanyID: c.ID, SortBy: sortBy, SortDesc: desc}})
			}
		}
		cases = append(cases,
			tc{name: "dates", f: store.InvoiceFilter{CompanyID: c.ID, DateFrom: "2024-03-01", DateTo: "2025-06-30"}},
			tc{name: "type", f: store.InvoiceFilter{CompanyID: c.ID, MessageType: store.TypeSent}},
			tc{name: "type, total", f: store.InvoiceFilter{CompanyID: c.ID, MessageType: store.TypeReceived, SortBy: "total_amount", SortDesc: true}},
			tc{name: "partner", f: store.InvoiceFilter{CompanyID: c.ID, SupplierCIF: "RO12345674"}, sorted: true},
		)
		for _, k := range cases {
			q, args := st.InvoiceListQuery(k.f)
			plan := explain(t, st, q, args)
			if st.Dialect() == store.SQLite {
				if !k.sorted {
					require.NotContains(t, plan, "TEMP B-TREE", "%s sorts:\n%s", k.name, plan)
				}
				require.Contains(t, plan, "USING", "%s uses no index:\n%s", k.name, plan)
			} else {
				if !k.sorted {
					require.NotContains(t, plan, "Sort", "%s sorts:\n%s", k.name, plan)
				}
				require.NotContains(t, plan, "Seq Scan", "%s scans:\n%s", k.name, plan)
			}
			_, _, err := st.Invoices(ctx, k.f)
			require.NoError(t, err)
		}
	})
}

func explain(t *testing.T, st *store.Store, q string, args []any) string {
	t.Helper()
	prefix := "EXPLAIN "
	if st.Dialect() == store.SQLite {
		prefix = "EXPLAIN QUERY PLAN "
	}
	rows, err := st.DB().QueryContext(t.Context(), prefix+q, args...)
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		fmt.Fprintln(&b, vals[len(vals)-1])
	}
	require.NoError(t, rows.Err())
	return b.String()
}
