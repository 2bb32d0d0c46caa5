package store_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"
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
	const batch = 100 // the SQLite driver looks each $N up linearly
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

// processCPU is this process's user and system CPU time in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
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

// TestListTotalsAndDeepPages: totals from the counter or the cached count
// and deep pages from the cached ordered ids equal what OFFSET and
// count(*) give (inside a transaction nothing is cached), and an insert,
// an update of a filtered column or a delete is seen by the next list.
func TestListTotalsAndDeepPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		other := mkCompany(t, st, "12345674")
		bulkInvoices(t, st, c.ID, 2500)
		bulkInvoices(t, st, other.ID, 100)
		filters := []store.InvoiceFilter{
			{CompanyID: c.ID},
			{CompanyID: c.ID, SortBy: "total_amount"},
			{CompanyID: c.ID, SortBy: "anaf_id", SortDesc: true},
			{CompanyID: c.ID, MessageType: store.TypeReceived, SortBy: "invoice_date"},
			{CompanyID: c.ID, DateFrom: "2024-02-01", SortBy: "synced_at", SortDesc: true},
			{CompanyID: c.ID, Query: "alfa 3", ExcludeDuplicates: true},
		}
		check := func(when string) {
			t.Helper()
			for _, f := range filters {
				for _, off := range []int{0, 950, 1000, 1480, 2450, 5000} {
					f.Limit, f.Offset = 50, off
					got, total, err := st.Invoices(ctx, f)
					require.NoError(t, err)
					want, wantTotal := uncachedInvoices(t, st, f)
					require.Equal(t, wantTotal, total, "%s: total of %+v", when, f)
					require.Equal(t, ids(want), ids(got), "%s: page of %+v", when, f)
				}
			}
			n, err := st.CountInvoices(ctx, c.ID)
			require.NoError(t, err)
			_, all, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID, Limit: 1, Offset: 1200})
			require.NoError(t, err)
			require.Equal(t, n, all)
		}
		check("bulk")
		inv := sampleInvoice(c.ID, "3999999999")
		inv.IssueDate, inv.TotalAmount = "2025-12-31", "99999999.99"
		_, err := st.InsertInvoice(ctx, inv)
		require.NoError(t, err)
		check("after an insert")
		_, err = st.DB().ExecContext(ctx, `UPDATE invoices SET duplicate_of = $1 WHERE company_id = $2 AND search_text LIKE '%alfa 3%' AND id <> $1`, inv.ID, c.ID)
		require.NoError(t, err)
		check("after marking duplicates")
		_, err = st.DB().ExecContext(ctx, `DELETE FROM invoices WHERE id = $1`, inv.ID)
		require.NoError(t, err)
		check("after a delete")
	})
}

// TestInvoiceMonthTotals: the dashboard's totals summed by the database
// equal the rows summed with decimals in Go, odd totals included.
func TestInvoiceMonthTotals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		c := mkCompany(t, st, "98765438")
		bulkInvoices(t, st, c.ID, 1200)
		for i, total := range []string{" 12.5 ", "-7.25", "1e2", ".5", "0.1234567", "123456789012345.5", "abc", "", "-0.01"} {
			inv := sampleInvoice(c.ID, fmt.Sprintf("39%08d", i))
			inv.TotalAmount, inv.IssueDate = total, "2025-11-0"+fmt.Sprint(i%9+1)
			_, err := st.InsertInvoice(ctx, inv)
			require.NoError(t, err)
			// The same totals on credit notes: each counts as −|total|.
			cn := sampleInvoice(c.ID, fmt.Sprintf("38%08d", i))
			cn.TotalAmount, cn.IssueDate, cn.DocumentType = total, "2025-11-0"+fmt.Sprint(i%9+1), "CreditNote"
			_, err = st.InsertInvoice(ctx, cn)
			require.NoError(t, err)
		}
		from := "2024-06-01"
		amounts, err := st.InvoiceAmounts(ctx, c.ID, from)
		require.NoError(t, err)
		type key struct{ m, typ, cur string }
		want := map[key]store.InvoiceMonthTotal{}
		for _, a := range amounts {
			k := key{a.IssueDate[:7], a.MessageType, a.Currency}
			g := want[k]
			g.Month, g.MessageType, g.Currency = k.m, k.typ, k.cur
			g.Invoices++
			if d, err := decimal.NewFromString(strings.TrimSpace(a.Total)); err == nil {
				if a.CreditNote {
					d = d.Abs().Neg()
				}
				g.Counted++
				g.Total = g.Total.Add(d)
			}
			want[k] = g
		}
		for range 2 { // the second time from the cache
			got, err := st.InvoiceMonthTotals(ctx, c.ID, from)
			require.NoError(t, err)
			require.Len(t, got, len(want))
			for _, g := range got {
				w, ok := want[key{g.Month, g.MessageType, g.Currency}]
				require.True(t, ok, "%+v", g)
				require.Equal(t, w.Invoices, g.Invoices, "%+v", g)
				require.Equal(t, w.Counted, g.Counted, "%+v", g)
				require.True(t, w.Total.Equal(g.Total), "%s: want %s, got %s", g.Month, w.Total, g.Total)
			}
		}
	})
}

