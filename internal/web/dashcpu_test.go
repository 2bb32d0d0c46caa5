package web

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestDashboardCPU measures the CPU time of this process (getrusage:
// server and client, SQLite in process, sessions in memory) per dashboard
// view of a company with 60 invoices, over EFACTURA_DASHBOARD_CPU serial
// views (issue 16; CPU time, which the machine's load inflates far less
// than wall time). Skipped unless set.
func TestDashboardCPU(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("EFACTURA_DASHBOARD_CPU"))
	if n <= 0 {
		t.Skip("EFACTURA_DASHBOARD_CPU=N measures N dashboard views")
	}
	b := setupOn(t, storetest.NewSQLite(t))
	u := b.user(t, "cpu@example.ro", store.UserApproved, false)
	c := b.company(t, "12345674", "ALFA SOFT SRL", u)
	for i := range 60 {
		b.invoiceOf(t, c, fmt.Sprintf("%010d", 4000000000+i), fmt.Sprintf("F-%03d", i), "BETA TRADING SRL")
	}
	br := b.browser(t)
	br.login(u.Email)
	path := "/?company=" + strconv.FormatInt(c.ID, 10)
	for range 20 {
		require.Equal(t, http.StatusOK, br.get(path).Status)
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start, wall := cpu(), time.Now()
	for range n {
		br.get(path)
	}
	per := (cpu() - start) / time.Duration(n)
	t.Logf("dashboard: %.3f ms CPU per view (process, %d views, %.1f s wall)", float64(per)/1e6, n, time.Since(wall).Seconds())
}
