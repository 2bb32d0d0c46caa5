package store_test

import (
	"fmt"
	"testing"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// BenchmarkArchiveBatch stores batches of 100 new messages (the sync's
// batch) into one company: the gateway's side of ArchiveBatch (issue 16).
// For instruction counts independent of setup, run it at two -benchtime
// counts under `perf stat -e instructions:u` and take the difference.
//
//	go test ./internal/store/ -run '^$' -bench ArchiveBatch -benchtime 20x
func BenchmarkArchiveBatch(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.NewSQLite}, {"postgres", storetest.NewPostgres}} {
		b.Run(db.name, func(b *testing.B) {
			st := db.open(b)
			c, err := st.CreateCompany(b.Context(), "98765438", "BETA")
			if err != nil {
				b.Fatal(err)
			}
			v := &store.InvoiceValidation{State: store.ValidationValid, ValidatedWith: "ro test", Report: []byte(`{}`)}
			b.ReportAllocs()
			b.ResetTimer()
			for n := range b.N {
				b.StopTimer()
				items := make([]store.ArchiveItem, 100)
				for i := range items {
					vv := *v
					items[i] = store.ArchiveItem{Invoice: sampleInvoice(c.ID, fmt.Sprintf("7%04d%05d", n, i)), Validation: &vv}
				}
				b.StartTimer()
				if err := st.ArchiveBatch(b.Context(), items, "w"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(100*b.N), "µs/msg")
		})
	}
}
