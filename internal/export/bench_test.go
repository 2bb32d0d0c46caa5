package export_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/efactura-gateway/efactura/internal/export"
	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// benchRows returns n copies of the sample invoices with fresh ids.
func benchRows(b *testing.B, n int) []store.Invoice {
	base := sample(b)
	rows := make([]store.Invoice, 0, n)
	for i := range n {
		r := base[i%len(base)]
		r.ID, r.ANAFID = int64(i+1), fmt.Sprintf("30%08d", i)
		rows = append(rows, r)
	}
	return rows
}

func BenchmarkExport(b *testing.B) {
	rows := benchRows(b, 10_000)
	for _, format := range []string{"csv", "csv-ro", "xlsx"} {
		for _, lines := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/lines=%v/10000", format, lines), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := export.Write(io.Discard, format, rows, export.Options{Lines: lines}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkLoadDetails measures the per-line export's extra cost: one
// InvoiceByID per invoice (SQLite in a temp dir).
func BenchmarkLoadDetails(b *testing.B) {
	ctx := b.Context()
	st := storetest.NewSQLite(b)
	c, err := st.CreateCompany(ctx, "98765438", "BETA TRADING SRL")
	if err != nil {
		b.Fatal(err)
	}
	for i, r := range benchRows(b, 1000) {
		r.ID, r.CompanyID, r.ZIP = 0, c.ID, []byte("z")
		r.ANAFID = fmt.Sprintf("31%08d", i)
		if _, err := st.InsertInvoice(ctx, &r); err != nil {
			b.Fatal(err)
		}
	}
	rows, _, err := st.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		fresh := append([]store.Invoice(nil), rows...)
		if _, err := export.LoadDetails(ctx, st, fresh); err != nil {
			b.Fatal(err)
		}
	}
}
