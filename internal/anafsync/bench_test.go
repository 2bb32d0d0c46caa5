package anafsync_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// BenchmarkSync measures the whole pipeline on loopback: list every page,
// download each ZIP from the simulator (or reuse it from another company's
// archive), parse it and store it in a fresh SQLite database, for every
// company of N invoicegen documents. The invoices/s metric counts archived
// rows (a B2B invoice is archived twice: for the seller and for the buyer);
// time spent creating the database and the simulator is excluded.
//
//	go test ./internal/anafsync/ -run '^$' -bench BenchmarkSync -benchtime 3x
func BenchmarkSync(b *testing.B) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.NewSQLite}, {"postgres", storetest.NewPostgres}} {
		for _, n := range []int{50, 200, 2000} {
			b.Run(fmt.Sprintf("%s/N=%d", db.name, n), func(b *testing.B) { benchSync(b, db.open, n) })
		}
	}
}

func benchSync(b *testing.B, open func(testing.TB) *store.Store, n int) {
	{
		{
			var (
				archived int
				elapsed  time.Duration
			)
			for range b.N {
				b.StopTimer()
				tb := setup(b, open(b), options{invoices: n, noQuotas: true})
				var companies []*store.Company
				cifs := make([]string, 0)
				for cif := range tb.sim.CIFs() {
					cifs = append(cifs, cif)
				}
				sort.Strings(cifs)
				for _, cif := range cifs {
					companies = append(companies, tb.company(b, cif))
				}
				b.StartTimer()
				start := time.Now()
				for _, c := range companies {
					res, err := tb.engine.SyncCompany(b.Context(), c.ID, nil)
					if err != nil {
						b.Fatal(err)
					}
					if res.Failed > 0 {
						b.Fatalf("%d messages failed", res.Failed)
					}
					archived += res.New
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(archived)/elapsed.Seconds(), "invoices/s")
			b.ReportMetric(float64(archived)/float64(b.N), "invoices/op")
		}
	}
}
