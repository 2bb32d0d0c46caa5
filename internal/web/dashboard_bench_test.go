package web

import (
	"fmt"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// BenchmarkDashboard measures one dashboard view of a company with 60
// invoices (server and client in process, SQLite, sessions in memory),
// and reports the process's CPU time per view (getrusage) beside ns/op:
// CPU time, which the machine's load inflates far less than wall time
// (issue 16).
//
//	go test -run '^$' -bench '^BenchmarkDashboard$' -benchmem ./internal/web/
func BenchmarkDashboard(b *testing.B) {
	tb := setupOn(b, storetest.NewSQLite(b))
	u := tb.user(b, "cpu@example.ro", store.UserApproved, false)
	c := tb.company(b, "12345674", "ALFA SOFT SRL", u)
	for i := range 60 {
		tb.invoiceOf(b, c, fmt.Sprintf("%010d", 4000000000+i), fmt.Sprintf("F-%03d", i), "BETA TRADING SRL")
	}
	br := tb.browser(b)
	br.login(u.Email)
	path := "/?company=" + strconv.FormatInt(c.ID, 10)
	for range 20 {
		if got := br.get(path).Status; got != http.StatusOK {
			b.Fatalf("dashboard answered %d", got)
		}
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ReportAllocs()
	start := cpu()
	b.ResetTimer()
	for b.Loop() {
		br.get(path)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu()-start)/float64(b.N)/1e6, "cpu-ms/op")
}