// TestMigrateInvoiceBlobs: migration 00011 moves each invoice's ZIP and
// parsed JSON to invoice_blobs and counts the existing invoices; down
// moves them back.
func TestMigrateInvoiceBlobs(t *testing.T) {
	t.Parallel()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			st, _ := storetest.Fresh(t, d)
			ctx := t.Context()
			require.NoError(t, st.MigrateUpTo(ctx, 10))
			db := st.DB()
			ts := st.TimeValue(time.Now())
			var cid int64
			require.NoError(t, db.QueryRowContext(ctx, `INSERT INTO companies (cif, name, created_at) VALUES ('98765438', 'B', $1) RETURNING id`, ts).Scan(&cid))
			for i := range 3 {
				_, err := db.ExecContext(ctx, `INSERT INTO invoices (company_id, anaf_id, message_type, anaf_created_at, zip, zip_sha256, synced_at, parsed_json)
					VALUES ($1, $2, 'FACTURA PRIMITA', $3, $4, $5, $3, $6)`, cid, fmt.Sprint(100+i), ts, []byte("zip"+fmt.Sprint(i)), []byte{1}, []byte(`{"n":1}`))
				require.NoError(t, err)
			}
			require.NoError(t, st.Migrate(ctx))
			n, err := st.CountInvoices(ctx, cid)
			require.NoError(t, err)
			require.Equal(t, 3, n)
			list, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: cid, SortBy: "anaf_id"})
			require.NoError(t, err)
			require.Len(t, list, 3)
			zip, err := st.InvoiceZIP(ctx, cid, list[1].ID)
			require.NoError(t, err)
			require.Equal(t, "zip1", string(zip))
			full, err := st.InvoiceByID(ctx, cid, list[1].ID)
			require.NoError(t, err)
			require.JSONEq(t, `{"n":1}`, string(full.ParsedJSON))

			require.NoError(t, st.MigrateDownTo(ctx, 10))
			var back []byte
			require.NoError(t, db.QueryRowContext(ctx, `SELECT zip FROM invoices WHERE anaf_id = '102'`).Scan(&back))
			require.Equal(t, "zip2", string(back))
		})
	}
}

// BenchmarkInvoiceList: one page of 50 of a company of 10,000 invoices
// (as GET /api/v1/invoices runs it), per order and page.
func BenchmarkInvoiceList(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			var st *store.Store
			if d == store.SQLite {
				st = storetest.NewSQLite(b)
			} else {
				st = storetest.NewPostgres(b)
			}
			c, err := st.CreateCompany(b.Context(), "98765438", "B")
			require.NoError(b, err)
			bulkInvoices(b, st, c.ID, 10000)
			for _, k := range []struct {
				name string
				f    store.InvoiceFilter
			}{
				{"default/p1", store.InvoiceFilter{}},
				{"default/p200", store.InvoiceFilter{Offset: 9950}},
				{"total_desc/p1", store.InvoiceFilter{SortBy: "total_amount", SortDesc: true}},
				{"anaf_id/p20", store.InvoiceFilter{SortBy: "anaf_id", Offset: 950}},
				{"type/p1", store.InvoiceFilter{MessageType: store.TypeReceived}},
				{"q/p1", store.InvoiceFilter{Query: "alfa 3"}},
			} {
				b.Run(k.name, func(b *testing.B) {
					f := k.f
					f.CompanyID, f.Limit = c.ID, 50
					b.ReportAllocs()
					cpu0 := processCPU()
					for b.Loop() {
						list, _, err := st.Invoices(b.Context(), f)
						if err != nil || len(list) == 0 {
							b.Fatal(err, len(list))
						}
					}
					// CPU of this process (the PostgreSQL server's not
					// included): what a loaded machine does not distort.
					b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
				})
			}
			// The same deep page by OFFSET (inside a transaction nothing
			// is cached): what each page would cost without the ids.
			b.Run("default/p200/offset", func(b *testing.B) {
				f := store.InvoiceFilter{CompanyID: c.ID, Limit: 50, Offset: 9950}
				b.ReportAllocs()
				cpu0 := processCPU()
				for b.Loop() {
					err := st.WithTx(b.Context(), func(tx *store.Store) error {
						list, _, err := tx.Invoices(b.Context(), f)
						if err == nil && len(list) == 0 {
							err = fmt.Errorf("empty page")
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			})
			// A deep page right after a write (during a sync): the cached
			// ids are stale, so each page re-reads the list's ids; the
			// write here is the version bump alone.
			b.Run("default/p200/after-write", func(b *testing.B) {
				f := store.InvoiceFilter{CompanyID: c.ID, Limit: 50, Offset: 9950}
				b.ReportAllocs()
				cpu0 := processCPU()
				for b.Loop() {
					if _, err := st.DB().ExecContext(b.Context(), `UPDATE invoice_counts SET version = version + 1 WHERE company_id = $1`, c.ID); err != nil {
						b.Fatal(err)
					}
					if list, _, err := st.Invoices(b.Context(), f); err != nil || len(list) == 0 {
						b.Fatal(err, len(list))
					}
				}
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		})
	}
}
