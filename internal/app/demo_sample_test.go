package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/tz"
)

// TestDemoSamplesAroundToday: `serve --demo` with the generated samples
// archives invoices issued in the last weeks (some this month), a credit
// note and an ANAF error message, and a restart loads the same documents
// (the sample day is kept in the data directory).
func TestDemoSamplesAroundToday(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	count := func(run *demoRun) (all, thisMonth, credit, errs int) {
		ctx := t.Context()
		l := time.Now().In(tz.Bucharest())
		month := l.Format("2006-01")
		from := l.AddDate(0, 0, -60).Format(time.DateOnly)
		companies, err := run.env.Store.Companies(ctx)
		require.NoError(t, err)
		for _, c := range companies {
			rows, n, err := run.env.Store.Invoices(ctx, store.InvoiceFilter{CompanyID: c.ID})
			require.NoError(t, err)
			all += n
			for _, r := range rows {
				if r.MessageType == store.TypeErrors {
					errs++
					continue
				}
				require.GreaterOrEqual(t, r.IssueDate, from, "issued in the last weeks")
				if len(r.IssueDate) >= 7 && r.IssueDate[:7] == month {
					thisMonth++
				}
				if r.DocumentType == "CreditNote" {
					credit++
				}
			}
		}
		return
	}
	run := startDemo(t, dir, "", "")
	waitIdle(t, run)
	all, thisMonth, credit, errs := count(run)
	require.Positive(t, thisMonth, "this month's figures are not 0")
	require.Positive(t, credit)
	require.Equal(t, 1, errs, "one ANAF error message")
	run.stop()

	run = startDemo(t, dir, "", "")
	waitIdle(t, run)
	again, _, _, errs := count(run)
	require.Equal(t, all, again, "a restart loads the same samples")
	require.Equal(t, 1, errs)
	run.stop()
}
